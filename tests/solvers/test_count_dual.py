"""The count row's dual in column generation's Lagrangian bound (``generation.count_dual``,
and ``generation.range_dual`` for a free count)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcp_geo.solvers._packing import packed_plan
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers._window import count_window
from mcp_geo.solvers.columns.driver import _Search
from mcp_geo.solvers.columns.generation import (
    ColumnGeneration,
    count_dual,
    lagrangian_bound,
    range_dual,
)
from mcp_geo.solvers.columns.listing import columns_of
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import brute_force, largest_part, scattered_instance


def _lagrangian(rc: np.ndarray, *, mu: float, count: int, at: float) -> float:
    """``L(at) - L0``: the bound's part that depends on the count's dual ``at``, for reduced
    costs ``rc`` computed at ``mu``."""
    own = rc[np.isfinite(rc)] + mu
    return count * at + float(np.minimum(own - at, 0).sum())


def test_the_dual_that_makes_the_bound_largest():
    """Five bases, one that cannot open; reduced costs at mu = 1:

        base      0    1    2    3    4
        r_j      -5    3   -1  inf    2      (r_j + mu: -4, 4, 0, -, 3)

    The best dual is the count-th smallest ``r_j + mu``: -4 for one group, 0 for two, 3 for
    three. With three groups the bound's part that depends on it is 3 x 3 + (-4 - 3) + (0 - 3)
    = -1 (the three smallest, -4 + 0 + 3), against 3 x 1 + (-5) + (-1) = -3 at mu = 1.
    """
    rc = np.array([-5.0, 3.0, -1.0, np.inf, 2.0])
    assert count_dual(rc, mu=1.0, count=2) == 0.0
    assert count_dual(rc, mu=1.0, count=1) == -4.0
    assert count_dual(rc, mu=1.0, count=3) == 3.0
    assert _lagrangian(rc, mu=1.0, count=3, at=3.0) == -1.0
    assert _lagrangian(rc, mu=1.0, count=3, at=1.0) == -3.0
    assert count_dual(rc, mu=1.0, count=5) == 1.0  # four bases can open: left as it was
    assert count_dual(rc, mu=1.0, count=0) == 1.0


@pytest.mark.parametrize("seed", range(20))
def test_no_other_dual_gives_a_larger_bound(seed: int):
    rng = np.random.default_rng(seed)
    rc = rng.normal(0, 10, 30)
    rc[rng.random(30) < 0.2] = np.inf
    mu = float(rng.normal(0, 20))
    count = int(rng.integers(1, 20))
    best = count_dual(rc, mu=mu, count=count)
    top = _lagrangian(rc, mu=mu, count=count, at=best)
    own = np.sort(rc[np.isfinite(rc)] + mu)
    assert top == pytest.approx(own[:count].sum())  # the count smallest reduced costs
    for at in np.linspace(own.min() - 10, own.max() + 10, 201):
        assert _lagrangian(rc, mu=mu, count=count, at=float(at)) <= top + 1e-9


def _recording(inst, part, monkeypatch) -> tuple[ColumnGeneration, list[float]]:  # type: ignore[no-untyped-def]
    """The part's column generation after seeding, and the list every bound it keeps joins."""
    kept: list[float] = []
    best = ColumnGeneration._best

    def record(self, value, pi, *, mu, sigma, k):  # type: ignore[no-untyped-def]
        kept.append(value)
        best(self, value, pi, mu=mu, sigma=sigma, k=k)

    monkeypatch.setattr(ColumnGeneration, "_best", record)
    options = SolveOptions(engine="columns", time_limit=30, threads=1)
    s = _Search(inst, part, options=options, deadline=Deadline(30))
    s.seed()
    gen = ColumnGeneration(s.master, s.pr, add=s.add, count=part.count, deadline=s.deadline)
    return gen, kept


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_bound_kept_at_a_fixed_count_is_valid(seed: int, monkeypatch):
    """Scattered parts of nine items at a fixed count: every bound column generation keeps
    (converged or not, at the smoothed duals too) is at most the optimum brute force finds."""
    inst, _ = scattered_instance(9, seed, side=12.0)
    free = brute_force(inst.weights, inst.km, 30, 50, inst.max_km)
    assert free is not None
    for count in range(1, 5):
        optimum = brute_force(inst.weights, inst.km, 30, 50, inst.max_km, count=count)
        if optimum is None:
            continue
        inst_k, part = scattered_instance(9, seed, side=12.0, count=count)
        gen, kept = _recording(inst_k, part, monkeypatch)
        out = gen.run(budget=20)
        assert out.converged
        assert kept
        assert max(kept) <= optimum + 1e-6 * max(1.0, optimum)


