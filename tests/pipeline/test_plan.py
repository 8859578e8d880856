"""The plan command end to end, every written plan verified by the independent checker."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from mcp_geo._folders import MARKER, read_marker
from mcp_geo.cli import main
from mcp_geo.plans.write import PLAN_FILES
from tests.checker import check_plan

FAST = ["--time-limit", "120"]


@pytest.fixture(scope="module")
def north_staffs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "north-staffs"
    assert main(["plan", "north-staffs", "--out", str(out), *FAST]) == 0
    return out


def test_north_staffs_plan_is_sound(north_staffs):
    assert sorted(p.name for p in north_staffs.iterdir()) == sorted([*PLAN_FILES, MARKER])
    assert read_marker(north_staffs) == set(PLAN_FILES)
    assert check_plan(north_staffs) == []
    report = json.loads((north_staffs / "report.json").read_text())
    assert report["metrics"]["practices"] == 66
    assert report["metrics"]["patients"] == 531_633
    assert report["certificates"]["hubs"]["status"] == "optimal"
    assert report["certificates"]["hubs"]["gap"] <= 1e-4
    assert report["certificates"]["mcps"]["status"] == "optimal"
    assert report["metrics"]["hubs"]["count"] >= 11  # 531,633 / 50,000
    assert report["metrics"]["mcps"]["patients"]["min"] >= 100_000
    assert 0 <= report["metrics"]["against_pcns"]["adjusted_rand_index_hubs"] <= 1


def test_seconds_appear_only_under_timings(north_staffs):
    report = json.loads((north_staffs / "report.json").read_text())
    assert set(report["timings"]) >= {"hubs", "mcps", "total"}
    for level in ("hubs", "mcps"):
        assert "seconds" not in report["certificates"][level]
    assert '"seconds"' not in json.dumps({k: v for k, v in report.items() if k != "timings"})


def test_scenario_written_is_the_one_run_and_runs_again(north_staffs, tmp_path):
    scenario = tomllib.loads((north_staffs / "scenario.toml").read_text())
    assert scenario["footprint"] == "north-staffs"
    assert scenario["hub_min"] == 30_000
    assert scenario["max_km"] == 15
    again = tmp_path / "again"
    assert main(["plan", str(north_staffs / "scenario.toml"), "--out", str(again)]) == 0
    for name in ("practices.csv", "hubs.csv", "mcps.csv", "exclusions.csv", "scenario.toml"):
        assert (again / name).read_bytes() == (north_staffs / name).read_bytes(), name
    first = json.loads((north_staffs / "report.json").read_text())
    second = json.loads((again / "report.json").read_text())
    first.pop("timings")
    second.pop("timings")
    assert first == second


def test_geopackage_layers(north_staffs):
    layers = {name for name, _ in pyogrio.list_layers(north_staffs / "plan.gpkg")}
    assert layers == {"practices", "hubs", "mcps", "territories_hubs", "territories_mcps"}
    hubs = gpd.read_file(north_staffs / "plan.gpkg", layer="territories_hubs")
    mcps = gpd.read_file(north_staffs / "plan.gpkg", layer="territories_mcps")
    assert hubs.crs.to_epsg() == 4326
    assert hubs.is_valid.all()
    assert (
        len(hubs)
        == json.loads((north_staffs / "report.json").read_text())["metrics"]["hubs"]["count"]
    )
    # no gaps or overlaps: MCP territories are unions of hub territories covering the same area
    hub_area = hubs.to_crs(27700).area.sum()
    mcp_area = mcps.to_crs(27700).area.sum()
    assert abs(hub_area - mcp_area) / hub_area < 1e-6
    assert abs(hubs.to_crs(27700).union_all().area - hub_area) / hub_area < 1e-6
    assert 850e6 < hub_area < 900e6  # the official outline: 881.5 km²


def test_hubs_only(tmp_path):
    out = tmp_path / "hubs-only"
    assert main(["plan", "sub-icb:05W", "--no-mcps", "--out", str(out), *FAST]) == 0
    assert check_plan(out) == []
    assert (out / "mcps.csv").read_text().strip() == (
        "mcp_id,base_hub_id,base_code,patients,hubs,practices,span_km"
    )


def test_sites_csv(tmp_path):
    """A planner's own sites: free-text codes, easting/northing, future list sizes."""
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "practice_code,practice_name,patients,easting,northing\n"
        "new site A,New town A,31000,388000,347000\n"
        "B 2,,12000,389000,348000\n"
        "c-3,Village,21000,390500,346000\n"
        "D4,Town,35000,395000,350000\n"
    )
    out = tmp_path / "plan"
    assert main(["plan", str(sites), "--mcp-min", "90000", "--out", str(out), *FAST]) == 0
    assert check_plan(out) == []
    planned = (out / "practices.csv").read_text()
    assert "new site A" in planned
    assert "B 2" in planned


