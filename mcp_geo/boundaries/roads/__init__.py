"""Road travel: read a road network the user supplies, and shortest paths between practices in
km or drive minutes (:mod:`mcp_geo.boundaries.roads.matrix`)."""
