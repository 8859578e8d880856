"""The travel of a least-exception plan, lowered with its shortfall held, before the model's turn.

The shortfall stage's plan (:mod:`._shortfall`) is the least shortfall, whatever its travel: on
North East and North Cumbria's part of 301 practices it travels 17.8M patient-km against a
bound of 3.4M, and the travel stage's compact model, too big to be handed that plan, ended a
30 s limit at 10.4-17.8M. Three steps come first now, none raising the shortfall:

1. The greedy's local search (:func:`._greedy.local_polish`: moves, swaps, re-basing): no move
   leaves a group under the floor that was not, nor takes from one that is (17.8M -> 6.1M in
   0.2 s on that part).
2. The groups that keep the floor are a plan of their items under the usual rules: those items
   are planned again by the part's engine (the columns engine) as a part of their own, started
   from their groups, the undersized groups held as they are (6.1M -> 3.5M in 14 s).
3. Each undersized group and its nearest groups are planned anew by the compact model, their
   shortfall held (3.49M -> 3.46M in 2 s).

The model then runs from the result for its bound, and the stage keeps the cheaper plan.
Measured on QHM (``plan icb:QHM --no-mcps --gap 0.005``, 2 threads): at 30 s 4.1-4.4M against
10.4-17.8M before (no bound either way: the model's root needs more than the 7 s left); at 60 s
3,460,283 against 3,466,255 (gap 1.74% against 1.76%). Under ``fewest`` step 2 is the part's
count stage instead (:func:`full_groups_replanned` with the engine's ``fewest``, before this
stage: :mod:`._shortfall`), and step 3 keeps each neighbourhood's count; with candidate sites
step 2 is left out (the engine would plan the sites' parks afresh).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from . import progress
from ._compact import group_shortfalls, plan_cost
from ._greedy import local_polish, part_greedy
from ._instance import Instance, Part
from ._run import Deadline
from ._shortfall_search import SECONDS, neighbourhood, plan_shortfall, replanned
from .engine import PartResult
from .rules import SolveOptions

log = logging.getLogger(__name__)

SolveGroups = Callable[[Instance, Part, Deadline], PartResult]

GROUPS_SHARE = 0.8  # of the time given: step 2 (the engine); step 3 has the rest (see
# _shortfall.TRAVEL_SEARCH_SHARE)


def lower_travel(
    inst: Instance,
    part: Part,
    base_of: NDArray[np.int64],
    *,
    solve_groups: SolveGroups | None,
    options: SolveOptions,
    until: float,
) -> NDArray[np.int64]:
    """A plan of the part with no more travel and no more patients short.

    Parameters
    ----------
    inst, part
        The instance and the least-exception part.
    base_of
        Its plan: instance index of each part item's base.
    solve_groups
        Plans a part under the usual rules from a start (the engine), or None to leave step
        2 out.
    options
        Solver options for step 3's models (threads; solved to the end within their time).
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        The plan (instance indices of bases).
    """
    plan = _searched(inst, part, base_of)
    if solve_groups is not None:
        until_groups = time.perf_counter() + GROUPS_SHARE * max(0.0, until - time.perf_counter())
        plan = full_groups_replanned(
            inst, part, plan, solve_groups=solve_groups, until=until_groups
        )
    return _around_undersized(inst, part, plan, options=options, until=until)


def _searched(inst: Instance, part: Part, base_of: NDArray[np.int64]) -> NDArray[np.int64]:
    """Step 1: the greedy's local search (moves, swaps, re-basing)."""
    items = part.items
    position = {int(g): k for k, g in enumerate(items)}
    searched = local_polish(inst, part, np.array([position[int(b)] for b in base_of]))
    plan = items[searched]
    log.info(
        "shortfall held: local search: travel %.1f -> %.1f",
        plan_cost(inst, items, base_of),
        plan_cost(inst, items, plan),
    )
    return plan


