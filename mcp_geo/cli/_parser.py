"""The ``mcp-geo`` command line's options: parsing, and the Scenario they describe."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp_geo import ATTRIBUTION, __version__
from mcp_geo.solvers.areas import LEVEL_NAMES

if TYPE_CHECKING:
    from mcp_geo.scenario import Scenario


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--snapshot",
        default=None,
        help="data snapshot: 2025-04 (default, the newest) or 2021-01 (the CCG era)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of official files (as `mcp-geo data download` writes them); "
        "default: the snapshot shipped with the package",
    )


NO_LIMIT = "none"


def _km(text: str) -> float | str:
    if text.strip().lower() == NO_LIMIT:
        return NO_LIMIT
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a distance in km or 'none': {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (or 'none'): {text!r}")
    return value


def _count(text: str) -> int | str:
    """A hub (MCP) count: a whole number, or ``fewest``."""
    if text.strip().lower() == "fewest":
        return "fewest"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number or 'fewest': {text!r}") from None


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    """The options of DESIGN.md; unset ones keep the scenario's (or the default) value."""
    rules = parser.add_argument_group("rules")
    rules.add_argument("--hub-min", type=int, help="fewest patients in a hub (default 30000)")
    rules.add_argument("--hub-max", type=int, help="most patients in a hub (default 50000)")
    rules.add_argument(
        "--hubs",
        type=_count,
        metavar="N|fewest",
        help="fixed number of hubs, or fewest: the fewest the rules allow, then the least travel"
        " (default: the least travel decides)",
    )
    rules.add_argument(
        "--max-km", type=_km, help="practice to hub base, km, or 'none' (default 15)"
    )
    rules.add_argument("--mcp-min", type=int, help="fewest patients in an MCP (default 100000)")
    rules.add_argument("--mcp-max", type=int, help="most patients in an MCP (default: none)")
    rules.add_argument(
        "--mcps",
        type=_count,
        metavar="N|fewest",
        help="fixed number of MCPs, or fewest (default: the least travel decides)",
    )
    rules.add_argument(
        "--mcp-max-km", type=_km, help="hub base to MCP base, km, or 'none' (default none)"
    )
    rules.add_argument("--no-mcps", action="store_true", default=None, help="hubs only")
    rules.add_argument(
        "--base-min-patients",
        type=int,
        metavar="N",
        help="a hub's base must be a practice of at least N patients (default: any practice)",
    )
    rules.add_argument(
        "--mcp-base-min-patients",
        type=int,
        metavar="N",
        help="an MCP's base must be a hub whose base practice has at least N patients "
        "(default: any hub)",
    )
    rules.add_argument(
        "--bases",
        metavar="FILE",
        help="candidate base sites (CSV or GeoPackage: base_code, base_name and a position): "
        "each hub's base is one of them, each the base of one hub at most",
    )
    rules.add_argument(
        "--objective",
        choices=("weighted", "distance"),
        help="patient-weighted km (default) or plain km",
    )
    rules.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="no exceptions: an oversized practice or an isolated group is an error",
    )
    rules.add_argument(
        "--hubs-within",
        choices=LEVEL_NAMES,
        metavar="AREA",
        help="no hub mixes practices of two areas of this level: sub-icb, icb or ccg19 "
        "(2025-04), ccg or stp (2021-01)",
    )
    rules.add_argument(
        "--mcps-within",
        choices=LEVEL_NAMES,
        metavar="AREA",
        help="no MCP mixes hubs of two areas of this level (and no hub crosses one)",
    )
    _add_reference_options(parser)
    travel = parser.add_argument_group("travel")
    travel.add_argument(
        "--travel", choices=("great-circle", "road"), help="distance measure (default great-circle)"
    )
    travel.add_argument(
        "--roads",
        metavar="FILE",
        help="road network for --travel road: OpenStreetMap .osm.pbf / .osm, osmnx .graphml, "
        "or a roads layer (.shp, Geofabrik -free.shp.zip, .gpkg) with fclass/maxspeed",
    )
    travel.add_argument(
        "--metric", choices=("km", "minutes"), help="road km or drive minutes (default km)"
    )
    travel.add_argument(
        "--max-minutes",
        type=_km,
        help="practice to hub base, drive minutes, or 'none' (default 20)",
    )
    travel.add_argument(
        "--mcp-max-minutes",
        type=_km,
        help="hub base to MCP base, drive minutes, or 'none' (default none)",
    )
    travel.add_argument(
        "--circuity", type=float, help="great-circle km times this factor >= 1 (default 1)"
    )
    solver = parser.add_argument_group("solver")
    solver.add_argument(
        "--engine",
        choices=("auto", "compact", "columns"),
        help="column generation, the textbook model, or auto: chosen per part (default auto)",
    )
    solver.add_argument("--solver", choices=("highs", "cbc"), help="MIP solver (default highs)")
    solver.add_argument(  # no argparse choices: a removed mode is refused with its reason
        "--mode", metavar="staged", help="hubs first, then MCPs of whole hubs (default staged)"
    )
    solver.add_argument("--gap", type=float, help="relative gap to prove (default 0.0001)")
    solver.add_argument(
        "--time-limit", type=float, metavar="SECONDS", help="per level (default 600)"
    )
    solver.add_argument("--threads", type=int, help="solver threads (default: all cores)")


