"""Internals of the territories: shared cells cut into sectors, loose pieces merged, tilings joined.

Everything here works in British National Grid (EPSG:27700), in metres and m².

- :func:`split_cell`: the cell of a site that holds practices of several groups, cut into
  sectors around the site, one per group, with areas in proportion to the groups' shares;
- :func:`merge_loose_pieces`: pieces of a group's territory that hold none of its practices, and
  slivers below :data:`MIN_PIECE_M2`, merged into the neighbour they share the longest border with;
- :func:`join_tilings`: several footprints' territories made into one tiling (borders noded
  together, overlaps given to one territory, thin gaps between footprints filled).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mcp_geo.boundaries._voronoi import EMPTY_POLYGON, polygonal, sort_key

log = logging.getLogger(__name__)

MIN_PIECE_M2 = 10_000.0
"""The smallest piece a territory keeps: 0.01 km² (a square of 100 m x 100 m). A smaller piece
is merged into a neighbour, unless it is the group's largest piece holding one of its practices
(the group keeps that, so that it never loses its territory)."""

TOUCH_M = 0.01
"""Two territories touch along the length of one's boundary within this many metres (1 cm) of
the other: borders drawn from the same cells meet exactly, reprojected ones to the micrometre."""

HOLDS_M = 0.01
"""A piece holds a practice whose site lies within this many metres (1 cm) of it."""

GRID_M = 0.001
"""Territories' borders are noded on a grid of this many metres (1 mm, snap rounding)."""

GAP_HALF_WIDTH_M = 50.0
"""A gap between footprints' territories is filled when it is nowhere wider than twice this
(100 m): slivers where outlines do not meet exactly; a footprint left unplanned stays a hole."""

_ARC_STEP = math.pi / 36  # 5 degrees: the sectors' arcs are polygons of this step


def split_cell(
    cell: Polygon | MultiPolygon, site: tuple[float, float], *, shares: Sequence[float]
) -> list[Polygon | MultiPolygon]:
    """Cut ``cell`` into sectors around ``site``, with areas in proportion to ``shares``.

    The sectors run anticlockwise from due east (the first share from angle 0), each cut is a
    ray from the site, placed by bisection so that each sector holds its share of the cell's
    area. Every sector has the site on its boundary; together they tile the cell.

    Parameters
    ----------
    cell
        The cell (it holds ``site``).
    site
        The site's easting and northing.
    shares
        One positive share per sector.

    Returns
    -------
    list
        One polygonal piece per share, in the order of ``shares``.
    """
    if len(shares) == 1:
        return [cell]
    x, y = site
    corners = np.asarray(shapely.get_coordinates(shapely.envelope(cell)))
    radius = 2.0 * float(np.hypot(corners[:, 0] - x, corners[:, 1] - y).max()) + 1.0
    total = cell.area
    bounds = np.cumsum(np.asarray(shares, dtype=float))
    targets = total * bounds[:-1] / bounds[-1]
    angles = [0.0]
    for target in targets:
        low, high = angles[-1], 2 * math.pi
        for _ in range(48):  # 2 pi / 2^48: far below a millimetre at any cell's size
            middle = (low + high) / 2
            if (
                shapely.intersection(cell, _wedge(site, radius=radius, start=0.0, end=middle)).area
                < target
            ):
                low = middle
            else:
                high = middle
        angles.append((low + high) / 2)
    # node the cell's boundary with the cutting rays and give each face to its sector: the
    # sectors then share their edges exactly (separate intersections would leave specks)
    rays = [shapely.LineString([site, _ray_end(site, radius=radius, angle=a)]) for a in angles]
    lines = shapely.union_all([shapely.boundary(cell), *rays])
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    inside = shapely.point_on_surface(faces)
    faces = faces[shapely.covered_by(inside, cell)]
    inside = inside[shapely.covered_by(inside, cell)]
    turn = np.mod(np.arctan2(shapely.get_y(inside) - y, shapely.get_x(inside) - x), 2 * math.pi)
    sector = np.searchsorted(np.asarray(angles), turn, side="right") - 1
    return [
        polygonal(shapely.coverage_union_all(faces[sector == i]))
        if (sector == i).any()
        else EMPTY_POLYGON
        for i in range(len(shares))
    ]


def _wedge(site: tuple[float, float], *, radius: float, start: float, end: float) -> Polygon:
    """The sector of the disc of ``radius`` around (x, y) from angle ``start`` to ``end``.

    The arc is drawn outside the circle (its chords stay beyond ``radius / 2``), and the rays
    at the same angle end at the same point in every wedge, so neighbouring wedges share an edge.
    """
    if end <= start:
        return EMPTY_POLYGON
    steps = max(1, math.ceil((end - start) / _ARC_STEP))
    arc = [start + (end - start) * i / steps for i in range(steps + 1)]
    arc[-1] = end
    points = [site] + [_ray_end(site, radius=radius, angle=a) for a in arc]
    return Polygon(points)


