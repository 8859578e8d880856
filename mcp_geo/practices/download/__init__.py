"""``mcp-geo data download``: fetch the official files from their publishers, verify them, and
install them only where the tool may write."""
