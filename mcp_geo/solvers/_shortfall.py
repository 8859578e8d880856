"""Least-exception plans: a part whose rules cannot all be met, short of the floor by the least.

DESIGN "Hub": where the rules cannot all be met in part of a footprint, the default (non-strict)
plan keeps them everywhere else (the other parts are solved as usual) and, in that part, first
minimises the total patients below the floor (stage ``shortfall``), then the travel with that
total held (stage ``travel``). Both stages are the compact model (:mod:`._compact`) with a
shortfall variable per floor row, (E4s) and (E9) there: the first minimises the shortfall (a
whole number of patients: its bound is rounded up, and it is optimal only when met exactly), the
second the travel under the shortfall found, from the first stage's plan with its travel lowered
first (:mod:`._shortfall_travel`; the stage keeps the better of that plan and the model's). The
stages share the part's deadline: half for the first at most, and what it leaves to the second.
The whole part's shortfall model finds its bound at the root but plans near it slowly, so the
first stage re-plans neighbourhoods of its first plan's groups under the floor
(:mod:`._shortfall_search`) before the model runs again from the better plan (North East and
North Cumbria's part of 301 practices: 104,111 patients short against a bound of 18,753 after
30 s before; now 18,753, proven, in about 6 s). Where the part's engine is the columns engine,
the travel stage's bound comes first from column generation with the shortfall held
(:mod:`.columns.held`), and the model runs only while the plan is not within the gap of it:
that part's travel 1.3-1.4% above the model's bound after a minute before, within 0.5% of the
columns' in 22-24 s now.

Under the count ``fewest`` a count stage comes between them (DESIGN "Objective stages"): the
groups that keep the floor are planned again as a part of their own for their fewest groups,
then their travel (the engine's ``fewest``), the undersized groups held
(:func:`._shortfall_travel.full_groups_replanned`); the travel stage then holds that count.
North East and North Cumbria's part at 30 s: 64 hubs before, 61-63 now (at least 58).

Every group of the part under the floor is a named ``under_floor`` exception, with its shortfall.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pulp
from numpy.typing import NDArray

from . import progress
from ._compact import build_compact, decode, model_size, objective_name, plan_cost
from ._instance import Instance, Part, PlanException
from ._run import Deadline, RunResult, run_lp, run_mip, threads_for
from ._shortfall_search import greedy_start, lower_shortfall, plan_shortfall, warm_start
from ._shortfall_travel import SolveGroups, full_groups_replanned, lower_travel, plan_order
from .certificate import Certificate, ModelSize, Stage, Status, relative_gap, weakest, within_gap
from .columns.held import held_travel_bound
from .engine import PartResult
from .rules import SolveOptions

SHORTFALL_SHARE = 0.5  # of the part's time, at most, for the shortfall stage
MODEL_SHARES = (0.2, 1.0)  # of the shortfall stage's time left: the whole part's model, in
# turn with re-planning neighbourhoods of its plan (SEARCH_SHARE of the time left each time).
# Two runs, not three: North East and North Cumbria's model (301 practices) takes 2-3 s to
# start and about 5 s to its bound, which a 10 s stage cut in three never gave it
SEARCH_SHARE = 0.5
RELAXATION_SHARE = 0.2  # of the shortfall stage's time, at most: the model's LP relaxation first
TRAVEL_SEARCH_SHARE = 0.7  # of the travel stage's time: lowered before its bound and model run
# (North East and North Cumbria at 10 s, 2 threads: 0.34-0.54% above the minute's bound in seven
# runs with 0.7 and GROUPS_SHARE 0.8, 2.0% with 0.5 and 0.6, 1.4-5.1% with 0.7 and 0.6; at 20 s
# proven within 0.5% in 16 s, at 30 s in 18 s, as before or sooner)
COUNT_SHARE = 0.5  # of the time the shortfall stage left: the count stage (``fewest``)
COLUMNS_BOUND_SHARE = 0.5  # of the travel stage's time after its search: the bound by columns


def _limit_words(inst: Instance) -> str:
    return (
        "with no distance limit" if inst.max_km is None else f"within {inst.max_km:g} {inst.unit}"
    )


def under_floor(
    inst: Instance, part: Part, base_of: NDArray[np.int64]
) -> list[tuple[int, PlanException]]:
    """The groups of a least-exception part under the floor, each a named exception.

    Parameters
    ----------
    inst, part
        The instance and the part.
    base_of
        Instance index of each part item's base.

    Returns
    -------
    list[tuple[int, PlanException]]
        The base (instance index) and the ``under_floor`` exception of each group under the
        floor (its shortfall named).
    """
    out = []
    for b in sorted(set(base_of.tolist()), key=lambda b: inst.codes[b]):
        members = part.items[base_of == b]
        load = int(inst.weights[members].sum())
        if load >= part.lo:
            continue
        reason = (
            f"under the floor by {part.lo - load:,} patients: no plan of these "
            f"{len(part.items)} {inst.item}s {_limit_words(inst)} reaches {part.lo:,} everywhere"
        )
        codes = tuple(sorted(inst.codes[i] for i in members))
        exc = PlanException("under_floor", codes, load, reason, shortfall=part.lo - load)
        out.append((int(b), exc))
    return out


def solve_shortfall(
    inst: Instance,
    part: Part,
    *,
    options: SolveOptions,
    deadline: Deadline,
    solve_groups: SolveGroups | None = None,
    columns: bool = False,
) -> PartResult:
    """The least-exception plan of a part: least shortfall below the floor, then least travel.

    Parameters
    ----------
    inst, part
        The instance and the part (its rules cannot all be met).
    options
        Solver, gap (the travel stage's) and threads.
    deadline
        The part's wall-clock budget, shared by the two stages.
    solve_groups
        The engine, for the groups that keep the floor (:mod:`._shortfall_travel`): under the
        count ``fewest`` the count stage (their fewest groups, then their travel), else a step
        of the travel stage; None leaves that out.
    columns
        Whether the travel stage's bound comes first from column generation
        (:mod:`.columns.held`; the part's engine is the columns engine): the compact model then
        runs only while the plan is not within the gap of it.

    Returns
    -------
    PartResult
        The plan and its certificate with the stages ``shortfall`` and ``travel`` (engine
        ``compact``, or ``columns`` with ``columns``); under ``fewest`` the travel stage holds
        the plan's count (the caller adds its stage: :func:`._stages.with_count_stage`).
    """
    stage_end = time.perf_counter() + SHORTFALL_SHARE * deadline.remaining()
    start, bound, run, size = least_shortfall(inst, part, options=options, until=stage_end)
    if start is None:
        cert = _certificate(inst, options, run, objective=None, travel_bound=None, stages=())
        return PartResult(base_of=None, certificate=dataclasses.replace(cert, model_size=size))
    least = plan_shortfall(inst, part, start)
    bound = min(least, bound)
    progress.report("least shortfall", best=least, bound=bound)
    if inst.count == "fewest" and solve_groups is not None:  # the count stage
        until = time.perf_counter() + COUNT_SHARE * deadline.remaining()
        start = full_groups_replanned(inst, part, start, solve_groups=solve_groups, until=until)
        solve_groups = None  # (their travel at that count planned too)
    until = time.perf_counter() + TRAVEL_SEARCH_SHARE * deadline.remaining()
    start = lower_travel(inst, part, start, solve_groups=solve_groups, options=options, until=until)
    count = len(np.unique(start)) if inst.count == "fewest" else None
    held = dataclasses.replace(part, count=count)  # the count stage's count held
    columns_bound = 0.0
    if columns:
        columns_bound = held_travel_bound(
            inst,
            held,
            start,
            held=least,
            threads=threads_for(options),
            seconds=COLUMNS_BOUND_SHARE * deadline.remaining(),
        )
    base_of, travel_bound = start, columns_bound
    second: RunResult | None = None
    if not within_gap(relative_gap(plan_cost(inst, part.items, start), columns_bound), options.gap):
        prob2, y2, x2 = build_compact(inst, held, shortfall=float(least))
        warm = warm_start(prob2, held, start, y=y2, x=x2, weights=inst.weights)
        second = run_mip(prob2, options=options, time_limit=0.95 * deadline.remaining(), warm=warm)
        if second.status in ("optimal", "feasible"):
            found = decode(part, y=y2, x=x2, values=second.values)
            if plan_order(inst, part.items, found) < plan_order(inst, part.items, start):
                base_of = found  # else the start stays (a model too big to be handed it)
        travel_bound = max(travel_bound, second.bound or 0.0)  # (with or without a plan)
    objective = plan_cost(inst, part.items, base_of)
    progress.report("travel, shortfall held", best=objective, bound=travel_bound)
    short_status: Status = "optimal" if least <= bound else "feasible"
    shortfall = Stage(
        "shortfall",
        float(least),
        float(bound),
        relative_gap(float(least), float(bound)),
        short_status,
        f"patients below the {inst.group} floor",
    )
    cert = _certificate(
        inst,
        options,
        run if second is None else second,
        objective=objective,
        travel_bound=travel_bound,
        stages=(shortfall,),
    )
    if columns:
        cert = dataclasses.replace(cert, engine="columns")
    return PartResult(base_of=base_of, certificate=dataclasses.replace(cert, model_size=size))


def least_shortfall(
    inst: Instance, part: Part, *, options: SolveOptions, until: float
) -> tuple[NDArray[np.int64] | None, int, RunResult, ModelSize]:
    """The shortfall stage: the whole part's model for a share of the stage's time (its bound,
    and a first plan), then neighbourhoods of the plan's groups under the floor re-planned
    (:mod:`._shortfall_search`), and the model again from the better plan, while a gap remains.
    Also the first stage of a least-exception part planned from a reference
    (:mod:`.reference.shortfall`).

    Parameters
    ----------
    inst, part
        The instance and the part (its rules cannot all be met).
    options
        Solver and threads (the stage is solved exactly: whole patients).
    until
        When the stage ends (``time.perf_counter()``).

    Returns
    -------
    tuple
        The plan (None if none was found), the proven bound (whole patients), the model's
        last run and its size.
    """
    prob, y, x = build_compact(inst, part, shortfall="min")
    exact = dataclasses.replace(options, gap=0.0)  # whole patients: exact

    def least(plan: NDArray[np.int64]) -> int:
        return plan_shortfall(inst, part, plan)

    start, bound, relaxed = _by_relaxation(inst, part, prob, options=exact, until=until)
    if start is not None and least(start) <= bound:
        return start, bound, relaxed, model_size(prob)
    for share in MODEL_SHARES:
        warm = start is not None and warm_start(prob, part, start, y=y, x=x, weights=inst.weights)
        run = run_mip(
            prob,
            options=exact,
            time_limit=0.95 * share * _left(until),
            warm=warm,
            # a start too big to hand the solver: its bound need only reach it
            stop_at_bound=None if start is None else least(start) - 1 + 1e-5,
        )
        if run.status == "infeasible":
            break
        if run.status in ("optimal", "feasible"):
            found = decode(part, y=y, x=x, values=run.values)
            if start is None or least(found) < least(start):
                start = found
        bound = max(bound, math.ceil((run.bound or 0.0) - 1e-6))  # (with or without a plan)
        if start is None:  # none in the model's share (a loaded machine): the search starts
            start = greedy_start(inst, part)  # from the greedy's plan
        if start is None:
            continue
        progress.report("least shortfall", best=least(start), bound=bound)
        if least(start) <= bound:
            break
        end = time.perf_counter() + SEARCH_SHARE * _left(until)
        start = lower_shortfall(inst, part, start, options=exact, bound=bound, until=end)
        if least(start) <= bound:
            break
    return start, bound, run, model_size(prob)


def _left(end: float) -> float:
    return max(0.0, end - time.perf_counter())


def _by_relaxation(
    inst: Instance, part: Part, prob: pulp.LpProblem, *, options: SolveOptions, until: float
) -> tuple[NDArray[np.int64] | None, int, RunResult]:
    """The shortfall stage's first try: the bound of the model's LP relaxation (rounded up: a
    plan is whole patients short), and the greedy's plan lowered towards it by re-planning
    neighbourhoods (SEARCH_SHARE of the time left). Where the relaxation is tight, that plan
    is proven with no model solved as a MIP: North East and North Cumbria's part of 301
    practices, whose relaxation gives 18,753 in 0.5 s, where the model took 1.4 s to a first
    plan (48,414 short, bound 0) and 1.6 s more, after the re-planning, to prove 18,753.

    Returns
    -------
    tuple
        The plan (None when the greedy rules found none), the bound (0 when the relaxation
        was not solved in its time) and the relaxation's run.
    """
    relaxed = run_lp(prob, options=options, time_limit=RELAXATION_SHARE * _left(until))
    if relaxed.bound is None:
        return None, 0, relaxed
    bound = math.ceil(relaxed.bound - 1e-6)
    start = greedy_start(inst, part)
    if start is not None and plan_shortfall(inst, part, start) > bound:
        end = time.perf_counter() + SEARCH_SHARE * _left(until)
        start = lower_shortfall(inst, part, start, options=options, bound=bound, until=end)
    return start, bound, relaxed


def _certificate(
    inst: Instance,
    options: SolveOptions,
    run: RunResult,
    *,
    objective: float | None,
    travel_bound: float | None,
    stages: tuple[Stage, ...],
) -> Certificate:
    """The part's certificate: the travel stage's numbers, the level's weakest status."""
    bound = None if travel_bound is None or objective is None else min(travel_bound, objective)
    gap = relative_gap(objective, bound)
    travel_status: Status = (
        "no_solution"
        if objective is None
        else ("optimal" if within_gap(gap, options.gap) else "feasible")
    )
    name = objective_name(inst)
    all_stages = (*stages, Stage("travel", objective, bound, gap, travel_status, name))
    return Certificate(
        engine="compact",
        solver=run.solver,
        solver_version=run.version,
        status=weakest([s.status for s in all_stages]),
        objective=objective,
        objective_name=name,
        bound=bound,
        gap=gap,
        seconds=run.seconds,
        ended_by="proof" if travel_status == "optimal" else run.ended_by,
        stages=all_stages if objective is not None else (),
    )
