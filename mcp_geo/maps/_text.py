"""Untrusted text on a map is shown as text, never run as HTML.

Practice, PCN and site names, codes and footprint titles come from official files and from a
user's own files, so a name may hold ``<img src=x onerror=...>``. folium 0.20's
``GeoJsonTooltip`` and ``GeoJsonPopup`` build each tooltip and popup as an HTML string from the
feature's properties and set it with ``innerHTML`` (``GeoJsonDetail.base_template``), and
Leaflet's layer control sets each layer's name with ``innerHTML``. Hence:

- :class:`TextTooltip` and :class:`TextPopup` are folium's classes with a template that builds
  the same table with DOM calls and sets every value with ``textContent``: the GeoJSON keeps the
  true names (an ``&`` stays an ``&``) and no property can become markup, whatever its column.
  The clustered practices of large maps (:mod:`mcp_geo.maps._cluster`) already work this way.
- :func:`layer_name` escapes a layer name that holds such text.
- The panels escape every text they show (:func:`html.escape`).

The data itself reaches the page inside ``<script>`` blocks through Jinja's ``tojson`` (``<``,
``>``, ``&`` and ``'`` as ``\\u`` escapes), so it cannot close the script either.
"""

from __future__ import annotations

import html

import folium
from folium.template import Template

_DETAIL = """
    function (layer) {
      var fields = {{ this.fields | tojson }};
      var aliases = {{ this.aliases | tojson }};
      var properties = layer.feature.properties;
      var div = L.DomUtil.create("div");
      var table = L.DomUtil.create("table", "", div);
      for (var i = 0; i < fields.length; i++) {
        var tr = L.DomUtil.create("tr", "", table);
        {% if this.labels %}L.DomUtil.create("th", "", tr).textContent = aliases[i];{% endif %}
        var value = properties[fields[i]];
        L.DomUtil.create("td", "", tr).textContent = value == null ? "" : String(value);
      }
      return div;
    }"""


class TextTooltip(folium.GeoJsonTooltip):
    """``folium.GeoJsonTooltip`` that shows the properties as text (``textContent``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.bindTooltip("
        + _DETAIL
        + ", {{ this.tooltip_options | tojavascript }});{% endmacro %}"
    )


class TextPopup(folium.GeoJsonPopup):
    """``folium.GeoJsonPopup`` that shows the properties as text (``textContent``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.bindPopup("
        + _DETAIL
        + ", {{ this.popup_options | tojavascript }});{% endmacro %}"
    )


def layer_name(text: str) -> str:
    """A layer control's name for ``text`` (Leaflet sets it as HTML: escaped)."""
    return html.escape(text)
