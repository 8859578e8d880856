"""The page's own script: labels, keyboard access, focus style, legends and panels.

:data:`LIBRARY` is one constant script (no data in it) placed in the page's body, so it runs
after Leaflet loads and before folium's script makes the maps. It defines ``window.mcpGeo``:

- ``labelLayer(rows)``: a feature group of text labels (:mod:`mcp_geo.maps._labels`); each is a
  marker whose icon is a ``<span>`` filled with ``textContent``, focusable, opening its popup
  (a table filled with ``textContent``) on click or Enter.
- ``setup(map)`` (:class:`MapBehaviour`, after each map's layers): the map's controls come
  first in the tab order (before its features, which can be thousands); every feature with a popup
  becomes focusable (``tabindex``, ``role="button"``, ``aria-label`` from the feature's
  ``label`` property) and opens its popup on Enter or Space; labels are placed so that none
  overlap (again on every zoom, pan, resize and layer switch); each legend row shows only while
  its layer is on; on a narrow screen the panels and legends start collapsed; on any screen a
  legend or layer control that would hide part of the footprint starts folded; the scale bar
  sits above the attribution line where that wraps across the map. The box a user opens wins:
  opening a panel or its "About the data" folds a legend it would run under; opening a legend
  shortens a panel above it, which then scrolls.
- On screens narrower than :data:`NARROW_PX` every layer control starts collapsed (an init hook),
  so that it fits beside the panel.
- On canvas maps (national) an unfilled polygon (an MCP or footprint outline) takes clicks on its
  line only, as on SVG maps, so that a click inside reaches the hub territory under it.

:data:`STYLE` removes the focus box a mouse click leaves on a clicked SVG shape and keeps a
visible focus style for keyboard users (``:focus-visible``), and styles the labels and boxes. A
label's marker is a box of no size that its text overflows, centred on the label's point, so that
only the text itself covers the map and takes clicks.
"""

from __future__ import annotations

import html

import folium
from branca.element import MacroElement
from folium.template import Template

from mcp_geo.maps._labels import LABEL_CLASS, LABEL_PANE
from mcp_geo.maps._panel import HUB_BASE_CLASS, MCP_BASE_CLASS

PRACTICE_PANE = "mcpGeoPractices"
"""The pane of the practices' circles on SVG maps (:data:`mcp_geo.maps._layers.PANES`)."""

NARROW_PX = 700
"""Screens narrower than this (phones) start with the panels, legends and layer controls
collapsed."""

FRAME_MIN_PX = 600
"""A map at least this wide (a desktop's half of a comparison) frames the footprint beside the
boxes on its left."""

FOCUS = "#005fcc"

STYLE = f"""<style>
.leaflet-interactive:focus:not(:focus-visible) {{ outline: none; }}
path.leaflet-interactive:focus-visible {{ outline: none; stroke: {FOCUS}; stroke-width: 4px;
  stroke-opacity: 1; }}
.leaflet-marker-icon:focus-visible, .mcp-geo-box summary:focus-visible,
.{LABEL_CLASS}:focus-visible span {{ outline: 3px solid {FOCUS}; outline-offset: 2px; }}
.leaflet-marker-icon:focus:not(:focus-visible), .leaflet-marker-icon.{LABEL_CLASS}:focus-visible
  {{ outline: none; }}
.{LABEL_CLASS} {{ background: none; border: none; width: 0 !important; height: 0 !important;
  overflow: visible; white-space: nowrap; }}
.{LABEL_CLASS} span {{ display: inline-block; transform: translate(-50%, -50%); padding: 0 3px;
  font: 600 11px/1.3 system-ui, sans-serif; color: #111; background: rgba(255,255,255,0.82);
  border-radius: 3px; cursor: pointer; }}
.{LABEL_CLASS}.mcp-geo-label-mcp span {{ font-size: 13px; font-weight: 700; color: #000;
  background: rgba(255,255,255,0.92); border: 2px solid #111; }}
.mcp-geo-label-hidden {{ visibility: hidden; }}
.leaflet-container .leaflet-control-attribution {{ background: rgba(255,255,255,0.92); color: #333; }}
.leaflet-container .leaflet-control-attribution a {{ color: #00567a; }}
</style>"""
"""CSS of the focus styles and the labels."""

