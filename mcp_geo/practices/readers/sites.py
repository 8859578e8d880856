"""A CSV of the user's own sites: future list sizes, new sites, or a footprint of their own.

Columns: ``practice_code`` (free text, unique, non-empty), ``patients`` (a whole number from 0 to
1,000,000; 0 excludes the site, with its reason), and either ``latitude``/``longitude`` (degrees,
EPSG:4326) or ``easting``/``northing`` (metres, British National Grid, EPSG:27700);
``practice_name``, ``postcode`` and ``pcn_code`` are optional. Every problem is reported at once
with its row (the file's line) and field:

- a code that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is refused (a
  spreadsheet would run it as a formula when the plan's CSVs are opened);
- a column named twice is refused (pandas would silently rename the second ``patients.1``);
- a site more than 5 km outside the UK is refused; one in Scotland, Wales or Northern Ireland is
  planned, with a warning and a note on the footprint;
- the file is read as UTF-8 (with or without BOM), UTF-16 (with BOM) or Windows-1252 (with a
  warning); a zip archive or another binary file is named as such.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.areas import containing_areas
from mcp_geo.practices.footprints import Footprint, FootprintSpec
from mcp_geo.practices.load import EXCLUDED_COLUMNS, PRACTICE_COLUMNS
from mcp_geo.practices.readers._csv import FORMULA_STARTS, decode, exclusion, read_bytes
from mcp_geo.practices.readers.list_sizes import MAX_LIST_SIZE

log = logging.getLogger(__name__)

OUTSIDE_UK_KM = 5.0
"""A site further than this from the UK's outline is taken for a typing error."""
CODE_COLUMNS = ("practice_code", "pcn_code")
ENGLAND = "E92000001"

_WHOLE = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)(\.0*)?$")  # 1234, 1,234, 1234.0


def read_sites(path: str | Path) -> Footprint:
    """Read a sites CSV into a footprint of its own (no official outline; a buffered hull).

    Parameters
    ----------
    path
        The sites CSV (see the module docstring for its columns).

    Returns
    -------
    Footprint
        The sites as practices (those with no patients as exclusions), without an official
        outline.

    Raises
    ------
    ValidationError
        Listing every problem of the file with its line and field.
    """
    path = Path(path)
    name = path.name
    data, _ = read_bytes(path)
    text, _encoding = decode(data, name=name)
    header, rows, lines = _rows(text, name)
    columns = [c.strip().lower() for c in header]
    problems = _header_problems(columns, name)
    if problems:
        raise ValidationError(problems, context="sites file")
    raw = _table(columns, rows, lines=lines, name=name, problems=problems)
    has_lat = {"latitude", "longitude"} <= set(columns)
    codes = raw["practice_code"].str.strip()
    problems += _code_problems(raw, name)
    patients, zero = _patients(raw["patients"], name, problems)
    xy = ("longitude", "latitude") if has_lat else ("easting", "northing")
    numbers, placed = _coordinates(raw, xy=xy, name=name, problems=problems)
    bng = gpd.GeoSeries.from_xy(
        numbers[xy[0]], numbers[xy[1]], crs=4326 if has_lat else 27700
    ).to_crs(27700)
    notes = _check_countries(bng[placed], codes=codes, name=name, xy=xy, raw=raw, problems=problems)
    if problems:
        raise ValidationError(problems, context="sites file")
    wgs = bng.to_crs(4326)
    exclusions = _zero_exclusions(codes[zero], raw["patients"][zero], name)
    table = pd.DataFrame(
        {column: None for column in PRACTICE_COLUMNS if column != "geometry"}, index=raw.index
    )
    table["practice_code"] = codes
    table["practice_name"] = raw.get("practice_name", codes).str.strip()
    table["postcode"] = raw.get("postcode", pd.Series("", index=raw.index)).str.strip()
    table["patients"] = patients.astype(np.int64)
    if "pcn_code" in raw.columns:
        table["pcn_code"] = raw["pcn_code"].str.strip().replace("", None)
    table[list(AREA_COLUMNS)] = site_areas(bng)
    outside = int(table.loc[~zero, "sub_icb_code"].isna().sum())
    if outside:
        notes = (
            *notes,
            f"{outside} site{'s lie' if outside != 1 else ' lies'} outside every Sub-ICB outline "
            "shipped with mcp-geo: no Sub-ICB, ICB or 2019 CCG (the area rules count them as an "
            "area of their own)",
        )
    table["easting"] = bng.x.round(1)
    table["northing"] = bng.y.round(1)
    table["latitude"] = wgs.y.round(6)
    table["longitude"] = wgs.x.round(6)
    table = table.loc[~zero]
    if table.empty:
        raise ValidationError(
            [Problem("every site has 0 patients: nothing to plan", source=name)],
            context="sites file",
        )
    practices = gpd.GeoDataFrame(
        table,
        geometry=gpd.points_from_xy(table["longitude"], table["latitude"], crs=4326),
    )[list(PRACTICE_COLUMNS)]
    practices = practices.sort_values("practice_code").reset_index(drop=True)
    spec = FootprintSpec(text=str(path), level="sites", path=path)
    return Footprint(
        spec=spec,
        title=f"sites from {name}",
        practices=practices,
        exclusions=exclusions,
        area_level=None,
        area_codes=(),
        notes=notes,
    )


