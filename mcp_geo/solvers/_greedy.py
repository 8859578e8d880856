"""A quick greedy plan that seeds both engines (DESIGN "Warm starts"); it may find none.

Most constrained first: the unassigned item with the least unassigned weight within reach opens a
group at itself and takes its nearest unassigned neighbours (ties by code) until the floor; the
remainder joins the nearest group with room within reach. Deterministic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def greedy_plan(
    w: NDArray[np.int64],
    cost: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    lo: int,
    hi: int,
    count: int | None = None,
) -> NDArray[np.int64] | None:
    """Local base index of every item, or None if the greedy rules get stuck."""
    n = len(w)
    base = np.full(n, -1)
    load: dict[int, int] = {}
    free = np.ones(n, dtype=bool)
    while free.any():
        reach = (allowed & free[:, None]).T @ w  # unassigned weight each base could take
        cand = np.flatnonzero(free & (reach >= lo) & (w <= hi))
        if len(cand) == 0:
            break
        j = int(cand[np.lexsort((cand, reach[cand]))[0]])
        base[j] = j
        free[j] = False
        tot = int(w[j])
        nb = np.flatnonzero(allowed[:, j] & free)
        for i in nb[np.lexsort((nb, cost[nb, j]))]:
            if tot >= lo:
                break
            if tot + w[i] <= hi:
                base[i] = j
                free[i] = False
                tot += int(w[i])
        if tot < lo:  # undo: j cannot make the floor from what is left
            members = base == j
            base[members] = -1
            free[members] = True
            break
        load[j] = tot
    for i in np.flatnonzero(free):
        options = [(cost[i, j], j) for j in load if allowed[i, j] and load[j] + w[i] <= hi]
        if not options:
            return None
        _, j = min(options)
        base[i] = j
        load[j] += int(w[i])
    if count is not None and len(load) != count:
        return None
    return base.astype(np.int64)
