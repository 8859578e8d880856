"""The national map: one clean tiling of England's hub territories for display, then the plan map.

The merged national plan's hub territories are one tiling of the footprints' outlines (their
borders noded together, gaps between footprints filled: :mod:`mcp_geo.national._merge`). For
display only, they are simplified together, as one coverage, so that neighbours keep one shared
border and no sliver opens between footprints. The published GeoPackage keeps the exact
territories.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from mcp_geo.boundaries.tiling import join_footprints
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

DISPLAY_TOLERANCE_M = 250.0
"""Simplification of the national map's territories and PCNs, in metres."""


def display_coverage(layer: gpd.GeoDataFrame, *, id_column: str) -> gpd.GeoDataFrame:
    """``layer``'s polygons (EPSG:27700) as one valid coverage, simplified as a whole.

    The territories are joined into one tiling first
    (:func:`~mcp_geo.boundaries.tiling.join_footprints`: a merged national plan's already are),
    then simplified together, so that neighbours keep one shared border and no sliver opens
    between footprints. Rows without a polygon keep no geometry (None).

    Parameters
    ----------
    layer
        The hub territories of the national plan, in EPSG:27700.
    id_column
        The column of the ids.

    Returns
    -------
    geopandas.GeoDataFrame
        ``layer`` with the display polygons.
    """
    joined = join_footprints(layer).geometry.to_numpy()
    simplified = shapely.coverage_simplify(joined, DISPLAY_TOLERANCE_M)
    tiles: list[Any] = [None if g is None or g.is_empty else g for g in simplified]
    log.info(
        "national map: %d territories of %d drawn (%s)",
        sum(t is not None for t in tiles),
        len(tiles),
        id_column,
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

    shown = display_coverage(plan.territories_hubs.to_crs(27700), id_column="hub_id")
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
