"""The layers of a plan map: territories, outlines, practices, bases, PCNs, legend and panel.

Everything is drawn with folium's own classes (``GeoJson`` with tooltips and popups that show
the data as text, see :mod:`mcp_geo.maps._text`; ``CircleMarker`` and ``DivIcon`` markers; on
large maps the practices are a ``FastMarkerCluster``, see :mod:`mcp_geo.maps._cluster`); the
legend and the panel of headline numbers are static HTML, every text from the data escaped. Each layer has its own stroke width, which tests use to count what the
browser drew.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mcp_geo.maps._cluster import add_clustered_practices
from mcp_geo.maps._geometry import (
    BNG,
    colour_groups,
    dissolve_by,
    for_display,
    pcn_territories,
    simplified_coverage,
)
from mcp_geo.maps._text import TextPopup, TextTooltip, layer_name
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

# Stroke widths (px) tell the layers apart in the drawn SVG.
HUB_WEIGHT = 0.8
MCP_WEIGHT = 3.0
OUTLINE_WEIGHT = 4.0
PCN_WEIGHT = 1.6
PRACTICE_WEIGHT = 1.0
PRACTICE_STYLE = {
    "fillColor": "#ffffff",
    "fillOpacity": 0.85,
    "color": "#222222",
    "weight": PRACTICE_WEIGHT,
}
"""Leaflet path options of a practice's circle (its radius follows the list size)."""
HUB_BASE_CLASS = "mcp-geo-hub-base"
MCP_BASE_CLASS = "mcp-geo-mcp-base"

LAYER_NAMES = {
    "hubs": "Hub territories",
    "mcps": "MCP outlines",
    "pcns": "Today's PCNs",
    "outline": "Footprint outline",
    "practices": "Practices",
    "hub_bases": "Hub bases",
    "mcp_bases": "MCP bases",
}
"""Layer names shown in the layer control (prefixed by a plan's label on comparison maps)."""


@dataclass(frozen=True)
class LayerCounts:
    """How many features each layer of one plan holds."""

    hubs: int
    mcps: int
    pcns: int
    practices: int
    hub_bases: int
    mcp_bases: int


def practice_radius(patients: float) -> float:
    """Marker radius in pixels: area proportional to the list size (10,000 patients: 7 px)."""
    return round(max(2.5, 7.0 * float(np.sqrt(max(patients, 0) / 10_000))), 2)


