"""The layers of a plan map: territories, outlines, labels, practices, bases and PCNs.

Everything is drawn with folium's own classes (``GeoJson`` with tooltips and popups that show
the data as text, see :mod:`mcp_geo.maps._text`; ``CircleMarker`` and ``DivIcon`` markers; on
large maps the practices are a ``FastMarkerCluster``, see :mod:`mcp_geo.maps._cluster`), the
labels with :class:`~mcp_geo.maps._labels.LabelLayer`. Each layer has its own stroke width,
which tests use to count what the browser drew.

What a click opens: a practice's circle (filled, so that all of it takes the click) its own
popup; a hub's territory, its label and its base marker the hub's popup, which gives its MCP
with the MCP's numbers; an MCP's outline and its label the MCP's popup. On SVG maps each kind
of feature has its own pane (:data:`PANES`), so that labels stay above practices and
practices above territories whatever the reader switches off and on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeVar

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure

from mcp_geo.maps._cluster import add_clustered_practices
from mcp_geo.maps._colours import hub_colours
from mcp_geo.maps._find import FIND_LIBRARY, FIND_STYLE
from mcp_geo.maps._geometry import (
    BNG,
    DECIMALS,
    dissolve_by,
    for_display,
    pcn_territories,
    simplified_coverage,
)
from mcp_geo.maps._labels import (
    LABEL_PANE,
    LabelLayer,
    anchor_points,
    base_towns,
    label_rows,
    town_case,
)
from mcp_geo.maps._panel import BOX_STYLE, HUB_BASE_CLASS, MCP_BASE_CLASS
from mcp_geo.maps._script import LIBRARY, PRACTICE_PANE, STYLE
from mcp_geo.maps._text import TextPopup, TextTooltip, layer_name
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

# Stroke widths (px) tell the layers apart in the drawn SVG.
HUB_WEIGHT = 0.8
MCP_WEIGHT = 3.0
OUTLINE_WEIGHT = 4.0
PCN_WEIGHT = 1.6
PRACTICE_WEIGHT = 1.0
HUB_FILL_OPACITY = 0.5
PRACTICE_STYLE = {
    "fill": True,
    "fillColor": "#ffffff",
    "fillOpacity": 0.35,
    "color": "#222222",
    "weight": PRACTICE_WEIGHT,
}
"""Leaflet path options of a practice's circle (its radius follows the list size): filled, so
that a click anywhere on it opens its popup, and light, so that the territory shows through."""
PCN_COLOUR = "#000000"
PCN_STYLE = {
    "fill": False,
    "color": PCN_COLOUR,
    "weight": PCN_WEIGHT,
    "dashArray": "1 5",
    "lineCap": "round",
}
"""Today's PCNs: a black dotted line, unlike the thin grey edges of hubs."""

PANES: dict[str, int] = {
    "mcpGeoHubs": 405,
    "mcpGeoPcns": 410,
    "mcpGeoOutline": 412,
    "mcpGeoMcps": 415,
    PRACTICE_PANE: 435,
    LABEL_PANE: 440,
}
"""Panes of an SVG map, bottom to top (Leaflet's overlays are at 400, its markers at 600: the
hub and MCP bases stay above everything, the popups above them). Labels are above the
practices' circles, so that none is hidden under a circle; they are placed clear of the circles
where they can be (:mod:`mcp_geo.maps._script`), so that the circles stay clickable."""
PANE_OF = {
    "hubs": "mcpGeoHubs",
    "pcns": "mcpGeoPcns",
    "outline": "mcpGeoOutline",
    "mcps": "mcpGeoMcps",
    "practices": PRACTICE_PANE,
}

LAYER_NAMES = {
    "hubs": "Hub territories",
    "mcps": "MCP outlines",
    "pcns": "Today's PCNs",
    "outline": "Footprint outline",
    "labels": "Hub and MCP labels",
    "practices": "Practices",
    "hub_bases": "Hub bases",
    "mcp_bases": "MCP bases",
}
"""Layer names shown in the layer control (prefixed by a plan's label on comparison maps)."""


def add_library(target: folium.Map) -> None:
    """Add the page's script library and style once per page (:mod:`mcp_geo.maps._script`,
    :mod:`mcp_geo.maps._find`)."""
    root = target.get_root()
    assert isinstance(root, Figure)  # folium puts every map in a Figure
    if "mcp_geo_library" not in root.html._children:
        root.header.add_child(Element(BOX_STYLE), name="mcp_geo_style")
        root.header.add_child(Element(STYLE), name="mcp_geo_script_style")
        root.header.add_child(Element(FIND_STYLE), name="mcp_geo_find_style")
        root.html.add_child(Element(LIBRARY), name="mcp_geo_library")
        root.html.add_child(Element(FIND_LIBRARY), name="mcp_geo_find_library")


