"""Area rules (``hubs_within``, ``mcps_within``): hand-drawn cases whose answers are known."""

from __future__ import annotations

import pandas as pd
import pytest

from mcp_geo._errors import InfeasibleError, ValidationError
from mcp_geo.solvers._instance import Instance
from mcp_geo.solvers._prechecks import prepare
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.mcps import solve_mcps
from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

from ._helpers import line_instance

ENGINES = ("compact", "columns")


def _crossed(positions, patients, areas):
    frame, travel = line_instance(positions, patients)
    return frame.assign(sub_icb_code=frame["practice_code"].map(areas)), travel


CROSSED = {"A1": 0, "B1": 1, "A2": 10, "B2": 11}
"""Two areas, interleaved::

    km:   0    1                    10   11
          A1   B1                   A2   B2       20,000 patients each, hubs of 30k-50k
    area  A    B                    A    B

A free plan pairs neighbours across the boundary ({A1, B1}, {A2, B2}: 20,000 x 1 km each,
40,000 patient-km); within the areas the pairs are {A1, A2} and {B1, B2}: 20,000 x 10 km each,
400,000 patient-km.
"""
CROSSED_AREAS = {"A1": "A", "A2": "A", "B1": "B", "B2": "B"}


@pytest.mark.parametrize("engine", ENGINES)
def test_no_hub_mixes_two_areas_and_the_objective_is_the_hand_computed_one(engine) -> None:
    frame, travel = _crossed(CROSSED, dict.fromkeys(CROSSED, 20_000), CROSSED_AREAS)
    options = SolveOptions(engine=engine, threads=1)
    free = solve_hubs(frame, rule=HubRule(), options=options, travel=travel)
    assert free.certificate.objective == pytest.approx(40_000)
    hub_of = free.assignment.set_index("practice_code")["hub_id"]
    assert hub_of["A1"] == hub_of["B1"]  # the free plan mixes the areas
    within = solve_hubs(frame, rule=HubRule(hubs_within="sub-icb"), options=options, travel=travel)
    assert within.certificate.status == "optimal"
    assert within.certificate.objective == pytest.approx(400_000)
    hub_of = within.assignment.set_index("practice_code")["hub_id"]
    assert hub_of["A1"] == hub_of["A2"] != hub_of["B1"] == hub_of["B2"]
    assert within.parts == 2  # the areas are independent parts


def test_the_areas_make_the_decomposition_finer() -> None:
    frame, travel = _crossed(CROSSED, dict.fromkeys(CROSSED, 20_000), CROSSED_AREAS)
    codes = tuple(frame["practice_code"])
    km = travel.km
    weights = frame["patients"].to_numpy()

    def parts(areas):
        inst = Instance(codes=codes, weights=weights, km=km, lo=30_000, hi=50_000, max_km=15.0,
                        count=None, objective="weighted", strict=False, areas=areas,
                        area_level="sub-icb")  # fmt: skip
        return len(prepare(inst).parts)

    assert parts(None) == 1
    assert parts(tuple(CROSSED_AREAS[c] for c in codes)) == 2


def test_an_area_under_the_floor_is_a_named_exception_unless_strict() -> None:
    """Area B holds 10,000 patients: it cannot make a hub, though A's practices are near.

    ::

        km:   0    1    2    3
              A1   A2   B1   B2      20k 20k 5k 5k
    """
    positions = {"A1": 0, "A2": 1, "B1": 2, "B2": 3}
    patients = {"A1": 20_000, "A2": 20_000, "B1": 5_000, "B2": 5_000}
    frame, travel = _crossed(positions, patients, CROSSED_AREAS)
    sol = solve_hubs(frame, rule=HubRule(hubs_within="sub-icb"), travel=travel)
    assert [e.kind for e in sol.exceptions] == ["island_under_floor"]
    assert sol.exceptions[0].items == ("B1", "B2")
    assert sorted(sol.hubs["patients"]) == [10_000, 40_000]
    with pytest.raises(
        InfeasibleError,
        match=r"B1, B2 \(10,000 patients\) cannot reach 30,000 with anyone within 15 km in "
        r"sub-ICB B",
    ):
        solve_hubs(frame, rule=HubRule(hubs_within="sub-icb", strict=True), travel=travel)


