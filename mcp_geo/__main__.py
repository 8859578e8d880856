"""``python -m mcp_geo``: the command line, as the ``mcp-geo`` script runs it."""

import sys

from mcp_geo.cli import main

sys.exit(main())
