"""Alternatives on a hand-drawn case whose near-best plans are known.

Six practices of 20,000 patients, hubs of 30,000-50,000 (so every hub is two practices), no
distance limit; km in the plane::

    D(0,1) --- C(1,1)
      |          |
    A(0,0) --- B(1,0)                        E(10,0) --- F(11,0)

E and F are far away: every plan pairs them (anything else costs more than 9 km a patient).
The square pairs by its sides, {A,B}{C,D} or {A,D}{B,C}: 2 x 20,000 patient-km each, the two
equally good plans (with E-F, 60,000 in all); by its diagonals, {A,C}{B,D}, 2 x 20,000 x
sqrt(2) = 56,569 (76,569 in all: 27.6% more). Each alternative moves two practices (40,000
patients) of the square against the best plan: a side pairing against the other shares 20,000
patients with each hub. Plans are recounted here: hubs by code, travel from the coordinates,
moves by every one-to-one assignment of hubs to hubs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.solvers._prechecks import prepare
from mcp_geo.solvers.alternatives import _pricing, alternative_hubs
from mcp_geo.solvers.alternatives._listed import listed_within
from mcp_geo.solvers.alternatives.search import WITHIN
from mcp_geo.solvers.hubs import hub_instance, solve_hubs
from mcp_geo.solvers.rules import HubRule, SolveOptions
from tests.solvers._helpers import plane_instance

XY = {"A": (0, 0), "B": (1, 0), "C": (1, 1), "D": (0, 1), "E": (10, 0), "F": (11, 0)}
OPTIONS = SolveOptions(time_limit=20, threads=1, gap=0.0)
SIDES = ({frozenset("AB"), frozenset("CD")}, {frozenset("AD"), frozenset("BC")})
DIAGONALS = {frozenset("AC"), frozenset("BD")}


def _square():
    codes = sorted(XY)
    frame, travel = plane_instance(np.array([XY[c] for c in codes], float), np.full(6, 20_000))
    rename = dict(zip(frame["practice_code"], codes, strict=True))
    frame["practice_code"] = codes
    travel = type(travel)(codes=tuple(rename[c] for c in travel.codes), km=travel.km,
                          source=travel.source)  # fmt: skip
    return frame, travel


def _hubs(assignment) -> set[frozenset[str]]:
    groups = assignment.groupby("hub_id")["practice_code"].apply(frozenset)
    return set(groups)


def _travel(hubs: set[frozenset[str]]) -> float:
    """Each hub at its best base: patients x km."""
    return sum(min(sum(20_000 * math.dist(XY[i], XY[b]) for i in hub) for b in hub) for hub in hubs)


def _moves(new: set[frozenset[str]], old: set[frozenset[str]]) -> int:
    """Patients moved: everything less the most any one-to-one assignment keeps."""
    a, b = sorted(new, key=sorted), sorted(old, key=sorted)
    kept = max(
        sum(20_000 * len(x & y) for x, y in zip(a, perm, strict=False))
        for perm in itertools.permutations(b)
    )
    return 20_000 * 6 - kept


def _alternatives(slack: float | None, k: int = 3):
    frame, travel = _square()
    best = solve_hubs(frame, rule=HubRule(max_km=None), options=OPTIONS, travel=travel)
    rule = HubRule(max_km=None, alternatives=k, travel_slack=slack)
    found = alternative_hubs(frame, best=best, rule=rule, options=OPTIONS, travel=travel)
    return _hubs(best.assignment), [_hubs(p.assignment) for p in found.plans], found


@pytest.mark.parametrize("slack", [None, 0.0])
def test_equally_good_plans_give_one_alternative_and_a_proof_that_there_is_no_other(slack):
    best, plans, found = _alternatives(slack)
    square = best - {frozenset("EF")}
    assert square in SIDES
    assert len(plans) == 1
    (other,) = [s for s in SIDES if s != square]
    assert plans[0] == other | {frozenset("EF")}
    assert _travel(plans[0]) == pytest.approx(_travel(best))
    assert _moves(plans[0], best) == 40_000
    assert "proven" in found.search.stopped
    assert found.search.stopped.startswith("alternative 2")
    stage = found.plans[0].certificate.stages[0]
    assert stage.name == "alternative"
    assert stage.status == "optimal"


def test_a_wider_slack_lets_the_diagonals_in_and_they_come_last():
    best, plans, found = _alternatives(0.3)
    assert len(plans) == 2
    assert plans[0] - {frozenset("EF")} in SIDES
    assert plans[0] != best
    assert plans[1] == DIAGONALS | {frozenset("EF")}
    assert _travel(plans[1]) <= 1.3 * _travel(best)
    assert all(_moves(p, best) >= 20_000 for p in plans)
    assert all(frozenset("EF") in p for p in plans)  # E and F: settled
    assert found.search.stopped is not None  # every plan of the square is used up


def test_a_slack_below_the_diagonals_keeps_them_out():
    _, plans, _ = _alternatives(0.27)
    assert DIAGONALS | {frozenset("EF")} not in plans


@pytest.mark.parametrize("slack", [0.0, 0.1, 0.3])
def test_the_engine_lists_every_hub_of_every_plan_within_the_cap(slack):
    """Every plan of the square (15 pairings, each pair at either base: 120) whose travel is
    within the cap is made of columns the columns engine lists, and no listed column is
    dearer than the cap allows."""
    frame, travel = _square()
    inst, _ = hub_instance(frame, rule=HubRule(max_km=None), travel=travel)
    parts = list(prepare(inst).parts)
    idx = np.arange(inst.n)
    cap = 60_000 * (1 + slack)
    listed = listed_within(inst, idx=idx, parts=parts, cap=cap + 1e-6, options=OPTIONS, seconds=10)
    assert listed is not None
    keys = {(j, tuple(m.tolist())) for j, m in listed}
    assert len(keys) == len(listed)
    assert all(inst.cost[m, j].sum() <= cap + 1e-6 for j, m in listed)

    def pairings(rest):
        if not rest:
            yield []
            return
        for k in range(1, len(rest)):
            for more in pairings(rest[1:k] + rest[k + 1 :]):
                yield [(rest[0], rest[k]), *more]

    within = 0
    for pairing in pairings(list(range(6))):
        for bases in itertools.product(*pairing):
            plan = [(b, tuple(sorted(pair))) for b, pair in zip(bases, pairing, strict=True)]
            if sum(inst.cost[list(m), b].sum() for b, m in plan) <= cap + 1e-6:
                within += 1
                assert all(c in keys for c in plan)
    assert within >= 2  # the two side pairings at least, each hub at either base


@pytest.mark.parametrize(("slack", "found"), [(None, 1), (0.3, 2)])
def test_the_listing_within_the_cap_proves_the_known_alternatives(slack, found, monkeypatch):
    """With every column of the square not listed up front, the columns engine's listing within
    the travel cap proves the same alternatives optimal, and that there is no other."""
    monkeypatch.setattr(_pricing, "LIST_MAX", 0)  # the whole list: too long
    best, plans, search = _alternatives(slack)
    (other,) = [s for s in SIDES if s != best - {frozenset("EF")}]
    assert plans == [other | {frozenset("EF")}, DIAGONALS | {frozenset("EF")}][:found]
    assert [a.method for a in search.search.found] == [WITHIN] * found
    assert [p.certificate.stages[0].status for p in search.plans] == ["optimal"] * found
    assert search.search.stopped.startswith(f"alternative {found + 1}: no other plan within")
    assert search.search.stopped.endswith(": proven")


def test_alternatives_are_refused_with_a_reference():
    with pytest.raises(ValidationError, match="'alternatives': cannot be combined with reference"):
        HubRule(alternatives=2, reference="pcn")
    with pytest.raises(ValidationError, match="'alternatives': must be a whole number"):
        HubRule(alternatives=-1)
    with pytest.raises(
        ValidationError, match=r"'travel_slack': needs a reference .* or alternatives"
    ):
        HubRule(travel_slack=0.01)
