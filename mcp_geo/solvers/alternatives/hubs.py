"""Alternative hub plans from practices: :func:`alternative_hubs`, the level's face of
:func:`~.search.solve_alternatives`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcp_geo.boundaries.distances import TravelMatrix
from mcp_geo.solvers._instance import Instance, PlanException
from mcp_geo.solvers._run import highs_version
from mcp_geo.solvers.certificate import Certificate, Stage, relative_gap, within_gap
from mcp_geo.solvers.hubs import HubSolution, hub_frames, hub_instance
from mcp_geo.solvers.rules import HubRule, SolveOptions

from .search import KEPT_WORDS, AlternativeSolve, AlternativesSolution, solve_alternatives


@dataclass(frozen=True)
class AlternativeHubs:
    """The alternatives as hub plans, with the search's account.

    Attributes
    ----------
    plans
        One :class:`~mcp_geo.solvers.hubs.HubSolution` per alternative (its certificate: the
        travel against the best plan's proven bound, and the stage ``alternative``: what (A1)
        kept, its bound and status).
    search
        The slack used, the best plan's travel, why the search stopped early.
    """

    plans: tuple[HubSolution, ...]
    search: AlternativesSolution


def alternative_hubs(
    practices: pd.DataFrame,
    *,
    best: HubSolution,
    rule: HubRule = HubRule(),  # noqa: B008 (frozen, immutable default)
    options: SolveOptions = SolveOptions(),  # noqa: B008
    travel: TravelMatrix | None = None,
) -> AlternativeHubs:
    """Up to ``rule.alternatives`` other hub plans within ``rule.travel_slack`` (None: the
    best plan's gap) of the best plan's travel, each keeping least of the plans before it.

    Parameters
    ----------
    practices, rule, options, travel
        As for :func:`~mcp_geo.solvers.hubs.solve_hubs` (no candidate sites, no reference).
    best
        The best plan, as :func:`~mcp_geo.solvers.hubs.solve_hubs` returned it.

    Returns
    -------
    AlternativeHubs
        The plans and the search's account.
    """
    inst, _ = hub_instance(practices, rule=dataclasses.replace(rule, reference=None),
                           travel=travel)  # fmt: skip
    pos = {c: k for k, c in enumerate(inst.codes)}
    base_code = best.assignment.set_index("practice_code")["base_code"]
    base_of = np.array([pos[base_code[c]] for c in inst.codes], dtype=np.int64)
    search = solve_alternatives(
        inst, base_of=base_of, certificate=best.certificate, alternatives=rule.alternatives,
        travel_slack=rule.travel_slack, options=options,
    )  # fmt: skip
    exceptions: dict[int, PlanException] = {}
    for exc in best.exceptions:
        for code in exc.items:
            exceptions[int(base_of[pos[code]])] = exc
    plans = []
    for one in search.found:
        assignment, hubs = hub_frames(inst, one.base_of, group_exception=exceptions)
        cert = _certificate(inst, one, best=best.certificate, options=options)
        plans.append(dataclasses.replace(best, assignment=assignment, hubs=hubs, certificate=cert))
    return AlternativeHubs(plans=tuple(plans), search=search)


def _certificate(
    inst: Instance, one: AlternativeSolve, *, best: Certificate, options: SolveOptions
) -> Certificate:
    """The alternative's travel against the best plan's proven bound (valid for every plan),
    and its stage ``alternative``."""
    gap = relative_gap(one.travel, best.bound)
    travel = Stage("travel", one.travel, best.bound, gap,
                   "optimal" if within_gap(gap, options.gap) else "feasible",
                   best.objective_name)  # fmt: skip
    kept_gap = relative_gap(float(one.kept), None if one.bound is None else float(one.bound))
    stage = Stage("alternative", float(one.kept), None if one.bound is None else float(one.bound),
                  kept_gap, one.status, KEPT_WORDS)  # fmt: skip
    return Certificate(
        engine="alternatives",
        solver="highs",
        solver_version=highs_version(),
        status=travel.status,
        objective=one.travel,
        objective_name=best.objective_name,
        bound=best.bound,
        gap=gap,
        seconds=0.0,
        ended_by=one.ended_by,
        stages=(stage, travel),
    )
