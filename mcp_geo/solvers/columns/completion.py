"""Plans for a fixed count by bin completion: a depth-first search guided by the master LP.

With a fixed count p the groups of a plan hold the part's whole weight W, so the room they
leave below the ceiling U adds up to exactly ``p U - W`` (the *slack*). At the fewest count the
slack is small (central-sussex-east-surrey at 23 hubs: 32,575 patients, 1,417 a hub, hubs 97%
full) and the usual heuristics find no plan: the greedy plan and price-and-dive fill the first
groups well and strand the last items (measured: no plan in 60 s; HiGHS on the compact model:
none in 114 s with the travel objective, the first one after 18-28 s without it).

Bin completion (Korf's method for bin packing, here with bases and the distance limit) makes one
group at a time and backtracks:

1. the item to place is the most constrained one left: the fewest items within its reach, then
   the heaviest, then the lowest index;
2. its candidate groups hold it and leave at most the slack still unspent: weight within
   ``[max(L, U - slack), U]``. They are the master LP's columns with a positive value that fit
   (largest value first) and, for each base within the item's reach, the best knapsack at the
   LP's duals (:func:`.knapsack.knapsack_window`, the item forced in), smallest reduced cost
   first: at most :data:`WIDTH` of them, in that order. A *fair* search prefers groups that
   take at most :data:`FAIR_SHARE` times their share of the slack (``slack / k`` with k groups
   left: weight at least ``U - FAIR_SHARE slack / k``), and tops up with the others;
3. the search is a limited discrepancy search (depth first; taking the candidate of rank r
   spends r of the discrepancies allowed: 0, 1, ... up to :data:`MAX_DISCREPANCIES`). It prunes
   a node whose items cannot make the groups left by weight alone, or where an item left cannot
   reach the floor of the groups left (``U`` less the slack still unspent) with the items left
   that some base may serve with it, and stops at the first plan, at :data:`MAX_NODES` nodes
   or at the time given.

Each search of :data:`PORTFOLIO` runs fair, then plain, and the cheaper plan is kept. The plain
searches spend their slack early and strand the last items where the LP's groups leave room
(staffs-shropshire at 36 hubs, 35 beside Y01929, from the master after 20 s of column
generation: every plain search stuck at 2,000 nodes, the first found a plan only at 20,000
nodes, after 35 s); the fair one finds a plan in 0.2-0.3 s from the masters after 10, 20 and
40 s (5.99M-6.30M; regrouped 5.71M-5.86M; the plain plans, where they exist, 5.79M-5.92M). On
central-sussex-east-surrey at 23 hubs the plain search is the better one (2.62M against
2.90M; both in 0.1 s). Deterministic (no decision depends on the clock; the time only stops
it). It only provides incumbents: bounds come from elsewhere.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .knapsack import knapsack_window

if TYPE_CHECKING:
    from .incumbent import Column
    from .pricing import Pricer

WIDTH = 3  # candidate groups tried per node
LP_WIDTH = 1  # of which at most this many are the LP's columns
MAX_NODES = 2_000  # nodes of the search, at most
MAX_DISCREPANCIES = 8  # limited discrepancy search: 0, 1, ... up to this many, then stop
# the searches tried in turn until one makes a plan: candidates per node, of which the LP's
# columns, and whether the knapsacks price at the LP's duals (else at zero: the cheapest groups)
PORTFOLIO = ((3, 1, True), (3, 0, True), (4, 2, False), (2, 1, True), (5, 1, False))
FAIR_SHARE = 4.0  # a fair search prefers groups taking at most this many shares of the slack


@dataclass(frozen=True)
class _Guide:
    """The LP's duals and columns that order the candidates."""

    pi: NDArray[np.float64]
    mu: float
    holds: NDArray[np.bool_]  # holds[k, i]: LP column k holds item i
    weight: NDArray[np.int64]
    base: NDArray[np.int64]
    rc: NDArray[np.float64]  # their reduced costs at (pi, mu)
    value: NDArray[np.float64]  # their LP values


