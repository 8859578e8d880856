"""Fewer groups by closing bases, and the fewest count when the engines find no plan at it."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from mcp_geo.solvers import _stages
from mcp_geo.solvers._compact import CompactEngine, plan_cost
from mcp_geo.solvers._count_descent import descend, fewest_greedy
from mcp_geo.solvers._greedy import greedy_plan
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers._stages import _better, least_count, solve_fewest
from mcp_geo.solvers.certificate import Certificate, Status, relative_gap
from mcp_geo.solvers.columns import ColumnsEngine
from mcp_geo.solvers.columns.driver import _Search, solve_columns
from mcp_geo.solvers.engine import PartResult
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import largest_part, plan_groups, scattered_instance

OPTIONS = SolveOptions(threads=1, gap=0.0)


@pytest.fixture(autouse=True)
def _no_packing(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the paths where local search (``_packing``) finds no plan of the
    count either, as on a loaded machine out of time: its plans are tested in test_packing."""
    monkeypatch.setattr(_stages, "packed_plan", lambda *a, **k: None)


def _road(x: list[float], weights: list[int]) -> tuple[Instance, Part]:
    """Practices on a road at ``x`` km with these patients; groups of 30-60 within 15 km."""
    at = np.array(x)
    inst = Instance(
        codes=tuple("ABCDEF"[: len(x)]),
        weights=np.array(weights, dtype=np.int64),
        km=np.abs(at[:, None] - at[None, :]),
        lo=30,
        hi=60,
        max_km=15.0,
        count=None,
        objective="weighted",
        strict=False,
    )
    return inst, Part(items=np.arange(len(x), dtype=np.int64), lo=30)


def _line() -> tuple[Instance, Part]:
    """Six practices of 20 patients on a road, two clusters 8 km apart::

        A B C . . . . . . . . D E F
        0 1 2                10 11 12   (km)

    The fewest groups is 2 (120 patients, at most 60 each): ABC and DEF.
    """
    return _road([0.0, 1.0, 2.0, 10.0, 11.0, 12.0], [20] * 6)


def _fewest_without_a_plan_at(
    count: int, inst: Instance, part: Part, solve_free: object = None
) -> PartResult:
    """solve_fewest where the engine finds no plan at ``count`` from scratch."""
    return solve_fewest(
        inst,
        part,
        options=OPTIONS,
        deadline=Deadline(30),
        solve=_no_plan_at(count, CompactEngine()),  # type: ignore[arg-type]
        solve_free=solve_free or _unused,  # type: ignore[arg-type]
    )


def test_descent_closes_bases_down_to_the_count() -> None:
    """From three groups of two (AB, CD, EF), one closure makes two full groups, ABC and DEF,
    each based at its middle practice (the least travel with those bases open)."""
    inst, part = _line()
    three = np.array([0, 0, 2, 2, 4, 4])
    plan = descend(inst, part, three, count=2, options=OPTIONS, until=time.perf_counter() + 30)
    assert plan_groups(inst, part, plan) == 2
    groups = {tuple(part.items[plan == b].tolist()) for b in set(plan.tolist())}
    assert groups == {(0, 1, 2), (3, 4, 5)}


def test_descent_stops_where_no_closure_is_possible() -> None:
    """Two groups of 60 cannot become one (120 > 60): the plan comes back unchanged, at once."""
    inst, part = _line()
    two = np.array([1, 1, 1, 4, 4, 4])
    t0 = time.perf_counter()
    plan = descend(inst, part, two, count=1, options=OPTIONS, until=time.perf_counter() + 30)
    assert plan.tolist() == two.tolist()
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("seed", range(4))
def test_descent_keeps_every_rule_on_random_parts(seed: int) -> None:
    """Scattered parts of 24 items: from the greedy plan with its count free, every closure
    keeps every group within the window and its base's reach, and the count only goes down,
    never below the least the weights allow."""
    inst, part = scattered_instance(24, seed)
    items = part.items
    local = greedy_plan(
        inst.weights,
        inst.cost,
        inst.allowed,
        lo=part.lo,
        hi=inst.hi,
    )
    assert local is not None
    start = items[local]
    least = least_count(inst, part)[0]
    plan = descend(inst, part, start, count=least, options=OPTIONS, until=time.perf_counter() + 20)
    groups = plan_groups(inst, part, plan)
    assert least <= groups <= len(set(start.tolist()))