_LIBRARY = """<script>
(function () {
  "use strict";
  var NARROW = __NARROW__;
  var FRAME_MIN = __FRAME_MIN__;
  var layerControls = [];
  L.Control.Layers.addInitHook(function () {
    if (window.innerWidth < NARROW) { this.options.collapsed = true; }
    layerControls.push(this);
  });

  /* On a canvas map Leaflet (1.9) gives a click inside a polygon to the last one drawn there,
     filled or not: the footprint outline and the MCP outlines (unfilled, drawn above the hub
     territories) took every click meant for a hub. An unfilled polygon takes a click only on
     its line, as it does on an SVG map. */
  var polygonContains = L.Polygon.prototype._containsPoint;
  L.Polygon.prototype._containsPoint = function (p) {
    if (this.options.fill === false) {
      return L.Polyline.prototype._containsPoint.call(this, p, true);
    }
    return polygonContains.call(this, p);
  };

  function table(pairs) {
    var div = L.DomUtil.create("div");
    var t = L.DomUtil.create("table", "", div);
    for (var i = 0; i < pairs.length; i++) {
      var tr = L.DomUtil.create("tr", "", t);
      L.DomUtil.create("th", "", tr).textContent = pairs[i][0];
      L.DomUtil.create("td", "", tr).textContent = pairs[i][1];
    }
    return div;
  }

  function labelLayer(rows) {
    var group = L.featureGroup();
    rows.forEach(function (row) {
      var span = document.createElement("span");
      span.textContent = row.text;
      var marker = L.marker([row.lat, row.lon], {
        pane: "__PANE__",
        keyboard: true,
        title: row.describe,
        icon: L.divIcon({
          html: span, iconSize: null,
          className: "__LABEL__ mcp-geo-label-" + row.kind
        })
      });
      marker.mcpGeoLabel = row;
      marker.bindPopup(function () { return table(row.popup); });
      marker.on("add", function () {
        var e = marker.getElement();
        e.dataset.priority = row.priority;
        e.dataset.kind = row.kind;
        e.dataset.id = row.id;
        e.setAttribute("aria-label", row.describe);
        e.mcpGeoMinZoom = row.minZoom;
      });
      group.addLayer(marker);
    });
    return group;
  }

  function anchor(layer) {
    var p = layer.feature && layer.feature.properties;
    if (p && p.anchor_lat) { return L.latLng(+p.anchor_lat, +p.anchor_lon); }
    if (layer.getLatLng) { return layer.getLatLng(); }
    return layer.getBounds().getCenter();
  }

  function hasPopup(layer) {
    /* folium binds a GeoJSON layer's popup to the layer group: look at the parents too */
    if (layer.getPopup && layer.getPopup()) { return true; }
    return Object.values(layer._eventParents || {}).some(function (p) {
      return p.getPopup && p.getPopup();
    });
  }

  function decorate(layer) {
    if (!layer.getElement || layer.mcpGeoLabel || !hasPopup(layer)) { return; }
    var e = layer.getElement();
    if (!e || e.dataset.mcpGeo) { return; }
    e.dataset.mcpGeo = "1";
    var p = layer.feature && layer.feature.properties;
    if (p && p.label) { e.setAttribute("aria-label", p.label); }
    e.setAttribute("tabindex", "0");
    e.setAttribute("role", "button");
    L.DomEvent.on(e, "keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") {
        L.DomEvent.preventDefault(ev);
        /* as a click there would: the event reaches the group the popup is bound to */
        layer.fire("click", {latlng: anchor(layer)}, true);
      }
    });
  }

  function overlaps(a, b) {
    return a.left < b.right + 2 && b.left < a.right + 2 &&
           a.top < b.bottom + 2 && b.top < a.bottom + 2;
  }

  function visibleRect(e) {
    var r = e.getBoundingClientRect();
    var s = window.getComputedStyle(e);
    return (r.width && r.height && s.display !== "none" && s.visibility !== "hidden") ? r : null;
  }

  function shifted(r, dy, dx) {
    dx = dx || 0;
    return {left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy};
  }

  function placeLabels(map) {
    /* Labels in priority order; each takes the first of a few positions (on its point, then
       a line above or below) whose box is inside the map (moved inward where it would cross
       the map's edge) and overlaps no label shown, no panel, control or base marker; else it
       is hidden. */
    var container = map.getContainer();
    var box = container.getBoundingClientRect();
    var labels = [].slice.call(container.querySelectorAll(".__LABEL__"));
    labels.sort(function (a, b) { return a.dataset.priority - b.dataset.priority; });
    var shown = [];
    document.querySelectorAll(".mcp-geo-box, .leaflet-control").forEach(function (e) {
      var r = visibleRect(e);
      if (r && overlaps(r, box)) { shown.push(r); }
    });
    container.querySelectorAll(".__HUB_BASE__, .__MCP_BASE__").forEach(function (e) {
      var r = visibleRect(e);
      if (r) { shown.push(r); }
    });
    /* practices' circles: a label avoids them where it can (labels are drawn above them, so
       that a circle under a label would take no click there) */
    var circles = [].slice.call(container.querySelectorAll(".leaflet-__PRACTICES__-pane path"))
      .map(visibleRect).filter(function (r) { return r; });
    var zoom = map.getZoom();
    var rects = labels.map(function (e) {
      e.firstChild.style.transform = "";
      return e.firstChild.getBoundingClientRect();
    });
    labels.forEach(function (e, i) {
      var min = e.mcpGeoMinZoom;
      var h = rects[i].height + 2;
      var place = null;
      var w = rects[i].width / 2;
      var fits = function (at, avoid) {
        var r = shifted(rects[i], at[1], at[0]);
        /* a label crossing the map's edge moves inward (by at most half its size) */
        var dx = Math.max(0, box.left + 2 - r.left) - Math.max(0, r.right + 2 - box.right);
        var dy = Math.max(0, box.top + 2 - r.top) - Math.max(0, r.bottom + 2 - box.bottom);
        if (Math.abs(dx) > w || Math.abs(dy) > h) { return false; }
        at = [at[0] + dx, at[1] + dy];
        r = shifted(rects[i], at[1], at[0]);
        for (var j = 0; j < shown.length; j++) { if (overlaps(r, shown[j])) { return false; } }
        for (var k = 0; k < avoid.length; k++) { if (overlaps(r, avoid[k])) { return false; } }
        place = at;
        shown.push(r);
        return true;
      };
      if (!(min !== null && min !== undefined && zoom < min)) {
        /* on its point, a line above or below, then half its width aside; first clear of the
           practices' circles, else over them */
        var offsets = [[0, 0], [0, -h], [0, h], [0, -2 * h], [0, 2 * h],
                       [-w, 0], [w, 0], [-w, -h], [w, -h], [-w, h], [w, h]];
        offsets.some(function (at) { return fits(at, circles); }) ||
          offsets.slice(0, 5).some(function (at) { return fits(at, []); });
      }
      e.firstChild.style.transform = place ? "translate(calc(-50% + " + place[0] +
        "px), calc(-50% + " + place[1] + "px))" : "";
      e.dataset.planned = place === null ? "" :
        JSON.stringify(shifted(rects[i], place[1], place[0]));
      e.classList.toggle("mcp-geo-label-hidden", place === null);
      e.setAttribute("aria-hidden", place === null ? "true" : "false");
    });
  }

  function lift(map) {
    /* Each legend of this map sits above the bottom controls it would cover (scale, the
       attribution line, which wraps on a phone). */
    var container = map.getContainer();
    var box = container.getBoundingClientRect();
    /* the scale bar above the attribution line where that wraps across the map (a phone) */
    var credit = container.querySelector(".leaflet-control-attribution");
    var corner = container.querySelector(".leaflet-bottom.leaflet-left");
    if (credit && corner) {
      corner.style.bottom = "";
      var cr = credit.getBoundingClientRect();
      var kr = corner.getBoundingClientRect();
      if (cr.height && kr.height && cr.left < kr.right && kr.left < cr.right &&
          cr.top < kr.bottom) {
        corner.style.bottom = (box.bottom - cr.top) + "px";
      }
    }
    var controls = [].slice.call(container.querySelectorAll(".leaflet-bottom .leaflet-control"));
    document.querySelectorAll(".mcp-geo-legend").forEach(function (legend) {
      var r = legend.getBoundingClientRect();
      if (r.left < box.left || r.left >= box.right) { return; }
      var above = 10;
      controls.forEach(function (c) {
        var cr = c.getBoundingClientRect();
        if (cr.height && cr.left < r.right && r.left < cr.right) {
          above = Math.max(above, box.bottom - cr.top + 6);
        }
      });
      legend.style.bottom = above + "px";
    });
  }

  function frame(map, bounds) {
    /* On a wide map, frame the footprint beside the boxes on the left (panel, legend). */
    var container = map.getContainer();
    var box = container.getBoundingClientRect();
    if (box.width < FRAME_MIN) { return; }
    var left = 0;
    document.querySelectorAll(".mcp-geo-box").forEach(function (e) {
      var r = visibleRect(e);
      if (r && r.left < box.left + box.width / 3 && r.right > box.left) {
        left = Math.max(left, r.right - box.left);
      }
    });
    map.fitBounds(bounds, {paddingTopLeft: [left + 10, 10], paddingBottomRight: [10, 10],
                           animate: false});
  }

  function coversFootprint(map, rect) {
    /* Does the box at ``rect`` (page pixels) hide part of a filled territory of this map? */
    var box = map.getContainer().getBoundingClientRect();
    var shapes = [];
    map.eachLayer(function (l) {
      if (l instanceof L.Polygon && l.feature && l.options.fill !== false && l._parts) {
        shapes.push(l);
      }
    });
    for (var i = 0; i <= 12; i++) {
      for (var j = 0; j <= 12; j++) {
        var x = rect.left + (rect.right - rect.left) * i / 12 - box.left;
        var y = rect.top + (rect.bottom - rect.top) * j / 12 - box.top;
        if (x < 0 || y < 0 || x > box.width || y > box.height) { continue; }
        var p = map.containerPointToLayerPoint([x, y]);
        if (shapes.some(function (l) { return l._containsPoint(p); })) { return true; }
      }
    }
    return false;
  }

  function fold(map) {
    /* At the opening view, a legend or an open layer control that would hide part of the
       footprint (or a legend that would cover a panel) starts folded (a click, or hovering the control, opens it). */
    var box = map.getContainer().getBoundingClientRect();
    var panels = [].slice.call(document.querySelectorAll(".mcp-geo-panel"))
      .map(visibleRect).filter(function (r) { return r; });
    document.querySelectorAll("details.mcp-geo-legend").forEach(function (d) {
      var r = visibleRect(d);
      if (d.open && r && overlaps(r, box) && r.left >= box.left && r.left < box.right &&
          (coversFootprint(map, r) || panels.some(function (p) { return overlaps(r, p); }))) {
        d.open = false;
      }
    });
    layerControls.forEach(function (c) {
      var e = c.getContainer && c.getContainer();
      if (c._map !== map || c.options.collapsed || !e) { return; }
      if (coversFootprint(map, e.getBoundingClientRect())) {
        c.remove();
        c.options.collapsed = true;  /* Leaflet wires the hover and click that open it */
        c.addTo(map);
      }
    });
  }

  function roomForLegends() {
    /* A panel that reaches down to an open legend ends above it and scrolls. */
    var legends = [].slice.call(document.querySelectorAll("details.mcp-geo-legend[open]"));
    document.querySelectorAll(".mcp-geo-panel").forEach(function (p) {
      p.style.maxHeight = "";
      var pr = visibleRect(p);
      var limit = Infinity;
      legends.forEach(function (l) {
        var lr = visibleRect(l);
        if (pr && lr && lr.top > pr.top + 60 && overlaps(lr, pr)) {
          limit = Math.min(limit, lr.top - pr.top - 8);
        }
      });
      if (limit < Infinity) { p.style.maxHeight = limit + "px"; }
    });
  }

  function makeRoom(ev) {
    /* The box a user opens wins: a panel opened (or a part of it, "About the data") folds the
       open legends it would run under; a legend opened shortens the panels above it. */
    var d = ev.target;
    if (!(d instanceof HTMLDetailsElement) || !d.closest(".mcp-geo-box")) { return; }
    var panel = d.closest(".mcp-geo-panel");
    if (panel && d.open) {
      panel.style.maxHeight = "";
      var pr = visibleRect(panel);
      document.querySelectorAll("details.mcp-geo-legend[open]").forEach(function (l) {
        var lr = visibleRect(l);
        if (pr && lr && overlaps(lr, pr)) { l.open = false; }
      });
    }
    roomForLegends();
  }
  document.addEventListener("toggle", makeRoom, true);  /* toggle does not bubble */

  function syncLegends(map) {
    document.querySelectorAll("[data-mcp-geo-layer]").forEach(function (row) {
      var layer = window[row.dataset.mcpGeoLayer];
      if (layer && layer._mcpGeoMap === map) {
        row.style.display = map.hasLayer(layer) ? "" : "none";
      }
    });
  }

  function setup(map, layers, attribution, title, bounds) {
    layers.forEach(function (layer) { if (layer) { layer._mcpGeoMap = map; } });
    if (map.attributionControl) {
      map.attributionControl.addAttribution(attribution);  /* escaped by MapBehaviour */
    }
    var container = map.getContainer();
    container.setAttribute("aria-label", title);
    container.setAttribute("role", "region");
    /* the controls (zoom, find, layers) come first in the tab order, before the features */
    container.insertBefore(map._controlContainer, container.firstChild);
    map.on("layeradd", function (ev) { decorate(ev.layer); });
    map.eachLayer(decorate);
    var place = function () { placeLabels(map); };
    var later = function () { window.requestAnimationFrame(place); };
    map.on("zoomend moveend resize overlayadd overlayremove", later);
    map.on("overlayadd overlayremove", function () { syncLegends(map); });
    if (window.innerWidth < NARROW) {
      document.querySelectorAll("details.mcp-geo-box").forEach(function (d) { d.open = false; });
    }
    document.querySelectorAll("details.mcp-geo-box, .mcp-geo-box details").forEach(function (d) {
      d.addEventListener("toggle", later);
    });
    syncLegends(map);
    lift(map);
    frame(map, bounds);
    fold(map);
    lift(map);
    map.on("resize", function () { lift(map); });
    later();
  }

  window.mcpGeo = {labelLayer: labelLayer, setup: setup, placeLabels: placeLabels, table: table};
})();
</script>"""
LIBRARY = (
    _LIBRARY.replace("__NARROW__", str(NARROW_PX))
    .replace("__FRAME_MIN__", str(FRAME_MIN_PX))
    .replace("__PANE__", LABEL_PANE)
    .replace("__LABEL__", LABEL_CLASS)
    .replace("__HUB_BASE__", HUB_BASE_CLASS)
    .replace("__MCP_BASE__", MCP_BASE_CLASS)
    .replace("__PRACTICES__", PRACTICE_PANE)
)
"""The page's script library (constant text, no data)."""