def test_an_area_that_cannot_be_split_names_the_area() -> None:
    """Area A cannot make hubs of 30k-50k, though B's practice is 1 km away.

    ::

        km:   0    1    2                 0    1    2    3
              A1   A2   B1                A1   A2   A3   B1
             30k  25k  40k               26k  26k  26k  40k

    Left: 55,000 patients need 2 hubs and hold at most 1 (the pre-checks say so). Right: 78,000
    could be 2 hubs by the totals, but no split of three 26,000 practices makes them (the solver
    proves it).
    """
    positions = {"A1": 0, "A2": 1, "B1": 2}
    patients = {"A1": 30_000, "A2": 25_000, "B1": 40_000}
    frame, travel = _crossed(positions, patients, {"A1": "A", "A2": "A", "B1": "B"})
    with pytest.raises(
        InfeasibleError,
        match=r"sub-ICB A: the 2 practices A1, A2 \(55,000 patients\), cut off from the rest "
        r"by the 15 km limit and the sub-ICB boundaries, cannot be split into hubs of "
        r"30,000-50,000",
    ):
        solve_hubs(frame, rule=HubRule(hubs_within="sub-icb", strict=True), travel=travel)
    patients = {"A1": 26_000, "A2": 26_000, "A3": 26_000, "B1": 40_000}
    positions = {"A1": 0, "A2": 1, "A3": 2, "B1": 3}
    areas = {"A1": "A", "A2": "A", "A3": "A", "B1": "B"}
    frame, travel = _crossed(positions, patients, areas)
    with pytest.raises(
        InfeasibleError,
        match=r"the solver proved that the 3 practices A1, A2, A3 \(sub-ICB A\) cannot be split",
    ):
        solve_hubs(frame, rule=HubRule(hubs_within="sub-icb", strict=True), travel=travel)


def test_practices_with_no_area_share_hubs_only_with_each_other() -> None:
    frame, travel = _crossed(CROSSED, dict.fromkeys(CROSSED, 20_000), {"A1": "A", "A2": "A"})
    sol = solve_hubs(frame, rule=HubRule(hubs_within="sub-icb"), travel=travel)
    hub_of = sol.assignment.set_index("practice_code")["hub_id"]
    assert hub_of["A1"] == hub_of["A2"] != hub_of["B1"] == hub_of["B2"]


def test_no_mcp_mixes_hubs_of_two_areas() -> None:
    """Four hubs of 60,000 on a line; MCPs of at least 100,000. Free: {H1, H2}, {H3, H4} by
    distance, across the areas; within: {H1, H3} and {H2, H4}, 60,000 x 3 km each."""
    hubs = pd.DataFrame(
        {
            "hub_id": ["H1", "H2", "H3", "H4"],
            "base_code": ["H1", "H2", "H3", "H4"],
            "patients": [60_000] * 4,
            "sub_icb_code": ["A", "B", "A", "B"],
        }
    )
    _, travel = line_instance(
        {"H1": 0, "H2": 1, "H3": 3, "H4": 4}, dict.fromkeys(["H1", "H2", "H3", "H4"], 0)
    )
    free = solve_mcps(hubs, travel=travel)
    assert free.certificate.objective == pytest.approx(120_000)
    within = solve_mcps(hubs, rule=McpRule(mcps_within="sub-icb"), travel=travel)
    mcp_of = within.assignment.set_index("hub_id")["mcp_id"]
    assert mcp_of["H1"] == mcp_of["H3"] != mcp_of["H2"] == mcp_of["H4"]
    assert within.certificate.objective == pytest.approx(2 * 60_000 * 3)


def test_a_within_rule_names_a_known_level() -> None:
    with pytest.raises(ValidationError, match=r"keyword 'hubs_within': must be 'sub-icb', 'icb'"):
        HubRule(hubs_within="district")
    with pytest.raises(ValidationError, match=r"keyword 'mcps_within': must be 'sub-icb'"):
        McpRule(mcps_within="SUB-ICB")


def test_a_within_rule_needs_the_level_column() -> None:
    frame, travel = line_instance({"A": 0, "B": 1}, {"A": 20_000, "B": 20_000})
    with pytest.raises(ValidationError, match=r"missing column 'icb_code'"):
        solve_hubs(frame, rule=HubRule(hubs_within="icb"), travel=travel)
