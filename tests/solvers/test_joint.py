"""Staged against joint mode on a small instance where nesting changes the hubs.

Layout (x in km along one road, patients in thousands; hubs 30-50k within 10 km of their base,
MCPs of 100k+ within 6 km of their base hub)::

    W1 30  W2 50              M 20          E1 30  E2 50  E3 40
    x=0    x=0.5              x=7           x=12   x=12.3 x=12.6

M (20k) cannot be a hub alone and must join W1 or E1 (the only hubs with room). Staged mode puts
it with E1, 5 km away rather than 7, and then West's hubs hold only 80k: no MCP of 100k within
6 km of them. Joint mode knows the hubs must nest and sends M west: both MCPs reach 100k.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mcp_geo.cli import main
from tests.checker import check_plan

RULES = ["--max-km", "10", "--mcp-max-km", "6", "--time-limit", "60"]


@pytest.fixture
def sites(tmp_path):
    path = tmp_path / "nest.csv"
    path.write_text(
        "practice_code,patients,easting,northing\n"
        "W1,30000,400000,300000\n"
        "W2,50000,400500,300000\n"
        "M,20000,407000,300000\n"
        "E1,30000,412000,300000\n"
        "E2,50000,412300,300000\n"
        "E3,40000,412600,300000\n"
    )
    return path


def _partners(folder, code):
    practices = pd.read_csv(folder / "practices.csv", dtype=str)
    hub = practices.set_index("practice_code").loc[code, "hub_id"]
    return set(practices.loc[practices["hub_id"] == hub, "practice_code"])


def test_joint_forms_hubs_that_nest(sites, tmp_path):
    staged, joint = tmp_path / "staged", tmp_path / "joint"
    assert main(["plan", str(sites), "--out", str(staged), *RULES]) == 0
    assert main(["plan", str(sites), "--mode", "joint", "--out", str(joint), *RULES]) == 0
    assert check_plan(staged) == []
    assert check_plan(joint) == []
    assert _partners(staged, "M") == {"M", "E1"}
    assert _partners(joint, "M") == {"M", "W1"}
    staged_report = json.loads((staged / "report.json").read_text())
    joint_report = json.loads((joint / "report.json").read_text())
    # staged needs an undersized MCP, named as an exception; joint needs none
    assert any("cannot reach 100,000" in e["reason"] for e in staged_report["exceptions"])
    assert joint_report["exceptions"] == []
    assert joint_report["metrics"]["mcps"]["patients"]["min"] >= 100_000
    certificates = joint_report["certificates"]
    assert certificates["hubs"]["engine"] == certificates["mcps"]["engine"] == "joint"
    assert certificates["hubs"]["status"] == "optimal"
    assert "one model for both levels" in certificates["hubs"]["optimises"]
    assert "hub base" in staged_report["certificates"]["hubs"]["optimises"]


def test_strict_staged_is_infeasible_and_points_to_joint(sites, tmp_path, capsys):
    assert main(["plan", str(sites), "--strict", "--out", str(tmp_path / "s"), *RULES]) == 3
    err = capsys.readouterr().err
    assert "H04, H05 (80,000 patients) cannot reach 100,000 with anyone within 6 km" in err
    assert "--mode joint" in err
    code = main(
        ["plan", str(sites), "--strict", "--mode", "joint", "--out", str(tmp_path / "j"), *RULES]
    )
    assert code == 0
    assert check_plan(tmp_path / "j") == []


def test_joint_is_infeasible_when_nothing_nests(sites, tmp_path, capsys):
    code = main(
        [
            "plan",
            str(sites),
            "--mode",
            "joint",
            "--mcp-min",
            "130000",
            "--out",
            str(tmp_path / "j"),
            *RULES,
        ]
    )
    assert code == 3
    err = capsys.readouterr().err
    assert "joint model is infeasible" in err
    assert "set --mode staged or lower --mcp-min or raise --mcp-max-km" in err  # named by the CLI
