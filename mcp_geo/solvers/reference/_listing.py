"""Closing a stage's gap by listing every labelled column a better plan can use.

The columns engine's step 6 (:mod:`mcp_geo.solvers.columns.listing`) on the labelled master.
At the root's duals (the LP over every column solved, with its cuts), every plan x satisfies

.. math::

    \\text{cost}(x) \\ge D + \\sum_{c \\in x} \\bar c_c \\ge L - \\min(0, r_j) + \\bar c_c
    \\quad \\text{for each column } c = (j, g, S) \\text{ of } x,

with D the LP's value (its dual objective: (R2'), (R3), (R5)-(R8) hold with duals of the right sign),
:math:`r_j` a lower bound on the reduced cost of every column based at j (a plan has one column
per base at most) and :math:`L = D + \\sum_j \\min(0, r_j)`. So a plan costing at most a target
U uses only columns with :math:`\\bar c_c \\le U - L + \\min(0, r_j)`: each (base, group) row
lists its subsets with that reduced cost (:func:`~mcp_geo.solvers.columns.enumeration.subsets_within`
on the row's knapsack, then the exact reduced cost with the whole groups' bonus and the cuts'
penalties), and the labelled master's MIP over them (with the plan's columns, its start)
decides: its best plan is optimal when it is at most U; if every plan it holds costs more than
U, no plan does, and U becomes the bound. The target starts just above the bound and rises
until a plan meets it or the listing grows too long (then branch and price takes over).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers.columns.enumeration import subsets_within
from mcp_geo.solvers.columns.knapsack import lp_bounds

from ._branching import Search
from ._master import Column, Duals, LabelledMaster, StageCosts
from ._pricing import LabelledPricer, RowPrices

log = logging.getLogger(__name__)

FIRST_STEP = 0.002  # the first target: this far above the bound (relative)
STEP_GROWTH = 2.5  # the next target's step, when a listing's MIP raised the bound to its target
MAX_COLUMNS = 400_000  # listed at most (measured: the MIP over 173,000 took 3 s)


def close_by_listing(
    master: LabelledMaster,
    pricer: LabelledPricer,
    *,
    at: Duals,
    costs: StageCosts,
    search: Search,
    threads: int,
    stop_at: float,
) -> Search:
    """List the columns that can beat rising targets and solve the master's MIP over them.

    Parameters
    ----------
    master, pricer
        The stage's master (its LP solved over every column at ``at``) and pricing (no branch).
    at
        The master's duals at which no column prices out.
    costs
        The stage's weights and caps.
    search
        The stage's plan, its value and bound.
    threads
        Threads for HiGHS.
    stop_at
        When to stop (a ``time.perf_counter()``).

    Returns
    -------
    Search
        The best plan found and the bound proven (at least the search's).
    """
    rp = pricer.row_prices(at, costs, cuts=master.cuts)
    rc = rp.rc_low.copy()
    for r in np.flatnonzero(rc < 0.0).tolist():  # exact where the LP bound allows rc < 0
        if time.perf_counter() >= stop_at:
            return search
        rc[r] = max(rc[r], pricer.exact_row(rp, r)[0])
    per_base = np.zeros(pricer.n)
    np.minimum.at(per_base, pricer.row_j, np.minimum(rc, 0.0))
    lag = at.value + float(per_base.sum())
    search = _raised(search, lag)
    step, too_long = FIRST_STEP, math.inf
    while time.perf_counter() < stop_at and not search.closes(search.bound):
        top = search.value - 1.0 if search.whole else search.value * (1.0 - search.gap)
        target = min(top, search.bound + step * max(1.0, abs(search.bound)))
        if target >= too_long:
            target = search.bound + 0.5 * (too_long - search.bound)
            if target - search.bound <= 0.1 * FIRST_STEP * max(1.0, abs(search.bound)):
                break  # the listings stay too long
        t_list = time.perf_counter()
        until = t_list + 0.5 * (stop_at - t_list)
        listed = _listed(pricer, rp, rc, per_base=per_base, lag=lag, target=target, until=until)
        log.info("reference: listing up to %.1f: %.1fs", target, time.perf_counter() - t_list)
        if listed is None:
            log.info("reference: listing the columns that can beat %.1f takes too long", target)
            too_long = target
            continue
        search, raised = _listing_mip(master, listed, search=search, target=target,
                                      threads=threads, stop_at=stop_at)  # fmt: skip
        if not raised:
            break
        step *= STEP_GROWTH
    return search


def _raised(search: Search, bound: float) -> Search:
    """The search with a bound at least ``bound`` (never above its plan)."""
    bound = min(max(search.bound, bound), search.value)
    return Search(search.chosen, search.value, bound, search.whole, search.gap)


def _listed(
    pricer: LabelledPricer,
    rp: RowPrices,
    rc: NDArray[np.float64],
    *,
    per_base: NDArray[np.float64],
    lag: float,
    target: float,
    until: float,
) -> list[Column] | None:
    """Every column a plan costing at most ``target`` can use (None: too many, or too long)."""
    out: list[Column] = []
    slack = target + 1e-9 * max(1.0, abs(target)) + 1e-6
    for r in range(len(rc)):
        j = int(pricer.row_j[r])
        delta = slack - lag + per_base[j]
        if rc[r] > delta:
            continue
        if time.perf_counter() > until:
            return None
        valid = pricer.valid[r]
        nb, p = pricer.pad[r][valid], rp.profits[r][valid]
        lo, hi = int(rp.lo_w[r]), int(rp.hi_w[r])
        threshold = float(rp.const[r] - delta - rp.bonus * pricer.row_wholes[r])
        _, forced = lp_bounds(pricer.w[nb], p, lo=lo, hi=hi, forced=True)
        assert forced is not None
        keep = forced >= threshold - 1e-9 * max(1.0, abs(threshold))  # pairs fixed out
        nb, p = nb[keep], p[keep]
        subs = subsets_within(pricer.w[nb], p, lo=lo, hi=hi, threshold=threshold)
        if subs is None or len(out) + len(subs) > MAX_COLUMNS:
            return None
        out.extend(_row_columns(pricer, rp, r, nb=nb, subs=subs, profits=p, delta=delta))
    return out


def _row_columns(
    pricer: LabelledPricer,
    rp: RowPrices,
    r: int,
    *,
    nb: NDArray[np.int64],
    subs: NDArray[np.bool_],
    profits: NDArray[np.float64],
    delta: float,
) -> list[Column]:
    """Row r's listed subsets (of the items ``nb``) whose exact reduced cost, with the whole
    groups' bonus and the cuts' penalties, is at most ``delta``, as columns."""
    j, g = int(pricer.row_j[r]), int(pricer.row_g[r])
    if pricer.wholes:  # few groups held whole: counted column by column
        whole = np.array([pricer.column(j, g, nb[row]).whole for row in subs], dtype=np.int64)
    else:
        whole = np.zeros(len(subs), dtype=np.int64)
    exact = rp.const[r] - subs @ profits - rp.bonus * whole + pricer.penalties(j, nb, subs)
    ok = exact <= delta
    subs, whole = subs[ok], whole[ok]
    lab, mw = pricer.lab, pricer.mw
    moved = np.where((lab[nb] >= 0) & (lab[nb] != g), mw[nb], 0)
    own = int(mw[j]) if lab[j] >= 0 and lab[j] != g else 0
    travel = subs @ pricer.cost[nb, j] + float(pricer.cost[j, j])
    moves = subs @ moved + own
    return [
        Column(j, g, np.sort(np.append(nb[row], j)), float(t), int(m), int(k))
        for row, t, m, k in zip(subs, travel.tolist(), moves.tolist(), whole.tolist(), strict=True)
    ]


def _listing_mip(
    master: LabelledMaster,
    listed: list[Column],
    *,
    search: Search,
    target: float,
    threads: int,
    stop_at: float,
) -> tuple[Search, bool]:
    """The master's MIP over a listing and the plan's columns: the search with its plan and
    bound, and whether the bound rose to the target (then list further)."""
    mip = LabelledMaster(
        n=master.n, groups=master.groups, count=master.count, costs=master.costs,
        big_m=1.0, threads=threads, packing=master.packing,
    )  # fmt: skip
    mip.add(listed)
    mip.add(search.chosen)
    mip.add_cuts(master.cuts)
    log.info("reference: %d columns can beat %.1f; the master's MIP", len(mip.columns), target)
    picked, _, mip_bound, proved = mip.solve_mip(
        time_limit=stop_at - time.perf_counter(),
        gap=0.0 if search.whole else search.gap,
        threads=threads,
        start=search.chosen,
    )
    if picked is None or mip_bound is None:
        return search, False
    chosen = [mip.columns[k] for k in picked]
    value = sum(map(mip.cost, chosen))
    if value < search.value:
        search = Search(chosen, value, search.bound, search.whole, search.gap)
    # every plan up to the target is made of listed columns: no plan costs less than the
    # MIP's bound, or than the target when the MIP's best costs more
    over = proved and value > target + 1e-9 * max(1.0, abs(target))
    if over and search.whole:
        sub = math.floor(target + 1e-9) + 1.0  # whole numbers: the next one up
    else:
        sub = target if over else min(mip_bound, target)
    search = _raised(search, sub)
    return search, over
