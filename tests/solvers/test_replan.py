"""Re-planning neighbourhoods of hubs with the compact model (solvers/_replan.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from numpy.typing import NDArray

from mcp_geo.solvers import _replan as replan_module
from mcp_geo.solvers._compact import plan_cost, solve_compact
from mcp_geo.solvers._greedy import greedy_plan
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._replan import replan
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import scattered_instance

OPTIONS = SolveOptions(threads=1)


def _check(inst: Instance, part: Part, local: NDArray[np.int64]) -> float:
    """Every item in one group within the window and its base's reach; the plan's cost."""
    for b in set(local.tolist()):
        members = part.items[local == b]
        assert local[b] == b
        assert part.lo <= inst.weights[members].sum() <= inst.hi
        assert inst.allowed[members, part.items[b]].all()
    return plan_cost(inst, part.items, part.items[local])


def _greedy(inst: Instance, part: Part) -> NDArray[np.int64] | None:
    items = part.items
    allowed = inst.allowed[np.ix_(items, items)]
    cost = inst.cost[np.ix_(items, items)]
    return greedy_plan(inst.weights[items], cost, allowed, lo=part.lo, hi=inst.hi, count=part.count)


def test_replanning_keeps_the_rules_and_lowers_the_cost() -> None:
    """Scattered items, the greedy plan: the re-planned plan keeps every rule and costs less
    (never more); re-planning its own result again changes nothing."""
    inst, part = scattered_instance(50, 3)
    start = _greedy(inst, part)
    assert start is not None
    before = _check(inst, part, start)
    plan, cost = replan(inst, part, start, options=OPTIONS, until=time.perf_counter() + 60)
    assert cost == pytest.approx(_check(inst, part, plan))
    after = _check(inst, part, plan)
    assert after < before - 1e-6
    again, _ = replan(inst, part, plan, options=OPTIONS, until=time.perf_counter() + 60)
    assert _check(inst, part, again) == pytest.approx(after)


def test_one_neighbourhood_holding_every_group_gives_the_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a neighbourhood holds every group, re-planning is the compact model of the part:
    the plan it ends with costs what the whole part's proven optimum costs."""
    monkeypatch.setattr(replan_module, "GROUPS", 50)
    monkeypatch.setattr(replan_module, "SECONDS", 30.0)
    inst, part = scattered_instance(24, 5)
    start = _greedy(inst, part)
    assert start is not None
    plan, cost = replan(inst, part, start, options=OPTIONS, until=time.perf_counter() + 60)
    assert cost == pytest.approx(_check(inst, part, plan))
    best, _, _ = solve_compact(inst, part, options=OPTIONS, deadline=Deadline(60))
    assert best.certificate.status == "optimal"
    assert _check(inst, part, plan) == pytest.approx(best.certificate.objective)


def test_a_fixed_count_is_kept() -> None:
    """With a fixed count, each neighbourhood keeps its number of groups: so does the plan."""
    inst, part = scattered_instance(40, 2, count=8)
    start = _greedy(inst, part)
    assert start is not None
    plan, cost = replan(inst, part, start, options=OPTIONS, until=time.perf_counter() + 60)
    assert cost == pytest.approx(_check(inst, part, plan))
    assert len(set(plan.tolist())) == 8
    assert _check(inst, part, plan) <= _check(inst, part, start) + 1e-9


def test_no_time_no_change() -> None:
    """With no time left the plan comes back as it was."""
    inst, part = scattered_instance(40, 2)
    start = _greedy(inst, part)
    assert start is not None
    plan, _ = replan(inst, part, start, options=OPTIONS, until=time.perf_counter())
    assert (plan == start).all()
