"""The columns engine's first plan and initial columns (step 1 of :mod:`.driver`).

The initial columns (each base's nearest items up to the floor), and a first plan, whose
columns join them: the part's start, else the greedy plan (:mod:`mcp_geo.solvers._greedy`)
polished by local search; with a fixed count the greedy rules miss, the greedy plan with the
fewest groups, its bases closed down to the count (:mod:`mcp_geo.solvers._count_descent`),
else a plan of the count by local search (:mod:`mcp_geo.solvers._packing`); with the count
free, a plan of any count by local search, else the compact model's short look (which proves
most such parts infeasible at once). A plan by local search is poor in travel: the plan of last
resort (``rough``), after the LP's searches.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._compact import solve_compact
from mcp_geo.solvers._count_descent import descend, fewest_greedy
from mcp_geo.solvers._greedy import greedy_plan, local_polish
from mcp_geo.solvers._packing import packed_plan, packing_seconds
from mcp_geo.solvers._stages import least_count

from .listing import columns_of

if TYPE_CHECKING:
    from .driver import _Search

COUNT_DESCENT_SHARE = 0.5  # of the time, at most, with a fixed count and no greedy plan: closing
# bases, first (staffs-shropshire at 36 part hubs: no plan from completion, dive or MIP in 60 s)
PACKED_DESCENT_SHARE = 0.25  # the same with the packing's plan in hand (see _first_at_count)
FREE_PACKING_SHARE = 0.2  # of the time, at most, with the count free and no greedy plan: a
FREE_PACKING_SECONDS = 2.0  # plan by local search (see _packed_any), and at most this
UNPACKED_CHECK_SHARE = 0.1  # of the time left, when that search finds no plan: the compact
UNPACKED_CHECK_SECONDS = 2.0  # model's look (see _packed_any), and at most this


def seed(s: _Search) -> NDArray[np.int64] | None:
    """Step 1: the initial columns and the part's start's, else the polished greedy plan's, else
    (a fixed count) the plan of closing bases, else a plan by local search.

    Parameters
    ----------
    s
        The part's search: its columns, ``rough`` and ``infeasible`` are set.

    Returns
    -------
    NDArray[np.int64] | None
        The first plan's local bases, or None (none found, or the part proven infeasible).
    """
    inst, part, pr = s.inst, s.part, s.pr
    s.add(pr.initial_columns())
    greedy: NDArray[np.int64] | None
    if part.start is not None:
        greedy = s.local(part.start)
        s.rough = part.rough_start and s.count is not None
    else:
        allowed = inst.allowed[np.ix_(part.items, part.items)]
        greedy = greedy_plan(pr.w, pr.cost, allowed, lo=pr.lo, hi=pr.hi, count=s.count)
        if greedy is not None:
            s.add(columns_of(greedy))
            greedy = _polished(s, greedy)
        else:
            greedy = _first_at_count(s)
        if greedy is None and s.count is None:
            greedy = _packed_any(s)
    if greedy is not None:
        s.add(columns_of(greedy))
    return greedy


def _polished(s: _Search, plan: NDArray[np.int64]) -> NDArray[np.int64]:
    """The greedy plan after local search (:func:`~mcp_geo.solvers._greedy.local_polish`), if
    it keeps the count.

    The greedy plan's travel is poor on large parts (Greater Manchester: 5.44M patient-km, 2.4x
    the LP bound; 3.37M polished, in 0.14 s). With the columns of both plans in the master,
    column generation's first LP converged in half the time (one thread, the same session:
    Greater Manchester 9.1 -> 4.6 s, North West London 12.5 -> 4.8 s, Cheshire and Merseyside
    6.7 -> 2.5 s, North East London 5.8 -> 2.6 s; with the polished plan's alone, 8.7, 6.4, 3.8
    and 4.3 s), and its bound was above 0 from 7.3 -> 3.2 s, 9.7 -> 2.5 s, 5.4 -> 1.4 s and
    4.8 -> 1.7 s."""
    polished = local_polish(s.inst, s.part, plan)
    if s.count is not None and len(set(polished.tolist())) != s.count:
        return plan  # a group emptied (a floor of 0): not a plan of the count
    return polished


def _first_at_count(s: _Search) -> NDArray[np.int64] | None:
    """With a fixed count and no greedy plan, its first plan (local bases, or None).

    A plan of that count by local search (:mod:`mcp_geo.solvers._packing`, for
    :func:`~mcp_geo.solvers._packing.packing_seconds`): found in seconds where the others
    find none, but with poor travel. So the greedy plan with the fewest groups, its bases
    closed one at a time down to the count (:mod:`mcp_geo.solvers._count_descent`), comes
    first when it gets there (at most COUNT_DESCENT_SHARE of the time left, or
    PACKED_DESCENT_SHARE with the packing's plan in hand: staffs-shropshire at 37 hubs,
    5.5M patient-km at 60 s from it, 6.5M from the packing's). Otherwise the packing's plan
    seeds the columns and is the plan of last resort, after the searches guided by the LP
    (step 5). Neither for ``fewest``: its count stage does both itself (and keeps
    a plan of any count closing reaches)."""
    if s.count is None or s.inst.count == "fewest":
        return None
    seconds = packing_seconds(s.deadline)
    packed = packed_plan(s.inst, s.part, count=s.count, seconds=seconds)
    share = COUNT_DESCENT_SHARE if packed is None else PACKED_DESCENT_SHARE
    closed = _closed_bases(s, until=time.perf_counter() + share * s.deadline.remaining())
    if closed is not None:
        return closed
    if packed is None:
        return None
    s.rough = True
    return s.local(packed)


def _packed_any(s: _Search) -> NDArray[np.int64] | None:
    """With the count free and no greedy plan, a plan of any count by local search, polished
    (:func:`~mcp_geo.solvers._greedy.local_polish`; local bases, or None), in
    FREE_PACKING_SHARE of the time, at most FREE_PACKING_SECONDS.

    Its travel is poor (Birmingham and Solihull, QHL: 8.5M patient-km, 1.69M polished, where
    the best plan known travels 0.97M), so it is the plan of last resort, after the LP's
    searches; but its columns give the master LP a plan from its first solve, without the
    artificial columns, and column generation's bound becomes positive early: QHL at 10 s
    ended with a plan 2.1% above its bound, where it had a bound of 0 (and on one thread
    beside two busy processes, no plan). Unpolished, its columns slowed others (South East
    London, QKK, 0.95% -> 2.6% at 10 s); polished, QKK is proven within 0.5% in 5.8 s. The
    search finds a plan in about a second on the 27 parts of ICBs the greedy rules get stuck
    on; where none exists it gives up after its share.

    Then the compact model has a short look (UNPACKED_CHECK_SHARE of the time left, at most
    UNPACKED_CHECK_SECONDS): where the search finds nothing the part most likely has no
    plan, and HiGHS proves that at once (``s.infeasible``): North East and North Cumbria's
    part of 301 items in 0.3 s, where column generation spent 4-5 s before its artificial
    columns sent the part there (Shropshire, Telford and Wrekin's of 49: 0.01 s). A plan it
    finds is the rough start instead."""
    seconds = s.deadline.seconds_for(FREE_PACKING_SHARE, at_most=FREE_PACKING_SECONDS)
    packed = packed_plan(s.inst, s.part, count=None, seconds=seconds)
    if packed is None:
        look = s.deadline.seconds_for(UNPACKED_CHECK_SHARE, at_most=UNPACKED_CHECK_SECONDS)
        result, _, _ = solve_compact(
            s.inst,
            s.part,
            options=s.options,
            deadline=s.deadline,
            time_limit=look,
            engine="columns",
        )
        if result.certificate.status == "infeasible":
            s.infeasible = result
        if result.base_of is None:
            return None
        packed = result.base_of
    s.rough = True
    return local_polish(s.inst, s.part, s.local(packed))


def _closed_bases(s: _Search, *, until: float) -> NDArray[np.int64] | None:
    """The greedy plan with the fewest groups, its bases closed down to the count (local
    bases; None when it stops short)."""
    assert s.count is not None
    most = least_count(s.inst, s.part)[1]
    start = fewest_greedy(s.inst, s.part, least=s.count, most=most)
    if start is None:
        return None
    plan = descend(s.inst, s.part, start, count=s.count, options=s.options, until=until)
    if len(set(plan.tolist())) != s.count:
        return None
    return s.local(plan)
