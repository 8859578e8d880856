"""read_plan: a written plan folder reads back into the same Plan (for maps and comparison)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import re
import shutil

import pandas as pd
import pyogrio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_geo._errors import ValidationError
from mcp_geo.plans.read import is_plan_dir, read_plan
from mcp_geo.plans.write import (
    from_spreadsheet_text,
    report_json,
    spreadsheet_safe,
    spreadsheet_text,
)
from mcp_geo.scenario import read_scenario


def test_round_trip(ns_plan, ns_plan_dir):
    plan = read_plan(ns_plan_dir)
    assert report_json(plan) == (ns_plan_dir / "report.json").read_text()
    assert list(plan.practices["practice_code"]) == list(ns_plan.practices["practice_code"])
    assert list(plan.practices["hub_id"]) == list(ns_plan.practices["hub_id"])
    assert plan.hubs.set_index("hub_id")["mcp_id"].to_dict() == (
        ns_plan.hubs.set_index("hub_id")["mcp_id"].to_dict()
    )
    assert plan.territories_hubs.crs.to_epsg() == 4326  # as published
    assert plan.outline.geometry.area == pytest.approx(ns_plan.outline.geometry.area, rel=1e-3)
    assert plan.metrics.pcn.adjusted_rand_index == pytest.approx(
        ns_plan.metrics.pcn.adjusted_rand_index, abs=1e-9
    )
    assert plan.scenario == ns_plan.scenario
    assert is_plan_dir(ns_plan_dir)


def _gpkg_rows(path):
    """Every row of every table of a GeoPackage, less the layers' ``last_change`` timestamps."""
    import re
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = list(db.iterdump())
    stamp = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z'")
    return [stamp.sub("'<time>'", row) for row in rows]


def test_a_read_plan_writes_the_same_files(ns_plan_dir, tmp_path):
    """read_plan(d).write(d2): every file of d2 is d's, byte for byte; plan.gpkg holds the same
    rows (SQLite's own bytes and GeoPackage's ``last_change`` timestamps aside)."""
    again = read_plan(ns_plan_dir).write(tmp_path / "again")
    names = sorted(p.name for p in ns_plan_dir.iterdir())
    assert sorted(p.name for p in again.iterdir()) == names
    for name in names:
        if name != "plan.gpkg":
            assert (again / name).read_bytes() == (ns_plan_dir / name).read_bytes(), name
    assert _gpkg_rows(again / "plan.gpkg") == _gpkg_rows(ns_plan_dir / "plan.gpkg")
    for layer in ("practices", "hubs", "mcps", "territories_hubs", "territories_mcps"):
        a = pyogrio.read_dataframe(ns_plan_dir / "plan.gpkg", layer=layer)
        b = pyogrio.read_dataframe(again / "plan.gpkg", layer=layer)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb()), layer


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


def _as_joint_plan(folder):
    """Make a plan folder say what a joint-mode plan of version 0.1 wrote (mode ``joint`` in
    scenario.toml and report.json's parameters, engine ``joint``); joint mode was removed."""
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count('\nmode = "staged"\n') == 1
    toml.write_text(text.replace('\nmode = "staged"\n', '\nmode = "joint"\n'), encoding="utf-8")
    report = folder / "report.json"
    text = report.read_text(encoding="utf-8")
    assert text.count('"mode": "staged"') == 1
    head, certificates = text.replace('"mode": "staged"', '"mode": "joint"').split('"certificates"')
    certificates = re.sub(r'"engine": "[a-z]+"', '"engine": "joint"', certificates)
    report.write_text(f'{head}"certificates"{certificates}', encoding="utf-8")


def test_a_plan_of_the_removed_joint_mode_still_reads_and_writes_back(ns_plan_dir, tmp_path):
    """Its scenario reads as staged (joint is refused for new plans), its certificates keep
    mode joint, and it writes back byte for byte: run again, it is refused saying why."""
    old = tmp_path / "old"
    shutil.copytree(ns_plan_dir, old)
    _as_joint_plan(old)
    plan = read_plan(old)
    assert plan.certificates.mode == "joint"
    assert plan.scenario.mode == "staged"
    assert plan.certificates.hubs.engine == "joint"
    assert report_json(plan) == (old / "report.json").read_text(encoding="utf-8")
    again = plan.write(tmp_path / "again")
    for name in ("report.json", "scenario.toml"):
        assert (again / name).read_bytes() == (old / name).read_bytes(), name
    with pytest.raises(ValidationError, match=r"field 'mode': joint mode was removed"):
        read_scenario(again / "scenario.toml")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=HYPERLINK(0)", "'=HYPERLINK(0)"),
        ("+44 1782 000000", "'+44 1782 000000"),
        ("-1 SURGERY", "'-1 SURGERY"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("'QUOTED", "''QUOTED"),  # one more apostrophe: read back exactly
        ("MOSS LANE SURGERY", "MOSS LANE SURGERY"),
        ("A=B", "A=B"),
        ("", ""),
    ],
)
def test_spreadsheet_text(text, written):
    assert spreadsheet_text(text) == written
    assert from_spreadsheet_text(written) == text


