"""A CSV of the user's own sites: future list sizes, new sites, or a footprint of their own.

Columns: ``practice_code`` (free text, unique, non-empty), ``patients`` (whole number >= 0), and
either ``latitude``/``longitude`` (degrees, EPSG:4326) or ``easting``/``northing`` (metres, British
National Grid, EPSG:27700); ``practice_name``, ``postcode`` and ``pcn_code`` are optional. Every
problem is reported at once with its row and field.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.footprints import Footprint, FootprintSpec
from mcp_geo.practices.load import EXCLUDED_COLUMNS, PRACTICE_COLUMNS

# England's extent with a margin, in EPSG:27700 and EPSG:4326: a point outside is an error
_BNG_BOUNDS = (0.0, 0.0, 700_000.0, 700_000.0)
_WGS84_BOUNDS = (-7.0, 49.5, 2.5, 56.5)


def read_sites(path: str | Path) -> Footprint:
    """Read a sites CSV into a footprint of its own (no official outline; a buffered hull)."""
    path = Path(path)
    name = path.name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError([Problem("file not found", source=str(path))]) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValidationError([Problem(f"not a readable CSV: {exc}", source=name)]) from None
    raw.columns = [c.strip().lower() for c in raw.columns]
    problems: list[Problem] = []
    has_lat = {"latitude", "longitude"} <= set(raw.columns)
    has_bng = {"easting", "northing"} <= set(raw.columns)
    for column in ("practice_code", "patients"):
        if column not in raw.columns:
            problems.append(
                Problem(f"missing column {column!r}", source=name, value=list(raw.columns))
            )
    if not (has_lat or has_bng):
        problems.append(
            Problem(
                "needs latitude and longitude, or easting and northing",
                source=name,
                value=list(raw.columns),
            )
        )
    if problems:
        raise ValidationError(problems, context="sites file")
    if raw.empty:
        raise ValidationError([Problem("has no rows", source=name)], context="sites file")

    codes = raw["practice_code"].str.strip()
    for i, code in codes.items():
        row = f"{name}:{int(i) + 2}"
        if not code:
            problems.append(
                Problem("must not be empty", source=row, field="practice_code", value=code)
            )
    for code in sorted(codes[codes.duplicated() & (codes != "")].unique()):
        problems.append(Problem("must be unique", source=name, field="practice_code", value=code))
    patients = pd.to_numeric(raw["patients"].str.replace(",", ""), errors="coerce")
    for i, value in raw["patients"][patients.isna() | (patients < 0) | (patients % 1 != 0)].items():
        problems.append(
            Problem(
                "must be a whole number >= 0",
                source=f"{name}:{int(i) + 2}",
                field="patients",
                value=value,
            )
        )
    xy = ("longitude", "latitude") if has_lat else ("easting", "northing")
    bounds = _WGS84_BOUNDS if has_lat else _BNG_BOUNDS
    numbers = {}
    for axis, column in enumerate(xy):
        values = pd.to_numeric(raw[column], errors="coerce")
        low, high = bounds[axis], bounds[axis + 2]
        for i, value in raw[column][values.isna() | (values < low) | (values > high)].items():
            problems.append(
                Problem(
                    f"must be a number within England's extent [{low:g}, {high:g}]",
                    source=f"{name}:{int(i) + 2}",
                    field=column,
                    value=value,
                )
            )
        numbers[column] = values
    if problems:
        raise ValidationError(problems, context="sites file")

    crs = 4326 if has_lat else 27700
    points = gpd.GeoSeries.from_xy(numbers[xy[0]], numbers[xy[1]], crs=crs)
    bng = points.to_crs(27700)
    wgs = points.to_crs(4326)
    table = pd.DataFrame(
        {column: None for column in PRACTICE_COLUMNS if column != "geometry"}, index=raw.index
    )
    table["practice_code"] = codes
    table["practice_name"] = raw.get("practice_name", codes).str.strip()
    table["postcode"] = raw.get("postcode", pd.Series("", index=raw.index)).str.strip()
    table["patients"] = patients.astype(np.int64)
    if "pcn_code" in raw.columns:
        table["pcn_code"] = raw["pcn_code"].str.strip().replace("", None)
    table["easting"] = bng.x.round(1)
    table["northing"] = bng.y.round(1)
    table["latitude"] = wgs.y.round(6)
    table["longitude"] = wgs.x.round(6)
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
        exclusions=pd.DataFrame(columns=list(EXCLUDED_COLUMNS)),
        area_level=None,
        area_codes=(),
    )


__all__ = ["read_sites"]
