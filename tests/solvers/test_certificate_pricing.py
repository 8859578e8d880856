"""Certificates (combination, report form) and the knapsack pricing against enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mcp_geo.solvers.columns.knapsack as pricing
from mcp_geo.solvers.certificate import (
    Certificate,
    ModelSize,
    combine_certificates,
    relative_gap,
    within_gap,
)
from mcp_geo.solvers.columns.knapsack import knapsack_window, lp_bound_rows, lp_bounds


def _cert(status: str, objective: float | None, bound: float | None, **kw: object) -> Certificate:
    base = {
        "engine": "compact",
        "solver": "highs",
        "solver_version": "1.16.0",
        "objective_name": "km",
        "seconds": 1.0,
        "ended_by": "proof",
        "model_size": ModelSize(variables=10, constraints=5, nonzeros=20),
    }
    base.update(kw)
    gap = None if objective is None or bound is None else (objective - bound) / objective
    return Certificate(status=status, objective=objective, bound=bound, gap=gap, **base)


def test_combined_certificate_sums_and_takes_the_worst_status() -> None:
    one = _cert("optimal", 100.0, 100.0)
    two = _cert("feasible", 300.0, 270.0, engine="columns", ended_by="time_limit")
    c = combine_certificates([one, two], gap_tolerance=1e-4)
    assert (c.objective, c.bound) == (400.0, 370.0)
    assert c.gap == pytest.approx(30 / 400)
    assert c.status == "feasible"
    assert c.ended_by == "time_limit"
    assert c.engine == "columns+compact"
    assert c.model_size.variables == 20 and c.model_size.parts == 2  # noqa: PT018
    assert c.seconds == 2.0


def test_parts_each_within_the_tolerance_combine_to_optimal() -> None:
    parts = [_cert("optimal", 1000.0, 999.95), _cert("optimal", 2000.0, 1999.9)]
    c = combine_certificates(parts, gap_tolerance=1e-4)
    assert c.status == "optimal"
    assert c.gap == pytest.approx(0.15 / 3000)


def test_a_bound_set_at_the_tolerance_meets_it() -> None:
    """The listing proves no plan under objective * (1 - gap): rounding must not undo that (it
    made Greater Manchester list the same target again and again)."""
    objective, tolerance = 2_288_515.1314106407, 0.005
    gap = relative_gap(objective, objective * (1 - tolerance))
    assert gap is not None
    assert gap > tolerance  # by rounding
    assert within_gap(gap, tolerance)
    assert not within_gap(1.001 * tolerance, tolerance)
    assert not within_gap(None, tolerance)
    assert relative_gap(float("inf"), 1.0) is None  # no plan yet: no gap, never "optimal"


def test_no_solution_part_makes_the_whole_no_solution() -> None:
    c = combine_certificates(
        [_cert("optimal", 5.0, 5.0), _cert("no_solution", None, 3.0, ended_by="time_limit")],
        gap_tolerance=1e-4,
    )
    assert (c.status, c.objective, c.bound, c.gap) == ("no_solution", None, 8.0, None)


def test_report_form_has_the_design_fields_and_no_seconds() -> None:
    d = _cert("optimal", 12.3456789, 12.3456789).to_dict()
    assert {
        "engine",
        "solver",
        "solver_version",
        "status",
        "objective",
        "objective_name",
        "bound",
        "gap",
    } <= set(d)
    assert "seconds" not in d
    with pytest.raises(ValueError, match="status must be one of"):
        _cert("Optimal", 1.0, 1.0)
    with pytest.raises(ValueError, match="needs an objective"):
        _cert("feasible", None, 1.0)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    weights=st.lists(st.integers(0, 20), min_size=0, max_size=8),
    seed=st.integers(0, 1000),
    lo=st.integers(-5, 30),
    width=st.integers(0, 30),
)
def test_knapsack_matches_enumeration(weights: list[int], seed: int, lo: int, width: int) -> None:
    w = np.array(weights, dtype=np.int64)
    p = np.random.default_rng(seed).normal(0, 5, len(w))
    hi = max(lo, 0) + width
    best, best_with = -np.inf, np.full(len(w), -np.inf)
    for bits in itertools.product([0, 1], repeat=len(w)):
        x = np.array(bits, dtype=bool)
        if max(lo, 0) <= w[x].sum() <= hi:
            v = p[x].sum()
            best = max(best, v)
            best_with[x] = np.maximum(best_with[x], v)
    for enumerate_max in (pricing.ENUMERATE_MAX, -1):  # every subset, and the table
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(pricing, "ENUMERATE_MAX", enumerate_max)
            value, chosen = knapsack_window(w, p, lo=lo, hi=hi)
            above, none = knapsack_window(w, p, lo=lo, hi=hi, min_value=value + 1e-6)
        assert value == pytest.approx(best) if np.isfinite(best) else value == -np.inf
        if np.isfinite(value):
            assert chosen is not None
            assert p[chosen].sum() == pytest.approx(value)
            assert max(lo, 0) <= w[chosen].sum() <= hi
            assert (above, none) == (value, None)  # below min_value: no items read back
    bound, forced = lp_bounds(w, p, lo=lo, hi=hi, forced=True)
    assert bound >= best - 1e-9
    assert forced is not None
    assert np.all(forced >= best_with - 1e-9)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    weights=st.lists(st.integers(0, 25), min_size=0, max_size=9),
    seed=st.integers(0, 1000),
    cap=st.integers(0, 80),
    lo=st.integers(0, 90),
)
def test_knapsack_table_from_lo_matches_enumeration(
    weights: list[int], seed: int, cap: int, lo: int
) -> None:
    """Every total weight from ``lo`` up to the cap has the best profit of the subsets that
    weigh exactly that (-inf below ``lo``, and where none does), and the items read back from
    it are such a subset: the passes cut short above what is reachable and below what can still
    reach ``lo`` change nothing that is read."""
    w = np.array(weights, dtype=np.int64)
    p = np.round(np.random.default_rng(seed).normal(0, 5, len(w)), 1)  # ties happen
    exact = np.full(cap + 1, -np.inf)
    for bits in itertools.product([0, 1], repeat=len(w)):
        x = np.array(bits, dtype=bool)
        if (total := int(w[x].sum())) <= cap:
            exact[total] = max(exact[total], p[x].sum())
    f, take = pricing.knapsack_table(w, p, cap, lo=lo)
    assert f.shape == (cap + 1,)
    assert np.all(f[: min(lo, cap + 1)] == -np.inf)
    for c in range(min(lo, cap + 1), cap + 1):
        assert f[c] == pytest.approx(exact[c]) if np.isfinite(exact[c]) else f[c] == -np.inf
        if np.isfinite(f[c]):
            chosen = pricing.knapsack_items(w, take, c)
            assert w[chosen].sum() == c
            assert p[chosen].sum() == pytest.approx(f[c])


def test_lp_bounds_of_many_rows_match_one_at_a_time() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        rows, width = int(rng.integers(1, 8)), int(rng.integers(1, 12))
        w = rng.integers(0, 20, (rows, width))
        p = rng.normal(0, 10, (rows, width))
        valid = rng.random((rows, width)) < 0.8
        lo = rng.integers(-10, 60, rows)
        hi = lo + rng.integers(-5, 40, rows)
        together = lp_bound_rows(w, p, valid, lo=lo, hi=hi)
        for r in range(rows):
            alone, _ = lp_bounds(w[r][valid[r]], p[r][valid[r]], lo=int(lo[r]), hi=int(hi[r]))
            assert together[r] == (pytest.approx(alone, abs=1e-9) if np.isfinite(alone) else alone)


def test_range_maxima_match_slices() -> None:
    from mcp_geo.solvers.columns.cut_pricing import _range_max

    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 200))
        f = np.where(rng.random(n) < 0.2, -np.inf, rng.normal(size=n))
        a = rng.integers(0, n, int(rng.integers(1, 50)))
        b = np.minimum(a + rng.integers(0, n, len(a)), n - 1)
        expected = [f[x : y + 1].max() for x, y in zip(a, b, strict=True)]
        assert _range_max(f, a, b).tolist() == expected


def test_subset_sums_bits_and_items_follow_the_subset_matrix() -> None:
    """The subsets' sums (by doubling), bits and items are those of the rows of
    :func:`subset_matrix`, for weights (exact integers) and profits."""
    from mcp_geo.solvers.columns.knapsack import (
        subset_bits,
        subset_items,
        subset_matrix,
        subset_sums,
    )

    rng = np.random.default_rng(4)
    for k in range(9):
        subs = subset_matrix(k)
        w = rng.integers(0, 60_000, k)
        p = rng.normal(0, 1_000, k)
        assert subset_sums(w).tolist() == (subs @ w).astype(np.int64).tolist()
        assert subset_sums(p) == pytest.approx(subs @ p, abs=1e-9)
        assert (subset_bits(k) == subs.T).all()
        for s in range(2**k):
            assert subset_items(s, k).tolist() == np.flatnonzero(subs[s]).tolist()


def test_cut_penalties_match_each_subset_counted_by_hand() -> None:
    """Random cuts over random positions (an item in two slots of a cut, the base's slots,
    divisors 2-3, none at all): each subset's penalty is the sum over the cuts of its dual
    times floor((slots held + the base's slots) / divisor)."""
    from mcp_geo.solvers.columns.cut_pricing import _penalties
    from mcp_geo.solvers.columns.knapsack import subset_matrix

    rng = np.random.default_rng(8)
    for _ in range(200):
        t = int(rng.integers(1, 9))
        positions = sorted(rng.choice(20, t, replace=False).tolist())
        sigma = -rng.random(12)
        relevant = [
            (
                int(rng.integers(0, 12)),
                rng.choice(positions, int(rng.integers(1, 5))).tolist(),
                int(rng.integers(0, 2)),
                int(rng.integers(2, 4)),
            )
            for _ in range(int(rng.integers(0, 6)))
        ]
        subs = subset_matrix(t)
        got = _penalties(t, positions, relevant=relevant, sigma=sigma)
        for row, bits in enumerate(subs):
            held = {positions[k] for k in np.flatnonzero(bits)}
            by_hand = sum(
                sigma[c] * ((sum(k in held for k in inside) + base) // den)
                for c, inside, base, den in relevant
            )
            assert got[row] == pytest.approx(by_hand, abs=1e-12)