def _thousands(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{int(value):,}"


def _km(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.2f} km"


def _json_frame(layer: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(layer[columns].astype(str), geometry=layer.geometry, crs=layer.crs)


def add_plan_layers(
    target: folium.Map,
    plan: Plan,
    *,
    simplify_m: float = 25.0,
    label: str = "",
    cluster: bool = False,
) -> LayerCounts:
    """Add one plan's layers to ``target``; ``label`` prefixes the layer names.

    ``cluster`` groups the practices into clusters (large maps, see :mod:`._cluster`) and
    leaves the hub bases off until the reader switches their layer on.
    """
    prefix = f"{layer_name(label)}: " if label else ""
    hubs = plan.hubs.set_index("hub_id")
    shown = simplified_coverage(plan.territories_hubs, tolerance_m=simplify_m)
    colours = colour_groups(shown, "hub_id")
    hub_ids = shown["hub_id"].astype(str)
    shown["colour"] = hub_ids.map(colours)
    shown["patients"] = hub_ids.map(hubs["patients"].map(_thousands))
    shown["practices"] = hub_ids.map(hubs["practices"].map(_thousands))
    shown["base"] = hub_ids.map(hubs["base_code"] + " " + hubs["base_name"].fillna(""))
    shown["mcp_id"] = hub_ids.map(hubs["mcp_id"]).fillna("")
    hub_layer = for_display(shown)
    folium.GeoJson(
        _json_frame(hub_layer, ["hub_id", "colour", "patients", "practices", "base", "mcp_id"]),
        name=prefix + LAYER_NAMES["hubs"],
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.45,
            "color": "#333333",
            "weight": HUB_WEIGHT,
        },
        tooltip=TextTooltip(["hub_id"], aliases=["Hub"]),
        popup=TextPopup(
            ["hub_id", "patients", "practices", "base", "mcp_id"],
            aliases=["Hub", "Patients", "Practices", "Base", "MCP"],
        ),
    ).add_to(target)

    mcp_count = 0
    if len(plan.mcps):
        mcps = plan.mcps.set_index("mcp_id")
        outlines = dissolve_by(shown, shown["mcp_id"].replace("", None), "mcp_id")
        ids = outlines["mcp_id"]
        outlines["patients"] = ids.map(mcps["patients"].map(_thousands))
        outlines["hubs"] = ids.map(mcps["hubs"].map(_thousands))
        outlines["practices"] = ids.map(mcps["practices"].map(_thousands))
        outlines["span"] = ids.map(mcps["span_km"].map(_km))
        outlines["base"] = ids.map(mcps["base_hub_id"] + " (" + mcps["base_code"] + ")")
        mcp_layer = for_display(outlines)
        mcp_count = len(mcp_layer)
        folium.GeoJson(
            _json_frame(mcp_layer, ["mcp_id", "patients", "hubs", "practices", "span", "base"]),
            name=prefix + LAYER_NAMES["mcps"],
            style_function=lambda f: {"fill": False, "color": "#111111", "weight": MCP_WEIGHT},
            popup=TextPopup(
                ["mcp_id", "patients", "hubs", "practices", "span", "base"],
                aliases=["MCP", "Patients", "Hubs", "Practices", "Span", "Base hub"],
            ),
        ).add_to(target)

    pcn_count = 0
    whole = shown.geometry.union_all(method="coverage")
    pcns = pcn_territories(plan.practices, plan.outline.geometry)
    if pcns is not None:
        counts = plan.practices.groupby("pcn_code")["patients"].agg(["size", "sum"])
        pcns["practices"] = pcns["pcn_code"].map(counts["size"]).map(_thousands)
        pcns["patients"] = pcns["pcn_code"].map(counts["sum"]).map(_thousands)
        pcn_layer = for_display(simplified_coverage(pcns, tolerance_m=simplify_m))
        pcn_count = len(pcn_layer)
        folium.GeoJson(
            _json_frame(pcn_layer, ["pcn_code", "practices", "patients"]),
            name=prefix + LAYER_NAMES["pcns"],
            show=False,
            style_function=lambda f: {
                "fill": False,
                "color": "#6a1b9a",
                "weight": PCN_WEIGHT,
                "dashArray": "6 4",
            },
            tooltip=TextTooltip(
                ["pcn_code", "practices", "patients"], aliases=["PCN", "Practices", "Patients"]
            ),
        ).add_to(target)

    outline = for_display(
        gpd.GeoDataFrame({"name": [plan.footprint_title]}, geometry=[whole], crs=BNG)
    )
    folium.GeoJson(
        _json_frame(outline, ["name"]),
        name=prefix + LAYER_NAMES["outline"],
        style_function=lambda f: {"fill": False, "color": "#000000", "weight": OUTLINE_WEIGHT},
        tooltip=TextTooltip(["name"], labels=False),
    ).add_to(target)

    practices = plan.practices.copy()
    practices["radius"] = practices["patients"].map(practice_radius)
    practices["patients_text"] = practices["patients"].map(_thousands)
    practices["km"] = practices["km_to_hub_base"].map(_km)
    practices["mcp_id"] = practices["mcp_id"].fillna("")
    columns = ["practice_code", "practice_name", "patients_text", "hub_id", "mcp_id", "km"]
    if "minutes_to_hub_base" in practices:  # drive minutes on roads
        practices["minutes"] = practices["minutes_to_hub_base"].map(
            lambda v: "" if pd.isna(v) else f"{v:.1f}"
        )
        columns.append("minutes")
    point_layer = _json_frame(practices, [*columns, "radius"])
    point_layer["radius"] = practices["radius"].to_numpy()
    aliases = ["Practice", "Name", "Patients", "Hub", "MCP", "To hub base", "Minutes"]
    if cluster:
        add_clustered_practices(
            target,
            point_layer,
            columns=columns,
            aliases=aliases[: len(columns)],
            tooltip="practice_name",
            style=PRACTICE_STYLE,
            name=prefix + LAYER_NAMES["practices"],
        )
    else:
        folium.GeoJson(
            point_layer,
            name=prefix + LAYER_NAMES["practices"],
            marker=folium.CircleMarker(),
            style_function=lambda f: {"radius": f["properties"]["radius"], **PRACTICE_STYLE},
            tooltip=TextTooltip(["practice_name"], labels=False),
            popup=TextPopup(columns, aliases=aliases[: len(columns)]),
        ).add_to(target)

    bases = plan.hubs.copy()
    bases["name"] = bases["base_code"] + " " + bases["base_name"].fillna("")
    folium.GeoJson(
        _json_frame(bases, ["hub_id", "name"]),
        name=prefix + LAYER_NAMES["hub_bases"],
        show=not cluster,  # on large maps a base per hub would hide the clusters: a layer to add
        marker=folium.Marker(icon=_base_icon(HUB_BASE_CLASS, 12)),
        tooltip=TextTooltip(["hub_id", "name"], aliases=["Hub base", "Practice"]),
    ).add_to(target)
    if len(plan.mcps):
        mcp_bases = plan.mcps.copy()
        mcp_bases["hub"] = mcp_bases["base_hub_id"] + " (" + mcp_bases["base_code"] + ")"
        folium.GeoJson(
            _json_frame(mcp_bases, ["mcp_id", "hub"]),
            name=prefix + LAYER_NAMES["mcp_bases"],
            marker=folium.Marker(icon=_base_icon(MCP_BASE_CLASS, 20)),
            tooltip=TextTooltip(["mcp_id", "hub"], aliases=["MCP base", "Hub"]),
        ).add_to(target)
    return LayerCounts(
        hubs=len(hub_layer),
        mcps=mcp_count,
        pcns=pcn_count,
        practices=len(point_layer),
        hub_bases=len(bases),
        mcp_bases=len(plan.mcps),
    )


def _base_icon(class_name: str, size: int) -> folium.DivIcon:
    """A square (hub base) or a diamond-framed square (MCP base) drawn by CSS (see STYLE)."""
    return folium.DivIcon(
        html="",
        icon_size=(size, size),
        icon_anchor=(size // 2, size // 2),
        class_name=class_name,
    )


STYLE = f"""<style>
.{HUB_BASE_CLASS} {{ background: #ffffff; border: 3px solid #111111; border-radius: 2px; }}
.{MCP_BASE_CLASS} {{ background: #ffd54f; border: 3px solid #111111; transform-origin: center;
  border-radius: 50%; box-shadow: 0 0 0 2px #ffffff; }}
.mcp-geo-box {{ position: fixed; z-index: 1000; background: rgba(255,255,255,0.94);
  padding: 8px 10px; border: 1px solid #888; border-radius: 4px;
  font: 12px/1.45 system-ui, sans-serif; color: #111; max-width: 330px; }}
.mcp-geo-box h1 {{ font-size: 14px; margin: 0 0 4px; font-weight: 600; }}
.mcp-geo-box table {{ border-collapse: collapse; }}
.mcp-geo-box td {{ padding: 0 6px 0 0; vertical-align: middle; }}
.mcp-geo-swatch {{ display: inline-block; width: 18px; height: 12px; }}
.leaflet-container {{ background: #eef0f2; }}
</style>"""
"""CSS of the base markers, legend and panel (no script)."""


def legend_html(
    *, left: str | None = None, right: str | None = "10px", changed: bool = False
) -> str:
    """The legend: what each symbol means (static HTML); ``changed`` adds the red ring."""
    where = f"left: {left};" if left is not None else f"right: {right};"
    circles = "".join(
        f'<svg width="{2 * practice_radius(n) + 4:.0f}" height="30">'
        f'<circle cx="{practice_radius(n) + 2:.1f}" cy="15" r="{practice_radius(n)}" '
        f'fill="#ffffff" stroke="#222" stroke-width="1"/></svg> {n // 1000}k '
        for n in (5_000, 10_000, 20_000)
    )
    rows = [
        (
            '<span class="mcp-geo-swatch" style="background:#4e79a7;opacity:.6"></span>',
            "hub territory (one colour per hub)",
        ),
        ('<span class="mcp-geo-swatch" style="border:3px solid #111"></span>', "MCP outline"),
        (
            '<span class="mcp-geo-swatch" style="border:2px dashed #6a1b9a"></span>',
            "today's PCN (layer off by default)",
        ),
        ('<span class="mcp-geo-swatch" style="border:4px solid #000"></span>', "footprint outline"),
        (
            f'<span class="{HUB_BASE_CLASS}" style="display:inline-block;width:12px;height:12px">'
            "</span>",
            "hub base",
        ),
        (
            f'<span class="{MCP_BASE_CLASS}" style="display:inline-block;width:16px;height:16px">'
            "</span>",
            "MCP base",
        ),
    ]
    if changed:
        rows.append(
            (
                '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;'
                'border:2.5px solid #d50000"></span>',
                "practice whose MCP partners change",
            )
        )
    body = "".join(f"<tr><td>{symbol}</td><td>{text}</td></tr>" for symbol, text in rows)
    return (
        f'<div class="mcp-geo-box mcp-geo-legend" style="bottom: 28px; {where}">'
        f"<h1>Legend</h1><table>{body}</table>"
        f"<div>practice, area by list size: {circles}</div></div>"
    )


def _share(n: int, within: int) -> str:
    return f"{100 * within / n:.0f}%" if n else "n/a"


def _list_sizes(plan: Plan) -> str:
    """Where the list sizes come from: the snapshot's date, or the user's sites file."""
    if plan.extract_date is not None:
        return f"list sizes of {plan.extract_date:%d %B %Y}"
    return f"list sizes from {PurePath(plan.footprint).name}"


def panel_html(plan: Plan, *, left: str = "10px", title: str | None = None) -> str:
    """The headline numbers of a plan (static HTML)."""
    m = plan.metrics
    s = plan.scenario
    esc = html.escape
    hub_sizes = m.hubs.sizes
    hub_within = hub_sizes.n - hub_sizes.n_below - hub_sizes.n_above
    lines = [
        f"<h1>{esc(title or plan.footprint_title)}</h1>",
        f"{m.practices:,} practices, {m.patients:,} patients ({esc(_list_sizes(plan))})",
        f"<b>{m.hubs.groups} hubs</b>: {_share(hub_sizes.n, hub_within)} within "
        f"{s.hub_min:,}-{s.hub_max:,} patients",
    ]
    if m.mcps is not None:
        mcp_sizes = m.mcps.sizes
        mcp_within = mcp_sizes.n - mcp_sizes.n_below - mcp_sizes.n_above
        bound = f"{s.mcp_min:,}-{s.mcp_max:,}" if s.mcp_max else f"at least {s.mcp_min:,}"
        span = "" if m.max_mcp_span_km is None else f"; largest span {m.max_mcp_span_km:.1f} km"
        lines.append(
            f"<b>{m.mcps.groups} MCPs</b>: {_share(mcp_sizes.n, mcp_within)} within "
            f"{bound} patients{span}"
        )
    if m.hubs.travel is not None:
        lines.append(
            f"to hub base: mean {m.hubs.travel.mean:.2f} km (patient-weighted), "
            f"max {m.hubs.travel.max:.2f} km"
        )
    lines.append(f"travel: {esc(plan.travel)}")
    for level, certificate in (("hubs", plan.certificates.hubs), ("MCPs", plan.certificates.mcps)):
        if certificate is not None:
            gap = "gap n/a" if certificate.gap is None else f"gap {100 * certificate.gap:.4f}%"
            lines.append(f"certificate ({level}): <b>{esc(certificate.status)}</b>, {gap}")
    for exception in plan.exceptions:
        lines.append(f"exception: {esc(exception.text)}")
    return (
        f'<div class="mcp-geo-box mcp-geo-panel" style="top: 10px; left: {left}; '
        f'margin-left: 46px">{"<br>".join(lines)}</div>'
    )