class MapBehaviour(MacroElement):
    """``mcpGeo.setup(map, layers)`` for one map, after its layers (see the module docstring).

    Parameters
    ----------
    layers
        The map's layers whose legend rows follow them (``data-mcp-geo-layer`` names them).
    attribution
        The data's attribution line (plain text, escaped here).
    title
        The map's accessible name (its container's ``aria-label``).
    bounds
        The footprint's bounds, framed again beside the panel and legend on a wide screen.
    find
        Add the "find a hub or practice" control (:mod:`mcp_geo.maps._find`) before the rest.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% if this.find %}mcpGeo.find({{ this._parent.get_name() }},
                                      [{{ this.layer_names | join(", ") }}]);{% endif %}
        mcpGeo.setup({{ this._parent.get_name() }}, [{{ this.layer_names | join(", ") }}],
                     {{ this.attribution | tojson }}, {{ this.title | tojson }},
                     {{ this.bounds | tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layers: list[folium.map.Layer],
        *,
        attribution: str,
        title: str,
        bounds: list[list[float]],
        find: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = "MapBehaviour"
        self.layer_names = [layer.get_name() for layer in layers]
        self.attribution = html.escape(attribution)  # Leaflet sets it as HTML
        self.title = title
        self.bounds = bounds
        self.find = find
