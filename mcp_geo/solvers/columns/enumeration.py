"""Closing the gap by enumeration: every column that can still be in a plan up to a target.

At duals (pi, mu, sigma) with ``L = ell + sum_j min(0, r_j)`` (see :mod:`.driver`), a plan
costing at most a target U uses only columns whose reduced cost is at most
``Delta_j = U - L + min(0, r_j)`` (the other columns of the plan contribute at least
``sum min(0, r)``), and only the bases and pairs that reduced-cost fixing against U keeps. When,
after fixing, every base has few candidate items, all such columns are listed (meet in the
middle: the subsets of each half of the items, combined with numpy) and the set-partitioning MIP
over them decides: a plan it finds at or under U is optimal; if it finds none, no plan costs
less than U, which becomes a bound. With the incumbent's cost as U this is exact at once; a
lower target (just above the bound) lists far fewer columns, and the engine raises it step by
step (:data:`.listing.TARGET_GROWTH`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .cut_pricing import cuts_within_reach
from .cuts import Cuts
from .knapsack import lp_bounds, subset_matrix

if TYPE_CHECKING:
    from mcp_geo.solvers._run import Deadline

    from .generation import Generated
    from .pricing import Pricer

MAX_ITEMS = 22  # per base: 2^11 x 2^11 combinations at most
MAX_COLUMNS = 200_000  # listed (after the cuts' penalties): more, and the MIP would not end
MAX_SUBSETS = 1_000_000  # per base, before the cuts' penalties
MAX_FRONTIER = 2_000_000
THETA_MAX = 0.01  # of the bound: reduced costs are priced exactly up to this (fixing)


def subsets_within(
    w: NDArray[np.int64],
    p: NDArray[np.float64],
    *,
    lo: int,
    hi: int,
    threshold: float,
    limit: int = MAX_SUBSETS,
) -> NDArray[np.bool_] | None:
    """Every subset S with ``lo <= w(S) <= hi`` and ``p(S) >= threshold``, one row each (which
    of the items it holds).

    Meet in the middle up to :data:`MAX_ITEMS` items, else a pruned breadth-first search. None
    when there are more than ``limit`` subsets (or the search would pass :data:`MAX_FRONTIER`
    partial subsets).

    Parameters
    ----------
    w, p
        The items' weights and profits.
    lo, hi
        The weight window.
    threshold
        The least profit of a subset listed.
    limit
        At most this many subsets.

    Returns
    -------
    NDArray[np.bool_] | None
        One row per subset (which items it holds), or None when there are more than ``limit``.
    """
    m = len(w)
    if m > MAX_ITEMS:
        return _subsets_by_search(w, p, lo=lo, hi=hi, threshold=threshold, limit=limit)
    h = m // 2
    bits_a, bits_b = subset_matrix(h) > 0, subset_matrix(m - h) > 0
    wf = w.astype(float)
    wa, pa = bits_a @ wf[:h], bits_a @ p[:h]
    wb, pb = bits_b @ wf[h:], bits_b @ p[h:]
    total_w = wa[:, None] + wb[None, :]
    ok = (total_w >= lo) & (total_w <= hi)
    ok &= pa[:, None] + pb[None, :] >= threshold - _tol(threshold)
    ia, ib = np.nonzero(ok)
    if len(ia) > limit:
        return None
    return np.hstack([bits_a[ia], bits_b[ib]])


def _tol(threshold: float) -> float:
    return 1e-9 * max(1.0, abs(threshold))


def _subsets_by_search(
    w: NDArray[np.int64], p: NDArray[np.float64], *, lo: int, hi: int, threshold: float, limit: int
) -> NDArray[np.bool_] | None:
    """:func:`subsets_within` by extending subsets one item at a time (items by profit, largest
    first), dropping a partial subset when even every profitable item left cannot reach the
    threshold, or every item left cannot reach the floor."""
    order = np.lexsort((np.arange(len(w)), -p))
    w, p = w[order].astype(np.int64), p[order]
    m = len(w)
    gain_left = np.concatenate([np.cumsum(np.maximum(p, 0)[::-1])[::-1], [0.0]])
    weight_left = np.concatenate([np.cumsum(w[::-1])[::-1], [0]])
    cut = threshold - _tol(threshold)
    found = [np.zeros((int(lo <= 0 <= hi and cut <= 0.0), m), dtype=bool)]  # the empty set
    count = len(found[0])
    members = np.zeros((1, 0), dtype=np.int64)
    last, weight, profit = np.array([-1]), np.array([0]), np.array([0.0])
    k = np.arange(m)
    while len(last):
        nw = weight[:, None] + w[None, :]
        npf = profit[:, None] + p[None, :]
        ok = (k[None, :] > last[:, None]) & (nw <= hi)
        ok &= npf + gain_left[1:][None, :] >= cut
        ok &= nw + weight_left[1:][None, :] >= lo
        rows, cols = np.nonzero(ok)
        if len(rows) > MAX_FRONTIER:
            return None
        members = np.column_stack([members[rows], cols])
        last, weight, profit = cols, nw[rows, cols], npf[rows, cols]
        done = np.flatnonzero((weight >= lo) & (profit >= cut))
        count += len(done)
        if count > limit:
            return None
        block = np.zeros((len(done), m), dtype=bool)
        block[np.arange(len(done))[:, None], order[members[done]]] = True
        found.append(block)
    return np.vstack(found)


@dataclass(frozen=True)
class Duals:
    """Duals of the master (cover rows, count row, cuts with their duals), the bounds ``r_j`` on
    each base's best reduced cost there, and the Lagrangian bound ``lag`` they give."""

    pi: NDArray[np.float64]
    mu: float
    cuts: tuple[Cuts, NDArray[np.float64]] | None
    rc: NDArray[np.float64]
    lag: float


