"""The command line: a thin shell over the public functions (``mcp-geo --help``)."""

from __future__ import annotations

from mcp_geo.cli.main import main

__all__ = ["main"]
