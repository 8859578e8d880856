"""Pricing for the columns engine: knapsacks with a window, exact and relaxed.

A column is a base j and the items it serves. With duals pi (cover rows) its reduced cost is
``sum_{i in S} (c_ij - pi_i) - pi_j - mu``, so pricing base j is a 0/1 knapsack over the items
within reach of j: maximise ``sum p_i x_i`` with ``p_i = pi_i - c_ij`` subject to
``L - w_j <= sum w_i x_i <= U - w_j``. Weights are list sizes, kept exact (integers).

- :func:`knapsack_window` solves it exactly by dynamic programming over the capacity, one numpy
  pass per item (a 50,000-long array per item is cheap).
- :func:`lp_bounds` solves its LP relaxation (greedy by profit/weight, at most one fractional
  item) for every base at once, and the relaxation with one item forced in for every pair: upper
  bounds on the profit, hence valid lower bounds on the reduced cost, used to skip exact pricing
  and to eliminate pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def knapsack_table(
    weights: NDArray[np.int64], profits: NDArray[np.float64], cap: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The 0/1 knapsack's dynamic programme: ``f[c]`` = best profit at total weight exactly c.

    ``take[k, c]``: item k improved ``f[c]`` when it was added; :func:`knapsack_items` reads
    the items back.
    """
    f = np.full(cap + 1, -np.inf)
    f[0] = 0.0
    m = len(weights)
    take = np.zeros((m, cap + 1), dtype=bool)
    for k in range(m):
        wk = int(weights[k])
        if wk > cap:
            continue
        if wk == 0:
            if profits[k] > 0:
                f += profits[k]
                take[k, :] = True
            continue
        cand = f[: cap + 1 - wk] + profits[k]
        better = cand > f[wk:]
        np.copyto(f[wk:], cand, where=better)
        take[k, wk:] = better
    return f, take


def knapsack_items(
    weights: NDArray[np.int64], take: NDArray[np.bool_], c: int
) -> NDArray[np.int64]:
    """The items of the best subset of total weight ``c`` (positions, sorted)."""
    chosen = []
    for k in range(len(weights) - 1, -1, -1):
        if take[k, c]:
            chosen.append(k)
            c -= int(weights[k])
    return np.array(sorted(chosen), dtype=np.int64)


def knapsack_window(
    weights: NDArray[np.int64], profits: NDArray[np.float64], lo: int, hi: int
) -> tuple[float, NDArray[np.int64]]:
    """Exact ``max p.x`` s.t. ``lo <= w.x <= hi``, x binary; returns (value, chosen positions).

    Ties go to the smallest total weight, then to the items taken first (deterministic).
    Returns ``(-inf, [])`` when the window cannot be met.
    """
    lo = max(0, int(lo))
    hi = int(hi)
    if hi < lo or int(weights.sum()) < lo:
        return -np.inf, np.zeros(0, dtype=np.int64)
    cap = min(hi, int(weights.sum()))
    f, take = knapsack_table(weights, profits, cap)
    c = lo + int(np.argmax(f[lo : cap + 1]))
    best = float(f[c])
    if not np.isfinite(best):
        return -np.inf, np.zeros(0, dtype=np.int64)
    return best, knapsack_items(weights, take, c)


def lp_bounds(
    weights: NDArray[np.int64],
    profits: NDArray[np.float64],
    lo: int,
    hi: int,
    *,
    forced: bool = False,
) -> tuple[float, NDArray[np.float64] | None]:
    """Upper bounds on the knapsack's value by its LP relaxation.

    Returns the bound for the knapsack itself and, if ``forced``, for each item the bound when
    that item must be taken (``-inf`` where impossible).
    """
    lo = max(0, int(lo))
    w_all = weights.astype(float)
    p_all = profits.astype(float)
    zero = w_all == 0  # weightless items: taken when profitable, outside the greedy order
    bonus = float(np.maximum(p_all[zero], 0.0).sum())
    w, p = w_all[~zero], p_all[~zero]
    m = len(w)
    ratio = p / np.maximum(w, 1e-300)
    order = np.lexsort((np.arange(m), -ratio))
    ws, ps = w[order], p[order]
    cum_w = np.concatenate([[0.0], np.cumsum(ws)])
    cum_p = np.concatenate([[0.0], np.cumsum(ps)])
    total = cum_w[-1]
    w_pos = float(w[p > 0].sum())

    def g(t: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.interp(t, cum_w, cum_p)

    if lo > total or hi < 0:
        base_value = -np.inf
    else:
        t = min(max(w_pos, lo), hi, total)
        base_value = float(g(t)) + bonus
    if not forced:
        return base_value, None
    out = np.empty(len(w_all))
    out[zero] = base_value - np.maximum(p_all[zero], 0.0) + p_all[zero]
    # item at sorted position q forced in: the others fill [lo - w_q, hi - w_q]
    wq = ws
    t = np.clip(w_pos - wq * (ps > 0), lo - wq, hi - wq)
    t = np.minimum(t, total - wq)
    ok = (hi - wq >= 0) & (lo - wq <= total - wq) & (t >= 0)
    t = np.maximum(t, 0.0)
    start = cum_w[:-1]
    val = np.where(t <= start, g(t), g(t + wq) - ps) + ps + bonus
    val = np.where(ok, val, -np.inf)
    sub = np.empty(m)
    sub[order] = val
    out[~zero] = sub
    return base_value, out
