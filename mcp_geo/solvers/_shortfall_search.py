"""Lowering a least-exception plan's shortfall by re-planning neighbourhoods of its groups.

The compact shortfall model (:mod:`._compact`, (E4s)) over a whole least-exception part finds
its bound at the root but is slow to find plans near it: on North East and North Cumbria's part
of 301 practices its plan after 4-30 s left 48,000-104,000 patients below the floor, with hubs of
Middlesbrough and Hartlepool a few hundred short, against a bound of 18,753. Here each group
under the floor, with its :data:`GROUPS` - 1 nearest groups (by the distance between bases), is
planned anew by the same model restricted to their items (least shortfall; any bases, any number
of groups), warm-started with their own plan, within :data:`SECONDS` each; a neighbourhood is
replaced when its shortfall falls. Passes repeat until one changes nothing, the shortfall meets
the bound, or the time runs out. Measured on that part: two neighbourhoods (0.7 s) took the
plan from 48,414 to 18,753, the bound: proven.

Starts for shortfall models live here too: from a plan (:func:`warm_start`, each base's
shortfall included), a greedy plan (:func:`greedy_start`) or another model's values
(:func:`values_as_start`).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pulp
from numpy.typing import NDArray

from mcp_geo._errors import SolverError

from ._compact import build_compact, decode, group_shortfalls, model_size, set_start
from ._greedy import part_greedy
from ._instance import Instance, Part
from ._replan import nearest_groups
from ._run import run_mip
from .rules import SolveOptions

log = logging.getLogger(__name__)

GROUPS = 8  # groups re-planned together
SECONDS = 3.0  # per neighbourhood, at most


def plan_shortfall(inst: Instance, part: Part, base_of: NDArray[np.int64]) -> int:
    """The patients a part's plan leaves below the floor.

    Parameters
    ----------
    inst, part
        The instance and the part.
    base_of
        Instance index of each part item's base.

    Returns
    -------
    int
        The total shortfall of the plan's groups.
    """
    return sum(group_shortfalls(inst.weights[part.items], base_of, lo=part.lo).values())


def warm_start(
    prob: pulp.LpProblem,
    part: Part,
    start: NDArray[np.int64],
    *,
    y: dict[int, pulp.LpVariable],
    x: dict[tuple[int, int], pulp.LpVariable],
    weights: NDArray[np.int64],
) -> bool:
    """Hand a plan to a shortfall model as its start (each base's shortfall included).

    Parameters
    ----------
    prob, y, x
        The model (:func:`._compact.build_compact` with ``shortfall``) and its variables.
    part
        The part it models.
    start
        Instance index of each part item's base.
    weights
        The instance's weights.

    Returns
    -------
    bool
        Whether the start was handed to the solver.
    """
    size = model_size(prob)
    return set_start(part, start, y=y, x=x, size=size, shortfall_of=(prob, weights))[1]


def greedy_start(inst: Instance, part: Part) -> NDArray[np.int64] | None:
    """A first plan of a least-exception part, whatever its shortfall: the greedy's groups,
    those that cannot make the floor kept (None if an item that may not be a base has no
    group with room within its reach). The model then starts from a plan even when it finds
    none of its own in its first share of the time (a loaded machine), and so can the search.

    Parameters
    ----------
    inst, part
        The instance and the least-exception part.

    Returns
    -------
    NDArray[np.int64] | None
        Instance index of each part item's base.
    """
    local = part_greedy(inst, part, undersized=True)
    return None if local is None else part.items[local]


def values_as_start(prob: pulp.LpProblem, values: dict[str, float]) -> None:
    """Hand a solver's values to the variables of the same names as a start (whole numbers
    rounded).

    Parameters
    ----------
    prob
        The model to start.
    values
        Values by variable name (others are left as they are), within the variables' bounds.
    """
    for v in prob.variables():
        if v.name in values:
            value = round(values[v.name]) if v.cat == pulp.LpInteger else values[v.name]
            if v.lowBound is not None:  # the solver's values may miss a bound by its tolerance
                value = max(value, v.lowBound)
            if v.upBound is not None:
                value = min(value, v.upBound)
            v.setInitialValue(value)


def lower_shortfall(
    inst: Instance,
    part: Part,
    base_of: NDArray[np.int64],
    *,
    options: SolveOptions,
    bound: int,
    until: float,
) -> NDArray[np.int64]:
    """Re-plan neighbourhoods of the groups under the floor while the shortfall falls.

    Parameters
    ----------
    inst, part
        The instance and the least-exception part.
    base_of
        Its plan: instance index of each part item's base.
    options
        Solver options (threads; sub-problems are solved exactly).
    bound
        A proven lower bound on the part's shortfall: the search stops when it is met.
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        A plan with no more shortfall (instance indices of bases).
    """
    items = part.items
    plan = base_of.copy()
    exact = dataclasses.replace(options, gap=0.0)
    weights = inst.weights[items]
    before = total = plan_shortfall(inst, part, plan)
    changed = True
    while changed and total > bound and time.perf_counter() < until:
        changed = False
        short = group_shortfalls(weights, plan, lo=part.lo)
        for seed in sorted((b for b, s in short.items() if s > 0), key=lambda b: -short[b]):
            left = until - time.perf_counter()
            if left <= 0.1 or total <= bound:
                break
            local = neighbourhood(inst, plan, seed)
            if local is None:
                continue  # merged into another group in this pass
            sub = dataclasses.replace(part, items=items[local], count=None)
            old = plan_shortfall(inst, sub, plan[local])
            new = replanned(inst, sub, plan[local], options=exact, seconds=min(SECONDS, left))
            if new is not None and plan_shortfall(inst, sub, new) < old:
                plan[local] = new
                total = plan_shortfall(inst, part, plan)
                changed = True
    log.info("shortfall: re-planned neighbourhoods: %d -> %d patients", before, total)
    return plan


def neighbourhood(inst: Instance, plan: NDArray[np.int64], seed: int) -> NDArray[np.int64] | None:
    """The positions in ``plan`` of the items of group ``seed`` and its :data:`GROUPS` - 1
    nearest groups (by the distance between bases); None once ``seed`` is no base."""
    if seed not in plan:
        return None
    near = nearest_groups(plan, inst.km, seed=seed, size=GROUPS)
    return np.flatnonzero(np.isin(plan, near))


def replanned(
    inst: Instance,
    sub: Part,
    start: NDArray[np.int64],
    *,
    options: SolveOptions,
    seconds: float,
    held: int | None = None,
) -> NDArray[np.int64] | None:
    """The least-shortfall plan of a neighbourhood found within ``seconds`` (None if none);
    with ``held``, its least-travel plan at most that many patients short. A run HiGHS fails on
    finds none (the neighbourhood stays as it is)."""
    prob, y, x = build_compact(inst, sub, shortfall="min" if held is None else float(held))
    warm = warm_start(prob, sub, start, y=y, x=x, weights=inst.weights)
    try:
        run = run_mip(prob, options=options, time_limit=seconds, warm=warm)
    except SolverError as exc:
        log.warning("a neighbourhood of %d items left as it is: %s", len(sub.items), exc)
        return None
    if run.status not in ("optimal", "feasible"):
        return None
    return decode(sub, y=y, x=x, values=run.values)
