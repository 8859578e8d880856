"""Benchmark: what each part of the columns engine contributes (its plans and its bound).

Each footprint's hub level is solved with every part on (``all``), then with one part switched
off at a time, in the same process (the machine is shared: compare ratios within one run, not
across runs): status, objective, bound, gap, seconds, and the gap against ``all``'s.

    .venv/bin/python benchmarks/solver_parts.py                        # QOP and QRV, 60 s
    .venv/bin/python benchmarks/solver_parts.py -f icb:QOP --time-limit 30 --gap 0.005
    .venv/bin/python benchmarks/solver_parts.py -f icb:QRV,icb:QHL --parts support
    .venv/bin/python benchmarks/solver_parts.py -f icb:QHM,icb:QE1 --parts shortfall,relaxation
    .venv/bin/python benchmarks/solver_parts.py -f central-sussex-east-surrey --hubs 23 \
        --parts regroup --gap 0.0001

Parts (switched off by the module setting in brackets):

- ``support``: the compact model over the master LP's support (``driver.SUPPORT_MAX_SECONDS``
  = 0; the dive and the master MIP take its place, as before it existed);
- ``regroup``: regrouping the plans of free counts (``plans.REGROUP_FREE`` = False);
- ``replan``: re-planning neighbourhoods of hubs by column generation, in the order of their
  reduced costs, after the support model's plan, on parts of more than 200 practices
  (``driver.REPLAN_SHARE`` = 0: neither before the listing nor after it, where the dive and the
  master MIP then run as before);
- ``count-replan``: with a fixed count, re-planning neighbourhoods of eight hubs after each
  listing that proves no plan under its target (``driver.COUNT_REPLAN_SHARE`` = 0);
- ``shortfall``: re-planning neighbourhoods of the hubs under the floor in a least-exception
  part's shortfall stage (``_shortfall.SEARCH_SHARE`` = 0: the whole part's model alone, run in
  the same three turns);
- ``relaxation``: that stage's start from its model's LP relaxation and the greedy's plan
  (``_shortfall.RELAXATION_SHARE`` = 0: the model's first run comes first, as before);
- ``cuts``: the subset-row and rank-1 cuts of column generation (``generation.MAX_CUT_ROUNDS``
  = 0: the bound is the set-partitioning LP's alone);
- ``branch``: branch-and-price on small parts with a small gap (``driver.BRANCH_MAX_GAP`` = 0).

Without ``--parts`` the free count's four (support, regroup, replan, cuts) are switched off in
turn.

The gap is the certificate's (its last stage's, the travel); a level with earlier stages (a
least-exception part's shortfall) gets a line for each of them below its row.

Defaults are issue 23's: hubs of 30,000-50,000, 15 km, gap 0.005, 2 threads, hubs only.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

if __package__ is None or __package__ == "":  # run as a script from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARTS = {  # part: (module, setting, value when off)
    "support": ("mcp_geo.solvers.columns.driver", "SUPPORT_MAX_SECONDS", 0.0),
    "regroup": ("mcp_geo.solvers.columns.plans", "REGROUP_FREE", False),
    "replan": ("mcp_geo.solvers.columns.driver", "REPLAN_SHARE", 0.0),
    "count-replan": ("mcp_geo.solvers.columns.driver", "COUNT_REPLAN_SHARE", 0.0),
    "shortfall": ("mcp_geo.solvers._shortfall", "SEARCH_SHARE", 0.0),
    "relaxation": ("mcp_geo.solvers._shortfall", "RELAXATION_SHARE", 0.0),
    "cuts": ("mcp_geo.solvers.columns.generation", "MAX_CUT_ROUNDS", 0),
    "branch": ("mcp_geo.solvers.columns.driver", "BRANCH_MAX_GAP", 0.0),
}
DEFAULT_PARTS = "support,regroup,replan,cuts"  # the free count's parts


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("-f", "--footprints", default="icb:QOP,icb:QRV")
    p.add_argument("--parts", default=DEFAULT_PARTS, help="parts to switch off, one at a time")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds per level")
    p.add_argument("--gap", type=float, default=0.005)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--hubs", default=None, help="a hub count: a number or 'fewest' (free if unset)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def _count(hubs: str | None) -> dict[str, int | str]:
    """The ``hubs`` keyword for a count given on the command line (none: the free count)."""
    if hubs is None:
        return {}
    return {"hubs": int(hubs) if hubs.isdigit() else hubs}


@contextlib.contextmanager
def _off(part: str | None) -> Iterator[None]:
    """Switch ``part`` off for the duration (nothing for None)."""
    if part is None:
        yield
        return
    import importlib

    module_name, name, value = PARTS[part]
    module = importlib.import_module(module_name)
    before = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, before)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one row per footprint and variant."""
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(relativeCreated)8.0f %(name)s: %(message)s",
    )
    import mcp_geo

    parts = [p for p in args.parts.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown parts {unknown}; known: {sorted(PARTS)}")
    print(f"load average {os.getloadavg()[0]:.1f}; {args.time_limit:g} s, gap {args.gap:g}")
    print(
        f"{'footprint':<10} {'off':<8} {'status':<9} {'objective':>12} {'bound':>12} "
        f"{'gap':>8} {'seconds':>8} {'gap/all':>8}"
    )
    for footprint in args.footprints.split(","):
        first_gap = None
        for part in [None, *parts]:
            t0 = time.perf_counter()
            with _off(part):
                plan = mcp_geo.plan(
                    footprint,
                    no_mcps=True,
                    gap=args.gap,
                    time_limit=args.time_limit,
                    threads=args.threads,
                    **_count(args.hubs),
                )
            seconds = time.perf_counter() - t0
            c = plan.certificates.hubs
            gap = c.gap if c.gap is not None else float("inf")
            first_gap = gap if first_gap is None else first_gap
            ratio = gap / first_gap if first_gap else float("nan")
            print(
                f"{footprint:<10} {part or 'none':<8} {c.status:<9} {c.objective or 0:>12,.0f} "
                f"{c.bound or 0:>12,.0f} {gap:>8.3%} {seconds:>8.1f} {ratio:>8.2f}",
                flush=True,
            )
            for stage in c.stages[:-1]:  # the stages before the travel's
                print(
                    f"{'':<10} {'':<8} {stage.status:<9} {stage.objective or 0:>12,.0f} "
                    f"{stage.bound or 0:>12,.0f} {stage.gap or 0:>8.3%}  ({stage.name} stage)",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