def fix_by_reduced_cost(
    pr: Pricer, duals: Duals, target: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The bases and (item, base) pairs that a plan costing at most ``target`` can use.

    A plan that opens base j costs at least ``lag - min(0, r_j) + r_j``; one that assigns i to j
    at least ``lag - min(0, r_j) + r_ij`` (``r_ij``: the LP-relaxed knapsack with i forced in).

    Parameters
    ----------
    pr
        The part's pricer.
    duals
        The duals, the bases' reduced-cost bounds and the Lagrangian bound at them.
    target
        The plans' cost considered.

    Returns
    -------
    tuple
        ``bases[j]`` and ``pairs[i, j]`` (part-local masks) a plan up to ``target`` may use.
    """
    n = pr.n
    pi, mu, rcb, lag = duals.pi, duals.mu, duals.rc, duals.lag
    slack = target * (1 + 1e-9) + 1e-6
    bases = np.array([lag - min(0.0, r) + r <= slack for r in rcb])
    pairs = np.zeros((n, n), dtype=bool)
    for j in np.flatnonzero(bases):
        nb = pr.nbr[j]
        lo, hi = pr.window(int(j))
        _, forced = lp_bounds(pr.w[nb], pi[nb] - pr.cost[nb, j], lo=lo, hi=hi, forced=True)
        rc_pair = np.maximum(-(pi[j] + forced + mu), rcb[j])
        keep = lag - min(0.0, rcb[j]) + rc_pair <= slack
        pairs[nb[keep], j] = True
        pairs[j, j] = True
    return bases, pairs


def list_columns(
    pr: Pricer,
    duals: Duals,
    target: float,
    *,
    bases: NDArray[np.bool_],
    pairs: NDArray[np.bool_],
    until: float = np.inf,
) -> list[tuple[int, NDArray[np.int64]]] | None:
    """Every column a plan costing at most ``target`` can use, or None when too many (or when
    ``time.perf_counter()`` passes ``until``).

    Parameters
    ----------
    pr
        The part's pricer.
    duals
        The duals and reduced-cost bounds (with the cuts' duals, when any).
    target
        The plans' cost considered.
    bases, pairs
        What reduced-cost fixing against ``target`` kept (:func:`fix_by_reduced_cost`).
    until
        A ``time.perf_counter()`` after which the listing gives up.

    Returns
    -------
    list | None
        Every (base, members) column a plan up to ``target`` can use, or None when the listing
        is too long (or ran out of time).
    """
    pi, mu, cuts = duals.pi, duals.mu, duals.cuts
    out: list[tuple[int, NDArray[np.int64]]] = []
    slack = target * (1 + 1e-9) + 1e-6
    for j in np.flatnonzero(bases):
        if time.perf_counter() > until:
            return None
        nb = np.flatnonzero(pairs[:, j])
        nb = nb[nb != j]
        lo, hi = pr.window(int(j))
        delta = slack - duals.lag + min(0.0, duals.rc[j])
        threshold = -(pi[j] + mu) - delta  # rc = -(pi_j + p(S) + mu) <= delta
        subs = subsets_within(pr.w[nb], pi[nb] - pr.cost[nb, j], lo=lo, hi=hi, threshold=threshold)
        if subs is None:
            return None
        if cuts is not None and len(subs):
            subs = subs[
                _within_with_cuts(
                    subs, nb, j=int(j), gain=pr.cost[:, j] - pi, mu=mu, cuts=cuts, delta=delta
                )
            ]
        if len(out) + len(subs) > MAX_COLUMNS:
            return None
        out.extend((int(j), np.sort(np.append(nb[row], j))) for row in subs)
    return out


def _within_with_cuts(
    subs: NDArray[np.bool_],
    nb: NDArray[np.int64],
    *,
    j: int,
    gain: NDArray[np.float64],
    mu: float,
    cuts: tuple[Cuts, NDArray[np.float64]],
    delta: float,
) -> NDArray[np.bool_]:
    """Which columns (base j, items ``nb[row]``) have a reduced cost with the cuts' penalties
    of at most ``delta`` (``gain``: cost to j minus the item's dual). Over the base's reach
    only (costs elsewhere may be infinite), in blocks of rows to bound the memory."""
    reach = cuts_within_reach(nb, base=j, cuts=cuts[0], sigma=cuts[1])
    base_rc = gain[j] - mu
    keep = np.zeros(len(subs), dtype=bool)
    for start in range(0, len(subs), 50_000):
        block = subs[start : start + 50_000]
        rc = block @ gain[nb] + base_rc + reach.coefficients(block) @ -cuts[1][reach.cut]
        keep[start : start + len(block)] = rc <= delta
    return keep


class ReducedCosts:
    """Reduced costs at the best duals of column generation, the bound L and the Lagrangian cut
    (step 4 of :mod:`.driver`).

    Exact pricing is needed only up to what a target asks (the fixing and the listing): sharpened
    on demand, up to THETA_MAX.

    Parameters
    ----------
    pr
        The part's pricer.
    cuts
        The master's rank-1 cuts.
    gen
        What column generation proved (its best duals, and the number of groups the count's
        dual multiplies).
    deadline
        The part's budget (exact pricing stops when it has run out; the bounds stay valid).
    """

    def __init__(
        self,
        pr: Pricer,
        cuts: Cuts,
        *,
        gen: Generated,
        deadline: Deadline,
    ) -> None:
        assert gen.best_pi is not None
        self.pr, self.deadline, self.best_l = pr, deadline, gen.best_l
        self.pi, self.mu = gen.best_pi, gen.best_mu
        sigma = np.concatenate([gen.best_sigma, np.zeros(len(cuts) - len(gen.best_sigma))])
        self.cuts = (cuts, sigma) if (sigma < 0).any() else None
        self.rcb = pr.lp_rc(self.pi, self.mu)
        self.exact_below = np.full(pr.n, -np.inf)  # rcb[j] is exact where it is below this
        self.ell = float(self.pi.sum() + gen.best_k * self.mu + sigma @ cuts.rhs)
        self.theta_max = THETA_MAX * abs(gen.best_l) + 1.0

    def duals_for(self, target: float, *, until: float = np.inf) -> Duals:
        """The duals with every base's reduced cost exact up to what ``target`` needs (or as
        many as are priced by ``until``: the others keep their LP bounds, and a later call goes
        on where this one stopped).

        Parameters
        ----------
        target
            The cost a plan must not exceed (the fixing's and the listing's).
        until
            A ``time.perf_counter()`` after which no more bases are priced (the deadline's end
            stops it too).

        Returns
        -------
        Duals
            The duals, the bases' reduced-cost bounds and the Lagrangian bound at them.
        """
        rcb = self.rcb
        lag = max(self.best_l, self.ell + float(np.minimum(rcb, 0).sum()))  # best_l: exact rcb
        theta = min(target - lag, self.theta_max) + 1.0
        todo = np.isfinite(rcb) & (rcb < theta) & (rcb >= self.exact_below)
        todo &= self.exact_below < theta
        for j in np.flatnonzero(todo):
            if self.deadline.remaining() <= 0 or time.perf_counter() >= until:
                break  # the bounds so far are valid too
            rcb[j] = max(
                rcb[j], self.pr.exact(int(j), self.pi, self.mu, theta=theta, cuts=self.cuts)[0]
            )
            self.exact_below[j] = theta
        return Duals(self.pi, self.mu, self.cuts, rcb, self.ell + float(np.minimum(rcb, 0).sum()))
