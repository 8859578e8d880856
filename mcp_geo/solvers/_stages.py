"""Objective stages of one level (DESIGN "Objective stages"): the fewest groups, then travel.

With ``count="fewest"`` each independent part is solved for the fewest groups its rules allow,
then for the least travel with that count held. Both stages come out of the same solves: the
part's count is at least ``ceil(patients / ceiling)`` (no group holds more), so the engine solves
the travel with the count fixed at that bound; a count the engine proves infeasible is raised
by one, and the first count with a plan is the fewest (every smaller count is proven
infeasible, or below the bound). Its stage is certified ``optimal`` exactly then (the count is
a whole number: its tolerance is 0); the travel stage is the engine's certificate at that count,
within the options' gap. The parts share the level's deadline as before, so time a stage leaves
passes on to the next count and the next part.

The fewest count over a footprint is the sum of its parts' (the parts cannot share a group).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable

from ._instance import Instance, Part
from ._run import Deadline
from .certificate import Certificate, Stage, relative_gap, weakest
from .engine import PartResult
from .rules import SolveOptions

log = logging.getLogger(__name__)

SolvePart = Callable[[Instance, Part], PartResult]


def count_words(inst: Instance) -> str:
    """What the count stage minimises, in words (its ``objective_name``)."""
    return f"number of {inst.group}s"


def travel_stage(cert: Certificate) -> Stage:
    """The travel stage of an engine's certificate (its objective, bound, gap and status).

    Parameters
    ----------
    cert
        The engine's certificate of the travel solve.

    Returns
    -------
    Stage
        The ``travel`` stage.
    """
    return Stage("travel", cert.objective, cert.bound, cert.gap, cert.status, cert.objective_name)


def counted_stage(inst: Instance, *, groups: int | None, bound: int) -> Stage:
    """The count stage: ``groups`` found (None: no plan) against a proven lower ``bound``.

    Parameters
    ----------
    inst
        The level's instance (for the stage's name).
    groups
        The number of groups of the plan, or None without a plan.
    bound
        A proven lower bound on the number of groups.

    Returns
    -------
    Stage
        ``optimal`` when the count meets the bound, else ``feasible`` (or ``no_solution``).
    """
    objective = None if groups is None else float(groups)
    gap = relative_gap(objective, float(bound))
    status = "no_solution" if groups is None else ("optimal" if groups <= bound else "feasible")
    return Stage(inst.level, objective, float(bound), gap, status, count_words(inst))  # type: ignore[arg-type]


def fixed_stages(inst: Instance, cert: Certificate, *, groups: int) -> Certificate:
    """A certificate with both stages for groups that need no choice (fixed or single items).

    Parameters
    ----------
    inst
        The level's instance.
    cert
        The certificate of those groups.
    groups
        How many groups there are.

    Returns
    -------
    Certificate
        The certificate with a count stage (``groups``, proven) and its travel stage.
    """
    stages = (counted_stage(inst, groups=groups, bound=groups), travel_stage(cert))
    return dataclasses.replace(cert, stages=stages)


def with_count_stage(inst: Instance, part: Part, result: PartResult) -> PartResult:
    """A least-exception part's result with the count stage put before its travel stage (the
    count is the plan's: the shortfall comes first, and its plan is not searched for fewer
    groups).

    Parameters
    ----------
    inst, part
        The instance and the part.
    result
        The part's least-exception result (stages ``shortfall`` and ``travel``).

    Returns
    -------
    PartResult
        The same plan with the stages ``shortfall``, ``hubs`` (or ``mcps``) and ``travel``.
    """
    if result.base_of is None or not result.certificate.stages:
        return result
    groups = len(set(result.base_of.tolist()))
    count = counted_stage(inst, groups=groups, bound=least_count(inst, part)[0])
    *first, last = result.certificate.stages
    stages = (*first, count, last)
    cert = dataclasses.replace(
        result.certificate, stages=stages, status=weakest([s.status for s in stages])
    )
    return PartResult(base_of=result.base_of, certificate=cert)


def least_count(inst: Instance, part: Part) -> tuple[int, int]:
    """The fewest and the most groups a part can make by its patients alone.

    Parameters
    ----------
    inst, part
        The instance and the part.

    Returns
    -------
    tuple[int, int]
        ``ceil(patients / ceiling)`` and ``min(items, patients // floor)``.
    """
    total = int(inst.weights[part.items].sum())
    most = len(part.items) if part.lo <= 0 else min(len(part.items), total // part.lo)
    return max(1, math.ceil(total / inst.hi)), max(1, most)


def solve_fewest(
    inst: Instance,
    part: Part,
    *,
    options: SolveOptions,
    deadline: Deadline,
    solve: SolvePart,
) -> PartResult:
    """Solve a part for the fewest groups, then the least travel with that count.

    Parameters
    ----------
    inst, part
        The instance and the part (its ``count`` is ignored).
    options
        The solve options (the travel stage's gap).
    deadline
        The part's wall-clock budget, shared by every count tried.
    solve
        Solves the part with a fixed count (the engine chosen for it).

    Returns
    -------
    PartResult
        The plan at the fewest count found and its certificate with the stages ``hubs`` (or
        ``mcps``) and ``travel``; ``infeasible`` when every count was proven impossible.
    """
    bound, most = least_count(inst, part)
    result: PartResult | None = None
    for k in range(bound, most + 1):
        if result is not None and deadline.remaining() <= 0:  # time ran out: nothing proven
            cert = dataclasses.replace(
                result.certificate,
                status="no_solution",
                objective=None,
                bound=None,
                gap=None,
                ended_by="time_limit",
            )
            result = PartResult(base_of=None, certificate=cert)
            break
        result = solve(inst, dataclasses.replace(part, count=k))
        log.info("%s: %d %ss: %s", inst.level, k, inst.group, result.certificate.status)
        if result.certificate.status != "infeasible":
            break
        bound = k + 1  # proven: no plan with k groups
    assert result is not None
    cert = result.certificate
    if cert.status == "infeasible":
        return result  # every count proven impossible
    groups = None if result.base_of is None else len(set(result.base_of.tolist()))
    later = cert.stages or (travel_stage(cert),)  # a reference's stages come after the count
    stages = (counted_stage(inst, groups=groups, bound=bound), *later)
    cert = dataclasses.replace(cert, stages=stages, status=weakest([s.status for s in stages]))
    return PartResult(base_of=result.base_of, certificate=cert)
