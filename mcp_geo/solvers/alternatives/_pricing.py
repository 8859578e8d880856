"""Columns of the alternatives' master: every column listed, or priced by knapsacks.

With duals :math:`\\pi` (A2), :math:`\\rho \\le 0` (A3), :math:`\\mu` (A4) and
:math:`\\sigma_r \\le 0` (A5) a column ``(j, S)`` has reduced cost

.. math::

    K(S) + a T(S) - \\pi(S) - \\mu - \\sum_r \\sigma_r [S \\in \\mathcal{H}^r],
    \\qquad a = \\varepsilon - \\rho.

The last term is >= 0 and is left out (a lower bound: the columns it concerns are the earlier
plans' hubs, which the master holds). :math:`K(S)` is a maximum, which no item-by-item profit
says; but :math:`K(S) \\ge \\sum_r w(S \\cap H^r(j))` (the earlier hub of the base), so the
knapsack with those weights charged (:func:`~mcp_geo.solvers.columns.knapsack.knapsack_window`)
bounds every column of base j from below: the Lagrangian bound LP + sum over bases of
min(0, that bound) is valid (a practice is the base of one hub at most). Its set S is then
costed with its true K; when it does not price out, the knapsack is solved again with the
earlier hubs S keeps most of also charged (twice at most): columns whose true reduced cost is
negative go to the master.
A base that reaches at most :data:`ENUMERATE_MAX` practices is priced exactly: every subset is
costed with its true K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers.columns.knapsack import knapsack_window, lp_bound_rows, subset_matrix

from ._model import Column, Duals

ENUMERATE_MAX = 12  # reach (besides the base): every subset is costed exactly
LIST_MAX = 60_000  # columns: up to this many in all, every column is listed up front


@dataclass(frozen=True)
class Items:
    """The free practices as the master sees them (local indices).

    Attributes
    ----------
    w
        Patients.
    cost
        ``cost[i, j]``: the travel of practice i to base j.
    allowed
        ``allowed[i, j]``: whether i may have base j (the diagonal: whether j may be a base).
    lo, hi
        Each base's window (its part's).
    labels
        ``labels[r, i]``: the hub of i in earlier plan r (0..hubs-1).
    """

    w: NDArray[np.int64]
    cost: NDArray[np.float64]
    allowed: NDArray[np.bool_]
    lo: NDArray[np.int64]
    hi: NDArray[np.int64]
    labels: NDArray[np.int64]

    @property
    def n(self) -> int:
        return len(self.w)

    def reach(self, j: int) -> NDArray[np.int64]:
        """The practices base j may serve, besides itself."""
        ok = self.allowed[:, j].copy()
        ok[j] = False
        nb: NDArray[np.int64] = np.flatnonzero(ok).astype(np.int64)
        return nb

    def bases(self) -> list[int]:
        """The practices that may be a base of a hub within the window."""
        return [
            j
            for j in range(self.n)
            if self.allowed[j, j]
            and self.w[j] <= self.hi[j]
            and self.w[j] + self.w[self.reach(j)].sum() >= self.lo[j]
        ]

    def kept(self, members: NDArray[np.int64]) -> int:
        """K of a hub: the sum over earlier plans of its largest overlap with one earlier hub."""
        return int(
            sum(np.bincount(lab[members], weights=self.w[members]).max() for lab in self.labels)
        )

    def column(self, j: int, members: NDArray[np.int64]) -> Column:
        """The column of base j and these members (j added)."""
        members = np.unique(np.append(members, j)).astype(np.int64)
        return Column(int(j), members, float(self.cost[members, j].sum()), self.kept(members))

    def columns(self, listed: list[tuple[int, NDArray[np.int64]]]) -> list[Column]:
        """The columns of these (base, members) pairs (the base among the members), their
        travel and K computed at once.

        Parameters
        ----------
        listed
            Base and members (sorted local indices) of each column.

        Returns
        -------
        list[Column]
            One column per pair, in order.
        """
        if not listed:
            return []
        sizes = np.array([len(m) for _, m in listed])
        col = np.repeat(np.arange(len(listed)), sizes)
        item = np.concatenate([m for _, m in listed]).astype(np.int64)
        base = np.array([j for j, _ in listed], dtype=np.int64)
        travel = np.bincount(col, weights=self.cost[item, base[col]], minlength=len(listed))
        kept = np.zeros(len(listed))
        for lab in self.labels:
            hubs = int(lab.max()) + 1
            over = np.bincount(col * hubs + lab[item], weights=self.w[item].astype(float),
                               minlength=len(listed) * hubs)  # fmt: skip
            kept += over.reshape(len(listed), hubs).max(axis=1)
        return [
            Column(int(j), m.astype(np.int64), float(t), round(k))
            for (j, m), t, k in zip(listed, travel, kept, strict=True)
        ]

    def _subset_kept(
        self, j: int, nb: NDArray[np.int64], subs: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """K of every subset (rows of ``subs`` over ``nb``) with base j."""
        total = np.zeros(len(subs))
        for lab in self.labels:
            onehot = np.zeros((len(nb), int(lab.max()) + 1))
            onehot[np.arange(len(nb)), lab[nb]] = self.w[nb]
            over = subs @ onehot
            over[:, lab[j]] += self.w[j]
            total += over.max(axis=1)
        return total

    def subsets(self, j: int) -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
        """Every subset of j's reach within the window (rows of positions in its reach) and the
        mask; None when the reach is too large to list."""
        nb = self.reach(j)
        if len(nb) > ENUMERATE_MAX:
            return None
        subs = subset_matrix(len(nb))
        total = subs @ self.w[nb].astype(float) + self.w[j]
        return nb, subs[(total >= self.lo[j]) & (total <= self.hi[j])]

    def every_column(self) -> list[tuple[int, NDArray[np.int64]]] | None:
        """Every column (base, members), when every base's reach is small and there are few
        (else None)."""
        listed = []
        for j in self.bases():
            found = self.subsets(j)
            if found is None:
                return None
            nb, subs = found
            listed.append((j, nb, subs))
        if sum(len(s) for _, _, s in listed) > LIST_MAX:
            return None
        return [
            (j, np.unique(np.append(nb[row > 0.5], j)).astype(np.int64))
            for j, nb, subs in listed
            for row in subs
        ]


class Pricer:
    """Pricing of the alternatives' master (see the module's docstring)."""

    def __init__(self, items: Items) -> None:
        self.items = items
        self.bases = items.bases()
        self.reach = {j: items.reach(j) for j in self.bases}
        self.exact = {j: items.subsets(j) for j in self.bases}
        self.beta = 1.0

    def _charged(self, j: int, nb: NDArray[np.int64], hubs: list[set[int]]) -> NDArray[np.float64]:
        """Per item of ``nb``: the patients charged when the earlier hubs ``hubs[r]`` are."""
        lab = self.items.labels
        charged = np.zeros(len(nb))
        for r, chosen in enumerate(hubs):
            charged += self.items.w[nb] * np.isin(lab[r, nb], list(chosen))
        return self.beta * charged

    def price(
        self, at: Duals, *, eps: float, beta: float, most: int
    ) -> tuple[list[Column], float, bool]:
        """Columns of negative reduced cost, the Lagrangian bound, and whether the pricing was
        exact (no column of negative reduced cost is left when none is returned).

        Parameters
        ----------
        at
            The master LP's value and duals.
        eps, beta
            (A1)'s weights of the travel and of K (0: the travel alone, priced exactly).
        most
            How many columns to return at most.

        Returns
        -------
        tuple
            The columns, the bound, and whether every base was priced exactly.
        """
        a = eps - at.travel
        self.beta = beta
        low = self._screen(at, a=a)
        order = sorted(self.bases, key=lambda j: low[j])
        best = {j: low[j] for j in self.bases}
        out: list[Column] = []
        exact = True
        for j in order:
            if low[j] >= -1e-7 or len(out) >= most:
                exact = exact and (low[j] >= -1e-7)
                continue
            const = -at.cover[j] - at.count
            if self.exact[j] is not None or not beta:
                col, rc = self._enumerated(j, at, a=a, const=const)
                best[j] = rc
            else:
                col, rc, bound = self._knapsacks(j, at, a=a, const=const)
                best[j] = max(low[j], bound)
                exact = False
            if col is not None and rc < -1e-7:
                out.append(col)
        value = at.value + sum(min(0.0, b) for b in best.values())
        return out, value, exact and not out

    def _screen(self, at: Duals, *, a: float) -> dict[int, float]:
        """Each base's lower bound on the reduced cost by the LP of its relaxed knapsack."""
        items = self.items
        if not self.bases:
            return {}
        deg = max(len(self.reach[j]) for j in self.bases)
        pad = np.zeros((len(self.bases), max(deg, 1)), dtype=np.int64)
        valid = np.zeros_like(pad, dtype=bool)
        profits = np.zeros(pad.shape)
        for r, j in enumerate(self.bases):
            nb = self.reach[j]
            own = [{int(lab[j])} for lab in items.labels]
            pad[r, : len(nb)], valid[r, : len(nb)] = nb, True
            profits[r, : len(nb)] = at.cover[nb] - a * items.cost[nb, j] - self._charged(j, nb, own)
        js = np.array(self.bases)
        upper = lp_bound_rows(items.w[pad], profits, valid, lo=items.lo[js] - items.w[js],
                              hi=items.hi[js] - items.w[js])  # fmt: skip
        const = self.beta * len(items.labels) * items.w[js] + a * items.cost[js, js]
        const = const - at.cover[js] - at.count
        rc = np.where(np.isfinite(upper), const - upper, np.inf)
        return {j: float(v) for j, v in zip(self.bases, rc, strict=True)}

    def _enumerated(
        self, j: int, at: Duals, *, a: float, const: float
    ) -> tuple[Column | None, float]:
        """The exact best column of base j (every subset costed with its true K; without K,
        the knapsack)."""
        items, found = self.items, self.exact[j]
        if found is None:  # beta 0: the travel alone, item by item
            nb = self.reach[j]
            profits = at.cover[nb] - a * items.cost[nb, j]
            lo, hi = int(items.lo[j] - items.w[j]), int(items.hi[j] - items.w[j])
            value, chosen = knapsack_window(items.w[nb], profits, lo=lo, hi=hi)
            if chosen is None:
                return None, np.inf
            return items.column(j, nb[chosen]), const + a * items.cost[j, j] - value
        nb, subs = found
        if not len(subs):
            return None, np.inf
        kept = self.beta * items._subset_kept(j, nb, subs)
        value = kept + subs @ (a * items.cost[nb, j] - at.cover[nb]) + a * items.cost[j, j]
        k = int(np.argmin(value))
        rc = float(value[k]) + const
        return items.column(j, nb[subs[k] > 0.5]), rc

    def _knapsacks(
        self, j: int, at: Duals, *, a: float, const: float
    ) -> tuple[Column | None, float, float]:
        """Base j by the relaxed knapsack (its bound) and up to two more with the earlier hubs
        the set keeps most of charged too: the best column by its true reduced cost."""
        items, nb = self.items, self.reach[j]
        hubs = [{int(lab[j])} for lab in items.labels]
        window = (int(items.lo[j] - items.w[j]), int(items.hi[j] - items.w[j]))
        bound, best, best_rc = np.inf, None, np.inf
        for round_ in range(3):
            profits = at.cover[nb] - a * items.cost[nb, j] - self._charged(j, nb, hubs)
            value, chosen = knapsack_window(items.w[nb], profits, lo=window[0], hi=window[1])
            if chosen is None:
                break
            own = self.beta * len(items.labels) * items.w[j]
            relaxed = const + own + a * items.cost[j, j] - value
            if round_ == 0:
                bound = relaxed
            col = items.column(j, nb[chosen])
            rc = (
                self.beta * col.kept
                + a * col.travel
                - float(at.cover[col.members].sum())
                - at.count
            )
            if rc < best_rc:
                best, best_rc = col, rc
            if best_rc < -1e-7:
                break  # a column that prices out: enough for this base
            grown = False
            for r, lab in enumerate(items.labels):
                top = int(np.argmax(np.bincount(lab[col.members], weights=items.w[col.members])))
                grown |= top not in hubs[r]
                hubs[r].add(top)
            if not grown:
                break
        return best, best_rc, bound
