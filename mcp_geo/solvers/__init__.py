"""Hub and MCP solvers: capacitated p-median models in PuLP with certified results."""
