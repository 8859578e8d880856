"""Fewer groups by closing bases: a first plan at a small count when the engines find none.

At the fewest count the groups are nearly full (staffs-shropshire's part of 190 practices at 35
hubs: 97% full on average), and neither the columns engine's completion and listing nor the
compact model finds a plan in minutes. Plans with more groups are easy (the greedy plan makes 39).
From such a plan the descent closes one base at a time: the compact model over the whole part
with the bases restricted to the plan's own (:func:`mcp_geo.solvers._compact.solve_compact` with
a ``bases`` mask; a few dozen base variables, so HiGHS solves it in about a second) and one group
fewer, every item free to move to any open base within reach. When a closure finds no plan
within :data:`CLOSE_SECONDS`, the groups are re-planned at their count by neighbourhoods
(:mod:`._replan`, least travel, for :data:`RESHAPE_SECONDS`), which moves
the bases, and the closure is tried once more. It stops at the count asked for, when that
second try finds no plan either, or when time is up. Every plan it returns keeps the rules (the
models' own); its travel is whatever the closures left, so the caller solves the travel at the
count reached, starting from it.

Measured (staffs-shropshire's part of 190 practices, 2 threads): the greedy plan with the fewest
groups (39) -> 37 in 8.5 s, where the next closure finds no plan; re-planned for 10 s, 37 -> 36
(20-22 s in all). The closure to 35 (the bound: 34 is proven impossible) has found no plan in
any run (10 s; 30 s with two more candidate bases per group).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from numpy.typing import NDArray

from ._compact import solve_compact
from ._greedy import part_greedy
from ._instance import Instance, Part
from ._replan import replan
from ._run import Deadline
from .rules import SolveOptions

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0  # per closure, at most (they take 1-4 s when they succeed)
CLOSE_GAP = 0.05  # a closure needs a plan, not the best one: the travel is solved afterwards
RESHAPE_SECONDS = 10.0  # at most, re-planning the groups once a closure finds no plan


def fewest_greedy(inst: Instance, part: Part, *, least: int, most: int) -> NDArray[np.int64] | None:
    """The greedy plan with the fewest groups it finds: a fixed count from ``least`` up to the
    free count's, or to ``most`` when the free count's rules get stuck (each try takes
    milliseconds on 200 items, 70 on 300), else the count left free.

    Parameters
    ----------
    inst, part
        The instance and the part (its count is ignored).
    least, most
        The counts to try (:func:`._stages.least_count`'s: North East and North Cumbria's
        part of 301 practices allows at most 95 groups).

    Returns
    -------
    NDArray[np.int64] | None
        The base of every part item (instance indices), or None when the greedy rules get
        stuck at every count.
    """
    items = part.items
    free = part_greedy(inst, part)
    if free is not None:
        most = min(most, len(set(free.tolist())) - 1)
    for count in range(least, most + 1):
        local = part_greedy(inst, part, count=count)
        if local is not None:
            return items[local]
    return None if free is None else items[free]


def descend(
    inst: Instance,
    part: Part,
    plan: NDArray[np.int64],
    *,
    count: int,
    options: SolveOptions,
    until: float,
) -> NDArray[np.int64]:
    """Close bases of a plan one at a time while a plan with one group fewer is found.

    Parameters
    ----------
    inst, part
        The instance and the part (its count is ignored).
    plan
        A plan of the part: the instance index of every item's base.
    count
        The number of groups to stop at.
    options
        Solver options (threads).
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        The plan with the fewest groups reached (at least ``count``; the plan given when no
        closure succeeded).
    """
    groups = len(set(plan.tolist()))
    t0 = time.perf_counter()
    reshaped = False
    while groups > count:
        left = until - time.perf_counter()
        if left <= 0.1:
            break
        result, _, _ = solve_compact(
            inst,
            dataclasses.replace(part, count=groups - 1),
            options=options,
            deadline=Deadline(left),
            bases=np.isin(part.items, plan),
            time_limit=min(CLOSE_SECONDS, left),
            gap=CLOSE_GAP,
            quiet=True,
        )
        if result.base_of is not None:
            plan, groups, reshaped = result.base_of, groups - 1, False
        elif reshaped:
            break
        else:  # other bases at this count, then one more closure
            plan = _reshaped(
                inst,
                part,
                plan,
                options=options,
                until=min(until, time.perf_counter() + RESHAPE_SECONDS),
            )
            reshaped = True
    log.info(
        "%s: closing bases: %d %ss in %.1fs",
        inst.level,
        groups,
        inst.group,
        time.perf_counter() - t0,
    )
    return plan


def _reshaped(
    inst: Instance, part: Part, plan: NDArray[np.int64], *, options: SolveOptions, until: float
) -> NDArray[np.int64]:
    """The plan with its neighbourhoods of groups re-planned at the same count (least travel:
    :mod:`._replan`), which moves bases where the closures need them."""
    position = {int(g): k for k, g in enumerate(part.items)}
    local = np.array([position[int(g)] for g in plan])
    counted = dataclasses.replace(part, count=len(set(plan.tolist())))
    moved, _ = replan(inst, counted, local, options=options, until=until)
    return part.items[moved]
