"""Display geometry for maps: simplified, rounded, coloured (never used for computation).

Territories are simplified together as one coverage (:func:`shapely.coverage_simplify`), so
neighbouring hubs keep one shared edge and no gaps open between them; MCP outlines and the
footprint outline are unions of the simplified hub territories, so every outline on the map
follows the same edges. Coordinates are rounded to 5 decimals (about 1 m).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from mcp_geo._errors import ValidationError
from mcp_geo.boundaries.territories import practice_cells, territories

log = logging.getLogger(__name__)

BNG = "EPSG:27700"
DECIMALS = 5

PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#86bcb6",
)
"""Fill colours of territories (Tableau 10, grey replaced); neighbours never share one."""


def _rounded(geometries: np.ndarray) -> np.ndarray:
    rounded: np.ndarray = shapely.transform(geometries, lambda xy: np.round(xy, DECIMALS))
    return rounded


def simplified_coverage(layer: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """The polygons of a tiling simplified together, in EPSG:27700 (empty ones kept empty)."""
    layer = layer.to_crs(BNG) if layer.crs is not None else layer.set_crs(BNG)
    geometries = layer.geometry.to_numpy()
    if tolerance_m > 0 and len(geometries):
        try:
            simplified = shapely.coverage_simplify(geometries, tolerance_m)
        except shapely.errors.GEOSException:  # not a valid coverage: simplify one by one
            log.warning("territories do not form a clean coverage; simplifying each alone")
            simplified = shapely.simplify(geometries, tolerance_m, preserve_topology=True)
        geometries = np.where(shapely.is_empty(geometries), geometries, simplified)
    return gpd.GeoDataFrame(layer.drop(columns=layer.geometry.name), geometry=geometries, crs=BNG)


def for_display(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in EPSG:4326 with rounded coordinates and no empty geometries."""
    geometries = layer.geometry.to_numpy()
    # shapely's own tests: geopandas' notna() warns about layers holding empty geometries
    layer = layer[~(shapely.is_missing(geometries) | shapely.is_empty(geometries))]
    out = layer.to_crs(4326)
    return out.set_geometry(_rounded(out.geometry.to_numpy()), crs=4326)


def dissolve_by(layer: gpd.GeoDataFrame, labels: pd.Series, name: str) -> gpd.GeoDataFrame:
    """Union of ``layer``'s polygons per label (``labels`` aligned with ``layer``'s rows)."""
    keep = labels.notna().to_numpy()
    groups: dict[str, list[object]] = {}
    for label, geometry in zip(labels[keep], layer.geometry.to_numpy()[keep], strict=True):
        groups.setdefault(str(label), []).append(geometry)
    ids = sorted(groups)
    return gpd.GeoDataFrame(
        {name: ids},
        geometry=[shapely.coverage_union_all(groups[i]) for i in ids],
        crs=layer.crs,
    )


def colour_groups(layer: gpd.GeoDataFrame, id_column: str) -> dict[str, str]:
    """A colour per polygon so that touching polygons differ (greedy, largest first)."""
    ids = [str(v) for v in layer[id_column]]
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    geometries = layer.geometry.to_numpy()
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    graph.add_edges_from((ids[i], ids[j]) for i, j in zip(left, right, strict=True) if i < j)
    # Greedy colouring, most neighbours first; among the colours no neighbour has, the least
    # used so far (so the whole palette is used, not just the first four colours).
    used = dict.fromkeys(range(len(PALETTE)), 0)
    colour: dict[str, int] = {}
    for node in sorted(graph.nodes, key=lambda n: (-graph.degree[n], n)):
        taken = {colour[n] for n in graph.neighbors(node) if n in colour}
        free = [c for c in used if c not in taken] or list(used)
        choice = min(free, key=lambda c: (used[c], c))
        colour[node] = choice
        used[choice] += 1
    return {i: PALETTE[colour[i]] for i in ids}


def pcn_territories(
    practices: gpd.GeoDataFrame, outline: shapely.Geometry
) -> gpd.GeoDataFrame | None:
    """Today's PCNs drawn like hubs: the union of their practices' cells (EPSG:27700).

    None when the practices carry no PCN or the cells cannot be drawn (logged).
    """
    return group_territories(practices, outline, column="pcn_code")


def group_territories(
    practices: gpd.GeoDataFrame,
    outline: shapely.Geometry,
    *,
    column: str,
    only_groups: bool = False,
) -> gpd.GeoDataFrame | None:
    """A grouping of the practices drawn like hubs: the union of each group's practices' cells
    (EPSG:27700), the group in ``column``; a practice without a group is a territory of its own
    (``no PCN: <code>``), or left out with ``only_groups``.

    None when no practice has a group or the cells cannot be drawn (logged).
    """
    from mcp_geo.boundaries.territories import Outline

    if column not in practices.columns or practices[column].isna().all():
        return None
    codes = practices["practice_code"].astype(str)
    group = practices[column].astype("string").str.strip()
    missing = (group.isna() | (group == "")).to_numpy()
    group = group.where(~missing, "no PCN: " + codes)
    try:
        cells = practice_cells(
            gpd.GeoDataFrame(
                {"practice_code": codes.to_numpy()},
                geometry=practices.geometry.to_numpy(),
                crs=practices.crs,
            ),
            outline=Outline(geometry=outline, source="official", description="plan territories"),
        )
        drawn = territories(
            cells,
            pd.Series(group.to_numpy(), index=codes.to_numpy()),
            patients=pd.Series(practices["patients"].to_numpy(), index=codes.to_numpy()),
        )
    except ValidationError as exc:
        log.warning("the groups of %s are not drawn: %s", column, exc)
        return None
    drawn = drawn.rename(columns={"group_id": column})
    if only_groups:
        alone = set(group[missing].astype(str))
        drawn = drawn[~drawn[column].astype(str).isin(alone)].reset_index(drop=True)
    return drawn
