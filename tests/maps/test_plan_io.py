"""read_plan: a written plan folder reads back into the same Plan (for maps and comparison)."""

from __future__ import annotations

import shutil

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.exports import report_json
from mcp_geo.plan_io import is_plan_dir, read_plan


def test_round_trip(ns_plan, ns_plan_dir):
    plan = read_plan(ns_plan_dir)
    assert report_json(plan) == (ns_plan_dir / "report.json").read_text()
    assert list(plan.practices["practice_code"]) == list(ns_plan.practices["practice_code"])
    assert list(plan.practices["hub_id"]) == list(ns_plan.practices["hub_id"])
    assert plan.hubs.set_index("hub_id")["mcp_id"].to_dict() == (
        ns_plan.hubs.set_index("hub_id")["mcp_id"].to_dict()
    )
    assert plan.territories_hubs.crs.to_epsg() == 27700
    assert plan.outline.geometry.area == pytest.approx(ns_plan.outline.geometry.area, rel=1e-3)
    assert plan.metrics.pcn.adjusted_rand_index == pytest.approx(
        ns_plan.metrics.pcn.adjusted_rand_index, abs=1e-9
    )
    assert plan.scenario == ns_plan.scenario
    assert is_plan_dir(ns_plan_dir)


def test_missing_folder_and_files(tmp_path, ns_plan_dir):
    with pytest.raises(ValidationError, match="is not a folder"):
        read_plan(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    shutil.copytree(ns_plan_dir, broken)
    (broken / "plan.gpkg").unlink()
    (broken / "scenario.toml").unlink()
    with pytest.raises(
        ValidationError, match=r"(?s)scenario\.toml.*is missing.*plan\.gpkg.*is missing"
    ):
        read_plan(broken)
    assert not is_plan_dir(broken)


def test_unreadable_report(tmp_path, ns_plan_dir):
    broken = tmp_path / "broken"
    shutil.copytree(ns_plan_dir, broken)
    (broken / "report.json").write_text("{not json")
    with pytest.raises(ValidationError, match=r"report\.json.*cannot be read"):
        read_plan(broken)
