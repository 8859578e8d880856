"""The compact data snapshot shipped with mcp-geo (see scripts/build_snapshot.py)."""
