"""A file of candidate base sites (``--bases``): health centres, community hospitals.

A CSV with columns ``base_code`` (free text, unique, non-empty), ``base_name`` (free text; empty
means the code) and either ``latitude``/``longitude`` (degrees, EPSG:4326) or
``easting``/``northing`` (metres, British National Grid, EPSG:27700); or a GeoPackage (any
vector file GDAL reads) with ``base_code`` and ``base_name`` and a point geometry (reprojected
from its CRS). Validated like a sites CSV (:mod:`.sites`): every problem at once, each naming the
file, the row (the CSV's line, or the layer's feature number), the field and the value; a code
that a spreadsheet would run as a formula is refused; a site more than 5 km outside the UK is
refused.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.readers._csv import FORMULA_STARTS, decode, read_bytes
from mcp_geo.practices.readers.sites import _check_countries, _coordinates, _rows, _table

log = logging.getLogger(__name__)

BASE_COLUMNS = ("base_code", "base_name", "latitude", "longitude")
"""The columns of :func:`read_bases`' table."""
CONTEXT = "bases file"
VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


def read_bases(path: str | Path) -> pd.DataFrame:
    """Read a file of candidate base sites.

    Parameters
    ----------
    path
        A CSV, or a GeoPackage (or another vector file GDAL reads) of points.

    Returns
    -------
    pandas.DataFrame
        base_code, base_name, latitude, longitude (EPSG:4326, 6 decimals), sorted by code.

    Raises
    ------
    ValidationError
        Every problem of the file, each with its row and field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "bases.csv").write_text(
    ...     "base_code,base_name,latitude,longitude\\nHC1,Health centre,53.0,-2.18\\n")
    >>> read_bases(folder / "bases.csv").iloc[0].tolist()
    ['HC1', 'Health centre', 53.0, -2.18]
    """
    path = Path(path)
    problems: list[Problem] = []
    if path.suffix.lower() in VECTOR_SUFFIXES:
        raw, lon, lat, crs, name = _vector_rows(path, problems)
    else:
        raw, lon, lat, crs, name = _csv_rows(path, problems)
    problems += _code_problems(raw, name)
    placed = lon.notna() & lat.notna()
    bng = gpd.GeoSeries.from_xy(lon.fillna(0), lat.fillna(0), crs=crs).to_crs(27700)
    xy = ("longitude", "latitude") if crs == 4326 else ("easting", "northing")
    shown = raw.assign(**{xy[0]: lon.astype(str), xy[1]: lat.astype(str)})
    if placed.any():
        codes = raw["base_code"].str.strip()
        _check_countries(bng[placed], codes=codes, name=name, xy=xy, raw=shown, problems=problems)
    if problems:
        raise ValidationError(problems, context=CONTEXT)
    wgs = bng.to_crs(4326)
    codes = raw["base_code"].str.strip()
    names = raw["base_name"].fillna("").str.strip()
    table = pd.DataFrame(
        {
            "base_code": codes,
            "base_name": names.where(names != "", codes),
            "latitude": wgs.y.round(6).to_numpy(),
            "longitude": wgs.x.round(6).to_numpy(),
        }
    )
    log.info("%s: %d candidate base sites", name, len(table))
    return table.sort_values("base_code", kind="mergesort").reset_index(drop=True)


def _csv_rows(
    path: Path, problems: list[Problem]
) -> tuple[pd.DataFrame, pd.Series, pd.Series, int, str]:
    """The CSV's rows (indexed by line), its x and y as numbers (NaN where unusable: the
    problems go to ``problems``), their CRS and the file's name."""
    data, name = read_bytes(path)
    text, _encoding = decode(data, name=name)
    header, rows, lines = _rows(text, name)
    columns = [c.strip().lower() for c in header]
    header_problems = _header_problems(columns, name, positions=True)
    if header_problems:
        raise ValidationError(header_problems, context=CONTEXT)
    raw = _table(columns, rows, lines=lines, name=name, problems=problems)
    has_lat = {"latitude", "longitude"} <= set(columns)
    xy = ("longitude", "latitude") if has_lat else ("easting", "northing")
    numbers, placed = _coordinates(raw, xy=xy, name=name, problems=problems)
    x, y = numbers[xy[0]].where(placed), numbers[xy[1]].where(placed)
    return raw, x, y, 4326 if has_lat else 27700, name


