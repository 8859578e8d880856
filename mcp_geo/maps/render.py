"""Publishable maps of a plan: :func:`render_plan` and :func:`write_map`.

A plan map shows the hub territories coloured by hub, the MCP outlines, the practices sized by
list size (grouped into clusters on large maps), the hub and MCP bases, today's PCNs as a layer
to switch on, the footprint outline, a legend, a layer control and a panel of headline numbers.
:func:`write_map` writes it as one self-contained HTML file: Leaflet, Bootstrap, jQuery and the
plugins are inlined (see :mod:`mcp_geo.maps._assets`), so only the base map tiles need a network,
and the map stays readable without them. Geometry is simplified for display only (the plan is
not changed).

Examples
--------
>>> from mcp_geo.plans.read import read_plan  # doctest: +SKIP
>>> write_map(read_plan("plans/north-staffs"), "plans/north-staffs/map.html")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import folium
import folium.plugins
from branca.element import Figure

from mcp_geo._errors import Problem, ValidationError
from mcp_geo._folders import GENERATOR, check_output_file, record_entry
from mcp_geo.maps._alternatives import alternatives_note
from mcp_geo.maps._assets import UNUSED_DEFAULTS, inline_assets
from mcp_geo.maps._layers import LayerCounts, add_plan_layers
from mcp_geo.maps._panel import legend_html, panel_html, short_attribution
from mcp_geo.maps._script import MapBehaviour
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

LARGE_MAP_ABOVE = 2_000
"""Plans with more practices than this (national maps) draw with Leaflet's canvas renderer and
group their practices into clusters."""


@dataclass(frozen=True)
class MapOptions:
    """How a map is drawn.

    Attributes
    ----------
    tiles
        A folium tile name (``"OpenStreetMap"``, ``"CartoDB positron"``) or None for no base
        map (the only part of the page that needs a network).
    simplify_m
        Tolerance in metres for simplifying territories for display (0 keeps every vertex).
    canvas
        Draw with the canvas renderer; None chooses it for plans of more than
        :data:`LARGE_MAP_ABOVE` practices (SVG otherwise).
    cluster
        Group the practices into numbered clusters that split up on zooming in
        (Leaflet.markercluster); None chooses it for plans of more than
        :data:`LARGE_MAP_ABOVE` practices.
    """

    tiles: str | None = "OpenStreetMap"
    simplify_m: float = 25.0
    canvas: bool | None = None
    cluster: bool | None = None

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.simplify_m, int | float) or not self.simplify_m >= 0:
            problems.append(
                Problem(
                    "must be a number of metres >= 0", field="simplify_m", value=self.simplify_m
                )
            )
        if self.tiles is not None and (not isinstance(self.tiles, str) or not self.tiles.strip()):
            problems.append(Problem("must be a tile name or None", field="tiles", value=self.tiles))
        for name, value in (("canvas", self.canvas), ("cluster", self.cluster)):
            if value is not None and not isinstance(value, bool):
                problems.append(Problem("must be True, False or None", field=name, value=value))
        if problems:
            raise ValidationError(problems, context="MapOptions")

    def use_canvas(self, practices: int) -> bool:
        return self.canvas if self.canvas is not None else practices > LARGE_MAP_ABOVE

    def use_cluster(self, practices: int) -> bool:
        return self.cluster if self.cluster is not None else practices > LARGE_MAP_ABOVE


@dataclass(frozen=True)
class MapFile:
    """A written map: where, how big, and whether it works offline."""

    path: Path
    bytes: int
    self_contained: bool
    missing_assets: tuple[str, ...]
    counts: tuple[LayerCounts, ...]


def new_map(plan: Plan, *, options: MapOptions) -> folium.Map:
    """An empty map for the plan, without folium's unused marker assets.

    Parameters
    ----------
    plan
        The plan to draw; its size chooses the renderer (:meth:`MapOptions.use_canvas`).
    options
        The tiles and the renderer.
    """
    fmap = folium.Map(
        tiles=options.tiles,
        prefer_canvas=options.use_canvas(len(plan.practices)),
        control_scale=True,
        zoom_snap=0.25,  # fit the footprint closely, not to the nearest whole zoom level
    )
    drop_unused_assets(fmap)
    return fmap


def drop_unused_assets(fmap: folium.Map) -> None:
    """Leave out folium's assets for icon markers (never used here), for this map only."""
    fmap.default_js = [(n, u) for n, u in fmap.default_js if n not in UNUSED_DEFAULTS]
    fmap.default_css = [(n, u) for n, u in fmap.default_css if n not in UNUSED_DEFAULTS]


def fit(fmap: folium.Map, plan: Plan) -> list[list[float]]:
    """Frame the footprint: its territories (or its practices, without territories).

    Parameters
    ----------
    fmap
        The map to move.
    plan
        The plan it draws.

    Returns
    -------
    list
        The bounds framed, ``[[south, west], [north, east]]``.
    """
    frame = plan.territories_hubs if len(plan.territories_hubs) else plan.practices
    west, south, east, north = frame.to_crs(4326).total_bounds
    bounds = [[float(south), float(west)], [float(north), float(east)]]
    fmap.fit_bounds(bounds, padding=(10, 10))
    return bounds


