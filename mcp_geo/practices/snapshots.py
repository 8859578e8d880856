"""Data snapshots: which official files belong together, and where to find them in a data folder.

A snapshot is one consistent set of official files (DESIGN.md, "Snapshots")::

    snapshot  list sizes                    practice map                  register          outlines
    2025-04   gp-reg-pat-prac-all_2025-04   gp-reg-pat-prac-map_2025-10   epraccur_2026-06  Sub-ICB, ICB 2023
    2021-01   gp-reg-pat-prac-all_2021-01   gp-reg-pat-prac-map_2020-09   epraccur_2019-11  CCG 2019, ICB 2023

Every snapshot also uses the 2019 register (each practice's CCG of April 2019), the CCG April
2019 boundaries (the fallback for practices that register does not hold) and Code-Point Open.
A snapshot of the ICB era may also use ODS's organisation file ``eauth`` (optional: the names of
the current ICBs, see :mod:`mcp_geo.practices.current_icbs`).

Files are looked for in the data folder itself (the flat layout of the official downloads) and
in its ``nhs/`` and ``geo/`` subfolders (the layout of the project's shared data). The period
suffix (``_2025-04``) is ours: a file without it under the publisher's own name
(``gp-reg-pat-prac-all.csv``, or the ``.zip`` as published) is accepted when the suffixed one is
absent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileSpec:
    """How to find one official file.

    Attributes
    ----------
    stem
        Our name without extension (``gp-reg-pat-prac-all_2025-04``); may hold a subfolder.
    folder
        The subfolder of the shared-data layout (``nhs`` or ``geo``).
    suffixes
        Extensions to try, in order.
    plain
        The publisher's own names (glob patterns, extensions included), tried after ``stem``.
    directory
        Whether the file is a folder (Code-Point Open's ``codepo_gb``).
    """

    stem: str
    folder: str
    suffixes: tuple[str, ...] = (".csv", ".zip")
    plain: tuple[str, ...] = ()
    directory: bool = False

    def __post_init__(self) -> None:
        if not self.stem or self.folder not in ("nhs", "geo"):
            raise ValueError(f"bad FileSpec {self!r}")


def _nhs(stem: str) -> FileSpec:
    publisher = re.sub(r"_\d{4}-\d{2}$", "", stem)
    return FileSpec(stem, "nhs", plain=(f"{publisher}.csv", f"{publisher}.zip"))


CCG19 = FileSpec(
    "CCG_April_2019_EN_BUC",
    "geo",
    (".geojson", ".json", ".gpkg", ".zip"),
    ("Clinical_Commissioning_Groups_April_2019_*EN_BUC*.geojson",),
)
SUB_ICB23 = FileSpec(
    "SubICB_April_2023_EN_BSC",
    "geo",
    (".geojson", ".json", ".gpkg", ".zip"),
    ("Sub_Integrated_Care_Board_Locations_April_2023_EN_BSC*.geojson",),
)
ICB23 = FileSpec(
    "ICB_April_2023_EN_BSC",
    "geo",
    (".geojson", ".json", ".gpkg", ".zip"),
    ("Integrated_Care_Boards_April_2023_EN_BSC*.geojson",),
)
COUNTRIES = FileSpec(
    "Countries_December_2022_UK_BUC/CTRY_DEC_2022_UK_BUC",
    "geo",
    (".shp",),
    (
        "CTRY_DEC_2022_UK_BUC.shp",
        "Countries_December_2022_UK_BUC.zip",
        "Countries_December_2022_UK_BUC.geojson",  # as `mcp-geo data download` writes it
        "CTRY_DEC_2022_UK_BUC.geojson",
    ),
)
CODEPOINT = FileSpec("codepo_gb", "geo", ("",), ("codepo_gb.zip", "codepo-gb.zip"), True)


@dataclass(frozen=True)
class Snapshot:
    """One consistent set of official files.

    Attributes
    ----------
    name
        The ``--snapshot`` value (``2025-04``): the month of the list sizes.
    list_sizes, practice_map, register, register_2019
        The NHS files (``register_2019`` gives each practice's April 2019 CCG).
    outlines
        Boundary files for territories, finest first.
    era
        ``sub-icb`` or ``ccg``: what the list-size and map files call the practice's parent.
    organisations
        ODS's organisation file that names the register's current ICBs (``eauth``), optional
        in the data folder; None for a snapshot whose register predates the ICBs.
    """

    name: str
    list_sizes: FileSpec
    practice_map: FileSpec
    register: FileSpec
    register_2019: FileSpec
    outlines: tuple[FileSpec, ...]
    era: str
    description: str = ""
    ccg19: FileSpec = field(default=CCG19)
    codepoint: FileSpec = field(default=CODEPOINT)
    organisations: FileSpec | None = None

    def __post_init__(self) -> None:
        problems = []
        if not re.fullmatch(r"\d{4}-\d{2}", self.name):
            problems.append(Problem("must be YYYY-MM", "Snapshot", "name", self.name))
        if self.era not in ("sub-icb", "ccg"):
            problems.append(Problem("must be 'sub-icb' or 'ccg'", "Snapshot", "era", self.era))
        if not self.outlines:
            problems.append(Problem("at least one outline file is needed", "Snapshot", "outlines"))
        if problems:
            raise ValidationError(problems, context="invalid Snapshot")

    def load_specs(self) -> dict[str, FileSpec]:
        """The files :func:`~mcp_geo.practices.load.load_practices` reads, by role."""
        return {
            "list_sizes": self.list_sizes,
            "practice_map": self.practice_map,
            "register": self.register,
            "register_2019": self.register_2019,
            "codepoint": self.codepoint,
            "ccg19": self.ccg19,
        }


SNAPSHOTS: dict[str, Snapshot] = {
    "2025-04": Snapshot(
        name="2025-04",
        list_sizes=_nhs("gp-reg-pat-prac-all_2025-04"),
        practice_map=_nhs("gp-reg-pat-prac-map_2025-10"),
        register=_nhs("epraccur_2026-06"),
        # no publisher serves the 2019 register any more, and its plain name would find today's
        # register: only our dated name is accepted, and the file is optional (see load.py)
        register_2019=FileSpec("epraccur_2019-11", "nhs"),
        outlines=(SUB_ICB23, ICB23),
        era="sub-icb",
        description="April 2025 list sizes, October 2025 map, June 2026 register",
        # optional: ODS's current file (as `data download` writes it) or a copy dated like
        # the register; see load.py
        organisations=_nhs("eauth_2026-06"),
    ),
    "2021-01": Snapshot(
        name="2021-01",
        list_sizes=_nhs("gp-reg-pat-prac-all_2021-01"),
        practice_map=_nhs("gp-reg-pat-prac-map_2020-09"),
        register=_nhs("epraccur_2019-11"),
        register_2019=_nhs("epraccur_2019-11"),
        outlines=(CCG19, ICB23),
        era="ccg",
        description="January 2021 list sizes, September 2020 map, November 2019 register",
    ),
}
"""The snapshots this package knows, by name."""

DEFAULT_SNAPSHOT = "2025-04"


def get_snapshot(snapshot: str | Snapshot) -> Snapshot:
    """Return a snapshot by name (a :class:`Snapshot` is returned as is).

    Parameters
    ----------
    snapshot
        A name in :data:`SNAPSHOTS` (``"2025-04"``), or a :class:`Snapshot`.

    Raises
    ------
    ValidationError
        If the name is not one of :data:`SNAPSHOTS`.
    """
    if isinstance(snapshot, Snapshot):
        return snapshot
    if snapshot not in SNAPSHOTS:
        raise ValidationError(
            [Problem(f"unknown snapshot; known: {', '.join(SNAPSHOTS)}", "snapshot", "", snapshot)],
            context="cannot load practices",
        )
    return SNAPSHOTS[snapshot]


def locate_files(data_dir: str | Path, specs: Mapping[str, FileSpec]) -> dict[str, Path]:
    """Find each file in a data folder; report every missing one, and where it looked, at once.

    Parameters
    ----------
    data_dir
        The folder: official downloads side by side, or ``nhs/`` and ``geo/`` subfolders.
    specs
        Role -> how to find that file.

    Returns
    -------
    dict
        Role -> path found.

    Raises
    ------
    ValidationError
        Naming every missing file with the names and folders it tried.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise ValidationError(
            [Problem("is not a folder", source=str(root))], context="cannot find the data"
        )
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for role, spec in specs.items():
        path, tried = _locate(root, spec)
        if path is None:
            problems.append(
                Problem(
                    f"missing {role} file {spec.stem}; looked for {', '.join(tried)}",
                    source=str(root),
                    field=role,
                )
            )
        else:
            found[role] = path
            log.debug("%s: %s", role, path)
    if problems:
        raise ValidationError(problems, context=f"official files missing from {root}")
    return found


def _locate(root: Path, spec: FileSpec) -> tuple[Path | None, list[str]]:
    folders = [root, root / spec.folder]
    tried: list[str] = []
    candidates = [spec.stem + suffix for suffix in spec.suffixes]
    for pattern in (*candidates, *spec.plain):
        for folder in folders:
            tried.append(str(folder / pattern))
            for path in sorted(folder.glob(pattern)) if folder.is_dir() else ():
                if path.is_dir() == spec.directory or (spec.directory and path.suffix == ".zip"):
                    return path, tried
    if spec.directory:  # Code-Point Open unzipped straight into the data folder: Data/CSV/*.csv
        for folder in folders:
            tried.append(str(folder / "Data" / "CSV"))
            if any((folder / "Data" / "CSV").glob("*.csv")):
                return folder, tried
    return None, tried
