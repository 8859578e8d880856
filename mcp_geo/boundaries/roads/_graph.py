"""A road graph as arrays, snapping of sites to it, and shortest paths from the bases.

Shortest paths run on the reversed graph from every candidate base at once
(:func:`scipy.sparse.csgraph.dijkstra` with many sources, cut off at the limit), so ``value[i, j]``
is the travel from site i *to* base j along one-way streets. For drive time the km of the same
(fastest) path are summed back along the shortest-path tree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mcp_geo.boundaries.distances import haversine_km
from mcp_geo.boundaries.roads._readers import require

log = logging.getLogger(__name__)

BNG = "EPSG:27700"
CHUNK = 64  # sources per Dijkstra call at most
CELLS = 4_000_000  # and at most this many (source, node) cells per call: bounds memory


@dataclass(frozen=True)
class Network:
    """A directed road graph as arrays (nodes 0..n-1), in WGS84 and British National Grid."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    src: NDArray[np.int64]
    dst: NDArray[np.int64]
    km: NDArray[np.float64]
    minutes: NDArray[np.float64]
    component: NDArray[np.int64]  # strongly connected component of each node
    component_size: NDArray[np.int64]  # size of that component, per node
    main: NDArray[np.bool_]  # node lies in the largest strongly connected component

    @property
    def nodes(self) -> int:
        return len(self.lon)

    @property
    def edges(self) -> int:
        return len(self.src)


def add_speeds(graph: Any, speeds_kmh: Mapping[str, float], fallback_kmh: float) -> Any:
    """osmnx edge speeds (``maxspeed`` where present, else by road class) and travel times."""
    ox = require("osmnx")
    ox.routing.add_edge_speeds(graph, hwy_speeds=dict(speeds_kmh), fallback=fallback_kmh)
    return ox.routing.add_edge_travel_times(graph)


