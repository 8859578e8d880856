"""A knapsack whose items come in blocks with a bonus for taking a whole block.

Pricing the ``split`` stage (and the stages after it, which hold the groups kept whole) values
a column by how many reference groups it holds whole, which no item-by-item profit can say.
Each group within reach of the base is a block: the dynamic programme takes its items one by
one as usual, and also the whole block at once with its bonus (the best of the two at each
total weight), so the table stays exact. Items outside every block are taken one by one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def block_knapsack(
    weights: NDArray[np.int64],
    profits: NDArray[np.float64],
    *,
    blocks: list[NDArray[np.int64]],
    bonus: float,
    lo: int,
    hi: int,
    min_value: float = -np.inf,
) -> tuple[float, NDArray[np.int64] | None]:
    """Exact ``max p.x + bonus x (blocks taken whole)`` with ``lo <= w.x <= hi``, x binary.

    The table is first built for the value alone (a third of the passes over it); what
    reading the positions back needs is built only when the value is at least ``min_value``
    (pricing: 95% of the rows priced exactly in north-staffs' split stage price out no
    column).

    Parameters
    ----------
    weights, profits
        The items' whole weights and profits.
    blocks
        Disjoint groups of item positions (one item or more); a block taken whole earns
        ``bonus``.
    bonus
        What a whole block adds (>= 0).
    lo, hi
        The weight window.
    min_value
        Positions are read back only for a value at least this.

    Returns
    -------
    tuple
        The best value and the chosen positions (``(-inf, None)`` when the window cannot be
        met; no positions when the value is below ``min_value``).
    """
    lo, hi = max(0, int(lo)), int(hi)
    m = len(weights)
    if hi < lo or int(weights.sum()) < lo:
        return -np.inf, None
    cap = min(hi, int(weights.sum()))
    in_block = np.zeros(m, dtype=bool)
    order: list[tuple[list[int], bool]] = []
    for block in blocks:
        in_block[block] = True
        order.append(([int(k) for k in block], True))
    order += [([k], False) for k in range(m) if not in_block[k]]
    best = _best_value(weights, profits, order, bonus=bonus, lo=lo, cap=cap)
    if not np.isfinite(best):
        return -np.inf, None
    if best < min_value:
        return best, None
    f = np.full(cap + 1, -np.inf)
    f[0] = 0.0
    steps: list[tuple[list[int], NDArray[np.bool_], NDArray[np.bool_] | None]] = []
    for group, is_block in order:
        start = f.copy()
        take = np.zeros((len(group), cap + 1), dtype=bool)
        for t, k in enumerate(group):
            wk = int(weights[k])
            if wk > cap:
                continue
            cand = f[: cap + 1 - wk] + profits[k]
            better = cand > f[wk:]
            np.copyto(f[wk:], cand, where=better)
            take[t, wk:] = better
        whole = None
        total_w = int(weights[group].sum())
        if is_block and total_w <= cap:
            cand = start[: cap + 1 - total_w] + float(profits[group].sum()) + bonus
            whole = np.zeros(cap + 1, dtype=bool)
            whole[total_w:] = cand > f[total_w:]
            np.copyto(f[total_w:], cand, where=whole[total_w:])
        steps.append((group, take, whole))
    c = lo + int(np.argmax(f[lo : cap + 1]))
    best = float(f[c])
    if not np.isfinite(best):
        return -np.inf, None
    chosen: list[int] = []
    for group, take, whole in reversed(steps):
        if whole is not None and whole[c]:
            chosen.extend(group)
            c -= int(weights[group].sum())
            continue
        for t in range(len(group) - 1, -1, -1):
            if take[t, c]:
                chosen.append(group[t])
                c -= int(weights[group[t]])
    return best, np.array(sorted(chosen), dtype=np.int64)


def _best_value(
    weights: NDArray[np.int64],
    profits: NDArray[np.float64],
    order: list[tuple[list[int], bool]],
    *,
    bonus: float,
    lo: int,
    cap: int,
) -> float:
    """:func:`block_knapsack`'s value alone: the same table, without what reading it back
    needs."""
    f = np.full(cap + 1, -np.inf)
    f[0] = 0.0
    for group, is_block in order:
        total_w = int(weights[group].sum())
        whole = is_block and total_w <= cap
        start = f[: cap + 1 - total_w] + float(profits[group].sum()) + bonus if whole else None
        for k in group:
            wk = int(weights[k])
            if wk <= cap:
                np.maximum(f[wk:], f[: cap + 1 - wk] + profits[k], out=f[wk:])
        if start is not None:
            np.maximum(f[total_w:], start, out=f[total_w:])
    return float(f[lo : cap + 1].max())