def test_the_range_dual_by_hand():
    """Six bases, one that cannot open; no count row (mu = 0):

        base      0    1    2    3    4    5
        r_j      -5   -3   -1  inf    2    4

    Three bases price out. With plans of 1-2 groups the bound takes the two smallest, -8, at
    m = -3 (2 x -3 + (-5 + 3) = -8, where the plain bound is -9); with 4-5 groups the four
    smallest, -7, at m = 2 (4 x 2 + (-7) + (-5) + (-3) = -7); with 2-4 groups the three
    negative ones, at m = 0: the plain bound.
    """
    rc = np.array([-5.0, -3.0, -1.0, np.inf, 2.0, 4.0])
    assert range_dual(rc, groups=(1, 2)) == (-3.0, 2)
    assert range_dual(rc, groups=(4, 5)) == (2.0, 4)
    assert range_dual(rc, groups=(2, 4)) == (0.0, 3)
    assert range_dual(rc, groups=(6, 9)) == (0.0, 0)  # five bases can open: no such plan
    assert lagrangian_bound(10.0, rc, mu=0.0, count=None, groups=(1, 2)) == (2.0, -3.0, 2)
    assert lagrangian_bound(10.0, rc, mu=0.0, count=None, groups=(4, 5)) == (3.0, 2.0, 4)
    assert lagrangian_bound(10.0, rc, mu=0.0, count=None, groups=None) == (1.0, 0.0, 0)


