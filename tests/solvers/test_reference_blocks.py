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