def _add_reference_options(parser: argparse.ArgumentParser) -> None:
    """Planning from a reference grouping: today's PCNs or an earlier plan's hubs."""
    reference = parser.add_argument_group("reference (the plan closest to what exists)")
    reference.add_argument(
        "--reference",
        metavar="pcn|PLAN_DIR",
        help="plan with the fewest moves out of today's PCNs (pcn; for sites: their pcn_code "
        "column) or out of the hubs of an earlier plan (its folder), then the least travel",
    )
    reference.add_argument(
        "--minimise",
        choices=("patients", "practices"),
        help="what a move counts with --reference (default patients)",
    )
    reference.add_argument(
        "--whole",
        action="store_true",
        default=None,
        help="with --reference: first split as few reference groups as the rules allow",
    )
    reference.add_argument(
        "--travel-slack",
        type=float,
        metavar="F",
        help="with --reference: the fewest moves among the plans whose travel is within the "
        "fraction F of the least travel the rules allow (0: the equally good plans); with "
        "--alternatives: their travel's bound (default: the best plan's gap)",
    )


def _add_alternatives_option(parser: argparse.ArgumentParser) -> None:
    """How settled a plan is: other plans within the travel slack (plan only)."""
    parser.add_argument(
        "--alternatives",
        type=int,
        metavar="K",
        help="also find up to K other hub plans within the gap (or --travel-slack F) of the "
        "least travel, each moving the most practices, written to DIR/alternatives/<n>/; "
        "report.json and practices.csv say which practices are settled (default 0)",
    )


