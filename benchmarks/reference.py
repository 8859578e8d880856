"""Benchmark planning from today's PCNs against planning from scratch (issue 20, point 5).

For each footprint, in the same process and one after the other: ``plan FOOTPRINT --no-mcps``
from scratch, then ``plan FOOTPRINT --reference pcn --no-mcps``, with the same options. Each row
gives the hub level's seconds, each objective stage's value, bound, gap and status, the
practices and patients out of their PCN (DESIGN's matching definition, recounted for the plan
from scratch too), the PCNs kept, split and merged, and ``vs scratch``: the run's seconds over
the from-scratch run's (the targets: proven in <= 60 s each on 2 threads).

    .venv/bin/python benchmarks/reference.py                       # the five footprints
    .venv/bin/python benchmarks/reference.py -f north-staffs --time-limit 30
    .venv/bin/python benchmarks/reference.py --travel-slack 0.01 --json results.json

Defaults are the issue's: hubs of 30,000-50,000, 15 km, patient-weighted great-circle km, gap
0.0001, time limit 60 s, 2 threads; moves count patients (``--minimise practices``: practices).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

FOOTPRINTS = (
    "north-staffs",
    "staffs-stoke",
    "staffs-shropshire",
    "central-sussex-east-surrey",
    "sussex-east-surrey",
)


@dataclass
class Row:
    footprint: str
    run: str
    practices: int
    hubs: int
    status: str
    ended_by: str
    seconds: float
    moved_practices: int
    moved_patients: int
    pcns: int
    kept: int
    split: int
    merged: int
    stages: str
    vs_scratch: str = ""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-f", "--footprints", default=",".join(FOOTPRINTS), help="comma-separated names")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds per plan's hubs")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gap", type=float, default=1e-4)
    p.add_argument("--max-km", type=float, default=15.0)
    p.add_argument("--minimise", default="patients", choices=["patients", "practices"])
    p.add_argument("--travel-slack", type=float, default=None)
    p.add_argument("--data", default=None, help="official data folder (default: shipped copy)")
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def _stages(certificate: Any) -> str:
    stages = certificate.stages or (certificate,)
    return "; ".join(
        f"{getattr(st, 'name', 'travel')} {st.objective:,.0f} bound {st.bound:,.0f} "
        f"gap {100 * (st.gap or 0):.4f}% {st.status}"
        if st.objective is not None and st.bound is not None
        else f"{getattr(st, 'name', 'travel')} {st.status}"
        for st in stages
    )


def _row(name: str, run: str, plan: Any, seconds: float) -> Row:
    """One run's row; the moves out of today's PCNs recounted for a plan from scratch too."""
    from mcp_geo.plans.reference import group_labels, reference_outcome

    practices = plan.practices
    if "reference_group" not in practices.columns:
        practices = practices.assign(reference_group=group_labels(practices["pcn_code"]))
    outcome = reference_outcome(practices, source="pcn", minimise=plan.scenario.minimise)
    c = plan.certificates.hubs
    return Row(
        name,
        run,
        len(practices),
        len(plan.hubs),
        c.status,
        c.ended_by or "",
        round(seconds, 2),
        len(outcome.moved),
        outcome.moved_patients,
        outcome.groups,
        len(outcome.kept),
        len(outcome.split),
        len(outcome.merged),
        _stages(c),
    )


def _run(data: Any, name: str, options: dict[str, Any]) -> tuple[Any, float]:
    from mcp_geo.pipeline.footprint import plan_from_data
    from mcp_geo.scenario import Scenario

    scenario = Scenario.from_options(name, options)
    t0 = time.perf_counter()
    plan = plan_from_data(data, scenario=scenario, areas=None)
    return plan, time.perf_counter() - t0


def _print(rows: list[Row]) -> None:
    head = (
        "footprint", "run", "practices", "hubs", "seconds", "vs scratch", "status", "ended_by",
        "moved practices", "moved patients", "PCNs", "kept", "split", "merged", "stages",
    )  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (
            r.footprint, r.run, r.practices, r.hubs, f"{r.seconds:.1f}", r.vs_scratch, r.status,
            r.ended_by, f"{r.moved_practices:,}", f"{r.moved_patients:,}", r.pcns, r.kept,
            r.split, r.merged, r.stages,
        )  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(relativeCreated)7d %(name)s %(message)s",
    )
    from mcp_geo.practices import open_data
    from mcp_geo.solvers import discard_solver_banners

    discard_solver_banners()  # stdout holds the table only
    data = open_data(args.data)
    common = {
        "no_mcps": True,
        "max_km": args.max_km,
        "gap": args.gap,
        "time_limit": args.time_limit,
        "threads": args.threads,
    }
    reference = {"reference": "pcn", "minimise": args.minimise}
    if args.travel_slack is not None:
        reference["travel_slack"] = args.travel_slack
    rows: list[Row] = []
    for name in args.footprints.split(","):
        scratch: Row | None = None
        for run, extra in (("scratch", {}), ("from PCNs", reference)):
            plan, seconds = _run(data, name, {**common, **extra})
            row = _row(name, run, plan, seconds)
            if scratch is None:
                scratch = row
            else:
                row.vs_scratch = f"{row.seconds / max(scratch.seconds, 1e-9):.1f}x"
            rows.append(row)
            print(
                f"# {name} {run}: {row.status} in {seconds:.1f}s, moved "
                f"{row.moved_practices} practices / {row.moved_patients:,} patients",
                file=sys.stderr,
                flush=True,
            )
    _print(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([asdict(r) for r in rows], fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