def _vector_rows(
    path: Path, problems: list[Problem]
) -> tuple[pd.DataFrame, pd.Series, pd.Series, int, str]:
    """A vector layer's rows (indexed by feature number, from 1), its points' x and y in
    EPSG:27700 (NaN where not a point: the problems go to ``problems``) and the file's name."""
    name = path.name
    if not path.exists():
        raise ValidationError([Problem("file not found", source=str(path))], context=CONTEXT)
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # GDAL's errors have many types
        raise ValidationError(
            [Problem(f"cannot be read as a vector file ({exc})", source=name)], context=CONTEXT
        ) from None
    columns = [str(c).strip().lower() for c in layer.columns]
    layer.columns = columns
    header = _header_problems([c for c in columns if c != "geometry"], name, positions=False)
    if layer.crs is None:
        header.append(Problem("the layer has no coordinate reference system", source=name))
    if len(layer) == 0:
        header.append(Problem("has no features", source=name))
    if header:
        raise ValidationError(header, context=CONTEXT)
    layer.index = pd.RangeIndex(1, len(layer) + 1)
    bng = layer.geometry.to_crs(27700)
    point = bng.notna() & ~bng.is_empty & (bng.geom_type == "Point")
    for feature, geometry in layer.geometry[~point].items():
        kind = "no geometry" if geometry is None or geometry.is_empty else geometry.geom_type
        problems.append(
            Problem(
                "must be a point", source=f"{name}: feature {feature}", field="geometry", value=kind
            )
        )
    raw = pd.DataFrame(
        {c: layer[c].astype(str).where(layer[c].notna(), "") for c in ("base_code", "base_name")}
    )
    raw.index = pd.Index([f" feature {k}" for k in layer.index])
    points = bng.where(point, None)
    x = pd.Series([g.x if g is not None else float("nan") for g in points], index=raw.index)
    y = pd.Series([g.y if g is not None else float("nan") for g in points], index=raw.index)
    return raw, x, y, 27700, name


def _header_problems(columns: list[str], name: str, *, positions: bool) -> list[Problem]:
    problems: list[Problem] = []
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        problems.append(Problem(f"column {column!r} appears twice", source=name, value=columns))
    for column in ("base_code", "base_name"):
        if column not in columns:
            problems.append(Problem(f"missing column {column!r}", source=name, value=columns))
    if positions and not (
        {"latitude", "longitude"} <= set(columns) or {"easting", "northing"} <= set(columns)
    ):
        problems.append(
            Problem(
                "needs latitude and longitude, or easting and northing", source=name, value=columns
            )
        )
    return problems


def _code_problems(raw: pd.DataFrame, name: str) -> list[Problem]:
    """Empty, duplicated and formula-like codes, each with its row(s)."""
    problems: list[Problem] = []
    codes = raw["base_code"].str.strip()
    for row, value in raw["base_code"].items():
        where = f"{name}:{row}"
        if value.startswith(FORMULA_STARTS) or value.strip().startswith(FORMULA_STARTS):
            problems.append(
                Problem(
                    "must not start with =, +, -, @, a tab or a carriage return (a spreadsheet "
                    "would run it as a formula)",
                    source=where,
                    field="base_code",
                    value=value,
                )
            )
        elif not value.strip():
            problems.append(
                Problem("must not be empty", source=where, field="base_code", value=value)
            )
    repeated = codes[codes.duplicated(keep=False) & (codes != "")]
    for code, rows in repeated.groupby(repeated, sort=True):
        where = ", ".join(str(row).strip() for row in rows.index)
        problems.append(
            Problem(
                f"must be unique: the code is on rows {where}",
                source=name,
                field="base_code",
                value=code,
            )
        )
    return problems


__all__ = ["BASE_COLUMNS", "read_bases"]
