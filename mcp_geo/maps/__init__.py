"""Folium maps of plans.

- :mod:`mcp_geo.maps.render`: ``render_plan(plan) -> folium.Map`` and ``write_map(plan, path)``
  (one self-contained HTML file);
- :mod:`mcp_geo.maps.compare_map`: ``render_comparison(comparison)`` and
  ``write_comparison_map(comparison, path)`` (two plans side by side, synchronised).

Modules are imported on use (folium is heavy): ``from mcp_geo.maps.render import write_map``.
"""
