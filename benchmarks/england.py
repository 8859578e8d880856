"""Benchmark: all England on Dask, with 1 worker and with 2 workers, in the same run.

For each worker count the whole national run is made from scratch (no resumed parts): wall time
of the run and of its Dask part (cluster start and solves), footprints solved to proven
optimality, within the gap target (a gap above the tolerance but at most ``--within``), worse,
and failed, per level; each footprint's gap and seconds per level (the gap of its widest
stage: a least-exception level's shortfall stage can be far wider than the travel stage the
certificate's ``gap`` gives, and is named after the line); then the speed-up from the first
worker count to the last (wall time of the Dask part, and of the whole run).

    .venv/bin/python benchmarks/england.py                          # all 42 ICBs, 1 then 2 workers
    .venv/bin/python benchmarks/england.py --codes QT6,QSL,QOC      # a subset, for development
    .venv/bin/python benchmarks/england.py --smallest 12 --workers 2
    .venv/bin/python benchmarks/england.py --json results.json

Defaults are the issue's: hubs of 30,000-50,000, MCPs of at least 100,000, 15 km, a gap target
of 0.5%, one solver thread per worker, the April 2025 snapshot shipped with the package, the
partition by ICB, the biggest footprints scheduled first. Target: the whole of England in under
10 minutes on 2 cores, every footprint with a certificate, a speed-up of at least 1.7x.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ is None or __package__ == "":  # run as a script from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--by", default="icb", help="icb or sub-icb (stp or ccg on 2021-01)")
    p.add_argument("--workers", default="1,2", help="worker counts, in order (default 1,2)")
    p.add_argument("--codes", default=None, help="only these footprint codes (comma-separated)")
    p.add_argument("--smallest", type=int, default=None, help="only the N smallest footprints")
    p.add_argument("--gap", type=float, default=0.005, help="relative gap target (0.005 = 0.5%%)")
    p.add_argument("--within", type=float, default=0.01, help="a gap counted as 'within gap'")
    p.add_argument("--time-limit", type=float, default=120.0, help="seconds per level")
    p.add_argument("--max-km", type=float, default=15.0)
    p.add_argument("--engine", default="auto", choices=["auto", "compact", "columns"])
    p.add_argument("--snapshot", default="2025-04")
    p.add_argument("--data", default=None, help="official data folder (default: shipped copy)")
    p.add_argument("--out", default=None, help="keep the national plans here (default: temp)")
    p.add_argument("--map", action="store_true", help="also write the national map")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def worst_stage(certificate: dict[str, Any]) -> tuple[str | None, float | None]:
    """The level's widest gap and its stage's name (None: the certificate's own, no stages).

    A certificate's ``gap`` is its last stage's (the travel); a least-exception level's
    shortfall stage, or a fewest count's, may be far wider, and the level's status is its
    weakest stage's: the tables show that gap, naming the stage.
    """
    gap = certificate.get("gap")
    name = None
    for stage in certificate.get("stages") or ():
        g = stage.get("gap")
        if g is not None and (gap is None or g > gap + 1e-12):
            gap, name = g, stage.get("name")
    return name, gap


def _classify(certificate: dict[str, Any] | None, *, within: float) -> str:
    if certificate is None:
        return "none"
    if certificate["status"] == "optimal":
        return "optimal"
    if certificate["status"] == "feasible":
        gap = worst_stage(certificate)[1]
        return "within_gap" if gap is not None and gap <= within else "above_gap"
    return certificate["status"]


def _summary(national: Any, *, within: float) -> dict[str, Any]:
    levels: dict[str, Counter[str]] = {"hubs": Counter(), "mcps": Counter()}
    for r in national.footprints:
        for level in levels:
            cert = None if r.certificates is None else r.certificates.get(level)
            levels[level][_classify(cert, within=within) if r.status == "solved" else "failed"] += 1
    worst = max(
        (r for r in national.solved),
        key=lambda r: max(worst_stage(c or {})[1] or 0 for c in (r.certificates or {}).values()),
        default=None,
    )
    report = national.report()
    certs = report.get("certificates", {})
    return {
        "workers": national.workers,
        "seconds": round(national.seconds, 1),
        "solve_seconds": round(national.solve_seconds, 1),
        "footprints": len(national.footprints),
        "solved": len(national.solved),
        "failed": {r.code: r.reason for r in national.failed},
        "hubs": dict(levels["hubs"]),
        "mcps": dict(levels["mcps"]),
        "national_hubs": {k: certs.get("hubs", {}).get(k) for k in ("status", "gap")},
        "national_mcps": {k: (certs.get("mcps") or {}).get(k) for k in ("status", "gap")},
        "practices": report.get("metrics", {}).get("practices"),
        "patients": report.get("metrics", {}).get("patients"),
        "hub_count": report.get("metrics", {}).get("hubs", {}).get("count"),
        "mcp_count": (report.get("metrics", {}).get("mcps") or {}).get("count"),
        "worst_gap": None
        if worst is None
        else {
            "code": worst.code,
            "gaps": {k: worst_stage(c or {})[1] for k, c in (worst.certificates or {}).items()},
        },
        "slowest": sorted(
            ((r.code, r.job.practices, r.timings.get("total")) for r in national.footprints),
            key=lambda t: -(t[2] or 0),
        )[:5],
    }


def table(national: Any) -> list[str]:
    """One line per footprint, largest first: practices, and per level gap and seconds (the
    widest stage's gap, its stage named after the line when it is not the last)."""

    def level(r: Any, name: str, notes: list[str]) -> str:
        cert = None if r.certificates is None else r.certificates.get(name)
        if cert is None:
            return f"{'-':>8} {'-':>7}"
        stage, gap = worst_stage(cert)
        gap_text = "-" if gap is None else f"{gap:.3%}"
        if stage is not None:
            notes.append(f"{name}: {stage} stage")
        return f"{gap_text:>8} {r.timings.get(name, 0.0):>7.1f}"

    lines = [
        f"{'code':<6} {'pract':>5} {'hub gap':>8} {'hub s':>7} {'mcp gap':>8} {'mcp s':>7} "
        f"{'total s':>7}"
    ]
    for r in sorted(national.footprints, key=lambda r: -r.job.practices):
        notes: list[str] = []
        hubs, mcps = level(r, "hubs", notes), level(r, "mcps", notes)
        lines.append(
            f"{r.code:<6} {r.job.practices:>5} {hubs} {mcps} {r.timings.get('total', 0.0):>7.1f}"
            + ("" if r.status == "solved" else " failed")
            + ("" if not notes else "  (" + "; ".join(notes) + ")")
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(message)s",
    )
    from mcp_geo.national.run import partition_jobs, plan_england
    from mcp_geo.practices import open_data
    from mcp_geo.scenario import Scenario

    scenario = Scenario.from_options(
        "england",
        {
            "snapshot": args.snapshot,
            "gap": args.gap,
            "time_limit": args.time_limit,
            "max_km": args.max_km,
            "engine": args.engine,
            "threads": 1,
        },
    )
    codes = None if args.codes is None else [c.strip() for c in args.codes.split(",")]
    if args.smallest is not None:
        jobs, _ = partition_jobs(
            open_data(args.data, snapshot=args.snapshot), by=args.by, scenario=scenario
        )
        codes = [j.code for j in jobs[-args.smallest :]]
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="mcp-geo-england-"))
    runs = []
    try:
        for n in (int(w) for w in args.workers.split(",")):
            out = root / f"workers-{n}"
            started = time.perf_counter()

            def progress(result: Any, done: int, total: int, started: float = started) -> None:
                elapsed = time.perf_counter() - started
                print(
                    f"  [{done:>3}/{total}] {elapsed:7.1f} s  {result.code:<6} "
                    f"{result.job.practices:>4} practices  {result.status}"
                    + (f": {result.reason[:100]}" if result.reason else ""),
                    file=sys.stderr,
                )

            print(f"{n} worker(s) -> {out}", file=sys.stderr)
            load_before = [round(x, 2) for x in os.getloadavg()]
            national = plan_england(
                scenario,
                by=args.by,
                out=out,
                data_dir=args.data,
                workers=n,
                codes=codes,
                progress=progress,
                resume=False,
                map_html=args.map,
            )
            runs.append(
                {
                    **_summary(national, within=args.within),
                    "load_average_before": load_before,
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                }
            )
            print("\n".join(table(national)), file=sys.stderr)
            print(json.dumps(runs[-1], indent=1), file=sys.stderr)
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    result: dict[str, Any] = {
        "by": args.by,
        "gap": args.gap,
        "time_limit": args.time_limit,
        "max_km": args.max_km,
        "runs": runs,
    }
    if len(runs) >= 2:
        fewest = min(runs, key=lambda r: r["workers"])
        most = max(runs, key=lambda r: r["workers"])
        result["speedup"] = f"{fewest['workers']} -> {most['workers']} workers"
        result["speedup_solve"] = round(fewest["solve_seconds"] / most["solve_seconds"], 2)
        result["speedup_total"] = round(fewest["seconds"] / most["seconds"], 2)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
