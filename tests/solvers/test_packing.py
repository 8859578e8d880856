"""A plan with exactly k groups by local search (``_packing``), and where the engines use it."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from mcp_geo.practices import open_data, select_footprint
from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._greedy import greedy_plan, local_polish, part_greedy
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._packing import packed_plan
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers._window import count_window
from mcp_geo.solvers.columns import driver, seeding
from mcp_geo.solvers.columns import plans as column_plans
from mcp_geo.solvers.columns.driver import solve_columns
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.rules import HubRule, SolveOptions

from ._helpers import largest_part, plan_groups, scattered_instance


def _road() -> tuple[Instance, Part]:
    """Six practices on a road, 1 km apart, groups of 30-60 within 15 km::

        A   B   C   D   E   F
        25  35  30  30  35  25   patients (180 = 3 x 60)

    Three groups must each hold exactly 60: {A, B} or {A, E}..., never A with C (55 + a third
    item is over 60, 55 alone under no floor issue but leaves 125 for two groups).
    """
    weights = np.array([25, 35, 30, 30, 35, 25], dtype=np.int64)
    at = np.arange(6, dtype=float)
    inst = Instance(
        codes=tuple("ABCDEF"),
        weights=weights,
        km=np.abs(at[:, None] - at[None, :]),
        lo=30,
        hi=60,
        max_km=15.0,
        count=3,
        objective="weighted",
        strict=False,
    )
    return inst, Part(items=np.arange(6, dtype=np.int64), lo=30, count=3)


def test_a_count_that_fills_every_group_exactly():
    inst, part = _road()
    plan = packed_plan(inst, part, count=3, seconds=10)
    assert plan is not None
    assert plan_groups(inst, part, plan) == 3
    sums = sorted(int(inst.weights[plan == b].sum()) for b in set(plan.tolist()))
    assert sums == [60, 60, 60]


def test_no_plan_is_none():
    inst, part = _road()
    t0 = time.perf_counter()
    assert packed_plan(inst, part, count=2, seconds=0.5) is None  # 180 > 2 x 60
    assert time.perf_counter() - t0 < 5
    assert packed_plan(inst, part, count=7, seconds=10) is None  # more groups than items
    assert packed_plan(inst, part, count=3, seconds=0) is None  # no time


def test_any_count():
    """With the count free, a plan of any number of groups; None where no count has one."""
    inst, part = _road()
    plan = packed_plan(inst, part, count=None, seconds=10)
    assert plan is not None
    assert plan_groups(inst, part, plan) in (3, 4, 5, 6)
    high = dataclasses.replace(part, lo=70)  # every group over the ceiling of 60
    assert packed_plan(inst, high, count=None, seconds=0.5) is None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_parts_keep_every_rule(seed):
    """Scattered parts, at the count of their greedy plan and one fewer, where one exists."""
    inst, part = scattered_instance(40, seed)
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    free = greedy_plan(inst.weights, inst.cost, allowed, lo=30, hi=50, count=None)
    assert free is not None
    groups = len(set(free.tolist()))
    found = 0
    for k in (groups, groups - 1):
        plan = packed_plan(inst, dataclasses.replace(part, count=k), count=k, seconds=5)
        if plan is not None:
            assert plan_groups(inst, part, plan) == k
            found += 1
    assert found >= 1


@pytest.fixture(scope="module")
def data():
    return open_data(None)


def test_central_sussex_at_23_hubs_the_same_plan_twice():
    """23 hubs of at most 50,000 for 1,117,425 patients (97% full): a plan in seconds, the
    same each time (one worker, the solver's own seed)."""
    inst, part = largest_part("central-sussex-east-surrey")
    at = count_window(inst, dataclasses.replace(part, count=23))
    first = packed_plan(inst, at, count=23, seconds=20)
    assert first is not None
    assert plan_groups(inst, at, first) == 23
    again = packed_plan(inst, at, count=23, seconds=20)
    assert again is not None
    assert (again == first).all()


def test_staffs_shropshire_at_its_fewest_count():
    """The part of 190 practices at 35 hubs, whose bound it is (34 is refused at once): none
    of the greedy rules, closing bases or the engines' searches found one in minutes."""
    inst, part = largest_part("staffs-shropshire")
    assert len(part.items) == 190
    at = count_window(inst, dataclasses.replace(part, count=35))
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    w = inst.weights[part.items]
    cost = inst.cost[np.ix_(part.items, part.items)]
    assert greedy_plan(w, cost, allowed, lo=at.lo, hi=at.ceiling(inst), count=35) is None
    plan = packed_plan(inst, at, count=35, seconds=30)
    assert plan is not None
    assert plan_groups(inst, at, plan) == 35


@pytest.fixture
def packing_time(monkeypatch):
    """Local search gets up to 25 s for a count (its own speed is the test above's): at
    staffs-shropshire's 35 it needs 5-6 s on a quiet machine, 11 s with both cores busy, more
    than its default share of a 30 s limit (7.5 s) then."""
    from mcp_geo.solvers import _packing

    monkeypatch.setattr(_packing, "PACKING_SHARE", 0.8)
    monkeypatch.setattr(_packing, "PACKING_SECONDS", 25.0)


@pytest.mark.slow
def test_a_fixed_count_the_engines_missed_has_a_plan(data, packing_time):
    """``--hubs 36`` on staffs-shropshire (35 in its part, Y01929 a hub of its own): no plan
    at 120 s before; now 36 hubs, every rule kept, within 30 s."""
    practices = select_footprint(data, "staffs-shropshire").practices
    options = SolveOptions(engine="columns", time_limit=30, threads=2)
    solution = solve_hubs(practices, rule=HubRule(hubs=36), options=options)
    assert solution.certificate.status in ("feasible", "optimal")
    hubs = solution.hubs
    assert len(hubs) == 36
    assert hubs["patients"].sum() == practices["patients"].sum()
    assert solution.assignment["hub_id"].notna().all()
    within = hubs["patients"].between(30_000, 50_000)
    assert within.sum() == 35
    assert hubs.loc[~within, "patients"].tolist() == [52_556]  # Y01929, a hub on its own


@pytest.mark.slow
def test_fewest_proves_the_count_on_staffs_shropshire(data, packing_time):
    """``--hubs fewest``: 36 hubs, the count stage proven (the bound); at 60 s it ended with
    38 against 36 before (closing bases, the engines finding no plan at 35)."""
    practices = select_footprint(data, "staffs-shropshire").practices
    options = SolveOptions(engine="columns", time_limit=30, threads=2)
    solution = solve_hubs(practices, rule=HubRule(hubs="fewest"), options=options)
    count = solution.certificate.stages[0]
    assert (count.name, count.objective, count.bound, count.status) == (
        "hubs",
        36.0,
        36.0,
        "optimal",
    )
    assert len(solution.hubs) == 36


def test_the_columns_engine_seeds_a_fixed_count_from_the_packing(monkeypatch):
    """Central Sussex at 23 hubs, no greedy plan: the packing's plan is the engine's first
    (bin completion given no time): a plan of 23 groups, no costlier than the packing's."""
    inst, part = largest_part("central-sussex-east-surrey")
    at = count_window(inst, dataclasses.replace(part, count=23))
    packed = packed_plan(inst, at, count=23, seconds=20)
    assert packed is not None
    monkeypatch.setattr(column_plans, "ROUGH_COMPLETION_SHARE", 0.0)
    monkeypatch.setattr(seeding, "PACKED_DESCENT_SHARE", 0.0)
    inst23 = dataclasses.replace(inst, count=23)
    options = SolveOptions(threads=1, time_limit=20)
    result = solve_columns(inst23, at, options=options, deadline=Deadline(20))
    assert result.base_of is not None
    assert plan_groups(inst, at, result.base_of) == 23
    assert result.certificate.objective == pytest.approx(plan_cost(inst, at.items, result.base_of))
    assert result.certificate.objective <= plan_cost(inst, at.items, packed) + 1e-6


def test_a_free_count_the_greedy_rules_miss_starts_from_a_plan_of_any_count(monkeypatch):
    """Birmingham and Solihull (QHL): the greedy rules get stuck on its part of 174 practices,
    so its master LP started from artificial columns only (at 10 s on a busy machine: no plan
    at all). The packing's plan of any count, after local search, seeds the columns, the plan
    of last resort."""
    monkeypatch.setattr(seeding, "FREE_PACKING_SECONDS", 30.0)  # its speed is not tested here
    inst, part = largest_part("icb:QHL")
    s = driver._Search(inst, part, options=SolveOptions(threads=1), deadline=Deadline(200))
    seeded = s.seed()
    assert seeded is not None
    assert s.rough  # after the LP's searches
    assert plan_groups(inst, part, part.items[seeded]) >= 30
    assert (local_polish(inst, part, seeded) == seeded).all()  # polished (5x less travel)
    s.master.solve()
    assert not s.master.needs_artificials()


def test_a_part_the_packing_finds_no_plan_for_is_proven_infeasible_before_generation(
    monkeypatch,
):
    """North East and North Cumbria (QHM): no plan keeps the rules on its part of 301
    practices, so the packing finds none. The compact model then proves that at once (0.3 s),
    before column generation, which spent 4-5 s before its artificial columns sent the part
    there (at 10 s, 6 of the 10)."""

    def no_generation(*args, **kwargs):
        raise AssertionError("column generation ran")

    monkeypatch.setattr(driver.ColumnGeneration, "run", no_generation)
    inst, part = largest_part("icb:QHM")
    options = SolveOptions(engine="columns", threads=2, time_limit=60)
    result = solve_columns(inst, part, options=options, deadline=Deadline(60))
    assert result.base_of is None
    assert result.certificate.status == "infeasible"


@pytest.mark.parametrize("code", ["QHM", "QOC"])
def test_a_part_with_no_plan_is_given_up_at_once_with_the_count_free(code: str) -> None:
    """North East and North Cumbria (301 practices) and Shropshire, Telford and Wrekin (49):
    no plan keeps the rules on their largest parts. CP-SAT's presolve proves it (0.03 s), so
    the search for a plan of any count stops at once instead of after its time (30 s here; 2 s
    in a plan); a part with a plan (South Yorkshire, QF7) still gets one."""
    for fp, expected in ((f"icb:{code}", None), ("icb:QF7", "plan")):
        inst, part = largest_part(fp)
        t0 = time.perf_counter()
        packed = packed_plan(inst, part, count=None, seconds=30)
        seconds = time.perf_counter() - t0
        if expected is None:
            assert packed is None
            assert seconds < 5
        else:
            assert packed is not None
            plan_groups(inst, part, packed)


def test_a_plan_the_compact_model_finds_where_the_packing_found_none_is_the_rough_start(
    monkeypatch,
):
    """Where the packing finds no plan (here made to) on a part that has one, the compact
    model's short look finds one: polished, it is the rough start, and the part is not
    called infeasible."""
    monkeypatch.setattr(seeding, "packed_plan", lambda *args, **kwargs: None)
    inst, part = largest_part("icb:QJM")
    assert part_greedy(inst, part) is None  # the greedy rules are stuck here
    s = driver._Search(inst, part, options=SolveOptions(threads=2), deadline=Deadline(200))
    seeded = s.seed()
    assert seeded is not None
    assert s.infeasible is None
    assert s.rough
    plan_groups(inst, part, part.items[seeded])
    assert (local_polish(inst, part, seeded) == seeded).all()


def test_a_listing_too_long_for_the_time_left_is_not_solved(monkeypatch):
    """HiGHS overran its limit on a long listing (central Sussex at 23 hubs: 97,780 columns,
    22 s given, 42 s taken, a 60 s solve ending at 75-81 s): a listing's MIP gets at most
    MIP_COLUMNS_PER_SECOND columns per second left, else the step is halved. With a small
    rate the MIPs stay within it and the part still ends with its plan, in time."""
    from mcp_geo.solvers.columns import listing

    monkeypatch.setattr(listing, "MIP_COLUMNS_PER_SECOND", 300)
    seen: list[tuple[int, float]] = []
    real = listing.column_mip

    def spy(inst, part, cols, *, deadline, **kwargs):
        seen.append((len(cols), deadline.remaining()))
        return real(inst, part, cols, deadline=deadline, **kwargs)

    monkeypatch.setattr(listing, "column_mip", spy)
    inst, part = largest_part("central-sussex-east-surrey")
    at = count_window(inst, dataclasses.replace(part, count=23))
    t0 = time.perf_counter()
    result = solve_columns(
        dataclasses.replace(inst, count=23),
        at,
        options=SolveOptions(threads=1, time_limit=30),
        deadline=Deadline(30),
    )
    assert time.perf_counter() - t0 < 36
    assert result.base_of is not None
    assert plan_groups(inst, at, result.base_of) == 23
    assert seen  # the listing ran
    # (a listing's MIP holds the incumbent's 23 columns beyond those listed)
    assert all(n - 23 <= 300 * (left + 1) for n, left in seen)


def _fewest_road() -> tuple[Instance, Part]:
    """The road of :func:`_road` with its count left to ``fewest``."""
    inst, part = _road()
    return dataclasses.replace(inst, count="fewest"), dataclasses.replace(part, count=None)


def test_fewest_takes_the_count_from_the_packing_when_the_engine_finds_none():
    """The road of :func:`_road` with a part solver that finds no plan at 3 groups from
    scratch (as the engines at staffs-shropshire's fewest count, out of time): the packing's
    plan proves 3, and the engine solves the travel from it, told that the start is rough."""
    from mcp_geo.solvers._compact import CompactEngine
    from mcp_geo.solvers._stages import solve_fewest
    from mcp_geo.solvers.engine import PartResult

    inst, part = _fewest_road()
    calls: list[tuple[int | None, bool, bool]] = []
    options = SolveOptions(threads=1, gap=0.0)

    def solve(i: Instance, p: Part, d: Deadline) -> PartResult:
        calls.append((p.count, p.start is not None, p.rough_start))
        result = CompactEngine().solve(i, p, options=options, deadline=d)
        if p.start is None:  # out of time at the bound, nothing proven
            cert = dataclasses.replace(
                result.certificate, status="no_solution", objective=None, bound=None
            )
            return PartResult(base_of=None, certificate=cert)
        return result

    def unused(i: Instance, p: Part, d: Deadline) -> PartResult:
        raise AssertionError("no free solve")

    result = solve_fewest(
        inst, part, options=options, deadline=Deadline(30), solve=solve, solve_free=unused
    )
    assert calls == [(3, False, False), (3, True, True)]
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 3
    count, travel = result.certificate.stages
    assert (count.objective, count.bound, count.status) == (3.0, 3.0, "optimal")
    assert travel.status == "optimal"
    assert travel.objective == pytest.approx(plan_cost(inst, part.items, result.base_of))


def test_fewest_without_a_plan_at_its_bound_takes_the_next_count_the_packing_fills(
    monkeypatch,
):
    """The road of :func:`_road`: the engine finds no plan at 3 groups (the bound) nor proves
    it impossible, and local search finds none at 3 either (as at Cheshire and Merseyside's 55 in
    30 s); at 4 it does: the plan has 4 groups, stated against the bound 3 (``feasible``),
    before any closing of bases."""
    from mcp_geo.solvers import _stages
    from mcp_geo.solvers._compact import CompactEngine
    from mcp_geo.solvers.engine import PartResult

    inst, part = _fewest_road()
    options = SolveOptions(threads=1, gap=0.0)
    tried: list[int] = []
    real = _stages.packed_plan

    def packing(i, p, *, count, seconds):
        tried.append(count)
        return None if count == 3 else real(i, p, count=count, seconds=seconds)

    monkeypatch.setattr(_stages, "packed_plan", packing)
    monkeypatch.setattr(_stages, "_descended", lambda *a, **k: pytest.fail("no closing"))

    def solve(i: Instance, p: Part, d: Deadline) -> PartResult:
        if p.start is None:  # out of time at the bound, nothing proven
            cert = CompactEngine().solve(i, p, options=options, deadline=d).certificate
            cert = dataclasses.replace(cert, status="no_solution", objective=None, bound=None)
            return PartResult(base_of=None, certificate=cert)
        return CompactEngine().solve(i, p, options=options, deadline=d)

    result = _stages.solve_fewest(
        inst, part, options=options, deadline=Deadline(30), solve=solve, solve_free=solve
    )
    assert tried == [3, 4]
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 4
    count = result.certificate.stages[0]
    assert (count.objective, count.bound, count.status) == (4.0, 3.0, "feasible")


def test_a_count_local_search_had_longer_for_is_not_searched_again(monkeypatch):
    """After the engine finds no plan at the bound, local search tries it and the next counts:
    not the bound again when the search had longer there already (it is deterministic), so the
    next counts get its time."""
    from mcp_geo.solvers import _stages
    from mcp_geo.solvers.engine import PartResult

    inst, part = _road()
    tried: list[tuple[int, float]] = []

    def packing(i, p, *, count, seconds):  # finds nothing
        tried.append((count, seconds))

    monkeypatch.setattr(_stages, "packed_plan", packing)

    def unused(i: Instance, p: Part, d: Deadline) -> PartResult:
        raise AssertionError("no plan to solve from")

    at = dataclasses.replace(part, count=4)
    again = _stages._packed_again(inst, at, deadline=Deadline(30), solve=unused, searched={4: 7.5})
    assert again is None
    assert [count for count, _ in tried] == [5, 6]
    # shorter than before: searched again, with its share of the time
    tried.clear()
    _stages._packed_again(inst, at, deadline=Deadline(30), solve=unused, searched={4: 0.5})
    assert [count for count, _ in tried] == [4, 5, 6]


@pytest.mark.parametrize("greedy_finds_a_plan", [True, False])
def test_the_proof_that_no_count_has_a_plan_is_sought_only_without_a_greedy_plan(
    monkeypatch, greedy_finds_a_plan
):
    """The road of :func:`_road` with its least count (3) proven impossible by the engine: the
    compact model's search for a proof that no count has a plan (5.5 s of staffs-shropshire's
    30 s, in vain) runs only when the greedy rules find no plan with the count free."""
    from mcp_geo.solvers import _stages
    from mcp_geo.solvers._compact import CompactEngine
    from mcp_geo.solvers.engine import PartResult

    inst, part = _fewest_road()
    options = SolveOptions(threads=1, gap=0.0)
    sought: list[int] = []
    real_any_count = _stages._any_count

    def any_count(*args, **kwargs):
        sought.append(1)
        return real_any_count(*args, **kwargs)

    monkeypatch.setattr(_stages, "_any_count", any_count)
    if not greedy_finds_a_plan:
        monkeypatch.setattr(_stages, "part_greedy", lambda *a, **k: None)

    def solve(i: Instance, p: Part, d: Deadline) -> PartResult:
        result = CompactEngine().solve(i, p, options=options, deadline=d)
        if p.count == 3:  # as if proven impossible
            cert = dataclasses.replace(result.certificate, status="infeasible", objective=None)
            return PartResult(base_of=None, certificate=cert)
        return result

    result = _stages.solve_fewest(
        inst, part, options=options, deadline=Deadline(30), solve=solve, solve_free=solve
    )
    assert sought == ([] if greedy_finds_a_plan else [1])
    assert result.base_of is not None
    assert plan_groups(inst, part, result.base_of) == 4
    count = result.certificate.stages[0]
    assert (count.objective, count.bound) == (4.0, 4.0)


def test_only_items_that_may_be_bases_are_bases():
    """The road of :func:`_road` where A and F may not be bases (a base rule): the three
    groups of 60 are based at B-E."""
    inst, part = _road()
    inst = dataclasses.replace(inst, base_ok=np.array([False, True, True, True, True, False]))
    plan = packed_plan(inst, part, count=3, seconds=10)
    assert plan is not None
    assert plan_groups(inst, part, plan) == 3
    assert set(plan.tolist()) <= {1, 2, 3, 4}
