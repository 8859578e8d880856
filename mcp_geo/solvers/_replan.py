"""Re-planning neighbourhoods of hubs with the compact model: a large-neighbourhood search.

:mod:`.columns.regroup` re-splits two to five neighbouring groups exactly by listing every
valid group of their items, which stops at about 30 items; on the large dense parts (London,
Birmingham) plans it cannot improve are still 1-2% above the bound. Here the items of a group
and its :data:`GROUPS` - 1 nearest groups (by the distance between bases) are planned anew by
the compact model (:mod:`mcp_geo.solvers._compact`: any bases among them, any number of groups, or
the same number with a fixed count), warm-started with the plan's own groups, within
:data:`SECONDS` each: the matheuristic of Stefanello, Cordeau-Jordan and Mueller (2015) for the
capacitated p-median problem, with HiGHS for the sub-problems. A neighbourhood is replaced when
its new plan costs less; passes over the groups (in the order of their bases) repeat until one
changes nothing or the time given runs out. Every plan stays feasible: incumbents only.

Closing bases (:mod:`._count_descent`) runs it at a fixed count, to move the bases when a
closure finds no plan. The columns engine's free count re-plans larger neighbourhoods by
column generation instead (:mod:`.columns.neighbourhoods`): the compact model gained 0.14% on
Greater Manchester's plan in 124 s (187 neighbourhoods of eight groups, then a local optimum),
where those gained 0.36% in 15 s.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from numpy.typing import NDArray

from ._compact import plan_cost, solve_compact
from ._instance import Instance, Part
from ._run import Deadline
from .rules import SolveOptions

log = logging.getLogger(__name__)

GROUPS = 8  # groups re-planned together
SECONDS = 2.0  # per neighbourhood, at most


def nearest_groups(
    plan: NDArray[np.int64], km: NDArray[np.float64], *, seed: int, size: int
) -> NDArray[np.int64]:
    """The bases of group ``seed`` and of the ``size - 1`` groups nearest it, nearest first (by
    the distance between bases; ties: the lower base).

    Parameters
    ----------
    plan
        The base of every item (``km``'s indices).
    km
        Distances between items.
    seed
        A base of the plan.
    size
        How many groups.

    Returns
    -------
    NDArray[np.int64]
        The bases, ``seed`` first.
    """
    bases = np.unique(plan)
    return bases[np.lexsort((bases, km[seed, bases]))][:size]


def replan(
    inst: Instance,
    part: Part,
    base_local: NDArray[np.int64],
    *,
    options: SolveOptions,
    until: float,
) -> tuple[NDArray[np.int64], float]:
    """Re-plan neighbourhoods of groups while it lowers the cost and time remains.

    Parameters
    ----------
    inst, part
        The instance and the part.
    base_local
        The plan: the local base of every part item.
    options
        Solver options (threads; the gap is made exact for the sub-problems).
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    tuple
        The plan, no costlier than the one given (local bases), and its cost.
    """
    items = part.items
    plan = base_local.copy()
    exact = dataclasses.replace(options, gap=1e-6)
    km = inst.km[np.ix_(items, items)]
    position = {int(g): k for k, g in enumerate(items)}
    before = plan_cost(inst, items, items[plan])
    changed = True
    while changed and time.perf_counter() < until:
        changed = False
        for seed in sorted(set(plan.tolist())):
            left = until - time.perf_counter()
            if left <= 0.1:
                break
            if seed not in plan:
                continue  # merged into another group in this pass
            near = nearest_groups(plan, km, seed=seed, size=GROUPS)
            local = np.flatnonzero(np.isin(plan, near))
            sub = Part(
                items=items[local],
                lo=part.lo,
                count=None if part.count is None else len(near),
                hi=part.hi,
            )
            result, _, _ = solve_compact(
                inst,
                sub,
                options=exact,
                deadline=Deadline(left),
                start=items[plan[local]],
                time_limit=min(SECONDS, left),
                quiet=True,
            )
            if result.base_of is None:
                continue
            old = plan_cost(inst, sub.items, items[plan[local]])
            if plan_cost(inst, sub.items, result.base_of) < old - 1e-6 * max(1.0, old):
                plan[local] = [position[int(g)] for g in result.base_of]
                changed = True
    after = plan_cost(inst, items, items[plan])
    log.info("re-planned neighbourhoods: %.1f -> %.1f", before, after)
    return plan, after
