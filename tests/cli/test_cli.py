"""The command line: JSON on stdout and nothing else, usage errors as exit 2 with a message."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mcp_geo.cli import main


def test_footprints_json_is_the_only_thing_on_stdout():
    # a real process, so that nothing else (logging, progress) can slip onto stdout
    done = subprocess.run(
        [sys.executable, "-m", "mcp_geo", "footprints", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    records = json.loads(done.stdout)
    assert [r["name"] for r in records] == [
        "north-staffs",
        "staffs-stoke",
        "staffs-shropshire",
        "sussex-east-surrey",
        "central-sussex-east-surrey",
    ]
    assert set(records[0]) == {"name", "practices", "patients", "excluded"}
    assert records[0]["practices"] == 66
    assert records[0]["patients"] == 531_633


def test_footprints_on_the_official_files_of_2021(shared_data, capsys):
    assert main(["footprints", "--snapshot", "2021-01", "--data", str(shared_data), "--json"]) == 0
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["north-staffs"]["practices"] == 69
    assert records["central-sussex-east-surrey"]["patients"] == 1_064_584


def test_footprints_table(capsys):
    assert main(["footprints"]) == 0
    out = capsys.readouterr().out
    assert "north-staffs" in out
    assert "531,633" in out


def test_data_check_summarises_exclusions(shared_data, capsys):
    assert main(["data", "check", str(shared_data), "--snapshot", "2021-01", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows_read"] == summary["kept"] + sum(summary["excluded"].values())
    assert summary["excluded"]["postcode_not_found"] == 30


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["footprints", "--snapshot", "2019-01"], "2019-01"),
        (["footprints", "--snapshot", "2021-01"], "only the 2025-04 snapshot ships"),
        (["data", "check", "/nonexistent/folder"], "nonexistent"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_every_option_and_argument_of_every_command_says_what_it_is():
    """`--help` explains each option and argument (the README lists them with their defaults)."""
    import argparse

    from mcp_geo.cli._parser import build_parser

    def walk(parser: argparse.ArgumentParser, path: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}")
            elif action.help != argparse.SUPPRESS:
                yield path, action

    silent = [
        f"{path}: {'/'.join(a.option_strings) or a.metavar or a.dest}"
        for path, a in walk(build_parser(), "mcp-geo")
        if not a.help
    ]
    assert silent == []
