"""Base rules end to end: options, exclusions, strict refusal and the real north-staffs plan,
every written plan verified by the independent checker."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from mcp_geo.cli import main
from tests.checker import check_plan

FAST = ["--time-limit", "120"]

SITES = (
    "practice_code,practice_name,patients,easting,northing\n"
    "A,Small,5000,390000,340000\n"
    "B,Large,12000,391000,340000\n"
    "C,Middle,8000,392000,340000\n"
    "D,Ten,10000,393000,340000\n"
    "E,Far,3000,430000,340000\n"
)
"""Five sites on an east-west line: A-D 1 km apart (35,000 patients), E 37 km (of the grid;
36.9 great-circle km) east of D."""


@pytest.fixture(scope="module")
def north_staffs_bases(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "north-staffs-bases"
    args = ["plan", "north-staffs", "--base-min-patients", "10000"]
    args += ["--mcp-base-min-patients", "15000", "--out", str(out), *FAST]
    assert main(args) == 0
    return out


def test_north_staffs_bases_are_big_practices(north_staffs_bases: Path) -> None:
    assert check_plan(north_staffs_bases) == []
    practices = pd.read_csv(north_staffs_bases / "practices.csv", dtype=str)
    practices["patients"] = practices["patients"].astype(int)
    hubs = pd.read_csv(north_staffs_bases / "hubs.csv", dtype={"hub_id": str})
    mcps = pd.read_csv(north_staffs_bases / "mcps.csv", dtype={"mcp_id": str})
    size = practices.set_index("practice_code")["patients"]
    assert len(practices) == 66
    assert practices["practice_code"].is_unique
    assert practices["hub_id"].notna().all()
    assert (hubs["base_code"].map(size) >= 10_000).all()
    assert hubs["patients"].between(30_000, 50_000).all()
    assert (mcps["base_code"].map(size) >= 15_000).all()
    assert (mcps["patients"] >= 100_000).all()
    report = json.loads((north_staffs_bases / "report.json").read_text())
    assert report["parameters"]["base_min_patients"] == 10_000
    assert report["parameters"]["mcp_base_min_patients"] == 15_000
    assert report["certificates"]["hubs"]["status"] == "optimal"
    assert report["exclusions"] == {}
    scenario = tomllib.loads((north_staffs_bases / "scenario.toml").read_text())
    assert scenario["base_min_patients"] == 10_000


def test_practice_with_no_allowed_base_is_excluded(tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES)
    out = tmp_path / "plan"
    args = ["plan", str(sites), "--no-mcps", "--base-min-patients", "10000", "--out", str(out)]
    assert main(args) == 0
    assert check_plan(out) == []
    planned = pd.read_csv(out / "practices.csv", dtype=str)
    assert planned["practice_code"].tolist() == ["A", "B", "C", "D"]
    assert set(planned["hub_base_code"]) == {"B"}
    excluded = pd.read_csv(out / "exclusions.csv", dtype=str)
    assert excluded["practice_code"].tolist() == ["E"]
    reason = excluded["reason"].iloc[0]
    assert reason == (
        "no allowed base within 15 km (a practice of at least 10,000 patients): nearest "
        "candidate D (10,000 patients) at 36.9 km"
    )
    report = json.loads((out / "report.json").read_text())
    assert report["exclusions"] == {reason: 1}


def test_strict_refuses_the_plan_naming_the_practice(tmp_path: Path, capsys) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES)
    out = tmp_path / "plan"
    args = ["plan", str(sites), "--no-mcps", "--base-min-patients", "10000", "--strict"]
    assert main([*args, "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "E: no allowed base within 15 km" in err
    assert "nearest candidate D (10,000 patients)" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-min-patients", "60000"], r"--base-min-patients: must be <= hub_max \(50000\)"),
        (["--base-min-patients", "0"], r"--base-min-patients: must be a whole number"),
    ],
)
def test_bad_base_options_are_usage_errors(tmp_path: Path, capsys, args, message) -> None:
    assert main(["plan", "north-staffs", *args, "--out", str(tmp_path / "x")]) == 2
    assert re.search(message, capsys.readouterr().err)


BASES = (
    "base_code,base_name,easting,northing\n"
    "S1,Health centre,391500,340000\n"
    "S2,Community hospital,392500,340000\n"
)
"""Two candidate sites among A-D of :data:`SITES`, none within 15 km of E."""


def test_hubs_based_at_candidate_sites(tmp_path: Path) -> None:
    (tmp_path / "sites.csv").write_text(SITES)
    (tmp_path / "bases.csv").write_text(BASES)
    out = tmp_path / "plan"
    args = ["plan", str(tmp_path / "sites.csv"), "--no-mcps", "--bases"]
    assert main([*args, str(tmp_path / "bases.csv"), "--out", str(out)]) == 0
    assert check_plan(out) == []
    hubs = pd.read_csv(out / "hubs.csv", dtype=str)
    assert hubs[["hub_id", "base_code", "base_name", "patients"]].values.tolist() == [
        ["H01", "S1", "Health centre", "35000"]
    ]
    planned = pd.read_csv(out / "practices.csv", dtype=str)
    assert set(planned["hub_base_code"]) == {"S1"}
    km = planned["km_to_hub_base"].astype(float).tolist()
    assert km == pytest.approx([1.5, 0.5, 0.5, 1.5], abs=0.005)  # grid metres vs great circle
    excluded = pd.read_csv(out / "exclusions.csv", dtype=str)
    assert excluded.values.tolist() == [
        [
            "E",
            "no allowed base within 15 km (a candidate site): nearest candidate S2 at 37.4 km",
            "bases bases.csv",
        ]
    ]
    scenario = tomllib.loads((out / "scenario.toml").read_text())
    assert scenario["bases"] == "../bases.csv"
    assert main([*args, str(tmp_path / "bases.csv"), "--strict", "--out", str(out / "x")]) == 3


def test_bad_bases_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bases.csv"
    bad.write_text("base_code,base_name,latitude,longitude\nS1,A,53.0,-2.1\nS1,B,53.1,x\n")
    assert main(["plan", "north-staffs", "--bases", str(bad), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "bases.csv:3, field 'longitude': must be a number in [-180, 180] (got 'x')" in err
    assert "must be unique: the code is on rows 2, 3 (got 'S1')" in err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-min-patients", "10000"], r"--bases: cannot be combined with base_min_patients"),
        (["--travel", "road", "--roads", "x.osm"], r"--bases: needs travel 'great-circle'"),
        (["--mcp-base-min-patients", "1"], r"--mcp-base-min-patients: cannot be combined"),
    ],
)
def test_bases_refused_with_what_it_cannot_do(tmp_path: Path, capsys, args, message) -> None:
    (tmp_path / "bases.csv").write_text(BASES)
    command = ["plan", "north-staffs", "--bases", str(tmp_path / "bases.csv"), *args]
    assert main([*command, "--out", str(tmp_path / "x")]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_north_staffs_sites_at_the_big_practices_match_the_base_rule(
    north_staffs_bases: Path, tmp_path: Path
) -> None:
    """Candidate sites at every practice of 10,000 patients or more: the same hubs, and the
    same travel, as ``--base-min-patients 10000`` (the site reduction is exact)."""
    practices = pd.read_csv(north_staffs_bases / "practices.csv", dtype={"practice_code": str})
    big = practices[practices["patients"] >= 10_000]
    sites = pd.DataFrame(
        {
            "base_code": "S-" + big["practice_code"],
            "base_name": big["practice_name"],
            "latitude": big["latitude"],
            "longitude": big["longitude"],
        }
    )
    sites.to_csv(tmp_path / "bases.csv", index=False)
    out = tmp_path / "plan"
    args = ["plan", "north-staffs", "--bases", str(tmp_path / "bases.csv"), "--out", str(out)]
    assert main([*args, *FAST]) == 0
    assert check_plan(out) == []
    ruled = json.loads((north_staffs_bases / "report.json").read_text())
    based = json.loads((out / "report.json").read_text())
    assert based["certificates"]["hubs"]["status"] == "optimal"
    assert based["certificates"]["hubs"]["objective"] == pytest.approx(
        ruled["certificates"]["hubs"]["objective"], rel=1e-4
    )
    hubs = pd.read_csv(out / "hubs.csv", dtype=str)
    assert hubs["base_code"].str.startswith("S-").all()
    assert hubs["base_code"].is_unique
