"""Pricing for the columns engine: one bounded knapsack per candidate base.

:class:`Pricer` holds a part's knapsack data (weights, costs, each base's neighbours nearest
first) and prices a base at given duals: a cheap rounding of the LP relaxation, the LP-relaxed
bound of every base at once, and exact pricing by dynamic programming (:mod:`.knapsack`), with the
subset-row cuts' duals where they apply (:mod:`.cut_pricing`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import highs_threads

from .cut_pricing import penalised_knapsack, price_with_cuts
from .cuts import Cuts
from .knapsack import knapsack_window, lp_bound_rows, lp_bounds


class Pricer:
    """Per-base knapsack data of one part."""

    def __init__(self, inst: Instance, part: Part, threads: int = 1) -> None:
        self.threads = highs_threads(threads)  # for the pricing MIPs (one count per process)
        items = part.items
        self.n = n = len(items)
        self.w = inst.weights[items].astype(np.int64)
        self.cost = inst.cost[np.ix_(items, items)]
        allowed = inst.allowed[np.ix_(items, items)]
        # the most a plan can cost: every item served by its farthest allowed base
        self.most_cost = float(np.where(allowed, self.cost, 0).max(axis=1).sum())
        self.lo, self.hi = part.lo, part.ceiling(inst)
        self.nbr: list[NDArray[np.int64]] = []
        self.openable = np.zeros(n, dtype=bool)
        self.base_ok = np.diagonal(allowed).copy()  # the base rules (see Instance.allowed)
        for j in range(n):
            cand = np.flatnonzero(allowed[:, j])
            cand = cand[cand != j]
            cand = cand[np.lexsort((cand, self.cost[cand, j]))]  # nearest first, then by code
            self.nbr.append(cand)
            self.openable[j] = (
                self.base_ok[j]
                and self.w[j] <= self.hi
                and self.w[j] + self.w[cand].sum() >= self.lo
            )
        degree = max((len(nb) for nb in self.nbr), default=0)
        self.nb_pad = np.zeros((n, degree), dtype=np.int64)  # neighbours, padded: lp_rc in one go
        self.nb_valid = np.zeros((n, degree), dtype=bool)
        for j, nb in enumerate(self.nbr):
            self.nb_pad[j, : len(nb)] = nb
            self.nb_valid[j, : len(nb)] = True
        self.nb_cost = self.cost[self.nb_pad, np.arange(n)[:, None]]
        self.dp_calls = 0
        self.active: NDArray[np.bool_] | None = None  # items still to cover (while diving)

    def _nb(self, j: int) -> NDArray[np.int64]:
        nb = self.nbr[j]
        return nb if self.active is None else nb[self.active[nb]]

    def _bases(self) -> NDArray[np.int64]:
        ok = self.openable if self.active is None else self.openable & self.active
        return np.flatnonzero(ok)

    def initial_columns(self) -> list[tuple[int, NDArray[np.int64]]]:
        """Columns to start from: each base with its nearest items up to the floor.

        Returns
        -------
        list[tuple[int, NDArray[np.int64]]]
            (base, sorted members) of each column that fits the window.
        """
        out = []
        for j in np.flatnonzero(self.openable):
            tot = int(self.w[j])
            members = [int(j)]
            for i in self.nbr[j]:
                if tot >= self.lo:
                    break
                if self.w[i] == 0 and self.base_ok[i]:
                    continue  # a weightless base (a candidate site): left to the others
                if tot + self.w[i] <= self.hi:
                    members.append(int(i))
                    tot += int(self.w[i])
            if self.lo <= tot <= self.hi:
                out.append((int(j), np.array(sorted(members), dtype=np.int64)))
        return out

    def group_range(self, columns: list[NDArray[np.int64]]) -> tuple[int, int] | None:
        """The least and the most number of groups of a plan of the part (free count).

        Every item is covered once and every group weighs ``[lo, hi]``: a plan has between
        ``ceil(W / hi)`` and ``floor(W / lo)`` groups (W: the part's weight), and at most one
        per base that can open. None when a column given (the master's) weighs outside the
        window: a plan may then have other counts.

        Parameters
        ----------
        columns
            The members of every column there is so far.

        Returns
        -------
        tuple[int, int] | None
            ``(kmin, kmax)``, or None.
        """
        if any(not self.lo <= self.w[m].sum() <= self.hi for m in columns):
            return None
        total = int(self.w.sum())
        kmax = total // self.lo if self.lo > 0 else self.n
        return -(-total // self.hi), min(kmax, int(self.openable.sum()))

    def window(self, j: int) -> tuple[int, int]:
        """The window left for base j's other items (the group's less the base's weight).

        Parameters
        ----------
        j
            The base (part-local).

        Returns
        -------
        tuple[int, int]
            The least and the most weight of the other items.
        """
        return self.lo - int(self.w[j]), self.hi - int(self.w[j])

    def lp_rc(self, pi: NDArray[np.float64], mu: float) -> NDArray[np.float64]:
        """Lower bounds on every base's best reduced cost (LP-relaxed knapsacks).

        Parameters
        ----------
        pi, mu
            The cover rows' and the count row's duals.

        Returns
        -------
        NDArray[np.float64]
            One bound per base (``inf`` for a base that cannot open).
        """
        rc = np.full(self.n, np.inf)
        js = self._bases()
        nb = self.nb_pad[js]
        valid = self.nb_valid[js] if self.active is None else self.nb_valid[js] & self.active[nb]
        profits = pi[nb] - self.nb_cost[js]
        wj = self.w[js]
        value = lp_bound_rows(self.w[nb], profits, valid, lo=self.lo - wj, hi=self.hi - wj)
        rc[js] = -(pi[js] + value + mu)
        return rc

    def exact(
        self,
        j: int,
        pi: NDArray[np.float64],
        mu: float,
        *,
        theta: float = 0.0,
        cuts: tuple[Cuts, NDArray[np.float64]] | None = None,
        deferred: list[int] | None = None,
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A lower bound on the best reduced cost of a column with base j, and a best column
        (None when its reduced cost is at least ``theta``).

        Items whose LP bound with the item forced in already gives a reduced cost >= ``theta``
        are left out of the dynamic programme: the value returned is then exact when it is below
        ``theta`` and a valid lower bound (at least ``theta``, or the DP value) otherwise.
        ``cuts``: rank-1 cuts and their duals (:mod:`.cut_pricing`); when the knapsack's best
        column meets a cut with a non-zero dual, the base is priced with the cuts: by dynamic
        programming, or by a small MIP; given a ``deferred`` list, a base that needs the MIP is
        appended to it instead, with the knapsack's bound and the best column that knapsacks with
        penalised profits find (:func:`.cut_pricing.penalised_knapsack`).

        Parameters
        ----------
        j
            The base (part-local).
        pi, mu
            The cover rows' and the count row's duals.
        theta
            Reduced costs from this up need not be exact.
        cuts
            The cuts and their duals, or None.
        deferred
            Where to put a base whose pricing needs a MIP (None: solve the MIP).

        Returns
        -------
        tuple
            The lower bound and the best column's members (or None).
        """
        nb = self._nb(j)
        lo, hi = self.window(j)
        profits = pi[nb] - self.cost[nb, j]
        base_value, forced = lp_bounds(self.w[nb], profits, lo=lo, hi=hi, forced=True)
        if not np.isfinite(base_value):
            return np.inf, None
        t = -(pi[j] + forced + mu)
        keep = t < theta
        self.dp_calls += 1
        wanted = -(pi[j] + mu) - theta  # a column is read back only when rc < theta
        value, chosen = knapsack_window(
            self.w[nb[keep]], profits[keep], lo=lo, hi=hi, min_value=wanted
        )
        if cuts is not None and chosen is not None:
            members = np.sort(np.concatenate([[j], nb[keep][chosen]])).astype(np.int64)
            if self.penalty(members, cuts) > 0:  # the knapsack's column is not exact
                priced = price_with_cuts(
                    self.w[nb[keep]],
                    profits[keep],
                    nb[keep],
                    base=j,
                    lo=lo,
                    hi=hi,
                    cuts=cuts[0],
                    sigma=cuts[1],
                    threads=self.threads,
                    mip=deferred is None,
                    min_value=wanted,
                )
                if priced is None:
                    # the knapsack's bound stays; the column is the best a cheap search finds
                    deferred.append(j)  # type: ignore[union-attr]
                    chosen = penalised_knapsack(
                        self.w[nb[keep]],
                        profits[keep],
                        nb[keep],
                        base=j,
                        lo=lo,
                        hi=hi,
                        cuts=cuts[0],
                        sigma=cuts[1],
                    )[1]
                else:
                    value, chosen = priced
        rc = -(pi[j] + value + mu) if np.isfinite(value) else np.inf
        dropped = float(t[~keep].min()) if (~keep).any() else np.inf
        lower = max(min(rc, dropped), -(pi[j] + base_value + mu))
        if not np.isfinite(value) or chosen is None:
            return lower, None
        members = np.sort(np.concatenate([[j], nb[keep][chosen]])).astype(np.int64)
        return lower, members

    def greedy_column(
        self, j: int, pi: NDArray[np.float64], mu: float
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A cheap column for base j (rounding the LP knapsack): reduced cost and members.

        Parameters
        ----------
        j
            The base (part-local).
        pi, mu
            The cover rows' and the count row's duals.

        Returns
        -------
        tuple
            The column's reduced cost and its members, or ``(inf, None)`` when none fits.
        """
        nb = self._nb(j)
        lo, hi = self.window(j)
        w = self.w[nb]
        p = pi[nb] - self.cost[nb, j]
        ratio = p / np.maximum(w, 1)
        order = np.lexsort((np.arange(len(nb)), -ratio))
        take = np.zeros(len(nb), dtype=bool)
        tot, val = 0, 0.0
        for k in order:  # profitable items by ratio, while they fit
            if p[k] <= 0:
                break
            if tot + w[k] <= hi:
                take[k] = True
                tot += int(w[k])
                val += p[k]
        if tot < lo:  # then the least costly per patient up to the floor
            for k in order:
                if tot >= lo:
                    break
                if not take[k] and tot + w[k] <= hi:
                    take[k] = True
                    tot += int(w[k])
                    val += p[k]
        if tot < lo:
            return np.inf, None
        members = np.sort(np.concatenate([[j], nb[take]])).astype(np.int64)
        return -(pi[j] + val + mu), members

    def column_cost(self, j: int, members: NDArray[np.int64]) -> float:
        """The cost of the column of base j serving ``members``.

        Parameters
        ----------
        j
            The base (part-local).
        members
            The column's items (part-local, the base included).

        Returns
        -------
        float
            The sum of the members' costs to the base.
        """
        return float(self.cost[members, j].sum())

    def penalty(self, members: NDArray[np.int64], cuts: tuple[Cuts, NDArray[np.float64]]) -> float:
        """What the cuts add to a column's reduced cost (``-sum sigma a`` over the cuts it holds,
        ``a`` its coefficient in each).

        Parameters
        ----------
        members
            The column's items.
        cuts
            The cuts and their duals.

        Returns
        -------
        float
            The penalty (>= 0).
        """
        rows, coef = cuts[0].of(members, self.n)
        return float(-cuts[1][rows] @ coef)