@pytest.mark.parametrize("seed", range(20))
def test_the_range_bound_is_the_least_sum_over_the_counts_and_no_dual_beats_it(seed: int):
    """Random reduced costs and count ranges: the bound is the least sum of the k smallest
    reduced costs over every k in the range, and ``ell + k m + sum min(0, r - m)`` (k the
    least count for m >= 0, the most for m < 0: each a valid bound) is never larger."""
    rng = np.random.default_rng(seed)
    rc = rng.normal(0, 10, 30)
    rc[rng.random(30) < 0.2] = np.inf
    kmin = int(rng.integers(1, 15))
    kmax = kmin + int(rng.integers(0, 15))
    own = np.sort(rc[np.isfinite(rc)])
    top, m, k = lagrangian_bound(0.0, rc, mu=0.0, count=None, groups=(kmin, kmax))
    least = min(own[:j].sum() for j in range(kmin, min(kmax, len(own)) + 1))
    assert top == pytest.approx(least)
    assert top == pytest.approx(k * m + float(np.minimum(own - m, 0).sum()))
    for at in np.linspace(own.min() - 10, own.max() + 10, 201):
        at_k = kmin if at >= 0 else kmax
        assert at_k * at + float(np.minimum(own - at, 0).sum()) <= top + 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_every_bound_kept_at_a_free_count_is_valid(seed: int, monkeypatch):
    """Scattered parts of nine items, the count free: column generation bounds the number of
    groups (from the weights) and every bound it keeps, converged or not, is at most the
    optimum brute force finds; at convergence the bound is the LP's."""
    inst, part = scattered_instance(9, seed, side=12.0)
    optimum = brute_force(inst.weights, inst.km, 30, 50, inst.max_km)
    if optimum is None:
        pytest.skip("no plan of these nine items")
    gen, kept = _recording(inst, part, monkeypatch)
    total = int(inst.weights.sum())
    assert gen.groups is not None
    assert gen.groups[0] == -(-total // 50)
    assert gen.groups[1] <= total // 30
    out = gen.run(budget=20)
    assert out.converged
    assert kept
    assert max(kept) <= optimum + 1e-6 * max(1.0, optimum)
    assert out.best_l == pytest.approx(out.z)


def test_a_column_outside_the_window_leaves_the_plain_bound():
    """A column weighing outside [lo, hi] in the master (not a plan of the part's rules):
    no range of counts is assumed."""
    inst, part = scattered_instance(9, 1, side=12.0)
    options = SolveOptions(engine="columns", time_limit=30, threads=1)
    s = _Search(inst, part, options=options, deadline=Deadline(30))
    s.seed()
    assert s.pr.group_range(s.master.members) is not None
    light = np.array([int(np.argmin(s.pr.w))])
    assert s.pr.group_range([*s.master.members, light]) is None


def test_a_tight_count_converges_sooner():
    """Staffs-shropshire's part of 190 practices at 35 hubs (96.6% full), its columns started
    from a plan by local search as in ``--hubs fewest``: the LP without cuts converges within
    150 master solves (the first cut round starts), its bound then the LP's. At the master's
    count dual the bound stayed at -75 million until the 220th, and the LP converged at the
    250th (the smoothing's centre, the best-bound duals, hardly moved)."""
    inst, part = largest_part("staffs-shropshire")
    part = count_window(inst, dataclasses.replace(part, count=35))
    options = SolveOptions(engine="columns", time_limit=600, threads=2)
    s = _Search(inst, part, options=options, deadline=Deadline(600))
    s.add(s.pr.initial_columns())
    packed = packed_plan(inst, part, count=35, seconds=30)
    assert packed is not None
    s.add(columns_of(np.array([s.pos_of[int(g)] for g in packed])))
    gen = ColumnGeneration(s.master, s.pr, add=s.add, count=35, deadline=s.deadline)
    gen.budget = np.inf
    for _ in range(150):
        gen._iterate()
        if len(s.master.cuts):
            break
    assert len(s.master.cuts) > 0
    assert gen.out.best_l == pytest.approx(gen.out.z, rel=0.01)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_range_bound_leaves_generation_on_its_path(seed: int, monkeypatch):
    """Scattered parts of 60 items, the count free: with the range of groups and without it,
    column generation takes the same path (master solves, columns, LP), every bound it keeps
    with the range is at least the plain one kept at the same step, and at least one is
    higher (the smoothing's centre and the convergence test follow the plain bound)."""
    from mcp_geo.solvers.columns.pricing import Pricer

    runs = []
    for use_range in (True, False):
        if not use_range:
            monkeypatch.setattr(Pricer, "group_range", lambda self, columns: None)
        inst, part = scattered_instance(60, seed)
        gen, _ = _recording(inst, part, monkeypatch)
        trail: list[float] = []
        keep = gen._keep_bound

        def step(at, keep=keep, gen=gen, trail=trail):  # type: ignore[no-untyped-def]
            keep(at)
            trail.append(gen.out.best_l)

        monkeypatch.setattr(gen, "_keep_bound", step)
        out = gen.run(budget=20)
        assert out.converged
        runs.append((out, len(gen.master.members), trail))
    (with_range, cols_a, trail_a), (plain, cols_b, trail_b) = runs
    assert (with_range.iterations, cols_a) == (plain.iterations, cols_b)
    assert with_range.z == plain.z
    assert len(trail_a) == len(trail_b)
    assert all(a >= b for a, b in zip(trail_a, trail_b, strict=True))
    assert any(a > b for a, b in zip(trail_a, trail_b, strict=True))
