"""Labels of hubs and MCPs, readable offline: text markers placed so that none overlap.

Each hub is labelled with its id and the town of its base (from the register's address, see
:func:`base_towns`; the base practice's name where no town is known), each MCP with its id.
A label sits at its territory's pole of inaccessibility (:func:`shapely.ops.polylabel`: the
inside point farthest from the edges, where a label has most room), and is a Leaflet marker
whose icon is a ``<span>`` given its text with ``textContent`` (never HTML from the data).

Which labels show is decided in the browser (:mod:`mcp_geo.maps._script`), deterministically:
MCP labels first, then hubs by list size (largest first, then id); a label shows if its box
overlaps no label already shown, no panel or control, and lies inside the map; the others are
hidden. This runs again on every zoom, pan and resize, so labels appear as the reader zooms in
(on the national map hub labels also wait for :data:`NATIONAL_HUB_LABEL_ZOOM`). A label opens
the popup of its hub or MCP (click, or Enter from the keyboard).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.template import Template
from shapely.ops import polylabel

from mcp_geo.maps._geometry import DECIMALS

log = logging.getLogger(__name__)

LABEL_CLASS = "mcp-geo-label"
LABEL_PANE = "mcpGeoLabels"
NATIONAL_HUB_LABEL_ZOOM = 9.0
"""On large maps, hub labels wait for this zoom (a county); MCP labels for one level less."""


def anchor_points(layer: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A label point per polygon (EPSG:27700 in, EPSG:4326 out): the pole of inaccessibility
    of its largest part, to 10 m."""
    points: list[Any] = []
    for geometry in layer.to_crs(27700).geometry:
        if geometry is None or geometry.is_empty:
            points.append(None)
            continue
        parts = list(getattr(geometry, "geoms", [geometry]))
        largest = max(parts, key=lambda p: p.area)
        points.append(polylabel(largest, tolerance=10.0))
    return gpd.GeoSeries(points, index=layer.index, crs=27700).to_crs(4326)


@cache
def _bundled_towns() -> dict[str, str]:
    from mcp_geo.practices.bundled import bundle_dir

    path = bundle_dir() / "practices.csv"
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, usecols=["practice_code", "town"]
        )
    except (OSError, ValueError):  # no snapshot, or one without towns
        return {}
    return {c: t for c, t in zip(table["practice_code"], table["town"], strict=True) if t}


def base_towns(codes: pd.Series, *, practices: pd.DataFrame | None = None) -> pd.Series:
    """The town of each practice code: the plan's ``town`` column, else the shipped snapshot's
    (the register's address), else empty.

    Parameters
    ----------
    codes
        Practice codes (a hub's base).
    practices
        The plan's practices; their ``town`` column is used where present.
    """
    known: dict[str, str] = {}
    if practices is not None and "town" in practices.columns:
        known = dict(zip(practices["practice_code"], practices["town"].fillna(""), strict=True))
    bundled = _bundled_towns()
    return codes.astype(str).map(lambda c: known.get(c) or bundled.get(c, ""))


def town_case(text: str) -> str:
    """``STOKE-ON-TRENT`` -> ``Stoke-on-Trent``: the register's capitals as a label reads them."""
    small = {"on", "upon", "under", "in", "by", "the", "le", "de", "and", "of"}
    words = []
    for i, word in enumerate(str(text).strip().lower().split()):
        parts = word.split("-")
        parts = [
            p if (i or j) and p in small else p[:1].upper() + p[1:] for j, p in enumerate(parts)
        ]
        words.append("-".join(parts))
    return " ".join(words)


def _rows(
    order: gpd.GeoDataFrame,
    *,
    id_column: str,
    popups: list[list[list[str]]],
    kind: str,
    priority_from: int,
    min_zoom: float | None,
) -> list[dict[str, Any]]:
    """One label row per hub (MCP) of ``order``: its id, ``label``, ``label_description`` and
    anchor point."""
    rows = []
    columns = (order[id_column], order["label"], anchor_points(order), popups)
    for n, (i, text, point, popup, description) in enumerate(
        zip(*columns, order["label_description"], strict=True)
    ):
        if point is None:
            continue
        rows.append(
            {
                "id": str(i),
                "text": str(text),
                "kind": kind,
                "lat": round(point.y, DECIMALS),
                "lon": round(point.x, DECIMALS),
                "priority": priority_from + n,
                "minZoom": min_zoom,
                "popup": popup,
                "describe": str(description),
            }
        )
    return rows


def label_rows(
    *,
    hubs: gpd.GeoDataFrame,
    hub_popups: list[list[list[str]]],
    mcps: gpd.GeoDataFrame | None,
    mcp_popups: list[list[list[str]]],
    large: bool,
) -> list[dict[str, Any]]:
    """The labels of one plan, in the order they are placed (MCPs, then hubs by size).

    Parameters
    ----------
    hubs
        Hub territories (EPSG:27700) with ``hub_id``, ``label`` (the text), ``patients_n`` and
        ``label_description`` (what a screen reader says).
    hub_popups, mcp_popups
        Each hub's (MCP's) popup as ``[label, value]`` pairs, in the rows' order.
    mcps
        MCP outlines with ``mcp_id``, ``label``, ``patients_n`` and ``label_description``, or None.
    large
        A national map: labels wait for :data:`NATIONAL_HUB_LABEL_ZOOM`.
    """
    rows: list[dict[str, Any]] = []
    if mcps is not None and len(mcps):
        order = mcps.assign(_p=mcps["patients_n"]).sort_values(
            ["_p", "mcp_id"], ascending=[False, True]
        )
        rows += _rows(
            order,
            id_column="mcp_id",
            popups=[mcp_popups[i] for i in order.index],
            kind="mcp",
            priority_from=0,
            min_zoom=NATIONAL_HUB_LABEL_ZOOM - 1 if large else None,
        )
    order = hubs.assign(_p=hubs["patients_n"]).sort_values(
        ["_p", "hub_id"], ascending=[False, True]
    )
    rows += _rows(
        order,
        id_column="hub_id",
        popups=[hub_popups[i] for i in order.index],
        kind="hub",
        priority_from=len(rows),
        min_zoom=NATIONAL_HUB_LABEL_ZOOM if large else None,
    )
    return rows


class LabelLayer(folium.map.Layer):
    """A layer of text labels (one marker each, text set with ``textContent``).

    Parameters
    ----------
    rows
        :func:`label_rows`.
    name
        The layer's name in the layer control (escaped by the caller).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = mcpGeo.labelLayer({{ this.rows | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[dict[str, Any]], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LabelLayer"
        self.rows = rows
