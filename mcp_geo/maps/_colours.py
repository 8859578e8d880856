"""Colours of hub territories: each MCP a hue, its hubs shades of that hue, neighbours differ.

The hues are the Okabe-Ito colour-blind-safe palette (Okabe and Ito, "Color Universal Design",
2008; also Wong, Nature Methods 8:441, 2011) without its black: orange, sky blue, bluish green,
yellow, blue, vermillion and reddish purple. Neighbouring MCPs (territories that touch) get
different hues, by greedy graph colouring of the MCP adjacency (:func:`networkx.greedy_color`,
strategy ``saturation_largest_first``, nodes in sorted order, so the result is deterministic).
Within an MCP, its hubs are coloured the same way on the adjacency of its own hubs, and colour
``k`` becomes the ``k``-th shade of the MCP's hue (:func:`shades`): touching hubs of one MCP
differ in shade, touching hubs of two MCPs differ in hue, so neighbours never share a colour.
A plan without MCPs colours its hubs with the hues themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable

import geopandas as gpd
import networkx as nx
import shapely

log = logging.getLogger(__name__)

SCHEME = "Okabe-Ito"
"""The name of the colour-blind-safe scheme the hues come from (said in the legend)."""

OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)
"""The Okabe-Ito palette without black (too dark to fill a territory)."""

STRATEGY = "saturation_largest_first"
"""networkx's greedy colouring strategy (DSATUR): few colours, deterministic for a node order."""


def _mix(colour: str, towards: str, share: float) -> str:
    """``colour`` moved ``share`` of the way to ``towards`` (both ``#rrggbb``)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(towards[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


SHADE_STEPS: tuple[float, ...] = (0.0, 0.5, -0.4, 0.75, -0.6, 0.3, -0.2, 0.88)
"""Shades of a hue, in the order hubs use them: the hue, then lighter (towards white, > 0) and
darker (towards black, < 0) by these shares; alternating, so that consecutive shades differ most."""


def shades(hue: str, count: int) -> list[str]:
    """``count`` distinct shades of ``hue`` (``#rrggbb``), the hue itself first.

    Examples
    --------
    >>> shades("#0072B2", 3)
    ['#0072b2', '#80b9d9', '#00446b']
    """
    steps = list(SHADE_STEPS)
    while len(steps) < count:  # more than 8 shades: finer steps between the ones above
        steps.append(round(0.95 - 0.9 * len(steps) / (count + 1), 3))
    return [_mix(hue, "#ffffff", s) if s >= 0 else _mix(hue, "#000000", -s) for s in steps[:count]]


def _colouring(
    nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]]
) -> dict[Hashable, int]:
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes, key=str))
    graph.add_edges_from(sorted((min(a, b, key=str), max(a, b, key=str)) for a, b in edges))
    return dict(nx.greedy_color(graph, strategy=STRATEGY))


def touching_pairs(layer: gpd.GeoDataFrame, id_column: str) -> set[tuple[str, str]]:
    """Pairs of ids whose polygons touch or overlap (each pair once, sorted)."""
    ids = [str(v) for v in layer[id_column]]
    geometries = layer.geometry.to_numpy()
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    return {
        (min(ids[i], ids[j]), max(ids[i], ids[j]))
        for i, j in zip(left, right, strict=True)
        if ids[i] != ids[j]
    }


def hub_colours(territories: gpd.GeoDataFrame, mcp_of: dict[str, str]) -> dict[str, str]:
    """A fill colour per hub: its MCP's hue (Okabe-Ito), a shade per neighbour within the MCP.

    Parameters
    ----------
    territories
        The hubs' territories (``hub_id`` and polygons; the ones drawn, so that neighbours on the
        map are neighbours here).
    mcp_of
        Each hub's MCP id; hubs missing or mapped to ``""`` are coloured as one group without MCP.

    Returns
    -------
    dict
        ``#rrggbb`` per hub id.
    """
    hubs = [str(h) for h in territories["hub_id"]]
    group = {h: mcp_of.get(h, "") or "" for h in hubs}
    pairs = touching_pairs(territories, "hub_id")
    if set(group.values()) == {""}:  # no MCPs: the hues themselves, neighbours differ
        colour = _colouring(hubs, pairs)
        return {h: OKABE_ITO[colour[h] % len(OKABE_ITO)] for h in hubs}
    mcps = sorted(set(group.values()))
    mcp_pairs = {(group[a], group[b]) for a, b in pairs if group[a] != group[b]}
    hue_index = _colouring(mcps, mcp_pairs)
    if max(hue_index.values(), default=0) >= len(OKABE_ITO):
        log.warning("MCPs need more than %d hues: some neighbours share one", len(OKABE_ITO))
    out: dict[str, str] = {}
    for mcp in mcps:
        members = [h for h in hubs if group[h] == mcp]
        inner = _colouring(members, [(a, b) for a, b in pairs if group[a] == group[b] == mcp])
        ramp = shades(OKABE_ITO[hue_index[mcp] % len(OKABE_ITO)], max(inner.values()) + 1)
        out.update({h: ramp[inner[h]] for h in members})
    return out
