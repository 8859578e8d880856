"""The reference options on the command line: parsed into the scenario, bad values a usage
error (exit 2) naming the option, never a traceback."""

from __future__ import annotations

import pytest

from mcp_geo.cli import main
from mcp_geo.cli._parser import build_parser, scenario_from_args


def test_the_flags_reach_the_scenario():
    args = build_parser().parse_args(
        ["plan", "north-staffs", "--out", "o", "--reference", "pcn", "--minimise", "practices",
         "--whole", "--travel-slack", "0.01"]
    )  # fmt: skip
    scenario = scenario_from_args(args)
    assert (scenario.reference, scenario.minimise, scenario.whole, scenario.travel_slack) == (
        "pcn",
        "practices",
        True,
        0.01,
    )
    plain = scenario_from_args(build_parser().parse_args(["plan", "north-staffs", "--out", "o"]))
    assert (plain.reference, plain.minimise, plain.whole, plain.travel_slack) == (
        None,
        "patients",
        False,
        None,
    )
    compare = build_parser().parse_args(["compare", "a", "b", "--out", "o", "--reference", "pcn"])
    assert compare.reference == "pcn"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--minimise", "most"], "argument --minimise: invalid choice: 'most'"),
        (["--travel-slack", "much"], "argument --travel-slack: invalid float value: 'much'"),
    ],
)
def test_unparsable_values_exit_2(flags, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "north-staffs", *flags, "--out", str(tmp_path / "o")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--reference", "pcn", "--travel-slack", "1.5"], "--travel-slack: must be a fraction"),
        (["--whole"], "--whole: needs a reference"),
        (["--travel-slack", "0"], "--travel-slack: needs a reference"),
        (["--minimise", "practices"], "--minimise: needs a reference"),
        (["--reference", " "], "--reference: must be 'pcn' or the folder of an earlier plan"),
    ],
)
def test_bad_values_exit_2_naming_the_option(flags, message, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["plan", "north-staffs", *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()
