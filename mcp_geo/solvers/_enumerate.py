"""Closing the gap by enumeration: every column that can still be in a better plan.

At duals (pi, mu) with ``L = ell + sum_j min(0, r_j)`` (see :mod:`._columns`), a plan cheaper
than the incumbent U uses only columns whose reduced cost is at most
``Delta_j = U - L + min(0, r_j)`` (the other columns of the plan contribute at least
``sum min(0, r)``), and only pairs that reduced-cost fixing kept. When, after fixing, every base
has few candidate items, all such columns are listed (meet in the middle: the subsets of each
half of the items, combined with numpy) and the set-partitioning MIP over them, warm-started
with the incumbent, decides the part: its optimum is the part's optimum, its bound a valid bound.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_ITEMS = 22  # per base: 2^11 x 2^11 combinations at most
MAX_COLUMNS = 200_000


def _subsets(k: int) -> NDArray[np.bool_]:
    return ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(bool)


def subsets_within(
    w: NDArray[np.int64], p: NDArray[np.float64], lo: int, hi: int, threshold: float
) -> list[NDArray[np.int64]] | None:
    """Every subset S (positions) with ``lo <= w(S) <= hi`` and ``p(S) >= threshold``.

    None when there are more than :data:`MAX_ITEMS` items or :data:`MAX_COLUMNS` subsets.
    """
    m = len(w)
    if m > MAX_ITEMS:
        return None
    h = m // 2
    bits_a, bits_b = _subsets(h), _subsets(m - h)
    wf = w.astype(float)
    wa, pa = bits_a @ wf[:h], bits_a @ p[:h]
    wb, pb = bits_b @ wf[h:], bits_b @ p[h:]
    total_w = wa[:, None] + wb[None, :]
    ok = (total_w >= lo) & (total_w <= hi)
    ok &= pa[:, None] + pb[None, :] >= threshold - 1e-9 * max(1.0, abs(threshold))
    ia, ib = np.nonzero(ok)
    if len(ia) > MAX_COLUMNS:
        return None
    idx = np.arange(m)
    return [
        np.concatenate([idx[:h][bits_a[a]], idx[h:][bits_b[b]]])
        for a, b in zip(ia.tolist(), ib.tolist(), strict=True)
    ]