def test_fewest_greedy_is_the_least_count_the_greedy_rules_make() -> None:
    """Staffs and Shropshire's part (190 practices): the greedy plan with a free count has 48
    groups, the fewest the greedy rules make at a fixed count is far fewer; no count between
    the bound and it gives a greedy plan."""
    inst, part = largest_part("staffs-shropshire")
    least, most = least_count(inst, part)
    plan = fewest_greedy(inst, part, least=least, most=most)
    assert plan is not None
    groups = plan_groups(inst, part, plan)
    items = part.items
    args = (
        inst.weights[items],
        inst.cost[np.ix_(items, items)],
        inst.allowed[np.ix_(items, items)],
    )
    free = greedy_plan(*args, lo=part.lo, hi=inst.hi)
    assert free is not None
    assert groups < len(set(free.tolist()))
    for k in range(least, groups):
        assert greedy_plan(*args, lo=part.lo, hi=inst.hi, count=k) is None


def _cert(
    objective: float | None, bound: float | None, *, status: Status = "feasible"
) -> Certificate:
    """A certificate ended by the time limit."""
    return Certificate(
        engine="columns",
        solver="highs",
        solver_version="",
        status=status,
        objective=objective,
        objective_name="patient-weighted km",
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=1.0,
        ended_by="time_limit",
    )


def _no_plan_at(count: int, engine: CompactEngine) -> object:
    """A part solver that finds no plan at ``count`` from scratch (as the engines at the fewest
    count of real footprints, out of time) and solves every other count, and that count from a
    start, with ``engine``."""

    def solve(inst: Instance, part: Part, deadline: Deadline) -> PartResult:
        if part.count == count and part.start is None:
            return PartResult(base_of=None, certificate=_cert(None, None, status="no_solution"))
        return engine.solve(inst, part, options=OPTIONS, deadline=deadline)

    return solve


def _unused(inst: Instance, part: Part, deadline: Deadline) -> PartResult:
    raise AssertionError("the greedy plan is the descent's start: no free solve")


def test_fewest_without_a_plan_at_the_bound_gives_the_descents_plan() -> None:
    """Six practices: the fewest is 2; when no plan of 2 groups is found in time, the descent
    (greedy plan -> closing bases) still gives a plan, and the count stage states its count
    against the bound: here the descent reaches 2, so the count is proven; the travel stage
    is the engine's proof at that count."""
    inst, part = _line()
    result = _fewest_without_a_plan_at(2, inst, part)
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 2
    count, travel = result.certificate.stages
    assert (count.name, count.objective, count.bound, count.status) == ("hubs", 2.0, 2.0, "optimal")
    assert travel.name == "travel"
    assert travel.status == "optimal"
    assert travel.objective == pytest.approx(plan_cost(inst, part.items, result.base_of))


def test_fewest_states_a_larger_count_against_its_bound() -> None:
    """Four practices 10 km apart, groups of 30-60 within 15 km of their base::

        A(30) --- B(40) --- C(20) --- D(30)
        0         10        20        30     (km)

    120 patients allow 2 groups, but no two groups of 60 exist (A and D reach no common
    base); 3 do (A, BC, D). When the engine finds no plan of 2 in time, the descent stops at 3
    and the count stage states 3 against the bound of 2 (``feasible``), with a plan."""
    inst, part = _road([0.0, 10.0, 20.0, 30.0], [30, 40, 20, 30])
    result = _fewest_without_a_plan_at(2, inst, part)
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 3
    count, travel = result.certificate.stages
    assert (count.objective, count.bound, count.status) == (3.0, 2.0, "feasible")
    assert count.gap == pytest.approx(1 / 3)
    assert travel.status == "optimal"
    assert result.certificate.status == "feasible"


@pytest.mark.parametrize("engine", [CompactEngine(), ColumnsEngine()], ids=["compact", "columns"])
def test_engines_start_from_the_parts_start(engine: CompactEngine) -> None:
    """A fixed count where the greedy rules make no plan: with the descent's plan as the part's
    start, both engines return a plan of that count no costlier than the start, even with no
    time to search."""
    inst, part = scattered_instance(30, 9)
    least = least_count(inst, part)[0]
    items = part.items
    args = (inst.weights, inst.cost, inst.allowed)
    free = greedy_plan(*args, lo=part.lo, hi=inst.hi)
    assert free is not None
    plan = descend(
        inst, part, items[free], count=least, options=OPTIONS, until=time.perf_counter() + 20
    )
    count = len(set(plan.tolist()))
    assert greedy_plan(*args, lo=part.lo, hi=inst.hi, count=count) is None
    counted = dataclasses.replace(part, count=count, start=plan)
    for seconds in (0.0, 10.0):
        result = engine.solve(inst, counted, options=OPTIONS, deadline=Deadline(seconds))
        assert result.base_of is not None
        assert plan_groups(inst, part, result.base_of) == count
        assert plan_cost(inst, items, result.base_of) <= plan_cost(inst, items, plan) + 1e-6


