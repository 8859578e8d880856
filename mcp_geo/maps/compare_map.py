"""Two plans side by side in one synchronised map (folium's ``plugins.DualMap``).

The left map draws plan A, the right one plan B (or today's PCNs), each with its own layers,
layer control and panel of headline numbers (with the comparison's own: each footprint as one
provider, and the partners the other side keeps); panning or zooming one moves the other.
Practices that move MCP (the matching of :mod:`mcp_geo.pipeline.compare`, changes.csv) are ringed
in red on both sides.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd

from mcp_geo.maps._geometry import BNG, colour_groups, for_display, pcn_territories
from mcp_geo.maps._geometry import simplified_coverage as _simplified
from mcp_geo.maps._layers import (
    HUB_WEIGHT,
    OUTLINE_WEIGHT,
    PRACTICE_WEIGHT,
    LayerCounts,
    _json_frame,
    _thousands,
    add_plan_layers,
    legend_html,
    panel_html,
    practice_radius,
)
from mcp_geo.maps._text import TextPopup, TextTooltip
from mcp_geo.maps.render import (
    MapFile,
    MapOptions,
    add_page_html,
    drop_unused_assets,
    fit,
    write_html,
)
from mcp_geo.pipeline.compare import Comparison
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

CHANGED_WEIGHT = 2.5
CHANGED_NAME = "Practices that move MCP"


def _add_pcn_side(target: folium.Map, plan: Plan, *, simplify_m: float) -> LayerCounts:
    """Today's PCNs drawn like hubs (filled territories), the outline and the practices."""
    drawn = pcn_territories(plan.practices, plan.outline.geometry)
    pcn_count = 0
    if drawn is not None:
        shown = _simplified(drawn, tolerance_m=simplify_m)
        colours = colour_groups(shown, "pcn_code")
        shown["colour"] = shown["pcn_code"].astype(str).map(colours)
        layer = for_display(shown)
        pcn_count = len(layer)
        folium.GeoJson(
            _json_frame(layer, ["pcn_code", "colour"]),
            name="Today's PCNs",
            style_function=lambda f: {
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.45,
                "color": "#333333",
                "weight": HUB_WEIGHT,
            },
            tooltip=TextTooltip(["pcn_code"], aliases=["PCN"]),
        ).add_to(target)
        whole = shown.geometry.union_all(method="coverage")
        outline = for_display(
            gpd.GeoDataFrame({"name": [plan.footprint_title]}, geometry=[whole], crs=BNG)
        )
        folium.GeoJson(
            _json_frame(outline, ["name"]),
            name="Footprint outline",
            style_function=lambda f: {"fill": False, "color": "#000000", "weight": OUTLINE_WEIGHT},
        ).add_to(target)
    practices = plan.practices.copy()
    practices["patients_text"] = practices["patients"].map(_thousands)
    practices["pcn_code"] = practices["pcn_code"].fillna("")
    columns = ["practice_code", "practice_name", "patients_text", "pcn_code"]
    points = _json_frame(practices, columns)
    points["radius"] = practices["patients"].map(practice_radius).to_numpy()
    folium.GeoJson(
        points,
        name="Practices",
        marker=folium.CircleMarker(),
        style_function=lambda f: {
            "radius": f["properties"]["radius"],
            "fillColor": "#ffffff",
            "fillOpacity": 0.85,
            "color": "#222222",
            "weight": PRACTICE_WEIGHT,
        },
        popup=TextPopup(columns, aliases=["Practice", "Name", "Patients", "PCN"]),
    ).add_to(target)
    return LayerCounts(
        hubs=0, mcps=0, pcns=pcn_count, practices=len(points), hub_bases=0, mcp_bases=0
    )


def _add_changed(target: folium.Map, plan: Plan, codes: set[str]) -> int:
    if not codes:
        return 0
    moved = plan.practices[plan.practices["practice_code"].astype(str).isin(codes)].copy()
    points = _json_frame(moved, ["practice_code", "practice_name"])
    points["radius"] = moved["patients"].map(lambda n: practice_radius(n) + 4).to_numpy()
    folium.GeoJson(
        points,
        name=CHANGED_NAME,
        marker=folium.CircleMarker(),
        style_function=lambda f: {
            "radius": f["properties"]["radius"],
            "fill": False,
            "color": "#d50000",
            "weight": CHANGED_WEIGHT,
        },
        tooltip=TextTooltip(["practice_code", "practice_name"], labels=False),
    ).add_to(target)
    return len(points)


