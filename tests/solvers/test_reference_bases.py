"""Plans from a reference grouping with candidate base sites (issues 18 and 20): the fewest
moves among the plans whose hubs are based at sites, each site the base of one hub at most.

Hand-drawn practices and sites on a road (the helpers of :mod:`tests.solvers.test_reference`)
against an enumeration of every plan the site rule allows (every partition into hubs within
the window, each hub given its own site within ``max_km`` of all its practices, the sites
chosen for the least travel), its moves recounted by this file's brute-force matching.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcp_geo.boundaries.distances import SiteTravel
from mcp_geo.solvers.hubs import HubSolution, solve_hubs
from mcp_geo.solvers.rules import HubRule
from tests.solvers.test_reference import (
    OPTIONS,
    K,
    Road,
    hubs_of,
    least_moves,
    partitions,
    rule_of,
    solve,
    stage,
)
from tests.solvers.test_reference_shortfall import split_groups


@dataclass(frozen=True)
class Sited:
    """One plan of the enumeration: its hubs, their sites and its travel."""

    hubs: tuple[frozenset[str], ...]
    sites: tuple[str, ...]
    travel: float


def site_travel(road: Road, sites: Mapping[str, float]) -> SiteTravel:
    """km from each practice to each site along the road."""
    names = sorted(sites)
    x = np.array([road.x[c] for c in road.codes])
    s = np.array([sites[n] for n in names])
    return SiteTravel(codes=tuple(road.codes), sites=tuple(names),
                      km=np.abs(x[:, None] - s[None, :]), source="test road km")  # fmt: skip


def every_sited_plan(road: Road, sites: Mapping[str, float], *, rule: HubRule) -> list[Sited]:
    """Every partition into hubs within the window, each hub on its own site within max_km of
    all its practices (the sites that make the least travel)."""

    def within(hub: frozenset[str]) -> bool | None:
        return rule.hub_min <= sum(road.patients[c] for c in hub) <= rule.hub_max or None

    def cost(hub: frozenset[str], site: str) -> float | None:
        km = [abs(road.x[c] - sites[site]) for c in hub]
        if rule.max_km is not None and max(km) > rule.max_km + 1e-9:
            return None
        return sum(road.patients[c] * d for c, d in zip(hub, km, strict=True))

    out = []
    for p in partitions(tuple(road.codes), within):
        hubs = [h for h, _ in p]
        best: tuple[float, tuple[str, ...]] | None = None
        for pick in itertools.permutations(sorted(sites), len(hubs)):
            costs = [cost(h, s) for h, s in zip(hubs, pick, strict=True)]
            if all(c is not None for c in costs):
                total = sum(c for c in costs if c is not None)
                best = (total, pick) if best is None or total < best[0] else best
        if best is not None:
            out.append(Sited(tuple(hubs), best[1], best[0]))
    return out


def expected_stages(road: Road, sites: Mapping[str, float], *, rule: HubRule) -> dict[str, float]:
    """DESIGN's stages by the enumeration: (slack) least travel, (whole) split, moves, travel;
    each among the plans the earlier ones leave."""
    plans = every_sited_plan(road, sites, rule=rule)
    out: dict[str, float] = {}

    def keep(name: str, value: dict[Sited, float]) -> None:
        nonlocal plans
        out[name] = min(value[p] for p in plans)
        plans = [p for p in plans if value[p] == out[name]]

    if rule.travel_slack is not None:
        out["least_travel"] = min(p.travel for p in plans)
        cap = out["least_travel"] * (1 + rule.travel_slack) + 1e-9 * max(1.0, out["least_travel"])
        plans = [p for p in plans if p.travel <= cap]
    if rule.whole:
        keep("split", {p: split_groups(road, p.hubs) for p in plans})
    keep("moves", {p: least_moves(road, list(p.hubs), minimise=rule.minimise) for p in plans})
    out["travel"] = min(p.travel for p in plans)
    return out


def solve_sited(road: Road, sites: Mapping[str, float], *, rule: HubRule) -> HubSolution:
    return solve_hubs(
        road.frame(),
        rule=rule,
        options=OPTIONS,
        sites=site_travel(road, sites),
        reference=road.reference() if rule.reference else None,
    )


def checked_at_sites(
    sol: HubSolution, road: Road, sites: Mapping[str, float], *, rule: HubRule
) -> list[frozenset[str]]:
    """The plan's hubs, after checking the site rule: every practice in one hub within the
    window, every hub based at its own site, every practice within max_km of it (recounted)."""
    a = sol.assignment
    assert sorted(a.practice_code) == road.codes
    assert a.hub_id.notna().all()
    assert sol.hubs["base_code"].is_unique
    assert set(sol.hubs["base_code"]) <= set(sites)
    for code, base, km in zip(a.practice_code, a.base_code, a.km_to_base, strict=True):
        assert km == pytest.approx(abs(road.x[code] - sites[base]), abs=1e-3)
        assert rule.max_km is None or km <= rule.max_km + 1e-9
    hubs = hubs_of(sol)
    assert all(rule.hub_min <= sum(road.patients[c] for c in h) <= rule.hub_max for h in hubs)
    return hubs


def sited_travel(sol: HubSolution, road: Road, sites: Mapping[str, float]) -> float:
    a = sol.assignment
    return sum(
        road.patients[c] * abs(road.x[c] - sites[b])
        for c, b in zip(a.practice_code, a.base_code, strict=True)
    )


def assert_sited_stages(road: Road, sites: Mapping[str, float], *, rule: HubRule) -> HubSolution:
    """The solver's stages, in DESIGN's order and each proven, equal the enumeration's, and its
    plan keeps the site rule with those values (recounted here)."""
    want = expected_stages(road, sites, rule=rule)
    sol = solve_sited(road, sites, rule=rule)
    assert [s.name for s in sol.certificate.stages] == list(want)
    for name, value in want.items():
        assert stage(sol, name) == pytest.approx(value, rel=1e-6), name
    hubs = checked_at_sites(sol, road, sites, rule=rule)
    assert least_moves(road, hubs, minimise=rule.minimise) == want["moves"]
    if rule.whole:
        assert split_groups(road, hubs) == want["split"]
    assert sited_travel(sol, road, sites) == pytest.approx(want["travel"], rel=1e-6)
    return sol


# --- 1. the site rule decides who moves ----------------------------------------------------------

TOWN = """
    a 2 10 H
    b 4 25 -
    c 6 10 H
    d 7 20 G
    e 10 15 H
