"""A plan from the master LP's support (columns/support.py) and free-count regrouping."""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pytest

from mcp_geo._errors import SolverError
from mcp_geo.solvers._compact import plan_cost, solve_compact
from mcp_geo.solvers._greedy import greedy_plan
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.columns import driver, listing
from mcp_geo.solvers.columns.driver import _Search
from mcp_geo.solvers.columns.generation import ColumnGeneration
from mcp_geo.solvers.columns.regroup import regroup_part
from mcp_geo.solvers.columns.support import support_pairs, support_plan
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.progress import ATTRIBUTE
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import largest_part, plan_groups, scattered_instance


def _searched(n: int, seed: int) -> tuple[_Search, float]:
    """A free-count part after column generation, its greedy plan polished as incumbent; and
    the LP bound."""
    inst, part = scattered_instance(n, seed)
    options = SolveOptions(engine="columns", time_limit=30, threads=2)
    s = _Search(inst, part, options=options, deadline=Deadline(30))
    greedy = s.seed()
    gen = ColumnGeneration(s.master, s.pr, add=s.add, count=None, deadline=s.deadline).run(
        budget=20
    )
    s.bound = gen.best_l
    s.first_incumbent(greedy)
    return s, gen.best_l


def _check_plan(s: _Search, local: np.ndarray) -> float:
    """Every item in one group within the window and the reach of its base; the plan's cost."""
    inst, part = s.inst, s.part
    for b in set(local.tolist()):
        members = part.items[local == b]
        assert local[b] == b  # the base is in its own group
        assert part.lo <= inst.weights[members].sum() <= inst.hi
        assert inst.allowed[members, part.items[b]].all()
    return plan_cost(inst, part.items, part.items[local])