SCENARIO_OPTIONS = (
    "snapshot", "hub_min", "hub_max", "hubs", "max_km", "mcp_min", "mcp_max", "mcps",
    "mcp_max_km", "no_mcps", "objective", "strict", "hubs_within", "mcps_within", "engine",
    "solver", "mode", "gap", "time_limit", "threads", "travel", "roads", "metric",
    "max_minutes", "mcp_max_minutes", "circuity", "base_min_patients", "mcp_base_min_patients",
    "bases", "reference", "minimise", "whole", "travel_slack", "alternatives",
)  # fmt: skip
"""The options of ``plan`` and ``compare`` that are scenario keys (``--max-km`` is ``max_km``)."""


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario of FOOTPRINT (a scenario file, or a footprint) and the options given.

    Options not given keep the scenario file's (or the default) value; messages name the option
    (``--max-km``), or the file and key for values that came from a scenario file.

    Parameters
    ----------
    args
        The parsed command line of ``plan`` or ``compare``.

    Returns
    -------
    Scenario
        The scenario to run.

    Raises
    ------
    ValidationError
        A bad option or scenario file, each named as the reader gave it.
    """
    from mcp_geo.scenario import Scenario

    options = {key: getattr(args, key, None) for key in SCENARIO_OPTIONS}  # compare: no K
    return Scenario.from_command_line(args.footprint, options)


def _add_output_options(parser: argparse.ArgumentParser, *, default: bool) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if default else argparse.SUPPRESS,
        help="more logging (-vv: debugging)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if default else argparse.SUPPRESS,
        help="nothing on stderr but errors (no progress, no solver banners)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``mcp-geo`` parser: its commands, their arguments and options.

    Returns
    -------
    argparse.ArgumentParser
        Ready for ``parse_args``.
    """
    parser = argparse.ArgumentParser(
        prog="mcp-geo",
        description="Group GP practices into hubs and multispecialty community providers.",
        epilog=ATTRIBUTION,
    )
    parser.add_argument("--version", action="version", version=f"mcp-geo {__version__}")
    _add_output_options(parser, default=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # -v and -q are also accepted after the command (`mcp-geo plan ... -q`); unset there, they
    # leave what was given before it
    shared = argparse.ArgumentParser(add_help=False)
    _add_output_options(shared, default=False)

    fp = commands.add_parser(
        "footprints", parents=[shared], help="list the built-in footprints with their counts"
    )
    _add_data_options(fp)
    fp.add_argument("--json", action="store_true", help="print JSON on stdout and nothing else")
    fp.add_argument(
        "--icbs",
        action="store_true",
        help="list the ICBs of the newest register instead (after the April 2026 mergers), "
        "each with the ICBs of the list-size date its practices came from",
    )

    plan = commands.add_parser(
        "plan",
        parents=[shared],
        help="group a footprint's practices into hubs and MCPs, write the plan files",
        description="FOOTPRINT: a built-in name (north-staffs), codes (sub-icb:05G,05W, "
        "icb:QNC, ccg19:09D, practices:M83001,M83002), polygon:area.gpkg, england, "
        "a CSV of your own sites (sites.csv), or a scenario file (scenario.toml).",
    )
    plan.add_argument(
        "footprint", metavar="FOOTPRINT", help="what to plan (see above; england: every footprint)"
    )
    plan.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    plan.add_argument(
        "--map", action="store_true", help="also write DIR/map.html (see `mcp-geo map`)"
    )
    national = plan.add_argument_group("england (one task per footprint on Dask)")
    national.add_argument(
        "--by",
        choices=("icb", "icb-2026", "sub-icb", "stp", "ccg"),
        help="with FOOTPRINT england: split by icb (of the list-size date), icb-2026 (current "
        "ICBs, from the newest register) or sub-icb (stp or ccg on 2021-01)",
    )
    national.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler (default: a local cluster)"
    )
    national.add_argument(
        "--workers", type=int, metavar="N", help="local cluster workers (default: all cores)"
    )
    national.add_argument(
        "--only", metavar="CODES", help="only these footprints of the partition (QT6,QSL)"
    )
    national.add_argument(
        "--no-resume", action="store_true", help="solve every footprint again (ignore DIR/.parts)"
    )
    _add_plan_options(plan)
    _add_alternatives_option(plan)
    _add_data_options(plan)

    map_ = commands.add_parser(
        "map",
        parents=[shared],
        help="draw a written plan as one self-contained HTML map (DIR/map.html)",
        description="Hub territories, MCP outlines, practices, bases, today's PCNs, a legend "
        "and the headline numbers. Only the base map tiles need a network.",
    )
    map_.add_argument("dir", type=Path, metavar="DIR", help="a plan folder (`mcp-geo plan`)")
    map_.add_argument("--out", type=Path, metavar="FILE", help="default: DIR/map.html")
    map_.add_argument(
        "--tiles", default="OpenStreetMap", help="base map tiles, or 'none' (default OpenStreetMap)"
    )

    compare = commands.add_parser(
        "compare",
        parents=[shared],
        help="compare two plans (folders or footprints), or a plan with today's PCNs",
        description="A and B: plan folders, or footprints planned on the fly with the options "
        "given (built-in names, codes, a CSV of your own sites, a scenario file). Writes "
        "DIR/comparison.csv and DIR/comparison.json (four views: the same rules on both, one "
        "provider per footprint, continuity, and the footprint's own effect: B re-planned with "
        "A's hubs as the reference and --travel-slack 0, written to DIR/plan-b-own), "
        "DIR/changes.csv (each shared practice) and DIR/map.html (side by side), and prints "
        "the comparison.",
    )
    compare.add_argument("a", metavar="A", help="a plan folder, or a footprint to plan")
    compare.add_argument(
        "b", metavar="B", nargs="?", help="a plan folder, or a footprint to plan (or --against)"
    )
    compare.add_argument(
        "--against",
        choices=("pcn",),
        help="compare A with today's PCNs instead of B (for sites: their pcn_code column)",
    )
    compare.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    compare.add_argument("--no-map", action="store_true", help="skip map.html")
    compare.add_argument(
        "--no-own-effect",
        action="store_true",
        help="skip the fourth view (it re-plans B, with B's options, from A's hubs)",
    )
    _add_plan_options(compare)
    _add_data_options(compare)

    _add_sweep_command(commands, shared)
    report = commands.add_parser(
        "report",
        parents=[shared],
        help="write the board report of a plan, comparison or sweep folder (DIR/report.html, "
        "DIR/report.pdf)",
        description="One self-contained page (headline, static map, tables, charts, the "
        "certificate explained, provenance and licence), DIR/charts/ (PNG and SVG), and "
        "DIR/report.pdf printed by a Chromium on this machine.",
    )
    report.add_argument(
        "dir", type=Path, metavar="DIR", help="a folder of `mcp-geo plan`, `compare` or `sweep`"
    )
    report.add_argument(
        "--browser", metavar="PATH", help="the Chromium or Chrome to print the PDF with"
    )
    report.add_argument("--no-pdf", action="store_true", help="write the HTML and charts only")

    data = commands.add_parser(
        "data", parents=[shared], help="check or download the official data files"
    )
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = data_commands.add_parser(
        "check", parents=[shared], help="validate a data folder, summarise exclusions"
    )
    check.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=None,
        metavar="DIR",
        help="a folder of official files (default: the snapshot shipped with the package)",
    )
    check.add_argument("--snapshot", default=None, help="2025-04 (default) or 2021-01")
    check.add_argument("--json", action="store_true", help="print JSON on stdout and nothing else")
    download = data_commands.add_parser(
        "download", parents=[shared], help="fetch the official files into DIR"
    )
    download.add_argument("dir", type=Path, metavar="DIR", help="the folder to fill (or update)")
    download.add_argument(
        "--snapshot", default=None, help="only the files of this snapshot (default: all)"
    )
    download.add_argument(
        "--base-url", default=None, help="fetch from this mirror instead of the publishers"
    )
    download.add_argument(
        "--refresh", action="store_true", help="fetch undated ('latest') files again"
    )
    return parser


