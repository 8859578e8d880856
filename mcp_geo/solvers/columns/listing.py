"""Closing the gap by listing (step 6 of :mod:`.driver`): every column that can still beat a
target (:mod:`.enumeration`), and the set-partitioning MIP over them; the target rises until a
plan meets it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import SolverError
from mcp_geo.solvers import progress
from mcp_geo.solvers.certificate import ModelSize, relative_gap, within_gap

from .enumeration import fix_by_reduced_cost, list_columns
from .incumbent import column_mip

if TYPE_CHECKING:
    from mcp_geo.solvers.engine import PartResult

    from .driver import _Search

log = logging.getLogger(__name__)

FIRST_TARGET_STEP = 0.002  # the first listing's target: this far above the bound
TARGET_GROWTH = 2.5  # the next target's step, when a listing's MIP raised the bound to its target
MIN_TARGET_STEP = 2e-4  # too long a listing halves the step, down to this
MAX_STEP_WITHOUT_PLAN = 0.02  # no plan yet: listings up to this far above the bound, then compact
MIP_COLUMNS_PER_SECOND = 2_000  # a listing's MIP, at most this many columns per second left:
# HiGHS overran its limit on a longer one (central Sussex at 23 hubs: 97,780 columns, 22 s
# given, 42 s taken; 4,122 columns took 7.6 s, Greater Manchester's 23,000-25,000 14-19 s)
LISTING_MIP_GAP = 1e-4  # a listing's MIP looks for its best plan to this gap, whatever the
# options' (see _listing_mip)
WARM_START_WITHIN = 0.01  # the listing's MIP starts from the incumbent if this close to target
WARM_START_MAX_COLUMNS = 5_000  # and the listing is no longer than this: a start turns the
# presolve off (see column_mip), which longer listings need (Birmingham and Solihull's 8,317
# columns: no proof in 24 s started, the target proven presolved; Greater Manchester's 29,570:
# the best plan known found presolved, none in 130 s started)


def columns_of(base_local: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
    """A plan's groups as columns.

    Parameters
    ----------
    base_local
        The local base of every item of a part.

    Returns
    -------
    list[tuple[int, NDArray[np.int64]]]
        (base, members) of each group, in base order (local indices).
    """
    return [(int(j), np.flatnonzero(base_local == j)) for j in sorted(set(base_local.tolist()))]


def closing_target(s: _Search) -> float:
    """The least bound that proves the incumbent within the gap: no plan under it, and the
    part is closed (inf without an incumbent).

    Parameters
    ----------
    s
        The part's search.

    Returns
    -------
    float
        The incumbent's cost less the options' gap.
    """
    return float(s.inc_cost * (1 - s.options.gap))


def _next_target(s: _Search, step: float, too_long: float) -> float | None:
    """The listing's next target, or None when listing should stop."""
    target = min(closing_target(s), s.bound * (1 + step))  # no need to list beyond it
    if target >= too_long:  # halfway to the last target that was too long
        target = s.bound + 0.5 * (too_long - s.bound)
        if target - s.bound <= MIN_TARGET_STEP * s.bound:
            return None  # the listings stay too long
    if target <= s.bound or (s.inc_base is None and step > MAX_STEP_WITHOUT_PLAN):
        return None  # (without a plan, an infeasible part would be listed for ever)
    return float(target)


