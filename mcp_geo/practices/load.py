"""Join the official files of a snapshot into one table of geocoded GP practices.

Rules (DESIGN.md, "Snapshots"):

1. The list-size file says which practices exist on the snapshot date (its extract date).
2. The practice map adds the PCN and the parent organisations. A practice missing from the map
   takes its Sub-ICB's names, ICB and region from the map's other rows with the same Sub-ICB.
   A practice in the map but not in the list-size file is excluded (``no_list_size``).
3. The register adds the status, and the name where the map has none. Only a close date before
   the extract date excludes a practice (``closed_before_snapshot``); a dormant or inactive
   status without one, or a later closure, is a note and the practice is kept.
4. The list-size postcode is looked up in Code-Point Open; a postcode not found there is retried
   with the register's postcode (a note), else the practice is excluded (``postcode_not_found``);
   a postcode outside England is excluded (``outside_england``).
5. The current ICB (``icb_2026_*``) comes from the register's field 4, or, for a practice it does
   not hold, from where most practices of its old ICB moved (a note); empty in the CCG era
   (:mod:`mcp_geo.practices.current_icbs`). Its name comes from ODS's organisation file
   (``eauth``) when the data folder holds it, for the codes it names as open on the first day of
   the register's month (1 June 2026 for ``epraccur_2026-06``), else from the ICBs its practices
   came from (a note, when the file is there).
6. The April 2019 CCG comes from the 2019 register's commissioner column; for practices that
   register does not hold, from the CCG April 2019 polygon that contains the practice (a note).

Every practice code read (list-size rows and map-only practices) is kept or excluded exactly once.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.areas import ccg19_for_points, read_ccg_2019
from mcp_geo.practices.ccg2019 import CCG2019_BY_ONS
from mcp_geo.practices.current_icbs import add_current_icbs, majority_moves
from mcp_geo.practices.readers._csv import EXCLUSION_COLUMNS, NOTE_COLUMNS, exclusion, notes_frame
from mcp_geo.practices.readers.list_sizes import read_list_sizes
from mcp_geo.practices.readers.organisations import read_organisations
from mcp_geo.practices.readers.postcodes import ENGLAND, lookup_postcodes, normalise_postcode
from mcp_geo.practices.readers.practice_map import read_practice_map
from mcp_geo.practices.readers.register import read_register
from mcp_geo.practices.snapshots import (
    DEFAULT_SNAPSHOT,
    FileSpec,
    Snapshot,
    get_snapshot,
    locate_files,
)

log = logging.getLogger(__name__)

PRACTICE_COLUMNS: tuple[str, ...] = (
    "practice_code", "practice_name", "postcode", "town", "patients",
    "sub_icb_code", "sub_icb_ons_code", "sub_icb_name", "icb_code", "icb_ons_code", "icb_name",
    "icb_2026_code", "icb_2026_name", "pcn_code", "pcn_name", "region_code", "region_name",
    "ccg19_code", "ccg19_name", "ccg19_source", "status",
    "easting", "northing", "latitude", "longitude", "geometry",
)  # fmt: skip
"""The columns of :attr:`PracticeData.practices`, in order."""

EXCLUDED_COLUMNS: tuple[str, ...] = (
    *EXCLUSION_COLUMNS,
    "sub_icb_code", "sub_icb_ons_code", "icb_code", "icb_ons_code", "icb_2026_code", "ccg19_code",
)  # fmt: skip
"""The columns of :attr:`PracticeData.exclusions`: why, where, and the organisations the files
give the excluded practice (empty where unknown), so that footprints can count their own."""

_PARENTS = ("sub_icb_name", "icb_code", "icb_ons_code", "icb_name", "region_code", "region_name")
_Note = Callable[[str, str, str], None]
_LAST_2019_CLOSURE = date(2020, 3, 31)  # the 2019 register predates the April 2020 CCG mergers


@dataclass(frozen=True, eq=False)
class PracticeData:
    """The practices of one snapshot, with what was left out and why.

    Attributes
    ----------
    practices
        One row per kept practice, sorted by code, EPSG:4326 points; columns
        :data:`PRACTICE_COLUMNS` (``easting``/``northing`` EPSG:27700, ``pcn_*`` missing where
        the practice has no PCN, ``ccg19_source`` ``register`` or ``boundary``).
    exclusions
        practice_code, reason, source (``file:line``), detail.
    notes
        practice_code, note, source: things worth reporting about kept practices.
    snapshot
        The snapshot loaded.
    extract_date
        The list-size file's extract date.
    rows_read
        Practice rows of the list-size file plus practices found only in the map.
    files
        The files read.
    """

    practices: gpd.GeoDataFrame
    exclusions: pd.DataFrame
    notes: pd.DataFrame
    snapshot: Snapshot
    extract_date: date
    rows_read: int
    files: tuple[Path, ...]

    def __post_init__(self) -> None:
        problems = []
        if tuple(self.practices.columns) != PRACTICE_COLUMNS:
            problems.append(Problem("wrong practice columns", "PracticeData", "practices"))
        if tuple(self.exclusions.columns) != EXCLUDED_COLUMNS:
            problems.append(Problem("wrong exclusion columns", "PracticeData", "exclusions"))
        if tuple(self.notes.columns) != NOTE_COLUMNS:
            problems.append(Problem("wrong note columns", "PracticeData", "notes"))
        if self.rows_read != len(self.practices) + len(self.exclusions):
            problems.append(
                Problem(
                    f"{self.rows_read} rows read but {len(self.practices)} kept and "
                    f"{len(self.exclusions)} excluded",
                    "PracticeData",
                    "rows_read",
                )
            )
        if problems:
            raise ValidationError(problems, context="inconsistent PracticeData")


def load_practices(data_dir: str | Path, *, snapshot: str = DEFAULT_SNAPSHOT) -> PracticeData:
    """Read, join, validate and geocode the GP practices of one data snapshot.

    Parameters
    ----------
    data_dir
        Folder with the official files, flat or in ``nhs/`` and ``geo/`` subfolders.
    snapshot
        A name of :data:`~mcp_geo.practices.snapshots.SNAPSHOTS`.

    Returns
    -------
    PracticeData

    Raises
    ------
    ValidationError
        If the snapshot is unknown, files are missing (all are named) or a file is unusable.

    Examples
    --------
    >>> data = load_practices("../shared/data", snapshot="2025-04")  # doctest: +SKIP
    >>> len(data.practices), data.rows_read  # doctest: +SKIP
    (6234, 6239)
    """
    snap = get_snapshot(snapshot)
    specs = snap.load_specs()
    optional = {"register_2019"} if snap.register_2019 != snap.register else set()
    paths = locate_files(data_dir, {k: v for k, v in specs.items() if k not in optional})
    for role in optional:
        try:
            paths.update(locate_files(data_dir, {role: specs[role]}))
        except ValidationError:
            log.warning(
                "%s not found in %s: every practice's April 2019 CCG comes from the CCG "
                "April 2019 boundaries",
                specs[role].stem,
                data_dir,
            )
    if snap.organisations is not None:
        try:
            paths.update(locate_files(data_dir, {"organisations": snap.organisations}))
        except ValidationError:
            log.info(
                "%s not found in %s: the current ICBs are named after the ICBs they came from",
                snap.organisations.stem,
                data_dir,
            )
    lists = read_list_sizes(paths["list_sizes"])
    pmap = read_practice_map(paths["practice_map"])
    register = read_register(paths["register"])
    names = (
        read_organisations(paths["organisations"], open_on=period_start(snap.register))
        if "organisations" in paths
        else None
    )
    if "register_2019" not in paths:
        register19 = dataclasses.replace(
            register, data=register.data.iloc[0:0], name="no 2019 register"
        )
    elif paths["register_2019"] == paths["register"]:
        register19 = register
    else:
        register19 = read_register(paths["register_2019"])
    _check_dates(snap, extract=lists.extract_date, register19=register19.data, name=register19.name)
    extract = lists.extract_date
    assert extract is not None  # read_list_sizes always sets it
    excluded: list[dict[str, str]] = lists.exclusions.to_dict("records")
    notes: list[dict[str, str]] = []

    def note(code: str, text: str, source: str) -> None:
        notes.append({"practice_code": code, "note": text, "source": source})

    listed_codes = set(lists.data["practice_code"]) | set(lists.exclusions["practice_code"])
    map_only = pmap.data.loc[~pmap.data["practice_code"].isin(listed_codes)]
    excluded += [
        exclusion(
            row.practice_code,
            reason="no_list_size",
            source=f"{pmap.name}:{row.line}",
            detail=f"in the practice map but not in {lists.name}",
        )
        for row in map_only.itertuples()
    ]
    rows_read = len(lists.data) + len(lists.exclusions) + len(map_only)

    df = lists.data.rename(columns={"line": "list_line"})
    # parents by Sub-ICB (CCG in the CCG era), from the map's rows
    parents = pmap.data.drop_duplicates("sub_icb_code").set_index("sub_icb_code")[list(_PARENTS)]
    df = df.join(parents, on="sub_icb_code")
    practice_map = pmap.data.set_index("practice_code")
    in_map = df["practice_code"].isin(practice_map.index)
    for row in df.loc[~in_map].itertuples():
        how = (
            f"Sub-ICB names, ICB and region taken from the map's other rows of {row.sub_icb_code}"
            if row.sub_icb_code in parents.index
            else f"its Sub-ICB {row.sub_icb_code} is not in the map either: no ICB or region"
        )
        note(row.practice_code, f"not in {pmap.name}; {how}", f"{lists.name}:{row.list_line}")
    mapped = practice_map.reindex(df["practice_code"])
    df["pcn_code"] = mapped["pcn_code"].to_numpy()
    df["pcn_name"] = mapped["pcn_name"].to_numpy()
    df["map_name"] = mapped["practice_name"].to_numpy()

    reg = register.data.set_index("practice_code")
    regd = reg.reindex(df["practice_code"])
    df["status"] = regd["status"].fillna("unknown").to_numpy()
    df["register_postcode"] = regd["postcode"].to_numpy()
    df["town"] = regd["town"].fillna("").to_numpy()
    df["practice_name"] = [
        m if isinstance(m, str) and m else r if isinstance(r, str) and r else ""
        for m, r in zip(df["map_name"], regd["name"], strict=True)
    ]
    keep = pd.Series(True, index=df.index)
    reg_exclusions = register.exclusions.set_index("practice_code")
    for i, row in enumerate(df.itertuples()):
        code, source = row.practice_code, f"{lists.name}:{row.list_line}"
        if code not in reg.index:
            why = (
                f"its row is unusable: {reg_exclusions.loc[[code], 'detail'].iloc[0]}"
                if code in reg_exclusions.index
                else "not in the register"
            )
            note(code, f"{register.name}: {why}; status unknown", source)
            if not row.practice_name:
                note(code, "no name in the map or the register", source)
            continue
        r = reg.loc[code]
        rsource = f"{register.name}:{r['line']}"
        closed = r["close_date"]
        if closed is not None and closed < extract:
            excluded.append(
                exclusion(
                    code,
                    reason="closed_before_snapshot",
                    source=rsource,
                    detail=f"field 'close_date' {closed.isoformat()} is before the extract date "
                    f"{extract.isoformat()} (status {r['status_raw']!r})",
                )
            )
            keep.iloc[i] = False
        elif closed is not None:
            note(code, f"closes on {closed.isoformat()}, after the extract date", rsource)
        elif r["status"] in ("dormant", "inactive", "closed"):
            note(code, f"status {r['status_raw']} without a close date; kept", rsource)
        if keep.iloc[i] and not r["is_gp_practice"]:
            note(code, f"prescribing setting {r['setting']!r} is not GP practice; kept", rsource)
    df = df.loc[keep]

    df, geo_excluded = _geocode(df, codepoint=paths["codepoint"], list_name=lists.name, note=note)
    excluded += geo_excluded
    ccg19 = read_ccg_2019(paths["ccg19"])
    df = _add_ccg19(
        df, register19=register19.data, ccg19=ccg19, register19_name=register19.name, note=note
    )
    df = add_current_icbs(
        df,
        register=register.data,
        register_name=register.name,
        icb_era=snap.era != "ccg",
        note=note,
        names=names,
        names_source=paths["organisations"].name if "organisations" in paths else "",
    )

    practices = gpd.GeoDataFrame(
        df.sort_values("practice_code")[list(PRACTICE_COLUMNS)].reset_index(drop=True),
        geometry="geometry",
        crs=4326,
    )
    files = tuple(dict.fromkeys(paths.values()))
    log.info(
        "snapshot %s: %d practices kept (%d patients), %d excluded, %d notes",
        snap.name,
        len(practices),
        int(practices["patients"].sum()),
        len(excluded),
        len(notes),
    )
    return PracticeData(
        practices=practices,
        exclusions=_with_organisations(
            pd.DataFrame(excluded, columns=list(EXCLUSION_COLUMNS)).astype(str),
            lists=lists.data,
            pmap=pmap.data,
            register19=register19.data,
            current=df,
            register=register.data,
        ),
        notes=notes_frame(notes),
        snapshot=snap,
        extract_date=extract,
        rows_read=rows_read,
        files=files,
    )


def period_start(spec: FileSpec) -> date | None:
    """The first day of the period a file's name carries (``epraccur_2026-06`` -> 1 June 2026).

    Examples
    --------
    >>> from mcp_geo.practices.snapshots import SNAPSHOTS
    >>> period_start(SNAPSHOTS["2025-04"].register)
    datetime.date(2026, 6, 1)
    """
    match = re.search(r"_(\d{4})-(\d{2})$", spec.stem)
    return date(int(match[1]), int(match[2]), 1) if match else None


def _check_dates(
    snap: Snapshot, *, extract: date | None, register19: pd.DataFrame, name: str
) -> None:
    if extract is not None and extract.strftime("%Y-%m") != snap.name:
        log.warning("snapshot %s: the list-size file's extract date is %s", snap.name, extract)
    closures = register19["close_date"].dropna()
    if len(closures) and max(closures) > _LAST_2019_CLOSURE:
        raise ValidationError(
            [
                Problem(
                    "the 2019 register must be a release from before April 2020 (the CCG "
                    f"mergers); this one has close dates up to {max(closures).isoformat()}",
                    source=name,
                    field="close_date",
                )
            ],
            context="wrong register for the 2019 CCGs",
        )


def _geocode(
    df: pd.DataFrame, *, codepoint: Path, list_name: str, note: _Note
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Add easting/northing, latitude/longitude and geometry; exclude what cannot be placed."""
    candidates = list(df["postcode"]) + [p for p in df["register_postcode"] if isinstance(p, str)]
    found = lookup_postcodes(candidates, codepoint=codepoint)
    excluded: list[dict[str, str]] = []
    keep, hits = [], []
    for row in df.itertuples():
        source = f"{list_name}:{row.list_line}"
        key = normalise_postcode(row.postcode)
        alt = normalise_postcode(row.register_postcode)
        if key in found.index:
            hit = key
        elif alt and alt in found.index:
            hit = alt
            note(
                row.practice_code,
                f"postcode {row.postcode!r} not in Code-Point Open; placed at the register's "
                f"postcode {row.register_postcode!r}",
                source,
            )
        else:
            tried = f" or the register's {row.register_postcode!r}" if alt and alt != key else ""
            excluded.append(
                exclusion(
                    row.practice_code,
                    reason="postcode_not_found",
                    source=source,
                    detail=f"field 'POSTCODE' {row.postcode!r}{tried} not in Code-Point Open "
                    "(or without coordinates)",
                )
            )
            keep.append(False)
            continue
        country = found.at[hit, "country_code"]
        if country != ENGLAND:
            excluded.append(
                exclusion(
                    row.practice_code,
                    reason="outside_england",
                    source=source,
                    detail=f"postcode {found.at[hit, 'postcode']!r} has country code {country!r}, "
                    f"not {ENGLAND}",
                )
            )
            keep.append(False)
            continue
        keep.append(True)
        hits.append(hit)
    df = df.loc[keep].copy()
    df["easting"] = found.loc[hits, "easting"].to_numpy(dtype="float64")
    df["northing"] = found.loc[hits, "northing"].to_numpy(dtype="float64")
    points = gpd.GeoSeries.from_xy(df["easting"], df["northing"], crs=27700, index=df.index)
    wgs84 = points.to_crs(4326)
    df["latitude"] = wgs84.y.round(6)
    df["longitude"] = wgs84.x.round(6)
    df["geometry"] = gpd.GeoSeries.from_xy(df["longitude"], df["latitude"], crs=4326)
    return df, excluded


