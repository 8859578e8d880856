"""The computation behind :func:`mcp_geo.boundaries.roads.matrix.road_travel_matrix`: snap, classify, paths.

Returns plain "parts" (arrays, reasons and the report) that the cache stores and
:mod:`mcp_geo.boundaries.roads.matrix` assembles into a :class:`~mcp_geo.boundaries.roads.matrix.RoadTravel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mcp_geo.boundaries.roads import _cache as cache
from mcp_geo.boundaries.roads._graph import Network, paths_to_bases, snap
from mcp_geo.boundaries.roads._readers import RoadFile, require

if TYPE_CHECKING:  # roads imports this module
    from mcp_geo.boundaries.roads.matrix import RoadOptions

#: The reasons a practice cannot use the network (``RoadTravel.unreachable["reason"]``).
OUTSIDE = "outside the road network's area"
TOO_FAR = "too far from a drivable road"
ISLAND = "by a road island not joined to the main network"


def compute(
    frame: pd.DataFrame, *, network: Network, base_codes: list[str], options: RoadOptions
) -> dict[str, Any]:
    """The snapped sites, the reasons, and the site x base matrices (reached practices only)."""
    lat = frame["latitude"].to_numpy(dtype=float)
    lon = frame["longitude"].to_numpy(dtype=float)
    snapped = snap(network, lat, lon)
    inside = inside_hull(network, lat, lon)
    reason = np.full(len(frame), "", dtype=object)
    detail = np.full(len(frame), "", dtype=object)
    for i in np.flatnonzero(snapped.km > options.max_snap_km):
        if not inside[i]:
            reason[i] = OUTSIDE
        elif snapped.any_km[i] <= options.max_snap_km and not network.main[snapped.any_node[i]]:
            reason[i] = ISLAND
        else:
            reason[i] = TOO_FAR
        detail[i] = (
            f"nearest node of the main network {snapped.km[i]:.3f} km away "
            f"(limit {options.max_snap_km:g} km)"
        )
        if reason[i] == ISLAND:
            detail[i] += (
                f"; a road {snapped.any_km[i]:.3f} km away belongs to a part of "
                f"{int(network.component_size[snapped.any_node[i]])} nodes cut off from it"
            )
    reached = reason == ""
    position = {c: i for i, c in enumerate(frame["practice_code"])}
    rows = np.flatnonzero(reached)
    cols = np.array([position[b] for b in base_codes if reached[position[b]]], dtype=np.int64)
    n = len(rows)
    km = np.full((n, n), np.inf)
    minutes = np.full((n, n), np.inf) if options.metric == "minutes" else None
    if n and len(cols):
        value, path_km = paths_to_bases(
            network,
            sites=snapped.node[rows],
            bases=snapped.node[cols],
            metric=options.metric,
            limit=options.limit,
        )
        leg_km = snapped.km
        total_km = leg_km[rows][:, None] + path_km + leg_km[cols][None, :]
        if minutes is None:
            total = total_km
        else:
            leg_min = leg_km * 60.0 / options.snap_speed_kmh
            total = leg_min[rows][:, None] + value + leg_min[cols][None, :]
        if options.limit is not None:
            beyond = total > options.limit + 1e-9
            total = np.where(beyond, np.inf, total)
            total_km = np.where(beyond, np.inf, total_km)
        column = np.searchsorted(rows, cols)
        km[:, column] = total_km
        if minutes is not None:
            minutes[:, column] = total
        np.fill_diagonal(km, 0.0)
        if minutes is not None:
            np.fill_diagonal(minutes, 0.0)
    return {
        "node": snapped.node,
        "snap_km": snapped.km,
        "reason": reason.astype(str),
        "detail": detail.astype(str),
        "km": km,
        "minutes": minutes,
    }


def inside_hull(network: Network, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    shapely = require("shapely")
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([network.lon, network.lat])))
    return np.asarray(
        shapely.contains_xy(hull, lon, lat) | shapely.touches(hull, shapely.points(lon, lat))
    )


def report(
    path: Path | None,
    *,
    read: RoadFile,
    network: Network,
    options: RoadOptions,
    parts: Mapping[str, Any],
) -> dict[str, Any]:
    snap_km = np.asarray(parts["snap_km"])[np.asarray(parts["reason"]) == ""]
    report: dict[str, Any] = {
        "file": None if path is None else path.name,
        "sha256": None if path is None else cache.file_sha256(path),
        "format": read.format,
        "network": "drivable roads (osmnx 'drive' classes), main part = largest strongly "
        "connected component",
        "nodes": network.nodes,
        "edges": network.edges,
        "main_network_nodes": int(network.main.sum()),
        **options.key(),
        "speeds": "edge maxspeed where present (mph converted), else speeds_kmh by highway "
        "class, else fallback_speed_kmh (osmnx add_edge_speeds)",
        "snap_legs": "great-circle km from the practice to its nearest main-network node",
        "snap_km_max": round(float(snap_km.max()), 3) if len(snap_km) else None,
        "snap_km_mean": round(float(snap_km.mean()), 3) if len(snap_km) else None,
        "notes": list(read.notes),
    }
    return report
