"""Least-exception plans: a part whose rules cannot all be met, short of the floor by the least.

DESIGN "Hub": where the rules cannot all be met in part of a footprint, the default (non-strict)
plan keeps them everywhere else (the other parts are solved as usual) and, in that part, first
minimises the total patients below the floor (stage ``shortfall``), then the travel with that
total held (stage ``travel``). Both stages are the compact model (:mod:`._compact`) with a
shortfall variable per floor row, (E4s) and (E9) there: the first minimises the shortfall (a
whole number of patients: its bound is rounded up, and it is optimal only when met exactly), the
second the travel under the shortfall found, warm-started with the first stage's plan. The
stages share the part's deadline: half for the first at most, and what it leaves to the second.

Every group of the part under the floor is a named ``under_floor`` exception, with its shortfall.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pulp
from numpy.typing import NDArray

from . import progress
from ._compact import build_compact, decode, model_size, objective_name, plan_cost
from ._instance import Instance, Part, PlanException
from ._run import Deadline, RunResult, run_mip
from .certificate import Certificate, Stage, Status, relative_gap, weakest, within_gap
from .engine import PartResult
from .rules import SolveOptions

SHORTFALL_SHARE = 0.5  # of the part's time, at most, for the shortfall stage


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


def solve_shortfall(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
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

    Returns
    -------
    PartResult
        The plan and its certificate with the stages ``shortfall`` and ``travel`` (engine
        ``compact``).
    """
    prob, y, x = build_compact(inst, part, shortfall="min")
    size = model_size(prob)
    first = run_mip(
        prob,
        options=dataclasses.replace(options, gap=0.0),  # whole patients: exact
        time_limit=0.95 * SHORTFALL_SHARE * deadline.remaining(),
    )
    if first.status not in ("optimal", "feasible") or first.objective is None:
        cert = _certificate(inst, options, first, objective=None, travel_bound=None, stages=())
        return PartResult(base_of=None, certificate=dataclasses.replace(cert, model_size=size))
    progress.report("least shortfall", best=first.objective, bound=first.bound)
    least = round(first.objective)
    bound = min(least, math.ceil((first.bound or 0.0) - 1e-6))
    start = decode(part, y=y, x=x, values=first.values)
    prob2, y2, x2 = build_compact(inst, part, shortfall=float(least))
    values_as_start(prob2, first.values)
    second = run_mip(prob2, options=options, time_limit=0.95 * deadline.remaining(), warm=True)
    base_of, travel_bound = start, 0.0
    if second.status in ("optimal", "feasible"):
        base_of = decode(part, y=y2, x=x2, values=second.values)
        travel_bound = second.bound if second.bound is not None else 0.0
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
        inst, options, second, objective=objective, travel_bound=travel_bound, stages=(shortfall,)
    )
    return PartResult(base_of=base_of, certificate=dataclasses.replace(cert, model_size=size))


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
