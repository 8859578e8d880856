"""Branch-and-price (``mcp_geo.solvers.columns.branching``) against the compact model on small instances."""

from __future__ import annotations

import numpy as np
import pytest

from mcp_geo.solvers._compact import solve_compact
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.columns.branching import TreeResult, branch_and_price
from mcp_geo.solvers.columns.pricing import Pricer
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import scattered_instance


def _tree(inst: Instance, part: Part, seconds: float = 60.0) -> tuple[TreeResult, Pricer]:
    pr = Pricer(inst, part)
    cols = [(j, m, pr.column_cost(j, m)) for j, m in pr.initial_columns()]
    big_m = float(np.where(inst.allowed, pr.cost, 0).max(axis=1).sum()) + 1.0
    res = branch_and_price(
        pr,
        cols,
        pairs=inst.allowed.copy(),
        count=part.count,
        big_m=big_m,
        incumbent=None,
        incumbent_cost=np.inf,
        root_bound=0.0,
        gap=1e-9,
        threads=1,
        deadline=Deadline(seconds),
    )
    return res, pr


def _compact_optimum(inst: Instance, part: Part) -> float | None:
    options = SolveOptions(engine="compact", gap=1e-9, time_limit=60, threads=1)
    result, _, _ = solve_compact(inst, part, options=options, deadline=Deadline(60))
    c = result.certificate
    if c.status == "infeasible":
        return None
    assert c.status == "optimal"
    return c.objective


def _check_plan(inst: Instance, pr: Pricer, plan: np.ndarray, cost: float) -> None:
    n = inst.n
    assert plan.shape == (n,)
    assert (plan[plan] == plan).all()  # every base serves itself
    for b in set(plan.tolist()):
        total = int(inst.weights[plan == b].sum())
        assert inst.lo <= total <= inst.hi
    assert inst.allowed[np.arange(n), plan].all()
    assert cost == pytest.approx(float(pr.cost[np.arange(n), plan].sum()))


@pytest.mark.parametrize("seed", range(6))
def test_proves_the_compact_optimum(seed: int) -> None:
    inst, part = scattered_instance(18, seed)
    optimum = _compact_optimum(inst, part)
    res, pr = _tree(inst, part)
    assert res.ended_by == "proof"
    assert res.open_nodes == 0
    if optimum is None:
        assert res.base_local is None
        assert res.objective == np.inf
        return
    assert res.base_local is not None
    _check_plan(inst, pr, res.base_local, res.objective)
    assert res.objective == pytest.approx(optimum, rel=1e-7)
    assert res.bound <= res.objective + 1e-6
    assert res.bound == pytest.approx(optimum, rel=1e-7)


def test_a_fixed_count_is_kept() -> None:
    inst, part = scattered_instance(18, 2, count=5)
    optimum = _compact_optimum(inst, part)
    assert optimum is not None
    res, pr = _tree(inst, part)
    assert res.base_local is not None
    assert res.nodes > 1
    assert len(set(res.base_local.tolist())) == 5
    _check_plan(inst, pr, res.base_local, res.objective)
    assert res.objective == pytest.approx(optimum, rel=1e-7)


def test_out_of_time_returns_the_incumbent_and_an_honest_bound() -> None:
    inst, part = scattered_instance(18, 1)
    optimum = _compact_optimum(inst, part)
    assert optimum is not None
    pr = Pricer(inst, part)
    cols = [(j, m, pr.column_cost(j, m)) for j, m in pr.initial_columns()]
    plan = np.arange(inst.n)  # not a plan of groups of 30-50: only its cost matters here
    res = branch_and_price(
        pr,
        cols,
        pairs=inst.allowed.copy(),
        count=None,
        big_m=1e9,
        incumbent=plan,
        incumbent_cost=optimum * 2,
        root_bound=123.0,
        gap=1e-9,
        threads=1,
        deadline=Deadline(0.0),
    )
    assert (res.ended_by, res.nodes, res.open_nodes) == ("time_limit", 0, 1)
    assert res.objective == optimum * 2
    assert res.bound == 123.0
    assert res.base_local is not None
    assert (res.base_local == plan).all()


def test_deterministic() -> None:
    inst, part = scattered_instance(18, 2)  # 65 nodes
    one, _ = _tree(inst, part)
    two, _ = _tree(inst, part)
    assert one.ended_by == two.ended_by == "proof"
    assert (one.nodes, one.objective, one.bound) == (two.nodes, two.objective, two.bound)
    assert one.nodes > 1
    assert one.base_local is not None
    assert two.base_local is not None
    assert (one.base_local == two.base_local).all()


def test_columns_engine_closes_with_the_tree_then_the_compact_model(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Forced through the tree (any gap); with no time for it the compact model finishes."""
    import mcp_geo.solvers.columns.driver as columns
    import mcp_geo.solvers.columns.listing as closing
    from mcp_geo.solvers import HubRule, solve_hubs

    from ._helpers import plane_instance

    monkeypatch.setattr(columns, "BRANCH_MAX_GAP", 1.0)
    monkeypatch.setattr(closing, "list_columns", lambda *a, **k: None)  # always too long
    rng = np.random.default_rng(1)  # 165 nodes
    frame, travel = plane_instance(rng.uniform(0, 30, (36, 2)), rng.integers(2_000, 16_000, 36))
    rule = HubRule(max_km=25.0)
    caplog.set_level("INFO", logger="mcp_geo.solvers.columns.branching")
    results = {}
    for engine, share in (("columns", 0.5), ("columns", 0.0), ("compact", 0.5)):
        monkeypatch.setattr(columns, "BRANCH_SHARE", share)
        caplog.clear()
        options = SolveOptions(engine=engine, threads=1, time_limit=60)
        c = solve_hubs(frame, rule=rule, options=options, travel=travel).certificate
        trees = [r.getMessage() for r in caplog.records if " nodes, " in r.getMessage()]
        results[engine, share] = c, trees
    reference = results["compact", 0.5][0]
    assert reference.status == "optimal"
    for share, proof in ((0.5, True), (0.0, False)):
        c, trees = results["columns", share]
        assert c.status == "optimal"
        assert c.objective == pytest.approx(reference.objective, rel=2e-4)
        assert c.bound <= reference.objective + 1e-6
        assert reference.bound <= c.objective + 1e-6
        assert len(trees) == 1  # the tree ran, and proved the plan only when it had time
        assert ("(proof)" in trees[0]) == proof
