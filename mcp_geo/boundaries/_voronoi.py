"""Internals of the territories: CRS handling, polygon clean-up, Voronoi cells, label checks.

Everything here works in British National Grid (EPSG:27700), in metres.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)

BNG = "EPSG:27700"
EMPTY_POLYGON = Polygon()


def to_bng(
    data: gpd.GeoSeries | gpd.GeoDataFrame, *, source: str
) -> gpd.GeoSeries | gpd.GeoDataFrame:
    """Return ``data`` in EPSG:27700; a missing CRS is an error (we never guess one)."""
    if data.crs is None:
        raise ValidationError(
            [
                Problem(
                    "has no CRS; set one (EPSG:27700 for eastings/northings, EPSG:4326 for "
                    "longitude/latitude) before building territories",
                    source=source,
                )
            ]
        )
    if data.crs.equals(BNG):
        return data
    return data.to_crs(BNG)


def polygonal(geometry: BaseGeometry | None) -> Polygon | MultiPolygon:
    """Repair ``geometry`` (make_valid) and keep only its Polygon / MultiPolygon parts.

    Lines and points that overlay operations leave on shared edges have no area and are dropped;
    an input without any area gives an empty Polygon.
    """
    if geometry is None or geometry.is_empty:
        return EMPTY_POLYGON
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts: list[Polygon] = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            sub = polygonal(part)
            if not sub.is_empty:
                parts.extend(sub.geoms if isinstance(sub, MultiPolygon) else [sub])
    if not parts:
        return EMPTY_POLYGON
    if len(parts) == 1:
        return parts[0]
    return polygonal(shapely.union_all(parts))


def distinct_sites(xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Distinct site locations and, for each input row, the index of its site.

    Coordinates are compared after rounding to the millimetre, so the same postcode projected
    twice is one site; a site is placed at its first practice's coordinates, and sites are
    numbered in order of first appearance.
    """
    key = np.round(xy, 3)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # renumber the sites in order of first appearance (np.unique sorts by coordinates)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return xy[first[order]], rank[inverse]


