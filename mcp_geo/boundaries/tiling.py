"""Territories as a tiling: how a plan's came out, and several footprints' joined into one.

:func:`territory_facts` gives report.json's ``territories`` block (:class:`TerritoryFacts`);
:func:`join_footprints` makes the territories of a national plan's footprints one tiling of the
union of their outlines (:mod:`mcp_geo.national`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mcp_geo.boundaries._pieces import MIN_PIECE_M2, join_tilings
from mcp_geo.boundaries._voronoi import BNG, to_bng

__all__ = ["TerritoryFacts", "join_footprints", "territory_facts"]


@dataclass(frozen=True)
class TerritoryFacts:
    """How a plan's hub territories came out: report.json's ``territories``.

    Attributes
    ----------
    territories
        Hubs with a non-empty territory.
    without_territory
        Ids of hubs without one (none, when the territories were drawn by this version).
    in_pieces
        Ids of hubs whose territory is in more than one polygon (their practices interleave
        with another hub's, or a piece is an island).
    pieces
        Polygons of all the territories.
    slivers_merged
        Pieces merged into a neighbour (pieces holding none of the hub's practices, slivers
        below ``min_piece_km2`` and, in a national plan, gaps between footprints).
    smallest_km2
        Area of the smallest territory (km², 4 decimals: 100 m²; None without territories).
    smallest_piece_km2
        Area of the smallest polygon of any territory.
    min_piece_km2
        The smallest piece kept apart (:data:`MIN_PIECE_M2` in km²).
    """

    territories: int
    without_territory: tuple[str, ...]
    in_pieces: tuple[str, ...]
    pieces: int
    slivers_merged: int
    smallest_km2: float | None
    smallest_piece_km2: float | None
    min_piece_km2: float = MIN_PIECE_M2 / 1e6

    def to_dict(self) -> dict[str, object]:
        """report.json's ``territories``."""
        return {
            "territories": self.territories,
            "without_territory": list(self.without_territory),
            "in_pieces": len(self.in_pieces),
            "hubs_in_pieces": list(self.in_pieces),
            "pieces": self.pieces,
            "slivers_merged": self.slivers_merged,
            "smallest_km2": self.smallest_km2,
            "smallest_piece_km2": self.smallest_piece_km2,
            "min_piece_km2": self.min_piece_km2,
        }


def territory_facts(layer: gpd.GeoDataFrame, *, id_column: str = "hub_id") -> TerritoryFacts:
    """What :class:`TerritoryFacts` says of a layer of territories.

    Parameters
    ----------
    layer
        Territories (``id_column``, optionally ``absorbed``, polygons in any set CRS).
    id_column
        The column of the ids.

    Returns
    -------
    TerritoryFacts
        Areas in EPSG:27700.
    """
    shapes = to_bng(layer, source="layer").geometry.to_numpy()
    ids = [str(v) for v in layer[id_column]]
    empty = np.asarray([g is None or g.is_empty for g in shapes], dtype=bool)
    counts = np.where(empty, 0, shapely.get_num_geometries(shapes))
    areas = [float(g.area) for g, e in zip(shapes, empty, strict=True) if not e]
    parts = [
        float(p.area)
        for g, e in zip(shapes, empty, strict=True)
        if not e
        for p in shapely.get_parts(g)
    ]
    merged = (
        int(pd.to_numeric(layer["absorbed"], errors="coerce").fillna(0).sum())
        if "absorbed" in layer.columns
        else 0
    )
    return TerritoryFacts(
        territories=int((~empty).sum()),
        without_territory=tuple(i for i, e in zip(ids, empty, strict=True) if e),
        in_pieces=tuple(i for i, c in zip(ids, counts, strict=True) if c > 1),
        pieces=int(counts.sum()),
        slivers_merged=merged,
        smallest_km2=round(min(areas) / 1e6, 4) if areas else None,
        smallest_piece_km2=round(min(parts) / 1e6, 4) if parts else None,
    )


def join_footprints(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Several footprints' territories as one tiling of the union of their outlines.

    Each footprint's territories tile its own outline, but two outlines need not meet exactly
    (their borders are noded differently, an outline extended to reach a practice overlaps
    its neighbour, and reprojection moves points on a border by micrometres). The borders are
    noded together; where territories overlap, the first row keeps the overlap; a gap between
    them nowhere wider than 100 m (:data:`~mcp_geo.boundaries._pieces.GAP_HALF_WIDTH_M` on each
    side) goes to the territory it shares the longest border with. Wider holes (a footprint
    not planned) stay out.

    Parameters
    ----------
    layer
        The territories (polygons in any set CRS), ordered by precedence, with optional
        ``absorbed`` and ``note`` columns.

    Returns
    -------
    geopandas.GeoDataFrame
        ``layer`` in EPSG:27700 with its polygons joined into one valid coverage, ``pieces``
        counted again and the gaps filled added to ``absorbed``.
    """
    layer = to_bng(layer, source="layer")
    joined, filled = join_tilings(layer.geometry.to_numpy())
    out = layer.copy()
    out = out.set_geometry(gpd.GeoSeries(joined, index=layer.index, crs=BNG))
    out["pieces"] = [0 if g.is_empty else int(shapely.get_num_geometries(g)) for g in joined]
    before = (
        pd.to_numeric(out["absorbed"], errors="coerce").fillna(0).astype(int)
        if "absorbed" in out.columns
        else pd.Series(0, index=out.index)
    )
    out["absorbed"] = (before + pd.Series(filled, index=out.index)).astype(int)
    return out