"""
SITES = {"S1": 2.5, "S2": 4.5, "S3": 7.5}


def test_no_site_reaches_a_whole_group_so_the_fewest_moves_split_it() -> None:
    """max_km 4, hubs of 30-50k; 80k patients: exactly two hubs::

        a H 10k  S1   b - 25k  S2   c H 10k  d G 20k  S3        e H 15k
        2        2.5  4        4.5  6        7        7.5       10 km

    With practices as bases, H = {a, c, e} (35k) is a hub based at c, 4 km from a and from e,
    and {b, d} the other: nobody moves. No site is within 4 km of both a and e (S2 is 5.5 km
    from e, S3 5.5 km from a), so with the sites H must split. e reaches S3 only and a reaches
    S1 and S2 only; the two hubs are e's at S3 and a's at S1 or S2 (d with a only at S2). The
    partitions the window allows, and what they move at best:

    - {a, d} at S2 + {b, c, e} at S3: G continued by {a, d}, H by {b, c, e}: a moves, 10k;
    - {a, b, c} + {d, e}: e moves, 15k; {a, c, d} + {b, e}: 20k; {a, b} + {c, d, e}: 25k.

    The fewest moves is 10k (215k patient-km); the least travel (100k patient-km, {a, b, c} at
    S2 + {d, e} at S3, or {a, b} + {c, d, e}) moves 15k or 25k.
    """
    road = Road.parse(TOWN)
    rule = rule_of(max_km=4.0, bases="sites.csv")
    assert expected_stages(road, SITES, rule=rule) == {"moves": 10 * K, "travel": 215 * K}
    practice_bases = solve(road, rule=rule_of(max_km=4.0))
    assert frozenset("ace") in hubs_of(practice_bases)
    assert stage(practice_bases, "moves") == 0
    scratch = solve_sited(road, SITES, rule=rule_of(max_km=4.0, bases="sites.csv", reference=None))
    assert scratch.certificate.objective == pytest.approx(100 * K)
    assert least_moves(road, hubs_of(scratch)) in (15 * K, 25 * K)
    sol = assert_sited_stages(road, SITES, rule=rule)
    bases = dict(zip(sol.hubs.patients, sol.hubs.base_code, strict=True))
    assert sorted(hubs_of(sol), key=len) == [frozenset("ad"), frozenset("bce")]
    assert bases == {30 * K: "S2", 50 * K: "S3"}
    assert sol.certificate.status == "optimal"


def test_a_site_named_like_a_practice_has_no_group() -> None:
    """Site codes are the planner's, and may repeat a practice's: site ``b`` (5 km east of the
    practice b) is not b and never moves. One hub {a, b} (40k), at S (0.5 km from each: 20k
    patient-km) or at site b (a 5 km, b 4 km: 180k). Counting practices, a site that took b's
    group would move (it is parked, not in the hub) unless the hub were based at it."""
    road = Road.parse(
        """
        a 0 20 G
        b 1 20 G
        """
    )
    sites = {"S": 0.5, "b": 5.0}
    rule = rule_of(minimise="practices", bases="sites.csv")
    assert expected_stages(road, sites, rule=rule) == {"moves": 0, "travel": 20 * K}
    sol = assert_sited_stages(road, sites, rule=rule)
    assert sol.hubs["base_code"].tolist() == ["S"]


# --- 2. random roads and sites against the enumeration ---------------------------------------


@st.composite
def sited_roads(draw: st.DrawFn) -> tuple[Road, dict[str, float], HubRule]:
    n = draw(st.integers(4, 6))
    codes = [f"P{k}" for k in range(n)]
    x = {c: float(draw(st.integers(0, 10))) for c in codes}
    patients = {c: draw(st.integers(8, 25)) * K for c in codes}
    group = {c: draw(st.sampled_from(["G1", "G2", "G1", "G2", None])) for c in codes}
    names = draw(st.lists(st.sampled_from(["S1", "S2", "S3", "S4", *codes]), min_size=2,
                          max_size=3, unique=True))  # fmt: skip
    sites = {s: draw(st.integers(0, 20)) / 2 for s in names}
    rule = rule_of(
        max_km=draw(st.sampled_from([None, 3.0, 5.0])),
        minimise=draw(st.sampled_from(["patients", "practices"])),
        travel_slack=draw(st.sampled_from([None, None, 0.0, 0.1])),
        whole=draw(st.booleans()),
        bases="sites.csv",
    )
    return Road(x, patients, group), sites, rule


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # a failure is reported as drawn: no shrinking
)
@given(drawn=sited_roads())
def test_random_sited_roads_match_the_enumeration(
    drawn: tuple[Road, dict[str, float], HubRule],
) -> None:
    road, sites, rule = drawn
    reach = rule.max_km if rule.max_km is not None else np.inf
    if not every_sited_plan(road, sites, rule=rule) or any(
        min(abs(road.x[c] - s) for s in sites.values()) > reach for c in road.codes
    ):
        return  # no plan keeps every rule, or a practice no site serves (excluded upstream)
    assert_sited_stages(road, sites, rule=rule)
