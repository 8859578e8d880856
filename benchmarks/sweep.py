"""Benchmark: a sweep of 9 cells on Dask against the 9 `plan` calls one after another.

The issue's target grid: north-staffs, hubs only (``--no-mcps``), hub-max 45,000 / 50,000 /
55,000 x max-km 10 / 15 / 20, the other options at their defaults, swept with 2 Dask workers
(one solver thread each, as every cell) from scratch; then, in the same process, the same 9
scenarios planned by :func:`mcp_geo.plan` one after another (one solver thread each, as a cell:
the same plans). Prints each cell (status, how its solve ended, hubs, objective), the seconds
of both and the ratio. Target: the sweep in at most 60 s on 2 cores.

    .venv/bin/python benchmarks/sweep.py
    .venv/bin/python benchmarks/sweep.py --workers 1 --json results.json
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ is None or __package__ == "":  # run as a script from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VARY = {"hub_max": [45_000, 50_000, 55_000], "max_km": [10, 15, 20]}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--footprint", default="north-staffs")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per level")
    p.add_argument("--out", default=None, help="keep the sweep folder here (default: temp)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    import mcp_geo
    from mcp_geo.solvers import discard_solver_banners

    discard_solver_banners()
    options: dict[str, Any] = {"no_mcps": True, "time_limit": args.time_limit}
    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    out = folder / "sweep" if not args.out else folder
    t0 = time.perf_counter()
    result = mcp_geo.sweep(
        args.footprint, vary=VARY, out=out, workers=args.workers, resume=False, **options
    )
    sweep_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    alone = []
    for hub_max in VARY["hub_max"]:
        for max_km in VARY["max_km"]:
            plan = mcp_geo.plan(
                args.footprint, hub_max=hub_max, max_km=max_km, threads=1, **options
            )
            alone.append(plan)
    plans_seconds = time.perf_counter() - t0

    cells = []
    print("| cell | hub_max | max_km | status | ended by | hubs | objective | same as plan |")
    print("|---|---|---|---|---|---|---|---|")
    for row, plan in zip(result.rows, alone, strict=True):
        options_of = dict(row.options)
        report = json.loads((out / "cells" / row.cell / "report.json").read_text())
        ended = report["certificates"]["hubs"]["ended_by"]
        same = (
            row.status == plan.certificates.hubs.status
            and row.n_hubs == plan.metrics.hubs.groups
            and f"{row.hub_objective:.3f}" == f"{plan.certificates.hubs.objective:.3f}"
        )
        cells.append({**row.record(result.options), "ended_by": ended, "same_as_plan": same})
        print(
            f"| {row.cell} | {options_of['hub_max']} | {options_of['max_km']} | {row.status} | "
            f"{ended} | {row.n_hubs} | {row.hub_objective:,.1f} | {same} |"
        )
    ratio = sweep_seconds / plans_seconds
    print(
        f"\nsweep of {len(result.rows)} cells on {result.workers} Dask workers: "
        f"{sweep_seconds:.1f} s (solving {result.solve_seconds:.1f} s); "
        f"the {len(alone)} plan calls one after another: {plans_seconds:.1f} s; "
        f"ratio {ratio:.2f}; target <= 60 s: {'met' if sweep_seconds <= 60 else 'NOT met'}"
    )
    if args.json:
        results = {
            "sweep_seconds": round(sweep_seconds, 2),
            "solve_seconds": round(result.solve_seconds, 2),
            "plans_seconds": round(plans_seconds, 2),
            "ratio": round(ratio, 3),
            "workers": result.workers,
            "cells": cells,
        }
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.out:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
