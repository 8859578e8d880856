#!/usr/bin/env python3
"""Write the README screenshots: docs/north-staffs.png, docs/north-staffs-phone.png, docs/compare.png.

Plans north-staffs and staffs-shropshire (or reads plan folders given with --plans), draws the
north-staffs map and the north-staffs / staffs-shropshire comparison, and photographs both with
headless Chromium (Playwright for Python driving Debian's /usr/bin/chromium). Base map tiles are
drawn when the network reaches them (--offline leaves them out, as on a laptop without a
network). Run from the repository root:

    .venv/bin/python scripts/screenshots.py [--plans DIR] [--offline]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAX_BYTES = 400_000

log = logging.getLogger("screenshots")


def _plan(footprint: str, plans: Path, *, time_limit: float):
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.plans.read import is_plan_dir, read_plan
    from mcp_geo.plans.write import write_plan
    from mcp_geo.scenario import Scenario

    folder = plans / footprint
    if is_plan_dir(folder):
        log.info("reading %s", folder)
        return read_plan(folder)
    log.info("planning %s", footprint)
    plan = run_scenario(
        Scenario.from_options(footprint, {"engine": "compact", "time_limit": time_limit})
    )
    write_plan(plan, folder)
    return plan


def _photograph(html: Path, png: Path, *, size: tuple[int, int], offline: bool) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": size[0], "height": size[1]},
        )
        try:
            if offline:
                context.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort(),
                )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    # base map tiles fail to load without a network: that alone is not an error
                    if m.type == "error" and not m.text.startswith("Failed to load resource:")
                    else None
                ),
            )
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(png))
        finally:
            context.close()
    if errors:
        raise RuntimeError(f"{html.name} at {size[0]}x{size[1]}: page errors {errors}")
    log.info("%s: %d bytes", png, png.stat().st_size)
    if png.stat().st_size > MAX_BYTES:
        log.warning("%s is larger than %d bytes", png, MAX_BYTES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, help="folder of plan folders (read or written)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="default: docs/")
    parser.add_argument("--offline", action="store_true", help="no base map tiles")
    parser.add_argument(
        "--time-limit", type=float, default=60, help="seconds per level for staffs-shropshire"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)

    from mcp_geo.maps.compare_map import write_comparison_map
    from mcp_geo.maps.render import write_map
    from mcp_geo.pipeline.compare import compare_plans

    with tempfile.TemporaryDirectory() as scratch:
        plans = args.plans or Path(scratch) / "plans"
        north = _plan("north-staffs", plans, time_limit=args.time_limit)
        wider = _plan("staffs-shropshire", plans, time_limit=args.time_limit)
        args.out.mkdir(parents=True, exist_ok=True)
        single = write_map(north, Path(scratch) / "north-staffs.html")
        both = write_comparison_map(compare_plans(north, wider), Path(scratch) / "compare.html")
        for written in (single, both):
            if not written.self_contained:
                log.error("assets missing: run scripts/ensure-venv.sh dev first")
                return 1
        _photograph(
            single.path, args.out / "north-staffs.png", size=(1280, 800), offline=args.offline
        )
        _photograph(
            single.path, args.out / "north-staffs-phone.png", size=(390, 844), offline=args.offline
        )
        _photograph(both.path, args.out / "compare.png", size=(1600, 900), offline=args.offline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
