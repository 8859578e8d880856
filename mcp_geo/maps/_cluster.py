"""Practices of a large map grouped into clusters (Leaflet.markercluster, folium's plugin).

A national map holds about 6,000 practices: drawn one by one they cover England in overlapping
circles that hide the territories under them. On large maps the practice layer is a
``folium.plugins.FastMarkerCluster``: the practices travel as one compact array (a row per
practice: latitude, longitude, radius and the popup's values) and a small script makes each row the
same circle marker, tooltip and popup the unclustered layer has; Leaflet.markercluster groups them
into numbered cluster icons that split up as the reader zooms in.

Measured on the national plan of the 42 ICBs (38 planned, 5,572 practices; the map was 6.25 MB
with the practices unclustered): ``FastMarkerCluster`` 4.75 MB, tooltips and popups kept;
``MarkerCluster`` holding the practice GeoJSON layer 6.29 MB, but its tooltips and popups are lost
(folium binds them to the GeoJSON layer, which a cluster group never adds to the map: hovering
throws page errors); ``MarkerCluster`` of one folium ``CircleMarker``, ``Tooltip`` and ``Popup``
per practice 12.71 MB, tooltips and popups kept. All three show the same 22 cluster icons.
"""

from __future__ import annotations

import json

import folium
import folium.plugins
import geopandas as gpd

from mcp_geo.maps._geometry import DECIMALS

CLUSTER_OPTIONS = {"chunked_loading": True}
"""Leaflet.markercluster options (folium camelises the names): add the markers in chunks, so
thousands of them do not freeze the page while it opens."""

_CALLBACK = """function (row) {
  var fields = %(fields)s;
  var marker = L.circleMarker([row[0], row[1]], %(style)s);
  marker.setRadius(row[2]);
  /* what the find control (mcp_geo.maps._find) lists: the practice's code and name */
  marker.feature = {type: "Feature", properties: {practice_code: row[%(code)d],
                                                  practice_name: row[%(name)d]}};
  marker.bindTooltip(function () {
    var div = L.DomUtil.create("div");
    div.textContent = row[%(tooltip)d];
    return div;
  }, {sticky: true, className: "foliumtooltip"});
  marker.bindPopup(function () {
    var table = L.DomUtil.create("table");
    for (var i = 0; i < fields.length; i++) {
      var tr = L.DomUtil.create("tr", "", table);
      L.DomUtil.create("th", "", tr).textContent = fields[i];
      L.DomUtil.create("td", "", tr).textContent = row[3 + i];
    }
    var div = L.DomUtil.create("div");
    div.appendChild(table);
    return div;
  }, {className: "foliumpopup"});
  return marker;
}"""


def add_clustered_practices(
    target: folium.Map,
    practices: gpd.GeoDataFrame,
    *,
    columns: list[str],
    aliases: list[str],
    tooltip: str,
    style: dict[str, object],
    name: str,
) -> int:
    """Add the practices as one clustered layer; return how many were added.

    Parameters
    ----------
    practices
        One point per practice (EPSG:4326) with ``radius`` (px) and ``columns`` (the popup's
        text).
    columns, aliases
        The popup's values and their labels, in order (``practice_code`` and
        ``practice_name`` among them).
    tooltip
        The column shown on hover (one of ``columns``).
    style
        Leaflet path options of each circle (as the unclustered layer's ``style_function``).
    name
        The layer's name in the layer control.
    """
    points = practices.geometry.to_crs(4326)
    rows = [
        [round(float(lat), DECIMALS), round(float(lon), DECIMALS), float(radius), *values]
        for lat, lon, radius, *values in zip(
            points.y,
            points.x,
            practices["radius"],
            *(practices[c].astype(str) for c in columns),
            strict=True,
        )
    ]
    callback = _CALLBACK % {
        "fields": json.dumps(aliases),
        "style": json.dumps(style),
        "tooltip": 3 + columns.index(tooltip),
        "code": 3 + columns.index("practice_code"),
        "name": 3 + columns.index("practice_name"),
    }
    # folium's plugins leave __init__ unannotated
    cluster = folium.plugins.FastMarkerCluster(  # type: ignore[no-untyped-call]
        rows, callback=callback, name=name, **CLUSTER_OPTIONS
    )
    cluster.add_to(target)
    return len(rows)
