"""The README says what the code does: its option tables, its Python examples, its figures.

- Every option (and positional argument) of every command of the parser is in the README's
  "Options" tables, no other, with the same default: the parser's own default, or for an option
  the parser leaves at None, the default of the scenario (``Scenario.from_options``), which is
  what such an option takes when it is not given. Choices are named in the meaning column.
- The Python API example runs as written, and the error examples print what the README shows.
- The footprint table's April 2025 counts are the shipped snapshot's.
"""

from __future__ import annotations

import argparse
import doctest
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"

REQUIRED = "required"
OFF = "off"
UNSET = None  # "—": not set; the meaning column says what happens

OUTPUT_COLUMNS = (  # DESIGN.md "Outputs": practices.csv, hubs.csv, mcps.csv
    [
        "practice_code",
        "practice_name",
        "postcode",
        "patients",
        "latitude",
        "longitude",
        "pcn_code",
        "hub_id",
        "hub_base_code",
        "mcp_id",
        "km_to_hub_base",
    ],
    ["hub_id", "base_code", "base_name", "patients", "practices", "mcp_id", "km_to_mcp_base"],
    ["mcp_id", "base_hub_id", "base_code", "patients", "hubs", "practices", "span_km"],
)


# ---------------------------------------------------------------- reading the README


def section(text: str, title: str) -> str:
    """The text of the ``## title`` section, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def fenced(text: str, language: str) -> list[str]:
    """The bodies of the ```language blocks of ``text``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


@dataclass(frozen=True)
class Row:
    """One row of an option table: the names it lists, its default, and its meaning."""

    names: tuple[str, ...]
    default: object
    meaning: str
    line: str


def parse_default(cell: str, line: str) -> object:
    """The value a default cell states (see the README's "Options" legend)."""
    cell = cell.strip()
    if cell.startswith("`"):
        value = cell[1 : cell.index("`", 1)]
        return UNSET if value == "none" else value
    if cell.startswith("*required*"):
        return REQUIRED
    if cell.startswith("*off*"):
        return OFF
    if cell.startswith("—"):
        return UNSET
    raise AssertionError(f"README: cannot read the default {cell!r} in {line!r}")


