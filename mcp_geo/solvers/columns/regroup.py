"""Large-neighbourhood search: a few neighbouring groups regrouped exactly, the count kept.

The local search of :mod:`mcp_geo.solvers._greedy` moves one item or swaps two; where the groups
are nearly full (a fixed count at its fewest: central-sussex-east-surrey's 23 hubs are 97% full
on average) hardly any such step keeps every group under the ceiling, and plans stay far from
the optimum (measured: 2.86M patient-km against a bound of 2.24M). Here the items of
:data:`GROUPS` neighbouring groups (a group and the groups whose bases are nearest its base)
are split anew into as many groups, optimally, by enumeration over the subsets of at most
:data:`MAX_ITEMS` items (matheuristics for the capacitated p-median problem solve such
sub-problems of a few neighbouring medians exactly; Stefanello, Cordeau-Jordan and Mueller 2015):

- every subset S of the items (a bit mask) gets the cost of its best base: a member within
  reach of every other member, weight within the window;
- the best split into two groups is ``min best[S] + best[all \\ S]`` over the masks S holding
  the first item; into three, the same over every valid S holding the first item and every
  valid T holding the first item of the rest.

A neighbourhood is regrouped when that lowers the cost; passes over every group repeat until
none does, or the time given runs out. Deterministic (groups in index order; ties keep the
plan). Every plan stays feasible, so it only provides incumbents.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .knapsack import subset_matrix

if TYPE_CHECKING:
    from mcp_geo.solvers._instance import Instance, Part

GROUPS = (2, 3)  # neighbourhood sizes, tried in this order
MAX_ITEMS = 16  # items in a neighbourhood (2^16 subsets)
MAX_PASSES = 20


def regroup_part(
    inst: Instance, part: Part, plan: NDArray[np.int64], *, until: float
) -> NDArray[np.int64]:
    """:func:`regroup` on a part's plan (local base indices in and out).

    Parameters
    ----------
    inst, part
        The instance and the part.
    plan
        The local base of every item of the part, a feasible plan.
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        The improved plan (local base indices).
    """
    items = part.items
    return regroup(
        plan,
        inst.weights[items].astype(np.int64),
        inst.cost[np.ix_(items, items)],
        reach=inst.allowed[np.ix_(items, items)],
        lo=part.lo,
        hi=part.ceiling(inst),
        until=until,
    )


def regroup(
    base: NDArray[np.int64],
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    reach: NDArray[np.bool_],
    lo: int,
    hi: int,
    until: float,
) -> NDArray[np.int64]:
    """Improve a feasible plan by regrouping neighbouring groups exactly (module docstring).

    Parameters
    ----------
    base
        The local base of every item, a feasible plan.
    w, cost
        Item weights and ``cost[i, j]`` of serving i from j.
    reach
        ``reach[i, j]``: base j may serve item i.
    lo, hi
        The group window.
    until
        A ``time.perf_counter()`` at which to stop.

    Returns
    -------
    NDArray[np.int64]
        The improved plan (a new array), with as many groups.
    """
    base = base.copy()
    for _ in range(MAX_PASSES):
        improved = False
        for size in GROUPS:
            for b in sorted(set(base.tolist())):
                if time.perf_counter() > until:
                    return base
                if base[b] != b:
                    continue  # regrouped away already in this pass
                items = _neighbourhood(base, cost, w, b=b, size=size)
                if items is None:
                    continue
                better = best_split(
                    w[items],
                    cost[np.ix_(items, items)],
                    reach[np.ix_(items, items)],
                    lo=lo,
                    hi=hi,
                    groups=size,
                )
                old = float(cost[items, base[items]].sum())
                if better is not None:
                    new = float(cost[items, items[better]].sum())
                    if new < old - 1e-9 * max(1.0, old):
                        base[items] = items[better]
                        improved = True
        if not improved:
            break
    return base


def _neighbourhood(
    base: NDArray[np.int64],
    cost: NDArray[np.float64],
    w: NDArray[np.int64],
    *,
    b: int,
    size: int,
) -> NDArray[np.int64] | None:
    """The items of group b and of the ``size - 1`` groups whose bases are nearest b's (by
    ``cost[b, c] / w[b]``, a distance), or None when they are too many."""
    bases = np.array(sorted(set(base.tolist())), dtype=np.int64)
    km = cost[b, bases] / max(float(w[b]), 1e-9)
    near = bases[np.lexsort((bases, km))][:size]
    if len(near) < size:
        return None
    items = np.flatnonzero(np.isin(base, near))
    return items if len(items) <= MAX_ITEMS else None


def best_split(
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    reach: NDArray[np.bool_],
    *,
    lo: int,
    hi: int,
    groups: int,
) -> NDArray[np.int64] | None:
    """The cheapest split of a few items into exactly ``groups`` groups (2 or 3), by
    enumeration; the local base of every item, or None when no split exists.

    Parameters
    ----------
    w, cost, reach
        The items' weights, ``cost[i, j]`` and ``reach[i, j]`` (j may serve i).
    lo, hi
        The group window.
    groups
        How many groups (2 or 3).

    Returns
    -------
    NDArray[np.int64] | None
        The local base of every item, or None.
    """
    m = len(w)
    bits = subset_matrix(m)
    best, arg = _best_bases(bits, w, cost, reach=reach, lo=lo, hi=hi)
    full = (1 << m) - 1
    masks = np.flatnonzero(np.isfinite(best))
    first = masks[(masks & 1) == 1]  # the first item's group
    if groups == 2:
        total = best[first] + best[full ^ first]
        pick = [first, full ^ first]
    else:
        rest = full ^ first  # for each first group, the rest's first item's group T
        low = rest & -rest
        s_idx, t_idx = np.nonzero(
            ((masks[None, :] & ~rest[:, None]) == 0) & ((masks[None, :] & low[:, None]) != 0)
        )
        t = masks[t_idx]
        total = best[first[s_idx]] + best[t] + best[rest[s_idx] ^ t]
        pick = [first[s_idx], t, rest[s_idx] ^ t]
    if len(total) == 0 or not np.isfinite(total.min()):
        return None
    k = int(np.argmin(total))
    out = np.full(m, -1, dtype=np.int64)
    for p in pick:
        out[bits[int(p[k])] > 0] = arg[int(p[k])]
    return out


def _best_bases(
    bits: NDArray[np.float64],
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    reach: NDArray[np.bool_],
    lo: int,
    hi: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per subset (bit mask): the cost of its best base and that base (``inf``, -1 where no
    member can serve the subset within the window)."""
    weight = bits @ w.astype(float)
    ok_w = (weight >= lo) & (weight <= hi)
    best = np.full(len(bits), np.inf)
    arg = np.full(len(bits), -1, dtype=np.int64)
    c = np.where(reach, cost, 0.0)
    for j in range(len(w)):
        ok = ok_w & (bits[:, j] > 0) & (bits @ (~reach[:, j]).astype(float) == 0)
        value = np.where(ok, bits @ c[:, j], np.inf)
        better = value < best
        best[better], arg[better] = value[better], j
    return best, arg
