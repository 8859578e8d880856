"""Practices and patients by official area: report.json's ``metrics.by_area``, the printed summary
and the map's panel (issue 19, point 2)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mcp_geo.plans.by_area import AreaBreakdown, area_breakdown, combine_breakdowns
from tests.checker import check_plan


def _frame() -> pd.DataFrame:
    """Four practices in two ICBs; one has no 2019 CCG (blank), one no sub-ICB name::

    practice  patients  sub_icb  icb  ccg19
    P1        10        05W      QNC  05W
    P2        20        05G      QNC  05G
    P3        5         M2L0M    QOC  (blank)
    P4        7         05G      QNC  05G
    """
    return pd.DataFrame(
        {
            "practice_code": ["P1", "P2", "P3", "P4"],
            "patients": [10, 20, 5, 7],
            "sub_icb_code": ["05W", "05G", "M2L0M", "05G"],
            "sub_icb_name": ["Stoke", "North Staffs", None, "North Staffs"],
            "sub_icb_ons_code": ["E38000175", "E38000126", "E38000257", "E38000126"],
            "icb_code": ["QNC", "QNC", "QOC", "QNC"],
            "icb_name": ["Staffs", "Staffs", "Shrops", "Staffs"],
            "ccg19_code": ["05W", "05G", " ", "05G"],
            "ccg19_name": ["Stoke CCG", "North Staffs CCG", None, "North Staffs CCG"],
        }
    )


def test_hand_drawn_breakdown():
    b = area_breakdown(_frame())
    assert [level for level, _ in b.levels] == ["sub_icb", "icb", "ccg19"]
    sub = [(a.code, a.ons_code, a.name, a.practices, a.patients) for a in b.areas("sub_icb")]
    assert sub == [
        ("05G", "E38000126", "North Staffs", 2, 27),
        ("05W", "E38000175", "Stoke", 1, 10),
        ("M2L0M", "E38000257", None, 1, 5),
    ]
    ccg = [(a.code, a.practices, a.patients) for a in b.areas("ccg19")]
    assert ccg == [("05G", 2, 27), ("05W", 1, 10), (None, 1, 5)]  # no code: last
    for _, areas in b.levels:
        assert sum(a.patients for a in areas) == 42
        assert sum(a.practices for a in areas) == 4
    assert AreaBreakdown.from_dict(json.loads(json.dumps(b.to_dict()))) == b
    assert b.lines()[0] == "by Sub-ICB location (CCG before July 2022):"
    assert "  05G North Staffs: 2 practices, 27 patients" in b.lines()
    assert (
        b.headline()
        == "patients by Sub-ICB location (CCG before July 2022): 05G 27, 05W 10, M2L0M 5"
    )


def test_breakdowns_of_footprints_add_up():
    """A national plan's breakdown: P1-P2 in one footprint, P3-P4 in another; Sub-ICB 05G has
    P2 (20) in the first and P4 (7) in the second: 2 practices, 27 patients."""
    frame = _frame()
    first = area_breakdown(frame.iloc[:2])
    second = area_breakdown(frame.iloc[2:])
    together = combine_breakdowns([first, None, second])
    assert together == area_breakdown(frame)
    assert combine_breakdowns([None]) is None


def test_no_areas_no_breakdown():
    """A footprint of the user's own sites has no official areas."""
    frame = _frame()[["practice_code", "patients"]]
    assert area_breakdown(frame) is None
    assert area_breakdown(frame.assign(icb_code=None)) is None


def test_a_plan_reports_by_area(ns_plan, ns_plan_dir, capsys):
    from mcp_geo.plans.read import read_plan

    by_area = ns_plan.metrics.by_area
    assert [level for level, _ in by_area.levels] == ["sub_icb", "icb", "ccg19"]
    for _, areas in by_area.levels:
        assert sum(a.patients for a in areas) == ns_plan.metrics.patients
        assert sum(a.practices for a in areas) == ns_plan.metrics.practices
    assert [a.code for a in by_area.areas("sub_icb")] == ["05G", "05W"]
    assert [a.code for a in by_area.areas("icb")] == ["QNC"]
    report = json.loads((ns_plan_dir / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["by_area"] == by_area.to_dict()
    assert read_plan(ns_plan_dir).metrics.by_area == by_area
    assert check_plan(ns_plan_dir) == []


def test_the_panel_gives_the_areas(ns_plan):
    from mcp_geo.maps._panel import panel_html

    assert ns_plan.metrics.by_area.headline() in panel_html(ns_plan)
    assert "patients by Sub-ICB location" in panel_html(ns_plan)


def test_the_printed_summary_counts_areas_and_exclusions(ns_plan, capsys):
    from mcp_geo.cli._print import _print_summary

    _print_summary(ns_plan, "out")
    out = capsys.readouterr().out
    assert "by ICB (STP before July 2022):" in out
    for area in ns_plan.metrics.by_area.areas("sub_icb"):
        assert f"  {area.code} {area.name}: {area.practices:,} practices, " in out
    assert "excluded: " in out


def test_central_sussex_by_2019_ccg(bundled_data):
    """The Alliance spoke of 778,000 people; the five CCGs hold 1,117,425 registered patients in
    April 2025, and the four other than Brighton and Hove (09D) 784,044."""
    from mcp_geo.practices import select_footprint

    practices = select_footprint(bundled_data, "central-sussex-east-surrey").practices
    by_area = area_breakdown(practices)
    ccgs = {a.code: a for a in by_area.areas("ccg19")}
    assert sorted(ccgs) == ["09D", "09H", "09L", "09X", "99K"]
    assert sum(a.patients for a in ccgs.values()) == 1_117_425
    assert sum(a.patients for code, a in ccgs.items() if code != "09D") == 784_044
    assert ccgs["09D"].name == "NHS Brighton and Hove CCG"
    assert [a.code for a in by_area.areas("icb")] == ["QNX", "QXU"]


@pytest.mark.slow
def test_central_sussex_plan_reports_784044(tmp_path, capsys):
    """The real case end to end: `plan central-sussex-east-surrey --no-mcps` prints the 2019 CCGs
    and writes them in report.json (hubs only: about 5 s)."""
    from mcp_geo.cli import main

    out = tmp_path / "cs"
    argv = ["plan", "central-sussex-east-surrey", "--out", str(out), "--no-mcps", "-q"]
    assert main([*argv, "--gap", "0.005", "--time-limit", "120"]) == 0
    printed = capsys.readouterr().out
    assert "  09D NHS Brighton and Hove CCG: 31 practices, 333,381 patients" in printed
    assert "excluded: none (every practice of the footprint is planned)" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    ccgs = report["metrics"]["by_area"]["ccg19"]
    assert sum(a["patients"] for a in ccgs if a["code"] != "09D") == 784_044
    assert check_plan(out) == []
