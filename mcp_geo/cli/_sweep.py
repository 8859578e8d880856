"""`mcp-geo sweep`: the command line of :func:`mcp_geo.national.sweep.sweep`.

``--vary NAME=V1,V2,...`` takes the name of a `plan` option that takes a value (``hub-max``,
``max-km``, ``hubs``, ...); each value is parsed and checked as `plan` parses and checks it, and
every problem is named ``--vary NAME`` with the bad value. An option varied here may not also be
given plainly. ``--scenario FILE`` reads a scenario file and its ``[sweep]`` table; what the
command line gives overrides it (a varied option's values replace the file's list).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from mcp_geo._errors import Problem, ValidationError, cli_name
from mcp_geo.cli._parser import SCENARIO_OPTIONS, plan_option_actions
from mcp_geo.cli.main import EXIT_FAILED, _in_context, _run_progress

if TYPE_CHECKING:
    from mcp_geo.national._grid import SweepFile

COMMAND = "mcp-geo sweep"
_NOT: dict[Any, str] = {int: "not a whole number", float: "not a number"}


def parse_vary(texts: list[str]) -> tuple[dict[str, list[Any]], list[Problem]]:
    """The ``--vary`` options: each option's scenario key and its values, parsed as `plan`
    parses them, and every problem found (named ``--vary NAME``).

    Parameters
    ----------
    texts
        Each ``--vary`` given (``hub-max=45000,50000``).

    Returns
    -------
    tuple of (dict, list of Problem)
        Key -> values in the order given (options in the order given), and the problems.
    """
    from mcp_geo.national._grid import FLAG_KEYS, cli_where

    actions = plan_option_actions()
    vary: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for text in texts:
        name, sep, values = text.partition("=")
        name = name.strip().removeprefix("--")
        source = f"--vary {name}"
        action = actions.get(f"--{name}")
        if not sep or not name:
            problems.append(
                Problem("must be NAME=V1,V2,... (hub-max=45000,50000)", source="--vary", value=text)
            )
        elif action is None:
            problems.append(_unknown(name, actions, source=source))
        elif action.dest in FLAG_KEYS or action.nargs == 0:
            problems.append(
                Problem(
                    "is a flag: give it as a plain option, it takes no values to vary",
                    source=source,
                )
            )
        elif action.dest in vary:
            problems.append(
                Problem("is varied twice: give its values once", source=cli_where(action.dest))
            )
        else:
            parsed = [
                _value(action, v.strip(), source=source, problems=problems)
                for v in values.split(",")
            ]
            vary[action.dest] = parsed
    return vary, problems


def _unknown(name: str, actions: dict[str, argparse.Action], *, source: str) -> Problem:
    import difflib

    from mcp_geo.national._grid import FLAG_KEYS

    names = sorted(
        o.removeprefix("--")
        for o, a in actions.items()
        if o.startswith("--") and a.nargs != 0 and a.dest not in FLAG_KEYS and a.dest != "threads"
    )
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        f"not an option of `plan` to vary; {hint}allowed: {', '.join(names)}", source=source
    )


def _value(action: argparse.Action, text: str, *, source: str, problems: list[Problem]) -> Any:
    """One value parsed by the option's own type and choices; None (with a problem) if bad."""
    try:
        value = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        message = (
            str(exc)
            if isinstance(exc, argparse.ArgumentTypeError)
            else _NOT.get(action.type, "not a valid value")
        )
        message = message.removesuffix(f": {text!r}")
        problems.append(Problem(message, source=source, value=text))
        return None
    if action.choices is not None and value not in action.choices:
        allowed = ", ".join(map(str, action.choices))
        problems.append(Problem(f"must be one of {allowed}", source=source, value=text))
        return None
    return value


def sweep_spec(args: argparse.Namespace) -> Any:  # SweepSpec
    """The sweep of a command line: footprints, options and ``--vary``, over ``--scenario``.

    Parameters
    ----------
    args
        The parsed command line of `sweep`.

    Returns
    -------
    SweepSpec
        What to sweep.

    Raises
    ------
    ValidationError
        Every problem of the footprints, the options and the varied values, each named.
    """
    from mcp_geo.national._grid import SweepSpec, cli_where, read_sweep_file, spec_problems
    from mcp_geo.scenario import Scenario

    file: SweepFile | None = None if args.scenario is None else read_sweep_file(args.scenario)
    footprints = list(args.footprints or ()) or list(file.footprints if file is not None else [])
    given, problems = parse_vary(args.vary or [])
    vary = {**dict(file.vary if file is not None else ()), **given}
    # sweep has no --alternatives (plan's alone)
    options = {key: getattr(args, key, None) for key in SCENARIO_OPTIONS}
    problems += [
        Problem(f"is varied by --vary {k.replace('_', '-')}: give it once", source=cli_name(k))
        for k in vary
        if options.get(k) is not None
    ]
    if not footprints:
        problems.append(
            Problem("give one or more footprints, or --scenario FILE", source="FOOTPRINT")
        )
        raise ValidationError(problems, context=COMMAND)
    base = Scenario.from_command_line(
        footprints[0],
        {k: v for k, v in options.items() if k not in vary},
        file=None if file is None else (file.name, file.base),
    )

    def where(key: str) -> str:
        return cli_where(key) if key in given or file is None else file.where(key)

    vary_items = [(k, tuple(v)) for k, v in vary.items()]
    parsed = [(k, tuple(x for x in v if x is not None)) for k, v in vary_items]
    problems += spec_problems(base, footprints, [(k, v) for k, v in parsed if v], where=where)
    if problems:
        raise ValidationError(problems, context=COMMAND)
    return SweepSpec(base=base, footprints=tuple(footprints), vary=tuple(vary_items))


def run_sweep(args: argparse.Namespace) -> int:
    """`mcp-geo sweep`: plan the grid, print the summary (stderr) or the rows (``--json``).

    Parameters
    ----------
    args
        The parsed command line.

    Returns
    -------
    int
        0, or 1 when some cell has no plan (its row says why).
    """
    from mcp_geo.national.sweep import OPTIONS_CONTEXT, sweep

    spec = sweep_spec(args)
    progress_bar = _run_progress(args, what="cells", prefix="cell ")
    with progress_bar as progress, _in_context(OPTIONS_CONTEXT, COMMAND):
        result = sweep(
            spec,
            out=args.out,
            data_dir=args.data,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=progress,
            resume=not args.no_resume,
            quiet=args.quiet,
        )
    if args.json:
        print(json.dumps(result.records(), indent=2, ensure_ascii=False))
    if not args.quiet:
        print("\n".join(result.summary()), file=sys.stderr)
    if result.failed:
        print(
            f"mcp-geo: {len(result.failed)} of {len(result.rows)} cells have no plan "
            f"(cells {', '.join(r.cell for r in result.failed)}; see sweep.csv's reason)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0