def test_columns_generate_columns_on_a_deadline_already_running() -> None:
    """The columns engine given a deadline of which time has passed (a later count, or a second
    solve of the fewest count) still generates columns for its share of what is left: a part
    of 24 items proven with generated columns (before: the share was measured from the
    deadline's start, no column was generated and the compact model solved it)."""
    inst, part = scattered_instance(24, 0)
    deadline = Deadline(130.0)
    deadline.start -= 100.0  # 100 s passed: 30 s left
    result = solve_columns(inst, part, options=OPTIONS, deadline=deadline)
    assert result.certificate.status == "optimal"
    assert result.certificate.model_size.columns_generated > 0


def test_columns_first_plan_at_a_fixed_count_the_greedy_rules_miss() -> None:
    """With a fixed count the greedy rules cannot make (5 groups of 30 items here), the columns
    engine's first plan comes from closing bases, before column generation: exactly 5 groups,
    every rule kept (before: no first plan, and bin completion later)."""
    inst, part = scattered_instance(30, 9)
    counted = dataclasses.replace(part, count=5)
    assert (
        greedy_plan(inst.weights, inst.cost, inst.allowed, lo=part.lo, hi=inst.hi, count=5) is None
    )
    search = _Search(inst, counted, options=OPTIONS, deadline=Deadline(30))
    first = search.seed()
    assert first is not None
    assert plan_groups(inst, part, part.items[first]) == 5


def test_a_second_solve_keeps_the_better_plan_and_the_higher_bound() -> None:
    """The fewest count solved again from its plan: its cheaper plan is kept with the first
    solve's higher bound (both bound the same count), which here closes a 5% gap; a costlier
    second plan is not kept."""
    plan = np.zeros(3, dtype=np.int64)
    first = PartResult(base_of=plan, certificate=_cert(110.0, 100.0))
    second = PartResult(base_of=plan + 1, certificate=_cert(105.0, 90.0))
    kept = _better(first, second, gap=0.05)
    assert kept.base_of is second.base_of
    cert = kept.certificate
    assert (cert.objective, cert.bound) == (105.0, 100.0)
    assert cert.gap == pytest.approx(5 / 105)
    assert (cert.status, cert.ended_by) == ("optimal", "proof")
    assert _better(first, second, gap=0.01).certificate.status == "feasible"
    costlier = PartResult(base_of=plan + 1, certificate=_cert(120.0, 105.0))
    assert _better(first, costlier, gap=0.05) is first


def test_fewest_starts_from_the_engines_free_plan_when_the_greedy_rules_get_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the greedy rules get stuck at every count (Norfolk and Waveney's 105 practices: no
    plan at 30 s before), the engine's plan with its count free is the descent's start: the
    six practices get the engine's free plan (3 hubs of 40), closed to 2, proven."""
    inst, part = _line()
    monkeypatch.setattr(_stages, "fewest_greedy", lambda *a, **k: None)
    free_counts = []

    def solve_free(i: Instance, p: Part, d: Deadline) -> PartResult:
        free_counts.append(p.count)
        return PartResult(
            base_of=np.array([0, 0, 2, 2, 4, 4]),
            certificate=CompactEngine().solve(i, p, options=OPTIONS, deadline=d).certificate,
        )

    result = _fewest_without_a_plan_at(2, inst, part, solve_free)
    assert free_counts == [None]
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 2
    assert result.certificate.stages[0].status == "optimal"


def test_a_part_with_no_plan_at_any_count_is_proven_so_at_once() -> None:
    """A(40) and B(40) 5 km apart, C(10) 200 km away: C can join no hub and has fewer than the
    floor, so no count has a plan. Once the least count (2) is proven impossible, the compact
    model with the count free proves every count impossible: count 3 is never tried (North
    East and North Cumbria's part: 0.4 s, where each count took the columns engine 7-12 s)."""
    inst, part = _road([0.0, 5.0, 200.0], [40, 40, 10])
    assert least_count(inst, part) == (2, 3)
    tried = []

    def solve(i: Instance, p: Part, d: Deadline) -> PartResult:
        tried.append(p.count)
        return CompactEngine().solve(i, p, options=OPTIONS, deadline=d)

    result = solve_fewest(
        inst, part, options=OPTIONS, deadline=Deadline(30), solve=solve, solve_free=_unused
    )
    assert tried == [2]
    assert result.base_of is None
    assert result.certificate.status == "infeasible"


def test_fewest_greedy_tries_no_more_counts_than_the_floor_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """North East and North Cumbria's part of 301 practices, where the greedy rules get stuck at
    every count: the counts tried stop at what the floor allows (95 hubs), not at one per
    practice (before: 243 tries, 16 s)."""
    from mcp_geo.solvers import _count_descent

    inst, part = largest_part("icb:QHM")
    calls = []

    def counted(*args: object, **kwargs: object) -> None:
        calls.append(kwargs.get("count"))

    monkeypatch.setattr(_count_descent, "part_greedy", counted)
    least, most = least_count(inst, part)
    assert fewest_greedy(inst, part, least=least, most=most) is None
    assert calls == [None, *range(least, most + 1)]
