"""Two plans side by side in one synchronised map (folium's ``plugins.DualMap``).

The left map draws plan A, the right one plan B (or today's PCNs), each with its own layers,
layer control and panel of headline numbers; panning or zooming one moves the other. Practices
that move MCP (the matching of :mod:`mcp_geo.pipeline.compare`, changes.csv) are ringed in red
on both sides; each side's panel gives the whole plan, then its part on the shared practices in
the comparison's three views (:mod:`mcp_geo.maps._compare_panel`).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd

from mcp_geo.maps._compare_panel import side_panel_html
from mcp_geo.maps._geometry import BNG, colour_groups, for_display, pcn_territories
from mcp_geo.maps._geometry import simplified_coverage as _simplified
from mcp_geo.maps._layers import (
    HUB_FILL_OPACITY,
    HUB_WEIGHT,
    OUTLINE_WEIGHT,
    PRACTICE_STYLE,
    LayerCounts,
    _json_frame,
    _thousands,
    add_layer,
    add_library,
    add_panes,
    add_plan_layers,
    pane_of,
    pane_style,
    practice_radius,
)
from mcp_geo.maps._panel import (
    data_lines,
    legend_html,
    pcn_legend_html,
    short_attribution,
)
from mcp_geo.maps._text import TextPopup, TextTooltip
from mcp_geo.maps.render import (
    MapFile,
    MapOptions,
    add_page_html,
    behave,
    drop_unused_assets,
    fit,
    write_html,
)
from mcp_geo.pipeline.compare import Comparison
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

NARROW_STYLE = """<style>
@media (max-width: 700px) {
  .mcp-geo-box, .mcp-geo-box.mcp-geo-side { max-width: calc(50vw - 20px); }
  .mcp-geo-panel { top: 80px !important; margin-left: 0 !important; }
}
</style>"""
"""On a phone each half of a comparison is narrow: its panel sits below the zoom buttons, clear
of the layer control, and no box is wider than its half."""

CHANGED_WEIGHT = 2.5
CHANGED_NAME = "Practices that move MCP"


def _add_pcn_side(
    target: folium.Map, plan: Plan, *, simplify_m: float, panes: bool
) -> tuple[LayerCounts, dict[str, folium.map.Layer]]:
    """Today's PCNs drawn like hubs (filled territories), the outline and the practices."""
    add_library(target)
    add_panes(target)
    layers: dict[str, folium.map.Layer] = {}
    drawn = pcn_territories(plan.practices, plan.outline.geometry)
    pcn_count = 0
    if drawn is not None:
        shown = _simplified(drawn, tolerance_m=simplify_m)
        colours = colour_groups(shown, "pcn_code")
        shown["colour"] = shown["pcn_code"].astype(str).map(colours)
        counts = plan.practices.groupby("pcn_code")["patients"].agg(["size", "sum"])
        shown["practices"] = shown["pcn_code"].map(counts["size"]).map(_thousands).fillna("1")
        shown["patients"] = shown["pcn_code"].map(counts["sum"]).map(_thousands).fillna("")
        shown["label"] = "PCN " + shown["pcn_code"].astype(str)
        layer = for_display(shown)
        pcn_count = len(layer)
        fields = ["pcn_code", "practices", "patients"]
        layers["pcns"] = add_layer(
            target,
            folium.GeoJson(
                _json_frame(layer, [*fields, "colour", "label"]),
                name="Today's PCNs",
                style_function=lambda f: {
                    "fillColor": f["properties"]["colour"],
                    "fillOpacity": HUB_FILL_OPACITY,
                    "color": "#333333",
                    "weight": HUB_WEIGHT,
                },
                tooltip=TextTooltip(["pcn_code"], aliases=["PCN"]),
                popup=TextPopup(fields, aliases=["PCN", "Practices", "Patients"]),
            ),
            pane=pane_of("hubs", panes=panes),
        )
        whole = shown.geometry.union_all(method="coverage")
        outline = for_display(
            gpd.GeoDataFrame({"name": [plan.footprint_title]}, geometry=[whole], crs=BNG)
        )
        layers["outline"] = add_layer(
            target,
            folium.GeoJson(
                _json_frame(outline, ["name"]),
                name="Footprint outline",
                style_function=lambda f: {
                    "fill": False,
                    "color": "#000000",
                    "weight": OUTLINE_WEIGHT,
                },
            ),
            pane=pane_of("outline", panes=panes),
        )
    practices = plan.practices.copy()
    practices["patients_text"] = practices["patients"].map(_thousands)
    practices["pcn_code"] = practices["pcn_code"].fillna("")
    practices["label"] = (
        "Practice "
        + practices["practice_code"].astype(str)
        + " "
        + practices["practice_name"].fillna("").astype(str)
    )
    columns = ["practice_code", "practice_name", "patients_text", "pcn_code"]
    points = _json_frame(practices, [*columns, "label"])
    points["radius"] = practices["patients"].map(practice_radius).to_numpy()
    style = {**PRACTICE_STYLE, **pane_style("practices", panes=panes)}
    layers["practices"] = add_layer(
        target,
        folium.GeoJson(
            points,
            name="Practices",
            marker=folium.CircleMarker(),
            style_function=lambda f: {"radius": f["properties"]["radius"], **style},
            tooltip=TextTooltip(["practice_name"], labels=False),
            popup=TextPopup(columns, aliases=["Practice", "Name", "Patients", "PCN"]),
        ),
    )
    counts = LayerCounts(
        hubs=0, mcps=0, pcns=pcn_count, practices=len(points), hub_bases=0, mcp_bases=0
    )
    return counts, layers


