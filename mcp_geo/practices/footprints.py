"""Footprints: which practices a plan covers.

A footprint is written the same way in the CLI, the API and scenario files (DESIGN.md, "Footprint
syntax"):

==========================  ==========================================================
form                        example
==========================  ==========================================================
built-in name               ``north-staffs``
organisation codes          ``ccg:05G,05W``, ``sub-icb:05G,05W``, ``stp:QNC``, ``icb:E54000010``
current ICBs                ``icb-2026:S9B9J,QNC`` (codes of the newest register, after April 2026)
2019 CCGs                   ``ccg19:09D,09H``
practice codes              ``practices:M83001,M83002``
an area                     ``polygon:area.gpkg`` (any vector file GDAL reads)
the nation                  ``england``
==========================  ==========================================================

Built-in footprints are defined by official codes and resolved in the data of each snapshot, so the
same name works on the CCG-era and the Sub-ICB-era files. The two Sussex footprints are defined by
each practice's April 2019 CCG (``ccg19_code``), since those CCGs no longer exist.

``icb-2026:CODE`` selects the practices whose current ICB, from the snapshot's newest register
(``icb_2026_code``, :mod:`mcp_geo.practices.current_icbs`), is ``CODE``. ``icb:CODE`` resolves
either kind of ICB code: an ICB of the list-size date (``icb_code``) first, else a current ICB. An
unchanged ICB keeps its code, so ``icb:QNC`` is the ICB of the list-size date (141 practices in
April 2025) and ``icb-2026:QNC`` its current membership (140: one practice moved to QOC).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from mcp_geo._errors import Problem, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd

    from mcp_geo.practices.load import PracticeData

Level = Literal["sub_icb", "icb", "icb_2026", "ccg19", "practices", "polygon", "england", "sites"]


@dataclass(frozen=True)
class BuiltinFootprint:
    """A named footprint the users asked for, defined by official ODS codes at one level."""

    name: str
    title: str
    level: Level
    codes: tuple[str, ...]
    about: str


BUILTIN_FOOTPRINTS: tuple[BuiltinFootprint, ...] = (
    BuiltinFootprint(
        "north-staffs",
        "North Staffordshire and Stoke-on-Trent",
        "sub_icb",
        ("05G", "05W"),
        "NHS North Staffordshire CCG (05G) + NHS Stoke on Trent CCG (05W); Sub-ICB locations "
        "with the same codes since 2022: the local MCP the GP federation backed",
    ),
    BuiltinFootprint(
        "staffs-stoke",
        "Staffordshire and Stoke-on-Trent",
        "icb",
        ("QNC",),
        "Staffordshire and Stoke-on-Trent STP / ICB (QNC, E54000010): CCGs 04Y, 05D, 05G, 05Q, 05V, 05W",
    ),
    BuiltinFootprint(
        "staffs-shropshire",
        "Staffordshire, Stoke, Shropshire, Telford and Wrekin",
        "icb",
        ("QNC", "QOC"),
        "QNC + Shropshire, Telford and Wrekin (QOC, E54000011): the STP-wide provider the North "
        'Staffordshire GPs called "huge and unwieldy"',
    ),
    BuiltinFootprint(
        "sussex-east-surrey",
        "Sussex and East Surrey (2017-2020)",
        "ccg19",
        ("09D", "09F", "09G", "09H", "09P", "99K", "09X", "09L"),
        "the seven Sussex CCGs of 2019 and East Surrey, by each practice's April 2019 CCG",
    ),
    BuiltinFootprint(
        "central-sussex-east-surrey",
        "Central Sussex and East Surrey",
        "ccg19",
        ("09D", "99K", "09X", "09H", "09L"),
        "Brighton and Hove, High Weald Lewes Havens, Horsham and Mid Sussex, Crawley and East Surrey "
        "(2019 CCGs): the Alliance's plan of 20 hubs for 778,000 people",
    ),
)
BUILTINS: dict[str, BuiltinFootprint] = {b.name: b for b in BUILTIN_FOOTPRINTS}

_PREFIXES: dict[str, Level] = {
    "ccg": "sub_icb",
    "sub-icb": "sub_icb",
    "subicb": "sub_icb",
    "stp": "icb",
    "icb": "icb",
    "icb-2026": "icb_2026",
    "ccg19": "ccg19",
    "practices": "practices",
    "polygon": "polygon",
}
_LEVEL_WORDS: dict[Level, str] = {
    "sub_icb": "sub-icb",
    "icb": "icb",
    "icb_2026": "current ICB (icb_2026_code, from the newest register)",
    "ccg19": "ccg19",
}
_ONS_CODE = re.compile(r"^E\d{8}$")


@dataclass(frozen=True)
class FootprintSpec:
    """A parsed footprint: its level, the codes (or file) that define it, and the text it came from."""

    text: str
    level: Level
    codes: tuple[str, ...] = ()
    path: Path | None = None
    builtin: BuiltinFootprint | None = None

    @property
    def name(self) -> str:
        return self.builtin.name if self.builtin else self.text


def parse_footprint(text: str) -> FootprintSpec:
    """Parse a footprint written in the footprint syntax; unknown names suggest the closest ones.

    Parameters
    ----------
    text
        A footprint in the syntax of the module docstring (``north-staffs``,
        ``sub-icb:05G,05W``, ``polygon:area.gpkg``, ``england``...).

    Returns
    -------
    FootprintSpec
        The level, the codes (upper case) or file, and the text it came from.

    Examples
    --------
    >>> parse_footprint("sub-icb:05G, 05w").codes
    ('05G', '05W')
    >>> parse_footprint("north-staffs").level
    'sub_icb'
    """
    raw = text.strip()
    if not raw:
        raise ValidationError([Problem("a footprint is required", source="footprint", value=text)])
    key = raw.lower()
    if key in BUILTINS:
        b = BUILTINS[key]
        return FootprintSpec(text=b.name, level=b.level, codes=b.codes, builtin=b)
    if key == "england":
        return FootprintSpec(text="england", level="england")
    prefix, sep, rest = raw.partition(":")
    if sep and prefix.lower() in _PREFIXES:
        level = _PREFIXES[prefix.lower()]
        if level == "polygon":
            path = Path(rest.strip()).expanduser()
            if not path.exists():
                raise ValidationError(
                    [Problem("polygon file not found", source="footprint", value=str(path))]
                )
            return FootprintSpec(text=raw, level="polygon", path=path)
        codes = tuple(dict.fromkeys(c.strip().upper() for c in rest.split(",") if c.strip()))
        if not codes:
            raise ValidationError(
                [Problem(f"no codes after {prefix}:", source="footprint", value=text)]
            )
        return FootprintSpec(text=raw, level=level, codes=codes)
    known = [*BUILTINS, "england"]
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValidationError(
        [
            Problem(
                f"unknown footprint{hint} Built-in names: {', '.join(known)}; or one of the forms "
                "ccg:/sub-icb:/stp:/icb:/icb-2026:/ccg19:/practices:/polygon:",
                source="footprint",
                value=text,
            )
        ]
    )


@dataclass(frozen=True)
class Footprint:
    """The practices a plan covers, with those of its area that the data had to exclude.

    ``practices`` is a subset of :attr:`PracticeData.practices` (same columns, sorted by code);
    ``exclusions`` the excluded practices whose organisation places them in the footprint;
    ``area_level`` and ``area_codes`` name the official areas (ONS codes) whose union is the
    footprint's outline, when it has one; ``notes`` says what a plan of it should report (sites
    outside England, for a sites file).
    """

    spec: FootprintSpec
    title: str
    practices: gpd.GeoDataFrame
    exclusions: pd.DataFrame
    area_level: Level | None
    area_codes: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def patients(self) -> int:
        return int(self.practices["patients"].sum())


def _org_mask(frame: pd.DataFrame, level: Level, codes: tuple[str, ...]) -> pd.Series:
    """Rows whose organisation at ``level`` has one of ``codes`` (ODS, or ONS E-codes)."""
    columns = {
        "sub_icb": ("sub_icb_code", "sub_icb_ons_code"),
        "icb": ("icb_code", "icb_ons_code"),
        "icb_2026": ("icb_2026_code",),
        "ccg19": ("ccg19_code", "ccg19_ons_code"),
    }[level]
    mask = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame.columns:
            mask |= frame[column].astype("string").str.upper().isin(codes).fillna(False)
    return mask


def _unknown_codes(frame: pd.DataFrame, level: Level, codes: tuple[str, ...]) -> list[str]:
    return [c for c in codes if not _org_mask(frame, level, (c,)).any()]


def select_footprint(data: PracticeData, footprint: str | FootprintSpec) -> Footprint:
    """Select the kept practices of a footprint from a snapshot's practices.

    Parameters
    ----------
    data
        A snapshot's practices and exclusions (:func:`mcp_geo.practices.load_practices`).
    footprint
        The footprint, as text in the footprint syntax or parsed (:func:`parse_footprint`).

    Returns
    -------
    Footprint
        The footprint's practices and exclusions, its title and the areas that define it.

    Raises
    ------
    ValidationError
        for codes that name no practice in this snapshot (each listed), and for a footprint with no
        practice left after exclusions.
    """
    spec = parse_footprint(footprint) if isinstance(footprint, str) else footprint
    practices = data.practices
    exclusions = data.exclusions
    title = spec.builtin.title if spec.builtin else spec.text
    area_level: Level | None = None
    area_codes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: list[Problem] = []

    if spec.level == "england":
        keep = pd.Series(True, index=practices.index)
        drop = pd.Series(True, index=exclusions.index)
        title = "England"
        area_level = "england"
    elif spec.level == "practices":
        keep = practices["practice_code"].str.upper().isin(spec.codes)
        drop = exclusions["practice_code"].str.upper().isin(spec.codes)
        found = set(practices.loc[keep, "practice_code"]) | set(
            exclusions.loc[drop, "practice_code"]
        )
        problems += [
            Problem("practice code not in this snapshot", source=spec.text, value=c)
            for c in spec.codes
            if c not in found
        ]
    elif spec.level == "polygon":
        keep = _within_polygon(practices, spec)
        drop = pd.Series(False, index=exclusions.index)
        area_level = "polygon"
    else:
        level = spec.level
        codes = spec.codes
        if level == "sub_icb" and not spec.builtin:
            # ccg:09F on a Sub-ICB-era snapshot: codes that no current org has are 2019 CCGs.
            unknown = _unknown_codes(practices, "sub_icb", codes)
            if (
                unknown
                and not _unknown_codes(practices, "ccg19", tuple(unknown))
                and len(unknown) == len(codes)
            ):
                level = "ccg19"
        everyone = pd.concat([practices, exclusions])
        unknown = _unknown_codes(everyone, level, codes)
        current: tuple[str, ...] = ()
        if level == "icb":
            # icb: an ICB of the list-size date first, else a current ICB (icb_2026_code)
            current = tuple(c for c in unknown if not _unknown_codes(everyone, "icb_2026", (c,)))
            unknown = [c for c in unknown if c not in current]
            if current and len(current) == len(codes):
                level = "icb_2026"
        keep = _org_mask(practices, level, codes) | _org_mask(practices, "icb_2026", current)
        drop = _org_mask(exclusions, level, codes) | _org_mask(exclusions, "icb_2026", current)
        problems += [
            Problem(
                f"no practice of this snapshot ({data.snapshot.name}) has this "
                f"{_LEVEL_WORDS[level]} code",
                source=spec.text,
                value=c,
            )
            for c in unknown
        ]
        area_level = level
        if level == "icb_2026":
            area_codes = tuple(sorted(codes))
        elif current:
            # old and current codes together: no one kind of official area is the footprint's
            area_level = None
            notes = (
                f"{', '.join(current)}: current ICB of the snapshot's newest register "
                f"(icb_2026_code), given with ICBs of the list-size date; the footprint has no "
                "official outline (write every code as icb-2026: for the current ICBs' outline)",
            )
        elif f"{level}_ons_code" in practices.columns:
            area_codes = tuple(sorted(practices.loc[keep, f"{level}_ons_code"].dropna().unique()))
    if not problems and not keep.any():
        problems.append(
            Problem("the footprint has no practices after exclusions", source=spec.text)
        )
    if problems:
        raise ValidationError(problems, context=f"footprint {spec.text!r}")
    selected = practices.loc[keep].sort_values("practice_code").reset_index(drop=True)
    excluded = exclusions.loc[drop].sort_values("practice_code").reset_index(drop=True)
    return Footprint(
        spec=spec,
        title=title,
        practices=selected,
        exclusions=excluded,
        area_level=area_level,
        area_codes=area_codes,
        notes=notes,
    )


def _within_polygon(practices: gpd.GeoDataFrame, spec: FootprintSpec) -> pd.Series:
    import geopandas as gpd

    assert spec.path is not None
    try:
        area = gpd.read_file(spec.path)
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise ValidationError(
            [Problem(f"cannot read the polygon file: {exc}", source=str(spec.path))]
        ) from exc
    problems = []
    if area.empty:
        problems.append(Problem("the polygon file has no features", source=str(spec.path)))
    if area.crs is None:
        problems.append(
            Problem("the polygon file has no coordinate reference system", source=str(spec.path))
        )
    if problems:
        raise ValidationError(problems)
    polygons = area[area.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise ValidationError(
            [
                Problem(
                    "the file holds no polygons",
                    source=str(spec.path),
                    value=sorted(set(area.geom_type)),
                )
            ]
        )
    shape = polygons.to_crs(practices.crs).union_all()
    return practices.within(shape) | practices.touches(shape)


def footprint_summary(data: PracticeData) -> pd.DataFrame:
    """Each built-in footprint with its kept practices, patients and excluded practices."""
    rows = []
    for builtin in BUILTIN_FOOTPRINTS:
        fp = select_footprint(data, builtin.name)
        rows.append(
            {
                "name": builtin.name,
                "title": builtin.title,
                "practices": len(fp.practices),
                "patients": fp.patients,
                "excluded": len(fp.exclusions),
            }
        )
    return pd.DataFrame(rows)
