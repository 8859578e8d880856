"""A "find a hub or practice" control: every hub, MCP and practice reachable from the keyboard.

On the national map the hub territories and practices are drawn on a canvas (the practices in
clusters) and hub labels wait for the reader to zoom in, so the keyboard could reach a hub or a
practice only through labels. The control (Leaflet's top right corner, above the layer control)
is a labelled text input with an ARIA combobox's list (WAI-ARIA 1.2 pattern):

- it is a small "Find" button until it takes the focus (a Tab or a click), then a text input;
  the map's controls come first in the tab order (:mod:`mcp_geo.maps._script`), before its
  features;
- typing lists the first :data:`SHOWN` matches (an id that starts with the text first, then a
  word of the name, then any part; MCPs, then hubs, then practices) among every hub (its id and
  the town of its base, as its label reads), every MCP and every practice drawn (its code and
  name); Up and Down move in the list, a live region says how many match;
- Enter zooms to the one chosen (a hub's or MCP's territory, a practice's circle, drawn out of
  its cluster) and opens its popup, with the focus inside it; Escape closes the popup and
  returns the focus to the input (Escape in the input closes the list, then clears the text).

The index is built in the browser from what the page already holds (the label rows, the layers'
features, the cluster group's markers), when the input takes the focus: the page carries no
second copy of the data. Every text is set with ``textContent``.
"""

from __future__ import annotations

from mcp_geo.maps._script import FOCUS, FRAME_MIN_PX

SHOWN = 8
"""How many matches the list shows."""

FIND_CLASS = "mcp-geo-find"

FIND_STYLE = f"""<style>
.{FIND_CLASS} {{ position: relative; background: #fff; border: 2px solid rgba(0,0,0,0.2);
  border-radius: 4px; background-clip: padding-box; font: 13px/1.3 system-ui, sans-serif; }}
.{FIND_CLASS} label {{ display: inline-block; padding: 6px 8px; font-weight: 600;
  color: #111; cursor: pointer; }}
.{FIND_CLASS} input {{ width: 0; padding: 0; border: 0; margin: 0; opacity: 0;
  font: inherit; color: #111; position: absolute; }}
.{FIND_CLASS}:focus-within label {{ position: absolute;
  width: 1px; height: 1px; padding: 0; overflow: hidden; clip-path: inset(50%); }}
.{FIND_CLASS}:focus-within input {{ position: static;
  opacity: 1; width: min(16em, calc(100vw - 90px)); padding: 6px 8px; box-sizing: border-box; }}
.{FIND_CLASS} input:focus-visible {{ outline: 3px solid {FOCUS}; outline-offset: 1px; }}
.{FIND_CLASS} ul {{ list-style: none; margin: 0; padding: 0; border-top: 1px solid #ccc;
  max-width: min(16em, calc(100vw - 90px)); }}
.{FIND_CLASS} ul[hidden] {{ display: none; }}
.{FIND_CLASS} li {{ padding: 4px 8px; cursor: pointer; color: #111; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }}
.{FIND_CLASS} li[aria-selected="true"], .{FIND_CLASS} li:hover {{ background: {FOCUS};
  color: #fff; }}
.leaflet-top.leaflet-right:focus-within {{ z-index: 1001; }}
.mcp-geo-sr {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }}
.leaflet-popup-content:focus {{ outline: none; }}
.leaflet-popup-content:focus-visible {{ outline: 3px solid {FOCUS}; outline-offset: 2px; }}
</style>"""
"""CSS of the control: a button until it has the focus, then an input and its list."""