def _add_changed(
    target: folium.Map, plan: Plan, codes: set[str], *, panes: bool
) -> folium.GeoJson | None:
    if not codes:
        return None
    moved = plan.practices[plan.practices["practice_code"].astype(str).isin(codes)].copy()
    points = _json_frame(moved, ["practice_code", "practice_name"])
    points["radius"] = moved["patients"].map(lambda n: practice_radius(n) + 4).to_numpy()
    ring = folium.GeoJson(
        points,
        name=CHANGED_NAME,
        marker=folium.CircleMarker(),
        style_function=lambda f: {
            "radius": f["properties"]["radius"],
            "fill": False,
            "color": "#d50000",
            "weight": CHANGED_WEIGHT,
            "interactive": False,  # a click on the ring reaches the practice under it
            **pane_style("practices", panes=panes),
        },
    )
    return add_layer(target, ring)


def _pcn_panel(comparison: Comparison) -> str:
    pcn = comparison.a.metrics.pcn
    hubs = comparison.number("hubs", "b") or 0
    within = comparison.number("share of hubs within bounds", "b")
    lines = [f"<b>{hubs:.0f} PCNs</b> today"]
    if within is not None:
        lines.append(f"{100 * within:.0f}% of them within the hub bounds")
    if pcn is not None:
        lines.append(
            f"practices are {pcn.pcns.distance.mean:.1f} km from their PCN's central practice "
            f"on average (at most {pcn.pcns.distance.max:.1f} km)"
        )
    ari = comparison.number("adjusted Rand index, hubs", "a")
    if ari is not None:
        lines.append(
            f"how alike the plan's hubs and today's PCNs are: {ari:.2f} "
            "(adjusted Rand index: 0 as by chance, 1 the same)"
        )
    lines += [html.escape(line) for line in comparison.panel_lines("b")]
    data = "<br>".join(html.escape(line) for line in data_lines(comparison.a))
    return (
        '<details open class="mcp-geo-box mcp-geo-panel mcp-geo-side" style="top: 10px; '
        'left: calc(50% + 10px); margin-left: 46px">'
        f"<summary><h1>{html.escape(comparison.b_label)}</h1></summary>"
        f"{''.join(f'<p>{line}</p>' for line in lines)}"
        f'<details class="mcp-geo-data"><summary>About the data</summary>{data}</details>'
        "</details>"
    )


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
    panes = not options.use_canvas(practices)
    left = add_plan_layers(dual.m1, a, simplify_m=options.simplify_m, panes=panes)
    left_ring = _add_changed(dual.m1, a, changed, panes=panes)
    middle = "calc(50% + 10px)"
    if b is None:
        right, right_layers = _add_pcn_side(dual.m2, a, simplify_m=options.simplify_m, panes=panes)
        right_panel = _pcn_panel(comparison)
        right_legend = pcn_legend_html(right_layers, left=middle)
    else:
        drawn = add_plan_layers(dual.m2, b, simplify_m=options.simplify_m, panes=panes)
        right, right_layers = drawn.counts, dict(drawn.layers)
        right_ring = _add_changed(dual.m2, b, changed, panes=panes)
        right_panel = side_panel_html(comparison, "b", left=middle)
        right_legend = legend_html(
            right_layers, left=middle, changed=right_ring, title=f"Legend: {comparison.b_label}"
        )
        if right_ring is not None:
            right_layers["changed"] = right_ring
    for side in (dual.m1, dual.m2):
        folium.LayerControl(collapsed=True).add_to(side)
    add_page_html(
        dual.m1,
        NARROW_STYLE,
        side_panel_html(comparison, "a", left="10px"),
        right_panel,
        legend_html(
            left.layers, left="10px", changed=left_ring, title=f"Legend: {comparison.a_label}"
        ),
        right_legend,
    )
    bounds = fit(dual.m1, a)  # the maps are synchronised: both frame plan A
    fit(dual.m2, a)
    left_layers = [*left.layers.values(), *([left_ring] if left_ring is not None else [])]
    credit = short_attribution(a)
    behave(dual.m1, layers=left_layers, title=comparison.a_label, attribution=credit, bounds=bounds)
    behave(
        dual.m2,
        layers=list(right_layers.values()),
        title=comparison.b_label,
        attribution=credit,
        bounds=bounds,
    )
    return dual, (left.counts, right)


def write_comparison_map(
    comparison: Comparison, path: str | Path, *, options: MapOptions | None = None
) -> MapFile:
    """Write the side-by-side map as one HTML file (assets inlined where available)."""
    dual, counts = render_comparison(comparison, options=options)
    written, size, missing = write_html(dual.m1.get_root().render(), path)
    return MapFile(
        path=written, bytes=size, self_contained=not missing, missing_assets=missing, counts=counts
    )
