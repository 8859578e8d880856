"""Named exceptions as data: report.json's objects, hubs.csv's and mcps.csv's columns, read back,
and checked by the plan checker (DESIGN.md "Hub" exceptions and "Outputs").

The hand-drawn sites (hubs of 30,000-50,000 within 15 km; clusters about 55 km apart)::

    C1 10,000                      isolated: nobody within 15 km -> shortfall 20,000
      |  ~55 km
    B1 60,000                      over the ceiling: a hub on its own
      |  ~55 km
    A1 25,000  A2 18,000  A3 12,000   55,000 within 2 km: one hub > 50,000, two < 60,000;
                                       least shortfall: {A2, A3} 30,000 + {A1} 25,000 -> 5,000
    ...~55 km east: D1 20,000  D2 20,000   one hub of 40,000, within the rules

Every other split of A leaves more below the floor ({A1, A3} + {A2}: 12,000; {A1, A2} + {A3}:
18,000), so the under-floor hub and its shortfall are known.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import mcp_geo
from mcp_geo._errors import ValidationError
from mcp_geo.plans.exceptions import NamedException, from_text
from mcp_geo.plans.plan import HUB_COLUMNS, MCP_COLUMNS
from tests.checker import check_plan

SITES = [
    ("A1", 25_000, 52.000, -2.000),
    ("A2", 18_000, 52.010, -2.000),
    ("A3", 12_000, 52.000, -2.015),
    ("B1", 60_000, 52.500, -2.000),
    ("C1", 10_000, 53.000, -2.000),
    ("D1", 20_000, 52.000, -1.200),
    ("D2", 20_000, 52.010, -1.200),
]
FAST = {"engine": "compact", "threads": 1}


def _sites(folder: Path, rows: list[tuple[str, int, float, float]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sites.csv"
    frame = pd.DataFrame(rows, columns=["practice_code", "patients", "latitude", "longitude"])
    frame.to_csv(path, index=False)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def hub_plan(tmp_path_factory):
    """The hand-drawn sites planned without MCPs, and the folder written."""
    folder = tmp_path_factory.mktemp("exceptions")
    plan = mcp_geo.plan(str(_sites(folder, SITES)), no_mcps=True, **FAST)
    return plan, plan.write(folder / "plan")


def test_each_exception_is_named_with_its_kind_and_shortfall(hub_plan) -> None:
    _, out = hub_plan
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    named = {e["practices"][0]: e for e in report["exceptions"]}
    assert [e["kind"] for e in report["exceptions"]] == ["under_floor", "over_ceiling", "isolated"]
    assert [e["hub_id"] for e in report["exceptions"]] == sorted(named[c]["hub_id"] for c in named)
    a1, b1, c1 = named["A1"], named["B1"], named["C1"]
    assert (a1["kind"], a1["patients"], a1["shortfall"], a1["practices"]) == (
        "under_floor", 25_000, 5_000, ["A1"],
    )  # fmt: skip
    assert a1["reason"] == (
        "under the floor by 5,000 patients: no plan of these 3 practices within 15 km reaches "
        "30,000 everywhere"
    )
    assert (b1["kind"], b1["patients"], b1["shortfall"]) == ("over_ceiling", 60_000, None)
    assert (c1["kind"], c1["patients"], c1["shortfall"]) == ("isolated", 10_000, 20_000)
    assert set(a1) == {"level", "hub_id", "kind", "patients", "shortfall", "practices", "reason"}
    stages = report["certificates"]["hubs"]["stages"]
    assert (stages[0]["name"], stages[0]["objective"], stages[0]["status"]) == (
        "shortfall", 5_000, "optimal",
    )  # fmt: skip
    assert check_plan(out) == []


def test_hubs_csv_gains_the_columns_and_mcps_csv_does_not(hub_plan) -> None:
    _, out = hub_plan
    header = (out / "hubs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [*HUB_COLUMNS, "exception", "shortfall"]
    by_base = {
        r["base_code"]: (r["patients"], r["exception"], r["shortfall"])
        for r in _rows(out / "hubs.csv")
    }
    assert by_base == {
        "A1": ("25000", "under_floor", "5000"),
        "A2": ("30000", "", ""),
        "B1": ("60000", "over_ceiling", ""),
        "C1": ("10000", "isolated", "20000"),
        "D1": ("40000", "", ""),
    }
    mcps = (out / "mcps.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert mcps == list(MCP_COLUMNS)  # no MCP is an exception (there are none)


def test_exceptions_read_back_and_write_the_same_files(hub_plan, tmp_path) -> None:
    plan, out = hub_plan
    again = mcp_geo.read_plan(out)
    assert again.exceptions == plan.exceptions
    assert all(isinstance(e, NamedException) for e in again.exceptions)
    hubs = again.hubs.set_index("base_code")
    assert hubs.loc["A1", "exception"] == "under_floor"
    assert hubs.loc["A1", "shortfall"] == 5_000
    assert hubs.loc["A2", "exception"] is None
    assert pd.isna(hubs.loc["B1", "shortfall"])
    copy = again.write(tmp_path / "again")
    for name in ("hubs.csv", "mcps.csv", "practices.csv", "report.json"):
        assert (copy / name).read_bytes() == (out / name).read_bytes(), name
    assert plan.exceptions[0].text.startswith(f"{plan.exceptions[0].group_id} (A1; 25,000 ")


def _broken(out: Path, tmp_path: Path, change) -> Path:
    """A copy of the plan folder with ``change(report, hubs)`` applied to report.json and
    hubs.csv (as rows of text)."""
    copy = tmp_path / "broken"
    shutil.copytree(out, copy)
    report = json.loads((copy / "report.json").read_text(encoding="utf-8"))
    hubs = _rows(copy / "hubs.csv")
    change(report, hubs)
    (copy / "report.json").write_text(json.dumps(report), encoding="utf-8")
    with open(copy / "hubs.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(hubs[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(hubs)
    return copy


def test_the_checker_rejects_an_unnamed_hub_outside_the_bounds(hub_plan, tmp_path) -> None:
    _, out = hub_plan

    def unnamed(report, hubs):
        report["exceptions"] = [e for e in report["exceptions"] if e["kind"] != "under_floor"]
        for row in hubs:
            if row["exception"] == "under_floor":
                row["exception"] = row["shortfall"] = ""

    errors = check_plan(_broken(out, tmp_path, unnamed))
    assert any("25000 patients outside the bounds, no exception" in e for e in errors)


def test_the_checker_rejects_a_wrong_shortfall_or_kind(hub_plan, tmp_path) -> None:
    _, out = hub_plan

    def short(report, hubs):
        report["exceptions"][0]["shortfall"] = 4_000

    errors = check_plan(_broken(out, tmp_path / "a", short))
    assert any("under_floor with shortfall 4000, but has 25,000 of 30,000" in e for e in errors)
    assert any("columns say ('under_floor', 5000)" in e for e in errors)

    def kind(report, hubs):
        report["exceptions"][2]["kind"] = "over_ceiling"  # C1: isolated, under the floor
        report["exceptions"][2]["shortfall"] = None
        for row in hubs:
            if row["exception"] == "isolated":
                row["exception"], row["shortfall"] = "over_ceiling", ""

    errors = check_plan(_broken(out, tmp_path / "b", kind))
    assert any("over_ceiling, but 10000 patients in 1" in e for e in errors)

    def no_columns(report, hubs):
        for row in hubs:
            del row["exception"], row["shortfall"]

    errors = check_plan(_broken(out, tmp_path / "c", no_columns))
    assert any("hubs: 3 exception(s) but columns" in e for e in errors)


def test_mcp_exceptions_are_named_in_mcps_csv(tmp_path) -> None:
    """One level up: the four groups of hubs are more than 20 km apart, so each is an isolated
    MCP under the floor of 100,000; and four hubs of 45,000, 45,000, 31,000 and 31,000 within
    reach but an MCP ceiling of 120,000 (one MCP: 152,000; two need 200,000): a least-exception
    MCP plan, 48,000 below the floor in all (any split of 152,000 into two MCPs under 120,000)."""
    plan = mcp_geo.plan(str(_sites(tmp_path / "a", SITES)), mcp_max_km=20, **FAST)
    out = plan.write(tmp_path / "a" / "plan")
    assert check_plan(out) == []
    mcps = _rows(out / "mcps.csv")
    assert [(r["patients"], r["exception"], r["shortfall"]) for r in mcps] == [
        ("55000", "isolated", "45000"),
        ("60000", "isolated", "40000"),
        ("10000", "isolated", "90000"),
        ("40000", "isolated", "60000"),
    ]
    first = next(e for e in plan.exceptions if e.level == "mcps")
    assert (first.hubs, first.practices) == (("H01", "H02"), ("A1", "A2", "A3"))

    far = [("E1", 45_000, 52.0, -2.0), ("E2", 45_000, 52.05, -2.0)]
    far += [("E3", 31_000, 52.0, -2.05), ("E4", 31_000, 52.05, -2.05)]
    plan = mcp_geo.plan(str(_sites(tmp_path / "b", far)), mcp_max=120_000, **FAST)
    out = plan.write(tmp_path / "b" / "plan")
    assert check_plan(out) == []
    under = [e for e in plan.exceptions if e.level == "mcps"]
    assert [e.kind for e in under] == ["under_floor", "under_floor"]
    assert sum(e.shortfall or 0 for e in under) == 48_000
    stage = plan.certificates.mcps.stages[0]
    assert (stage.name, stage.objective, stage.status) == ("shortfall", 48_000, "optimal")
    assert "exception" not in _rows(out / "hubs.csv")[0]  # the hubs are all within the rules


def test_a_plan_without_exceptions_writes_the_files_as_before(tmp_path) -> None:
    rows = [r for r in SITES if r[0].startswith("D")]
    out = mcp_geo.plan(str(_sites(tmp_path, rows)), no_mcps=True, **FAST).write(tmp_path / "p")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["exceptions"] == []
    assert (out / "hubs.csv").read_text().splitlines()[0].split(",") == list(HUB_COLUMNS)
    assert check_plan(out) == []


def test_a_report_of_an_earlier_version_reads_back(hub_plan, tmp_path) -> None:
    """Before exceptions were data, report.json held one line of text for each."""
    plan, out = hub_plan
    old = tmp_path / "old"
    shutil.copytree(out, old)
    report = json.loads((old / "report.json").read_text(encoding="utf-8"))
    report["exceptions"] = [e.text for e in plan.exceptions]
    (old / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert mcp_geo.read_plan(old).exceptions == plan.exceptions
    report["exceptions"] = ["something else"]
    (old / "report.json").write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(ValidationError, match="an exception cannot be read: not an exception"):
        mcp_geo.read_plan(old)


def test_from_text_reads_each_kind() -> None:
    over = from_text("H15 (Y01929; 52,556 patients): practice over the ceiling (Y01929 ...)")
    assert (over.level, over.kind, over.patients, over.shortfall) == (
        "hubs", "over_ceiling", 52_556, None,
    )  # fmt: skip
    under = from_text("QOC-H14 (M82004, M82041, M82601; 28,737 patients): under the floor by "
                      "1,263 patients: no plan of these 49 practices ...")  # fmt: skip
    assert (under.group_id, under.kind, under.shortfall) == ("QOC-H14", "under_floor", 1_263)
    assert under.practices == ("M82004", "M82041", "M82601")
    assert under.prefixed("X").group_id == "X-QOC-H14"
