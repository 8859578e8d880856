"""A plan's alternatives (``alternatives = K``): other plans within the travel slack, each a
whole plan (hubs from :func:`~mcp_geo.solvers.alternatives.alternative_hubs`, then MCPs,
territories and metrics as usual), and the practices they leave settled."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import pandas as pd

from mcp_geo.boundaries.distances import TravelMatrix
from mcp_geo.pipeline.levels import hub_rule
from mcp_geo.plans.alternatives import alternatives_outcome
from mcp_geo.plans.plan import Plan
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.alternatives import alternative_hubs
from mcp_geo.solvers.hubs import HubSolution

log = logging.getLogger(__name__)

PlanFrom = Callable[[Scenario, HubSolution], Plan]
"""Plans a scenario from hubs already solved (the pipeline's :func:`plan_footprint`)."""


def with_alternatives(
    best: Plan,
    *,
    practices: pd.DataFrame,
    travel: TravelMatrix,
    hubs: HubSolution,
    plan_from: PlanFrom,
    announce: Callable[[str], None],
) -> Plan:
    """The best plan with its alternatives (``best.scenario.alternatives`` of them at most).

    Parameters
    ----------
    best
        The plan as solved.
    practices, travel
        The practices it planned (sorted by code) and their travel.
    hubs
        Its hub level as solved.
    plan_from
        Makes a whole plan from a scenario and hubs already solved.
    announce
        Called with a short description as each step starts.

    Returns
    -------
    Plan
        ``best`` with ``alternatives`` and practices' ``settled`` column.
    """
    t0 = time.perf_counter()
    scenario = best.scenario
    announce(f"up to {scenario.alternatives} alternative plans")
    found = alternative_hubs(
        practices, best=hubs, rule=hub_rule(scenario), options=scenario.solve, travel=travel
    )
    # each alternative's scenario.toml is its footprint and rules (alternatives are not redone)
    rule = dataclasses.replace(scenario.hub_rule, alternatives=0, travel_slack=None)
    own = dataclasses.replace(scenario, hub_rule=rule)
    plans = []
    for n, solution in enumerate(found.plans, start=1):
        announce(f"alternative {n} of {len(found.plans)}: MCPs, territories, metrics")
        plans.append(plan_from(own, solution))
    outcome = alternatives_outcome(
        best, plans=plans, search=found.search, asked=scenario.alternatives
    )
    log.info("%s", outcome.line())
    codes = best.practices["practice_code"].astype(str)
    practices_out = best.practices.assign(settled=codes.map(outcome.settled).to_numpy(bool))
    seconds = time.perf_counter() - t0
    timings = dataclasses.replace(
        best.timings, alternatives=seconds, total=best.timings.total + seconds
    )
    return dataclasses.replace(best, practices=practices_out, alternatives=outcome, timings=timings)
