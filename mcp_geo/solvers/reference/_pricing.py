"""Pricing of labelled columns: one bounded knapsack per base and group it may continue.

With duals :math:`\\pi` (R2), :math:`\\sigma_g` (R3), :math:`\\mu` (R4), :math:`\\rho_M, \\rho_T`
(R5, R6; both <= 0) a column ``(j, g, S)`` has reduced cost

.. math::

    a \\sum_{i \\in S} c_{ij} + b \\sum_{i \\in S,\\ g(i) \\notin \\{g, \\varnothing\\}} m_i
    - \\sum_{i \\in S} \\pi_i - \\sigma_g - \\mu, \\qquad a = \\alpha - \\rho_T,\\ b = \\beta - \\rho_M,

so pricing ``(j, g)`` is the 0/1 knapsack over the items j reaches with profits
:math:`\\pi_i - a c_{ij} - b m_i [g(i) \\notin \\{g, \\varnothing\\}]` in the window
:math:`[L - w_j, U - w_j]`: its LP bound for every ``(j, g)`` at once
(:func:`~mcp_geo.solvers.columns.knapsack.lp_bound_rows`) says which need the exact table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers.columns.cut_pricing import price_with_cuts
from mcp_geo.solvers.columns.cuts import Cuts
from mcp_geo.solvers.columns.knapsack import knapsack_window, lp_bound_rows

from ._blocks import block_knapsack
from ._master import Column, Duals, StageCosts
from .groups import ReferenceGroups, whole_groups


@dataclass(frozen=True)
class RowPrices:
    """Every (base, group) row's knapsack at some duals: ``rc = const - p(S) - bonus K(S)``
    (plus the cuts' penalties) over the row's items S in the window ``[lo_w, hi_w]``."""

    profits: NDArray[np.float64]  # rows x padded items
    const: NDArray[np.float64]
    lo_w: NDArray[np.int64]
    hi_w: NDArray[np.int64]
    bonus: float  # per group held whole (the split stage's)
    rc_low: NDArray[np.float64]  # the knapsacks' LP bounds: a lower bound on each row's rc


class LabelledPricer:
    """A part's knapsack data for every (base, group) pair."""

    def __init__(
        self, inst: Instance, part: Part, *, ref: ReferenceGroups, threads: int = 1
    ) -> None:
        self.threads = threads  # for the pricing MIPs: HiGHS wants one count per process
        items = part.items
        self.n = n = len(items)
        self.w = inst.weights[items].astype(np.int64)
        self.mw = ref.move_weights(inst.weights)[items]
        labels = ref.labels[items]
        self.group_codes = np.unique(labels[labels >= 0])  # the part's groups, global index
        local = {int(g): k for k, g in enumerate(self.group_codes)}
        self.open = np.array([int(g) not in ref.claimed for g in self.group_codes], dtype=bool)
        self.lab = np.array([local.get(int(g), -1) for g in labels], dtype=np.int64)
        self.cost = inst.cost[np.ix_(items, items)]
        self.packing = items >= inst.real  # candidate sites: covered at most once (R2')
        assert not (items >= inst.n - inst.parks).any(), "parks are left out (see stages)"
        allowed = inst.allowed[np.ix_(items, items)]
        self.lo, self.hi = part.lo, part.ceiling(inst)
        rows_j, rows_g, nbrs = [], [], []
        self.nbr: list[NDArray[np.int64]] = []
        for j in range(n):
            nb = np.flatnonzero(allowed[:, j])
            nb = nb[nb != j]
            self.nbr.append(nb)
            if not allowed[j, j] or self.w[j] > self.hi or self.w[j] + self.w[nb].sum() < self.lo:
                continue
            reach = np.concatenate([[j], nb])
            for g in [-1, *self.open_groups(reach)]:
                rows_j.append(j)
                rows_g.append(g)
                nbrs.append(nb)
        self.row_j = np.array(rows_j, dtype=np.int64)
        self.row_g = np.array(rows_g, dtype=np.int64)
        degree = max((len(nb) for nb in nbrs), default=0)
        self.pad = np.zeros((len(nbrs), degree), dtype=np.int64)
        self.valid = np.zeros((len(nbrs), degree), dtype=bool)
        for r, nb in enumerate(nbrs):
            self.pad[r, : len(nb)] = nb
            self.valid[r, : len(nb)] = True
        self.root_valid = self.valid.copy()
        self.must_pad = np.zeros_like(self.valid)  # items a branch puts in the row's group
        self.row_open = np.ones(len(nbrs), dtype=bool)  # rows a branch leaves open
        # the padding's cost is never read (``valid``): 0, not the inf of items out of reach
        # (a park's padding: 0 x inf would be nan)
        self.pad_cost = np.where(self.valid, self.cost[self.pad, self.row_j[:, None]], 0.0)
        self.pad_same = self.lab[self.pad] == self.row_g[:, None]
        self.pad_moves = self.mw[self.pad]
        self._whole_groups(ref, items=items)
        self._cuts: tuple[Cuts, NDArray[np.float64]] | None = None

    def _whole_groups(self, ref: ReferenceGroups, *, items: NDArray[np.int64]) -> None:
        """The groups a column may hold whole (two practices or more, all in the part), how
        many each row reaches whole, and each row item's share of its group's bonus.

        The bonus of a group held whole is at most the bonus times the share of the group's
        patients (the base's left out) that a column holds: so each item's profit plus the
        bonus times its share (its patients over those of its group's others in the row) makes
        knapsacks whose LP bound bounds the row's value, tighter than the LP bound without the
        bonus plus the bonus of every group the row reaches whole (north-staffs from its PCNs
        with whole groups: 5,115 rows priced exactly instead of 9,388, 94% of them still
        pricing out nothing)."""
        self.wholes: list[NDArray[np.int64]] = []
        self.split_anyway = 0  # groups of two or more with practices outside the part
        if ref.whole:
            self.wholes, self.split_anyway = whole_groups(ref, items)
        self.row_wholes = np.zeros(len(self.row_j), dtype=np.int64)
        self.bonus_share = np.zeros(self.pad.shape)
        for r, j in enumerate(self.row_j.tolist()):
            reach = set(self.nbr[j].tolist()) | {j}
            held = [m for m in self.wholes if reach.issuperset(m.tolist())]
            self.row_wholes[r] = len(held)
            position = {int(i): k for k, i in enumerate(self.nbr[j].tolist())}
            for members in held:
                others = members[members != j]
                at = [position[int(i)] for i in others]
                self.bonus_share[r, at] = self.w[others] / self.w[others].sum()

    def _blocks(self, j: int, nb: NDArray[np.int64]) -> list[NDArray[np.int64]]:
        """The whole groups a knapsack of base j over items ``nb`` can take, as positions in
        ``nb`` (the base itself left out: it is always in)."""
        pos = {int(i): k for k, i in enumerate(nb)}
        out = []
        for members in self.wholes:
            others = [int(i) for i in members if i != j]
            if all(i in pos for i in others):
                out.append(np.array([pos[i] for i in others], dtype=np.int64))
        return out

    def open_groups(self, members: NDArray[np.int64]) -> list[int]:
        """The groups of these items that a group of them may continue (not claimed)."""
        labels = self.lab[members]
        return sorted(g for g in set(labels[labels >= 0].tolist()) if self.open[g])

    @property
    def groups(self) -> int:
        """How many reference groups the part holds."""
        return len(self.group_codes)

    def column(self, j: int, g: int, members: NDArray[np.int64]) -> Column:
        """The column of base j continuing group g (-1: none) with these members."""
        members = np.unique(np.append(members, j)).astype(np.int64)
        moved = (self.lab[members] >= 0) & (self.lab[members] != g)
        inside = set(members.tolist())
        return Column(
            base=int(j),
            group=int(g),
            members=members,
            travel=float(self.cost[members, j].sum()),
            moves=int(self.mw[members][moved].sum()),
            whole=sum(inside.issuperset(m.tolist()) for m in self.wholes),
        )

    def _profits(self, at: Duals, costs: StageCosts) -> tuple[NDArray[np.float64], ...]:
        a = costs.alpha - at.travel
        b = costs.beta - at.moves
        penalty = np.where(self.pad_same, 0.0, b * self.pad_moves)
        profits = at.cover[self.pad] - a * self.pad_cost - penalty
        j, g = self.row_j, self.row_g
        own = np.where((self.lab[j] >= 0) & (self.lab[j] != g), b * self.mw[j], 0.0)
        sigma = at.group[np.maximum(g, 0)] if len(at.group) else np.zeros(len(g))
        sigma = np.where(g >= 0, sigma, 0.0)
        const = own - at.cover[j] - sigma - at.count
        if self.must_pad.any():  # a branch's items: more profit than every other item and cut
            big = 1.0 + np.abs(np.where(self.valid, profits, 0.0)).sum(axis=1)
            big += float(np.abs(at.cut).sum())
            profits = profits + np.where(self.must_pad, big[:, None], 0.0)
            const = const + big * self.must_pad.sum(axis=1)
        return profits, np.where(self.row_open, const, np.inf)

    def set_branch(self, allow: NDArray[np.bool_], must: NDArray[np.bool_]) -> None:
        """Restrict pricing to a branch: ``allow[i, j]`` whether item i may join base j (the
        diagonal: whether j may be a base), ``must[i, j]`` whether it must.

        Parameters
        ----------
        allow, must
            Part-local n x n masks.
        """
        j = self.row_j[:, None]
        self.valid = self.root_valid & allow[self.pad, j]
        self.must_pad = self.valid & must[self.pad, j]
        self.row_open = allow[self.row_j, self.row_j]

    def price(
        self,
        at: Duals,
        costs: StageCosts,
        *,
        most: int,
        tol: float,
        cuts: Cuts | None = None,
    ) -> tuple[list[Column], float]:
        """Columns of negative reduced cost, and a lower bound on the best plan's value.

        Parameters
        ----------
        at
            The master LP's value and duals.
        costs
            The stage's weights (R1).
        most
            How many columns exact pricing returns at most (the most promising first).
        tol
            Reduced costs above ``-tol`` count as zero.
        cuts
            The master's subset-row cuts (R8), whose duals are ``at.cut`` (None: none).

        Returns
        -------
        tuple
            The new columns (empty: the LP is optimal over every column) and the Lagrangian
            bound ``value + sum over bases of min(0, best reduced cost)`` (valid for every plan:
            each base opens at most one group).
        """
        rp = self.row_prices(at, costs, cuts=cuts)
        order = np.argsort(rp.rc_low, kind="stable")
        order = order[rp.rc_low[order] < -tol]
        rc_best = rp.rc_low.copy()  # exact where priced exactly: still a lower bound elsewhere
        out = self._greedy(order, rp.profits, rp.const, tol=tol)
        for r in order if not out else ():
            if len(out) >= most:
                break  # the rest keep their LP bounds (the Lagrangian bound stays valid)
            rc_best[r], members = self.exact_row(rp, int(r), below=-tol)
            if members is not None and rc_best[r] < -tol:
                out.append(self.column(int(self.row_j[r]), int(self.row_g[r]), members))
        per_base = np.zeros(self.n)
        np.minimum.at(per_base, self.row_j, np.minimum(rc_best, 0.0))
        return out, at.value + float(per_base.sum())

    def row_prices(self, at: Duals, costs: StageCosts, *, cuts: Cuts | None) -> RowPrices:
        """Every row's knapsack at these duals, and the LP bound on its reduced cost.

        Parameters
        ----------
        at
            The master LP's duals.
        costs
            The stage's weights (R1).
        cuts
            The master's subset-row cuts (R8), whose duals are ``at.cut`` (None: none).

        Returns
        -------
        RowPrices
            Profits, constants, windows, the whole groups' bonus and the reduced costs' bounds.
        """
        profits, const = self._profits(at, costs)
        hi_w = self.hi - self.w[self.row_j]
        lo_w = self.lo - self.w[self.row_j]
        bonus = costs.gamma + at.whole  # what each group held whole is worth (>= 0)
        shared = profits + bonus * self.bonus_share if bonus > 0 else profits
        upper = lp_bound_rows(self.w[self.pad], shared, self.valid, lo=lo_w, hi=hi_w)
        rc_low = const - upper  # -inf upper: the window cannot be met, rc = +inf
        rc_low = np.where(np.isfinite(upper), rc_low, np.inf)
        # cuts added after these duals were computed have no dual here (0: valid, no penalty)
        known = None if cuts is None else cuts.head(len(at.cut))
        self._cuts = None if known is None or not (at.cut < 0).any() else (known, at.cut)
        return RowPrices(profits, const, lo_w, hi_w, float(bonus), rc_low)

    def exact_row(
        self, rp: RowPrices, r: int, *, below: float = np.inf
    ) -> tuple[float, NDArray[np.int64] | None]:
        """Row r's best reduced cost (a lower bound, exact but for a pricing MIP's tolerance)
        and the members of a column that has it (None: no column fits).

        Parameters
        ----------
        rp
            The rows' prices (:meth:`row_prices`; its cuts too).
        r
            The row.
        below
            Members only of a column whose reduced cost, before the cuts' penalties, is below
            this (else None, and the reduced cost without the penalties: still a lower bound;
            the knapsack is then built once, for its value).

        Returns
        -------
        tuple
            The reduced cost and the members (the base's other items).
        """
        valid = self.valid[r]
        nb = self.pad[r][valid]
        bonus = rp.bonus
        blocks = self._blocks(int(self.row_j[r]), nb) if bonus > 0 else []
        best, chosen = self._exact(nb, rp.profits[r][valid], blocks=blocks, bonus=bonus,
                                   window=(int(rp.lo_w[r]), int(rp.hi_w[r])),
                                   min_value=float(rp.const[r]) - below)  # fmt: skip
        if chosen is not None and self.penalty(int(self.row_j[r]), nb[chosen]) > 0:
            best, chosen = self._with_cuts(rp, r, nb=nb)
        if not np.isfinite(best):
            return np.inf, None
        return float(rp.const[r] - best), None if chosen is None else nb[chosen]

    def penalty(self, j: int, members: NDArray[np.int64]) -> float:
        """What the cuts (R8) add to the reduced cost of a column of base j (>= 0).

        Parameters
        ----------
        j
            The base.
        members
            The column's other items, or all of them.

        Returns
        -------
        float
            Minus the duals of the cuts the column holds two items of (0 without cuts).
        """
        if self._cuts is None:
            return 0.0
        cuts, sigma = self._cuts
        held, coef = cuts.of(np.unique(np.append(members, j)), self.n)
        return float(-np.minimum(sigma[held], 0.0) @ coef)

    def penalties(
        self, j: int, nb: NDArray[np.int64], subs: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """:meth:`penalty` of many columns of base j: one per row of ``subs`` (which of the
        items ``nb`` it holds).

        Parameters
        ----------
        j
            The base.
        nb
            The candidate items.
        subs
            One row per column.

        Returns
        -------
        NDArray[np.float64]
            Each column's penalty (>= 0).
        """
        if self._cuts is None or not len(subs):
            return np.zeros(len(subs))
        cuts, sigma = self._cuts
        active = np.flatnonzero(sigma < 0)
        holds = np.zeros((len(subs), self.n), dtype=np.int8)
        holds[:, nb] = subs
        holds[:, j] = 1
        return cuts.coefficients(holds)[:, active] @ -sigma[active]

    def _with_cuts(
        self, rp: RowPrices, r: int, *, nb: NDArray[np.int64]
    ) -> tuple[float, NDArray[np.int64] | None]:
        """Row r's best value with the cuts' duals (an upper bound, exact but for a MIP's
        tolerance), and its positions in ``nb`` (the row's items)."""
        assert self._cuts is not None
        cuts, sigma = self._cuts
        priced = price_with_cuts(
            self.w[nb], rp.profits[r][self.valid[r]], nb, base=int(self.row_j[r]),
            lo=int(rp.lo_w[r]), hi=int(rp.hi_w[r]), cuts=cuts, sigma=np.minimum(sigma, 0.0),
            threads=self.threads,
        )  # fmt: skip
        assert priced is not None  # a MIP is allowed
        return priced

    def _exact(
        self,
        nb: NDArray[np.int64],
        profits: NDArray[np.float64],
        *,
        blocks: list[NDArray[np.int64]],
        bonus: float,
        window: tuple[int, int],
        min_value: float,
    ) -> tuple[float, NDArray[np.int64] | None]:
        """The exact knapsack of one row: with blocks (whole groups earning ``bonus``) or not
        (positions only for a value at least ``min_value``)."""
        lo, hi = window
        if blocks:
            return block_knapsack(
                self.w[nb], profits, blocks=blocks, bonus=bonus, lo=lo, hi=hi, min_value=min_value
            )
        return knapsack_window(self.w[nb], profits, lo=lo, hi=hi, min_value=min_value)

    def _greedy(
        self,
        rows: NDArray[np.int64],
        profits: NDArray[np.float64],
        const: NDArray[np.float64],
        *,
        tol: float,
    ) -> list[Column]:
        """Cheap columns: each row's items by profit per patient, best first, while they fit;
        the best column of each base whose reduced cost is negative."""
        best: dict[int, tuple[float, Column]] = {}
        for r in rows.tolist():
            j = int(self.row_j[r])
            valid = self.valid[r]
            nb, p = self.pad[r][valid], profits[r][valid]
            w = self.w[nb]
            order = np.argsort(-p / np.maximum(w, 1), kind="stable")
            room_lo, room_hi = self.lo - int(self.w[j]), self.hi - int(self.w[j])
            taken, load, gain = [], 0, 0.0
            for k in order.tolist():
                if p[k] <= 0 and load >= room_lo:
                    break
                if load + int(w[k]) <= room_hi:
                    taken.append(k)
                    load += int(w[k])
                    gain += float(p[k])
            rc = float(const[r]) - gain
            if self._cuts is not None and load >= room_lo:
                rc += self.penalty(j, nb[np.array(taken, dtype=np.int64)])
            if load >= room_lo and rc < -tol and (j not in best or rc < best[j][0]):
                best[j] = (
                    rc,
                    self.column(j, int(self.row_g[r]), nb[np.array(taken, dtype=np.int64)]),
                )
        return [col for _, col in best.values()]

    def group_columns(self) -> list[Column]:
        """Each reference group of the part whole, around its member that is the cheapest
        base within the rules (with candidate sites: the cheapest site)."""
        out = []
        openable = set(self.row_j.tolist())
        sites = np.flatnonzero(self.packing).tolist()
        for g in np.flatnonzero(self.open).tolist():
            members = np.flatnonzero(self.lab == g)
            total = int(self.w[members].sum())
            if not self.lo <= total <= self.hi:
                continue
            best: tuple[float, int] | None = None
            for j in [*members.tolist(), *sites]:
                reach = set(self.nbr[j].tolist()) | {j}
                if j in openable and reach.issuperset(members.tolist()):
                    travel = float(self.cost[members, j].sum())
                    if best is None or travel < best[0]:
                        best = (travel, j)
            if best is not None:
                out.append(self.column(best[1], g, members))
        return out

    def variants(self, j: int, members: NDArray[np.int64]) -> list[Column]:
        """A group once per reference group it could continue (and once continuing none), so
        that the master chooses the matching."""
        members = np.unique(np.append(members, j)).astype(np.int64)
        return [self.column(j, g, members) for g in [-1, *self.open_groups(members)]]

    def plan_columns(self, base_local: NDArray[np.int64]) -> list[Column]:
        """The groups of a plan (part-local bases), each with its variants."""
        out = []
        for j in np.unique(base_local[base_local >= 0]):  # -1: a site no group holds
            out.extend(self.variants(int(j), np.flatnonzero(base_local == j)))
        return out
