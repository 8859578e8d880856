"""Plan every seed footprint and check the plan files against an earlier build's.

A refactoring must not change what a user sees: on every seed footprint the CSVs, report.json
without ``timings`` and scenario.toml must be byte-identical before and after.

Usage::

    # on the old checkout (PYTHONPATH picks the source tree to run)
    PYTHONPATH=/path/to/old .venv/bin/python scripts/same_seed_plans.py write /tmp/before
    # on the new one
    .venv/bin/python scripts/same_seed_plans.py write /tmp/after
    .venv/bin/python scripts/same_seed_plans.py compare /tmp/before /tmp/after

``compare`` prints one line per differing file and exits 1 if any differs. A change that is
meant to change what a user sees names the files it changes with ``--expect SEED/FILE`` (as
many as needed): they are reported as expected and do not fail the comparison, and an expected
file that did not change fails it (the expectation was wrong). For example, hubs.csv's
``exception`` and ``shortfall`` columns and report.json's exceptions as objects changed the one
seed plan with an exception (staffs-shropshire: Y01929 over the ceiling)::

    .venv/bin/python scripts/same_seed_plans.py compare /tmp/before /tmp/after \
        --expect staffs-shropshire/hubs.csv --expect staffs-shropshire/report.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SEEDS = (
    "north-staffs",
    "staffs-stoke",
    "staffs-shropshire",
    "sussex-east-surrey",
    "central-sussex-east-surrey",
)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COMPARED = (
    "practices.csv",
    "hubs.csv",
    "mcps.csv",
    "exclusions.csv",
    "scenario.toml",
    "report.json",
)


def write(out: Path, data: Path) -> None:
    """Plan each seed into ``out/<seed>`` with the CLI of the source tree Python imports."""
    out.mkdir(parents=True, exist_ok=True)
    data = data.resolve()
    for seed in SEEDS:
        command = [
            sys.executable,
            "-c",
            "import sys; from mcp_geo.cli import main; sys.exit(main())",
            "plan",
            seed,
            "--data",
            str(data),
            "--out",
            str((out / seed).resolve()),
            "-q",
        ]
        # run from ``out``: Python puts the working folder first on sys.path, before PYTHONPATH
        done = subprocess.run(command, check=False, cwd=out)
        print(f"{seed}: exit {done.returncode}", flush=True)


def _content(path: Path) -> bytes:
    if path.name != "report.json":
        return path.read_bytes()
    report = json.loads(path.read_text(encoding="utf-8"))
    report.pop("timings", None)
    for level in (report.get("certificates") or {}).values():
        if isinstance(level, dict):
            level.pop("seconds", None)  # not in report.json today; here in case
    return json.dumps(report, sort_keys=True).encode()


def compare(before: Path, after: Path, *, expect: frozenset[str] = frozenset()) -> int:
    """Print the files that differ; 0 when every seed's files are identical, or differ only
    where ``expect`` (``seed/file``) says they should."""
    differ = expected = 0
    for seed in SEEDS:
        for name in COMPARED:
            a, b = before / seed / name, after / seed / name
            key = f"{seed}/{name}"
            if a.exists() != b.exists():
                print(f"{key}: only in {'before' if a.exists() else 'after'}")
                differ += 1
            elif a.exists() and _content(a) != _content(b):
                print(f"{key}: differs" + (" (expected)" if key in expect else ""))
                differ += key not in expect
                expected += key in expect
            elif key in expect:
                print(f"{key}: expected to differ, but is identical")
                differ += 1
    if differ:
        print(f"{differ} files differ")
    else:
        print(f"only the {expected} expected files differ" if expected else "identical")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--data-dir", type=Path, default=DATA)
    c = commands.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--expect", action="append", default=[], metavar="SEED/FILE")
    args = parser.parse_args()
    if args.command == "write":
        write(args.out, args.data_dir)
        return 0
    return compare(args.before, args.after, expect=frozenset(args.expect))


if __name__ == "__main__":
    sys.exit(main())
