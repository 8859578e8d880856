"""Subset-row cuts for the columns engine's master: separation, and which columns hold them.

The set-partitioning LP is weak where it mixes halves of overlapping groups: three practices
a, b, c and three columns {a, b}, {b, c}, {a, c} at 1/2 each cover every practice once, although
no plan can use two of them. The subset-row inequality on the triple T = {a, b, c} (Jepsen,
Petersen, Spoorendonk and Pisinger 2008),

    sum of lambda_k over the columns k that hold at least two items of T  <=  1,

is valid for every plan (two such columns would share an item) and cuts that point off. Measured
on central-sussex-east-surrey (91 practices, 30-50k, 15 km): the LP bound goes from 5.3% to 0.45%
below the optimum with about 50 cuts. Pricing with their duals: :mod:`.cut_pricing`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_CUTS_PER_ITEM = 2  # new cuts an item may take part in per separation round
MIN_VIOLATION = 1e-3


def separate_sr3(
    members: list[NDArray[np.int64]], x: NDArray[np.float64], *, n: int, max_cuts: int
) -> list[NDArray[np.int64]]:
    """Violated subset-row cuts on triples, most violated first (sorted triples of items).

    ``members[k]``: the items of column k; ``x[k]``: its LP value. Only fractional columns can
    violate a cut (a column at 1 covers its items, so every other column holding two of them is 0).

    Parameters
    ----------
    members
        The items of each master column.
    x
        The columns' LP values.
    n
        The number of items.
    max_cuts
        At most this many cuts.

    Returns
    -------
    list[NDArray[np.int64]]
        The violated triples, most violated first.
    """
    frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    if len(frac) == 0 or max_cuts <= 0:
        return []
    a_mat = np.zeros((len(frac), n))
    for r, k in enumerate(frac):
        a_mat[r, members[k]] = 1.0
    xf = x[frac]
    pair = (a_mat * xf[:, None]).T @ a_mat  # pair[a, b]: LP weight of the columns holding a and b
    np.fill_diagonal(pair, 0.0)
    found: list[tuple[float, int, int, int]] = []
    for a, b in zip(*np.nonzero(np.triu(pair, 1)), strict=True):
        a, b = int(a), int(b)
        cs = np.arange(b + 1, n)
        upper = pair[a, b] + pair[a, cs] + pair[b, cs]  # the violation if no column holds all three
        cs = cs[upper > 1 + MIN_VIOLATION]
        if len(cs) == 0:
            continue
        both = a_mat[:, a] * a_mat[:, b]
        triple = (a_mat[:, cs] * both[:, None]).T @ xf
        value = pair[a, b] + pair[a, cs] + pair[b, cs] - 2 * triple
        for c, v in zip(cs.tolist(), value.tolist(), strict=True):
            if v > 1 + MIN_VIOLATION:
                found.append((v, a, b, c))
    found.sort(key=lambda t: (-t[0], t[1:]))
    used = np.zeros(n, dtype=np.int64)
    out: list[NDArray[np.int64]] = []
    for _, a, b, c in found:
        if max(used[a], used[b], used[c]) >= MAX_CUTS_PER_ITEM:
            continue
        used[[a, b, c]] += 1
        out.append(np.array([a, b, c], dtype=np.int64))
        if len(out) >= max_cuts:
            break
    return out


def held(cuts: NDArray[np.int64], members: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Indices of the cuts (rows of ``cuts``, k x 3) of which the column holds two items or more.

    Parameters
    ----------
    cuts
        The cuts' triples of items (k x 3).
    members
        The column's items.
    n
        The number of items.

    Returns
    -------
    NDArray[np.int64]
        The rows of ``cuts`` the column holds two items of, or more.
    """
    if len(cuts) == 0:
        return np.zeros(0, dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    return np.flatnonzero(mask[cuts].sum(axis=1) >= 2)


def held_rows(cuts: NDArray[np.int64], holds: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """:func:`held` for many columns: ``holds`` has a row per column (which items it holds).

    Parameters
    ----------
    cuts
        The cuts' triples of items (k x 3).
    holds
        ``holds[c, i]``: column c holds item i.

    Returns
    -------
    NDArray[np.bool_]
        ``[c, k]``: column c holds two items of cut k, or more.
    """
    return holds[:, cuts].sum(axis=2) >= 2  # type: ignore[no-any-return]
