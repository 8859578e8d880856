"""Re-planning a large part's plan one neighbourhood at a time, where the LP says it loses most.

On the largest parts (Greater Manchester, North West London) the plan from the LP's support
(:mod:`.support`), polished, is 0.5-1% above the best plan known, and a local optimum for
re-planning eight neighbouring groups at a time by the compact model
(:mod:`mcp_geo.solvers._replan`: on Greater Manchester 187 neighbourhoods in 124 s, 0.14%
gained). Here a neighbourhood is twice as large, a group and its :data:`GROUPS` - 1 nearest
groups (by the distance between their bases: 60-85 items), and the columns engine itself
solves it (:func:`.driver.solve_columns`, given as ``solve``: a part that small is proven
optimal in about a second), starting from the plan's own groups; a better plan of the
neighbourhood replaces them. That is the matheuristic of Stefanello, Cordeau-Jordan and
Mueller (2015) with column generation for the sub-problems.

Which neighbourhood comes next is the LP's call. At the best duals of column generation
(cover rows ``pi``, the count's ``mu``, the cuts' ``sigma``) a plan costs the Lagrangian value
plus its groups' reduced costs (``cost - pi(members) - mu`` plus the cuts' penalties, each
>= 0 where the LP is converged) plus the cuts' slack: a group with a large reduced cost is
where the plan pays for what the LP does better. Neighbourhoods go in order of the sum of
their groups' reduced costs, the largest first; one re-planned without gain is not solved
again until one of its groups changes. Measured from the support's plan (2 threads, the
duals of a 60 s run): Greater Manchester 2,294,867 -> 2,286,423 (0.96% -> 0.59% above the
bound) in 22 s, North West London 1,254,249 -> 1,241,471 (1.53% -> 0.49%) in 18 s; in the
order of the bases (one thread) Greater Manchester's first gain came after 30 s. Smaller
neighbourhoods (12 groups) or larger ones (20-24) did worse in the same time.

With a fixed count the groups are nearly full, and a neighbourhood (:data:`COUNT_GROUPS`
groups) is re-planned into as many groups as it holds, so that the plan keeps the count.
Measured on central Sussex and East Surrey at 23 hubs (97% full), from the plan a listing's
MIP found: 3,000,460 -> 2,417,695 in 7 s; the plans at 30 s (2 threads) 2,434,870 against
3,000,460, at 60 s 2,418,723 twice against 2,424,677 and 2,440,549.

Every plan stays a plan of the part: incumbents only, never bounds.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import SolverError
from mcp_geo.solvers import progress
from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._replan import nearest_groups
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers._window import count_window
from mcp_geo.solvers.rules import SolveOptions

from .listing import closing_target, columns_of

if TYPE_CHECKING:
    from mcp_geo.solvers.engine import PartResult

    from .driver import _Search

log = logging.getLogger(__name__)

GROUPS = 16  # groups re-planned together (Greater Manchester: 60-85 items)
COUNT_GROUPS = 8  # the same with a fixed count: nearly full groups, where the engine proves
# less (central Sussex at 23 hubs: 8 groups, 26-37 items, 0.03-3 s; 10-14 groups often not
# proven in 5 s)
SECONDS = 3.0  # per neighbourhood, at most
SUB_GAP = 1e-4  # the sub-problems' gap
CLOSE_STEP = 5e-4  # a plan within the gap of the bound plus this fraction: the listing closes
# it at once (Greater Manchester at a gap of 0.5%: 2,286,166 against a bound of 2,273,945, so a
# target 0.035% above it, 1,712 columns, proven in 0.04 s), and the re-planning stops; once a
# listing was too long to close such a target (North West London: 0.044% above its bound), the
# re-planning goes on to the gap itself

Solve = Callable[..., "PartResult"]
Neighbourhood = frozenset[tuple[int, tuple[int, ...]]]  # its groups: (base, members), local


def group_reduced_costs(s: _Search, plan: NDArray[np.int64]) -> dict[int, float]:
    """Each group's reduced cost at the best duals of column generation, cuts included.

    Parameters
    ----------
    s
        The part's search (its reduced costs known).
    plan
        The local base of every item.

    Returns
    -------
    dict[int, float]
        Base (local) -> the reduced cost of its group.
    """
    assert s.rc is not None
    rc = s.rc
    out = {}
    for j, members in columns_of(plan):
        value = s.pr.column_cost(j, members) - float(rc.pi[members].sum()) - rc.mu
        if rc.cuts is not None:
            value += s.pr.penalty(members, rc.cuts)
        out[j] = value
    return out


def replan_by_duals(s: _Search, *, solve: Solve, until: float) -> None:
    """Re-plan neighbourhoods of the incumbent's groups (module docstring) until ``until``
    (a ``time.perf_counter()``), until none is left to try or until the plan is within the gap
    of the bound raised by CLOSE_STEP (a short listing proves it; of the bound itself once a
    listing was too long, ``s.listed_too_long``); keeps ``s``'s incumbent,
    and in ``s.tried`` the neighbourhoods re-planned without gain (a later call goes on from
    there).

    Parameters
    ----------
    s
        The part's search (its incumbent and reduced costs known).
    solve
        The engine for a neighbourhood (:func:`.driver.solve_columns`).
    until
        When to stop.
    """
    assert s.inc_base is not None
    inst, part = s.inst, s.part
    plan = s.local(s.inc_base)
    km = inst.km[np.ix_(part.items, part.items)]
    before, solved, gained = s.inc_cost, 0, 0
    close_step = 0.0 if s.listed_too_long else CLOSE_STEP
    while time.perf_counter() < until - 0.1:
        if closing_target(s) <= s.bound * (1 + close_step):
            break  # within the gap, or nearly: the listing's turn
        chosen = _next_neighbourhood(s, plan, km=km, tried=s.tried)
        if chosen is None:
            break
        key, local = chosen
        seconds = min(SECONDS, until - time.perf_counter())
        better = _replanned(
            inst, part, plan, local=local, options=s.options, solve=solve, seconds=seconds
        )
        solved += 1
        if better is None:
            s.tried.add(key)
            continue
        plan[local] = s.local(better)
        gained += 1
        s.inc_base, s.inc_cost = part.items[plan], plan_cost(inst, part.items, part.items[plan])
        progress.report("re-planning neighbourhoods", best=s.inc_cost, bound=s.bound)
    log.info(
        "re-planned %d neighbourhoods by the duals, %d better: %.1f -> %.1f",
        solved,
        gained,
        before,
        s.inc_cost,
    )


def _next_neighbourhood(
    s: _Search,
    plan: NDArray[np.int64],
    *,
    km: NDArray[np.float64],
    tried: set[Neighbourhood],
) -> tuple[Neighbourhood, NDArray[np.int64]] | None:
    """The untried neighbourhood whose groups' reduced costs sum highest (ties: the lowest
    base): its key (its groups) and its items (local), or None."""
    rc = group_reduced_costs(s, plan)
    members = {j: tuple(np.flatnonzero(plan == j).tolist()) for j in rc}
    size = GROUPS if s.count is None else COUNT_GROUPS
    best: tuple[float, int] | None = None
    chosen = None
    for j in sorted(rc):
        near = nearest_groups(plan, km, seed=j, size=size).tolist()
        key = frozenset((b, members[b]) for b in near)
        if key in tried:
            continue
        score = (-sum(rc[b] for b in near), j)
        if best is None or score < best:
            best, chosen = score, (key, near)
    if chosen is None:
        return None
    key, near = chosen
    return key, np.flatnonzero(np.isin(plan, near))


def _replanned(
    inst: Instance,
    part: Part,
    plan: NDArray[np.int64],
    *,
    local: NDArray[np.int64],
    options: SolveOptions,
    solve: Solve,
    seconds: float,
) -> NDArray[np.int64] | None:
    """The neighbourhood's items re-planned (their bases, instance indices), if cheaper than
    now; with a fixed count, into as many groups as they are in now (in the window that count
    implies: :func:`mcp_geo.solvers._window.count_window`). A solve HiGHS fails on (its rare
    "Solve error", seen once in about 30 runs of North East and North Cumbria at 10 s) leaves
    the neighbourhood as it is: the plan stays a plan, and the search goes on."""
    items = part.items
    start = items[plan[local]]
    count = None if part.count is None else len(set(start.tolist()))
    sub = count_window(
        inst, Part(items=items[local], lo=part.lo, hi=part.hi, count=count, start=start)
    )
    sub_options = dataclasses.replace(options, gap=SUB_GAP, time_limit=seconds)
    try:
        with progress.muted():
            result = solve(inst, sub, options=sub_options, deadline=Deadline(seconds))
    except SolverError as exc:
        log.warning("a neighbourhood of %d items left as it is: %s", len(local), exc)
        return None
    if result.base_of is None:
        return None
    old = plan_cost(inst, sub.items, start)
    if plan_cost(inst, sub.items, result.base_of) >= old - 1e-6 * max(1.0, old):
        return None
    return result.base_of