def _add_ccg19(
    df: pd.DataFrame,
    *,
    register19: pd.DataFrame,
    ccg19: gpd.GeoDataFrame,
    register19_name: str,
    note: _Note,
) -> pd.DataFrame:
    """Add ccg19_code (ODS), ccg19_name and ccg19_source."""
    reg19 = register19.set_index("practice_code")
    points = gpd.GeoSeries.from_xy(df["easting"], df["northing"], crs=27700, index=df.index)
    inside = ccg19_for_points(points, ccg19=ccg19)
    ods = df["practice_code"].map(reg19["commissioner"])
    # link ODS and ONS codes by the practices both sources place: the most common pairing wins
    pairs = pd.DataFrame({"ods": ods, "ons": inside["code"]}).dropna()
    counts = pairs.value_counts().reset_index(name="n").sort_values(["n", "ods", "ons"])
    ons_by_ods = counts.drop_duplicates("ods", keep="last").set_index("ods")["ons"]
    ods_by_ons = counts.drop_duplicates("ons", keep="last").set_index("ons")["ods"]
    names = ccg19.set_index("code")["name"]
    from_register = ods.notna() & (ods != "")
    df["ccg19_source"] = ["register" if r else "boundary" for r in from_register]
    # without the 2019 register's pairings, the documented table names the footprints' CCGs
    table = pd.Series({ons: c.ods_code for ons, c in CCG2019_BY_ONS.items()})
    from_boundary = inside["code"].map(ods_by_ons).astype(object)
    from_boundary = from_boundary.where(from_boundary.notna(), inside["code"].map(table))
    df["ccg19_code"] = ods.where(from_register, from_boundary)
    ons = df["ccg19_code"].map(ons_by_ods).where(from_register, inside["code"])
    df["ccg19_name"] = ons.map(names)
    for row, where in zip(
        df.loc[~from_register].itertuples(), inside.loc[~from_register].itertuples(), strict=True
    ):
        how = (
            f"{where.name} ({where.code})"
            + (f", nearest polygon {where.distance_m:.0f} m away" if where.distance_m > 0 else "")
            if isinstance(where.code, str)
            else "none: outside every polygon"
        )
        note(
            row.practice_code,
            f"not in {register19_name}; 2019 CCG from the CCG April 2019 boundary: {how}",
            f"{register19_name}",
        )
    return df


