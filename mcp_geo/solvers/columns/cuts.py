"""Rank-1 cuts for the columns engine's master (and the reference solver's): subset-row cuts on
triples and on up to five items, their separation, and which columns hold them.

The set-partitioning LP is weak where it mixes halves of overlapping groups: three practices
a, b, c and three columns {a, b}, {b, c}, {a, c} at 1/2 each cover every practice once, although
no plan can use two of them. The subset-row inequality on the triple T = {a, b, c} (Jepsen,
Petersen, Spoorendonk and Pisinger 2008),

    sum of lambda_k over the columns k that hold at least two items of T  <=  1,

is valid for every plan (two such columns would share an item) and cuts that point off. Measured
on central-sussex-east-surrey (91 practices, 30-50k, 15 km): the LP bound goes from 5.3% to 0.45%
below the optimum with about 50 cuts. Pricing with their duals: :mod:`.cut_pricing`.

Each is a Chvatal-Gomory rank-1 cut: the cover rows of a set C of items, each multiplied by
``p_i / d``, summed and rounded down, ``sum_k floor(sum_{i in C, i in k} p_i / d) lambda_k <=
floor(sum_{i in C} p_i / d)``. On dense parts the triples' closure leaves the LP about 1% below
the best plans (Birmingham and Solihull); the rank-1 cuts on four and five items with the
multipliers that give facets of the small set-packing polytopes (Pecin, Pessoa, Poggi, Uchoa and
Santos 2017: 4 items (2, 1, 1, 1) / 3; 5 items 1 / 3, 1 / 2 and (3, 1, 1, 1, 1) / 4) lift it
further (:data:`FAMILIES`). A multiplier ``p_i`` is written as ``p_i`` slots holding item i
(:class:`Cuts`), so that a column's coefficient is the number of the cut's slots it holds,
divided by ``d`` and rounded down.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAX_CUTS_PER_ITEM = 2  # new cuts an item may take part in per separation round
MIN_VIOLATION = 1e-3
FAMILIES = (  # (slots per item, the first item first; the divisor d): see the module's doc
    ((2, 1, 1, 1), 3),
    ((1, 1, 1, 1, 1), 3),
    ((1, 1, 1, 1, 1), 2),
    ((3, 1, 1, 1, 1), 4),
)
SLOTS = max(sum(p) for p, _ in FAMILIES)  # a cut's slots, -1 padding the unused
RANK1_STARTS = 100  # separation of the larger cuts: local searches per family, from the items
# the fractional columns share most


def slots_held(
    holds: NDArray[np.bool_] | NDArray[np.int8], slots: NDArray[np.int64]
) -> NDArray[np.int64]:
    """How many of each cut's slots every column holds.

    Parameters
    ----------
    holds
        ``holds[c, i]``: column c holds item i.
    slots
        One row per cut: item indices into ``holds``'s columns, -1 for a slot that holds
        nothing (a pad, or an item that is not a candidate).

    Returns
    -------
    NDArray[np.int64]
        ``[c, r]``: the slots of cut r that column c holds.
    """
    padded = np.zeros((len(holds), holds.shape[1] + 1), dtype=np.int8)  # the last: -1
    padded[:, :-1] = holds
    return padded[:, slots].sum(axis=2)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Cuts:
    """The master's rank-1 cuts: row r is ``sum_k floor(h_rk / den_r) lambda_k <= rhs_r``,
    where ``h_rk`` counts the slots of cut r (``slots[r]``, -1 pads) whose item column k
    holds, and ``rhs_r = floor(slots_r / den_r)``.

    Attributes
    ----------
    slots : NDArray[np.int64]
        One row per cut, :data:`SLOTS` wide: the items (an item with multiplier ``p / d``
        appears p times), -1 after them.
    den : NDArray[np.int64]
        Each cut's divisor d.
    """

    slots: NDArray[np.int64]
    den: NDArray[np.int64]

    @staticmethod
    def none() -> Cuts:
        """No cuts."""
        return Cuts(np.zeros((0, SLOTS), dtype=np.int64), np.zeros(0, dtype=np.int64))

    @staticmethod
    def subset_rows(triples: list[NDArray[np.int64]] | NDArray[np.int64]) -> Cuts:
        """Subset-row cuts on triples: three slots, divisor 2.

        Parameters
        ----------
        triples
            The cuts' triples of items.

        Returns
        -------
        Cuts
            One cut per triple.
        """
        slots = np.full((len(triples), SLOTS), -1, dtype=np.int64)
        if len(triples):
            slots[:, :3] = np.asarray(triples, dtype=np.int64).reshape(-1, 3)
        return Cuts(slots, np.full(len(triples), 2, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.den)

    @property
    def rhs(self) -> NDArray[np.float64]:
        """Each cut's right-hand side."""
        rhs: NDArray[np.float64] = ((self.slots >= 0).sum(axis=1) // self.den).astype(np.float64)
        return rhs

    def join(self, other: Cuts) -> Cuts:
        """These cuts and then ``other``'s.

        Parameters
        ----------
        other
            The cuts to add after these.

        Returns
        -------
        Cuts
            Both, in order.
        """
        return Cuts(np.vstack([self.slots, other.slots]), np.concatenate([self.den, other.den]))

    def head(self, k: int) -> Cuts:
        """The first k cuts.

        Parameters
        ----------
        k
            How many.

        Returns
        -------
        Cuts
            Those cuts, in order.
        """
        return Cuts(self.slots[:k], self.den[:k])

    def coefficients(self, holds: NDArray[np.bool_] | NDArray[np.int8]) -> NDArray[np.int64]:
        """Every column's coefficient in every cut.

        Parameters
        ----------
        holds
            ``holds[c, i]``: column c holds item i (one row per column, one entry per item).

        Returns
        -------
        NDArray[np.int64]
            ``[c, r]``: column c's coefficient in cut r.
        """
        return slots_held(holds, self.slots) // self.den

    def rows(
        self, columns: Sequence[NDArray[np.int64]], n: int
    ) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64], float]]:
        """Each cut as a master row over ``columns`` (their items): the positions of the
        columns with a coefficient, those coefficients and the right-hand side.

        Parameters
        ----------
        columns
            The items of each column, in the master's order.
        n
            The number of items.

        Yields
        ------
        tuple
            (column positions, coefficients, right-hand side), one per cut in order.
        """
        holds = np.zeros((len(columns), n), dtype=np.int8)
        for k, members in enumerate(columns):
            holds[k, members] = 1
        coef = self.coefficients(holds)
        for r, rhs in enumerate(self.rhs):
            idx = np.flatnonzero(coef[:, r])
            yield idx, coef[idx, r].astype(np.float64), float(rhs)

    def of(self, members: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The cuts a column holds (a coefficient above 0), and their coefficients.

        Parameters
        ----------
        members
            The column's items.
        n
            The number of items.

        Returns
        -------
        tuple
            The cuts' indices and the column's coefficients in them.
        """
        mask = np.zeros((1, n), dtype=np.int8)
        mask[0, members] = 1
        coef = self.coefficients(mask)[0]
        rows = np.flatnonzero(coef)
        return rows, coef[rows]


def _fractional(
    members: list[NDArray[np.int64]], x: NDArray[np.float64], *, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The fractional columns (a row each: which items they hold), their values, and
    ``pair[a, b]``: the LP weight of the columns holding both a and b (0 on the diagonal)."""
    frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    a_mat = np.zeros((len(frac), n))
    for r, k in enumerate(frac):
        a_mat[r, members[k]] = 1.0
    xf = x[frac]
    pair = (a_mat * xf[:, None]).T @ a_mat
    np.fill_diagonal(pair, 0.0)
    return a_mat, xf, pair


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
    a_mat, xf, pair = _fractional(members, x, n=n)
    if len(xf) == 0 or max_cuts <= 0:
        return []
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


def separate_rank1(
    members: list[NDArray[np.int64]], x: NDArray[np.float64], *, n: int, max_cuts: int
) -> Cuts:
    """Violated rank-1 cuts on four and five items (:data:`FAMILIES`), most violated first.

    A heuristic (exact separation is NP-hard): for each family, a local search from each of the
    :data:`RANK1_STARTS` items the fractional columns share most (with the items sharing most
    with it), replacing one item at a time by the one that raises the violation most, while
    one does. Deterministic: no random starts.

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
    Cuts
        The violated cuts found, each item in at most :data:`MAX_CUTS_PER_ITEM` of them.
    """
    a_mat, xf, pair = _fractional(members, x, n=n)
    if len(xf) == 0 or max_cuts <= 0:
        return Cuts.none()
    shared = pair.sum(axis=1)
    starts = np.lexsort((np.arange(n), -shared))[:RANK1_STARTS]
    starts = starts[shared[starts] > 0]
    found: dict[tuple[int, tuple[tuple[int, int], ...]], tuple[float, NDArray[np.int64], int]] = {}
    for f, (mult, den) in enumerate(FAMILIES):
        p = np.array(mult, dtype=np.float64)
        rhs = float(sum(mult) // den)
        for a in starts.tolist():
            near = np.lexsort((np.arange(n), -pair[a]))[: len(p) - 1]
            if (pair[a, near] <= 0).any():
                continue
            items = np.concatenate([[a], near])
            items, value = _climb(items, a_mat=a_mat, xf=xf, pair=pair, p=p, den=den, rhs=rhs)
            if value > MIN_VIOLATION:
                key = (f, tuple(sorted(zip(mult, items.tolist(), strict=True))))
                found[key] = (value, items, f)
    used = np.zeros(n, dtype=np.int64)
    slots: list[NDArray[np.int64]] = []
    dens: list[int] = []
    for _, items, f in sorted(found.values(), key=lambda t: (-t[0], t[2], t[1].tolist())):
        if used[items].max() >= MAX_CUTS_PER_ITEM:
            continue
        used[items] += 1
        mult, den = FAMILIES[f]
        row = np.full(SLOTS, -1, dtype=np.int64)
        row[: sum(mult)] = np.repeat(items, mult)
        slots.append(row)
        dens.append(den)
        if len(slots) >= max_cuts:
            break
    if not slots:
        return Cuts.none()
    return Cuts(np.array(slots), np.array(dens, dtype=np.int64))


def _climb(
    items: NDArray[np.int64],
    *,
    a_mat: NDArray[np.float64],
    xf: NDArray[np.float64],
    pair: NDArray[np.float64],
    p: NDArray[np.float64],
    den: int,
    rhs: float,
) -> tuple[NDArray[np.int64], float]:
    """:func:`separate_rank1`'s local search from one set of items: its best set and violation."""
    value = float(xf @ np.floor(a_mat[:, items] @ p / den + 1e-9)) - rhs
    while True:
        near = np.flatnonzero(pair[items].sum(axis=0) > 0)
        near = near[~np.isin(near, items)]
        if len(near) == 0:
            return items, value
        best = (value + 1e-9, -1, -1)
        for pos in range(len(items)):
            rest = a_mat[:, items] @ p - p[pos] * a_mat[:, items[pos]]
            values = xf @ np.floor((rest[:, None] + p[pos] * a_mat[:, near]) / den + 1e-9) - rhs
            k = int(np.argmax(values))
            if values[k] > best[0]:
                best = (float(values[k]), pos, int(near[k]))
        if best[1] < 0:
            return items, value
        items = items.copy()
        items[best[1]] = best[2]
        value = best[0]