def _add_sweep_command(commands: Any, shared: argparse.ArgumentParser) -> None:
    """`mcp-geo sweep`: a grid of plans over varied options (issue 21)."""
    sweep = commands.add_parser(
        "sweep",
        parents=[shared],
        help="plan a grid of scenarios (footprints x varied options), each cell its own plan",
        description="Plans every cell of the grid (the footprints, then each --vary option in "
        "the order given, values in the order given) on Dask, as `plan` would plan it, and "
        "writes DIR/sweep.csv (one row per cell), DIR/timings.json, DIR/cells/<n>/ (each "
        "cell's plan folder), DIR/scenario.toml (the sweep, with a [sweep] table) and, when "
        "the options given outside --vary are not a cell, their plan in DIR/base/.",
    )
    sweep.add_argument(
        "footprints",
        metavar="FOOTPRINT",
        nargs="*",
        default=None,
        help="the footprints (as for `plan`; several are one more dimension of the grid)",
    )
    sweep.add_argument(
        "--vary",
        action="append",
        metavar="NAME=V1,V2,...",
        help="an option of `plan` that takes a value (hub-max, max-km, hubs, ...) and its "
        "values, e.g. --vary hub-max=45000,50000,55000; repeat for more options",
    )
    sweep.add_argument(
        "--scenario",
        metavar="FILE",
        help="a scenario file: its options, and its [sweep] table (footprints, vary); the "
        "footprints, options and --vary given here override it",
    )
    sweep.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    sweep.add_argument(
        "--workers", type=int, metavar="N", help="local cluster workers (default: all cores)"
    )
    sweep.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler (default: a local cluster)"
    )
    sweep.add_argument(
        "--no-resume", action="store_true", help="solve every cell again (ignore DIR/cells)"
    )
    sweep.add_argument(
        "--json", action="store_true", help="print sweep.csv's rows as JSON on stdout"
    )
    _add_plan_options(sweep)
    _add_data_options(sweep)


def plan_option_actions() -> dict[str, argparse.Action]:
    """The options of `plan` that are scenario keys, by their option string (``--hub-max``):
    how `sweep --vary` parses and checks each value as `plan` does.

    Returns
    -------
    dict of str to argparse.Action
        Option string -> its action (``dest`` is the scenario key).
    """
    parser = argparse.ArgumentParser(add_help=False)
    _add_plan_options(parser)
    _add_data_options(parser)
    return {
        option: action
        for action in parser._actions
        for option in action.option_strings
        if action.dest in SCENARIO_OPTIONS
    }
