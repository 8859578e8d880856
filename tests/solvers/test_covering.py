"""Pricing over a window whose top does not bind (MCPs with no maximum): the covering shortcut
of :func:`mcp_geo.solvers.columns.knapsack.knapsack_window` against enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_geo.solvers.columns import knapsack


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    weights=st.lists(st.integers(0, 20), min_size=1, max_size=9),
    seed=st.integers(0, 1000),
    lo=st.integers(0, 60),
    width=st.integers(0, 200),
)
def test_the_covering_shortcut_matches_enumeration(
    weights: list[int], seed: int, lo: int, width: int
) -> None:
    """Every window (wide ones, where the top cannot bind, and narrow ones, where taking every
    item of positive profit overshoots it): the best value, and items that make it."""
    w = np.array(weights, dtype=np.int64)
    p = np.random.default_rng(seed).normal(0, 5, len(w))
    hi = lo + width
    best = -np.inf
    for bits in itertools.product([0, 1], repeat=len(w)):
        x = np.array(bits, dtype=bool)
        if lo <= w[x].sum() <= hi:
            best = max(best, float(p[x].sum()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(knapsack, "WIDE_CAP", -1)  # the shortcut for every window
        mp.setattr(knapsack, "ENUMERATE_MAX", -1)  # not the enumeration of small sets
        value, chosen = knapsack.knapsack_window(w, p, lo=lo, hi=hi)
        above, none = knapsack.knapsack_window(w, p, lo=lo, hi=hi, min_value=value + 1e-6)
    if not np.isfinite(best):
        assert value == -np.inf
        return
    assert value == pytest.approx(best)
    assert chosen is not None
    assert p[chosen].sum() == pytest.approx(value)
    assert lo <= w[chosen].sum() <= hi
    assert none is None
    assert above == pytest.approx(value)


def _auto_against_compact(footprint: str) -> int:
    """The MCP level of a footprint's hubs (no maximum) with ``auto`` and with the compact
    model: ``auto`` is the columns engine, both proven, the same travel. The number of hubs."""
    import mcp_geo
    from mcp_geo.solvers.mcps import solve_mcps
    from mcp_geo.solvers.rules import SolveOptions

    hubs = mcp_geo.plan(footprint, no_mcps=True, threads=1, time_limit=60).hubs
    hubs = hubs.assign(latitude=hubs.geometry.y, longitude=hubs.geometry.x)  # bases' points
    found = {}
    for engine in ("auto", "compact"):
        options = SolveOptions(engine=engine, threads=1, time_limit=60)
        found[engine] = solve_mcps(hubs, options=options).certificate
    auto, compact = found["auto"], found["compact"]
    assert (auto.engine, auto.status) == ("columns", "optimal")
    assert (compact.engine, compact.status) == ("compact", "optimal")
    assert auto.objective == pytest.approx(compact.objective, rel=1e-4)
    return len(hubs)


def test_mcps_with_no_maximum_are_planned_by_columns_as_well_as_by_the_compact_model() -> None:
    """Staffordshire and Shropshire's 52 hubs grouped into MCPs of at least 100,000 (no
    maximum): ``auto`` now prices them by covering in the columns engine; the plan is proven,
    with the travel the compact model proves."""
    assert _auto_against_compact("staffs-shropshire") == 52


def test_small_mcp_levels_go_to_columns_with_the_compact_models_travel() -> None:
    """north-staffs' 16 hubs (fewer than the 30 items below which ``auto`` sends hub parts to
    the compact model): their MCP level goes to the columns engine all the same, proven, with
    the travel the compact model proves."""
    from mcp_geo.solvers._core import AUTO_COMPACT_MAX_ITEMS

    assert 2 < _auto_against_compact("north-staffs") <= AUTO_COMPACT_MAX_ITEMS