def option_tables(text: str) -> dict[str, list[Row]]:
    """The rows of the "Options" tables, by the commands their heading names in backticks
    (``### `mcp-geo plan` ``; one table may belong to several commands)."""
    tables: dict[str, list[Row]] = {}
    commands: list[str] = []
    for line in section(text, "Options").splitlines():
        if line.startswith("### "):
            commands = re.findall(r"`(mcp-geo(?: [a-z]+)*)`", line)
            assert commands, f"README: an options heading names no command: {line!r}"
            for command in commands:
                tables.setdefault(command, [])
            continue
        if not line.startswith("| ") or line.startswith(("| option |", "|---")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, f"README: an option row needs 3 cells: {line!r}"
        names = tuple(span.split()[0] for span in re.findall(r"`([^`]+)`", cells[0]))
        assert names, f"README: an option row names no option: {line!r}"
        row = Row(names, parse_default(cells[1], line), cells[2], line)
        for command in commands:
            tables[command].append(row)
    return tables


# ---------------------------------------------------------------- reading the parser


def commands(
    parser: argparse.ArgumentParser, name: str = "mcp-geo"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command and sub-command of the parser, depth first, with its name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from commands(subparser, f"{name} {sub}")


def scenario_defaults() -> dict[str, object]:
    from mcp_geo.scenario import Scenario

    return Scenario.from_options("north-staffs").options()


def expected_default(command: str, action: argparse.Action, scenario: dict[str, object]) -> object:
    """What the option is when it is not given, in the README's terms."""
    if action.required:
        return REQUIRED
    if isinstance(action, argparse._VersionAction):
        return UNSET
    default = action.default
    if default is None and action.dest in scenario and command != "mcp-geo data download":
        # None: "not given", so the scenario's default applies (data download: every snapshot)
        default = scenario[action.dest]
    if isinstance(action, argparse._StoreTrueAction):
        assert default in (None, False), (command, action.dest, default)
        return OFF
    return default


def same(readme: object, parser: object) -> bool:
    if readme in (REQUIRED, OFF, UNSET) or parser in (REQUIRED, OFF, UNSET):
        return readme == parser
    try:
        return float(str(readme)) == float(str(parser))
    except ValueError:
        return str(readme) == str(parser)


def own_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """A command's options and arguments; -v/-q repeated after a command (default SUPPRESS,
    leaving what was given before it) are the global options and listed once, under `mcp-geo`."""
    return [
        a
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
        and not (a.option_strings and a.default == argparse.SUPPRESS and a.dest != "version")
    ]


def names(action: argparse.Action) -> tuple[str, ...]:
    return tuple(action.option_strings) or (action.metavar or action.dest.upper(),)


def option_problems(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """Every difference between the parser and the README's option tables."""
    tables = option_tables(text)
    scenario = scenario_defaults()
    problems: list[str] = []
    seen: set[str] = set()
    for command, subparser in commands(parser):
        seen.add(command)
        actions = own_actions(subparser)
        rows = {row.names: row for row in tables.get(command, [])}
        if actions and command not in tables:
            problems.append(f"{command}: no options table in the README")
        for action in actions:
            row = rows.pop(names(action), None)
            if row is None:
                problems.append(f"{command}: {' / '.join(names(action))} is not in the README")
                continue
            want = expected_default(command, action, scenario)
            if not same(row.default, want):
                problems.append(
                    f"{command}: {' / '.join(names(action))}: README default {row.default!r}, "
                    f"the code's {want!r}"
                )
            for choice in action.choices or ():
                if f"`{choice}`" not in row.meaning:
                    problems.append(f"{command}: {names(action)[0]}: choice {choice!r} not named")
        problems += [f"{command}: README lists {' / '.join(n)}, not an option" for n in rows]
    problems += [f"README has a table for {c}, not a command" for c in sorted(set(tables) - seen)]
    return problems


# ---------------------------------------------------------------- the option tables


def test_every_option_of_every_command_is_in_the_readme_with_its_default() -> None:
    from mcp_geo.cli._parser import build_parser

    problems = option_problems(build_parser(), README.read_text(encoding="utf-8"))
    assert not problems, "README and parser differ:\n" + "\n".join(problems)


def test_the_check_sees_a_new_option_a_changed_default_and_a_stale_row() -> None:
    from mcp_geo.cli._parser import build_parser

    text = README.read_text(encoding="utf-8")
    parser = build_parser()
    plan = dict(commands(parser))["mcp-geo plan"]
    plan.add_argument("--new-option", type=int, default=7)
    data_check = dict(commands(parser))["mcp-geo data check"]
    data_check.add_argument("--orphan", action="store_true")
    problems = option_problems(parser, text)
    assert "mcp-geo plan: --new-option is not in the README" in problems
    assert "mcp-geo data check: --orphan is not in the README" in problems

    changed = text.replace("| `--hub-min N` | `30000` |", "| `--hub-min N` | `25000` |")
    assert changed != text
    assert any(
        "--hub-min: README default '25000'" in p for p in option_problems(build_parser(), changed)
    )

    stale = text.replace("| `--json` | *off* | print JSON", "| `--jsn` | *off* | print JSON", 1)
    assert any(
        "README lists --jsn, not an option" in p for p in option_problems(build_parser(), stale)
    )


def test_the_tables_read_the_legend() -> None:
    assert parse_default("`15`", "") == "15"
    assert parse_default("`none`", "") is UNSET
    assert parse_default("— (all cores)", "") is UNSET
    assert parse_default("*off*", "") == OFF
    assert parse_default("*required*", "") == REQUIRED
    with pytest.raises(AssertionError, match="cannot read the default"):
        parse_default("15", "| `--max-km` | 15 | ... |")


# ---------------------------------------------------------------- what a newcomer needs


def test_the_readme_says_how_to_run_it_where_the_data_comes_from_and_the_licences() -> None:
    import mcp_geo

    text = README.read_text(encoding="utf-8")
    flat = " ".join(re.sub(r"^> ?", "", text, flags=re.M).split())  # quotes unwrapped
    for needed in (
        "./run",
        "./test",
        "source .venv/bin/activate",
        "python -m mcp_geo",
        "mcp-geo data download",
        "## Words used here",
        "## Data: the shipped snapshot and the official files",
        "docs/tutorial.ipynb",
    ):
        assert needed in text, needed
    assert " ".join(mcp_geo.ATTRIBUTION.split()) in flat  # the data's licence, word for word
    assert "MIT" in section(text, "Licence")  # the code's, as pyproject.toml declares it
    words = section(text, "Words used here")
    for term in (
        "Hub",
        "Hub base",
        "MCP",
        "Certificate",
        "Gap",
        "Exception",
        "Footprint",
        "Snapshot",
    ):
        assert f"- **{term}**" in words, term


def test_the_footprint_table_counts_are_the_shipped_snapshots() -> None:
    import mcp_geo

    table = mcp_geo.footprints().set_index("name")
    rows = re.findall(
        r"^\| `([a-z-]+)` \|[^|]*\|[^|]*\| ([\d,]+) / ([\d,]+) \|",
        section(README.read_text(encoding="utf-8"), "Footprints"),
        re.M,
    )
    assert {name for name, _, _ in rows} == set(table.index)
    for name, practices, patients in rows:
        assert int(practices.replace(",", "")) == table.loc[name, "practices"], name
        assert int(patients.replace(",", "")) == table.loc[name, "patients"], name


# ---------------------------------------------------------------- the Python examples


def test_the_error_examples_print_what_the_readme_shows() -> None:
    (block,) = fenced(section(README.read_text(encoding="utf-8"), "Python API"), "pycon")
    test = doctest.DocTestParser().get_doctest(block, {}, "README Errors", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


@pytest.mark.slow
def test_the_python_api_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About 25 s: north-staffs and staffs-shropshire with MCPs, and QNC on one Dask worker."""
    example = fenced(section(README.read_text(encoding="utf-8"), "Python API"), "python")[0]
    monkeypatch.chdir(tmp_path)  # its relative plans/... folders land here
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(example, "README.md (Python API)", "exec"), namespace)

    plan = namespace["plan"]
    assert plan.certificates.hubs.status == "optimal"  # what the comment says
    assert (len(plan.practices), len(plan.hubs), len(plan.mcps)) == (66, 16, 4)
    for frame in (plan.practices, plan.hubs, plan.mcps):
        assert frame.crs.to_epsg() == 4326
    for frame, columns in zip((plan.practices, plan.hubs, plan.mcps), OUTPUT_COLUMNS, strict=True):
        assert set(columns) <= set(frame.columns), set(columns) - set(frame.columns)
    for name in ("practices.csv", "hubs.csv", "mcps.csv", "report.json", "plan.gpkg"):
        assert (tmp_path / "plans" / "north-staffs" / name).is_file(), name
    assert (tmp_path / "plans" / "england" / "report.json").is_file()
