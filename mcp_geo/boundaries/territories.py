"""Hub and MCP territories: Voronoi cells of practice sites, clipped to the footprint's outline.

The pipeline is

1. :func:`footprint_outline`: the area the territories share: the official boundary of the
   footprint where the data has one (extended to reach any practice that lies just outside the
   generalised coastline), otherwise the buffered convex hull of the practice sites;
2. :func:`practice_cells`: one Voronoi cell per distinct site, clipped to the outline; practices
   at the same coordinates share one cell;
3. :func:`territories`: cells dissolved per group (a hub, an MCP, a PCN), shared cells cut and
   loose pieces merged; and
   :func:`merge_territories`: hub territories dissolved per MCP, so that an MCP's territory is
   exactly the union of its hubs' territories.

Everything is computed in British National Grid (EPSG:27700), where areas are in m²;
:func:`to_wgs84` converts a layer for publication (EPSG:4326), as DESIGN.md asks.

The territories of a grouping tile the outline: their union is the outline and two territories
meet only along edges. Every group has a territory: when practices at one site belong to
different groups, the site's cell is cut into sectors between them; pieces of a territory that
hold none of its practices, and slivers below :data:`MIN_PIECE_M2` (0.01 km²), are merged into
the neighbour they share the longest border with (see :func:`territories`).
:mod:`mcp_geo.boundaries.tiling` says how they came out and joins footprints' tilings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries._pieces import (
    MIN_PIECE_M2,
    TOUCH_M,
    cut_shared_cells,
    join_tilings,
    merge_loose_pieces,
)
from mcp_geo.boundaries._voronoi import (
    BNG,
    as_series,
    check_labels,
    distinct_sites,
    outline_problems,
    point_labels,
    polygonal,
    practice_problems,
    reach_outside_sites,
    sort_key,
    to_bng,
    voronoi_cells,
)

log = logging.getLogger(__name__)

__all__ = [
    "MIN_PIECE_M2",
    "Outline",
    "footprint_outline",
    "merge_territories",
    "practice_cells",
    "territories",
    "to_wgs84",
]

OutlineSource = Literal["official", "buffered hull"]


@dataclass(frozen=True)
class Outline:
    """The area a footprint's territories tile, in EPSG:27700.

    Attributes
    ----------
    geometry
        A valid, non-empty Polygon or MultiPolygon in British National Grid metres.
    source
        ``"official"`` (a union of official boundary polygons) or ``"buffered hull"``.
    description
        One sentence for reports: where the outline came from and how it was adjusted.
    extended_to
        Labels of the practice sites outside the official boundary that the outline was
        extended to reach (empty for a buffered hull).
    """

    geometry: Polygon | MultiPolygon
    source: OutlineSource
    description: str
    extended_to: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        problems = outline_problems(self.source, self.geometry)
        if problems:
            raise ValidationError(problems, context="Outline")

    @property
    def crs(self) -> str:
        """The CRS of :attr:`geometry`: always ``"EPSG:27700"``."""
        return BNG


def footprint_outline(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    official: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    hull_buffer_m: float = 5_000,
    reach_m: float = 500,
) -> Outline:
    """The outline a footprint's territories tile.

    Parameters
    ----------
    points
        The practice sites (Point geometries, any CRS that is set; converted to EPSG:27700).
        Labelled by a ``practice_code`` column if there is one, else by the index.
    official
        The footprint's official boundary polygons (CCG, Sub-ICB or ICB): a GeoSeries or
        GeoDataFrame with its CRS set, or a shapely geometry taken to be in EPSG:27700. ``None``
        when the data has no boundary for the footprint.
    hull_buffer_m
        Without ``official``: the convex hull of the sites is buffered by this many metres (> 0).
    reach_m
        With ``official``: a site outside the official union (a few real practices lie just
        beyond the generalised coastline) is joined to it by a corridor of this half-width in
        metres (the convex hull of a disc around the site and a disc around its nearest point on
        the boundary), so every site lies inside the outline and the outline stays connected;
        water a corridor encloses (across an estuary's mouth) is filled, so the outline has no
        hole the official boundary lacks.

    Returns
    -------
    Outline
        ``source`` is ``"official"`` or ``"buffered hull"``; ``description`` says which boundary
        was used and names the sites it was extended to reach.

    Raises
    ------
    ValidationError
        No sites, sites that are not points, a missing CRS, an empty or non-polygonal official
        boundary, or a buffer that is not a positive finite number.
    """
    problems = []
    for name, value in (("hull_buffer_m", hull_buffer_m), ("reach_m", reach_m)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            problems.append(
                Problem("must be a positive number of metres", source=name, value=value)
            )
    if len(points) == 0:
        problems.append(Problem("no practice sites given", source="points"))
    elif not (points.geometry.geom_type == "Point").all():
        bad = sorted(set(points.geometry.geom_type[points.geometry.geom_type != "Point"]))
        problems.append(Problem("must all be Point geometries", source="points", value=bad))
    if problems:
        raise ValidationError(problems, context="footprint_outline")
    sites = to_bng(points, source="points").geometry
    labels = point_labels(points)

    if official is None:
        hull = shapely.convex_hull(shapely.union_all(sites.to_numpy()))
        geometry = polygonal(hull.buffer(hull_buffer_m))
        description = (
            f"convex hull of {len(sites)} practice sites buffered by {hull_buffer_m:g} m "
            "(no official boundary)"
        )
        return Outline(geometry=geometry, source="buffered hull", description=description)

    if isinstance(official, gpd.GeoDataFrame | gpd.GeoSeries):
        parts = to_bng(official, source="official").geometry.to_numpy()
        count = len(parts)
        official_union = polygonal(shapely.union_all([polygonal(g) for g in parts]))
    else:
        count = 1
        official_union = polygonal(official)
    if official_union.is_empty:
        raise ValidationError(
            [
                Problem(
                    "has no polygon area",
                    source="official",
                    value=getattr(official, "geom_type", type(official).__name__),
                )
            ],
            context="footprint_outline",
        )
    geometry, reached, far = reach_outside_sites(
        official_union, sites.to_numpy(), labels, reach_m=reach_m
    )
    description = f"official boundary ({count} polygon{'s' if count != 1 else ''})"
    if reached:
        description += (
            f", extended by {reach_m:g} m corridors to {len(reached)} practice "
            f"site{'s' if len(reached) != 1 else ''} outside it (up to {far:.0f} m away: "
            f"{', '.join(reached)})"
        )
    return Outline(
        geometry=geometry, source="official", description=description, extended_to=tuple(reached)
    )


def practice_cells(practices: gpd.GeoDataFrame, *, outline: Outline) -> gpd.GeoDataFrame:
    """One Voronoi cell per practice site, clipped to the outline.

    Parameters
    ----------
    practices
        A ``practice_code`` column (unique, non-empty) and Point geometries in any set CRS
        (converted to EPSG:27700).
    outline
        From :func:`footprint_outline`; it must cover every site.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per practice, in the input order: ``practice_code``, ``cell_id``, ``site_x``
        and ``site_y`` (the site's easting and northing) and ``geometry`` (EPSG:27700).
        Practices at the same coordinates (compared to the millimetre in EPSG:27700: in
        practice, the same postcode) share one cell: the same geometry and the same
        ``cell_id``. Cells are numbered 0, 1, ... in order of their sites' first practice in
        the input. The cells of distinct sites tile the outline.

    Raises
    ------
    ValidationError
        Missing or duplicate codes, non-point geometries, no CRS, or sites outside the outline.
    """
    problems = practice_problems(practices)
    if problems:
        raise ValidationError(problems, context="practice_cells")

    sites_gdf = to_bng(practices, source="practices")
    xy = shapely.get_coordinates(sites_gdf.geometry.to_numpy())
    sites, site_of = distinct_sites(xy)
    shape = outline.geometry
    inside = shapely.dwithin(shape, shapely.points(sites), 1e-3)
    if not inside.all():
        codes = sites_gdf["practice_code"].astype(str).to_numpy()
        outside = [
            Problem(
                f"site ({sites[s][0]:.0f}, {sites[s][1]:.0f}) lies "
                f"{shapely.distance(shape, shapely.points(sites[s])):.0f} m outside the outline "
                f"({outline.description}); build the outline with footprint_outline(practices)",
                source=f"practice {code}",
            )
            for s in np.flatnonzero(~inside)
            for code in codes[site_of == s]
        ]
        raise ValidationError(outside, context="practice_cells")
    cells = voronoi_cells(sites, outline=shape)
    log.debug("%d practices, %d distinct sites", len(practices), len(sites))
    return gpd.GeoDataFrame(
        {
            "practice_code": sites_gdf["practice_code"].astype(str).to_numpy(),
            "cell_id": site_of.astype(np.int64),
            "site_x": sites[site_of, 0],
            "site_y": sites[site_of, 1],
        },
        geometry=[cells[s] for s in site_of],
        crs=BNG,
    )


def territories(
    cells: gpd.GeoDataFrame,
    labels: pd.Series | Mapping[str, object],
    *,
    patients: pd.Series | Mapping[str, float] | None = None,
    min_piece_m2: float = MIN_PIECE_M2,
) -> gpd.GeoDataFrame:
    """Dissolve practice cells into one territory per group (hub, MCP, PCN).

    Parameters
    ----------
    cells
        From :func:`practice_cells`: ``practice_code``, ``cell_id``, ``site_x``, ``site_y``,
        geometry (EPSG:27700 or any set CRS; converted).
    labels
        The group of every practice of ``cells`` (a Series indexed by practice code, or a
        mapping); a label for a practice without a cell, or a practice without a label, is an
        error.
    patients
        List sizes by practice code, used only when practices of different groups share a site.
        ``None`` counts every practice as 1.
    min_piece_m2
        The smallest piece of a territory kept apart (m²; :data:`MIN_PIECE_M2`, 0.01 km²).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per group, sorted by group id (numbers numerically, then text):
        ``group_id``, ``practices`` (how many practices carry the label), ``cells`` (how many
        cells hold its practices, whole or in part), ``pieces`` (polygons of the territory),
        ``absorbed`` (pieces of other territories merged into it), ``note`` (empty, or what was
        shared, given or taken) and ``geometry`` (EPSG:27700, a valid, non-empty Polygon or
        MultiPolygon).

    Notes
    -----
    Every group gets a territory, and the territories tile the outline the cells tile:

    1. A cell whose site holds practices of several groups (two practices at one postcode in
       different hubs) is cut into sectors around the site, one per group, anticlockwise from
       due east in the order of the group ids, each with the group's share of the site's
       patients as its share of the cell's area (practices when ``patients`` is None or a
       group has no patients there). Each sector touches the site.
    2. Pieces of a territory that hold none of its practices (sectors or cells cut off by a
       bend of the outline, interleaved groups), and pieces smaller than ``min_piece_m2``, go
       to the neighbour whose boundary they share the longest, smallest first, until none is
       left; a group always keeps its largest piece holding one of its practices, and a piece
       touching no other territory (an island) stays.

    What remains in several pieces holds practices of the group in each piece (its practices
    interleave with another group's), or is an island. The borders are noded together on a
    1 mm grid (snap rounding), so that the territories stay valid when published in EPSG:4326.

    Raises
    ------
    ValidationError
        Labels that do not match the cells' practices one to one, missing labels, or missing or
        negative patient counts.
    """
    needed = {"practice_code", "cell_id", "site_x", "site_y"} - set(cells.columns)
    if needed:
        raise ValidationError(
            [
                Problem(
                    "missing columns (make cells with practice_cells)",
                    source="cells",
                    value=sorted(needed),
                )
            ],
            context="territories",
        )
    cells = to_bng(cells, source="cells")
    label_series = as_series(labels, name="group_id")
    patient_series = None if patients is None else as_series(patients, name="patients")
    codes = pd.Index(cells["practice_code"].astype(str))
    check_labels(codes, label_series, patient_series)

    table = pd.DataFrame(
        {
            "practice_code": codes,
            "cell_id": cells["cell_id"].to_numpy(),
            "x": cells["site_x"].to_numpy(dtype=float),
            "y": cells["site_y"].to_numpy(dtype=float),
        }
    )
    table["group_id"] = label_series.reindex(codes).to_numpy()
    table["weight"] = (
        1.0
        if patient_series is None
        else pd.to_numeric(patient_series.reindex(codes)).to_numpy(dtype=float)
    )
    geometry_of_cell = dict(zip(table["cell_id"], cells.geometry.to_numpy(), strict=True))
    groups = sorted(table["group_id"].unique(), key=sort_key)
    site_points = {
        g: shapely.points(member[["x", "y"]].to_numpy())
        for g, member in table.groupby("group_id", sort=False)
    }
    counts = table.groupby("group_id", sort=False).size()
    cell_counts = table.groupby("group_id", sort=False)["cell_id"].nunique()
    pieces, notes = cut_shared_cells(
        table, geometry_of_cell, groups=groups, by_patients=patient_series is not None
    )
    # cutting a cell adds vertices to its edges that its neighbours lack: node the borders
    # together, so that specks between territories (nanometres wide) go to a neighbour
    dissolved, _ = join_tilings(
        [polygonal(shapely.union_all(pieces[g])) for g in groups], gap_half_width_m=TOUCH_M
    )
    merged, moves = merge_loose_pieces(
        dissolved, sites=[site_points[g] for g in groups], min_area_m2=min_piece_m2
    )
    absorbed = [0] * len(groups)
    for move in moves:
        absorbed[move.target] += 1
        notes[groups[move.source]].append(
            f"gave a piece of {move.piece.area / 1e6:.4f} km² ({move.why}) to "
            f"{groups[move.target]!s}"
        )
        log.info(
            "territories: a piece of %s (%.0f m², %s) goes to %s",
            groups[move.source],
            move.piece.area,
            move.why,
            groups[move.target],
        )
    rows = [
        {
            "group_id": group,
            "practices": int(counts[group]),
            "cells": int(cell_counts[group]),
            "pieces": int(shapely.get_num_geometries(geometry)) if not geometry.is_empty else 0,
            "absorbed": absorbed[i],
            "note": "; ".join(notes[group]),
            "geometry": geometry,
        }
        for i, (group, geometry) in enumerate(zip(groups, merged, strict=True))
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def merge_territories(
    child_territories: gpd.GeoDataFrame, parent_of: pd.Series | Mapping[object, object]
) -> gpd.GeoDataFrame:
    """Dissolve group territories into their parents' (hub territories into MCP territories).

    Parameters
    ----------
    child_territories
        From :func:`territories` (``group_id``, ``note``, geometry).
    parent_of
        The parent of every child group id (an MCP id per hub id).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per parent, sorted by id: ``group_id``, ``members`` (child groups), ``note``
        (children without territory, if any) and ``geometry`` (EPSG:27700): exactly the union of
        the children's territories, so an MCP territory never disagrees with its hubs'.
    """
    child_territories = to_bng(child_territories, source="child_territories")
    parent = pd.Series(
        parent_of.to_dict() if isinstance(parent_of, pd.Series) else dict(parent_of),
        dtype=object,
    )
    missing = [g for g in child_territories["group_id"] if g not in parent.index]
    if missing:
        raise ValidationError(
            [Problem("groups without a parent", source="parent_of", value=missing)],
            context="merge_territories",
        )
    table = child_territories.assign(parent=[parent[g] for g in child_territories["group_id"]])
    rows = []
    for group in sorted(table["parent"].unique(), key=sort_key):
        members = table[table["parent"] == group]
        empty = [
            str(g)
            for g, geom in zip(members["group_id"], members.geometry, strict=True)
            if geom.is_empty
        ]
        rows.append(
            {
                "group_id": group,
                "members": len(members),
                "note": f"members without territory: {', '.join(empty)}" if empty else "",
                "geometry": polygonal(shapely.union_all(members.geometry.to_numpy())),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def to_wgs84(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``layer`` in EPSG:4326 (longitude, latitude) for publication: GeoJSON, GeoPackage, maps."""
    return to_bng(layer, source="layer").to_crs("EPSG:4326")