def _ray_end(site: tuple[float, float], *, radius: float, angle: float) -> tuple[float, float]:
    x, y = site
    if angle in (0.0, 2 * math.pi):  # the first and the last ray are the same ray
        return (x + radius, y)
    return (x + radius * math.cos(angle), y + radius * math.sin(angle))


@dataclass(frozen=True)
class Move:
    """One piece moved from a group's territory into a neighbour's."""

    piece: Polygon
    source: int
    target: int
    why: str  # "holds none of its practices" or "a sliver"


def merge_loose_pieces(
    geometries: Sequence[Polygon | MultiPolygon],
    *,
    sites: Sequence[NDArray[np.object_]],
    min_area_m2: float = MIN_PIECE_M2,
) -> tuple[list[Polygon | MultiPolygon], list[Move]]:
    """Merge loose pieces of the territories into their neighbours.

    A piece (one polygon of a group's territory) is loose when it is not the group's keeper
    (its largest piece holding one of its practices) and holds none of the group's practices or
    is smaller than ``min_area_m2``. Loose pieces, smallest first, go to the neighbouring
    territory whose boundary runs longest within :data:`TOUCH_M` of the piece (ties to the
    first group); passes repeat until no loose piece has a neighbour. A loose piece that touches
    no other territory (an island) stays where it is.

    Parameters
    ----------
    geometries
        One territory per group; together they tile an outline.
    sites
        Per group, its practices' sites (shapely Points).
    min_area_m2
        The smallest piece kept (m²).

    Returns
    -------
    tuple
        The territories after merging (still a tiling of the same outline) and the moves made.
    """
    current = [polygonal(g) for g in geometries]
    moves: list[Move] = []
    for _ in range(sum(shapely.get_num_geometries(current)) + 1):
        moved = _one_pass(current, sites=sites, min_area_m2=min_area_m2)
        if not moved:
            break
        moves.extend(moved)
    return current, moves


def _loose(
    geometries: Sequence[Polygon | MultiPolygon],
    *,
    sites: Sequence[NDArray[np.object_]],
    min_area_m2: float,
) -> list[tuple[int, Polygon, str]]:
    """The loose pieces: (group, piece, why), smallest first."""
    loose = []
    for group, geometry in enumerate(geometries):
        parts = [p for p in shapely.get_parts(geometry) if not p.is_empty]
        if len(parts) < 2:
            continue
        own = sites[group]
        held = [bool(len(own)) and bool(shapely.dwithin(p, own, HOLDS_M).any()) for p in parts]
        keepers = [i for i in range(len(parts)) if held[i]] or list(range(len(parts)))
        keeper = max(keepers, key=lambda i: (parts[i].area, -i))
        for i, part in enumerate(parts):
            if i == keeper:
                continue
            if not held[i]:
                loose.append((group, part, "holds none of its practices"))
            elif part.area < min_area_m2:
                loose.append((group, part, "a sliver"))
    loose.sort(key=lambda item: (item[1].area, item[0], item[1].bounds))
    return loose


def _one_pass(
    current: list[Polygon | MultiPolygon],
    *,
    sites: Sequence[NDArray[np.object_]],
    min_area_m2: float,
) -> list[Move]:
    """Move loose pieces that have a neighbour (``current`` is updated in place).

    A group changed in this pass (it gave or took a piece) waits for the next pass, when its
    pieces are found again.
    """
    moves = []
    changed: set[int] = set()
    tree = shapely.STRtree(current)
    for group, piece, why in _loose(current, sites=sites, min_area_m2=min_area_m2):
        if group in changed:
            continue
        near = piece.buffer(TOUCH_M)
        touch = {
            int(other): shapely.intersection(shapely.boundary(current[other]), near).length
            for other in tree.query(near, predicate="intersects")
            if other != group and not current[other].is_empty
        }
        touch = {k: v for k, v in touch.items() if v > 0}
        if not touch:
            continue
        target = max(sorted(touch), key=lambda k: touch[k])
        rest = [p for p in shapely.get_parts(current[group]) if not p.equals_exact(piece, 0)]
        current[group] = polygonal(shapely.union_all(rest)) if rest else EMPTY_POLYGON
        current[target] = polygonal(shapely.union_all([current[target], piece]))
        moves.append(Move(piece=piece, source=group, target=target, why=why))
        changed.update((group, target))
        tree = shapely.STRtree(current)
    return moves