def complete_plan(
    pr: Pricer,
    columns: list[Column],
    values: NDArray[np.float64],
    *,
    pi: NDArray[np.float64],
    mu: float,
    count: int,
    until: float,
    width: tuple[int, int] = (WIDTH, LP_WIDTH),
    max_nodes: int = MAX_NODES,
    fair: float | None = None,
) -> NDArray[np.int64] | None:
    """A plan of exactly ``count`` groups by bin completion (see the module docstring).

    Parameters
    ----------
    pr
        The part's pricer (weights, costs, reach, window).
    columns
        The master's columns (base, members, cost), in the master's order.
    values
        Their values in the master LP.
    pi, mu
        The master's duals (cover rows, count row).
    count
        The number of groups.
    until
        A ``time.perf_counter()`` at which the search gives up.
    width
        Candidate groups tried per node, and of which at most how many are the LP's columns.
    max_nodes
        Nodes of the search, at most.
    fair
        Prefer groups taking at most this many shares of the slack (None: no preference).

    Returns
    -------
    NDArray[np.int64] | None
        The local base of every item, or None when the search found no plan.
    """
    n = pr.n
    use = np.flatnonzero(values > 1e-6)
    holds = np.zeros((len(use), n), dtype=bool)
    for r, k in enumerate(use.tolist()):
        holds[r, columns[k][1]] = True
    base = np.array([columns[k][0] for k in use.tolist()], dtype=np.int64)
    cost = np.array([columns[k][2] for k in use.tolist()])
    guide = _Guide(
        pi=pi,
        mu=mu,
        holds=holds,
        weight=holds @ pr.w,
        base=base,
        rc=cost - holds @ pi - mu,
        value=values[use],
    )
    search = _Search(pr, guide, until=until, width=width, max_nodes=max_nodes, fair=fair)
    groups = None
    for discrepancies in range(MAX_DISCREPANCIES + 1):
        groups = search.dfs(np.arange(n), count, discrepancies)
        if groups is not None or search.nodes >= max_nodes or time.perf_counter() > until:
            break
    if groups is None:
        return None
    out = np.full(n, -1, dtype=np.int64)
    for j, members in groups:
        out[members] = j
    return out


def complete_any(
    pr: Pricer,
    columns: list[Column],
    values: NDArray[np.float64],
    *,
    pi: NDArray[np.float64],
    mu: float,
    count: int,
    until: float,
) -> NDArray[np.int64] | None:
    """:func:`complete_plan` with each search of :data:`PORTFOLIO` in turn, fair and plain,
    until one makes a plan (the cheaper of the two is kept; arguments as there); then each
    again with ten times the nodes. When the time given runs out during the plain search, the
    fair one's plan stands.

    One search alone is fragile: on central-sussex-east-surrey at 23 hubs, after column
    generation stopped at 24 s, the first search of the portfolio finds no plan in 2,000 nodes
    while the second, third and fourth find one in 0.3-0.6 s (measured).

    Parameters
    ----------
    pr, columns, values, pi, mu, count, until
        As for :func:`complete_plan`.

    Returns
    -------
    NDArray[np.int64] | None
        The local base of every item, or None when no search found a plan.
    """
    for nodes, (width, lp_width, guided) in itertools.product((1, 10), PORTFOLIO):
        plans = []
        for fair in (FAIR_SHARE, None):  # fair first: its plans come in a fraction of a second
            if time.perf_counter() > until:
                break
            plan = complete_plan(
                pr,
                columns,
                values,
                pi=pi if guided else np.zeros_like(pi),
                mu=mu if guided else 0.0,
                count=count,
                until=until,
                width=(width, lp_width),
                max_nodes=nodes * MAX_NODES,
                fair=fair,
            )
            if plan is not None:
                plans.append(plan)
        if plans:  # the cheaper
            return min(plans, key=lambda p: float(pr.cost[np.arange(pr.n), p].sum()))
    return None


