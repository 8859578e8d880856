"""The columns engine's first plan and initial columns (columns/seeding.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._greedy import greedy_plan, local_search
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.columns.driver import _Search
from mcp_geo.solvers.columns.listing import columns_of
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import largest_part, scattered_instance


def _seeded(inst: Instance, part: Part) -> tuple[_Search, np.ndarray, np.ndarray]:
    """The part's search after step 1, the plan it returned and the greedy plan (local bases)."""
    options = SolveOptions(engine="columns", time_limit=30, threads=1)
    s = _Search(inst, part, options=options, deadline=Deadline(30))
    first = s.seed()
    assert first is not None
    pr = s.pr
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    greedy = greedy_plan(pr.w, pr.cost, allowed, lo=pr.lo, hi=pr.hi, count=part.count)
    assert greedy is not None
    return s, first, greedy


def _check(s: _Search, local: np.ndarray) -> float:
    """Every item in one group based in it, within the window and the reach; the plan's cost."""
    inst, part = s.inst, s.part
    for b in set(local.tolist()):
        members = part.items[local == b]
        assert local[b] == b
        assert part.lo <= inst.weights[members].sum() <= part.ceiling(inst)
        assert inst.allowed[members, part.items[b]].all()
    return plan_cost(inst, part.items, part.items[local])


def _in_master(s: _Search, plan: np.ndarray) -> bool:
    """Whether every group of the plan is a column of the master."""
    held = {(j, tuple(m.tolist())) for j, m, _ in s.order}
    return all((j, tuple(m.tolist())) in held for j, m in columns_of(plan))


def test_the_first_plan_is_the_greedy_plan_polished_and_both_seed_the_master() -> None:
    """Greater Manchester (406 practices in its largest part): the first plan keeps the rules,
    costs at least a quarter less than the greedy plan (5.44M patient-km, 2.4x the LP bound),
    is a local optimum of the local search, and the master holds the columns of both plans."""
    inst, part = largest_part("icb:QOP")
    s, first, greedy = _seeded(inst, part)
    cost, greedy_cost = _check(s, first), _check(s, greedy)
    assert cost < 0.75 * greedy_cost
    again = local_search(
        first,
        s.pr.w,
        s.pr.cost,
        allowed=s.inst.allowed[np.ix_(part.items, part.items)],
        lo=s.pr.lo,
        hi=s.pr.hi,
    )
    assert (again == first).all()
    assert _in_master(s, first)
    assert _in_master(s, greedy)


@pytest.mark.parametrize("seed", [4, 5])
def test_a_fixed_count_keeps_its_count_after_polishing(seed: int) -> None:
    """Scattered items with a fixed count the greedy plan meets: the first plan has exactly
    that many groups, keeps the rules and costs no more than the greedy plan."""
    inst, part = scattered_instance(60, seed)
    free = _seeded(inst, part)[2]
    count = len(set(free.tolist()))
    inst, part = scattered_instance(60, seed, count=count)
    s, first, greedy = _seeded(inst, part)
    assert len(set(first.tolist())) == count
    assert _check(s, first) <= _check(s, greedy) + 1e-9
