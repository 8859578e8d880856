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


def test_footprints_lists_the_icbs_after_the_april_2026_mergers(capsys):
    """`footprints --icbs`: the 36 ICBs of the June 2026 register over the April 2025 lists,
    every practice in one; Surrey and Sussex (S9B9J) with the ICBs it came from."""
    import json

    import mcp_geo
    from mcp_geo.cli import main

    assert main(["footprints", "--icbs", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 36
    assert sum(r["practices"] for r in records) == 6_239  # every practice of the lists in one
    by_code = {r["code"]: r for r in records}
    s9b9j = by_code["S9B9J"]
    assert (s9b9j["practices"], s9b9j["patients"], s9b9j["new"]) == (267, 3_175_136, True)
    assert s9b9j["from"] == "QNX 156/156; QXU 99/99; QNQ 12/67"
    assert s9b9j["name"].startswith("NHS Sussex ICB, NHS Surrey Heartlands ICB and 12 practices")
    assert sorted(c for c, r in by_code.items() if r["new"]) == sorted(
        ["S9B9J", "Z9B2Z", "D7T5G", "S0E4D", "S1Y5D", "T6Y0W"]
    )
    table = mcp_geo.footprints(icbs=True)
    assert list(table["icb_2026_code"]) == [r["code"] for r in records]
    assert main(["footprints"]) == 0
    assert "footprints --icbs" in capsys.readouterr().out


def test_a_bad_area_level_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "plan"
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "north-staffs", "--hubs-within", "county", "--out", str(out)])
    assert exit_info.value.code == 2
    assert "argument --hubs-within: invalid choice: 'county'" in capsys.readouterr().err
    assert main(["plan", "north-staffs", "--mcps-within", "stp", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--mcps-within: must be a level the 2025-04 snapshot holds: 'sub-icb', 'icb' or" in err
    assert "Traceback" not in err
    assert not out.exists()