@dataclass(frozen=True)
class LayerCounts:
    """How many features each layer of one plan holds."""

    hubs: int
    mcps: int
    pcns: int
    practices: int
    hub_bases: int
    mcp_bases: int
    reference: int = 0  # reference groups drawn (a plan made with a reference)
    moved: int = 0  # practices ringed as moved out of their reference group
    open: int = 0  # practices ringed as open (a plan with alternatives)


def practice_radius(patients: float) -> float:
    """Marker radius in pixels: area proportional to the list size (10,000 patients: 7 px)."""
    return round(max(2.5, 7.0 * float(np.sqrt(max(patients, 0) / 10_000))), 2)


def _thousands(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{int(value):,}"


def _km(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.2f} km"


def _json_frame(layer: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(layer[columns].astype(str), geometry=layer.geometry, crs=layer.crs)


def add_rings(
    target: folium.Map,
    rows: gpd.GeoDataFrame,
    *,
    name: str,
    fields: list[str],
    aliases: list[str],
    tooltip: list[str],
    style: dict[str, Any],
    margin: int,
) -> folium.GeoJson:
    """A ring round each practice of ``rows`` (points with their ``patients``), ``margin``
    pixels outside its circle, its popup ``fields`` (as text) and its tooltip ``tooltip``."""
    points = _json_frame(rows, fields)
    points["radius"] = rows["patients"].map(lambda n: practice_radius(n) + margin).to_numpy()
    return add_layer(
        target,
        folium.GeoJson(
            points,
            name=name,
            marker=folium.CircleMarker(),
            style_function=lambda f: {"radius": f["properties"]["radius"], **style},
            tooltip=TextTooltip(tooltip, labels=False),
            popup=TextPopup(fields, aliases=aliases),
        ),
    )


@dataclass(frozen=True)
class DrawnLayers:
    """What :func:`add_plan_layers` drew: counts, and the layers by :data:`LAYER_NAMES` key
    (for the legend rows that follow them)."""

    counts: LayerCounts
    layers: dict[str, folium.map.Layer]


_L = TypeVar("_L", bound=folium.map.Layer)


def add_layer(target: folium.Map, layer: _L, *, pane: str | None = None) -> _L:
    """Add ``layer`` to ``target`` (in ``pane``, if given) and return it."""
    if pane is not None:
        options: dict[str, Any] = layer.options  # type: ignore[attr-defined]
        options["pane"] = pane  # L.geoJson passes it on to its polygons
    layer.add_to(target)
    return layer


def pane_of(key: str, *, panes: bool) -> str | None:
    """The pane of a layer (:data:`PANE_OF`), or None on a map without panes."""
    return PANE_OF[key] if panes else None


def pane_style(key: str, *, panes: bool) -> dict[str, str]:
    """Leaflet options putting a marker layer's features in their pane (none without panes)."""
    return {"pane": PANE_OF[key]} if panes else {}


def add_panes(target: folium.Map) -> None:
    """The map's panes (:data:`PANES`), so that each kind of feature stays at its level."""
    for name, z_index in PANES.items():
        folium.map.CustomPane(name, z_index=z_index, pointer_events=True).add_to(target)


def _hub_table(plan: Plan) -> pd.DataFrame:
    """Per hub: the popup's texts (its MCP's numbers among them), the label, the colour key."""
    hubs = plan.hubs.set_index("hub_id")
    table = pd.DataFrame(index=hubs.index.astype(str))
    table["hub_id"] = table.index
    towns = base_towns(hubs["base_code"], practices=plan.practices).to_numpy()
    names = hubs["base_name"].fillna("").astype(str).to_numpy()
    table["town"] = [town_case(t) for t in towns]
    table["base"] = (hubs["base_code"].astype(str) + " " + hubs["base_name"].fillna("")).to_numpy()
    table["patients"] = hubs["patients"].map(_thousands).to_numpy()
    table["patients_n"] = hubs["patients"].fillna(0).astype(int).to_numpy()
    table["practices"] = hubs["practices"].map(_thousands).to_numpy()
    table["mcp_id"] = hubs["mcp_id"].fillna("").astype(str).to_numpy()
    place = [t if t else town_case(n) for t, n in zip(table["town"], names, strict=True)]
    table["label_text"] = [f"{h} {p}".strip() for h, p in zip(table.index, place, strict=True)]
    table["label"] = [
        f"Hub {h}, base {b}, {n} patients"
        for h, b, n in zip(table.index, table["base"], table["patients"], strict=True)
    ]
    if len(plan.mcps):
        mcps = plan.mcps.set_index("mcp_id")
        mcp = table["mcp_id"].replace("", None)
        table["mcp_patients"] = mcp.map(mcps["patients"].map(_thousands)).fillna("")
        table["mcp_hubs"] = mcp.map(mcps["hubs"].map(_thousands)).fillna("")
        table["mcp_practices"] = mcp.map(mcps["practices"].map(_thousands)).fillna("")
        table["mcp_span"] = mcp.map(mcps["span_km"].map(_km)).fillna("")
    return table


def _hub_fields(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    fields = ["hub_id", "town", "base", "patients", "practices", "mcp_id"]
    aliases = ["Hub", "Base town", "Base practice", "Patients", "Practices", "MCP"]
    if not table["town"].astype(bool).any():
        fields.remove("town")
        aliases.remove("Base town")
    if "mcp_patients" in table:
        fields += ["mcp_patients", "mcp_hubs", "mcp_practices", "mcp_span"]
        aliases += ["MCP patients", "MCP hubs", "MCP practices", "MCP span"]
    return fields, aliases


def _pairs(frame: pd.DataFrame, fields: list[str], aliases: list[str]) -> list[list[list[str]]]:
    return [
        [[a, str(v)] for a, v in zip(aliases, row, strict=True)]
        for row in frame[fields].itertuples(index=False)
    ]


def add_plan_layers(
    target: folium.Map,
    plan: Plan,
    *,
    simplify_m: float = 25.0,
    label: str = "",
    cluster: bool = False,
    panes: bool = True,
) -> DrawnLayers:
    """Add one plan's layers to ``target``; ``label`` prefixes the layer names.

    ``cluster`` groups the practices into clusters (large maps, see :mod:`._cluster`) and
    leaves the hub bases off until the reader switches their layer on. ``panes`` stacks the
    layers in :data:`PANES` (SVG maps; a canvas map keeps one canvas, drawn in the order added,
    since stacked canvases would take each other's clicks).
    """
    add_library(target)
    add_panes(target)
    prefix = f"{layer_name(label)}: " if label else ""
    layers: dict[str, folium.map.Layer] = {}
    table = _hub_table(plan)
    fields, aliases = _hub_fields(table)
    shown = simplified_coverage(plan.territories_hubs, tolerance_m=simplify_m)
    hub_ids = shown["hub_id"].astype(str)
    colours = hub_colours(shown, dict(zip(table.index, table["mcp_id"], strict=True)))
    shown["colour"] = hub_ids.map(colours)
    for column in [*fields, "label", "label_text", "patients_n"]:
        if column != "hub_id":
            shown[column] = hub_ids.map(table[column]).to_numpy()
    anchors = anchor_points(shown)
    shown["anchor_lat"] = [None if p is None else round(p.y, DECIMALS) for p in anchors]
    shown["anchor_lon"] = [None if p is None else round(p.x, DECIMALS) for p in anchors]
    hub_layer = for_display(shown)
    layers["hubs"] = add_layer(
        target,
        folium.GeoJson(
            _json_frame(hub_layer, [*fields, "colour", "label", "anchor_lat", "anchor_lon"]),
            name=prefix + LAYER_NAMES["hubs"],
            style_function=lambda f: {
                "fillColor": f["properties"]["colour"],
                "fillOpacity": HUB_FILL_OPACITY,
                "color": "#333333",
                "weight": HUB_WEIGHT,
            },
            tooltip=TextTooltip(["hub_id"], aliases=["Hub"]),
            popup=TextPopup(fields, aliases=aliases),
        ),
        pane=pane_of("hubs", panes=panes),
    )

    mcp_count = 0
    mcp_labels = None
    mcp_popups: list[list[list[str]]] = []
    if len(plan.mcps):
        mcps = plan.mcps.set_index("mcp_id")
        outlines = dissolve_by(shown, shown["mcp_id"].replace("", None), "mcp_id")
        ids = outlines["mcp_id"]
        outlines["patients"] = ids.map(mcps["patients"].map(_thousands))
        outlines["patients_n"] = ids.map(mcps["patients"]).fillna(0).astype(int)
        outlines["hubs"] = ids.map(mcps["hubs"].map(_thousands))
        outlines["practices"] = ids.map(mcps["practices"].map(_thousands))
        outlines["span"] = ids.map(mcps["span_km"].map(_km))
        outlines["base"] = ids.map(mcps["base_hub_id"] + " (" + mcps["base_code"] + ")")
        outlines["label"] = "MCP " + ids + ", " + outlines["patients"] + " patients"
        mcp_fields = ["mcp_id", "patients", "hubs", "practices", "span", "base"]
        mcp_aliases = ["MCP", "Patients", "Hubs", "Practices", "Span", "Base hub"]
        mcp_layer = for_display(outlines)
        mcp_count = len(mcp_layer)
        layers["mcps"] = add_layer(
            target,
            folium.GeoJson(
                _json_frame(mcp_layer, [*mcp_fields, "label"]),
                name=prefix + LAYER_NAMES["mcps"],
                style_function=lambda f: {"fill": False, "color": "#111111", "weight": MCP_WEIGHT},
                popup=TextPopup(mcp_fields, aliases=mcp_aliases),
            ),
            pane=pane_of("mcps", panes=panes),
        )
        mcp_labels = outlines.assign(label=ids, label_description=outlines["label"])
        mcp_popups = _pairs(outlines, mcp_fields, mcp_aliases)

    from mcp_geo.maps._reference import add_moved_practices, add_reference_groups

    pcn_count = 0
    whole = shown.geometry.union_all(method="coverage")
    outcome = plan.reference
    # with today's PCNs as the reference, the reference layer draws them (with their fates)
    pcns = None
    if outcome is None or outcome.kind != "pcn":
        pcns = pcn_territories(plan.practices, plan.outline.geometry)
    if pcns is not None:
        counts = plan.practices.groupby("pcn_code")["patients"].agg(["size", "sum"])
        pcns["practices"] = pcns["pcn_code"].map(counts["size"]).map(_thousands)
        pcns["patients"] = pcns["pcn_code"].map(counts["sum"]).map(_thousands)
        pcn_layer = for_display(simplified_coverage(pcns, tolerance_m=simplify_m))
        pcn_count = len(pcn_layer)
        layers["pcns"] = add_layer(
            target,
            folium.GeoJson(
                _json_frame(pcn_layer, ["pcn_code", "practices", "patients"]),
                name=prefix + LAYER_NAMES["pcns"],
                show=False,
                style_function=lambda f: PCN_STYLE,
                tooltip=TextTooltip(
                    ["pcn_code", "practices", "patients"], aliases=["PCN", "Practices", "Patients"]
                ),
            ),
            pane=pane_of("pcns", panes=panes),
        )
    reference = add_reference_groups(
        target, plan, simplify_m=simplify_m, prefix=prefix, panes=panes
    )
    if reference is not None:
        layers["reference"] = reference

    outline = for_display(
        gpd.GeoDataFrame({"name": [plan.footprint_title]}, geometry=[whole], crs=BNG)
    )
    layers["outline"] = add_layer(
        target,
        folium.GeoJson(
            _json_frame(outline, ["name"]),
            name=prefix + LAYER_NAMES["outline"],
            style_function=lambda f: {
                "fill": False,
                "color": "#000000",
                "weight": OUTLINE_WEIGHT,
                # on a canvas map (one canvas, drawn in the order added) the outline, drawn above
                # the MCP outlines, would take the clicks on their shared edges: there it takes none
                "interactive": panes,
            },
            tooltip=TextTooltip(["name"], labels=False) if panes else None,
        ),
        pane=pane_of("outline", panes=panes),
    )

    hub_labels = shown.assign(label=shown["label_text"], label_description=shown["label"])
    rows = label_rows(
        hubs=hub_labels.reset_index(drop=True),
        hub_popups=_pairs(shown.assign(hub_id=hub_ids), fields, aliases),
        mcps=None if mcp_labels is None else mcp_labels.reset_index(drop=True),
        mcp_popups=mcp_popups,
        large=cluster,
    )
    layers["labels"] = add_layer(target, LabelLayer(rows, name=prefix + LAYER_NAMES["labels"]))

    practices = plan.practices.copy()
    practices["radius"] = practices["patients"].map(practice_radius)
    practices["patients_text"] = practices["patients"].map(_thousands)
    practices["km"] = practices["km_to_hub_base"].map(_km)
    practices["mcp_id"] = practices["mcp_id"].fillna("")
    practices["label"] = (
        "Practice "
        + practices["practice_code"].astype(str)
        + " "
        + practices["practice_name"].fillna("").astype(str)
    )
    columns = ["practice_code", "practice_name", "patients_text", "hub_id", "mcp_id", "km"]
    if "minutes_to_hub_base" in practices:  # drive minutes on roads
        practices["minutes"] = practices["minutes_to_hub_base"].map(
            lambda v: "" if pd.isna(v) else f"{v:.1f}"
        )
        columns.append("minutes")
    point_layer = _json_frame(practices, [*columns, "label", "radius"])
    point_layer["radius"] = practices["radius"].to_numpy()
    practice_aliases = ["Practice", "Name", "Patients", "Hub", "MCP", "To hub base", "Minutes"]
    if cluster:
        add_clustered_practices(
            target,
            point_layer,
            columns=columns,
            aliases=practice_aliases[: len(columns)],
            tooltip="practice_name",
            style=PRACTICE_STYLE,
            name=prefix + LAYER_NAMES["practices"],
        )
    else:
        style = {**PRACTICE_STYLE, **pane_style("practices", panes=panes)}
        layers["practices"] = add_layer(
            target,
            folium.GeoJson(
                point_layer,
                name=prefix + LAYER_NAMES["practices"],
                marker=folium.CircleMarker(),
                style_function=lambda f: {"radius": f["properties"]["radius"], **style},
                tooltip=TextTooltip(["practice_name"], labels=False),
                popup=TextPopup(columns, aliases=practice_aliases[: len(columns)]),
            ),
        )

    moved = add_moved_practices(target, plan, prefix=prefix, panes=panes)
    if moved is not None:
        layers["moved"] = moved
    from mcp_geo.maps._alternatives import add_open_practices

    opened = add_open_practices(target, plan, prefix=prefix, panes=panes)
    if opened is not None:
        layers["open"] = opened

    bases = plan.hubs[["hub_id", "geometry"]].copy()
    base_ids = bases["hub_id"].astype(str)
    for column in [*fields, "label"]:
        if column != "hub_id":
            bases[column] = base_ids.map(table[column]).to_numpy()
    bases["label"] = "Base of hub " + base_ids + ": " + bases["base"]
    layers["hub_bases"] = add_layer(
        target,
        folium.GeoJson(
            _json_frame(bases, [*fields, "label"]),
            name=prefix + LAYER_NAMES["hub_bases"],
            show=not cluster,  # on large maps a base per hub would hide the clusters: a layer to add
            marker=folium.Marker(icon=_base_icon(HUB_BASE_CLASS, 12)),
            tooltip=TextTooltip(["hub_id", "base"], aliases=["Hub base", "Practice"]),
            popup=TextPopup(fields, aliases=aliases),
        ),
    )
    if len(plan.mcps):
        mcp_bases = plan.mcps.copy()
        mcp_bases["hub"] = mcp_bases["base_hub_id"] + " (" + mcp_bases["base_code"] + ")"
        layers["mcp_bases"] = add_layer(
            target,
            folium.GeoJson(
                _json_frame(mcp_bases, ["mcp_id", "hub"]),
                name=prefix + LAYER_NAMES["mcp_bases"],
                marker=folium.Marker(icon=_base_icon(MCP_BASE_CLASS, 20)),
                tooltip=TextTooltip(["mcp_id", "hub"], aliases=["MCP base", "Hub"]),
            ),
        )
    counts = LayerCounts(
        hubs=len(hub_layer),
        mcps=mcp_count,
        pcns=pcn_count,
        practices=len(point_layer),
        hub_bases=len(bases),
        mcp_bases=len(plan.mcps),
        reference=0 if reference is None else len(reference.data["features"]),
        moved=0 if moved is None else len(moved.data["features"]),
        open=0 if opened is None else len(opened.data["features"]),
    )
    return DrawnLayers(counts=counts, layers=layers)


def _base_icon(class_name: str, size: int) -> folium.DivIcon:
    """A square (hub base) or a diamond-framed square (MCP base) drawn by CSS (see STYLE)."""
    return folium.DivIcon(
        html="",
        icon_size=(size, size),
        icon_anchor=(size // 2, size // 2),
        class_name=class_name,
    )
