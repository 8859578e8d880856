"""The ``mcp-geo`` command line: a thin shell over the package's public functions.

Data goes to stdout (tables, or JSON with ``--json`` and nothing else); progress and logs go to
stderr. Bad input is a usage error (exit 2) with a clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mcp_geo._errors import (
    DownloadError,
    InfeasibleError,
    McpGeoError,
    MissingExtraError,
    NoPlanError,
    Problem,
    ValidationError,
    cli_name,
)
from mcp_geo.cli._parser import build_parser, scenario_from_args
from mcp_geo.cli._print import _print_comparison, _print_current_icbs, _print_summary, _table

if TYPE_CHECKING:
    from rich.console import Console

    from mcp_geo.national._tasks import FootprintResult
    from mcp_geo.plans.plan import Plan
    from mcp_geo.practices import PracticeData
    from mcp_geo.scenario import Scenario

log = logging.getLogger("mcp_geo.cli.main")
T = TypeVar("T")

EXIT_USAGE = 2
EXIT_INFEASIBLE = 3
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def _configure_logging(verbose: int, *, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _open_data(data_dir: Path | None, snapshot: str | None) -> PracticeData:
    from mcp_geo.practices import open_data

    return open_data(data_dir, snapshot=snapshot)


def _cmd_footprints(args: argparse.Namespace) -> int:
    from mcp_geo.practices.footprints import footprint_summary

    data = _open_data(args.data, args.snapshot)
    if args.icbs:
        return _print_current_icbs(data, as_json=args.json)
    table = footprint_summary(data)
    if args.json:
        records = [
            {
                "name": r.name,
                "practices": int(r.practices),
                "patients": int(r.patients),
                "excluded": int(r.excluded),
            }
            for r in table.itertuples()
        ]
        print(json.dumps(records, indent=2))
        return 0
    from rich.console import Console

    out = _table(
        f"Built-in footprints, snapshot {data.snapshot.name} "
        f"(list sizes of {data.extract_date:%d %B %Y})",
        left=("footprint", "area"),
        right=("practices", "patients", "excluded"),
    )
    for r in table.itertuples():
        out.add_row(r.name, r.title, f"{r.practices:,}", f"{r.patients:,}", f"{r.excluded:,}")
    console = Console()
    console.print(out)
    console.print(
        f"England: {len(data.practices):,} practices kept, "
        f"{int(data.practices['patients'].sum()):,} patients; "
        f"{len(data.exclusions):,} excluded (see `mcp-geo data check`). "
        "`mcp-geo footprints --icbs` lists the ICBs after the April 2026 mergers "
        "(icb:S9B9J plans a new one).",
        highlight=False,
    )
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    if args.data_command == "download":
        return _download(args)
    data = _open_data(args.dir, args.snapshot)
    reasons = data.exclusions.groupby("reason").size().sort_values(ascending=False)
    if args.json:
        print(
            json.dumps(
                {
                    "snapshot": data.snapshot.name,
                    "extract_date": data.extract_date.isoformat(),
                    "rows_read": int(data.rows_read),
                    "kept": len(data.practices),
                    "patients": int(data.practices["patients"].sum()),
                    "excluded": {str(k): int(v) for k, v in reasons.items()},
                },
                indent=2,
            )
        )
        return 0
    print(f"snapshot {data.snapshot.name}: list sizes of {data.extract_date.isoformat()}")
    print(f"practices read: {data.rows_read:,}")
    print(f"kept: {len(data.practices):,} ({int(data.practices['patients'].sum()):,} patients)")
    print(f"excluded: {len(data.exclusions):,}")
    for reason, count in reasons.items():
        print(f"  {reason}: {count:,}")
    print(f"notes on kept practices: {len(data.notes):,}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskID,
        TextColumn,
        TransferSpeedColumn,
    )

    from mcp_geo.practices.download.official import download_official_files
    from mcp_geo.practices.sources import official_files

    files = official_files(args.snapshot)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=_stderr(args), disable=args.quiet) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(key: str, done: int, total: int | None) -> None:
            if key not in tasks:
                tasks[key] = bar.add_task(key, total=total)
            bar.update(tasks[key], completed=done, total=total)

        report = download_official_files(
            args.dir, files=files, base_url=args.base_url, progress=progress, refresh=args.refresh
        )
    print(report)
    return 0


def _stderr(args: argparse.Namespace) -> Console:
    """Progress and spinners on stderr; nothing at all with ``-q``."""
    from rich.console import Console

    return Console(stderr=True, quiet=args.quiet)


def _interruptible(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``function`` in a worker thread so that Ctrl-C stops the command at once.

    A solver busy in compiled code does not see Python's KeyboardInterrupt until it returns; the
    main thread does. Nothing has been written while a plan is being solved (plans are written
    atomically afterwards), so the process can end straight away.
    """
    import os
    import threading

    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # handed to the main thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="mcp-geo-solve", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        print("mcp-geo: interrupted; nothing was written", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)  # the solver thread cannot be stopped from Python
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return cast(T, outcome["value"])


