"""The moves out of a reference grouping and the groups' fates (plans/reference.py), on
hand-drawn groupings, and a plan made with a reference read back from its folder."""

from __future__ import annotations

import pandas as pd
import pytest

from mcp_geo.plans.reference import (
    MOVE_COLUMNS,
    SplitRules,
    group_labels,
    moves_table,
    reference_outcome,
    split_reasons,
)


def _practices(rows: str) -> pd.DataFrame:
    """``code hub group patients`` per line (group ``-``: none)."""
    records = [line.split() for line in rows.strip().splitlines()]
    frame = pd.DataFrame(
        records, columns=["practice_code", "hub_id", "reference_group", "patients"]
    )
    frame["reference_group"] = frame["reference_group"].replace("-", None)
    frame["patients"] = frame["patients"].astype(int)
    frame["practice_name"] = "Surgery " + frame["practice_code"]
    frame["km_to_hub_base"] = 1.0
    return frame


def test_kept_split_merged_and_not_continued():
    """G1 is kept (and merged: H1 also holds r of G2), G2 split over H1 and H2, G3 not continued
    (H2 continues G2, which keeps more patients there than G3)::

        H1: p G1 10, q G1 10, r G2 5
        H2: s G2 30, t G3 20
    """
    practices = _practices(
        """
        p H1 G1 10
        q H1 G1 10
        r H1 G2 5
        s H2 G2 30
        t H2 G3 20
        """
    )
    outcome = reference_outcome(practices, source="pcn")
    assert outcome.matching == {"H1": "G1", "H2": "G2"}
    assert outcome.moved == ("r", "t")
    assert outcome.moved_patients == 25
    assert (outcome.kept, outcome.split, outcome.merged) == (("G1",), ("G2",), ("G1", "G2"))
    assert outcome.not_continued == ("G3",)
    assert outcome.line() == (
        "from today's PCNs: 2 practices (25 patients) moved; 1 of 3 PCNs kept whole, 1 split, "
        "2 merged, 1 not continued"
    )
    assert list(moves_table(practices, outcome).columns) == list(MOVE_COLUMNS)
    assert list(moves_table(practices, outcome)["practice_code"]) == ["r", "t"]


def test_minimise_practices_counts_practices_not_patients():
    """By patients H1 continues G1 (40 against 6); by practices G2 (3 against 1)::

    H1: p G1 40, q G2 2, r G2 2, s G2 2
    """
    practices = _practices(
        """
        p H1 G1 40
        q H1 G2 2
        r H1 G2 2
        s H1 G2 2
        """
    )
    by_patients = reference_outcome(practices, source="pcn")
    by_practices = reference_outcome(practices, source="pcn", minimise="practices")
    assert (by_patients.matching, by_patients.moved) == ({"H1": "G1"}, ("q", "r", "s"))
    assert (by_practices.matching, by_practices.moved) == ({"H1": "G2"}, ("p",))
    assert by_practices.to_dict()["minimise"] == "practices"


def test_a_tie_goes_to_the_lowest_hub_then_the_lowest_group():
    """Both matchings keep 20 patients; H1 takes G1::

    H1: p G1 10, q G2 10
    H2: r G1 10, s G2 10
    """
    practices = _practices(
        """
        p H1 G1 10
        q H1 G2 10
        r H2 G1 10
        s H2 G2 10
        """
    )
    outcome = reference_outcome(practices, source="pcn")
    assert outcome.matching == {"H1": "G1", "H2": "G2"}
    assert outcome.moved == ("q", "r")


def test_practices_without_a_group_never_move():
    practices = _practices(
        """
        p H1 G1 10
        q H1 - 50
        r H2 - 50
        """
    )
    outcome = reference_outcome(practices, source="plans/earlier")
    assert outcome.moved == ()
    assert (outcome.kind, outcome.source, outcome.groups) == ("plan", "earlier", 1)
    assert outcome.practices_without_group == 2
    assert outcome.to_dict()["practices_without_group"] == 2
    assert outcome.line().startswith("from the hubs of earlier: 0 practices (0 patients) moved")
    none = reference_outcome(_practices("p H1 - 5"), source="pcn")
    assert (none.moved, none.groups, none.matching) == ((), 0, {})


def test_group_labels_are_text_or_none():
    labels = group_labels(pd.Series([" U1 ", "", None, float("nan"), pd.NA, 7]))
    assert labels.tolist() == ["U1", None, None, None, None, "7"]


@pytest.fixture(scope="module")
def ref_dir(tmp_path_factory):
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    options = {
        "reference": "pcn",
        "no_mcps": True,
        "engine": "compact",
        "threads": 1,
        "time_limit": 30,
    }
    plan = run_scenario(Scenario.from_options("north-staffs", options))
    return plan, plan.write(tmp_path_factory.mktemp("ref") / "plan")


def test_a_plan_with_a_reference_reads_back_the_same(ref_dir, tmp_path):
    from mcp_geo.plans.read import read_plan
    from mcp_geo.plans.write import report_json

    plan, folder = ref_dir
    back = read_plan(folder)
    assert back.reference == plan.reference
    assert report_json(back) == (folder / "report.json").read_text(encoding="utf-8")
    assert back.practices["reference_name"].notna().all()  # kept in plan.gpkg, not the CSV
    again = back.write(tmp_path / "again")
    for name in ("practices.csv", "moves.csv", "hubs.csv", "scenario.toml"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    header = (folder / "practices.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",km_to_hub_base,reference_group")
    assert "reference_name" not in header


@pytest.mark.parametrize(
    ("sites", "north", "reason"),
    [
        (False, 0.2, "no practice of it is within 15 km of all the others"),
        (True, 0.2, "the fewest moves split it"),
        (True, 0.3, "no candidate site can be within 15 km of all its practices"),
    ],
)
def test_why_split_with_candidate_sites(sites: bool, north: float, reason: str) -> None:
    """G's two practices lie ``north`` degrees of latitude apart on one meridian (0.2: 22.2 km,
    0.3: 33.4 km great-circle), in two hubs; the limit is 15 km::

        a G (52.0, -2.0)  ...  b G (52.0 + north, -2.0)

    With practices as bases no practice of G is within 15 km of the other. With candidate
    sites, a site halfway (11.1 km from each) could base G whole at 22.2 km, so the distance
    is not why G split; at 33.4 km, more than twice the limit, no site can be.
    """
    practices = pd.DataFrame(
        {
            "practice_code": ["a", "b"],
            "reference_group": ["G", "G"],
            "patients": [20_000, 20_000],
            "latitude": [52.0, 52.0 + north],
            "longitude": [-2.0, -2.0],
        }
    )
    rules = SplitRules(hub_max=50_000, max_km=15.0, hubs_within=None, whole=False, sites=sites)
    assert split_reasons(practices, ("G",), rules=rules)["G"].startswith(reason)
