"""Benchmark the hub engines on the real footprints.

For each footprint and engine, in the same run: practices, hubs, objective, bound, gap, status,
what ended the solve, seconds, and the speed ratio against the compact engine (compact seconds /
engine seconds; ``>`` when the compact engine stopped on its time limit before the engine's gap).

    .venv/bin/python benchmarks/hubs.py                        # every footprint, both engines
    .venv/bin/python benchmarks/hubs.py -f north-staffs -e columns --time-limit 60
    .venv/bin/python benchmarks/hubs.py --data ../shared/data --json results.json
    .venv/bin/python benchmarks/hubs.py -f central-sussex-east-surrey,staffs-shropshire \
        -e columns --hubs free,23,fewest --time-limit 120    # hub counts beside the free one
    .venv/bin/python benchmarks/hubs.py -e columns --targets --time-limit 60  # + issue 18's rows

With ``--hubs``, each count (``free``, a number, ``fewest``) is solved for every footprint and
engine, and ``vs free`` is the count's seconds over the free count's in the same run (``stages``:
each objective stage's value, gap and status; the targets of issue 18: central Sussex 23 and
fewest, staffs-shropshire fewest, every stage within 0.01%).

With ``--targets``, issue 18's count rows follow each selected footprint's rows:
central-sussex-east-surrey ``--hubs 23`` and ``--hubs fewest`` (target: proven in <= 30 s),
staffs-shropshire ``--hubs fewest`` (<= 60 s).

Defaults are the issue's: hubs of 30,000-50,000, 15 km, patient-weighted great-circle km,
gap 0.0001, 2 threads. Solves run one after another (never two heavy solves at once).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass

TARGETS = {  # issue 18's count rows, beside the free count (--targets)
    "central-sussex-east-surrey": ("23", "fewest"),
    "staffs-shropshire": ("fewest",),
}
FOOTPRINTS = {
    "north-staffs": "north-staffs",
    "central-sussex-east-surrey": "central-sussex-east-surrey",
    "staffs-stoke": "staffs-stoke",
    "sussex-east-surrey": "sussex-east-surrey",
    "staffs-shropshire": "staffs-shropshire",
    "greater-manchester": "icb:QOP",
}


@dataclass
class Row:
    footprint: str
    engine: str
    practices: int
    hubs: int
    objective: float | None
    bound: float | None
    gap: float | None
    status: str
    ended_by: str
    seconds: float
    parts: int
    ratio: str = ""
    count: str = "free"
    stages: str = ""
    vs_free: str = ""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "-f",
        "--footprints",
        default=",".join(FOOTPRINTS),
        help="comma-separated names (default: all six)",
    )
    p.add_argument(
        "-e",
        "--engines",
        default="compact,columns",
        help="comma-separated engines among compact, columns, auto",
    )
    p.add_argument(
        "--hubs",
        default="free",
        help="comma-separated hub counts: free, a number, fewest (default: free)",
    )
    p.add_argument(
        "--targets",
        action="store_true",
        help="also issue 18's count rows (central Sussex 23 and fewest, staffs-shropshire fewest)",
    )
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gap", type=float, default=1e-4)
    p.add_argument("--max-km", type=float, default=15.0)
    p.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    p.add_argument("--data", default=None, help="official data folder (default: shipped copy)")
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def _vs_free(rows: list[Row]) -> None:
    free = {(r.footprint, r.engine): r for r in rows if r.count == "free"}
    for r in rows:
        f = free.get((r.footprint, r.engine))
        if f is not None and r.count != "free" and r.status != "refused":
            r.vs_free = f"{r.seconds / max(f.seconds, 1e-9):.1f}x"


def _stages(stages: tuple) -> str:  # type: ignore[type-arg]
    return "; ".join(
        f"{st.name} {st.objective:,.0f} gap {100 * (st.gap or 0):.4f}% {st.status}"
        if st.objective is not None
        else f"{st.name} {st.status}"
        for st in stages
    )


def _ratio(rows: list[Row]) -> None:
    compact = {(r.footprint, r.count): r for r in rows if r.engine == "compact"}
    for r in rows:
        c = compact.get((r.footprint, r.count))
        if c is None or r.engine == "compact" or r.gap is None:
            continue
        if r.status == "optimal":  # the same gap: the tolerance both were asked for
            reached = c.status == "optimal"
        else:
            reached = c.gap is not None and c.gap <= r.gap + 1e-12
        r.ratio = f"{'' if reached else '>'}{c.seconds / max(r.seconds, 1e-9):.1f}x"


def _refused(name: str, engine: str, practices: int, count: str, err: Exception, t0: float) -> Row:
    """A row for a count the rules refuse (``InfeasibleError``), its reason in ``stages``."""
    seconds = time.perf_counter() - t0
    print(f"# {name} {engine} hubs={count}: refused: {err}", file=sys.stderr, flush=True)
    return Row(
        name,
        engine,
        practices,
        0,
        None,
        None,
        None,
        "refused",
        "pre-checks",
        round(seconds, 2),
        0,
        count=count,
        stages=str(err)[:120],
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(relativeCreated)7d %(name)s %(message)s",
    )
    from mcp_geo._errors import InfeasibleError
    from mcp_geo.practices import open_data, select_footprint
    from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs

    data = open_data(args.data)
    rows: list[Row] = []
    for name in args.footprints.split(","):
        practices = select_footprint(data, FOOTPRINTS.get(name, name)).practices
        counts = args.hubs.split(",")
        if args.targets:
            counts += [c for c in TARGETS.get(name, ()) if c not in counts]
        for engine, count in [(e, c) for c in counts for e in args.engines.split(",")]:
            hubs = None if count == "free" else "fewest" if count == "fewest" else int(count)
            rule = HubRule(max_km=args.max_km, hubs=hubs)
            options = SolveOptions(
                engine=engine,
                solver=args.solver,
                gap=args.gap,
                time_limit=args.time_limit,
                threads=args.threads,
            )
            t0 = time.perf_counter()
            try:
                sol = solve_hubs(practices, rule=rule, options=options)
            except InfeasibleError as err:  # a count the rules refuse: a row, not a crash
                rows.append(_refused(name, engine, len(practices), count, err, t0))
                continue
            seconds = time.perf_counter() - t0
            c = sol.certificate
            rows.append(
                Row(
                    name,
                    engine,
                    len(practices),
                    len(sol.hubs),
                    c.objective,
                    c.bound,
                    c.gap,
                    c.status,
                    c.ended_by,
                    round(seconds, 2),
                    sol.parts,
                    count=count,
                    stages=_stages(c.stages),
                )
            )
            print(
                f"# {name} {engine} hubs={count}: {c.status} gap={c.gap} in {seconds:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    _ratio(rows)
    _vs_free(rows)
    head = (
        "footprint",
        "engine",
        "count",
        "practices",
        "hubs",
        "objective",
        "bound",
        "gap",
        "status",
        "ended_by",
        "seconds",
        "vs compact",
        "vs free",
        "stages",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (
            r.footprint,
            r.engine,
            r.count,
            r.practices,
            r.hubs,
            "" if r.objective is None else f"{r.objective:,.0f}",
            "" if r.bound is None else f"{r.bound:,.0f}",
            "" if r.gap is None else f"{100 * r.gap:.4f}%",
            r.status,
            r.ended_by,
            f"{r.seconds:.1f}",
            r.ratio,
            r.vs_free,
            r.stages,
        )
        print("| " + " | ".join(str(c) for c in cells) + " |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([asdict(r) for r in rows], fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
