"""The national map: one clean tiling of England's hub territories for display, then the plan map.

Each footprint's hub territories tile that footprint, but two footprints' tilings do not share
vertices along their common border, so together they are not a valid polygon coverage (which
the map's drawing and dissolving need). For display only, the territories are simplified per
footprint, their boundaries noded together and polygonised, and each face given to the
territory that holds it; faces in no territory (slivers between footprints) are left out. The
published GeoPackage keeps the exact territories.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

DISPLAY_TOLERANCE_M = 250.0
"""Simplification of the national map's territories and PCNs, in metres."""


def display_coverage(layer: gpd.GeoDataFrame, *, group: str, id_column: str) -> gpd.GeoDataFrame:
    """``layer``'s polygons (EPSG:27700) as one valid coverage, simplified per ``group`` prefix.

    ``group`` names the separator of the id's prefix (``"-"``: ``QT6-H01`` is in ``QT6``).
    Rows whose polygon gets no face keep no geometry (None).

    Parameters
    ----------
    layer
        The hub territories of the national plan, in EPSG:27700.
    group
        The separator of the ids' footprint prefix.
    id_column
        The column of the ids.

    Returns
    -------
    geopandas.GeoDataFrame
        ``layer`` with the display polygons.
    """
    geometries = layer.geometry.to_numpy().copy()
    prefixes = layer[id_column].astype(str).str.split(group).str[0].to_numpy()
    for prefix in np.unique(prefixes):
        rows = prefixes == prefix
        geometries[rows] = shapely.coverage_simplify(geometries[rows], DISPLAY_TOLERANCE_M)
    lines = shapely.union_all(shapely.boundary(geometries))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    owner = np.full(len(faces), -1)
    face_rows, polygon_rows = shapely.STRtree(geometries).query(
        shapely.point_on_surface(faces), predicate="within"
    )
    owner[face_rows[::-1]] = polygon_rows[::-1]  # the first polygon holding a face keeps it
    tiles: list[Any] = []
    for row in range(len(geometries)):
        owned = faces[owner == row]
        tiles.append(shapely.coverage_union_all(owned) if len(owned) else None)
    log.info(
        "national map: %d territories from %d faces (%d slivers between footprints left out)",
        len(tiles),
        len(faces),
        int((owner < 0).sum()),
    )
    return gpd.GeoDataFrame(layer.drop(columns=layer.geometry.name), geometry=tiles, crs=layer.crs)


def write_national_map(plan: Plan, path: Path) -> Any:
    """Write the national plan's map (canvas, clustered practices, one display coverage).

    Parameters
    ----------
    plan
        The merged national plan.
    path
        The HTML file to write.

    Returns
    -------
    MapFile
        What :func:`mcp_geo.maps.render.write_map` wrote.
    """
    from mcp_geo.maps.render import MapOptions, write_map

    shown = display_coverage(plan.territories_hubs.to_crs(27700), group="-", id_column="hub_id")
    shown = shown[shown.geometry.notna()].reset_index(drop=True)
    display = dataclasses.replace(plan, territories_hubs=shown)
    with warnings.catch_warnings():
        # maps' for_display asks notna() of layers holding empty PCN cells (England has some);
        # geopandas warns that empties count as present there, which is what the map wants
        warnings.filterwarnings("ignore", "GeoSeries.notna", UserWarning)
        # the territories are simplified already; the tolerance here simplifies today's PCNs
        # (drawn from the practices' cells) as much, and removes next to nothing more from the
        # territories (all England: PCNs 1.06 -> 0.85 MB, territories 1.19 -> 1.18 MB)
        options = MapOptions(simplify_m=DISPLAY_TOLERANCE_M, canvas=True, cluster=True)
        return write_map(display, path, options=options)