@given(st.text())
def test_spreadsheet_text_round_trips_and_never_starts_a_formula(text):
    written = spreadsheet_text(text)
    assert from_spreadsheet_text(written) == text
    assert not written.startswith(FORMULA_START)


def test_spreadsheet_safe_changes_names_never_codes():
    frame = pd.DataFrame(
        {"practice_code": ["-X1", "=A2"], "practice_name": ["-X1", "=A2"], "patients": [1, 2]}
    )
    safe = spreadsheet_safe(frame)
    assert list(safe["practice_code"]) == ["-X1", "=A2"]
    assert list(safe["practice_name"]) == ["'-X1", "'=A2"]
    assert list(frame["practice_name"]) == ["-X1", "=A2"]  # a copy


def _csv_rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_names_in_the_csvs_cannot_run_in_a_spreadsheet_and_read_back(ns_plan, tmp_path):
    """practices.csv, hubs.csv and exclusions.csv quote names (never codes); read_plan (names
    from the GeoPackage, exclusions from exclusions.csv) gives back the original text."""
    from mcp_geo.plans.write import write_plan

    practices = ns_plan.practices.copy()
    first, second = practices["practice_code"].iloc[:2]
    practices.loc[0, "practice_name"] = '=HYPERLINK("http://x","click")'
    practices.loc[1, "practice_name"] = "-2 SURGERY"
    hubs = ns_plan.hubs.copy()
    hubs.loc[0, "base_name"] = "@SUM(1+1)"
    exclusions = pd.DataFrame(
        {
            "practice_code": ["-X1"],
            "reason": ["closed"],
            "source": ["+sites.csv:3"],
            "detail": [""],
        }
    )
    plan = dataclasses.replace(ns_plan, practices=practices, hubs=hubs, exclusions=exclusions)
    out = write_plan(plan, tmp_path / "plan")

    names = {r["practice_code"]: r["practice_name"] for r in _csv_rows(out / "practices.csv")}
    assert names[first] == '\'=HYPERLINK("http://x","click")'
    assert names[second] == "'-2 SURGERY"
    hub_rows = {r["hub_id"]: r for r in _csv_rows(out / "hubs.csv")}
    assert hub_rows[hubs["hub_id"].iloc[0]]["base_name"] == "'@SUM(1+1)"
    assert _csv_rows(out / "exclusions.csv") == [
        {"practice_code": "-X1", "reason": "closed", "source": "'+sites.csv:3"}
    ]

    back = read_plan(out)
    assert list(back.practices["practice_name"]) == list(practices["practice_name"])
    assert list(back.hubs["base_name"]) == list(hubs["base_name"])
    assert list(back.exclusions["practice_code"]) == ["-X1"]
    assert list(back.exclusions["source"]) == ["+sites.csv:3"]


def test_changes_csv_quotes_its_names(ns_plan, tmp_path):
    """changes.csv's practice names are quoted like the plan's; codes are written as they are."""
    import mcp_geo.pipeline.compare as compare

    comparison = compare.compare_plans(ns_plan, ns_plan, a_label="a", b_label="b")
    changes = comparison.changes.copy()
    changes["practice_name"] = "=1+1"
    changes.loc[0, "practice_code"] = "-X1"
    comparison = dataclasses.replace(comparison, changes=changes)
    compare.write_comparison(comparison, tmp_path / "cmp")
    rows = _csv_rows(tmp_path / "cmp" / "changes.csv")
    assert {r["practice_name"] for r in rows} == {"'=1+1"}
    assert rows[0]["practice_code"] == "-X1"


def test_a_plan_of_sites_has_no_list_size_date_and_reads_back(planted_plan, tmp_path):
    from mcp_geo.plans.write import write_plan

    assert planted_plan.extract_date is None
    out = write_plan(planted_plan, tmp_path / "sites")
    back = read_plan(out)
    assert back.extract_date is None
    assert report_json(back) == (out / "report.json").read_text()
    assert list(back.practices["practice_name"]) == list(planted_plan.practices["practice_name"])
