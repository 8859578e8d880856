"""Base rules: a hub's base must be a practice of at least ``base_min_patients``, an MCP's base a
hub whose base practice has at least ``mcp_base_min_patients``; every engine respects them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_geo._errors import InfeasibleError, ValidationError
from mcp_geo.boundaries.distances import SiteTravel, TravelMatrix
from mcp_geo.solvers._core import ENGINES as ENGINE_TABLE
from mcp_geo.solvers._core import solve_instance
from mcp_geo.solvers._greedy import greedy_plan, local_search
from mcp_geo.solvers._instance import Instance
from mcp_geo.solvers._prechecks import no_base
from mcp_geo.solvers.hubs import practices_without_base, solve_hubs
from mcp_geo.solvers.mcps import solve_mcps
from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

from ._helpers import brute_force, line_instance

ENGINES = sorted(ENGINE_TABLE)

LINE = {"A": 0.0, "B": 1.0, "C": 2.0, "D": 3.0}
SIZES = {"A": 5_000, "B": 12_000, "C": 8_000, "D": 10_000}


def _solve(engine: str, *, positions=LINE, patients=SIZES, **rule):
    frame, travel = line_instance(positions, patients)
    return solve_hubs(
        frame,
        rule=HubRule(**rule),
        options=SolveOptions(engine=engine, threads=1),
        travel=travel,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_base_moves_to_a_practice_big_enough(engine: str) -> None:
    """One hub of 35,000; the free optimum bases it on C (8,000 patients).

    ::

        km:   0      1      2      3
              A      B      C      D
             5k     12k     8k    10k

    Patients x km to each base (thousands): A 58, B 5+8+20 = 33, C 10+12+10 = 32, D 47. With
    ``base_min_patients`` 10,000 only B and D may be bases: B, at 33,000.
    """
    free = _solve(engine)
    assert free.hubs["base_code"].tolist() == ["C"]
    assert free.certificate.objective == pytest.approx(32_000)
    ruled = _solve(engine, base_min_patients=10_000)
    assert ruled.hubs["base_code"].tolist() == ["B"]
    assert ruled.certificate.objective == pytest.approx(33_000)
    assert ruled.certificate.status == "optimal"
    assert ruled.assignment.set_index("practice_code")["km_to_base"].to_dict() == {
        "A": 1.0,
        "B": 0.0,
        "C": 1.0,
        "D": 2.0,
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_two_hubs_each_on_a_big_practice(engine: str) -> None:
    """Two towns 20 km apart; each hub's base is its town's one practice of 10,000 or more.

    ::

        km:   0    1    2                20   21   22
              A    B    C                D    E    F
             11k  9k   12k              14k  8k   9k
    """
    positions = {"A": 0, "B": 1, "C": 2, "D": 20, "E": 21, "F": 22}
    patients = {"A": 11_000, "B": 9_000, "C": 12_000, "D": 14_000, "E": 8_000, "F": 9_000}
    free = _solve(engine, positions=positions, patients=patients, hub_min=30_000)
    assert sorted(free.hubs["base_code"]) == ["B", "E"]
    ruled = _solve(
        engine, positions=positions, patients=patients, hub_min=30_000, base_min_patients=11_500
    )
    assert sorted(ruled.hubs["base_code"]) == ["C", "D"]
    # A and B to C: 11k x 2 + 9k x 1; E and F to D: 8k x 1 + 9k x 2
    assert ruled.certificate.objective == pytest.approx(31_000 + 26_000)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 10_000))
@pytest.mark.parametrize("engine", ENGINES)
def test_random_instances_with_a_base_rule_match_brute_force(engine: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    xy = rng.uniform(0, 12, (n, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    weights = rng.integers(4, 18, n).astype(np.int64)
    base_ok = weights >= 10
    inst = Instance(
        codes=tuple(f"P{k}" for k in range(n)),
        weights=weights,
        km=km,
        lo=25,
        hi=45,
        max_km=9.0,
        count=None,
        objective="weighted",
        strict=False,
        base_ok=base_ok,
        base_rule="an item of at least 10",
    )
    best = brute_force(weights, km, 25, 45, 9.0, base_ok=base_ok)
    try:
        result = solve_instance(inst, options=SolveOptions(engine=engine, threads=1))
    except InfeasibleError:
        assert best is None or no_base(inst)
        return
    bases = set(result.base_of.tolist())
    if result.exceptions:  # an island: undersized, but its base is still allowed
        assert all(base_ok[b] for b in bases)
        return
    assert best is not None
    assert all(base_ok[b] for b in bases)
    assert result.certificate.objective == pytest.approx(best)


def test_greedy_and_local_search_never_open_a_small_base() -> None:
    """The warm start and its polish read the bases from the diagonal of ``allowed``."""
    frame, travel = line_instance(LINE, SIZES)
    inst = Instance(
        codes=tuple(frame.practice_code),
        weights=frame.patients.to_numpy(np.int64),
        km=travel.km,
        lo=30_000,
        hi=50_000,
        max_km=15.0,
        count=None,
        objective="weighted",
        strict=False,
        base_ok=frame.patients.to_numpy() >= 10_000,
    )
    start = greedy_plan(inst.weights, inst.cost, inst.allowed, lo=30_000, hi=50_000)
    assert start is not None
    polished = local_search(
        start, inst.weights, inst.cost, allowed=inst.allowed, lo=30_000, hi=50_000
    )
    assert {inst.codes[b] for b in start} <= {"B", "D"}
    assert {inst.codes[b] for b in polished} == {"B"}


def test_practice_with_no_allowed_base_is_named() -> None:
    """E is 40 km from the rest and too small to be a base itself.

    ::

        km:   0    1    2    3                     40
              A    B    C    D                      E
             5k   12k   8k  10k                    3k
    """
    positions = {**LINE, "E": 40.0}
    patients = {**SIZES, "E": 3_000}
    frame, travel = line_instance(positions, patients)
    rule = HubRule(base_min_patients=10_000)
    left_out = practices_without_base(frame, rule=rule, travel=travel)
    assert left_out["practice_code"].tolist() == ["E"]
    assert left_out["reason"].iloc[0] == (
        "no allowed base within 15 km (a practice of at least 10,000 patients): nearest "
        "candidate D (10,000 patients) at 37.0 km"
    )
    with pytest.raises(InfeasibleError, match=r"E: no allowed base within 15 km") as info:
        solve_hubs(frame, rule=rule, travel=travel)
    assert {r.option for r in info.value.relax} == {"max_km", "base_min_patients"}
    assert practices_without_base(frame, rule=HubRule(), travel=travel).empty


def test_too_few_allowed_bases_for_the_hubs_needed() -> None:
    """90,000 patients need two hubs of at most 50,000, but only B may be a base."""
    positions = {"A": 0, "B": 1, "C": 2, "D": 3}
    patients = {"A": 20_000, "B": 30_000, "C": 20_000, "D": 20_000}
    with pytest.raises(
        InfeasibleError, match=r"need at least 2 hubs .* only 1 of them can be a base"
    ):
        _solve("compact", positions=positions, patients=patients, base_min_patients=25_000)


def test_base_rule_options_are_validated() -> None:
    with pytest.raises(ValidationError, match=r"base_min_patients.*must be <= hub_max \(50000\)"):
        HubRule(base_min_patients=60_000)
    with pytest.raises(ValidationError, match=r"base_min_patients.*whole number of patients >= 1"):
        HubRule(base_min_patients=0)
    with pytest.raises(ValidationError, match=r"mcp_base_min_patients.*whole number"):
        McpRule(mcp_base_min_patients=1.5)  # type: ignore[arg-type]


def _hub_frame(base_patients: list[int]) -> tuple[pd.DataFrame, TravelMatrix]:
    """Four hubs of 30,000 on a line, 5 km apart (their bases' codes X0-X3)."""
    codes = [f"X{k}" for k in range(4)]
    x = np.arange(4) * 5.0
    frame = pd.DataFrame(
        {
            "hub_id": [f"H{k}" for k in range(4)],
            "patients": [30_000] * 4,
            "base_code": codes,
            "base_patients": base_patients,
        }
    )
    km = np.abs(x[:, None] - x[None, :])
    return frame, TravelMatrix(codes=tuple(codes), km=km, source="test line km")


@pytest.mark.parametrize("engine", ENGINES)
def test_mcp_base_is_a_hub_with_a_big_base_practice(engine: str) -> None:
    """One MCP of 120,000: free, its base is a middle hub (H1 or H2: 30k x (5+5+10)); with
    ``mcp_base_min_patients`` 15,000 only H3 (an end, 30k x (15+10+5)) qualifies."""
    frame, travel = _hub_frame([9_000, 12_000, 11_000, 16_000])
    options = SolveOptions(engine=engine, threads=1)
    rule = McpRule(mcp_min=100_000)
    free = solve_mcps(frame, rule=rule, options=options, travel=travel)
    assert free.certificate.objective == pytest.approx(600_000)
    ruled = solve_mcps(
        frame,
        rule=McpRule(mcp_min=100_000, mcp_base_min_patients=15_000),
        options=options,
        travel=travel,
    )
    assert ruled.mcps["base_hub_id"].tolist() == ["H3"]
    assert ruled.certificate.objective == pytest.approx(900_000)


def test_mcp_base_rule_needs_the_base_practices_patients() -> None:
    frame, travel = _hub_frame([9_000, 12_000, 11_000, 16_000])
    with pytest.raises(ValidationError, match=r"missing column 'base_patients'"):
        solve_mcps(
            frame.drop(columns="base_patients"),
            rule=McpRule(mcp_base_min_patients=15_000),
            travel=travel,
        )


def _site_travel(positions: dict[str, float], sites: dict[str, float]) -> SiteTravel:
    codes, names = sorted(positions), sorted(sites)
    x = np.array([positions[c] for c in codes])
    s = np.array([sites[c] for c in names])
    return SiteTravel(codes=tuple(codes), sites=tuple(names), km=np.abs(x[:, None] - s[None, :]),
                      source="test line km")  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_each_candidate_site_bases_one_hub(engine: str) -> None:
    """70,000 patients need two hubs; two sites, each the base of one of them.

    ::

        km:   0   0.5   1        2   2.5   3
              A   S1    B        C   S2    D
             20k       20k      15k       15k

    Every practice is 0.5 km from its nearest site: 70,000 x 0.5 = 35,000 is a lower bound, and
    {A, B} at S1, {C, D} at S2 reaches it. With S1 alone, two hubs cannot both have a base.
    """
    positions = {"A": 0.0, "B": 1.0, "C": 2.0, "D": 3.0}
    frame = pd.DataFrame(
        {"practice_code": list(positions), "patients": [20_000, 20_000, 15_000, 15_000]}
    )
    options = SolveOptions(engine=engine, threads=1)
    sites = _site_travel(positions, {"S1": 0.5, "S2": 2.5})
    sol = solve_hubs(frame, rule=HubRule(), options=options, sites=sites)
    assert sol.hubs[["base_code", "patients", "practices"]].values.tolist() == [
        ["S1", 40_000, 2],
        ["S2", 30_000, 2],
    ]
    assert sol.assignment["km_to_base"].tolist() == [0.5] * 4
    assert sol.certificate.objective == pytest.approx(35_000)
    assert sol.certificate.status == "optimal"
    one = _site_travel(positions, {"S1": 0.5})
    with pytest.raises(InfeasibleError, match=r"need at least 2 hubs .* only 1 of them can be"):
        solve_hubs(frame, rule=HubRule(), options=options, sites=one)


@pytest.mark.parametrize("engine", ENGINES)
def test_sites_far_from_practices_are_ignored_and_unserved_practices_named(engine: str) -> None:
    """S9 reaches no practice within 15 km; E reaches no site, and is named with the nearest."""
    positions = {"A": 0.0, "B": 1.0, "C": 2.0, "E": 40.0}
    frame = pd.DataFrame(
        {"practice_code": list(positions), "patients": [12_000, 12_000, 12_000, 3_000]}
    )
    sites = _site_travel(positions, {"S1": 1.0, "S9": 100.0})
    left_out = practices_without_base(frame, rule=HubRule(), sites=sites)
    assert left_out.values.tolist() == [
        ["E", "no allowed base within 15 km (a candidate site): nearest candidate S1 at 39.0 km"]
    ]
    kept = frame[frame.practice_code != "E"]
    sol = solve_hubs(kept, rule=HubRule(), options=SolveOptions(engine=engine), sites=sites)
    assert sol.hubs["base_code"].tolist() == ["S1"]
    with pytest.raises(InfeasibleError, match=r"E: no allowed base within 15 km"):
        solve_hubs(frame, rule=HubRule(), sites=sites)


def _brute_force_sites(
    w: np.ndarray, km: np.ndarray, lo: int, hi: int, limit: float
) -> float | None:
    """Every assignment of practices to sites within the limit; groups within [lo, hi]."""
    import itertools

    choices = [np.flatnonzero(km[i] <= limit) for i in range(len(w))]
    best = None
    for pick in itertools.product(*choices):
        load: dict[int, int] = {}
        for i, s in enumerate(pick):
            load[int(s)] = load.get(int(s), 0) + int(w[i])
        if all(lo <= v <= hi for v in load.values()):
            cost = float(sum(w[i] * km[i, s] for i, s in enumerate(pick)))
            best = cost if best is None else min(best, cost)
    return best


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 10_000))
@pytest.mark.parametrize("engine", ENGINES)
def test_random_site_instances_match_brute_force(engine: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 6, 3
    xy, sxy = rng.uniform(0, 12, (n, 2)), rng.uniform(0, 12, (m, 2))
    km = np.sqrt(((xy[:, None, :] - sxy[None, :, :]) ** 2).sum(axis=2))
    w = rng.integers(4, 18, n).astype(np.int64)
    codes = tuple(f"P{k}" for k in range(n))
    frame = pd.DataFrame({"practice_code": codes, "patients": w})
    sites = SiteTravel(codes=codes, sites=("S0", "S1", "S2"), km=km, source="test plane km")
    rule = HubRule(hub_min=20, hub_max=45, max_km=8.0)
    best = _brute_force_sites(w, km, 20, 45, 8.0)
    try:
        sol = solve_hubs(
            frame, rule=rule, options=SolveOptions(engine=engine, threads=1), sites=sites
        )
    except InfeasibleError:
        assert best is None
        return
    assert sol.hubs["base_code"].is_unique
    assert set(sol.hubs["base_code"]) <= {"S0", "S1", "S2"}
    assert (sol.assignment["km_to_base"] <= 8.0 + 1e-6).all()
    if sol.exceptions:
        return
    assert best is not None
    assert sol.certificate.objective == pytest.approx(best)