def test_central_sussex_cannot_make_20_hubs(capsys, tmp_path):
    code = main(
        ["plan", "central-sussex-east-surrey", "--hubs", "20", "--out", str(tmp_path / "x")]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "20 hubs of at most 50,000 patients hold at most 1,000,000" in err
    assert "1,117,425" in err
    assert not (tmp_path / "x").exists()


def test_footprint_under_the_mcp_floor_is_explained(capsys, tmp_path):
    code = main(["plan", "north-staffs", "--mcp-min", "600000", "--out", str(tmp_path / "x")])
    assert code != 0
    err = capsys.readouterr().err
    assert "531,633 patients, fewer than one MCP's floor of 600,000" in err


def test_output_folder_under_a_file_is_a_usage_error(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["plan", "north-staffs", "--out", str(blocker / "plan")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_staffs_shropshire_seed_scenario(tmp_path):
    """The STP-wide footprint the North Staffordshire GPs argued against, default rules."""
    out = tmp_path / "staffs-shropshire"
    assert main(["plan", "staffs-shropshire", "--out", str(out), "--time-limit", "300"]) == 0
    assert check_plan(out) == []
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["practices"] == 191
    assert report["metrics"]["patients"] == 1_743_667
    # Y01929 (52,556 patients) is over the ceiling: a hub of its own, named as an exception
    assert report["exceptions"] == [
        {
            "level": "hubs",
            "hub_id": report["exceptions"][0]["hub_id"],
            "kind": "over_ceiling",
            "patients": 52_556,
            "shortfall": None,
            "practices": ["Y01929"],
            "reason": "practice over the ceiling (Y01929 has 52,556 patients, more than 50,000)",
        }
    ]
    hubs = (out / "hubs.csv").read_text().splitlines()
    assert hubs[0].endswith(",exception,shortfall")  # added because a hub is an exception
    assert sum(line.endswith(",over_ceiling,") for line in hubs) == 1
    assert "exception" not in (out / "mcps.csv").read_text().splitlines()[0]
    assert report["certificates"]["hubs"]["status"] == "optimal"
    assert report["metrics"]["mcps"]["patients"]["min"] >= 100_000


def test_a_current_icb_is_planned_inside_its_own_outline(tmp_path):
    """Dorset (QVV) since April 2026: its Sub-ICB whole and the cells of the two practices of
    Wiltshire's 92G (J81083, J83629) that moved to it; the hub territories tile that outline."""
    from mcp_geo.boundaries.icb_outlines import current_icb_outlines
    from mcp_geo.practices import open_areas, open_data

    out = tmp_path / "qvv"
    assert main(["plan", "icb-2026:QVV", "--no-mcps", "--out", str(out), *FAST]) == 0
    assert check_plan(out) == []
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["practices"] == 70
    outline_note = next(n for n in report["notes"] if n.startswith("outline: "))
    assert "current ICB outline" in outline_note
    assert "cells of 2 practices of 92G" in outline_note
    expected = current_icb_outlines(open_data().practices, open_areas(), codes=["QVV"])
    territories = gpd.read_file(out / "plan.gpkg", layer="territories_hubs").to_crs(27700)
    tiled = territories.union_all()
    shape = expected.geometry.iloc[0]
    assert abs(tiled.area - shape.area) < 1e-4 * shape.area
    assert tiled.symmetric_difference(shape).area < 1e-4 * shape.area


def assert_territories_tile(plan) -> None:
    """Every hub has a territory; they tile the plan's outline (no gap, no overlap); every
    piece holds a practice of its hub and none is below MIN_PIECE_M2."""
    import itertools
    import math

    import shapely

    from mcp_geo.boundaries.territories import MIN_PIECE_M2

    layer = plan.territories_hubs.to_crs(27700)
    shapes = dict(zip(layer["hub_id"], layer.geometry, strict=True))
    assert sorted(shapes) == sorted(plan.hubs["hub_id"])
    assert not any(g.is_empty for g in shapes.values())
    outline = plan.outline.geometry
    union = shapely.union_all(list(shapes.values()))
    assert math.isclose(union.area, outline.area, rel_tol=1e-6)
    assert shapely.symmetric_difference(union, outline).area <= 1e-6 * outline.area
    assert math.isclose(sum(g.area for g in shapes.values()), outline.area, rel_tol=1e-6)
    for a, b in itertools.combinations(shapes.values(), 2):
        if a.intersects(b):
            assert shapely.intersection(a, b).area <= 1e-6 * outline.area
    sites = plan.practices.to_crs(27700)
    for hub, shape in shapes.items():
        mine = sites.loc[sites["hub_id"] == hub].geometry.to_numpy()
        for piece in shapely.get_parts(shape):
            assert piece.area >= MIN_PIECE_M2, (hub, piece.area)
            assert shapely.dwithin(piece, mine, 0.01).any(), hub
    facts = plan.report()["territories"]
    assert facts["territories"] == len(shapes)
    assert facts["without_territory"] == []
    assert facts["hubs_in_pieces"] == sorted(
        h for h, g in shapes.items() if shapely.get_num_geometries(g) > 1
    )
    assert facts["smallest_piece_km2"] >= facts["min_piece_km2"] == 0.01
    assert any("0.01 km²" in note for note in plan.notes)


def test_north_staffs_hub_territories_tile_the_outline(ns_plan):
    """Before: 4 hubs in pieces, 4 pieces holding none of their hub's practices, 2 below
    0.01 km² (down to 0.001 km²). Now one hub (its practices interleave) in two pieces."""
    assert_territories_tile(ns_plan)
    facts = ns_plan.report()["territories"]
    assert facts["slivers_merged"] >= 1


@pytest.mark.slow
def test_staffs_shropshire_hub_territories_tile_the_outline():
    """52 hubs; before, 7 in pieces and 4 pieces holding none of their hub's practices."""
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    plan = run_scenario(
        Scenario.from_options("staffs-shropshire", {"gap": 0.005, "time_limit": 120})
    )
    assert_territories_tile(plan)
