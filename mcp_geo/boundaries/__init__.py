"""Distances between practice sites, and hub / MCP territories."""