@pytest.mark.parametrize("seed", [1, 2])
def test_the_support_model_keeps_the_lp_columns_and_gives_a_plan(
    seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Scattered items: the restricted model holds every pair of every column the LP uses and
    of the incumbent, a base's own pair for each kept base; its plan keeps the rules, costs no
    less than the LP bound and no more than the incumbent it starts from; its progress records
    show no bound (the restricted model's holds for the restriction only)."""
    s, lp_bound = _searched(60, seed)
    bases, pairs = support_pairs(s)
    values = s.master.values()
    for k in np.flatnonzero(values > 1e-6).tolist():
        j, members, _ = s.order[k]
        assert bases[j]
        assert pairs[members, j].all()
    inc_local = np.array([s.pos_of[int(g)] for g in s.inc_base])
    assert pairs[np.arange(s.n), inc_local].all()
    assert pairs[np.flatnonzero(bases), np.flatnonzero(bases)].all()
    assert not (pairs & ~s.inst.allowed).any()
    assert (pairs.sum(axis=1) >= 1).all()

    with caplog.at_level(logging.INFO, logger="mcp_geo.solvers.progress"):
        plan = support_plan(s, seconds=10)
    assert plan is not None
    cost = _check_plan(s, plan)
    assert lp_bound - 1e-6 <= cost <= s.inc_cost + 1e-6
    # the restricted model's bound holds for the restriction only: never shown as the part's
    shown = [getattr(r, ATTRIBUTE) for r in caplog.records if hasattr(r, ATTRIBUTE)]
    assert shown
    assert all(f.bound is None for f in shown)


def test_the_support_model_is_solved_to_its_own_optimum_whatever_the_parts_gap() -> None:
    """The restricted model's bound holds for the restriction only, so its solve does not stop
    at the part's gap (here 50%, which the polished greedy plan it starts from meets): its
    plan is the restriction's optimum, as the compact model over the same bases and pairs
    solved to 0.01% finds it, and cheaper than that start."""
    s, _ = _searched(60, 2)
    s.options = dataclasses.replace(s.options, gap=0.5)
    bases, pairs = support_pairs(s)
    plan = support_plan(s, seconds=20)
    assert plan is not None
    exact, _, _ = solve_compact(
        s.inst,
        s.part,
        options=dataclasses.replace(s.options, gap=1e-4),
        deadline=Deadline(30),
        bases=bases,
        pairs=pairs,
    )
    assert exact.certificate.status == "optimal"
    assert exact.certificate.objective is not None
    assert exact.certificate.objective < s.inc_cost * (1 - 1e-3)
    assert _check_plan(s, plan) <= exact.certificate.objective * (1 + 1e-4) + 1e-6


def test_free_count_regrouping_keeps_the_rules_and_never_costs_more() -> None:
    """A poor plan of a free count (the greedy plan, unpolished): regrouping keeps every group
    within the window and the reach, may change the number of groups, and lowers the cost."""
    s, _ = _searched(60, 3)
    pr = s.pr
    allowed = s.inst.allowed[np.ix_(s.part.items, s.part.items)]
    greedy = greedy_plan(pr.w, pr.cost, allowed, lo=pr.lo, hi=pr.hi, count=None)
    assert greedy is not None
    before = _check_plan(s, greedy)
    after_plan = regroup_part(s.inst, s.part, greedy, until=time.perf_counter() + 2)
    after = _check_plan(s, after_plan)
    assert after < before


def test_a_large_part_starts_from_the_support(monkeypatch: pytest.MonkeyPatch) -> None:
    """north-staffs as a 'large' part (threshold lowered): the support model runs once, after
    column generation, and the plan is still proven optimal with the travel of a run without
    it."""
    from mcp_geo.practices import open_data, select_footprint

    frame = select_footprint(open_data(), "north-staffs").practices
    options = SolveOptions(engine="columns", threads=2, gap=1e-4, time_limit=60)
    reference = solve_hubs(frame, options=options).certificate
    calls = []

    def spy(s: _Search, *, seconds: float) -> np.ndarray | None:
        plan = support_plan(s, seconds=seconds)
        calls.append(None if plan is None else _check_plan(s, plan))
        return plan

    monkeypatch.setattr(driver, "LARGE_PART", 20)
    monkeypatch.setattr(driver, "support_plan", spy)
    c = solve_hubs(frame, options=options).certificate
    assert len(calls) == 1
    assert calls[0] is not None
    assert calls[0] >= c.objective - 1e-6
    assert c.status == reference.status == "optimal"
    assert c.objective == pytest.approx(reference.objective, rel=1e-4)


def test_a_part_whose_lp_needs_its_artificial_columns_goes_to_the_compact_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """North East and North Cumbria (QHM): its part of 301 practices cannot make hubs of
    30,000-50,000 within 15 km (a least-exception part); no greedy plan, and the converged
    master LP needs its artificial columns. The engine hands the part to the compact model
    straight away (which proves it infeasible), without searching for a plan."""
    inst, part = largest_part("icb:QHM")
    assert len(part.items) > 250

    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("searched for a plan")

    monkeypatch.setattr(_Search, "first_incumbent", no_search)
    options = SolveOptions(engine="columns", threads=2, time_limit=60)
    result = driver.solve_columns(inst, part, options=options, deadline=Deadline(60))
    assert result.base_of is None
    assert result.certificate.status == "infeasible"


def test_generation_stops_once_its_bound_passes_an_artificial_columns_cost() -> None:
    """The same part: a real plan costs less than an artificial column (``big_m`` is the sum of
    every item's dearest reach), so a Lagrangian bound at or above it proves that the LP has no
    solution without them. Generation stops there, and never cuts an LP that needs them (no
    cut gives it a solution): it ran 120 iterations with 75 cuts to convergence (11 s), where
    72 iterations (5.5 s) made the proof."""
    inst, part = largest_part("icb:QHM")
    options = SolveOptions(engine="columns", threads=2)
    s = _Search(inst, part, options=options, deadline=Deadline(120))
    assert s.seed() is None
    gen = ColumnGeneration(s.master, s.pr, add=s.add, count=None, deadline=s.deadline).run(
        budget=120
    )
    assert gen.best_l >= s.master.big_m
    assert s.master.needs_artificials()
    assert len(s.master.cuts) == 0


def test_no_plan_and_a_stopped_lp_that_needs_artificial_columns_go_to_the_compact_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same part at 58 hubs (a count ``--hubs fewest`` tries there), column generation
    stopped before convergence with the LP still on its artificial columns, and no plan from
    the searches: the compact model decides (it proves the count impossible in about a
    second), not a listing, which spent 8 of the 12 s left in ``plan england --hubs fewest``
    and left the compact model none (the ICB then had no plan at all)."""
    import dataclasses

    from mcp_geo.solvers._window import count_window

    inst, part = largest_part("icb:QHM")
    part = count_window(inst, dataclasses.replace(part, count=58))

    def no_listing(*args: object, **kwargs: object) -> None:
        raise AssertionError("listed columns")

    monkeypatch.setattr(driver, "CG_SHARE", 0.02)  # stopped early, on any machine
    monkeypatch.setattr(driver, "close_by_listing", no_listing)
    options = SolveOptions(engine="columns", threads=2, time_limit=30)
    result = driver.solve_columns(inst, part, options=options, deadline=Deadline(30))
    assert result.base_of is None
    assert result.certificate.status == "infeasible"


def test_a_long_time_limit_caps_regrouping_and_re_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default 600 s, the support model, its plan's regrouping and the re-planning get
    at most SUPPORT_MAX_SECONDS, SUPPORT_REGROUP_MAX_SECONDS and REPLAN_MAX_SECONDS whatever
    the limit. (Before the caps, the support plan's regrouping and the re-planning got a share of
    the time left: 28 s and 53 s on Greater Manchester, where the re-planning found nothing and
    the listing then proved the plan within 0.5%: 146 s in all, 76 s with the caps.)"""
    inst, part = scattered_instance(40, 1)
    options = SolveOptions(engine="columns", time_limit=600, threads=1)
    s = _Search(inst, part, options=options, deadline=Deadline(600))
    greedy = s.seed()
    assert greedy is not None
    s.master.solve()
    s.bound = 1.0  # far below any plan: every step runs
    given: dict[str, float] = {}
    polish = driver.best_polished

    def polished(inst, part, plans, *, until=None, hints=()):  # type: ignore[no-untyped-def]
        if until is not None:
            given["regroup"] = until - time.perf_counter()
        return polish(inst, part, plans)

    def replanned(s, *, solve, until):  # type: ignore[no-untyped-def]
        given["replan"] = until - time.perf_counter()

    monkeypatch.setattr(driver, "LARGE_PART", 10)
    monkeypatch.setattr(driver, "GROUPS", 2)  # (fewer groups than a neighbourhood: none)

    def supported(s, *, seconds):  # type: ignore[no-untyped-def]
        given["support"] = seconds
        return greedy

    monkeypatch.setattr(driver, "support_plan", supported)
    monkeypatch.setattr(driver, "best_polished", polished)
    monkeypatch.setattr(driver, "replan_by_duals", replanned)
    s.first_incumbent(greedy)
    assert 0 < given["support"] <= driver.SUPPORT_MAX_SECONDS
    assert 0 < given["regroup"] <= driver.SUPPORT_REGROUP_MAX_SECONDS
    assert 0 < given["replan"] <= driver.REPLAN_MAX_SECONDS


@pytest.mark.slow
def test_a_short_limit_gives_the_support_model_the_time_the_bound_cannot_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Greater Manchester (406 items) at 5 s: column generation stops far from its LP, with no
    bound above 0, so neither the listing nor branching can run. Pricing every base exactly at
    its duals took 3.6 s of a 10 s limit (for a bound still below 0) and the support model
    got 0.5 s: the plan was the greedy one, 32% above the optimum. Now the pricing stops after
    a tenth of the time left and the support model gets most of the rest."""
    inst, part = largest_part("icb:QOP")
    seen: list[tuple[float, float, float]] = []

    def spy(s: _Search, *, seconds: float) -> np.ndarray | None:
        seen.append((seconds, s.deadline.remaining(), s.bound))
        return support_plan(s, seconds=seconds)

    monkeypatch.setattr(driver, "support_plan", spy)
    # generation gets 0.5 s, not 2 s: on a quiet machine 2 s once gave a bound above 0 (184,175)
    monkeypatch.setattr(driver, "CG_SHARE", 0.1)
    options = SolveOptions(engine="columns", threads=2, gap=0.005, time_limit=5)
    result = driver.solve_columns(inst, part, options=options, deadline=Deadline(5))
    assert result.base_of is not None
    ((seconds, left, bound),) = seen
    assert bound <= 0  # the generation's bound said nothing
    assert left >= 0.6 * 5  # generation had 10% of the time, the exact pricing little
    assert seconds >= 0.69 * left


def test_exact_pricing_stopped_by_a_time_goes_on_where_it_stopped() -> None:
    """``ReducedCosts.duals_for(..., until=...)``: no base priced after ``until`` (the LP
    bounds stay, a valid bound); a later call prices them, to the bound of an uncut call."""
    from mcp_geo.solvers.columns.enumeration import ReducedCosts

    inst, part = scattered_instance(40, 3)
    options = SolveOptions(engine="columns", time_limit=30, threads=1)

    def reduced_costs() -> ReducedCosts:
        s = _Search(inst, part, options=options, deadline=Deadline(30))
        s.seed()
        gen = ColumnGeneration(s.master, s.pr, add=s.add, count=None, deadline=s.deadline)
        gen._iterate()  # one master solve and its pricing: duals far from the LP's
        return ReducedCosts(s.pr, s.master.cuts, gen=gen.out, deadline=s.deadline)

    rc = reduced_costs()
    target = rc.best_l
    lp_only = rc.rcb.copy()
    stopped = rc.duals_for(target, until=0.0)
    assert np.array_equal(stopped.rc, lp_only)  # nothing priced
    resumed = rc.duals_for(target)
    whole = reduced_costs().duals_for(target)
    assert resumed.lag == pytest.approx(whole.lag)
    assert resumed.lag > stopped.lag  # exact pricing raised the bound


@pytest.mark.parametrize(
    ("per_pair", "built"), [(driver.COMPACT_SECONDS_PER_PAIR, True), (1.0, False)]
)
def test_the_compact_model_is_not_built_when_the_time_left_would_not_start_it(
    monkeypatch: pytest.MonkeyPatch, per_pair: float, built: bool
) -> None:
    """Last, the shrunken compact model: built and solved when the time left allows it; with a
    plan in hand and less time left than building and handing it over take (here, at a second
    per pair, far more than the 30 s limit), the plan is the result, ended by the time limit.
    (Greater Manchester at 10 s built 52,345 pairs in 0.7 s with 0.6 s left: 0.6 s late.)"""
    s, _ = _searched(60, 4)
    assert s.inc_base is not None
    calls = []
    compact = driver.solve_compact

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return compact(*args, **kwargs)

    monkeypatch.setattr(driver, "solve_compact", spy)
    monkeypatch.setattr(driver, "COMPACT_SECONDS_PER_PAIR", per_pair)
    result = s.last_compact()
    assert bool(calls) == built
    assert result.certificate.objective is not None
    assert result.certificate.objective <= s.inc_cost + 1e-6
    if not built:
        assert result.certificate.objective == pytest.approx(s.inc_cost)
        assert result.certificate.ended_by in ("time_limit", "proof")


def test_a_listing_mip_highs_fails_on_leaves_the_plan_and_the_bound_to_the_next_steps(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """HiGHS failing on a listing's MIP (its rare "Solve error") raised through the whole plan;
    now the listing gives way to the next steps with a warning, and the part still gets a
    plan that keeps the rules, with a bound no higher than it."""
    inst, part = scattered_instance(60, 4)

    def fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SolverError("HiGHS ended with model status 'Solve error'")

    monkeypatch.setattr(listing, "column_mip", fails)
    caplog.set_level(logging.WARNING, logger="mcp_geo")
    options = SolveOptions(engine="columns", time_limit=30, threads=1, gap=1e-6)
    result = driver.solve_columns(inst, part, options=options, deadline=Deadline(30))
    assert any("listing's MIP failed" in r.getMessage() for r in caplog.records)
    c = result.certificate
    assert result.base_of is not None
    assert c.objective is not None
    plan_groups(inst, part, result.base_of)
    assert plan_cost(inst, part.items, result.base_of) == pytest.approx(c.objective)
    assert c.bound is None or c.bound <= c.objective * (1 + 1e-9)