@contextlib.contextmanager
def _run_progress(
    args: argparse.Namespace, *, what: str, prefix: str = "", failures: bool = False
) -> Iterator[Callable[[FootprintResult, int, int], None]]:
    """A progress bar over the tasks of a run on Dask (a national run's footprints, a sweep's
    cells) on stderr, none with ``-q``; yields the run's progress callback. ``failures``: a
    failed task's reason is printed as it ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=_stderr(args), disable=args.quiet) as bar:
        task = bar.add_task(what, total=None)

        def progress(result: FootprintResult, done: int, total: int) -> None:
            how = "resumed" if result.resumed else result.status
            name = f"{prefix}{result.code}"
            bar.update(task, completed=done, total=total, description=f"{name} {how}")
            if failures and result.status == "failed":
                bar.console.print(f"{name} failed: {result.reason}", highlight=False)

        yield progress


@contextlib.contextmanager
def _in_context(library: str, command: str) -> Iterator[None]:
    """A ValidationError the library raised in its ``library`` context names the ``command``."""
    try:
        yield
    except ValidationError as exc:
        if exc.context != library:
            raise
        raise ValidationError(exc.problems, context=command) from exc


def _cmd_plan(args: argparse.Namespace) -> int:
    from mcp_geo._folders import claim_output_dir
    from mcp_geo.cli._status import solve_status
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.plans.write import write_plan

    scenario = scenario_from_args(args)
    if scenario.footprint.strip().lower() == "england":
        return _plan_england(args, scenario)
    given = [
        f"--{k}" for k in ("by", "scheduler", "workers", "only") if getattr(args, k) is not None
    ]
    given += ["--no-resume"] if args.no_resume else []
    if given:
        raise ValidationError(
            [Problem("applies to FOOTPRINT england only", source=o) for o in given],
            context="mcp-geo plan",
        )
    console = _stderr(args)
    with (
        claim_output_dir(args.out, kind="plan"),
        solve_status(console, first="planning") as show,
    ):

        def step(text: str) -> None:
            show(text)
            log.info("%s", text)

        plan = _interruptible(run_scenario, scenario, data_dir=args.data, step=step)
        show("writing the plan")
        extra: dict[str, Callable[[Path], None]] | None = None
        if args.map:
            from mcp_geo.maps.render import write_map

            def map_file(path: Path) -> None:
                write_map(plan, path)

            extra = {"map.html": map_file}
            if plan.alternatives is not None:
                extra["alternatives"] = functools.partial(_alternatives_with_maps, plan)
        write_plan(plan, args.out, extra=extra)
    _print_summary(plan, args.out)
    return 0


def _alternatives_with_maps(plan: Plan, folder: Path) -> None:
    """``alternatives/<n>/`` plan folders, each with its map.html."""
    from mcp_geo._folders import record_entry
    from mcp_geo.maps.render import write_map
    from mcp_geo.plans.write import write_alternatives

    def draw(alternative: Plan, into: Path) -> None:
        write_map(alternative, into / "map.html")
        record_entry(into, "map.html")

    write_alternatives(plan, folder, extra=draw)


def _plan_england(args: argparse.Namespace, scenario: Scenario) -> int:
    """`plan england --by ...`: every footprint on Dask, a progress bar over footprints."""
    from mcp_geo.national.run import OPTIONS_CONTEXT, plan_england

    if args.by is None:
        raise ValidationError(
            [
                Problem(
                    "england needs --by icb|sub-icb (stp|ccg on the 2021-01 snapshot)",
                    source="--by",
                )
            ],
            context="mcp-geo plan england",
        )
    progress_bar = _run_progress(args, what=f"footprints by {args.by}", failures=True)
    command = f"mcp-geo plan england --by {args.by}"
    with progress_bar as progress, _in_context(OPTIONS_CONTEXT, command):
        national = plan_england(
            scenario,
            by=args.by,
            out=args.out,
            data_dir=args.data,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=progress,
            codes=None if args.only is None else args.only.split(","),
            resume=not args.no_resume,
            map_html=True,
            quiet=args.quiet,
        )
    print("\n".join(national.summary()))
    if national.failed:  # the exit status says the run is incomplete; stderr says why
        codes = ", ".join(r.code for r in national.failed)
        print(
            f"mcp-geo: {len(national.failed)} of {len(national.footprints)} footprints failed "
            f"({codes}); their practices are not in the plan (see report.json)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from mcp_geo._folders import check_output_file
    from mcp_geo.maps.render import MapOptions, write_map
    from mcp_geo.plans.read import read_plan

    tiles = None if args.tiles.strip().lower() == "none" else args.tiles
    target = args.out or args.dir / "map.html"
    check_output_file(target)  # before the plan is read and drawn
    plan = read_plan(args.dir)
    written = write_map(plan, target, options=MapOptions(tiles=tiles))
    offline = "self-contained" if written.self_contained else "NOT self-contained (see warning)"
    print(f"map written to {written.path} ({written.bytes:,} bytes, {offline})")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from mcp_geo.reports import report

    written = report(args.dir, browser=args.browser, pdf=not args.no_pdf)
    lines = [f"report written to {written.html}"]
    if written.pdf is not None:
        lines.append(f"PDF written to {written.pdf}")
    lines.append(f"charts in {written.folder / 'charts'} ({len(written.charts)} files)")
    print("\n".join(lines))
    if written.message:
        print(f"mcp-geo: {written.message}", file=sys.stderr)
    return 0


def _plan_for_compare(spec: str, args: argparse.Namespace, console: Console) -> tuple[Plan, bool]:
    """A plan folder is read; anything else is a footprint, planned (True: to be written)."""
    from mcp_geo.cli._status import solve_status
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.plans.read import is_plan_dir, read_plan

    if is_plan_dir(spec):
        return read_plan(spec), False
    scenario = scenario_from_args(argparse.Namespace(**{**vars(args), "footprint": spec}))
    with solve_status(console, first=f"planning {spec}") as show:
        plan = run_scenario(scenario, data_dir=args.data, step=show)
    return plan, True


def _check_pcns_before_planning(spec: str, args: argparse.Namespace) -> None:
    """A sites file (or a scenario of one) without PCN codes is refused before it is planned."""
    from mcp_geo.pipeline.compare import check_sites_for_pcns
    from mcp_geo.plans.read import is_plan_dir

    if not is_plan_dir(spec):
        scenario = scenario_from_args(argparse.Namespace(**{**vars(args), "footprint": spec}))
        check_sites_for_pcns(scenario.footprint)


def _own_effect(
    b: Plan, *, a: Plan, a_folder: str | Path, args: argparse.Namespace, console: Console
) -> Plan:
    """B re-planned with A's hubs (A's folder, or where it is being written) as the reference."""
    from mcp_geo.cli._status import solve_status
    from mcp_geo.pipeline.compare import plan_own_effect

    reference = str(Path(a_folder).expanduser().resolve())
    with solve_status(console, first="re-planning B from A's hubs") as show:
        return plan_own_effect(b, a=a, reference=reference, data_dir=args.data, step=show)


def _cmd_compare(args: argparse.Namespace) -> int:
    from mcp_geo._folders import claim_output_dir
    from mcp_geo.pipeline.compare import (
        PCN_CONTEXT,
        compare_plans,
        compare_with_pcns,
        write_comparison,
    )

    if (args.b is None) == (args.against is None):
        raise ValidationError(
            [Problem("give either B or --against pcn (one, not both)", source="compare")],
            context="mcp-geo compare",
        )
    if args.against == "pcn":
        with _in_context(PCN_CONTEXT, "compare --against pcn"):
            _check_pcns_before_planning(args.a, args)
    console = _stderr(args)
    with claim_output_dir(args.out, kind="comparison"):
        a, planned_a = _plan_for_compare(args.a, args, console)
        plans = {"plan-a": a} if planned_a else {}
        if args.against == "pcn":
            with _in_context(PCN_CONTEXT, "compare --against pcn"):
                comparison = compare_with_pcns(a)
        else:
            b, planned_b = _plan_for_compare(args.b, args, console)
            plans |= {"plan-b": b} if planned_b else {}
            own = None
            if not args.no_own_effect:
                own = _own_effect(
                    b,
                    a=a,
                    a_folder=args.out / "plan-a" if planned_a else args.a,
                    args=args,
                    console=console,
                )
                plans["plan-b-own"] = own
            comparison = compare_plans(a, b, own=own)
        extra: dict[str, Callable[[Path], None]] = {}
        if not args.no_map:
            from mcp_geo.maps.compare_map import write_comparison_map

            def map_file(path: Path) -> None:
                write_comparison_map(comparison, path)

            extra["map.html"] = map_file
        with console.status("writing the comparison", spinner="dots"):
            write_comparison(comparison, args.out, plans=plans, extra=extra)
    _print_comparison(comparison, args.out)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from mcp_geo.cli._sweep import run_sweep

    return run_sweep(args)


_COMMANDS = {
    "footprints": _cmd_footprints,
    "data": _cmd_data,
    "plan": _cmd_plan,
    "map": _cmd_map,
    "compare": _cmd_compare,
    "sweep": _cmd_sweep,
    "report": _cmd_report,
}


def _os_error_text(exc: OSError) -> str:
    """``No space left on device: /out/plan.gpkg`` rather than ``[Errno 28] No space ...``."""
    if exc.strerror is None:
        return str(exc) or "an operating system error"
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    return f"{exc.strerror}: {' -> '.join(names)}" if names else exc.strerror


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, quiet=args.quiet)
    if args.quiet and args.command in ("plan", "compare", "sweep"):
        from mcp_geo.solvers import discard_solver_banners

        discard_solver_banners()
    try:
        return _COMMANDS[args.command](args)
    except ValidationError as exc:
        print(f"mcp-geo: error: {exc.message(cli_name)}", file=sys.stderr)
        return EXIT_USAGE
    except MissingExtraError as exc:  # e.g. --travel road without [roads]
        print(f"mcp-geo: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InfeasibleError as exc:
        print(f"mcp-geo: the rules cannot be met: {exc.message(cli_name)}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except NoPlanError as exc:
        print(f"mcp-geo: no plan found: {exc.message(cli_name)}", file=sys.stderr)
        return EXIT_FAILED
    except (DownloadError, McpGeoError) as exc:  # RunFailedError, SolverError, ...
        print(f"mcp-geo: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # disk full, permission denied, a file gone: a message, not a trace
        print(f"mcp-geo: {_os_error_text(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("mcp-geo: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
