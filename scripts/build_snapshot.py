"""Build the compact snapshot shipped in mcp_geo/data/ from the official files.

Usage: python scripts/build_snapshot.py [--data ../shared/data] [--out mcp_geo/data/2025-04]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mcp_geo.practices.bundled import BUNDLED_SNAPSHOT, build_bundle

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "mcp_geo" / "data" / BUNDLED_SNAPSHOT)
    args = parser.parse_args()
    for path in build_bundle(args.data, args.out):
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