def close_by_listing(s: _Search) -> PartResult | None:
    """Step 7a: list every column that can still beat a target; solve the set partitioning
    MIP over them; raise the target until a plan meets it (see :mod:`.enumeration`).

    Without a plan yet too: the MIP finds one, or proves the target a bound.

    Parameters
    ----------
    s
        The part's search (its reduced costs, bound and incumbent are updated).

    Returns
    -------
    PartResult | None
        The result when a plan comes out of a MIP, else None (the next steps take over; so
        when HiGHS fails on a listing's MIP, which it did once, "Solve error", in about 30 runs
        of North East and North Cumbria at 10 s: the plan and the bound stand as they were).
    """
    assert s.rc is not None
    deadline = s.deadline
    step, too_long = FIRST_TARGET_STEP, np.inf  # listings up to too_long are too long
    while deadline.remaining() > 0.05 * deadline.seconds:  # else no time for another MIP
        target = _next_target(s, step, too_long)
        if target is None:
            break
        duals = s.rc.duals_for(target)
        s.bound = max(s.bound, duals.lag)
        bases, pairs = fix_by_reduced_cost(s.pr, duals, target)
        until = time.perf_counter() + 0.5 * deadline.remaining()  # and half for the MIP
        listed = list_columns(s.pr, duals, target, bases=bases, pairs=pairs, until=until)
        if listed is None or len(listed) > MIP_COLUMNS_PER_SECOND * deadline.remaining():
            too_long = target
            continue
        try:
            result, raised = _listing_mip(s, listed, target)
        except SolverError as exc:  # HiGHS 1.16's rare "Solve error": the plan and the bound
            # stand as they were
            log.warning("columns: the listing's MIP failed, the next steps take over: %s", exc)
            return None
        if raised:  # no plan under the target: with a fixed count, re-plan first
            s.replan_count()
            step *= TARGET_GROWTH
            continue
        return result  # a plan, or None: the MIP ran out of time without one
    s.listed_too_long = bool(np.isfinite(too_long))
    return None


def _listing_mip(
    s: _Search, listed: list[tuple[int, NDArray[np.int64]]], target: float
) -> tuple[PartResult | None, bool]:
    """The set-partitioning MIP over a listing: the result, or whether to raise the target.

    With the incumbent's columns (its warm start): the MIP always has a plan, and any plan up
    to the target is still made of listed columns (once each: a column listed twice would
    make the warm start cover its items twice). The MIP is solved to :data:`LISTING_MIP_GAP`
    at most: its own bound says nothing above the target, so a wider gap (the options') would
    stop it at any plan near that bound, where its best plan is what closes the part's gap.
    """
    inc_base = s.inc_base
    log.info("columns: %d columns can beat %.1f; set partitioning MIP", len(listed), target)
    progress.report(f"listing {len(listed):,} columns", best=s.inc_cost, bound=s.bound)
    start = None if inc_base is None else s.local(inc_base)
    if start is not None:
        keys = {(j, tuple(m.tolist())) for j, m in listed}
        listed += [(j, m) for j, m in columns_of(start) if (j, tuple(m.tolist())) not in keys]
    cols = [(j, m, s.pr.column_cost(j, m)) for j, m in listed]
    # the last listing the gap needs: a plan under its target is optimal, and none proves the
    # incumbent, so only plans under the target count (a cutoff), and the incumbent, above
    # it, is no start
    closing = target >= closing_target(s)
    # a start far above the target prunes little: presolve does more (see column_mip)
    near = s.inc_cost <= target * (1 + WARM_START_WITHIN)
    warm = start if near and not closing and len(cols) <= WARM_START_MAX_COLUMNS else None
    options = dataclasses.replace(s.options, gap=min(s.options.gap, LISTING_MIP_GAP))
    base_of, cost, run = column_mip(
        s.inst,
        s.part,
        cols,
        options=options,
        deadline=s.deadline,
        start=warm,
        cutoff=target if closing else None,
    )
    msize = ModelSize(variables=len(cols), constraints=s.n + (s.count is not None))
    if base_of is not None and cost < s.inc_cost:
        s.inc_base, s.inc_cost = base_of, cost
    # every plan up to the target is made of listed columns: the bound is the MIP's, capped
    # by the target
    sp_bound = target if run.status == "infeasible" else min(run.bound or 0.0, target)
    progress.report(f"listing {len(cols):,} columns", best=s.inc_cost, bound=max(s.bound, sp_bound))
    if run.status in ("infeasible", "optimal") and cost > target:
        s.bound = max(s.bound, sp_bound)  # no plan costs less: raise the target
        if target < s.inc_cost and not within_gap(relative_gap(s.inc_cost, s.bound), s.options.gap):
            return None, True
    if s.inc_base is None:
        return None, False
    result = s.finish(
        s.inc_cost,
        s.inc_base,
        solver_bound=sp_bound,
        solver=run.solver,
        version=run.version,
        ended_by=run.ended_by,
        size=msize,
    )
    return result, False
