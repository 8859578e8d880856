"""The split stage's knapsack (whole blocks earn a bonus) against every subset, on random
small cases (seeded)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Case:
    """A small block knapsack and its best value by every subset."""

    w: np.ndarray
    p: np.ndarray
    blocks: list[np.ndarray]
    bonus: float
    lo: int
    hi: int
    want: float

    def solve(self, **kwargs: float) -> tuple[float, np.ndarray | None]:
        return block_knapsack(
            self.w, self.p, blocks=self.blocks, bonus=self.bonus, lo=self.lo, hi=self.hi, **kwargs
        )


def _cases(seed: int, n: int = 60) -> Iterator[Case]:
    """Random cases of 1-8 items, some in disjoint blocks of 1-3 (seeded)."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
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
        yield Case(w, p, blocks, bonus, lo, hi, want)


@pytest.mark.parametrize("seed", range(6))
def test_block_knapsack_is_the_best_subset(seed: int) -> None:
    for case in _cases(seed):
        got, chosen = case.solve()
        if not np.isfinite(case.want):
            assert chosen is None or not np.isfinite(got)
            continue
        assert got == pytest.approx(case.want, abs=1e-9)
        x = np.zeros(len(case.w), dtype=bool)
        x[chosen] = True
        assert case.lo <= int(case.w[x].sum()) <= case.hi
        value = float(case.p[x].sum()) + case.bonus * sum(bool(x[b].all()) for b in case.blocks)
        assert value == pytest.approx(got, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_positions_are_read_back_only_for_a_value_at_least_min_value(seed: int) -> None:
    """Pricing asks only whether a row prices out: below ``min_value`` the value alone (the
    same best value, every subset checked), at or above it the same positions as without."""
    for case in _cases(100 + seed):
        full, chosen = case.solve()
        if not np.isfinite(case.want):
            continue
        above, none = case.solve(min_value=case.want + 1.0)
        assert none is None
        assert above == pytest.approx(case.want, abs=1e-9)
        at, same = case.solve(min_value=full)
        assert at == full
        assert same is not None
        assert chosen is not None
        assert same.tolist() == chosen.tolist()


def test_the_rows_bound_with_the_groups_bonus_is_valid_and_tighter(monkeypatch) -> None:
    """The split stage's rows on the interleaved road (each practice 20k, groups of two, hubs of
    30-50k): at random duals, each row's LP bound on its reduced cost is at most its exact
    reduced cost, and never weaker than the LP bound without the bonus less the bonus of every
    group the row reaches whole; somewhere it is stronger (a row reaching two groups whole
    has room for one)."""
    from mcp_geo.solvers.columns.knapsack import lp_bound_rows
    from mcp_geo.solvers.reference._master import Duals, StageCosts

    from .test_reference import INTERLEAVED, Road, pricer_of, rule_of

    road = Road.parse(INTERLEAVED)
    pricer = pricer_of(monkeypatch, road, rule=rule_of(max_km=5.0, whole=True))
    assert len(pricer.wholes) >= 2
    rng = np.random.default_rng(7)
    stronger = 0
    for _ in range(30):
        at = Duals(
            value=0.0, cover=rng.uniform(0.0, 60_000.0, pricer.n),
            group=np.zeros(len(pricer.group_codes)), count=0.0, moves=0.0, travel=0.0,
            whole=float(rng.uniform(0.0, 3.0)), artificial=False,
        )  # fmt: skip
        rp = pricer.row_prices(at, StageCosts(alpha=0.0, beta=0.0, gamma=1.0), cuts=None)
        upper = lp_bound_rows(
            pricer.w[pricer.pad], rp.profits, pricer.valid, lo=rp.lo_w, hi=rp.hi_w
        )
        before = rp.const - (upper + rp.bonus * pricer.row_wholes)
        for r in range(len(pricer.row_j)):
            exact, _ = pricer.exact_row(rp, r)
            assert rp.rc_low[r] <= exact + 1e-6
            if np.isfinite(rp.rc_low[r]):
                assert rp.rc_low[r] >= before[r] - 1e-6
                stronger += rp.rc_low[r] > before[r] + 1e-6
    assert stronger > 0
