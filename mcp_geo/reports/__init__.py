"""Charts and board reports: what a planner takes to a board, made from the tool's folders.

``report(folder)`` writes ``report.html`` (self-contained, prints on A4), ``report.pdf`` (by a
Chromium the machine has) and ``charts/`` (PNG and SVG) into a plan, comparison or sweep folder.
The chart functions (:mod:`mcp_geo.reports.charts`, :mod:`mcp_geo.reports.sweep_charts`) take
typed inputs and return matplotlib Figures, made without pyplot.
"""

from __future__ import annotations

from mcp_geo.reports.report import Report, folder_kind, report

__all__ = ["Report", "folder_kind", "report"]
