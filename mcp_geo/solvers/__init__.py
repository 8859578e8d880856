"""Hub and MCP solvers: capacitated p-median models in PuLP with certified results."""

from __future__ import annotations

from mcp_geo.solvers._run import discard_solver_banners
from mcp_geo.solvers.certificate import Certificate, ModelSize, Stage
from mcp_geo.solvers.hubs import HubSolution, solve_hubs
from mcp_geo.solvers.mcps import McpSolution, solve_mcps
from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

__all__ = [
    "Certificate",
    "HubRule",
    "HubSolution",
    "McpRule",
    "McpSolution",
    "ModelSize",
    "SolveOptions",
    "Stage",
    "discard_solver_banners",
    "solve_hubs",
    "solve_mcps",
]
