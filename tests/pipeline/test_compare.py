"""compare_plans / compare_with_pcns, write_comparison and `mcp-geo compare`."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.cli import main
from mcp_geo.pipeline.compare import (
    MOVES_COLUMNS,
    compare_plans,
    compare_with_pcns,
    write_comparison,
)


@pytest.fixture(scope="module")
def plan():
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    return run_scenario(Scenario.from_options("north-staffs", {"engine": "compact", "threads": 1}))


def _move_hub(plan, hub_id: str, to_mcp: str):
    """The plan with one hub moved to another MCP (sizes left as they were)."""
    practices = plan.practices.copy()
    practices.loc[practices["hub_id"] == hub_id, "mcp_id"] = to_mcp
    hubs = plan.hubs.copy()
    hubs.loc[hubs["hub_id"] == hub_id, "mcp_id"] = to_mcp
    return dataclasses.replace(plan, practices=practices, hubs=hubs)


def test_a_plan_against_itself(plan):
    c = compare_plans(plan, plan)
    assert (c.a_label, c.b_label) == ("north-staffs (A)", "north-staffs (B)")
    assert c.value("practices shared") == (66, 66)
    assert c.value("hubs") == (16, 16)
    assert c.value("MCPs") == (4, 4)
    assert c.value("practices whose MCP partners change") == (0, 0)
    assert c.value("adjusted Rand index, hubs") == (1.0, 1.0)
    assert c.value("km to hub base, patient-weighted mean")[0] == pytest.approx(
        plan.metrics.hubs.travel.mean
    )
    assert c.value("MCP span km, max")[0] == pytest.approx(plan.metrics.max_mcp_span_km)
    assert len(c.moves) == 66


def test_moving_one_hub_changes_the_partners_of_both_mcps(plan):
    hub = plan.hubs.iloc[0]
    old = hub["mcp_id"]
    new = next(m for m in plan.mcps["mcp_id"] if m != old)
    c = compare_plans(plan, _move_hub(plan, hub["hub_id"], new))
    in_both = plan.practices.loc[plan.practices["mcp_id"].isin([old, new]), "practice_code"]
    moves = c.moves.set_index("practice_code")
    assert set(moves.index[moves["mcp_partners_changed"].astype(bool)]) == set(in_both)
    assert c.mcp_partners_changed == len(in_both)
    assert c.value("practices whose hub partners change") == (0, 0)
    assert c.value("adjusted Rand index, hubs") == (1.0, 1.0)
    assert c.value("adjusted Rand index, MCPs")[0] < 1.0
    moved = plan.practices.loc[plan.practices["hub_id"] == hub["hub_id"], "practice_code"]
    assert set(moves.loc[moved, "a_mcp"]) == {old}
    assert set(moves.loc[moved, "b_mcp"]) == {new}


def test_only_shared_practices_are_compared(plan):
    keep = plan.practices["practice_code"].isin(plan.practices["practice_code"].iloc[:40])
    smaller = dataclasses.replace(plan, practices=plan.practices[keep].copy())
    c = compare_plans(plan, smaller, a_label="all", b_label="first 40")
    assert c.value("practices shared") == (40, 40)
    assert c.value("practices in this plan only") == (26, 0)
    assert list(c.moves["practice_code"]) == sorted(plan.practices["practice_code"].iloc[:40])
    assert c.value("practices whose MCP partners change") == (0, 0)


def test_plans_sharing_no_practice(plan):
    other = plan.practices.copy()
    other["practice_code"] = "X" + other["practice_code"]
    with pytest.raises(ValidationError, match="the plans share no practice"):
        compare_plans(plan, dataclasses.replace(plan, practices=other))


def test_against_pcns(plan):
    c = compare_with_pcns(plan)
    assert c.b is None
    assert c.b_label == "today's PCNs"
    assert c.value("hubs") == (16, plan.metrics.pcn.pcns.groups)
    assert c.value("share of hubs within bounds")[1] == pytest.approx(12 / 13)
    assert c.value("adjusted Rand index, hubs")[0] == pytest.approx(
        plan.metrics.pcn.adjusted_rand_index
    )
    assert c.value("km to hub base, patient-weighted mean")[1] == pytest.approx(
        plan.metrics.pcn.pcns.distance.mean
    )
    assert c.value("MCPs") == (4, None)
    assert c.moves["b_mcp"].isna().all()
    assert set(c.moves["b_hub"]) == set(plan.practices["pcn_code"])


def test_against_pcns_needs_pcn_codes(plan):
    practices = plan.practices.copy()
    practices["pcn_code"] = None
    with pytest.raises(ValidationError, match="no practice of the plan has a PCN code"):
        compare_with_pcns(dataclasses.replace(plan, practices=practices))


def test_written_files(plan, tmp_path):
    c = compare_plans(plan, _move_hub(plan, plan.hubs.iloc[0]["hub_id"], "M01"))
    written = write_comparison(c, tmp_path)
    assert set(written) == {"comparison.csv", "moves.csv"}  # the pipeline draws no map
    again = write_comparison(c, tmp_path, extra={"map.html": lambda p: p.write_text("drawn")})
    assert set(again) == {"comparison.csv", "moves.csv", "map.html"}
    assert (tmp_path / "map.html").read_text() == "drawn"
    table = pd.read_csv(tmp_path / "comparison.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["metric", "a", "b"]
    assert len(table) == len(c.rows) == table["metric"].nunique()
    row = table.set_index("metric").loc["adjusted Rand index, hubs"]
    assert (row["a"], row["b"]) == ("1.000000", "1.000000")
    moves = pd.read_csv(tmp_path / "moves.csv", dtype=str, keep_default_na=False)
    assert tuple(moves.columns) == MOVES_COLUMNS
    assert set(moves["mcp_partners_changed"]) <= {"true", "false"}
    assert (moves["mcp_partners_changed"] == "true").sum() == c.mcp_partners_changed


def test_cli_against_pcns(plan, tmp_path, capsys):
    from mcp_geo.plans.write import write_plan

    folder = write_plan(plan, tmp_path / "ns")
    assert main(["compare", str(folder), "--against", "pcn", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "adjusted Rand index, hubs" in out
    assert "today's PCNs" in out
    for name in ("comparison.csv", "moves.csv", "map.html"):
        assert (tmp_path / "c" / name).is_file(), name


def test_cli_needs_b_or_against(tmp_path, capsys):
    assert main(["compare", "north-staffs", "x", "--against", "pcn", "--out", str(tmp_path)]) == 2
    assert "give either B or --against pcn" in capsys.readouterr().err
    assert main(["compare", "north-staffs", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_seed_dispute_north_staffs_against_staffs_shropshire(tmp_path, capsys):
    """The reference case, planned on the fly (time-limited: about 40 s)."""
    out = tmp_path / "c"
    args = ["compare", "north-staffs", "staffs-shropshire", "--out", str(out)]
    assert main([*args, "--engine", "compact", "--time-limit", "15", "--no-map"]) == 0
    table = pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)
    table = table.set_index("metric")
    assert table.loc["practices shared", "a"] == "66"
    assert table.loc["practices in this plan only", "b"] == "125"
    assert float(table.loc["MCP span km, max", "b"]) > float(table.loc["MCP span km, max", "a"])
    assert len(pd.read_csv(out / "moves.csv")) == 66
    assert (out / "plan-a" / "report.json").is_file()
    assert (out / "plan-b" / "report.json").is_file()
    assert "north-staffs (A) against staffs-shropshire (B)" in capsys.readouterr().out
