"""Where the official files come from: every publisher URL the tool knows, in one place.

``mcp-geo data download DIR`` (:func:`mcp_geo.practices.download.official.download_official_files`)
fetches these files and writes them in the layout of the project's data folder (``nhs/...``,
``geo/...``), which is the layout the readers expect.

.. warning::

   **None of these URLs has been tried.** They were collected on 25 November 2026 from the
   publishers' documentation and from public code that downloads the same files (stored copies
   searched offline), on a machine with no internet access. Every check the downloader makes
   (size, header, member, feature count, pinned checksum) is there so that a URL that has moved
   fails loudly instead of writing a wrong file. Where a URL breaks, the ``about`` page of the
   file says where to look for the new one; fix it here and nowhere else.

How each publisher serves its files (as documented on the date above):

- **NHS England, Patients Registered at a GP Practice** (monthly): each month has a stable
  publication page, ``.../patients-registered-at-a-gp-practice/<month>-<year>``, but the files
  on it live at ``https://files.digital.nhs.uk/<hex>/<hex>/<name>.zip`` with an opaque path that
  changes every month. So :attr:`OfficialFile.url` is the publication page and
  :attr:`OfficialFile.link` the name of the file to take from it; the file is a zip (recent
  months) or a bare CSV (older months), and the CSV inside the zip is written out. The pages
  sit behind a CDN that has been reported to refuse some automated clients (HTTP 403).
- **NHS ODS, GP practices (epraccur)**: the former bulk zip
  ``https://files.digital.nhs.uk/assets/ods/current/epraccur.zip`` is reported retired (403);
  ODS Data Search and Export serves the current file as a CSV report. Only the current file
  exists: the 2019 register the CCG-era snapshot uses cannot be fetched from the publisher.
- **NHS ODS, health authorities (eauth)**, optional: the names of the current ICBs (added on
  2 December 2026, collected the same way). ODS documents ``eauth`` as a report of the same Data
  Search and Export API (``getReport?report=eauth``, CSV without a header in the standard ODS
  layout). That the ICBs of 2026 are in this file (ICBs
  are "Strategic Partnership" organisations, the higher-level health geography of ``epraccur``'s
  field 4) is ODS's file structure as documented, not checked against a downloaded copy: the
  report name, like every URL here, has not been tried. A download that fails for it is
  reported and the others go on (:attr:`OfficialFile.optional`); without it the current ICBs
  are named after the ICBs they came from.
- **OS Code-Point Open**: the OS Downloads API redirects to the current GB CSV zip, no key
  needed; it is extracted to ``geo/codepo_gb/`` (``Data/CSV/<area>.csv``, ``Doc/...``).
- **ONS Open Geography Portal**: each boundary release is an ArcGIS feature service; the query
  below asks for every feature and field as GeoJSON in British National Grid (``outSR=27700``,
  the CRS of the portal's own GeoJSON exports). Releases are dated, but the service builds the
  file on request, so its bytes are not stable and no checksum is pinned; the feature count is.

Checksums (:attr:`OfficialFile.sha256`) are pinned only for dated releases whose bytes are known
to be the publisher's own; "latest" files (the ODS register, Code-Point Open) are overwritten by
their publishers, so pinning them would fail on the next release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from mcp_geo._errors import Problem, ValidationError

Kind = Literal["csv", "geojson", "tree"]

CHECKED_ON = "2026-11-25"
"""The day the URLs below were taken from the publishers' documentation (never fetched)."""

SNAPSHOTS: tuple[str, ...] = ("2025-04", "2021-01")
"""The data snapshots (see DESIGN.md, "Snapshots"); the first is the newest and the default."""

OGL = "Open Government Licence v3.0"
_NHS_ATTRIBUTION = (
    f"{OGL}. Contains public sector information licensed under the {OGL} "
    "(NHS England, Patients Registered at a GP Practice)."
)
_ODS_ATTRIBUTION = f"{OGL}. Contains public sector information licensed under the {OGL} (NHS ODS)."
_OS_ATTRIBUTION = (
    f"{OGL}. Contains OS data © Crown copyright and database right; contains Royal Mail data "
    "© Royal Mail copyright and database right; contains National Statistics data © Crown "
    "copyright and database right."
)
_ONS_ATTRIBUTION = (
    f"{OGL}. Source: Office for National Statistics licensed under the {OGL}. "
    "Contains OS data © Crown copyright and database right."
)

