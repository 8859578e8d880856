"""Pricing that respects the rank-1 cuts (:mod:`.cuts`) of the columns engine's master.

With cut duals sigma <= 0 a column's reduced cost gains ``-sigma_c a_c`` for every cut it has a
coefficient ``a_c > 0`` in (a subset-row cut on a triple: 1 when it holds two of its items);
pricing is then no longer a plain knapsack. The plain knapsack's value still bounds it
from below (the penalties are >= 0), so: a base whose plain best column meets no cut is priced
exactly by the dynamic programme; otherwise the subsets of the items the cuts touch, each
completed by the knapsack of the others (the cuts of largest duals first when they touch many
items), or, when still too many, a small MIP (highspy) with one variable per cut that the base's
items can trigger. Column generation calls the MIP last: until then knapsacks with penalised
profits (:func:`penalised_knapsack`) find columns without proof.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import SolverError

from .cuts import Cuts, slots_held
from .knapsack import (
    ENUMERATE_MAX,
    best_subset,
    knapsack_items,
    knapsack_table,
    knapsack_window,
    subset_bits,
    subset_items,
    subset_sums,
)

MAX_CUT_ITEMS = 16  # pricing by subsets of the items the cuts touch (2^16), else a MIP
LAZY_START_ITEMS = 8  # items of the cuts taken in first when they touch more (_price_lazily;
# column generation on Heywood, Middleton and Rochdale, 01D: 2.2 s from 8 or 9 items, 2.8 s from
# 16; Tameside and Glossop, 02H: 6.4-7.0 s against 11.3 s)
HEURISTIC_ROUNDS = 8  # knapsacks with penalised profits, before a base waits for a MIP


def price_with_cuts(
    w: NDArray[np.int64],
    profits: NDArray[np.float64],
    items: NDArray[np.int64],
    *,
    base: int,
    lo: int,
    hi: int,
    cuts: Cuts,
    sigma: NDArray[np.float64],
    threads: int,
    mip: bool = True,
    min_value: float = -np.inf,
) -> tuple[float, NDArray[np.int64] | None] | None:
    """Best ``profit(S) + sum sigma_c a_c(S + base)`` over S within the window (``a_c``: the
    column's coefficient in cut c).

    ``items``: the candidate items (ids as in ``cuts``) with weights ``w`` and profits; the base
    is always in. Only cuts with ``sigma < 0`` matter. Returns an upper bound on the value, exact
    unless a MIP's dual bound (see below), and the positions of a best S, or ``(-inf, None)``
    when none fits.

    Exact by checking every subset when there are at most :data:`ENUMERATE_MAX` items; else
    by dynamic programming when the items the cuts touch are few (at most
    :data:`MAX_CUT_ITEMS`): every subset T of them (with its penalty) is completed by the best
    knapsack of the other items in the window left, read from one table by range maxima. When
    they are more, the same with the cuts of largest duals first, a cut left out joining when
    the best column holds it (:func:`_price_lazily`). Otherwise a small MIP (highspy) with one
    variable per cut; ``None`` instead if not ``mip``.
    No positions are read back (None) when the value is below ``min_value``.

    Parameters
    ----------
    w, profits
        The candidate items' weights and profits (duals minus costs).
    items
        The candidate items' ids, as in ``cuts``.
    base
        The base's id (always in the column).
    lo, hi
        The window left for the candidates (the group's less the base's weight).
    cuts, sigma
        The cuts' triples and their duals (<= 0).
    threads
        Threads for the MIP.
    mip
        Whether a MIP may be solved when the cuts touch many items.
    min_value
        Positions are read back only for a value at least this.

    Returns
    -------
    tuple | None
        (value, positions or None), or None when a MIP was needed and not allowed.
    """
    relevant = cuts_within_reach(items, base=base, cuts=cuts, sigma=sigma).relevant()
    touched = _touched(relevant)
    if len(items) <= ENUMERATE_MAX:  # every subset, penalties and all
        extra = _penalties(len(items), list(range(len(items))), relevant=relevant, sigma=sigma)
        best, chosen = best_subset(w, profits, lo=max(0, int(lo)), hi=int(hi), extra=extra)
        return best, chosen if best >= min_value else None
    if len(touched) <= MAX_CUT_ITEMS:
        return _price_by_subsets(
            w, profits, relevant=relevant, sigma=sigma, lo=lo, hi=hi, min_value=min_value
        )
    lazily = _price_lazily(
        w, profits, relevant=relevant, sigma=sigma, lo=lo, hi=hi, min_value=min_value
    )
    if lazily is not None:
        return lazily
    if not mip:
        return None
    return _price_mip(w, profits, lo=lo, hi=hi, relevant=relevant, sigma=sigma, threads=threads)


_Relevant = list[tuple[int, list[int], int, int]]  # (cut, the positions of its slots' items,
# the base's slots, the divisor)


def _coefficient(relevant: _Relevant, r: int, held: set[int]) -> int:
    """A column's coefficient in the r-th relevant cut, given the positions it holds."""
    _, inside, base_slots, den = relevant[r]
    return (sum(k in held for k in inside) + base_slots) // den


def _touched(relevant: _Relevant) -> list[int]:
    """The positions of the items the cuts touch, sorted."""
    return sorted({k for _, inside, _, _ in relevant for k in inside})


def _penalties(
    k: int,
    positions: list[int],
    *,
    relevant: _Relevant,
    sigma: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The cuts' duals each subset of the ``k`` items at ``positions`` takes on (the subsets in
    :func:`~.knapsack.subset_matrix`'s order: bit r of a subset's row number holds
    ``positions[r]``).

    A cut's coefficient depends only on how many of its slots the subset holds: the counts are
    sums of the subsets' bits (bytes), and each count's dual comes from a table of a few
    entries, where a matrix product of every subset with every cut's slots took longer (with
    the subsets' sums by doubling, :func:`~.knapsack.subset_sums`: Birmingham and Solihull's
    column generation 10.5 -> 8.4 s, one thread). The cuts are added in their order, the same
    on every machine.
    """
    bit_of = {p: r for r, p in enumerate(positions)}
    bits = subset_bits(k)
    total = np.zeros(2**k)
    for c, inside, base_slots, den in relevant:
        table = sigma[c] * ((np.arange(len(inside) + 1) + base_slots) // den)
        if not table.any():
            continue
        held = np.zeros(2**k, dtype=np.uint8)
        for p in inside:
            held += bits[bit_of[p]]
        total += table[held]
    return total


def _price_by_subsets(
    w: NDArray[np.int64],
    profits: NDArray[np.float64],
    *,
    relevant: _Relevant,
    sigma: NDArray[np.float64],
    lo: int,
    hi: int,
    min_value: float,
) -> tuple[float, NDArray[np.int64] | None]:
    """:func:`price_with_cuts` under the ``relevant`` cuts, exactly: every subset of the items
    they touch (at most :data:`MAX_CUT_ITEMS`), completed by the best knapsack of the others."""
    lo = max(0, int(lo))
    touched = _touched(relevant)
    rest = np.setdiff1d(np.arange(len(w)), touched)
    cap = min(int(hi), int(w[rest].sum()))
    if cap < 0:
        return -np.inf, None
    least = max(0, lo - int(w[touched].sum()))  # the least weight the others may make
    f, take = knapsack_table(w[rest], profits[rest], cap, lo=least)
    t_pos = np.array(touched, dtype=np.int64)
    w_t = subset_sums(w[t_pos])
    value = subset_sums(profits[t_pos]) + _penalties(
        len(t_pos), touched, relevant=relevant, sigma=sigma
    )
    a = np.maximum(lo - w_t, 0).astype(np.int64)
    b = np.minimum(hi - w_t, cap).astype(np.int64)
    fits = a <= b
    value[~fits] = -np.inf
    value[fits] += _range_max(f[least:], a[fits] - least, b[fits] - least)  # a >= least
    k = int(np.argmax(value))
    if not np.isfinite(value[k]):
        return -np.inf, None
    if value[k] < min_value:
        return float(value[k]), None
    c_best = int(a[k] + np.argmax(f[a[k] : b[k] + 1]))
    chosen = np.concatenate(
        [t_pos[subset_items(k, len(t_pos))], rest[knapsack_items(w[rest], take, c_best)]]
    )
    return float(value[k]), np.sort(chosen)


def _price_lazily(
    w: NDArray[np.int64],
    profits: NDArray[np.float64],
    *,
    relevant: _Relevant,
    sigma: NDArray[np.float64],
    lo: int,
    hi: int,
    min_value: float,
) -> tuple[float, NDArray[np.int64] | None] | None:
    """:func:`price_with_cuts` when the cuts touch too many items for :func:`_price_by_subsets`:
    the cuts with the largest duals first, as many as it takes, the others left out.

    Leaving a cut out drops a penalty (>= 0) from the value, so the best value without it
    bounds the true best from above; when the best column holds none of the cuts left out, it
    is the true best. Otherwise the cuts it holds join and the pricing runs again, until the
    cuts taken in touch more than :data:`MAX_CUT_ITEMS` items (None: a MIP must decide). The
    first cuts touch at most :data:`LAZY_START_ITEMS` items (fewer subsets per pass). Measured:
    column generation on Heywood, Middleton and Rochdale (01D, 36 practices) needed 125 pricing
    MIPs (0.14-0.33 s each: 37 s in all) and now none (2.2 s); Tameside and Glossop (02H) 31
    instead of 120.
    """
    order = sorted(range(len(relevant)), key=lambda r: (sigma[relevant[r][0]], r))
    taken: list[int] = []
    touched: set[int] = set()
    start = min(LAZY_START_ITEMS, MAX_CUT_ITEMS)
    for r in order:  # the largest duals first, while their items fit
        if len(touched | set(relevant[r][1])) <= start:
            taken.append(r)
            touched |= set(relevant[r][1])
    while True:
        value, chosen = _price_by_subsets(
            w,
            profits,
            relevant=[relevant[r] for r in taken],
            sigma=sigma,
            lo=lo,
            hi=hi,
            min_value=min_value,
        )
        if chosen is None:  # none fits, or the bound is below min_value: the bound will do
            return value, None
        held = set(chosen.tolist())
        missed = [
            r
            for r in range(len(relevant))
            if r not in taken and _coefficient(relevant, r, held) > 0
        ]
        if not missed:
            return value, chosen
        taken += missed
        touched |= {k for r in missed for k in relevant[r][1]}
        if len(touched) > MAX_CUT_ITEMS:
            return None


@dataclass(frozen=True)
class Reach:
    """The cuts (with ``sigma < 0``) a column of one base can have a coefficient in.

    Attributes
    ----------
    where : NDArray[np.int64]
        Per cut, the positions of its slots' items among the candidate items (-1: not a
        candidate, or a pad).
    base_slots : NDArray[np.int64]
        Per cut, its slots holding the base.
    den : NDArray[np.int64]
        Per cut, its divisor.
    cut : NDArray[np.int64]
        Per cut, its index among the master's cuts.
    """

    where: NDArray[np.int64]
    base_slots: NDArray[np.int64]
    den: NDArray[np.int64]
    cut: NDArray[np.int64]

    def coefficients(self, holds: NDArray[np.bool_] | NDArray[np.int8]) -> NDArray[np.int64]:
        """Every column's coefficient in every cut of reach.

        Parameters
        ----------
        holds
            ``holds[c, k]``: column c holds the candidate at position k.

        Returns
        -------
        NDArray[np.int64]
            ``[c, r]``: column c's coefficient in the r-th cut of reach.
        """
        held = slots_held(holds, self.where) + self.base_slots
        return held // self.den

    def relevant(self) -> _Relevant:
        """The cuts as (cut, positions of their slots' items, the base's slots, the divisor)."""
        return [
            (int(c), [int(k) for k in where if k >= 0], int(b), int(d))
            for c, where, b, d in zip(self.cut, self.where, self.base_slots, self.den, strict=True)
        ]


def cuts_within_reach(
    items: NDArray[np.int64], *, base: int, cuts: Cuts, sigma: NDArray[np.float64]
) -> Reach:
    """The cuts (with ``sigma < 0``) a column of this base and these items can hold.

    Parameters
    ----------
    items
        The candidate items' ids.
    base
        The base's id.
    cuts, sigma
        The cuts and their duals.

    Returns
    -------
    Reach
        The cuts in which some such column has a coefficient above 0.
    """
    active = np.flatnonzero(sigma < 0)
    slots = cuts.slots[active]
    pos = np.full(max(int(slots.max(initial=0)), int(items.max(initial=0)), base) + 2, -1)
    pos[items] = np.arange(len(items))  # pos[-1] (a pad) stays -1
    where = pos[slots]
    base_slots = (slots == base).sum(axis=1)
    den = cuts.den[active]
    can = (where >= 0).sum(axis=1) + base_slots >= den
    return Reach(where[can], base_slots[can], den[can], active[can])


def penalised_knapsack(
    w: NDArray[np.int64],
    profits: NDArray[np.float64],
    items: NDArray[np.int64],
    *,
    base: int,
    lo: int,
    hi: int,
    cuts: Cuts,
    sigma: NDArray[np.float64],
    rounds: int = HEURISTIC_ROUNDS,
) -> tuple[float, NDArray[np.int64] | None]:
    """A good column for :func:`price_with_cuts`'s problem, cheaply: no bound, a plan.

    The knapsack is solved, and each cut its column holds spreads its dual (times the column's
    coefficient) over the cut's items in the column, as a lower profit; solved again, up to
    ``rounds`` times. Returns the best true value (profits plus the duals of the cuts held, times
    the coefficients) and its positions, or ``(-inf, None)``.
    Measured on Greater Manchester's pricing MIPs: a column as good as the MIP needs is found
    for 289 of 348 bases (the best one for 247) in about a tenth of the MIP's time.

    Parameters
    ----------
    w, profits, items, base, lo, hi, cuts, sigma
        As for :func:`price_with_cuts`.
    rounds
        At most this many knapsacks.

    Returns
    -------
    tuple
        The best true value found and its positions, or ``(-inf, None)``.
    """
    reach = cuts_within_reach(items, base=base, cuts=cuts, sigma=sigma)
    duals = sigma[reach.cut]
    adjusted = profits.astype(float)
    best, best_s = -np.inf, None
    for _ in range(rounds):
        _, chosen = knapsack_window(w, adjusted, lo=lo, hi=hi)
        if chosen is None:
            break
        holds = np.zeros((1, len(w)), dtype=bool)
        holds[0, chosen] = True
        coef = reach.coefficients(holds)[0]
        value = float(profits[chosen].sum() + duals @ coef)
        if value > best:
            best, best_s = value, chosen
        if not coef.any():
            break  # the knapsack's column holds no cut: exact for these profits
        for r in np.flatnonzero(coef):
            members = np.unique(reach.where[r][reach.where[r] >= 0])
            members = members[holds[0, members]]
            adjusted[members] += duals[r] * coef[r] / len(members)
    return best, best_s


def _range_max(
    f: NDArray[np.float64], a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``max f[a_q..b_q]`` for every query q (van Herk / Gil-Werman block maxima).

    With blocks as long as the longest query, a query spanning two blocks is the larger of a
    suffix maximum and a prefix maximum; one inside a block is a prefix or a suffix maximum when
    it touches the block's start or end (in pricing every query does: the window's ranges all
    have the same length unless clipped at 0 or at the end); any other is read directly.
    """
    if len(a) == 0:
        return np.zeros(0)
    size = int((b - a).max()) + 1
    blocks = -(-len(f) // size)
    padded = np.full(blocks * size, -np.inf)
    padded[: len(f)] = f
    grid = padded.reshape(blocks, size)
    prefix = np.maximum.accumulate(grid, axis=1).ravel()
    suffix = np.maximum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    out = np.maximum(suffix[a], prefix[b])  # right when a and b lie in adjacent blocks
    same = a // size == b // size
    starts = same & (a % size == 0)
    out[starts] = prefix[b[starts]]
    ends = same & ~starts & ((b % size == size - 1) | (b == len(f) - 1))
    out[ends] = suffix[a[ends]]
    for q in np.flatnonzero(same & ~starts & ~ends):
        out[q] = f[a[q] : b[q] + 1].max()
    return out


def _price_mip(
    w: NDArray[np.int64],
    profits: NDArray[np.float64],
    *,
    lo: int,
    hi: int,
    relevant: _Relevant,
    sigma: NDArray[np.float64],
    threads: int,
) -> tuple[float, NDArray[np.int64] | None]:
    """:func:`price_with_cuts` by a MIP: one variable per item and per cut (its coefficient,
    integer: ``d y >= slots held - d + 1``; a triple's, ``y >= z_a + z_b - 1`` per pair, which
    HiGHS's relaxation finds tighter)."""
    m = len(w)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    # presolve costs more than it saves on these small models (measured on Heywood, Middleton
    # and Rochdale's pricing MIPs, 31-33 items and 35-41 cuts: 0.33 s with it, 0.14 s without)
    h.setOptionValue("presolve", "off")
    nvar = m + len(relevant)
    cost = np.concatenate([-profits, [-sigma[c] for c, _, _, _ in relevant]])  # minimise -value
    upper = [(len(inside) + b) // d for _, inside, b, d in relevant]
    h.addVars(nvar, np.zeros(nvar), np.concatenate([np.ones(m), upper]))
    h.changeColsCost(nvar, np.arange(nvar, dtype=np.int32), cost)
    h.changeColsIntegrality(nvar, np.arange(nvar, dtype=np.int32), np.ones(nvar, dtype=np.uint8))
    h.addRow(float(lo), float(hi), m, np.arange(m, dtype=np.int32), w.astype(float))
    for r, (_, inside, base_slots, den) in enumerate(relevant):
        y = m + r
        if den != 2 or len(inside) + base_slots != 3 or len(set(inside)) != len(inside):
            idx = np.array([y, *sorted(set(inside))], np.int32)
            slots = [float(inside.count(k)) for k in sorted(set(inside))]
            h.addRow(
                float(base_slots - den + 1),
                highspy.kHighsInf,
                len(idx),
                idx,
                np.array([den, *[-v for v in slots]], dtype=float),
            )
            continue
        if base_slots:  # the base is in: y >= z_a for each other item a of the cut
            for a in inside:
                h.addRow(
                    0.0, highspy.kHighsInf, 2, np.array([y, a], np.int32), np.array([1.0, -1.0])
                )
        for a, b in itertools.combinations(inside, 2):  # y >= z_a + z_b - 1
            h.addRow(
                -1.0,
                highspy.kHighsInf,
                3,
                np.array([y, a, b], np.int32),
                np.array([1.0, -1.0, -1.0]),
            )
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return -np.inf, None
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS ended a pricing MIP with {h.modelStatusToString(status)!r}")
    z = np.array(h.getSolution().col_value)[:m] > 0.5
    return -float(h.getInfo().mip_dual_bound), np.flatnonzero(z)
