"""A quick greedy plan that seeds both engines (DESIGN "Warm starts"); it may find none.

Most constrained first: the unassigned item (that may be a base: ``allowed[j, j]``) with the least
unassigned weight within reach opens a group at itself and takes its nearest unassigned neighbours (ties by code) until the floor; the
remainder joins the nearest group with room within reach. Deterministic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ._instance import Instance, Part


def greedy_plan(
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    *,
    lo: int,
    hi: int,
    count: int | None = None,
    fill: float | None = None,
    target: int | None = None,
    undersized: bool = False,
) -> NDArray[np.int64] | None:
    """Local base index of every item, or None if the greedy rules get stuck.

    With a fixed ``count`` that the plain rules miss, groups are filled up to a share of the
    mean size instead (``fill`` and ``target`` are those tries' own). ``undersized``: a plan of
    a least-exception part, whose groups may stay under the floor: any item may open a group
    (the least reach first, as always) and a group that cannot make the floor is kept.
    """
    goal = lo if target is None else target
    n = len(w)
    base = np.full(n, -1)
    load: dict[int, int] = {}
    free = np.ones(n, dtype=bool)
    while free.any():
        reach = (allowed & free[:, None]).T @ w  # unassigned weight each base could take
        cand = np.flatnonzero(
            free & ((reach >= lo) | undersized) & (w <= hi) & np.diagonal(allowed)
        )
        if count is not None and len(load) >= count:
            break  # no more groups: the rest joins the nearest with room
        if len(cand) == 0:
            break
        j = int(cand[np.lexsort((cand, reach[cand]))[0]])
        base[j] = j
        free[j] = False
        tot = int(w[j])
        nb = np.flatnonzero(allowed[:, j] & free)
        for i in nb[np.lexsort((nb, cost[nb, j]))]:
            if tot >= goal:
                break
            if w[i] == 0 and allowed[i, i]:
                continue  # a weightless base (a candidate site) adds nothing: kept for others
            if tot + w[i] <= hi:
                base[i] = j
                free[i] = False
                tot += int(w[i])
        if tot < lo and not undersized:  # undo: j cannot make the floor from what is left
            members = base == j
            base[members] = -1
            free[members] = True
            break
        load[j] = tot
    for i in np.flatnonzero(free):
        options = [(cost[i, j], j) for j in load if allowed[i, j] and load[j] + w[i] <= hi]
        if not options:
            if count is None:
                return None
            return _for_count(w, cost, allowed, lo=lo, hi=hi, count=count, fill=fill)
        _, j = min(options)
        base[i] = j
        load[j] += int(w[i])
    if count is not None and len(load) != count:
        return _for_count(w, cost, allowed, lo=lo, hi=hi, count=count, fill=fill)
    return base.astype(np.int64)


FILLS = (1.0, 0.99, 0.97, 0.94, 0.9, 0.85, 0.8)  # of the mean group size: the greedy's floors


def part_greedy(
    inst: Instance, part: Part, *, count: int | None = None, undersized: bool = False
) -> NDArray[np.int64] | None:
    """:func:`greedy_plan` over a part of an instance, in the part's window.

    Parameters
    ----------
    inst, part
        The instance and the part (its own ``count`` is not read: ``count`` is).
    count, undersized
        As :func:`greedy_plan`'s.

    Returns
    -------
    NDArray[np.int64] | None
        The local base index of every part item, or None if the greedy rules get stuck.
    """
    items = part.items
    sub = np.ix_(items, items)
    return greedy_plan(
        inst.weights[items],
        inst.cost[sub],
        inst.allowed[sub],
        lo=part.lo,
        hi=part.ceiling(inst),
        count=count,
        undersized=undersized,
    )


def _for_count(
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    *,
    lo: int,
    hi: int,
    count: int,
    fill: float | None,
) -> NDArray[np.int64] | None:
    """A plan of exactly ``count`` groups: the greedy rules with the groups filled to a share of
    the mean size (``total / count``) instead of the floor, largest shares first (fewer,
    fuller groups); the last group may stay under that share, never under the floor."""
    if fill is not None:
        return None  # already one of the tries
    mean = float(w.sum()) / count
    for f in FILLS:
        target = int(min(hi, max(lo, f * mean)))
        plan = greedy_plan(w, cost, allowed, lo=lo, hi=hi, count=count, fill=f, target=target)
        if plan is not None:
            return plan
    return None


def local_search(
    base: NDArray[np.int64],
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    allowed: NDArray[np.bool_],
    lo: int,
    hi: int,
    max_passes: int = 100,
) -> NDArray[np.int64]:
    """Improve a feasible plan (local base indices) by moves, swaps and base relocation.

    Every step keeps the plan feasible (groups in [lo, hi], items within reach of their base)
    and strictly lowers the cost; ties go to the lowest index. Deterministic.

    Parameters
    ----------
    base
        The local base index of every item in a feasible plan.
    w, cost, allowed
        Item weights, ``cost[i, j]`` of serving i from j, and ``allowed[i, j]``: j may serve i.
    lo, hi
        The group window.
    max_passes
        At most this many passes of the three steps.

    Returns
    -------
    NDArray[np.int64]
        The improved plan (a new array).
    """
    base = base.copy()
    for _ in range(max_passes):
        # 1. each group's best base among its members
        improved = _best_bases(base, cost, allowed=allowed)
        bases = np.array(sorted(set(base.tolist())))
        load = np.array([w[base == b].sum() for b in bases])
        pos = {int(b): k for k, b in enumerate(bases)}
        window = (lo, hi)
        # 2. moves of one item to another group; 3. swaps of two items between groups
        moved = _moves(base, w, cost, allowed=allowed, window=window, load=load, bases=bases)
        swapped = _swaps(base, w, cost, allowed=allowed, window=window, load=load, pos=pos)
        if not (improved or moved or swapped):
            break
    return base


def local_polish(inst: Instance, part: Part, base_local: NDArray[np.int64]) -> NDArray[np.int64]:
    """:func:`local_search` on a part's plan (local base indices in and out).

    Parameters
    ----------
    inst, part
        The instance and the part.
    base_local
        The plan as the local base index of every part item.

    Returns
    -------
    NDArray[np.int64]
        The polished plan (local base indices).
    """
    items = part.items
    return local_search(
        base_local,
        inst.weights[items],
        inst.cost[np.ix_(items, items)],
        allowed=inst.allowed[np.ix_(items, items)],
        lo=part.lo,
        hi=part.ceiling(inst),
    )


def _best_bases(
    base: NDArray[np.int64], cost: NDArray[np.float64], *, allowed: NDArray[np.bool_]
) -> bool:
    """Move each group's base to its best member (in place); whether any moved."""
    improved = False
    for b in sorted(set(base.tolist())):
        members = np.flatnonzero(base == b)
        ok = allowed[np.ix_(members, members)].all(axis=0)
        totals = cost[np.ix_(members, members)].sum(axis=0)
        totals[~ok] = np.inf
        k = int(np.argmin(totals))
        if totals[k] < totals[members.tolist().index(b)] - 1e-9:
            base[members] = members[k]
            improved = True
    return improved


def _moves(
    base: NDArray[np.int64],
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    allowed: NDArray[np.bool_],
    window: tuple[int, int],
    load: NDArray[np.int64],
    bases: NDArray[np.int64],
) -> bool:
    """Move single items to the group that lowers the cost most (in place, loads too)."""
    lo, hi = window
    pos = {int(b): k for k, b in enumerate(bases)}
    improved = False
    for i in range(len(w)):
        b = int(base[i])
        if b == i or load[pos[b]] - w[i] < lo:
            continue
        fits = allowed[i, bases] & (load + w[i] <= hi) & (bases != b)
        if not fits.any():
            continue
        delta = np.where(fits, cost[i, bases] - cost[i, b], np.inf)
        k = int(np.argmin(delta))
        if delta[k] < -1e-9:
            load[pos[b]] -= w[i]
            load[k] += w[i]
            base[i] = bases[k]
            improved = True
    return improved


def _swaps(
    base: NDArray[np.int64],
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    allowed: NDArray[np.bool_],
    window: tuple[int, int],
    load: NDArray[np.int64],
    pos: dict[int, int],
) -> bool:
    """Swap two items of different groups where it lowers the cost (in place, loads too)."""
    lo, hi = window
    idx = np.arange(len(w))
    improved = False
    for i in idx:
        b = int(base[i])
        if b == i:
            continue
        others = idx[(base != b) & (base != idx)]
        if len(others) == 0:
            continue
        bk = base[others]
        pb = np.array([pos[int(x)] for x in bk])
        dw = w[others] - w[i]  # weight change of i's group
        ok = (
            allowed[i, bk]
            & allowed[others, b]
            & (load[pos[b]] + dw >= lo)
            & (load[pos[b]] + dw <= hi)
            & (load[pb] - dw >= lo)
            & (load[pb] - dw <= hi)
        )
        if not ok.any():
            continue
        delta = cost[i, bk] + cost[others, b] - cost[i, b] - cost[others, bk]
        delta = np.where(ok, delta, np.inf)
        k = int(np.argmin(delta))
        if delta[k] < -1e-9:
            o = int(others[k])
            load[pos[b]] += dw[k]
            load[pb[k]] -= dw[k]
            base[i], base[o] = bk[k], b
            improved = True
    return improved