def voronoi_cells(sites: NDArray[np.float64], *, outline: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell of each distinct site, clipped to ``outline``, in the order of ``sites``.

    One site owns the whole outline. Two sites, collinear sites and any other configuration go
    through GEOS (shapely.voronoi_polygons) with the diagram extended beyond the outline's
    envelope, so the cells cover the outline before clipping.
    """
    if len(sites) == 1:
        return [polygonal(outline)]
    minx, miny, maxx, maxy = outline.bounds
    sx0, sy0 = sites.min(axis=0)
    sx1, sy1 = sites.max(axis=0)
    pad = max(maxx - minx, maxy - miny, sx1 - sx0, sy1 - sy0, 1.0)
    frame = shapely.box(
        min(minx, sx0) - pad, min(miny, sy0) - pad, max(maxx, sx1) + pad, max(maxy, sy1) + pad
    )
    diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=frame, ordered=True)
    raw = list(shapely.get_parts(diagram))
    if len(raw) != len(sites):  # pragma: no cover - GEOS returns one cell per distinct site
        raise RuntimeError(f"GEOS returned {len(raw)} Voronoi cells for {len(sites)} sites")
    return [polygonal(shapely.intersection(cell, outline)) for cell in raw]


def point_labels(points: gpd.GeoSeries | gpd.GeoDataFrame) -> list[str]:
    if isinstance(points, gpd.GeoDataFrame) and "practice_code" in points.columns:
        return [str(code) for code in points["practice_code"]]
    return [str(label) for label in points.index]


def as_series(values: pd.Series | Mapping[str, object], *, name: str) -> pd.Series:
    series = (
        values.copy() if isinstance(values, pd.Series) else pd.Series(dict(values), dtype=object)
    )
    series.index = series.index.astype(str)
    series.name = name
    return series


def check_labels(codes: pd.Index, labels: pd.Series, patients: pd.Series | None) -> None:
    problems = []
    missing = sorted(set(codes) - set(labels.index))
    if missing:
        problems.append(
            Problem("practices with a cell but no group label", source="labels", value=missing)
        )
    extra = sorted(set(labels.index) - set(codes))
    if extra:
        problems.append(
            Problem("labels for practices that have no cell", source="labels", value=extra)
        )
    if labels.index.duplicated().any():
        problems.append(
            Problem(
                "a practice is labelled twice",
                source="labels",
                value=sorted(set(labels.index[labels.index.duplicated()])),
            )
        )
    nan = sorted(labels.index[labels.isna()])
    if nan:
        problems.append(Problem("group label is missing", source="labels", value=nan))
    if patients is not None:
        gone = sorted(set(codes) - set(patients.index))
        if gone:
            problems.append(
                Problem("practices without a patient count", source="patients", value=gone)
            )
        numbers = pd.to_numeric(patients, errors="coerce")
        bad = sorted(patients.index[~(numbers >= 0)])
        if bad:
            problems.append(
                Problem("patient counts must be numbers >= 0", source="patients", value=bad)
            )
    if problems:
        raise ValidationError(problems, context="territories")


def sort_key(value: object) -> tuple[int, object]:
    """Sort numbers numerically and everything else as text, numbers first."""
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))


def outline_problems(source: object, geometry: object) -> list[Problem]:
    """What is wrong with an Outline's ``source`` and ``geometry`` (empty when nothing)."""
    problems = []
    if source not in ("official", "buffered hull"):
        problems.append(
            Problem(
                "must be 'official' or 'buffered hull'",
                source="Outline",
                field="source",
                value=source,
            )
        )
    if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
        kind = getattr(geometry, "geom_type", type(geometry).__name__)
        problems.append(
            Problem(
                "must be a non-empty Polygon or MultiPolygon",
                source="Outline",
                field="geometry",
                value=kind,
            )
        )
    elif not geometry.is_valid:
        problems.append(
            Problem(
                "must be valid (repair it with shapely.make_valid)",
                source="Outline",
                field="geometry",
                value=shapely.is_valid_reason(geometry),
            )
        )
    return problems


def reach_outside_sites(
    area: Polygon | MultiPolygon, sites: NDArray[np.object_], labels: list[str], *, reach_m: float
) -> tuple[Polygon | MultiPolygon, list[str], float]:
    """Extend ``area`` to every site outside it by a corridor of half-width ``reach_m``.

    The corridor is the convex hull of a disc of radius ``reach_m`` around the site and one
    around the site's nearest point on ``area``, so the result stays connected. Returns the
    extended area, the labels of the sites reached and the largest distance (m) of one of them.
    """
    outside = ~shapely.covers(area, sites)
    corridors = []
    reached = []
    far = 0.0
    for site, label in zip(sites[outside], np.asarray(labels)[outside], strict=True):
        nearest = shapely.ops.nearest_points(area, site)[0]
        distance = float(site.distance(area))
        corridors.append(
            shapely.convex_hull(shapely.union(site.buffer(reach_m), nearest.buffer(reach_m)))
        )
        reached.append(str(label))
        far = max(far, distance)
        log.info("practice site %s lies %.0f m outside the official boundary", label, distance)
    if not corridors:
        return area, reached, far
    extended = polygonal(shapely.union_all([area, *corridors]))
    return _without_new_holes(extended, area), reached, far


def _without_new_holes(
    extended: Polygon | MultiPolygon, area: Polygon | MultiPolygon
) -> Polygon | MultiPolygon:
    """``extended`` with the holes that ``area`` lacks filled.

    A corridor to a site across an estuary's mouth encloses the water behind it: a hole in
    the outline that is in no territory (and shows as a gap on a map). Holes of ``area``
    itself are kept.
    """
    old_holes = shapely.union_all(
        [Polygon(ring) for part in shapely.get_parts(area) for ring in part.interiors]
    )
    parts = []
    for part in shapely.get_parts(extended):
        kept = [
            ring
            for ring in part.interiors
            if not old_holes.is_empty and Polygon(ring).buffer(-1e-3).within(old_holes)
        ]
        if len(kept) != len(part.interiors):
            log.info(
                "outline: %d hole(s) enclosed by corridors filled",
                len(part.interiors) - len(kept),
            )
        parts.append(Polygon(part.exterior, kept))
    return polygonal(shapely.union_all(parts))


def practice_problems(practices: gpd.GeoDataFrame) -> list[Problem]:
    """What is wrong with the practices given to practice_cells (empty when nothing)."""
    problems = []
    if "practice_code" not in practices.columns:
        problems.append(Problem("needs a 'practice_code' column", source="practices"))
    else:
        codes = practices["practice_code"].astype("string")
        blank = codes.isna() | (codes.str.strip() == "")
        problems.extend(
            Problem("practice code is empty", source=f"practices row {i}", field="practice_code")
            for i in np.flatnonzero(blank.to_numpy())
        )
        dup = sorted(set(codes[codes.duplicated() & ~blank]))
        if dup:
            problems.append(
                Problem(
                    "practice codes must be unique",
                    source="practices",
                    field="practice_code",
                    value=dup,
                )
            )
    if len(practices) == 0:
        problems.append(Problem("no practices given", source="practices"))
    elif not (practices.geometry.geom_type == "Point").all():
        problems.append(Problem("geometries must all be Points", source="practices"))
    return problems
