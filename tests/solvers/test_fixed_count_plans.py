"""Plans for a fixed count with nearly full groups: bin completion and exact regrouping."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._packing import packed_plan
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers._window import count_window
from mcp_geo.solvers.columns import generation
from mcp_geo.solvers.columns.completion import FAIR_SHARE, complete_any, complete_plan
from mcp_geo.solvers.columns.driver import _Search
from mcp_geo.solvers.columns.generation import ColumnGeneration
from mcp_geo.solvers.columns.regroup import best_split, regroup_part, valid_groups
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import brute_force, largest_part, scattered_instance


def _feasible(inst, part, base_of, count) -> None:  # type: ignore[no-untyped-def]
    assert (base_of >= 0).all()
    groups = sorted(set(base_of.tolist()))
    assert len(groups) == count
    for b in groups:
        members = part.items[base_of == b] if base_of.max() < len(part.items) else None
        assert members is not None
        assert part.lo <= inst.weights[members].sum() <= inst.hi
        assert inst.allowed[members, part.items[b]].all()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("groups", [2, 3, 4, None])
def test_best_split_matches_brute_force(seed: int, groups: int | None) -> None:
    """Items on a line: the enumeration's split into 2, 3 or 4 groups, or into any number (a
    free count), costs what brute force finds."""
    rng = np.random.default_rng(seed)
    m = 7
    x = rng.uniform(0, 10, m)
    km = np.abs(x[:, None] - x[None, :])
    w = rng.integers(8, 20, m).astype(np.int64)
    lo, hi = 20, 45
    cost = w[:, None] * km
    reach = km <= 6.0
    split = best_split(w, cost, reach, lo=lo, hi=hi, groups=groups)
    expected = brute_force(w, km, lo, hi, 6.0, count=groups)
    if expected is None:
        assert split is None
        return
    assert split is not None
    assert groups is None or len(set(split.tolist())) == groups
    assert reach[np.arange(m), split].all()
    for b in set(split.tolist()):
        assert lo <= w[split == b].sum() <= hi
    assert cost[np.arange(m), split].sum() == pytest.approx(expected)


def _search(n: int, seed: int, count: int) -> _Search:
    inst, part = scattered_instance(n, seed, count=count)
    options = SolveOptions(engine="columns", time_limit=30, threads=2)
    s = _Search(inst, part, options=options, deadline=Deadline(30))
    s.seed()
    ColumnGeneration(s.master, s.pr, add=s.add, count=count, deadline=s.deadline).run(budget=20)
    return s


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_completion_and_regrouping_keep_the_rules_and_the_count(seed: int) -> None:
    """The fewest count (groups nearly full): bin completion makes a plan of exactly that many
    groups, within the window and the reach (seed 2: only a later search of the portfolio finds
    one); regrouping keeps all that and never costs more."""
    inst, _ = scattered_instance(40, seed)
    count = int(np.ceil(inst.weights.sum() / inst.hi))
    s = _search(40, seed, count)
    _, pi, mu = s.master.solve()
    plan = complete_any(s.pr, s.order, s.master.values(), pi=pi, mu=mu, count=count, until=np.inf)
    assert plan is not None
    _feasible(s.inst, s.part, plan, count)
    better = regroup_part(s.inst, s.part, plan, until=time.perf_counter() + 2.0)
    _feasible(s.inst, s.part, better, count)
    before = plan_cost(s.inst, s.part.items, s.part.items[plan])
    after = plan_cost(s.inst, s.part.items, s.part.items[better])
    assert after <= before + 1e-9


def test_a_fair_search_completes_where_the_plain_ones_strand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """staffs-shropshire's part of 190 practices at 35 hubs (96.6% full), from the master LP
    converged without cuts (deterministic): the plain search spends the slack early and finds
    no plan in its 2,000 nodes; the fair one (groups taking at most FAIR_SHARE shares of the
    slack first) finds one of exactly 35 groups within the window and the reach, and so does
    the portfolio."""
    inst, part = largest_part("staffs-shropshire")
    count = 35
    part = count_window(inst, dataclasses.replace(part, count=count))
    assert len(part.items) == 190
    start = packed_plan(inst, part, count=count, seconds=10)
    part = dataclasses.replace(part, start=start, rough_start=True)
    monkeypatch.setattr(generation, "MAX_CUT_ROUNDS", 0)
    options = SolveOptions(engine="columns", time_limit=120, threads=2)
    s = _Search(inst, part, options=options, deadline=Deadline(120))
    s.seed()
    gen = ColumnGeneration(s.master, s.pr, add=s.add, count=count, deadline=s.deadline)
    assert gen.run(budget=120).converged
    _, pi, mu = s.master.solve()
    values = s.master.values()
    plain = complete_plan(s.pr, s.order, values, pi=pi, mu=mu, count=count, until=np.inf)
    assert plain is None
    fair = complete_plan(
        s.pr, s.order, values, pi=pi, mu=mu, count=count, until=np.inf, fair=FAIR_SHARE
    )
    assert fair is not None
    _feasible(s.inst, s.part, fair, count)
    chosen = complete_any(s.pr, s.order, values, pi=pi, mu=mu, count=count, until=np.inf)
    assert chosen is not None
    _feasible(s.inst, s.part, chosen, count)


@pytest.mark.parametrize("seed", range(8))
def test_valid_groups_are_every_subset_some_member_serves(seed: int) -> None:
    """The regrouping's listing of a neighbourhood: exactly the subsets within the window that
    one of their members can serve whole, each with its cheapest such member (the lowest on a
    tie) and that cost, as enumeration finds them."""
    rng = np.random.default_rng(seed)
    m = 9
    xy = rng.uniform(0, 10, (m, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    w = rng.integers(5, 20, m).astype(np.int64)
    cost = w[:, None] * km
    reach = km <= 6.0
    lo, hi = 25, 45
    groups = valid_groups(w, cost, reach, lo=lo, hi=hi)
    assert groups is not None
    found = {
        int(mask): (int(b), float(c))
        for mask, b, c in zip(groups.masks, groups.bases, groups.costs, strict=True)
    }
    expected = {}
    for mask in range(1, 2**m):
        members = [i for i in range(m) if mask >> i & 1]
        if not lo <= w[members].sum() <= hi:
            continue
        serving = [j for j in members if reach[members, j].all()]
        if serving:
            j = min(serving, key=lambda b: (cost[members, b].sum(), b))
            expected[mask] = (j, float(cost[members, j].sum()))
    assert found.keys() == expected.keys()
    for mask, (j, c) in expected.items():
        assert found[mask][0] == j
        assert found[mask][1] == pytest.approx(c)
