"""Plans for the columns engine's incumbent (step 5 of :mod:`.driver`).

:func:`more_plans` makes plans of a part from the master: with a fixed count by bin completion
(:mod:`.completion`), else (or when it is stuck) by price-and-dive and the master MIP over the
generated columns (:mod:`.incumbent`); :func:`best_polished` keeps the best after local search
and, with a fixed count, regrouping (:mod:`.regroup`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._greedy import local_polish

from .completion import complete_any
from .incumbent import column_mip, dive
from .regroup import regroup_part

if TYPE_CHECKING:
    from mcp_geo.solvers._instance import Instance, Part

    from .driver import _Search

log = logging.getLogger(__name__)

DIVE_SHARE = 0.1  # of the time left: the dive (the listing's MIP finds better plans)
COMPLETION_SHARE = 0.5  # of the time left, at most: bin completion, with a fixed count (central
# Sussex at 23 hubs: under 1 s; staffs-shropshire at 36: 20-25 s)
ROUGH_COMPLETION_SHARE = 0.15  # at most, with the packing's plan of the count in hand (the
# plan of last resort, see :mod:`.driver`): where bin completion finds a plan it does so in
# seconds
REGROUP_FREE = True  # regroup plans of a free count too (else only with a fixed count)
LARGE_PART = 200  # items: above, a poor greedy plan is no start for the listing (dive first),
# and the MIP over the generated columns runs only if the dive fails


def more_plans(s: _Search) -> list[NDArray[np.int64]]:
    """Price-and-dive, and the master MIP over the generated columns; with a fixed count, bin
    completion first (:mod:`.completion`), and the others only without its plan.

    Parameters
    ----------
    s
        The part's search (its master, columns, pricer and deadline).

    Returns
    -------
    list[NDArray[np.int64]]
        The plans found (the local base of every item).
    """
    deadline = s.deadline
    plans = []
    if s.count is not None:
        completion = ROUGH_COMPLETION_SHARE if s.rough else COMPLETION_SHARE
        _, pi, mu = s.master.solve()
        done = complete_any(
            s.pr,
            s.order,
            s.master.values(),
            pi=pi,
            mu=mu,
            count=s.count,
            until=time.perf_counter() + completion * deadline.remaining(),
        )
        log.info("columns: bin completion %s", "found a plan" if done is not None else "stuck")
        if done is not None:
            return [done]
    dived = dive(
        s.master,
        s.pr,
        s.order,
        add=s.add,
        deadline=deadline,
        until=deadline.elapsed() + DIVE_SHARE * deadline.remaining(),
    )
    log.info("columns: dive %s", "found a plan" if dived is not None else "stuck")
    if dived is not None:
        plans.append(dived)
    # the master MIP over the generated columns: quick on small parts; on large ones HiGHS
    # spends its time without finding a plan, so it runs only when the dive found none
    if dived is None or len(s.part.items) <= LARGE_PART:
        mip_base, _, _ = column_mip(
            s.inst,
            s.part,
            s.order,
            options=s.options,
            deadline=deadline,
            time_limit=min(0.1 * deadline.remaining(), 10.0),
        )
        if mip_base is not None:
            plans.append(s.local(mip_base))
    return plans


def best_polished(
    inst: Instance,
    part: Part,
    plans: list[NDArray[np.int64]],
    *,
    until: float | None = None,
    hints: Sequence[NDArray[np.int64]] = (),
) -> tuple[NDArray[np.int64] | None, float]:
    """The best of the plans (local bases) after local search, as instance indices, and its cost.

    With ``until`` (a ``time.perf_counter()``), regrouped too
    (:mod:`.regroup`).

    Parameters
    ----------
    inst, part
        The instance and the part.
    plans
        Plans of the part (the local base of every item).
    until
        When the regrouping stops (None: no regrouping).
    hints
        The master LP's groups, for the regrouping (:func:`.regroup.regroup`).

    Returns
    -------
    tuple
        The best plan (instance indices of the bases, or None) and its cost.
    """
    best, best_cost = None, np.inf
    for plan in plans:
        if part.count is not None and len(set(plan.tolist())) != part.count:
            continue  # a dive's repair may miss the fixed count: no plan of this part
        local = local_polish(inst, part, plan)
        if until is not None and (part.count is not None or REGROUP_FREE):
            local = local_polish(
                inst, part, regroup_part(inst, part, local, until=until, hints=hints)
            )
        polished = part.items[local]
        cost = plan_cost(inst, part.items, polished)
        log.info(
            "columns: plan %.1f, polished %.1f", plan_cost(inst, part.items, part.items[plan]), cost
        )
        if cost < best_cost - 1e-9:
            best, best_cost = polished, cost
    return best, best_cost


def lp_hints(s: _Search) -> list[NDArray[np.int64]]:
    """The master LP's columns of positive value (their items), largest value first.

    Parameters
    ----------
    s
        The part's search.

    Returns
    -------
    list[NDArray[np.int64]]
        The hints for :func:`best_polished`.
    """
    values = s.master.values()
    used = np.flatnonzero(values > 1e-6)
    used = used[np.lexsort((used, -values[used]))]
    return [s.order[k][1] for k in used.tolist()]