class _Search:
    """The depth-first search over groups (one node: the items left and the groups to make)."""

    def __init__(
        self,
        pr: Pricer,
        guide: _Guide,
        *,
        until: float,
        width: tuple[int, int],
        max_nodes: int,
        fair: float | None,
    ) -> None:
        self.pr, self.guide, self.until = pr, guide, until
        self.width, self.max_nodes, self.fair = width, max_nodes, fair
        n = pr.n
        self.reach = np.zeros((n, n), dtype=bool)  # reach[i, j]: base j may serve item i
        for j in range(n):
            self.reach[pr.nbr[j], j] = True
        np.fill_diagonal(self.reach, True)
        r = self.reach.astype(np.int32)
        self.share = (r @ r.T) > 0  # share[a, b]: some base may serve both
        self.nodes = 0

    def dfs(
        self, left: NDArray[np.int64], k: int, discrepancies: int
    ) -> list[tuple[int, NDArray[np.int64]]] | None:
        """Groups covering ``left`` exactly, ``k`` of them, or None."""
        self.nodes += 1
        if len(left) == 0:
            return [] if k == 0 else None
        weight = int(self.pr.w[left].sum())
        if k == 0 or weight > k * self.pr.hi or weight < k * self.pr.lo:
            return None
        if self._stranded(left, floor=max(self.pr.lo, self.pr.hi - (k * self.pr.hi - weight))):
            return None
        for rank, (j, members) in enumerate(self._candidates(left, k)):
            if rank > discrepancies:
                break
            if self.nodes >= self.max_nodes or time.perf_counter() > self.until:
                return None
            rest = self.dfs(np.setdiff1d(left, members), k - 1, discrepancies - rank)
            if rest is not None:
                return [(j, members), *rest]
        return None

    def _stranded(self, left: NDArray[np.int64], *, floor: int) -> bool:
        """Whether some item left cannot make a group of ``floor`` with the items left that some
        base may serve with it (every group from here on holds at least ``floor``)."""
        share = self.share[np.ix_(left, left)]
        return bool(((share @ self.pr.w[left]) < floor).any())

    def _candidates(self, left: NDArray[np.int64], k: int) -> list[tuple[int, NDArray[np.int64]]]:
        """The groups to try for the most constrained item left, in order (at most WIDTH): a
        fair search's preferred groups first (see the module docstring)."""
        pr = self.pr
        is_left = np.zeros(pr.n, dtype=bool)
        is_left[left] = True
        options = self.reach[np.ix_(left, left)].sum(axis=1)
        i = int(left[np.lexsort((left, -pr.w[left], options))[0]])
        slack = k * pr.hi - int(pr.w[left].sum())
        floor = max(pr.lo, pr.hi - slack)
        floors = (
            [floor]
            if self.fair is None
            else [max(floor, pr.hi - int(self.fair * slack / k)), floor]
        )
        out: list[tuple[int, NDArray[np.int64]]] = []
        for least in floors:
            self._add_candidates(out, i=i, is_left=is_left, floor=least)
        return out

    def _add_candidates(
        self,
        out: list[tuple[int, NDArray[np.int64]]],
        *,
        i: int,
        is_left: NDArray[np.bool_],
        floor: int,
    ) -> None:
        """Append to ``out`` the LP's columns, then the knapsacks, holding item i with weight
        in ``[floor, U]``, until it holds WIDTH groups."""
        pr, g = self.pr, self.guide
        seen = {(j, tuple(m.tolist())) for j, m in out}
        fits = g.holds[:, i] & ~(g.holds & ~is_left).any(axis=1)
        fits &= (g.weight >= floor) & (g.weight <= pr.hi)
        ks = np.flatnonzero(fits)
        ks = ks[np.lexsort((ks, g.rc[ks], -g.value[ks]))][: self.width[1]]
        found = [(int(g.base[q]), np.flatnonzero(g.holds[q])) for q in ks.tolist()]
        if len(out) + len(found) < self.width[0]:
            found += [(j, members) for _, j, members in self._knapsacks(i, is_left, floor)]
        for j, members in found:
            if len(out) >= self.width[0]:
                return
            if (j, tuple(members.tolist())) not in seen:
                seen.add((j, tuple(members.tolist())))
                out.append((j, members))

    def _knapsacks(
        self, i: int, is_left: NDArray[np.bool_], floor: int
    ) -> list[tuple[float, int, NDArray[np.int64]]]:
        """For each base within reach of item i: its best group holding i at the duals, with
        weight in ``[floor, U]``, as (reduced cost, base, members), smallest first."""
        pr, g = self.pr, self.guide
        out = []
        for j in np.flatnonzero(self.reach[i] & is_left & pr.openable).tolist():
            fixed = np.array([j] if i == j else [i, j], dtype=np.int64)
            wf = int(pr.w[fixed].sum())
            if wf > pr.hi:
                continue
            nb = np.flatnonzero(self.reach[:, j] & is_left)
            nb = nb[~np.isin(nb, fixed)]
            _, chosen = knapsack_window(
                pr.w[nb], g.pi[nb] - pr.cost[nb, j], lo=floor - wf, hi=pr.hi - wf
            )
            if chosen is None:
                continue
            members = np.sort(np.concatenate([fixed, nb[chosen]])).astype(np.int64)
            rc = float(pr.cost[members, j].sum() - g.pi[members].sum() - g.mu)
            out.append((rc, j, members))
        out.sort(key=lambda t: (t[0], t[1]))
        return out
