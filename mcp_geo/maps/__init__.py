"""Folium maps of plans."""
