"""Objective stages of one level (DESIGN "Objective stages"): the fewest groups, then travel.

With ``count="fewest"`` each independent part is solved for the fewest groups its rules allow,
then for the least travel with that count held. Both stages come out of the same solves: the
part's count is at least ``ceil(patients / ceiling)`` (no group holds more), so the engine solves
the travel with the count fixed at that bound; a count the engine proves infeasible is raised
by one, and a count with a plan is the fewest (every smaller count is proven infeasible, or
below the bound). Its stage is certified ``optimal`` exactly then (the count is a whole number:
its tolerance is 0); the travel stage is the engine's certificate at that count, within the
options' gap. At the fewest count the groups are nearly full and the engines may find no plan
in time (staffs-shropshire: none in minutes at 35 hubs, whose bound it is); so each count is
first tried by local search (:mod:`._packing`: staffs-shropshire's 35 in 2-5 s), whose plan
proves the count and starts the engine's travel. Where that finds none either, the descent
(:mod:`._count_descent`) finds a plan with a few more groups, and the count stage states
that count against the bound (``feasible``, with its gap) rather than giving no plan. The parts
share the level's deadline as before, so time a stage leaves passes on to the next count and the
next part.

The fewest count over a footprint is the sum of its parts' (the parts cannot share a group).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._compact import solve_compact
from ._count_descent import descend, fewest_greedy
from ._greedy import part_greedy
from ._instance import Instance, Part
from ._packing import PACKING_SECONDS, packed_plan, packing_seconds
from ._run import Deadline
from ._window import count_window, under_window
from .certificate import Certificate, Stage, relative_gap, weakest, within_gap
from .engine import PartResult
from .rules import SolveOptions

log = logging.getLogger(__name__)

SolvePart = Callable[[Instance, Part, Deadline], PartResult]

AGAIN_SHARE = 0.3  # of the time left, when the engine found no plan at the count either
AGAIN_COUNTS = 3  # counts tried then (see _packed_again)
FIRST_SHARE = 0.6  # of the time left: the engine at the least count not yet proven impossible
DESCENT_SHARE = 0.5  # of the time left after it without a plan: closing bases (the rest: travel)
ANY_COUNT_SECONDS = 5.0  # at most, for the proof that no count has a plan (compact model)
FREE_SHARE = 0.3  # of the time left, at most, for the engine's plan with its count free (the
# descent's start when the greedy rules get stuck; the engine stops within the gap, often sooner)


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
    count is the plan's, whose groups at the floor were planned for their fewest:
    :func:`._shortfall_travel.full_groups_replanned`; the bound is the least the patients
    allow).

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
    solve_free: SolvePart,
) -> PartResult:
    """Solve a part for the fewest groups, then the least travel with that count.

    Counts from the least the patients allow are tried in turn; once one is proven impossible,
    the next ones first by local search (:mod:`._packing`, for its
    :func:`~._packing.packing_seconds`, unless an item cannot reach the floor of the window
    the count implies), whose plan ends the search: the travel is solved at that count with
    all the time left, from it. (Not at the least count: where the engine finds its plan, as on central
    Sussex at 23, its travel is better, and where no count has a plan, as in North East and
    North Cumbria, local search would spend the time the least exceptions need.) Else the
    engine, with FIRST_SHARE of the time left, until a count is not proven impossible; when
    the least is, the compact model with the count free may prove every count impossible at
    once (North East and North Cumbria's part of 301 practices, whose rules cannot all be met:
    the caller then plans its least exceptions). A plan the engine found at the count reached
    is solved again with the rest of the time, starting from it. Without one, local search
    tries that count and the next AGAIN_COUNTS - 1 (AGAIN_SHARE of the time left), then the
    descent (:mod:`._count_descent`) closes bases of the
    greedy plan (else of the engine's plan with the count free, in FREE_SHARE of the time left)
    down towards that count with DESCENT_SHARE of the time left, and the travel is solved at
    the count it reached, starting from its plan: the count stage then states the plan's count
    against the proven bound.

    Parameters
    ----------
    inst, part
        The instance and the part (its ``count`` is ignored).
    options
        The solve options (the travel stage's gap).
    deadline
        The part's wall-clock budget, shared by every count tried.
    solve
        Solves the part with a fixed count (the engine chosen for it) within a deadline.
    solve_free
        Solves the part with its count free (the engine): the descent's start when the greedy
        rules get stuck at every count.

    Returns
    -------
    PartResult
        The plan at the fewest count found and its certificate with the stages ``hubs`` (or
        ``mcps``) and ``travel``; ``infeasible`` when every count was proven impossible.
    """
    least, most = least_count(inst, part)
    bound = least
    result: PartResult | None = None
    packed: NDArray[np.int64] | None = None
    searched: dict[int, float] = {}  # count: the seconds local search had there, in vain
    for k in range(least, most + 1):
        if result is not None and deadline.remaining() <= 0:
            break
        if k > least:  # a smaller count proven impossible: nearly full groups
            at = dataclasses.replace(part, count=k)
            seconds = packing_seconds(deadline)
            packed = _packed(inst, at, seconds=seconds)
            searched[k] = seconds
        if packed is not None:  # the count has a plan: the travel, with all the time left
            rough = dataclasses.replace(part, count=k, start=packed, rough_start=True)
            result = solve(inst, rough, _share(deadline, 1.0))
            break
        result = solve(inst, dataclasses.replace(part, count=k), _share(deadline, FIRST_SHARE))
        log.info("%s: %d %ss: %s", inst.level, k, inst.group, result.certificate.status)
        if result.certificate.status != "infeasible":
            break
        bound = k + 1  # proven: no plan with k groups
        # is there a plan with any count? (a greedy plan says so in milliseconds, where the
        # compact model found neither plan nor proof in 5.5 s of staffs-shropshire's 30 s)
        if k == least and part_greedy(inst, part) is None:
            anyhow = _any_count(inst, part, options=options, deadline=deadline)
            if anyhow.certificate.status == "infeasible":
                return anyhow  # no count has a plan: the caller plans the least exceptions
    assert result is not None
    if result.certificate.status == "infeasible" and bound > most:
        return result  # every count proven impossible
    if result.base_of is not None:
        if result.certificate.ended_by != "proof" and deadline.remaining() > 0 and packed is None:
            start = dataclasses.replace(part, count=bound, start=result.base_of)
            result = _better(result, solve(inst, start, _share(deadline, 1.0)), gap=options.gap)
    elif deadline.remaining() > 0:
        at_bound = dataclasses.replace(part, count=bound)
        found = _packed_again(inst, at_bound, deadline=deadline, solve=solve, searched=searched)
        if found is None:
            found = _descended(
                inst,
                part,
                counts=(bound, most),
                options=options,
                deadline=deadline,
                solve=solve,
                solve_free=solve_free,
            )
        result = result if found is None or found.base_of is None else found
    cert = result.certificate
    if cert.status == "infeasible":  # time ran out before the next count was tried
        cert = dataclasses.replace(
            cert, status="no_solution", objective=None, bound=None, gap=None, ended_by="time_limit"
        )
        return PartResult(base_of=None, certificate=cert)
    groups = None if result.base_of is None else len(set(result.base_of.tolist()))
    later = cert.stages or (travel_stage(cert),)  # a reference's stages come after the count
    stages = (counted_stage(inst, groups=groups, bound=bound), *later)
    cert = dataclasses.replace(cert, stages=stages, status=weakest([s.status for s in stages]))
    return PartResult(base_of=result.base_of, certificate=cert)


def _packed(inst: Instance, part: Part, *, seconds: float) -> NDArray[np.int64] | None:
    """A plan of the part's count by local search (:mod:`._packing`) in the window the count
    implies, within ``seconds``; None at once when an item cannot reach that window's floor
    (no plan of that count exists: the engine proves it at once)."""
    assert part.count is not None
    tight = count_window(inst, part)
    if len(under_window(inst, tight)):
        return None
    return packed_plan(inst, tight, count=part.count, seconds=seconds)


def _packed_again(
    inst: Instance,
    part: Part,
    *,
    deadline: Deadline,
    solve: SolvePart,
    searched: dict[int, float],
) -> PartResult | None:
    """When the engine found no plan at the part's count either (nor proved it impossible):
    local search at that count and the next AGAIN_COUNTS - 1, sharing AGAIN_SHARE of the time
    left (Cheshire and Merseyside, QYG: 56 in 2.3 s where 55, its bound, is neither found nor
    refused in 30 s), and the travel from its plan at the first it fills (None without one). A count
    that ``searched`` says local search already had as long for is skipped: the search is
    deterministic, so a shorter one finds nothing there either."""
    assert part.count is not None
    for k in range(part.count, part.count + AGAIN_COUNTS):
        at = dataclasses.replace(part, count=k)
        share = AGAIN_SHARE / (part.count + AGAIN_COUNTS - k)
        seconds = deadline.seconds_for(share, at_most=PACKING_SECONDS)
        if searched.get(k, 0.0) >= seconds:
            continue
        packed = _packed(inst, at, seconds=seconds)
        if packed is not None:
            rough = dataclasses.replace(at, start=packed, rough_start=True)
            return solve(inst, rough, _share(deadline, 1.0))
    return None


def _any_count(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """The part with its count free by the compact model, until a first plan or for at most
    ANY_COUNT_SECONDS: its infeasibility proof covers every count (North East and North
    Cumbria's part of 301 practices: 0.4 s, where each count took the columns engine 7-12 s
    to prove impossible)."""
    result, _, _ = solve_compact(
        inst,
        dataclasses.replace(part, count=None),
        options=options,
        deadline=Deadline(deadline.remaining()),
        time_limit=deadline.seconds_for(FREE_SHARE, at_most=ANY_COUNT_SECONDS),
        gap=0.99,  # any plan will do: it stops at (about) the first
        quiet=True,
    )
    return result


def _share(deadline: Deadline, share: float) -> Deadline:
    """A new deadline for a share of the time left (the engines time their steps from it)."""
    return Deadline(share * deadline.remaining())


def _better(first: PartResult, second: PartResult, *, gap: float) -> PartResult:
    """The second solve of the same count, unless it ended with a costlier plan (or none), with
    the first's bound when that is higher (both hold for the same count).

    Parameters
    ----------
    first, second
        The two solves' results.
    gap
        The gap tolerance (the status when the bound carried over closes the gap).

    Returns
    -------
    PartResult
        The better plan with the best bound known.
    """
    a, b = first.certificate, second.certificate
    if second.base_of is None or b.objective is None:
        return first
    if a.objective is not None and b.objective > a.objective + 1e-9:
        return first
    if b.stages or a.bound is None or (b.bound is not None and b.bound >= a.bound):
        return second
    closed = relative_gap(b.objective, a.bound)
    proven = within_gap(closed, gap)
    cert = dataclasses.replace(
        b,
        bound=a.bound,
        gap=closed,
        status="optimal" if proven else b.status,
        ended_by="proof" if proven else b.ended_by,
    )
    return PartResult(base_of=second.base_of, certificate=cert)


def _descended(
    inst: Instance,
    part: Part,
    *,
    counts: tuple[int, int],
    options: SolveOptions,
    deadline: Deadline,
    solve: SolvePart,
    solve_free: SolvePart,
) -> PartResult | None:
    """The travel solved at the count the descent reaches from the greedy plan with the fewest
    groups, else from the engine's plan with the count free (None without either); ``counts``:
    the least not proven impossible and the most the floor allows."""
    bound, most = counts
    plan = fewest_greedy(inst, part, least=bound, most=most)
    if plan is None:  # the greedy rules get stuck (Norfolk and Waveney, 105 practices)
        plan = solve_free(inst, part, _share(deadline, FREE_SHARE)).base_of
        if plan is None:
            return None
    until = time.perf_counter() + DESCENT_SHARE * deadline.remaining()
    plan = descend(inst, part, plan, count=bound, options=options, until=until)
    groups = len(set(plan.tolist()))
    log.info(
        "%s: no plan found with %d %ss; %d by closing bases", inst.level, bound, inst.group, groups
    )
    return solve(inst, dataclasses.replace(part, count=groups, start=plan), _share(deadline, 1.0))
