"""The bound on a least-exception part's travel with its shortfall held, by column generation
(solvers/columns/held.py).

Hand-drawn: practices on a road, 10 patients each, hubs of 30-50, 12 km reach::

    P00 P01 P02 .......... P03 P04 P05 P06 .......... P07
     0   1   2              20  21  22  23              50

P07 is alone: 20 patients short whatever the plan. With 20 held, the least travel is
{P00, P01, P02} at P01 (10 x (1 + 1) = 20), {P03..P06} at P04 (10 x (1 + 1 + 2) = 40) and P07
alone: 60. Splitting P03..P06 in two (20 and 20 patients, at 10 patient-km each) travels 20
less but leaves them 20 short: a bound that did not hold the shortfall would be 40 at most.

Random: eight practices in a 30 km square, 4-24 patients each, hubs of 30-50 within 12 km: every
plan by enumeration of set partitions; the least shortfall, and the least travel within it.

Real: North East and North Cumbria's part of 301 practices that cannot all keep the floor.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pulp
import pytest

from mcp_geo.solvers import _core
from mcp_geo.solvers._compact import build_compact
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, highs_threads
from mcp_geo.solvers.columns.held import held_travel_bound
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import largest_part, set_partitions, small_instance

X = [0.0, 1.0, 2.0, 20.0, 21.0, 22.0, 23.0, 50.0]


def _instance(weights: np.ndarray, km: np.ndarray, *, max_km: float) -> tuple[Instance, Part]:
    inst = small_instance(km, weights, max_km=max_km)
    return inst, Part(items=np.arange(len(weights), dtype=np.int64), lo=30, shortfall=True)


def _road() -> tuple[Instance, Part]:
    at = np.array(X)
    return _instance(np.full(len(X), 10), np.abs(at[:, None] - at[None, :]), max_km=12.0)


def test_the_road_bound_is_its_least_travel() -> None:
    inst, part = _road()
    start = np.array([1, 1, 1, 4, 4, 4, 4, 7])  # 20 short
    assert held_travel_bound(inst, part, start, held=20, threads=1, seconds=10) == pytest.approx(60)


def _plans(inst: Instance) -> Iterator[tuple[int, float, np.ndarray]]:
    """Every plan (patients short, travel, each item's base), each group at its best base."""
    n = len(inst.weights)
    for blocks in set_partitions(list(range(n))):
        short, travel, base_of = 0, 0.0, np.zeros(n, dtype=np.int64)
        for block in blocks:
            load = int(inst.weights[block].sum())
            options = [
                float(inst.cost[block, j].sum()) for j in block if inst.allowed[block, j].all()
            ]
            if load > inst.hi or not options:
                break
            j = block[int(np.argmin(options))]
            base_of[block] = j
            short += max(0, inst.lo - load)
            travel += min(options)
        else:
            yield short, travel, base_of


def _compact_relaxation(inst: Instance, part: Part, *, held: int) -> float:
    """The compact model's linear relaxation with the shortfall held: the bound it replaces."""
    prob, _, _ = build_compact(inst, part, shortfall=float(held))
    for v in prob.variables():
        v.cat = pulp.LpContinuous
    assert prob.solve(pulp.HiGHS(msg=False, threads=highs_threads(1))) == pulp.LpStatusOptimal
    return float(pulp.value(prob.objective))


@pytest.mark.parametrize("seed", range(8))
def test_random_bounds_never_pass_the_least_travel_nor_fall_below_the_compact_one(
    seed: int,
) -> None:
    """Valid (at most the least travel within the shortfall held, found by enumeration) and
    at least the compact model's relaxation, for the least shortfall and for more held."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (8, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    inst, part = _instance(rng.integers(4, 25, 8), km, max_km=12.0)
    plans = list(_plans(inst))
    least = min(short for short, _, _ in plans)
    for held in (least, least + 10):
        _, travel, start = min((p for p in plans if p[0] <= held), key=lambda p: p[1])
        bound = held_travel_bound(inst, part, start, held=held, threads=1, seconds=10)
        assert bound <= travel + 1e-6 * max(1.0, travel)
        assert bound >= _compact_relaxation(inst, part, held=held) - 1e-6 * max(1.0, travel)


@pytest.mark.slow
def test_north_east_travel_stage_is_proven_within_half_a_percent() -> None:
    """The least-exception part of North East and North Cumbria (April 2025: 18,753 patients
    short): its travel stage was 1.3-1.4% above the compact model's bound after a minute; the
    columns' bound with its cuts comes within 0.5% of the plan (0.34-0.42% in 24 s). The limit is
    generous because the suite runs two solves at once on two cores: the shortfall stage, proven in
    7 s alone, gets half the limit, and 30 s of a shared machine once fell short."""
    inst, part = largest_part("icb:QHM")
    part = Part(items=part.items, lo=part.lo, shortfall=True)
    options = SolveOptions(threads=2, gap=0.005, time_limit=120)
    result = _core.solve_part(inst, part, options=options, deadline=Deadline(120))
    cert = result.certificate
    assert [s.name for s in cert.stages] == ["shortfall", "travel"]
    shortfall, travel = cert.stages
    assert shortfall.status == "optimal"
    assert travel.gap is not None
    assert travel.gap <= 0.005
    assert cert.engine == "columns"