def _with_organisations(
    exclusions: pd.DataFrame,
    *,
    lists: pd.DataFrame,
    pmap: pd.DataFrame,
    register19: pd.DataFrame,
    current: pd.DataFrame,
    register: pd.DataFrame,
) -> pd.DataFrame:
    """Add the organisations the files give each excluded practice (map first, then list file).

    The current ICB is the register's, else where most kept practices of the old ICB moved
    (empty when the kept practices have none: the CCG era).
    """
    org_columns = ["sub_icb_code", "sub_icb_ons_code", "icb_code", "icb_ons_code"]
    by_map = pmap.drop_duplicates("practice_code").set_index("practice_code")[org_columns]
    parents = pmap.drop_duplicates("sub_icb_code").set_index("sub_icb_code")[
        ["icb_code", "icb_ons_code"]
    ]
    by_list = lists.drop_duplicates("practice_code").set_index("practice_code")[
        ["sub_icb_code", "sub_icb_ons_code"]
    ]
    by_list = by_list.join(parents, on="sub_icb_code")
    known = by_map.combine_first(by_list)
    ccg19 = register19.drop_duplicates("practice_code").set_index("practice_code")["commissioner"]
    out = exclusions.copy()
    codes = out["practice_code"]
    for column in org_columns:
        out[column] = codes.map(known[column]) if len(known) else None
    out["ccg19_code"] = codes.map(ccg19)
    if (current["icb_2026_code"] != "").any():
        moved = majority_moves(current["icb_code"], current["icb_2026_code"])
        reg = register.drop_duplicates("practice_code").set_index("practice_code")["icb_code"]
        now = codes.map(reg).fillna("")
        by_old = out["icb_code"].map(moved).fillna("")
        out["icb_2026_code"] = now.where(now != "", by_old)
    else:
        out["icb_2026_code"] = ""
    out = out[list(EXCLUDED_COLUMNS)].astype(object)
    return out.where(out.notna(), "").astype(str)