def _pcn_panel(comparison: Comparison) -> str:
    pcn = comparison.a.metrics.pcn
    hubs = comparison.number("hubs", "b") or 0
    within = comparison.number("share of hubs within bounds", "b")
    lines = [f"<h1>{html.escape(comparison.b_label)}</h1>", f"{hubs:.0f} PCNs"]
    if within is not None:
        lines.append(f"{100 * within:.0f}% within the hub bounds")
    if pcn is not None:
        lines.append(
            f"to PCN base (1-median practice): mean {pcn.pcns.distance.mean:.2f} km, "
            f"max {pcn.pcns.distance.max:.2f} km"
        )
    ari = comparison.number("adjusted Rand index, hubs", "a")
    if ari is not None:
        lines.append(f"adjusted Rand index, hubs vs PCNs: {ari:.3f}")
    lines += [html.escape(line) for line in comparison.panel_lines("b")]
    return (
        '<div class="mcp-geo-box mcp-geo-panel" style="top: 10px; left: calc(50% + 10px); '
        f'margin-left: 46px">{"<br>".join(lines)}</div>'
    )


def _with_lines(panel: str, lines: list[str]) -> str:
    """``panel`` with the comparison's lines (plain text, escaped) at its end."""
    if not lines or not panel.endswith("</div>"):
        return panel
    extra = "".join(f"<br>{html.escape(line)}" for line in lines)
    return f"{panel[: -len('</div>')]}{extra}</div>"


def render_comparison(
    comparison: Comparison, *, options: MapOptions | None = None
) -> tuple[folium.plugins.DualMap, tuple[LayerCounts, LayerCounts]]:
    """The synchronised side-by-side map of a comparison, and what each side holds."""
    options = options or MapOptions()
    a, b = comparison.a, comparison.b
    practices = len(a.practices) + (0 if b is None else len(b.practices))
    dual = folium.plugins.DualMap(  # type: ignore[no-untyped-call]
        tiles=options.tiles,
        prefer_canvas=options.use_canvas(practices),
        control_scale=True,
        zoom_snap=0.25,
    )
    drop_unused_assets(dual.m1)
    drop_unused_assets(dual.m2)
    changes = comparison.changes
    changed = set(changes.loc[changes["moved_mcp"].fillna(False).astype(bool), "practice_code"])
    left = add_plan_layers(dual.m1, a, simplify_m=options.simplify_m)
    _add_changed(dual.m1, a, changed)
    if b is None:
        right = _add_pcn_side(dual.m2, a, simplify_m=options.simplify_m)
        right_panel = _pcn_panel(comparison)
    else:
        right = add_plan_layers(dual.m2, b, simplify_m=options.simplify_m)
        _add_changed(dual.m2, b, changed)
        right_panel = _with_lines(
            panel_html(b, left="calc(50% + 10px)", title=comparison.b_label),
            comparison.panel_lines("b"),
        )
    for side in (dual.m1, dual.m2):
        folium.LayerControl(collapsed=True).add_to(side)
    add_page_html(
        dual.m1,
        _with_lines(panel_html(a, title=comparison.a_label), comparison.panel_lines("a")),
        right_panel,
        legend_html(changed=b is not None),
    )
    fit(dual.m1, a)  # the maps are synchronised: both frame plan A
    fit(dual.m2, a)
    return dual, (left, right)


def write_comparison_map(
    comparison: Comparison, path: str | Path, *, options: MapOptions | None = None
) -> MapFile:
    """Write the side-by-side map as one HTML file (assets inlined where available)."""
    dual, counts = render_comparison(comparison, options=options)
    written, size, missing = write_html(dual.m1.get_root().render(), path)
    return MapFile(
        path=written, bytes=size, self_contained=not missing, missing_assets=missing, counts=counts
    )
