"""Read the ONS boundary files: CCGs (April 2019), Sub-ICB locations and ICBs (April 2023), England.

The ONS Open Geography Portal writes GeoJSON in British National Grid with a ``crs`` member
(``EPSG:27700``), and shapefiles with a ``.prj``. Field names carry the year (``CCG19CD``,
``SICBL23NM``, ``ICB23CD``, ``CTRY22CD``); every reader here returns the same columns:

- ``code``: the ONS code (``E38000126``);
- ``name``: the official name (``NHS North Staffordshire CCG``);
- ``ods_code``: the ODS code where the name carries it (Sub-ICB names end in ``- 05G``), else
  ``None``;
- ``geometry``: polygons in EPSG:27700, repaired with ``make_valid`` where the file's are invalid
  (E38000154 NHS South Eastern Hampshire CCG is, in the April 2019 file).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)

BNG = 27700
"""British National Grid, the CRS of every area returned here."""

ENGLAND = "E92000001"

_CODE_FIELD = re.compile(r"^[A-Z]+\d{2}CD$", re.IGNORECASE)
_NAME_FIELD = re.compile(r"^[A-Z]+\d{2}NM$", re.IGNORECASE)
_ODS_SUFFIX = re.compile(r"\s-\s([0-9A-Z]{3,5})$")


def read_boundaries(path: str | Path, *, code_prefix: str | None = None) -> gpd.GeoDataFrame:
    """Read an ONS boundary file into ``code``, ``name``, ``ods_code`` and ``geometry``.

    Parameters
    ----------
    path
        A GeoJSON, shapefile, GeoPackage or a zip of one (any format GDAL reads).
    code_prefix
        If given, every code must start with it (``E38`` for CCGs and Sub-ICBs, ``E54`` for ICBs).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area, sorted by code, in EPSG:27700, with valid polygonal geometry.

    Raises
    ------
    ValidationError
        If the file cannot be read, has no ``..CD`` / ``..NM`` fields, no CRS, an empty
        geometry or (with ``code_prefix``) codes of another kind.
    """
    path = Path(path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError and others
        raise ValidationError(
            [Problem(f"cannot be read as a vector file ({exc})", source=str(path))],
            context="cannot read boundaries",
        ) from exc
    problems: list[Problem] = []
    code_field = next((c for c in frame.columns if _CODE_FIELD.match(str(c))), None)
    name_field = next((c for c in frame.columns if _NAME_FIELD.match(str(c))), None)
    fields = ", ".join(str(c) for c in frame.columns if c != "geometry")
    for field, kind in ((code_field, "code (like CCG19CD)"), (name_field, "name (like CCG19NM)")):
        if field is None:
            problems.append(Problem(f"no {kind} field; fields found: {fields}", source=path.name))
    if frame.crs is None:
        problems.append(Problem("the file declares no coordinate reference system", path.name))
    if problems:
        raise ValidationError(problems, context=f"unexpected boundary file {path.name}")
    out = gpd.GeoDataFrame(
        {
            "code": frame[code_field].astype(str).str.strip(),
            "name": frame[name_field].astype(str).str.strip(),
        },
        geometry=frame.geometry.to_crs(BNG),
        crs=BNG,
    )
    out["ods_code"] = [m.group(1) if (m := _ODS_SUFFIX.search(n)) else None for n in out["name"]]
    out = out[["code", "name", "ods_code", "geometry"]]
    empty = out.geometry.isna() | out.geometry.is_empty
    for code in out.loc[empty, "code"]:
        problems.append(Problem("empty geometry", source=path.name, field="code", value=code))
    if code_prefix is not None:
        for code in out.loc[~out["code"].str.startswith(code_prefix), "code"]:
            problems.append(
                Problem(f"code does not start with {code_prefix!r}", path.name, "code", code)
            )
    if problems:
        raise ValidationError(problems, context=f"bad boundaries in {path.name}")
    out["geometry"] = _repair(out, source=path.name)
    return out.sort_values("code", ignore_index=True)


def _repair(frame: gpd.GeoDataFrame, *, source: str) -> gpd.GeoSeries:
    geometry = frame.geometry.copy()
    invalid = ~geometry.is_valid
    for index in geometry.index[invalid]:
        fixed = shapely.make_valid(geometry[index])
        if fixed.geom_type == "GeometryCollection":  # keep the areas, drop stray lines/points
            fixed = shapely.union_all(
                [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            )
        log.info("%s: repaired the invalid geometry of %s", source, frame.loc[index, "code"])
        geometry[index] = fixed
    return geometry


def read_ccg_2019(path: str | Path) -> gpd.GeoDataFrame:
    """Read the CCG April 2019 boundaries (191 CCGs, codes ``E38...``)."""
    return read_boundaries(path, code_prefix="E38")


def read_sub_icb_2023(path: str | Path) -> gpd.GeoDataFrame:
    """Read the Sub-ICB location April 2023 boundaries (106, ``E38...``, ODS code in the name)."""
    return read_boundaries(path, code_prefix="E38")


def read_icb_2023(path: str | Path) -> gpd.GeoDataFrame:
    """Read the ICB April 2023 boundaries (42 ICBs, codes ``E54...``)."""
    return read_boundaries(path, code_prefix="E54")


def read_england(path: str | Path) -> gpd.GeoDataFrame:
    """Read England's outline from the ONS countries file (Countries December 2022 UK BUC).

    Parameters
    ----------
    path
        The ONS countries file, in any format :func:`read_boundaries` reads.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``code`` E92000001, ``name`` England, EPSG:27700.

    Raises
    ------
    ValidationError
        If the file has no England (E92000001) feature.
    """
    countries = read_boundaries(path)
    england = countries.loc[countries["code"] == ENGLAND].reset_index(drop=True)
    if england.empty:
        raise ValidationError(
            [
                Problem(
                    f"no feature with code {ENGLAND} (England)",
                    source=Path(path).name,
                    value=countries["code"].tolist(),
                )
            ],
            context="cannot read England's outline",
        )
    return england


def containing_areas(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 0.0,
) -> pd.DataFrame:
    """Return, for each point, the area whose polygon contains it.

    Parameters
    ----------
    points
        Points in any CRS (converted to the areas' CRS).
    areas
        Areas as returned by :func:`read_boundaries`.
    max_distance_m
        A point in no polygon (the generalised coastline cuts off a few coastal sites) takes
        the nearest area within this many metres; 0 means containment only.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``code``, ``name``, ``ods_code`` (missing where no area was
        found) and ``distance_m`` (0 inside a polygon, the distance to the nearest one for the
        fallback). A point on a shared border takes the area with the smaller code.
    """
    geometry = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geometry = geometry.to_crs(areas.crs)
    left = gpd.GeoDataFrame({"_point": range(len(geometry))}, geometry=geometry.values)
    right = areas[["code", "name", "ods_code", "geometry"]]
    inside = gpd.sjoin(left, right, how="inner", predicate="within")
    inside = inside.sort_values(["_point", "code"]).drop_duplicates("_point")
    result = pd.DataFrame(
        {"code": None, "name": None, "ods_code": None, "distance_m": float("nan")},
        index=range(len(geometry)),
    )
    result.loc[inside["_point"].to_numpy(), ["code", "name", "ods_code"]] = inside[
        ["code", "name", "ods_code"]
    ].to_numpy()
    result.loc[inside["_point"].to_numpy(), "distance_m"] = 0.0
    outside = left.loc[~left["_point"].isin(inside["_point"])]
    if max_distance_m > 0 and not outside.empty:
        near = gpd.sjoin_nearest(
            outside, right, how="inner", max_distance=max_distance_m, distance_col="distance_m"
        )
        near = near.sort_values(["_point", "distance_m", "code"]).drop_duplicates("_point")
        rows = near["_point"].to_numpy()
        result.loc[rows, ["code", "name", "ods_code", "distance_m"]] = near[
            ["code", "name", "ods_code", "distance_m"]
        ].to_numpy()
    result.index = geometry.index
    return result


def ccg19_for_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    ccg19: gpd.GeoDataFrame,
    max_distance_m: float = 5_000.0,
) -> pd.DataFrame:
    """Return the April 2019 CCG that contains each point (nearest within 5 km off the coast).

    Parameters
    ----------
    points
        The points (any CRS; a frame's geometry column).
    ccg19
        The April 2019 CCG boundaries (:func:`read_ccg_2019`).
    max_distance_m
        How far outside every CCG a point may lie and still take the nearest one (the coast).

    Returns
    -------
    pandas.DataFrame
        One row per point; see :func:`containing_areas` for the columns. ``code`` is the ONS code
        (E38...).
    """
    return containing_areas(points, ccg19, max_distance_m=max_distance_m)
