"""Pre-checks: what no plan can satisfy, explained with names and numbers, before any model."""

from __future__ import annotations

import pandas as pd
import pytest

from mcp_geo._errors import InfeasibleError, Relaxation, ValidationError, cli_name
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

from ._helpers import line_instance


def _solve(positions, patients, **rule):
    frame, travel = line_instance(positions, patients)
    return solve_hubs(frame, rule=HubRule(**rule), travel=travel)


def test_practice_over_the_ceiling_is_a_hub_of_its_own() -> None:
    """::

    km:  0    1    2
         A    B    C
        52k  20k  15k     hubs of 30k-50k
    """
    sol = _solve({"A": 0, "B": 1, "C": 2}, {"A": 52_000, "B": 20_000, "C": 15_000})
    hubs = sol.hubs.set_index("base_code")
    assert hubs.loc["A", "practices"] == 1
    assert "over the ceiling" in hubs.loc["A", "exception"]
    assert sorted(sol.hubs.patients) == [35_000, 52_000]
    assert [e.kind for e in sol.exceptions] == ["over_ceiling"]
    assert sol.exceptions[0].items == ("A",)
    assert sol.certificate.status == "optimal"


def test_practice_over_the_ceiling_is_an_error_when_strict() -> None:
    with pytest.raises(InfeasibleError, match=r"over the ceiling \(A has 52,556 patients"):
        _solve({"A": 0, "B": 1}, {"A": 52_556, "B": 40_000}, strict=True)


def test_isolated_group_under_the_floor_is_one_undersized_hub() -> None:
    """D and E are 40 km from the rest: 20k together, under the floor.

    ::

        km:  0    1    2                                  40   41
             A    B    C                                   D    E
            12k  10k  13k                                 9k   11k
    """
    sol = _solve(
        {"A": 0, "B": 1, "C": 2, "D": 40, "E": 41},
        {"A": 12_000, "B": 10_000, "C": 13_000, "D": 9_000, "E": 11_000},
    )
    assert len(sol.hubs) == 2
    island = sol.hubs[sol.hubs.exception.notna()].iloc[0]
    assert island.patients == 20_000
    assert "isolated group under the floor: D, E (20,000 patients)" in island.exception
    assert sol.exceptions[0].kind == "island_under_floor"
    with pytest.raises(InfeasibleError, match=r"isolated group under the floor: D, E"):
        _solve(
            {"A": 0, "B": 1, "C": 2, "D": 40, "E": 41},
            {"A": 12_000, "B": 10_000, "C": 13_000, "D": 9_000, "E": 11_000},
            strict=True,
        )


def test_an_island_no_base_serves_whole_gets_its_least_exception_plan() -> None:
    """No base reaches 30,000 within 15 km, yet no one base serves all four: the least total
    below the floor is two hubs of 18,000 + 18,000 or 27,000 + 9,000 (24,000 short either way),
    not four hubs of one practice (84,000 short).

    ::

        km:  0    12    24    36
             A    B     C     D
            9k   9k    9k    9k
    """
    positions = {"A": 0, "B": 12, "C": 24, "D": 36}
    patients = dict.fromkeys(positions, 9_000)
    sol = _solve(positions, patients)
    assert len(sol.hubs) == 2
    assert {e.kind for e in sol.exceptions} == {"under_floor"}
    assert sum(e.shortfall for e in sol.exceptions) == 24_000
    stages = {s.name: s for s in sol.certificate.stages}
    assert stages["shortfall"].objective == pytest.approx(24_000)
    assert stages["shortfall"].status == "optimal"
    with pytest.raises(InfeasibleError, match=r"isolated group under the floor: A, B, C, D"):
        _solve(positions, patients, strict=True)


def test_lone_practice_with_no_partner_within_reach() -> None:
    sol = _solve({"A": 0, "B": 1, "C": 30}, {"A": 20_000, "B": 20_000, "C": 5_000})
    exc = sol.hubs.set_index("base_code").loc["C", "exception"]
    assert "cannot reach 30,000 with anyone within 15 km" in exc


def test_group_that_no_split_can_cover_names_the_limit_to_relax() -> None:
    """Two practices, 55k together: one hub holds at most 50k, two need at least 60k."""
    with pytest.raises(
        InfeasibleError,
        match=(
            r"the 2 practices A, B \(55,000 patients\).*cannot be split into hubs of "
            r"30,000-50,000: 1 hubs hold at most 50,000 and 2 need at least 60,000; lower the "
            r"floor to 27,500 or raise the ceiling to 55,000"
        ),
    ) as info:
        _solve({"A": 0, "B": 1}, {"A": 27_000, "B": 28_000}, strict=True)
    assert info.value.level == "hubs"
    assert info.value.relax == (
        Relaxation("hub_min", "lower", 27_500),
        Relaxation("hub_max", "raise", 55_000),
        Relaxation("max_km", "raise"),
    )
    assert info.value.message(cli_name).endswith(
        ": lower --hub-min to 27,500 or raise --hub-max to 55,000 or raise --max-km"
    )