def join_tilings(
    geometries: Sequence[BaseGeometry | None], *, gap_half_width_m: float = GAP_HALF_WIDTH_M
) -> tuple[list[Polygon | MultiPolygon], list[int]]:
    """Several footprints' territories as one tiling: noded, without overlaps or thin gaps.

    The territories' boundaries are noded together, snap-rounded to :data:`GRID_M`, and
    polygonised into faces. A face inside
    one territory is that territory's; a face inside several (where outlines overlap) goes to
    the first of them (a territory left without any face takes back its largest); a face inside
    none that is nowhere wider than ``2 * gap_half_width_m`` (a sliver between outlines that do
    not meet exactly) goes to the territory it shares the longest border with. Wider faces in
    no territory (an unplanned footprint) stay out.

    Parameters
    ----------
    geometries
        The territories (polygonal, EPSG:27700), in order of precedence.
    gap_half_width_m
        Gaps narrower than twice this are filled.

    Returns
    -------
    tuple
        The territories as one valid coverage (in the input order; an input without area stays
        empty), and per territory the number of gap faces it was given.
    """
    shapes = np.asarray([polygonal(g) for g in geometries], dtype=object)
    # snap-rounded to the millimetre: no vertex then lies within half a millimetre of an edge
    # it is not on, so reprojecting (to EPSG:4326 for publication) cannot make a polygon cross
    # itself, as nearly touching borders of a cut cell otherwise can
    lines = shapely.union_all(shapely.boundary(shapes[~shapely.is_empty(shapes)]), grid_size=GRID_M)
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    owner = _face_owners(faces, shapes)
    filled = [0] * len(shapes)
    gaps = [f for f in np.flatnonzero(owner < 0) if faces[f].buffer(-gap_half_width_m).is_empty]
    tree = shapely.STRtree(faces)
    areas, corners = shapely.area(faces), shapely.bounds(faces)
    while gaps:
        left = []
        for f in sorted(gaps, key=lambda f: (areas[f], tuple(corners[f]))):
            shared: dict[int, float] = {}
            for g in tree.query(faces[f], predicate="touches"):
                if owner[g] >= 0:
                    length = shapely.intersection(faces[f].boundary, faces[g].boundary).length
                    shared[int(owner[g])] = shared.get(int(owner[g]), 0.0) + length
            shared = {k: v for k, v in shared.items() if v > 0}
            if not shared:
                left.append(f)
                continue
            owner[f] = max(sorted(shared), key=lambda k: shared[k])
            filled[owner[f]] += 1
        if len(left) == len(gaps):
            break
        gaps = left
    joined: list[Polygon | MultiPolygon] = []
    for row in range(len(shapes)):
        owned = faces[owner == row]
        joined.append(polygonal(shapely.coverage_union_all(owned)) if len(owned) else EMPTY_POLYGON)
    log.info(
        "joined %d territories: %d faces, %d gaps filled, %d faces in no territory left out",
        len(shapes),
        len(faces),
        sum(filled),
        int((owner < 0).sum()),
    )
    return joined, filled


def _face_owners(faces: NDArray[np.object_], shapes: NDArray[np.object_]) -> NDArray[np.int64]:
    """The territory each face belongs to (-1: none), the first where several hold it."""
    owner = np.full(len(faces), -1, dtype=np.int64)
    inside = shapely.point_on_surface(faces)
    face_rows, shape_rows = shapely.STRtree(shapes).query(inside, predicate="within")
    order = np.lexsort((shape_rows, face_rows))
    face_rows, shape_rows = face_rows[order], shape_rows[order]
    first = np.unique(face_rows, return_index=True)[1]
    owner[face_rows[first]] = shape_rows[first]
    for row in range(len(shapes)):  # a territory overlapped everywhere keeps its largest face
        if shapes[row].is_empty or (owner == row).any():
            continue
        mine = face_rows[shape_rows == row]
        if len(mine):
            areas = shapely.area(faces[mine])
            largest = mine[np.lexsort((mine, -areas))[0]]
            owner[largest] = row
    return owner


def cut_shared_cells(
    table: pd.DataFrame,
    geometry_of_cell: Mapping[object, BaseGeometry],
    *,
    groups: list[object],
    by_patients: bool,
) -> tuple[dict[object, list[BaseGeometry]], dict[object, list[str]]]:
    """Each group's cells and sectors of shared cells (see :func:`~mcp_geo.boundaries.territories.territories`), with notes."""
    pieces: dict[object, list[BaseGeometry]] = {g: [] for g in groups}
    notes: dict[object, list[str]] = {g: [] for g in groups}
    for cell_id, at_site in table.groupby("cell_id", sort=True):
        cell = geometry_of_cell[cell_id]
        weight = at_site.groupby("group_id", sort=False)["weight"].sum()
        members = sorted(weight.index, key=sort_key)
        if len(members) == 1:
            pieces[members[0]].append(cell)
            continue
        count = at_site.groupby("group_id", sort=False).size()
        by_count = not by_patients or min(float(weight[g]) for g in members) <= 0
        shares = [float(count[g] if by_count else weight[g]) for g in members]
        site = (float(at_site["x"].iloc[0]), float(at_site["y"].iloc[0]))
        sectors = split_cell(cell, site, shares=shares)
        for group, sector, share in zip(members, sectors, shares, strict=True):
            pieces[group].append(sector)
            mine = ", ".join(sorted(at_site.loc[at_site["group_id"] == group, "practice_code"]))
            others = ", ".join(str(g) for g in members if g != group)
            notes[group].append(
                f"cell {cell_id} ({mine}) is shared with {others}: a sector of "
                f"{share / sum(shares):.0%} of it (its share of the site's "
                f"{'practices' if by_count else 'patients'})"
            )
        log.info("territories: shared cell %s cut between %s", cell_id, members)
    return pieces, notes