def add_page_html(fmap: folium.Map, *boxes: str) -> None:
    """Add the map's CSS to the page head and the boxes (panels, legend) to its body.

    Parameters
    ----------
    fmap
        The map whose page to add to.
    *boxes
        HTML of each box, escaped by the caller (:mod:`mcp_geo.maps._text`).
    """
    root = fmap.get_root()
    assert isinstance(root, Figure)  # folium puts every map in a Figure
    for number, box in enumerate(boxes):
        root.html.add_child(folium.Element(box), name=f"mcp_geo_box_{number}")


def _render(plan: Plan, options: MapOptions) -> tuple[folium.Map, LayerCounts]:
    fmap = new_map(plan, options=options)
    canvas = options.use_canvas(len(plan.practices))
    drawn = add_plan_layers(
        fmap,
        plan,
        simplify_m=options.simplify_m,
        cluster=options.use_cluster(len(plan.practices)),
        panes=not canvas,
    )
    folium.LayerControl(collapsed=False).add_to(fmap)
    # folium's plugins leave __init__ unannotated
    folium.plugins.Fullscreen(position="topleft").add_to(fmap)  # type: ignore[no-untyped-call]
    more = [] if plan.reference is None else [plan.reference.line()]
    notes = {}
    if plan.alternatives is not None:
        more.append(plan.alternatives.line())
        notes["open"] = alternatives_note(plan.alternatives)
    add_page_html(fmap, panel_html(plan, more=more), legend_html(drawn.layers, notes=notes))
    behave(
        fmap,
        layers=list(drawn.layers.values()),
        title=plan.footprint_title,
        attribution=short_attribution(plan),
        bounds=fit(fmap, plan),
        find=True,
    )
    return fmap, drawn.counts


def behave(
    fmap: folium.Map,
    *,
    layers: list[folium.map.Layer],
    title: str,
    attribution: str,
    bounds: list[list[float]],
    find: bool = False,
) -> None:
    """The map's behaviour (:mod:`mcp_geo.maps._script`), once its layers and view are set.

    Parameters
    ----------
    fmap
        The map.
    layers
        Its layers that legend rows follow.
    title
        What the map shows, for screen readers (the map's ``aria-label``).
    attribution
        The data's attribution line.
    bounds
        What the map frames (framed again beside the panel on a wide screen).
    find
        Add the "find a hub or practice" control (:mod:`mcp_geo.maps._find`).
    """
    MapBehaviour(
        layers, attribution=attribution, title=f"Map: {title}", bounds=bounds, find=find
    ).add_to(fmap)


def render_plan(plan: Plan, *, options: MapOptions | None = None) -> folium.Map:
    """The plan's map (see the module docstring for what it shows).

    Parameters
    ----------
    plan
        The plan to draw.
    options
        How to draw it; :class:`MapOptions`' defaults without it.
    """
    return _render(plan, options or MapOptions())[0]


def write_html(figure_html: str, path: str | Path) -> tuple[Path, int, tuple[str, ...]]:
    """Inline the assets of a rendered page and write it atomically; warn if not offline-ready.

    Parameters
    ----------
    figure_html
        The page folium rendered.
    path
        Where to write it; a file there is replaced only if the tool wrote it.

    Returns
    -------
    tuple
        The path written, its size in bytes and the assets left to load from the network.
    """
    page = inline_assets(figure_html)
    if page.missing:
        log.warning(
            "the map is NOT self-contained: %d browser assets load from the network (%s); "
            "install them with `scripts/ensure-venv.sh` (npm ci into .cache/assets) or set "
            "MCP_GEO_ASSETS to a node_modules folder holding them",
            len(page.missing),
            ", ".join(page.missing),
        )
    path = check_output_file(path)  # never overwrites a file the tool did not write
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page.html.replace("<head>", f"<head>\n{GENERATOR}", 1))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    record_entry(path.parent, path.name)
    size = path.stat().st_size
    log.info("map written to %s (%d bytes)", path, size)
    return path, size, page.missing


def write_map(plan: Plan, path: str | Path, *, options: MapOptions | None = None) -> MapFile:
    """Write the plan's map as one HTML file (assets inlined where available).

    Parameters
    ----------
    plan
        The plan to draw.
    path
        Where to write the page; a file there is replaced only if the tool wrote it.
    options
        How to draw it; :class:`MapOptions`' defaults without it.

    Returns
    -------
    MapFile
        The file written, whether it is self-contained and what each layer holds.
    """
    fmap, counts = _render(plan, options or MapOptions())
    written, size, missing = write_html(fmap.get_root().render(), path)
    return MapFile(
        path=written,
        bytes=size,
        self_contained=not missing,
        missing_assets=missing,
        counts=(counts,),
    )