def test_footprint_under_the_floor_when_strict() -> None:
    with pytest.raises(
        InfeasibleError,
        match=r"the footprint has 25,000 patients, under the "
        r"hub floor of 30,000",
    ) as info:
        _solve({"A": 0, "B": 1}, {"A": 10_000, "B": 15_000}, strict=True)
    assert Relaxation("hub_min", "lower", 25_000) in info.value.relax


def test_fixed_count_that_cannot_hold_the_footprint() -> None:
    positions = {f"P{k:02d}": float(k % 5) for k in range(23)}
    patients = dict.fromkeys(positions, 48584)  # 23 x 48,584 = 1,117,432
    with pytest.raises(
        InfeasibleError,
        match=r"20 hubs of at most 50,000 patients hold at most "
        r"1,000,000; the footprint has 1,117,432",
    ) as info:
        _solve(positions, patients, hubs=20, max_km=None)
    assert info.value.relax == (
        Relaxation("hubs", "raise", 23),
        Relaxation("hub_max", "raise", 55_872),
    )


def test_fixed_count_that_the_parts_cannot_reach() -> None:
    with pytest.raises(
        InfeasibleError,
        match=r"3 hubs cannot be reached: the rules allow "
        r"between 2 and 2",
    ) as excinfo:
        _solve(
            {"A": 0, "B": 1, "C": 50, "D": 51},
            {"A": 20_000, "B": 20_000, "C": 20_000, "D": 20_000},
            hubs=3,
            max_km=5,
            hub_min=25_000,
        )
    assert excinfo.value.relax == (Relaxation("hubs", "lower", 2),)


def test_bad_input_lists_every_problem() -> None:
    frame = pd.DataFrame(
        {
            "practice_code": ["A", "A", ""],
            "patients": [1, -2, 3.5],
            "latitude": [52.0, 95.0, 52.0],
            "longitude": [-2.0, -2.0, -2.0],
        }
    )
    with pytest.raises(
        ValidationError,
        match=r"(?s)5 problems.*codes must be non-empty.*"
        r"codes must be unique.*whole number.*"
        r"whole number.*latitude",
    ):
        solve_hubs(frame)
    with pytest.raises(ValidationError, match=r"missing column 'patients'"):
        solve_hubs(pd.DataFrame({"practice_code": ["A"]}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hub_min": -1}, r"hub_min.*must be a whole number of patients >= 0"),
        ({"hub_min": 60_000}, r"hub_max.*must be >= hub_min \(60000\)"),
        ({"max_km": -3.0}, r"max_km.*a distance in km > 0"),
        ({"hubs": 0}, r"hubs.*whole number >= 1"),
        ({"objective": "fastest"}, r"objective.*'weighted' or 'distance'"),
    ],
)
def test_hub_rule_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        HubRule(**kwargs)


def test_mcp_rule_and_options_validation() -> None:
    assert McpRule().mcp_max is None
    assert HubRule(hub_min=0).hub_min == 0  # a floor of 0 is valid
    with pytest.raises(ValidationError, match=r"2 problems"):
        SolveOptions(engine="fast", gap=2.0)
    with pytest.raises(ValidationError, match=r"time_limit"):
        SolveOptions(time_limit=0)
    with pytest.raises(ValidationError, match=r"threads"):
        SolveOptions(threads=0)
    with pytest.raises(ValidationError, match=r"solver.*'highs' or 'cbc'"):
        SolveOptions(solver="gurobi")


def test_count_window_numbers() -> None:
    """(W1)-(W2) of :mod:`mcp_geo.solvers._window` with staffs-shropshire's numbers: 1,691,111
    patients in 34 hubs of 30,000-50,000 need hubs of at least 41,111; 35 tighten nothing; near
    the most hubs the ceiling comes down instead (56 hubs: at most 41,111)."""
    import dataclasses

    import numpy as np

    from mcp_geo.solvers._instance import Instance, Part
    from mcp_geo.solvers._window import count_window, under_window

    weights = np.array([1_691_111 - 40 * 40_000] + [40_000] * 40, dtype=np.int64)
    n = len(weights)
    inst = Instance(
        codes=tuple(f"P{k:02d}" for k in range(n)),
        weights=weights,
        km=np.zeros((n, n)),
        lo=30_000,
        hi=50_000,
        max_km=None,
        count=None,
        objective="weighted",
        strict=False,
    )
    part = Part(items=np.arange(n, dtype=np.int64), lo=30_000)
    tight = count_window(inst, dataclasses.replace(part, count=34))
    assert (tight.lo, tight.ceiling(inst)) == (41_111, 50_000)
    assert len(under_window(inst, tight)) == 0  # every item reaches everyone here
    assert count_window(inst, dataclasses.replace(part, count=35)).lo == 30_000
    assert count_window(inst, dataclasses.replace(part, count=56)).ceiling(inst) == 41_111
    assert count_window(inst, part) is part  # no count: nothing to tighten
