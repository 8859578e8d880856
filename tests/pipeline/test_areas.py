"""Area rules and crossings on the real data: north-staffs is two Sub-ICB locations, 05G and 05W.

The practices' areas are read here from the official files themselves (the list-size file's
Sub-ICB, the practice map's ICB), not from the plan, and the checker recounts the crossings.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from mcp_geo.cli import main
from tests._plans import write_sites
from tests.checker import check_plan

FAST = ["--time-limit", "120", "--threads", "1"]


@pytest.fixture(scope="module")
def official_areas(shared_data: Path) -> dict[str, dict[str, str | None]]:
    """level -> practice code -> area, from the April 2025 list sizes and the practice map."""
    with open(shared_data / "nhs" / "gp-reg-pat-prac-all_2025-04.csv", encoding="utf-8") as f:
        sub_icb = {r["CODE"]: r["SUB_ICB_LOCATION_CODE"] for r in csv.DictReader(f)}
    with open(shared_data / "nhs" / "gp-reg-pat-prac-map_2025-10.csv", encoding="utf-8") as f:
        icb_of_sub = {r["SUB_ICB_LOCATION_CODE"]: r["ICB_CODE"] for r in csv.DictReader(f)}
    return {
        "sub-icb": dict(sub_icb),
        "icb": {code: icb_of_sub.get(s) for code, s in sub_icb.items()},
    }


def _plan(folder: Path, data: Path, *options: str) -> tuple[pd.DataFrame, dict]:
    assert main(["plan", "north-staffs", "--data", str(data), "--out", str(folder), "-q",
                 *FAST, *options]) == 0  # fmt: skip
    practices = pd.read_csv(folder / "practices.csv", dtype=str)
    return practices, json.loads((folder / "report.json").read_text(encoding="utf-8"))


def _crossing(practices: pd.DataFrame, areas: dict[str, str | None], column: str) -> set[str]:
    """The groups whose practices lie in two areas, counted here from practices.csv."""
    area = practices["practice_code"].map(areas)
    return {g for g, a in area.groupby(practices[column]) if a.nunique() > 1}


def test_free_plan_crossings_are_reported_as_counted(shared_data, official_areas, tmp_path):
    practices, report = _plan(tmp_path / "free", shared_data)
    assert check_plan(tmp_path / "free", areas=official_areas) == []
    sub_icb = official_areas["sub-icb"]
    hubs, mcps = _crossing(practices, sub_icb, "hub_id"), _crossing(practices, sub_icb, "mcp_id")
    reported = report["metrics"]["crossings"]
    assert list(reported) == ["sub-icb", "icb", "ccg19"]
    assert reported["sub-icb"]["hubs"]["count"] == len(hubs) > 0
    assert set(reported["sub-icb"]["hubs"]["crossing"]) == hubs
    assert reported["sub-icb"]["mcps"]["count"] == len(mcps) == 4  # every MCP straddles 05G/05W
    assert reported["icb"]["hubs"]["count"] == 0  # one ICB, QNC


def test_the_checker_sees_a_broken_rule_and_a_wrong_count(shared_data, official_areas, tmp_path):
    folder = tmp_path / "free"
    _plan(folder, shared_data, "--no-mcps")
    path = folder / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    report["parameters"]["hubs_within"] = "sub-icb"
    report["metrics"]["crossings"]["icb"]["hubs"]["count"] = 1
    path.write_text(json.dumps(report), encoding="utf-8")
    errors = check_plan(folder, areas=official_areas)
    assert any(e.startswith("hubs crossing sub-icb areas under a within rule") for e in errors)
    assert any(e.startswith("icb: reported hub crossings") for e in errors)


def test_hubs_within_sub_icb(shared_data, official_areas, tmp_path):
    practices, report = _plan(tmp_path / "hubs", shared_data, "--hubs-within", "sub-icb")
    assert check_plan(tmp_path / "hubs", areas=official_areas) == []  # once each, bounds, rules
    area = practices["practice_code"].map(official_areas["sub-icb"])
    assert set(area) == {"05G", "05W"}
    assert practices["practice_code"].is_unique
    assert (area.groupby(practices["hub_id"]).nunique() == 1).all()
    assert len(practices) == 66
    assert report["exceptions"] == []
    assert report["parameters"]["hubs_within"] == "sub-icb"
    assert report["metrics"]["crossings"]["sub-icb"]["hubs"] == {"count": 0, "crossing": {}}
    assert report["certificates"]["hubs"]["status"] == "optimal"


def test_mcps_within_sub_icb(shared_data, official_areas, tmp_path):
    practices, report = _plan(tmp_path / "mcps", shared_data, "--mcps-within", "sub-icb")
    assert check_plan(tmp_path / "mcps", areas=official_areas) == []
    crossings = report["metrics"]["crossings"]["sub-icb"]
    assert crossings["hubs"]["count"] == crossings["mcps"]["count"] == 0
    area = practices["practice_code"].map(official_areas["sub-icb"])
    assert (area.groupby(practices["mcp_id"]).nunique() == 1).all()
    assert report["certificates"]["mcps"]["status"] == "optimal"


def test_sites_take_their_areas_from_the_shipped_outlines(tmp_path):
    """30 real north-staffs practices as sites, and one site in Cardiff (in no outline)."""
    sites = write_sites(tmp_path, "sites.csv")
    frame = pd.read_csv(sites)
    cardiff = {"practice_code": "CARDIFF", "practice_name": "Cardiff", "patients": 21_000,
               "latitude": 51.4816, "longitude": -3.1791}  # fmt: skip
    pd.concat([frame, pd.DataFrame([cardiff])]).to_csv(sites, index=False)
    out = tmp_path / "plan"
    assert main(["plan", str(sites), "--out", str(out), "-q", "--hub-min", "20000",
                 "--hub-max", "80000", "--hubs-within", "sub-icb", *FAST]) == 0  # fmt: skip
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    crossings = report["metrics"]["crossings"]["sub-icb"]
    assert crossings["practices_without_area"] == 1
    assert crossings["hubs"]["count"] == 0
    assert any("1 site lies outside every Sub-ICB outline" in n for n in report["notes"])
    practices = pd.read_csv(out / "practices.csv", dtype=str).set_index("practice_code")
    alone = practices.index[practices["hub_id"] == practices.at["CARDIFF", "hub_id"]]
    assert list(alone) == ["CARDIFF"]  # in no area: it shares a hub with no English site
