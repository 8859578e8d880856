"""The split stage's knapsack (whole blocks earn a bonus) against every subset, on random
small cases (seeded)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mcp_geo.solvers.reference._blocks import block_knapsack


def _brute(w, p, *, blocks, bonus, lo, hi) -> float:
    best = -np.inf
    for bits in itertools.product([False, True], repeat=len(w)):
        x = np.array(bits, dtype=bool)
        if lo <= int(w[x].sum()) <= hi:
            value = float(p[x].sum()) + bonus * sum(bool(x[b].all()) for b in blocks)
            best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_block_knapsack_is_the_best_subset(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        m = int(rng.integers(1, 9))
        w = rng.integers(1, 8, m).astype(np.int64)
        p = rng.normal(0.0, 5.0, m)
        perm = rng.permutation(m)
        sizes = rng.integers(1, 4, m)
        blocks, k = [], 0
        while k < m and rng.random() < 0.7:
            blocks.append(perm[k : k + int(sizes[k])].astype(np.int64))
            k += int(sizes[k])
        bonus = float(rng.uniform(0.0, 6.0))
        lo = int(rng.integers(0, 10))
        hi = lo + int(rng.integers(0, 15))
        want = _brute(w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi)
        got, chosen = block_knapsack(w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi)
        if not np.isfinite(want):
            assert chosen is None or not np.isfinite(got)
            continue
        assert got == pytest.approx(want, abs=1e-9)
        x = np.zeros(m, dtype=bool)
        x[chosen] = True
        assert lo <= int(w[x].sum()) <= hi
        value = float(p[x].sum()) + bonus * sum(bool(x[b].all()) for b in blocks)
        assert value == pytest.approx(got, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_positions_are_read_back_only_for_a_value_at_least_min_value(seed: int) -> None:
    """Pricing asks only whether a row prices out: below ``min_value`` the value alone (the
    same best value, every subset checked), at or above it the same positions as without."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(60):
        m = int(rng.integers(1, 9))
        w = rng.integers(1, 8, m).astype(np.int64)
        p = rng.normal(0.0, 5.0, m)
        blocks = [b for b in np.array_split(rng.permutation(m), 3) if len(b) and rng.random() < 0.7]
        bonus = float(rng.uniform(0.0, 6.0))
        lo = int(rng.integers(0, 10))
        hi = lo + int(rng.integers(0, 15))
        want = _brute(w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi)
        full, chosen = block_knapsack(w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi)
        if not np.isfinite(want):
            continue
        above, none = block_knapsack(
            w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi, min_value=want + 1.0
        )
        assert none is None
        assert above == pytest.approx(want, abs=1e-9)
        at, same = block_knapsack(w, p, blocks=blocks, bonus=bonus, lo=lo, hi=hi, min_value=full)
        assert at == full
        assert same is not None
        assert chosen is not None
        assert same.tolist() == chosen.tolist()