_FIND_LIBRARY = """<script>
(function () {
  "use strict";
  var SHOWN = __SHOWN__;
  var FRAME_MIN = __FRAME_MIN__;
  var KINDS = {mcp: "MCP", hub: "Hub", practice: "Practice"};
  var ORDER = {mcp: 0, hub: 1, practice: 2};

  function index(map, layers) {
    /* Every hub and MCP (their label rows) and every practice drawn, once each. */
    var found = {}, shapes = {};
    var add = function (kind, id, name, extra) {
      var text = KINDS[kind] + " " + name;
      if (found[kind + " " + id]) { return; }
      found[kind + " " + id] = L.extend({kind: kind, id: String(id), text: text,
        key: text.toLowerCase(), lid: String(id).toLowerCase()}, extra);
    };
    var visit = function (layer, group) {
      if (!layer) { return; }
      if (typeof layer.getVisibleParent === "function") {  /* a cluster group */
        layer.getLayers().forEach(function (m) { visit(m, layer); });
        return;
      }
      var row = layer.mcpGeoLabel;
      var p = layer.feature && layer.feature.properties;
      if (row) {
        add(row.kind, row.id, row.text, {row: row});
      } else if (p && p.practice_code && layer.getLatLng) {
        add("practice", p.practice_code, p.practice_code + " " + (p.practice_name || ""),
            {layer: layer, group: group});
      } else if (p && layer instanceof L.Polygon) {
        if (p.hub_id) { shapes["hub " + p.hub_id] = layer; }
        else if (p.mcp_id) { shapes["mcp " + p.mcp_id] = layer; }
      } else if (layer.eachLayer && !layer.feature) {
        layer.eachLayer(function (l) { visit(l, group); });
      }
    };
    layers.forEach(function (l) { visit(l, null); });
    map.eachLayer(function (l) { visit(l, null); });
    return Object.keys(found).map(function (k) {
      var e = found[k];
      e.shape = shapes[k] || null;
      return e;
    });
  }

  function matches(entries, text) {
    var q = text.trim().toLowerCase();
    if (!q) { return []; }
    var scored = [];
    entries.forEach(function (e) {
      var score = e.lid.indexOf(q) === 0 ? 0 : (" " + e.key).indexOf(" " + q) >= 0 ? 1 :
        e.key.indexOf(q) >= 0 ? 2 : -1;
      if (score >= 0) { scored.push([score, ORDER[e.kind], e.text, e]); }
    });
    scored.sort(function (a, b) {
      return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
    });
    return scored.map(function (s) { return s[3]; });
  }

  function showMarker(map, group, marker, done) {
    /* Zoom in until the practice is drawn on its own (or its cluster can spread it out). */
    var parent = marker.__parent;
    var zoom = Math.min(map.getMaxZoom(), Math.max(map.getZoom(), parent ? parent._zoom + 1 : 0));
    map.setView(marker.getLatLng(), zoom, {animate: false});
    var tries = 0;
    var wait = function () {
      if (map.hasLayer(marker)) { done(); return; }
      var shown = group.getVisibleParent(marker);
      if (shown && shown !== marker && shown._icon && shown.spiderfy &&
          zoom >= map.getMaxZoom()) {
        group.once("spiderfied", function () { done(); });
        shown.spiderfy();
        return;
      }
      if (++tries < 40) { window.setTimeout(wait, 75); }
    };
    window.setTimeout(wait, 50);
  }

  function insets(map) {
    /* The part of the map the page's boxes cover, [left, top] in px: on a wide map the panel
       and legend on the left (as the opening view frames the footprint beside them), on a
       narrow one the boxes and controls at the top. */
    var box = map.getContainer().getBoundingClientRect();
    var wide = box.width >= FRAME_MIN, left = 10, top = 10;
    var covers = function (r) {
      if (!r.width || r.right <= box.left || r.left >= box.right) { return; }
      if (wide && r.left < box.left + box.width / 3) {
        left = Math.max(left, r.right - box.left + 10);
      }
      if (!wide && r.top < box.top + box.height / 3) {
        top = Math.max(top, r.bottom - box.top + 10);
      }
    };
    document.querySelectorAll(".mcp-geo-box").forEach(function (e) {
      covers(e.getBoundingClientRect());
    });
    if (!wide) {
      map.getContainer().querySelectorAll(".leaflet-top .leaflet-control").forEach(function (e) {
        covers(e.getBoundingClientRect());
      });
    }
    return [left, top];
  }

  function popupOf(layer) {
    /* The popup a click on the layer opens (folium binds a GeoJSON layer's to its group). */
    if (layer.getPopup && layer.getPopup()) { return layer.getPopup(); }
    var parents = Object.values(layer._eventParents || {}).filter(function (p) {
      return p.getPopup && p.getPopup();
    });
    return parents.length ? parents[0].getPopup() : null;
  }

  function go(map, entry) {
    /* Zoom to the entry and open its popup, clear of the boxes over the map. */
    var pad = insets(map);
    if (entry.kind === "practice") {
      var m = entry.layer;
      var open = function () {
        var popup = popupOf(m);
        if (popup) { popup.options.autoPanPaddingTopLeft = pad; }
        m.fire("click", {latlng: m.getLatLng()}, true);
        /* a click opens the tooltip too (for touch screens): it would hide the circle */
        [m].concat(Object.values(m._eventParents || {})).forEach(function (l) {
          if (l.closeTooltip) { l.closeTooltip(); }
        });
      };
      if (entry.group) { showMarker(map, entry.group, m, open); return; }
      if (!map.getBounds().contains(m.getLatLng())) { map.panTo(m.getLatLng(), {animate: false}); }
      open();
      return;
    }
    var at = L.latLng(entry.row.lat, entry.row.lon);
    if (entry.shape) {
      map.fitBounds(entry.shape.getBounds(), {paddingTopLeft: pad, paddingBottomRight: [10, 10],
                                              animate: false});
    } else if (!map.getBounds().contains(at)) {
      map.panTo(at, {animate: false});
    }
    var width = Math.min(300, map.getSize().x - 70);  /* folium's popups' width, or a phone's */
    L.popup({maxWidth: width, minWidth: Math.min(200, width), autoPanPaddingTopLeft: pad})
      .setLatLng(at)
      .setContent(mcpGeo.table(entry.row.popup)).openOn(map);
  }

  function focusPopup(popup, entry) {
    var content = popup.getElement() &&
      popup.getElement().querySelector(".leaflet-popup-content");
    if (!content) { return; }
    content.setAttribute("tabindex", "-1");
    content.setAttribute("role", "group");
    content.setAttribute("aria-label", entry.text);
    content.focus({preventScroll: true});  /* a focused pane must not scroll the map */
  }

  function build(map) {
    var n = L.stamp(map);
    var box = L.DomUtil.create("div", "leaflet-control __FIND__");
    box.setAttribute("role", "search");
    var label = L.DomUtil.create("label", "", box);
    label.htmlFor = "mcp-geo-find-" + n;
    L.DomUtil.create("span", "", label).textContent = "Find";
    L.DomUtil.create("span", "mcp-geo-sr", label).textContent = " a hub or practice";
    var input = L.DomUtil.create("input", "", box);
    input.id = label.htmlFor;
    input.type = "text";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = "hub, town, MCP, practice";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "mcp-geo-find-list-" + n);
    var list = L.DomUtil.create("ul", "", box);
    list.id = "mcp-geo-find-list-" + n;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Matches");
    list.hidden = true;
    var status = L.DomUtil.create("span", "mcp-geo-sr", box);
    status.setAttribute("role", "status");
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return {box: box, input: input, list: list, status: status};
  }

  function find(map, layers) {
    var ui = build(map), entries = [], shown = [], active = -1, opened = null;
    var control = L.control({position: "topright"});
    control.onAdd = function () { return ui.box; };
    control.addTo(map);
    var corner = ui.box.parentNode;
    corner.insertBefore(ui.box, corner.firstChild);  /* above the layer control */

    var select = function (i) {
      active = i;
      [].forEach.call(ui.list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) { ui.input.setAttribute("aria-activedescendant", ui.list.children[i].id); }
      else { ui.input.removeAttribute("aria-activedescendant"); }
    };
    var close = function () {
      ui.list.hidden = true;
      ui.input.setAttribute("aria-expanded", "false");
      select(-1);
    };
    var choose = function (entry) {
      close();
      map.closePopup();
      map.once("popupopen", function (ev) {
        opened = ev.popup;
        focusPopup(ev.popup, entry);
      });
      go(map, entry);
    };
    var update = function () {
      var all = matches(entries, ui.input.value);
      shown = all.slice(0, SHOWN);
      ui.list.textContent = "";
      shown.forEach(function (e, i) {
        var li = L.DomUtil.create("li", "", ui.list);
        li.id = ui.list.id + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = e.text;
        L.DomEvent.on(li, "mousedown", L.DomEvent.preventDefault);  /* keep the focus */
        L.DomEvent.on(li, "click", function () { choose(e); });
      });
      ui.list.hidden = !shown.length;
      ui.input.setAttribute("aria-expanded", shown.length ? "true" : "false");
      select(-1);
      ui.status.textContent = !ui.input.value.trim() ? "" : !all.length ? "No match" :
        all.length + (all.length === 1 ? " match" : " matches") +
        (all.length > SHOWN ? ", the first " + SHOWN + " listed" : "");
    };
    L.DomEvent.on(ui.input, "focus", function () { entries = index(map, layers); });
    L.DomEvent.on(ui.input, "input", update);
    L.DomEvent.on(ui.input, "blur", close);
    L.DomEvent.on(ui.input, "keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (ui.list.hidden) { update(); }
        var k = shown.length;
        if (k) { select(ev.key === "ArrowDown" ? (active + 1) % k : (active + k - 1) % k); }
      } else if (ev.key === "Enter") {
        if (ui.list.hidden) { update(); }
        if (shown.length) { choose(shown[Math.max(active, 0)]); }
      } else if (ev.key === "Escape") {
        if (!ui.list.hidden) { close(); } else { ui.input.value = ""; update(); }
      } else {
        return;
      }
      L.DomEvent.preventDefault(ev);
      L.DomEvent.stopPropagation(ev);
    });
    /* Escape in a popup the control opened closes it and returns to the control */
    L.DomEvent.on(map.getContainer(), "keydown", function (ev) {
      if (ev.key !== "Escape" || !opened || !map.hasLayer(opened)) { return; }
      if (opened.getElement().contains(document.activeElement)) {
        L.DomEvent.stop(ev);
        map.closePopup(opened);
      }
    });
    map.on("popupclose", function (ev) {
      if (ev.popup !== opened) { return; }
      var e = ev.popup.getElement(), focus = document.activeElement;
      opened = null;
      if (focus === document.body || (e && e.contains(focus))) { ui.input.focus(); }
    });
  }

  window.mcpGeo.find = find;
})();
</script>"""
FIND_LIBRARY = (
    _FIND_LIBRARY.replace("__SHOWN__", str(SHOWN))
    .replace("__FIND__", FIND_CLASS)
    .replace("__FRAME_MIN__", str(FRAME_MIN_PX))
)
"""The control's script (constant text, no data): ``mcpGeo.find(map, layers)``."""