def network_arrays(graph: Any) -> Network:
    """The arrays of an osmnx-style MultiDiGraph with ``length`` (m) and ``travel_time`` (s)."""
    pyproj = require("pyproj")
    csgraph = require("scipy.sparse.csgraph")
    sparse = require("scipy.sparse")
    ids = list(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    gx = np.array([float(graph.nodes[n]["x"]) for n in ids])
    gy = np.array([float(graph.nodes[n]["y"]) for n in ids])
    crs = pyproj.CRS.from_user_input(graph.graph.get("crs", "epsg:4326"))
    to_wgs = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_wgs.transform(gx, gy) if not crs.is_geographic else (gx, gy)
    x, y = pyproj.Transformer.from_crs(4326, BNG, always_xy=True).transform(lon, lat)
    rows = [
        (index[u], index[v], float(d["length"]), float(d.get("travel_time", np.nan)))
        for u, v, d in graph.edges(data=True)
        if u != v
    ]
    table = np.array(rows, dtype=float).reshape(-1, 4)
    n = len(ids)
    adjacency = sparse.coo_matrix(
        (np.ones(len(table)), (table[:, 0].astype(int), table[:, 1].astype(int))), shape=(n, n)
    )
    _, component = csgraph.connected_components(adjacency, directed=True, connection="strong")
    sizes = np.bincount(component)
    return Network(
        lon=np.asarray(lon, dtype=float),
        lat=np.asarray(lat, dtype=float),
        x=np.asarray(x, dtype=float),
        y=np.asarray(y, dtype=float),
        src=table[:, 0].astype(np.int64),
        dst=table[:, 1].astype(np.int64),
        km=table[:, 2] / 1000.0,
        minutes=table[:, 3] / 60.0,
        component=component.astype(np.int64),
        component_size=sizes[component].astype(np.int64),
        main=component == int(np.argmax(sizes)),
    )


@dataclass(frozen=True)
class Snap:
    """Each site's nearest node of the main network, and its nearest node of any part."""

    node: NDArray[np.int64]  # nearest node of the main (largest strongly connected) network
    km: NDArray[np.float64]  # great-circle km from the site to that node
    any_node: NDArray[np.int64]  # nearest node of the whole graph
    any_km: NDArray[np.float64]


def snap(network: Network, latitude: NDArray[np.float64], longitude: NDArray[np.float64]) -> Snap:
    """Nearest nodes by British National Grid distance; the snap legs in great-circle km."""
    pyproj = require("pyproj")
    spatial = require("scipy.spatial")
    px, py = pyproj.Transformer.from_crs(4326, BNG, always_xy=True).transform(longitude, latitude)
    points = np.column_stack([px, py])
    everything = np.column_stack([network.x, network.y])
    main_index = np.flatnonzero(network.main)
    _, near_main = spatial.cKDTree(everything[main_index]).query(points)
    _, near_any = spatial.cKDTree(everything).query(points)
    node = main_index[np.asarray(near_main, dtype=np.int64)]
    any_node = np.asarray(near_any, dtype=np.int64)
    return Snap(
        node=node,
        km=haversine_km((latitude, longitude), (network.lat[node], network.lon[node])),
        any_node=any_node,
        any_km=haversine_km((latitude, longitude), (network.lat[any_node], network.lon[any_node])),
    )


def _best_edges(
    network: Network, weight: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """One edge per (u, v): the one of least weight, with its km."""
    order = np.lexsort((weight, network.dst, network.src))
    src, dst = network.src[order], network.dst[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    keep = order[first]
    return network.src[keep], network.dst[keep], weight[keep], network.km[keep]


def paths_to_bases(
    network: Network,
    *,
    sites: NDArray[np.int64],
    bases: NDArray[np.int64],
    metric: str,
    limit: float | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Network travel from each site node to each base node: (metric values, km), shape (sites, bases).

    ``metric`` is ``"km"`` (shortest) or ``"minutes"`` (fastest; km is that path's length).
    Pairs beyond ``limit`` (in the metric's unit) or without a path are ``inf``.
    """
    sparse = require("scipy.sparse")
    csgraph = require("scipy.sparse.csgraph")
    weight = network.km if metric == "km" else network.minutes
    src, dst, w, km = _best_edges(network, weight)
    n = network.nodes
    # reversed graph: an edge u -> v is entered as v -> u, so Dijkstra from a base gives the
    # travel from every node to that base; explicit zeros would be dropped, so keep weights > 0
    reverse = sparse.csr_matrix((np.maximum(w, 1e-12), (dst, src)), shape=(n, n))
    keys = src * n + dst  # sorted: _best_edges orders by (src, dst)
    sources, back = np.unique(bases, return_inverse=True)
    values = np.full((len(sites), len(sources)), np.inf)
    lengths = np.full((len(sites), len(sources)), np.inf)
    cutoff = np.inf if limit is None else float(limit)
    size = max(1, min(CHUNK, CELLS // max(n, 1)))
    for start in range(0, len(sources), size):
        chunk = sources[start : start + size]
        if metric == "km":
            dist = csgraph.dijkstra(reverse, directed=True, indices=chunk, limit=cutoff)
            values[:, start : start + len(chunk)] = dist[:, sites].T
            lengths[:, start : start + len(chunk)] = dist[:, sites].T
            continue
        dist, pred = csgraph.dijkstra(
            reverse, directed=True, indices=chunk, limit=cutoff, return_predecessors=True
        )
        values[:, start : start + len(chunk)] = dist[:, sites].T
        lengths[:, start : start + len(chunk)] = _tree_km(
            pred, sites=sites, keys=keys, km=km, n=n
        ).T
    values = values[:, back]
    lengths = lengths[:, back]
    lengths[~np.isfinite(values)] = np.inf
    return values, lengths


def _tree_km(
    pred: NDArray[np.int32],
    *,
    sites: NDArray[np.int64],
    keys: NDArray[np.int64],
    km: NDArray[np.float64],
    n: int,
) -> NDArray[np.float64]:
    """km from each site node up the shortest-path tree of each source (rows of ``pred``).

    Pointer jumping: each node's distance to its ancestor 2^k steps up is doubled until every
    node points at its tree's root, in about log2(depth) vectorised steps.
    """
    nodes = np.broadcast_to(np.arange(n), pred.shape)
    tree = pred >= 0
    parent = np.where(tree, pred, nodes).astype(np.int64)  # roots and unreached: themselves
    up = np.zeros(pred.shape)
    # the tree edge parent -> node of the reversed graph is node -> parent on the roads
    up[tree] = km[np.searchsorted(keys, nodes[tree].astype(np.int64) * n + pred[tree])]
    while True:
        grand = np.take_along_axis(parent, parent, axis=1)
        if np.array_equal(grand, parent):
            return up[:, sites]
        up = up + np.take_along_axis(up, parent, axis=1)
        parent = grand
