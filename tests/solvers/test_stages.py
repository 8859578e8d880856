"""Objective stages and hub counts on the real data (issue 18, points 1 and 2).

Fixed counts the bounds cannot hold are refused before any model, with their numbers; a
footprint whose rules cannot all be met gets its least-exception plan, each undersized hub named
(Shropshire, Telford and Wrekin: one hub 1,263 patients under the floor, proven least); the
certificate's stages are written to report.json in order and read back; ``plan england`` takes
``fewest`` but no fixed count. The long solves (central Sussex in 23 hubs) are in
``benchmarks/hubs.py``.
"""

from __future__ import annotations

import csv
import json

import pytest

import mcp_geo
from mcp_geo._errors import InfeasibleError, Relaxation, ValidationError
from mcp_geo.cli._parser import build_parser
from mcp_geo.practices import open_data, select_footprint
from mcp_geo.scenario import Scenario
from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs
from tests.checker import check_plan


@pytest.fixture(scope="module")
def central_sussex():
    return select_footprint(open_data(), "central-sussex-east-surrey").practices


@pytest.mark.parametrize(
    ("hubs", "words", "relax"),
    [
        (
            20,
            r"20 hubs of at most 50,000 patients hold at most 1,000,000; the footprint has "
            r"1,117,425",
            Relaxation("hubs", "raise", 23),
        ),
        (
            40,
            r"40 hubs of at least 30,000 patients need 1,200,000; the footprint has 1,117,425",
            Relaxation("hubs", "lower", 37),
        ),
    ],
)
def test_a_count_the_bounds_cannot_hold_is_refused_with_its_numbers(
    central_sussex, hubs, words, relax
) -> None:
    with pytest.raises(InfeasibleError, match=words) as info:
        solve_hubs(central_sussex, rule=HubRule(hubs=hubs), options=SolveOptions(time_limit=5))
    assert info.value.relax[0] == relax


def test_least_exception_plan_of_qoc_is_written_named_and_checked(tmp_path) -> None:
    plan = mcp_geo.plan("icb:QOC", no_mcps=True, gap=0.005, time_limit=60, threads=2)
    out = tmp_path / "qoc"
    plan.write(out)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    stages = report["certificates"]["hubs"]["stages"]
    assert [s["name"] for s in stages] == ["shortfall", "travel"]
    assert (stages[0]["objective"], stages[0]["status"]) == (1263, "optimal")
    under = [e for e in report["exceptions"] if e["kind"] == "under_floor"]
    assert [(e["patients"], e["shortfall"]) for e in under] == [(28_737, 1_263)]
    assert under[0]["reason"] == (
        "under the floor by 1,263 patients: no plan of these 49 practices within 15 km "
        "reaches 30,000 everywhere"
    )
    assert [e["kind"] for e in report["exceptions"]] == ["under_floor", "over_ceiling"]
    rows = csv.DictReader((out / "hubs.csv").read_text(encoding="utf-8").splitlines())
    hubs = {r["hub_id"]: r for r in rows}
    assert (hubs[under[0]["hub_id"]]["exception"], hubs[under[0]["hub_id"]]["shortfall"]) == (
        "under_floor",
        "1263",
    )
    assert check_plan(out) == []
    again = mcp_geo.read_plan(out)
    assert [s.name for s in again.certificates.hubs.stages] == ["shortfall", "travel"]
    assert again.exceptions == plan.exceptions
    with pytest.raises(InfeasibleError, match="no plan satisfies the rules: practice over the"):
        mcp_geo.plan("icb:QOC", no_mcps=True, strict=True, gap=0.005, time_limit=60, threads=2)


def test_counts_on_the_command_line_and_in_scenarios() -> None:
    args = build_parser().parse_args(
        ["plan", "north-staffs", "--out", "x", "--hubs", "fewest", "--mcps", "3"]
    )
    assert (args.hubs, args.mcps) == ("fewest", 3)
    assert Scenario.from_options("north-staffs", {"hubs": "fewest"}).hubs == "fewest"
    with pytest.raises(ValidationError, match="must be a whole number >= 1, 'fewest'"):
        Scenario.from_options("north-staffs", {"hubs": "most"})


def test_plan_england_refuses_a_fixed_count(tmp_path) -> None:
    with pytest.raises(ValidationError, match="must be 'fewest' or left out for england"):
        mcp_geo.plan_england(by="icb", out=tmp_path / "e", only=["QOC"], hubs=5, workers=1)


def test_count_implied_floor_on_the_real_data(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """staffs-shropshire in 35 hubs (34 besides Y01929, over the ceiling) needs hubs of at least
    41,111, which five Shropshire practices cannot reach within 15 km: refused before any
    model, and the benchmark reports a refused count as a row (it used to crash)."""
    import importlib.util
    import sys
    from pathlib import Path

    frame = select_footprint(open_data(), "staffs-shropshire").practices
    with pytest.raises(InfeasibleError, match=r"each needs at least 41,111") as err:
        solve_hubs(frame, rule=HubRule(hubs=35))
    assert "M82014, M82033, M82043, M82046, M82620 cannot reach" in str(err.value)
    assert err.value.relax == (Relaxation("hubs", "raise", 36),)
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "hubs.py"
    spec = importlib.util.spec_from_file_location("bench_hubs", path)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_hubs", bench)  # its dataclass looks itself up
    spec.loader.exec_module(bench)
    assert bench.main(["-f", "staffs-shropshire", "-e", "columns", "--hubs", "23,35"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "| refused |" in line]
    assert len(rows) == 2