def full_groups_replanned(
    inst: Instance,
    part: Part,
    base_of: NDArray[np.int64],
    *,
    solve_groups: SolveGroups,
    until: float,
) -> NDArray[np.int64]:
    """Step 2: the items of the groups that keep the floor planned again by the engine, under
    the level's count rule (with ``fewest`` that is also the count stage of the part: its
    plan replaces theirs when it has fewer groups, or as many and less travel).

    Parameters
    ----------
    inst, part
        The instance and the least-exception part.
    base_of
        Its plan: instance index of each part item's base.
    solve_groups
        Plans a part under the usual rules (the engine; with ``fewest``, the fewest groups then
        the least travel).
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        The plan (instance indices of bases), the undersized groups as they were.
    """
    items = part.items
    seconds = until - time.perf_counter()
    short = group_shortfalls(inst.weights[items], base_of, lo=part.lo)
    full = np.array([short[int(b)] == 0 for b in base_of])
    if seconds <= 0.1 or not full.any():
        return base_of
    fewest = inst.count == "fewest"  # (then this is the count stage: its value is the count)
    kept = Part(items=items[full], lo=part.lo, hi=part.hi)
    if not fewest:  # (a start keeps its count)
        kept = dataclasses.replace(kept, start=_cheaper_start(inst, kept, base_of[full]))
    progress.report(
        f"re-planning the full {inst.group}s",  # (short: the live line is a terminal's width)
        best=len(np.unique(base_of)) if fewest else plan_cost(inst, items, base_of),
        bound=None,
    )
    with progress.muted():  # its figures are its items', not the part's
        result = solve_groups(inst, kept, Deadline(seconds))
    plan = base_of.copy()
    if result.base_of is not None and _better(inst, kept.items, result.base_of, than=base_of[full]):
        plan[full] = result.base_of
    log.info(
        "shortfall held: groups at the floor re-planned: %d groups, travel %.1f -> "
        "%d groups, travel %.1f",
        len(np.unique(base_of)),
        plan_cost(inst, items, base_of),
        len(np.unique(plan)),
        plan_cost(inst, items, plan),
    )
    return plan


def _cheaper_start(inst: Instance, part: Part, base_of: NDArray[np.int64]) -> NDArray[np.int64]:
    """The cheaper of the groups ``base_of`` (instance indices of bases) and the part's polished
    greedy plan, where the greedy rules get one: the shortfall stage's groups travel far, and
    the engine, started from them, keeps their shape when its time is short (North East and
    North Cumbria's full groups at 10 s: 6.1M patient-km -> 4.8M in 1.8 s from them, 3.2M from
    its greedy plan)."""
    greedy = part_greedy(inst, part)
    if greedy is None:
        return base_of
    plan = part.items[local_polish(inst, part, greedy)]
    return plan if _cheaper(inst, part.items, plan, than=base_of) else base_of


def _around_undersized(
    inst: Instance,
    part: Part,
    base_of: NDArray[np.int64],
    *,
    options: SolveOptions,
    until: float,
) -> NDArray[np.int64]:
    """Each undersized group with its nearest groups (:func:`._shortfall_search.neighbourhood`)
    planned anew for less travel, their shortfall held (the compact model, warm-started,
    :data:`._shortfall_search.SECONDS` each)."""
    items = part.items
    plan = base_of.copy()
    before = plan_cost(inst, items, plan)
    exact = dataclasses.replace(options, gap=1e-6)
    short = group_shortfalls(inst.weights[items], plan, lo=part.lo)
    for seed in sorted(b for b, s in short.items() if s > 0):
        left = until - time.perf_counter()
        if left <= 0.1:
            break
        local = neighbourhood(inst, plan, seed)
        if local is None:
            continue  # merged into another group in this pass
        count = None if inst.count is None else len(np.unique(plan[local]))  # fewest: held
        sub = dataclasses.replace(part, items=items[local], count=count)
        held = plan_shortfall(inst, sub, plan[local])
        new = replanned(
            inst, sub, plan[local], options=exact, seconds=min(SECONDS, left), held=held
        )
        if (
            new is not None
            and plan_shortfall(inst, sub, new) <= held
            and _cheaper(inst, sub.items, new, than=plan[local])
        ):
            plan[local] = new
    log.info(
        "shortfall held: around undersized groups: travel %.1f -> %.1f",
        before,
        plan_cost(inst, items, plan),
    )
    return plan


def _cheaper(
    inst: Instance, items: NDArray[np.int64], new: NDArray[np.int64], *, than: NDArray[np.int64]
) -> bool:
    """Whether the plan ``new`` of ``items`` travels less than ``than`` (beyond rounding)."""
    before = plan_cost(inst, items, than)
    return plan_cost(inst, items, new) < before - 1e-6 * max(1.0, before)


def plan_order(
    inst: Instance, items: NDArray[np.int64], base_of: NDArray[np.int64]
) -> tuple[int, float]:
    """How plans of a least-exception part compare: by travel, under ``fewest`` by the count
    first."""
    groups = len(np.unique(base_of)) if inst.count == "fewest" else 0
    return groups, plan_cost(inst, items, base_of)


def _better(
    inst: Instance, items: NDArray[np.int64], new: NDArray[np.int64], *, than: NDArray[np.int64]
) -> bool:
    """Whether the plan ``new`` of ``items`` is better than ``than`` by :func:`plan_order`
    (its travel beyond rounding)."""
    groups, before = plan_order(inst, items, new)[0], plan_order(inst, items, than)[0]
    if groups != before:
        return groups < before
    return _cheaper(inst, items, new, than=than)