def _rows(text: str, name: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the non-blank rows and the line each row starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or all(not value.strip() for value in record):
                continue
            if not header:
                header = record
                continue
            rows.append(record)
            lines.append(line)
    except csv.Error as exc:
        raise ValidationError(
            [Problem(f"not a readable CSV ({exc})", source=f"{name}:{reader.line_num}")],
            context="sites file",
        ) from None
    if not header:
        raise ValidationError([Problem("the file is empty", source=name)], context="sites file")
    if not rows:
        raise ValidationError([Problem("has no rows", source=name)], context="sites file")
    return header, rows, lines


def _table(
    columns: list[str],
    rows: list[list[str]],
    *,
    lines: list[int],
    name: str,
    problems: list[Problem],
) -> pd.DataFrame:
    """The rows as text columns, indexed by line; short rows padded, long ones a problem."""
    raw = pd.DataFrame(
        [(row + [""] * len(columns))[: len(columns)] for row in rows], columns=columns, dtype=str
    )
    raw.index = pd.Index(lines)
    for line, row in zip(lines, rows, strict=True):
        if len(row) > len(columns):
            problems.append(
                Problem(
                    f"has {len(row)} fields, the header {len(columns)}",
                    source=f"{name}:{line}",
                    value=",".join(row),
                )
            )
    return raw


def _header_problems(columns: list[str], name: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, start=1):
        if column in seen:
            problems.append(
                Problem(
                    f"column {column!r} appears twice (columns {seen[column]} and {position})",
                    source=f"{name}:1",
                    value=columns,
                )
            )
        else:
            seen[column] = position
    for column in ("practice_code", "patients"):
        if column not in columns:
            problems.append(Problem(f"missing column {column!r}", source=name, value=columns))
    if not ({"latitude", "longitude"} <= set(columns) or {"easting", "northing"} <= set(columns)):
        problems.append(
            Problem(
                "needs latitude and longitude, or easting and northing", source=name, value=columns
            )
        )
    return problems


def _code_problems(raw: pd.DataFrame, name: str) -> list[Problem]:
    """Empty, duplicated and formula-like codes, each with its line(s)."""
    problems: list[Problem] = []
    for column in CODE_COLUMNS:
        if column not in raw.columns:
            continue
        for line, value in raw[column].items():
            if value.startswith(FORMULA_STARTS) or value.strip().startswith(FORMULA_STARTS):
                problems.append(
                    Problem(
                        "must not start with =, +, -, @, a tab or a carriage return (a "
                        "spreadsheet would run it as a formula)",
                        source=f"{name}:{line}",
                        field=column,
                        value=value,
                    )
                )
    codes = raw["practice_code"].str.strip()
    for line, code in codes.items():
        if not code:
            problems.append(
                Problem(
                    "must not be empty", source=f"{name}:{line}", field="practice_code", value=code
                )
            )
    repeated = codes[codes.duplicated(keep=False) & (codes != "")]
    for code, lines in repeated.groupby(repeated, sort=True):
        where = ", ".join(str(line) for line in lines.index)
        problems.append(
            Problem(
                f"must be unique: the code is on lines {where}",
                source=name,
                field="practice_code",
                value=code,
            )
        )
    return problems


def _patients(column: pd.Series, name: str, problems: list[Problem]) -> tuple[pd.Series, pd.Series]:
    """Patients as whole numbers, and the mask of zeros (excluded); bad values to ``problems``."""
    values = pd.Series(0, index=column.index, dtype=np.int64)
    for line, text in column.items():
        clean = text.strip()
        number = int(clean.split(".")[0].replace(",", "")) if _WHOLE.match(clean) else None
        if number is None or number > MAX_LIST_SIZE:
            problems.append(
                Problem(
                    f"must be a whole number from 0 to {MAX_LIST_SIZE:,} (the largest practice "
                    "in England has about 100,000 patients)",
                    source=f"{name}:{line}",
                    field="patients",
                    value=text,
                )
            )
        else:
            values[line] = number
    return values, values == 0


def _coordinates(
    raw: pd.DataFrame, *, xy: tuple[str, str], name: str, problems: list[Problem]
) -> tuple[dict[str, pd.Series], pd.Series]:
    """The coordinates as numbers, and the mask of rows where both are usable."""
    limits = {"longitude": 180.0, "latitude": 90.0}
    numbers: dict[str, pd.Series] = {}
    placed = pd.Series(True, index=raw.index)
    for column in xy:
        values = pd.to_numeric(raw[column].str.strip(), errors="coerce")
        bound = limits.get(column, math.inf)
        bad = values.isna() | ~np.isfinite(values) | (values.abs() > bound)
        what = f"in [-{bound:g}, {bound:g}]" if column in limits else "in metres"
        for line, value in raw[column][bad].items():
            problems.append(
                Problem(
                    f"must be a number {what}", source=f"{name}:{line}", field=column, value=value
                )
            )
        numbers[column] = values
        placed &= ~bad
    return numbers, placed


def _check_countries(
    bng: gpd.GeoSeries,
    *,
    codes: pd.Series,
    name: str,
    xy: tuple[str, str],
    raw: pd.DataFrame,
    problems: list[Problem],
) -> tuple[str, ...]:
    """Sites more than 5 km outside the UK go to ``problems``; those outside England are noted."""
    from mcp_geo.practices.bundled import load_bundled_countries

    countries = load_bundled_countries()
    points = gpd.GeoDataFrame({"line": bng.index}, geometry=bng.values, crs=27700)
    nearest = gpd.sjoin_nearest(points, countries, how="left", distance_col="metres")
    nearest = nearest.sort_values(["line", "metres", "code"]).drop_duplicates("line")
    nearest = nearest.set_index("line")
    notes: list[str] = []
    for line, row in nearest.iterrows():
        if row["metres"] > OUTSIDE_UK_KM * 1000:
            problems.append(
                Problem(
                    f"the site is {row['metres'] / 1000:,.1f} km outside the UK (sites must lie "
                    f"within {OUTSIDE_UK_KM:g} km of it)",
                    source=f"{name}:{line}",
                    field=f"{xy[0]}, {xy[1]}",
                    value=f"{raw.at[line, xy[0]].strip()}, {raw.at[line, xy[1]].strip()}",
                )
            )
        elif row["code"] != ENGLAND:
            notes.append(
                f"{codes[line]} ({name}:{line}) is in {row['name']}, outside England: planned "
                "like the others, but the official data (PCNs, outlines) are England's"
            )
    if not problems:
        for note in notes:
            log.warning("%s", note)
    return tuple(notes)


AREA_COLUMNS = (
    "sub_icb_code", "sub_icb_ons_code", "sub_icb_name", "icb_code", "icb_ons_code", "icb_name",
    "ccg19_code", "ccg19_name",
)  # fmt: skip
"""The practice columns a site's areas fill (:func:`site_areas`)."""
AREA_SNAP_M = 500.0
"""A site this close outside every outline (the generalised coastline) takes the nearest area."""


@cache
def _outlines() -> gpd.GeoDataFrame:
    from mcp_geo.practices.bundled import load_bundled_areas

    areas = load_bundled_areas().areas
    ods = areas["name"].str.extract(r"\s-\s([0-9A-Z]{3,5})$")[0]
    return areas.assign(ods_code=ods.where(ods.notna(), None))


def site_areas(points: gpd.GeoSeries) -> pd.DataFrame:
    """Each site's Sub-ICB (April 2023), ICB (April 2023) and CCG (April 2019), by the outlines
    shipped with mcp-geo: the polygon that contains it, or the nearest within 500 m.

    A level's code is the ODS code where the outline's name carries one (Sub-ICB names end in
    ``- 05G``), else the ONS code (``E54000010``, ``E38000126``); a site outside every outline
    has none.

    Parameters
    ----------
    points
        The sites (any CRS).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``, columns :data:`AREA_COLUMNS`.
    """
    areas = _outlines()
    out = pd.DataFrame(index=points.index, columns=list(AREA_COLUMNS), dtype=object)
    for level, prefix in (("sub_icb", "sub_icb"), ("icb", "icb"), ("ccg19", "ccg19")):
        found = containing_areas(
            points, areas.loc[areas["level"] == level], max_distance_m=AREA_SNAP_M
        )
        code = found["ods_code"].where(found["ods_code"].notna(), found["code"])
        out[f"{prefix}_code"] = code.where(code.notna(), None)
        out[f"{prefix}_name"] = found["name"].where(found["name"].notna(), None)
        if f"{prefix}_ons_code" in out.columns:
            out[f"{prefix}_ons_code"] = found["code"].where(found["code"].notna(), None)
    return out


def _zero_exclusions(codes: pd.Series, texts: pd.Series, name: str) -> pd.DataFrame:
    """Sites with 0 patients, excluded like the official reader's zero list sizes."""
    rows = [
        exclusion(
            code,
            reason="zero_patients",
            source=f"{name}:{line}",
            detail=f"field 'patients' is zero: {text!r}",
        )
        for (line, code), text in zip(codes.items(), texts, strict=True)
    ]
    table = pd.DataFrame(rows, columns=["practice_code", "reason", "source", "detail"])
    for column in EXCLUDED_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    return table[list(EXCLUDED_COLUMNS)].astype(str)


__all__ = ["read_sites", "site_areas"]