_NHS_PAGES = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "patients-registered-at-a-gp-practice/"
)
_ARCGIS_QUERY = (
    "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/{service}/FeatureServer/0/"
    "query?where=1%3D1&outFields=*&outSR=27700&f=geojson"
)
_LIST_HEADER = ("PUBLICATION", "EXTRACT_DATE", "TYPE")
_MAP_HEADER = ("PUBLICATION", "EXTRACT_DATE", "PRACTICE_CODE", "PRACTICE_NAME")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class OfficialFile:
    """One official file: where it is published, where it goes, and how to recognise it.

    Attributes
    ----------
    key
        Short unique name, ``<what>/<period>`` (``list-sizes/2025-04``, ``epraccur/latest``).
    title
        What the file is, for people.
    url
        What to fetch: the file itself or, when :attr:`link` is set, the page that links to it.
    filename
        Where it goes inside the download folder (POSIX, relative): a file, or for ``tree`` the
        folder the archive is extracted into.
    kind
        What is written: ``csv``, ``geojson``, or ``tree`` (a zip extracted into a folder).
    snapshots
        The data snapshots that use the file.
    licence
        Licence and attribution to carry into outputs.
    dated
        True when the URL names one release that the publisher does not overwrite.
    min_bytes
        The smallest plausible size of the file written (for ``tree``, of the archive): catches
        error pages, stubs and truncations that a missing ``Content-Length`` hides.
    min_records
        The fewest plausible data rows (CSV), features (GeoJSON) or matching members (tree).
    header
        CSV: the first column names of the first line. GeoJSON: property names the first
        feature must have. Empty for headerless files.
    fields
        For headerless CSV files (and the CSVs of a tree): the number of fields per line.
    link
        Regular expression that the file name of the wanted link on the page at :attr:`url`
        must match in full (case-insensitive), or None when :attr:`url` is the file.
    member
        Regular expression for the file inside a zip: for ``csv`` the base name of the CSV to
        take out when the publisher serves a zip (None: a zip is an error); for ``tree`` the
        member paths that hold the data (at least :attr:`min_records` of them).
    sha256
        Hex digest of the file written at :attr:`filename` (for a CSV taken out of a zip, of
        that CSV), pinned only when :attr:`dated`; None otherwise.
    about
        The publisher's page for the file: where to look when the URL has moved.
    optional
        True when the snapshots work without the file: a download that fails for it is
        reported (status ``failed``) and does not stop the others.
    """

    key: str
    title: str
    url: str
    filename: str
    kind: Kind
    snapshots: tuple[str, ...]
    licence: str
    dated: bool
    min_bytes: int
    min_records: int = 1
    header: tuple[str, ...] = ()
    fields: int | None = None
    link: str | None = None
    member: str | None = None
    sha256: str | None = None
    about: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        problems: list[Problem] = []

        def bad(field: str, message: str, value: object) -> None:
            problems.append(
                Problem(message, source=f"OfficialFile {self.key!r}", field=field, value=value)
            )

        if not re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", self.key):
            bad("key", "must be '<what>/<period>' in lower case, digits and '-'", self.key)
        if not self.url.startswith(("http://", "https://")):
            bad("url", "must be an http(s) URL", self.url)
        path = PurePosixPath(self.filename)
        if not self.filename or path.is_absolute() or ".." in path.parts or "\\" in self.filename:
            bad("filename", "must be a relative POSIX path inside the folder", self.filename)
        if self.kind not in ("csv", "geojson", "tree"):
            bad("kind", "must be 'csv', 'geojson' or 'tree'", self.kind)
        if not self.snapshots or any(s not in SNAPSHOTS for s in self.snapshots):
            bad("snapshots", f"must be a non-empty subset of {SNAPSHOTS}", self.snapshots)
        if self.min_bytes < 0 or self.min_records < 0:
            bad("min_bytes", "sizes and counts must be >= 0", (self.min_bytes, self.min_records))
        if self.fields is not None and (self.fields < 1 or self.header):
            bad("fields", "must be >= 1, and only for headerless files", self.fields)
        for name in ("link", "member"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    bad(name, f"is not a regular expression ({exc})", pattern)
        if self.kind == "tree" and self.member is None:
            bad("member", "a tree needs the pattern of its data members", None)
        if self.kind == "geojson" and self.member is not None:
            bad("member", "GeoJSON is fetched as is, never out of a zip", self.member)
        if self.sha256 is not None:
            if not _SHA256.fullmatch(self.sha256):
                bad("sha256", "must be 64 lower-case hex digits", self.sha256)
            if not self.dated:
                bad(
                    "sha256",
                    "pin checksums only for dated releases ('latest' files change)",
                    self.sha256,
                )
            if self.kind == "tree":
                bad("sha256", "a tree has no single checksum", self.sha256)
        if problems:
            raise ValidationError(problems, context="official file")


def _nhs(
    key: str,
    *,
    page: str,
    name: str,
    filename: str,
    header: tuple[str, ...],
    snapshots: tuple[str, ...],
    min_records: int,
    sha256: str | None = None,
    v2: bool = False,
) -> OfficialFile:
    """An NHS monthly file, taken from its publication page (zip or bare CSV)."""
    stem = re.escape(name) + (r"(?:_v2)?" if v2 else "")
    return OfficialFile(
        key=key,
        title=f"NHS England, Patients Registered at a GP Practice, {page}: {name}",
        url=_NHS_PAGES + page,
        filename=filename,
        kind="csv",
        snapshots=snapshots,
        licence=_NHS_ATTRIBUTION,
        dated=True,
        min_bytes=50_000,
        min_records=min_records,
        header=header,
        link=stem + r"\.(?:zip|csv)",
        member=stem + r"\.csv",
        sha256=sha256,
        about=_NHS_PAGES + page,
    )


def _ons(
    key: str,
    service: str,
    filename: str,
    *,
    title: str,
    header: tuple[str, ...],
    count: int,
    snapshots: tuple[str, ...],
    about: str,
) -> OfficialFile:
    """An ONS boundary release from its ArcGIS feature service, as GeoJSON in EPSG:27700."""
    return OfficialFile(
        key=key,
        title=f"ONS, {title}",
        url=_ARCGIS_QUERY.format(service=service),
        filename=filename,
        kind="geojson",
        snapshots=snapshots,
        licence=_ONS_ATTRIBUTION,
        dated=True,
        min_bytes=20_000,
        min_records=count,
        header=header,
        about=about,
    )


OFFICIAL_FILES: tuple[OfficialFile, ...] = (
    # --- newest snapshot (2025-04) -------------------------------------------------------------
    _nhs(
        "list-sizes/2025-04",
        page="april-2025",
        name="gp-reg-pat-prac-all",
        filename="nhs/gp-reg-pat-prac-all_2025-04.csv",
        header=_LIST_HEADER,
        snapshots=("2025-04",),
        min_records=6_000,
        # the CSV of NHS England's April 2025 zip (member time 2025-04-03, CRC checked)
        sha256="7cc934847cff53d54f5c6ce4ded2d1f9650ff23525680b6f38df3ac3ecf3ccd2",
    ),
    # 2025-10 map: only a third-party copy of this month was available to check, with
    # unverified line endings, so its checksum is not pinned.
    _nhs(
        "practice-map/2025-10",
        page="october-2025",
        name="gp-reg-pat-prac-map",
        filename="nhs/gp-reg-pat-prac-map_2025-10.csv",
        header=_MAP_HEADER,
        snapshots=("2025-04",),
        min_records=6_000,
    ),
    OfficialFile(
        key="epraccur/latest",
        title="NHS ODS, GP practices and prescribing cost centres (epraccur), current release",
        url="https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=epraccur",
        filename="nhs/epraccur.csv",
        kind="csv",
        snapshots=("2025-04",),
        licence=_ODS_ATTRIBUTION,
        dated=False,
        min_bytes=1_000_000,
        min_records=10_000,
        fields=27,
        member=r"epraccur\.csv",
        about="https://digital.nhs.uk/services/organisation-data-service/data-search-and-export/"
        "csv-downloads/gp-and-gp-practice-related-data",
    ),
    # optional, and the report name not tried (see the module's docstring): the names of the
    # current ICBs; 36 ICBs and the NHS England regions at least
    OfficialFile(
        key="eauth/latest",
        title="NHS ODS, health authorities (eauth: ICBs, NHS England regions), current release",
        url="https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=eauth",
        filename="nhs/eauth.csv",
        kind="csv",
        snapshots=("2025-04",),
        licence=_ODS_ATTRIBUTION,
        dated=False,
        min_bytes=2_000,
        min_records=30,
        fields=27,
        member=r"eauth\.csv",
        about="https://www.odsdatasearchandexport.nhs.uk/referenceDataCatalogue/"
        "ODS-Reference-Data-Catalogue_565780847.html",
        optional=True,
    ),
    _ons(
        "sub-icb/2023-04",
        "Sub_Integrated_Care_Board_Locations_April_2023_EN_BSC",
        "geo/SubICB_April_2023_EN_BSC.geojson",
        title="Sub Integrated Care Board Locations (April 2023) EN BSC",
        header=("SICBL23CD", "SICBL23NM"),
        count=106,
        snapshots=("2025-04",),
        about="https://geoportal.statistics.gov.uk/search?q=SICBL_APR_2023",
    ),
    _ons(
        "icb/2023-04",
        "Integrated_Care_Boards_April_2023_EN_BSC",
        "geo/ICB_April_2023_EN_BSC.geojson",
        title="Integrated Care Boards (April 2023) EN BSC",
        header=("ICB23CD", "ICB23NM"),
        count=42,
        snapshots=("2025-04", "2021-01"),
        about="https://geoportal.statistics.gov.uk/datasets/76dad7f9577147b2b636d4f95345d28d_0",
    ),
    _ons(
        "countries/2022-12",
        "Countries_December_2022_UK_BUC",
        "geo/Countries_December_2022_UK_BUC.geojson",
        title="Countries (December 2022) UK BUC",
        header=("CTRY22CD", "CTRY22NM"),
        count=4,
        snapshots=("2025-04", "2021-01"),
        about="https://geoportal.statistics.gov.uk/datasets/ons::countries-december-2022-uk-buc/about",
    ),
    OfficialFile(
        key="codepoint/latest",
        title="OS Code-Point Open (GB, CSV), current release",
        url="https://api.os.uk/downloads/v1/products/CodePointOpen/downloads"
        "?area=GB&format=CSV&redirect",
        filename="geo/codepo_gb",
        kind="tree",
        snapshots=("2025-04", "2021-01"),
        licence=_OS_ATTRIBUTION,
        dated=False,
        min_bytes=10_000_000,
        min_records=100,  # 120 postcode areas in GB
        fields=10,
        member=r"Data/CSV/[a-z]{1,2}\.csv",
        about="https://osdatahub.os.uk/downloads/open/CodePointOpen",
    ),
    # --- CCG era (2021-01) ---------------------------------------------------------------------
    _nhs(
        "list-sizes/2021-01",
        page="january-2021",
        name="gp-reg-pat-prac-all",
        filename="nhs/gp-reg-pat-prac-all_2021-01.csv",
        header=_LIST_HEADER,
        snapshots=("2021-01",),
        min_records=6_000,
        # a copy traced in shared/data/nhs/SOURCES.md: the publisher's CRLF layout, unedited
        sha256="50cba22147db5e074a86bafaa5295030e2c37a9d97e6eee1ffefc303121dabad",
    ),
    # 2020-09 map: the only copy checked may have been re-saved, so no checksum is pinned.
    _nhs(
        "practice-map/2020-09",
        page="september-2020",
        name="gp-reg-pat-prac-map",
        filename="nhs/gp-reg-pat-prac-map_2020-09.csv",
        header=_MAP_HEADER,
        snapshots=("2021-01",),
        min_records=6_000,
        v2=True,
    ),
    _ons(
        "ccg/2019-04",
        "Clinical_Commissioning_Groups_April_2019_Boundaries_EN_BUC_2022",
        "geo/CCG_April_2019_EN_BUC.geojson",
        title="Clinical Commissioning Groups (April 2019) Boundaries EN BUC",
        header=("CCG19CD", "CCG19NM"),
        count=191,
        snapshots=("2021-01",),
        about="https://geoportal.statistics.gov.uk/search?q=CCG_APR_2019",
    ),
    # Not here: the November 2019 ODS register (epraccur_2019-11) that the 2021-01 snapshot
    # pairs with. ODS publishes only its current file; no publisher URL serves the 2019 one.
)
"""Every official file the tool can fetch, newest snapshot first."""


def official_files(snapshot: str | None = None) -> tuple[OfficialFile, ...]:
    """The official files of one data snapshot, or all of them.

    Parameters
    ----------
    snapshot
        ``"2025-04"`` (the newest), ``"2021-01"``, or None for every file.

    Returns
    -------
    tuple of OfficialFile
        In the order of :data:`OFFICIAL_FILES`.

    Raises
    ------
    ValidationError
        If the snapshot is not one of :data:`SNAPSHOTS`.

    Examples
    --------
    >>> [f.key for f in official_files("2021-01")][:2]
    ['icb/2023-04', 'countries/2022-12']
    """
    if snapshot is None:
        return OFFICIAL_FILES
    if snapshot not in SNAPSHOTS:
        raise ValidationError(
            [Problem(f"must be one of {', '.join(SNAPSHOTS)}", source="snapshot", value=snapshot)],
            context="official files",
        )
    return tuple(f for f in OFFICIAL_FILES if snapshot in f.snapshots)
