"""Branch-and-price for the columns engine: closing the gap the set-partitioning bound leaves.

A node of the tree is the part with some assignments decided: ``x_ij = 0`` (item i is not served
by base j; with ``i == j``, base j is closed) and ``x_ij = 1`` (item i is served by base j, which
is then open). Both keep pricing a bounded knapsack per base:

- ``x_ij = 0`` removes i from base j's knapsack;
- ``x_ij = 1`` puts i in every column of base j (the knapsack's window shifts by ``w_i`` and its
  value by ``pi_i - c_ij``) and removes i from every other base's knapsack (so base i, if
  ``i != j``, is closed).

At a node, column generation runs on the restricted master (one highspy LP for the whole tree,
warm started; columns of the shared pool that break the node's decisions get an upper bound 0).
At every iteration the Lagrangian bound ``L = sum pi + p mu + sum_j min(0, r_j)`` (``r_j``: the
LP-relaxed knapsack's bound on base j's best reduced cost, or the exact one where it was priced;
with a fixed count p, at the count's best dual :func:`.generation.count_dual`) is valid for the
node, so a node is pruned as soon as ``L`` reaches the incumbent (within the gap tolerance),
converged or not. A node whose LP solution is integral gives a plan (polished by
the local search of :mod:`mcp_geo.solvers._greedy`). Otherwise:

- **reduced-cost fixing** for the subtree: with the node's duals, a pair (i, j) whose LP-relaxed
  knapsack with i forced in already lifts the bound above the incumbent is set to 0 in both
  children (as the columns engine does at the root);
- **branching** on the most fractional ``x_ij = sum of lambda over columns of base j holding i``
  (ties to the smallest ``(i, j)``; :data:`BRANCH_ON_BASES` tries the bases ``y_j = x_jj``
  first: fewer nodes on north-staffs without it, measured);
- **node order**: the ``x_ij = 1`` child is explored next (a plunge) while the node's bound lies
  within :data:`PLUNGE` of the gap above the best open bound (SCIP's rule), else best bound
  first (ties: deeper, then older). No decision depends on the clock, so the search is
  deterministic when it ends by proof.

When the deadline comes the best plan is returned with the smallest bound of the nodes still
open or pruned within the tolerance: an honest certificate for the part.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._greedy import local_search
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.certificate import relative_gap

from .generation import lagrangian_bound
from .knapsack import knapsack_window, lp_bounds
from .master import Master
from .pricing import Pricer

log = logging.getLogger(__name__)

Column = tuple[int, NDArray[np.int64], float]
Knapsack = tuple[NDArray[np.int64], NDArray[np.int64], int, int]  # free, forced items; window
BRANCH_ON_BASES = False
PLUNGE = 0.25  # plunge into a child while its bound is within this share of the gap
_EPS = 1e-6  # a value of x or lambda this close to 0 or 1 counts as integral


@dataclass(frozen=True)
class TreeResult:
    """The outcome of a branch-and-price search.

    Attributes
    ----------
    base_local : NDArray[np.int64] | None
        The best plan (local base of every item), or None when none is known.
    objective : float
        Its cost (``inf`` without a plan).
    bound : float
        A valid lower bound on the part's optimum (at most ``objective``).
    nodes : int
        Nodes whose column generation ran.
    open_nodes : int
        Nodes left when the search stopped (0 after a proof).
    columns : int
        Columns in the tree's pool at the end.
    ended_by : str
        ``"proof"`` or ``"time_limit"``.
    """

    base_local: NDArray[np.int64] | None
    objective: float
    bound: float
    nodes: int
    open_nodes: int
    columns: int
    ended_by: str

    def __post_init__(self) -> None:
        if self.nodes < 0 or self.open_nodes < 0:
            raise ValueError(f"node counts must be >= 0, got {self.nodes}, {self.open_nodes}")
        if self.ended_by not in ("proof", "time_limit"):
            raise ValueError(f"ended_by must be 'proof' or 'time_limit', got {self.ended_by!r}")


@dataclass(frozen=True)
class _Node:
    bound: float
    depth: int
    forbid: tuple[tuple[int, int], ...]  # x_ij = 0
    force: tuple[tuple[int, int], ...]  # x_ij = 1


class _Tree:
    """The shared master, the column pool and per-node pricing."""

    def __init__(
        self,
        pr: Pricer,
        cols: list[Column],
        *,
        pairs: NDArray[np.bool_],
        count: int | None,
        big_m: float,
        threads: int,
    ) -> None:
        self.pr = pr
        self.n = pr.n
        self.count = count
        self.pairs = pairs  # pairs[i, j]: i may be served by j in a better plan
        self.master = Master(self.n, count=count, big_m=big_m, threads=threads)
        self.base = np.zeros(0, dtype=np.int64)
        self.member = np.zeros((0, self.n), dtype=bool)
        self.cols: list[Column] = []
        self.keys: set[tuple[int, tuple[int, ...]]] = set()
        self.add(cols)

    def add(self, cols: list[Column]) -> int:
        fresh: list[Column] = []
        for j, members, cost in cols:
            key = (int(j), tuple(members.tolist()))
            if key in self.keys or not self.pairs[members, j].all():
                continue
            self.keys.add(key)
            fresh.append((int(j), members, cost))
        if not fresh:
            return 0
        rows = np.zeros((len(fresh), self.n), dtype=bool)
        for k, (_, members, _) in enumerate(fresh):
            rows[k, members] = True
        self.base = np.concatenate([self.base, np.array([c[0] for c in fresh], dtype=np.int64)])
        self.member = np.concatenate([self.member, rows])
        self.cols.extend(fresh)
        self.master.add([(m, c) for _, m, c in fresh])
        return len(fresh)

    def allowed(self, node: _Node) -> NDArray[np.bool_]:
        """``a[i, j]``: item i may be served by base j at this node."""
        a = self.pairs.copy()
        for i, j in node.forbid:
            a[i, j] = False
        for i, j in node.force:
            a[i, :] = False
            a[i, j] = True
        return a

    def restrict(self, node: _Node, a: NDArray[np.bool_]) -> None:
        """Bound to 0 the pool's columns that break the node's decisions."""
        bad = (self.member & ~a[:, self.base].T).any(axis=1)
        for i, j in node.force:
            bad |= (self.base == j) & ~self.member[:, i]
        k = len(self.cols)
        off = self.master.n_art
        idx = np.arange(off, off + k, dtype=np.int32)
        upper = np.where(bad, 0.0, highspy.kHighsInf)
        self.master.h.changeColsBounds(k, idx, np.zeros(k), upper)

    def knapsacks(self, node: _Node, a: NDArray[np.bool_]) -> list[Knapsack | None]:
        """Per base: free items (nearest first), forced items, window; None when closed."""
        pr = self.pr
        forced: dict[int, list[int]] = {}
        for i, j in node.force:
            if i != j:
                forced.setdefault(j, []).append(i)
        out: list[Knapsack | None] = []
        for j in range(self.n):
            if not (pr.openable[j] and a[j, j]):
                out.append(None)
                continue
            f = np.array(sorted(forced.get(j, [])), dtype=np.int64)
            nb = pr.nbr[j]
            nb = nb[a[nb, j]]
            nb = nb[~np.isin(nb, f)]
            lo, hi = pr.window(j)
            wf = int(pr.w[f].sum())
            lo, hi = lo - wf, hi - wf
            if hi < 0 or int(pr.w[nb].sum()) < lo:
                out.append(None)
                continue
            out.append((nb, f, lo, hi))
        return out


def _lp_rc(
    tree: _Tree, ks: list[Knapsack | None], *, pi: NDArray[np.float64], mu: float
) -> NDArray[np.float64]:
    pr = tree.pr
    rc = np.full(tree.n, np.inf)
    for j, k in enumerate(ks):
        if k is None:
            continue
        nb, f, lo, hi = k
        value, _ = lp_bounds(pr.w[nb], pi[nb] - pr.cost[nb, j], lo=lo, hi=hi)
        const = float((pi[f] - pr.cost[f, j]).sum())
        rc[j] = -(pi[j] + const + value + mu)
    return rc


def _exact(
    tree: _Tree, ks: list[Knapsack | None], j: int, *, pi: NDArray[np.float64], mu: float
) -> tuple[float, NDArray[np.int64] | None]:
    """A lower bound on base j's best reduced cost at the node, and a best column when < 0."""
    pr = tree.pr
    knapsack = ks[j]
    assert knapsack is not None  # only open bases are priced
    nb, f, lo, hi = knapsack
    profits = pi[nb] - pr.cost[nb, j]
    const = float((pi[f] - pr.cost[f, j]).sum())
    base_value, forced = lp_bounds(pr.w[nb], profits, lo=lo, hi=hi, forced=True)
    if not np.isfinite(base_value):
        return np.inf, None
    t = -(pi[j] + const + forced + mu)
    keep = t < 0.0  # items that cannot be in a negative column are left out of the DP
    pr.dp_calls += 1
    value, chosen = knapsack_window(pr.w[nb[keep]], profits[keep], lo=lo, hi=hi)
    rc = -(pi[j] + const + value + mu) if np.isfinite(value) else np.inf
    dropped = float(t[~keep].min()) if (~keep).any() else np.inf
    lower = max(min(rc, dropped), -(pi[j] + const + base_value + mu))
    if chosen is None:
        return lower, None
    members = np.sort(np.concatenate([[j], f, nb[keep][chosen]])).astype(np.int64)
    return lower, members


def _fixings(
    tree: _Tree,
    ks: list[Knapsack | None],
    *,
    pi: NDArray[np.float64],
    mu: float,
    rcb: NDArray[np.float64],
    lag: float,
    best: float,
) -> tuple[tuple[int, int], ...]:
    """Pairs no plan of the node cheaper than ``best`` uses (as in :mod:`.driver`, step 5).

    A plan that assigns i to j costs at least ``lag - min(0, r_j) + r_ij`` (``r_ij``: the
    LP-relaxed knapsack of base j with i forced in); ``(j, j)`` closes base j.
    """
    pr = tree.pr
    limit = best - 1e-9 * max(1.0, abs(best))
    out: list[tuple[int, int]] = []
    for j, k in enumerate(ks):
        if k is None:
            continue
        rest = lag - min(0.0, rcb[j])
        if rest + rcb[j] > limit:
            out.append((j, j))
            continue
        nb, f, lo, hi = k
        const = float((pi[f] - pr.cost[f, j]).sum())
        _, forced = lp_bounds(pr.w[nb], pi[nb] - pr.cost[nb, j], lo=lo, hi=hi, forced=True)
        rc_pair = np.maximum(-(pi[j] + const + forced + mu), rcb[j])
        out.extend((int(i), j) for i in nb[rest + rc_pair > limit])
    return tuple(out)


def _column_generation(
    tree: _Tree,
    ks: list[Knapsack | None],
    *,
    bound: float,
    closes: Callable[[float], bool],
    deadline: Deadline,
) -> tuple[float, bool, NDArray[np.float64], float, NDArray[np.float64], float]:
    """Column generation at a node until it converges, closes or the time is up.

    Returns the node's bound (the best Lagrangian bound seen: valid whether or not it
    converged), whether it converged, and the last duals, reduced-cost bounds and ``sum pi + p mu``.
    """
    pr, n = tree.pr, tree.n
    per_round = max(8, n // 8)
    converged = False
    while True:
        z, pi, mu = tree.master.solve()
        tol = 1e-9 * max(1.0, abs(z))
        rcb = _lp_rc(tree, ks, pi=pi, mu=mu)
        ell = float(pi.sum() + (tree.count or 0) * mu)
        bound = max(bound, lagrangian_bound(ell, rcb, mu=mu, count=tree.count)[0])
        if closes(bound) or deadline.remaining() <= 0:
            break
        queue = [int(j) for j in np.lexsort((np.arange(n), rcb)) if rcb[j] < -tol]
        found: list[Column] = []
        priced = 0
        for j in queue:
            if deadline.remaining() <= 0:
                break
            rc_j, members = _exact(tree, ks, j, pi=pi, mu=mu)
            rcb[j] = max(rcb[j], rc_j)
            priced += 1
            if rc_j < -tol and members is not None:
                found.append((j, members, pr.column_cost(j, members)))
            if len(found) >= per_round:
                break
        bound = max(bound, lagrangian_bound(ell, rcb, mu=mu, count=tree.count)[0])
        if closes(bound):
            break
        if not found:
            converged = priced == len(queue)  # else the time ran out
            break
        if tree.add(found) == 0:  # nothing new within the LP's tolerances
            converged = True
            break
    return bound, converged, pi, mu, rcb, ell


def branch_and_price(
    pr: Pricer,
    cols: list[Column],
    *,
    pairs: NDArray[np.bool_],
    count: int | None,
    big_m: float,
    incumbent: NDArray[np.int64] | None,
    incumbent_cost: float,
    root_bound: float,
    gap: float,
    threads: int,
    deadline: Deadline,
) -> TreeResult:
    """Search the branch-and-price tree of one part.

    Parameters
    ----------
    pr : Pricer
        The part's knapsack data.
    cols : list of (base, members, cost)
        Columns to start from (the pool of the root's column generation).
    pairs : NDArray[np.bool_]
        ``pairs[i, j]``: item i may be served by base j in a plan better than the incumbent
        (after reduced-cost fixing); pairs outside are never used.
    count : int | None
        The fixed number of groups, if any.
    big_m : float
        Cost of the master's artificial columns.
    incumbent, incumbent_cost : NDArray[np.int64] | None, float
        The best known plan (local bases) and its cost (``inf`` without one).
    root_bound : float
        A valid lower bound on the part's optimum (the root's Lagrangian bound).
    gap : float
        Relative gap at which a node counts as closed.
    threads : int
        Threads for HiGHS.
    deadline : Deadline
        The shared wall-clock budget; the only thing that can stop the search early.

    Returns
    -------
    TreeResult
    """
    search = _Search(
        _Tree(pr, cols, pairs=pairs, count=count, big_m=big_m, threads=threads),
        incumbent=incumbent,
        incumbent_cost=incumbent_cost,
        gap=gap,
        big_m=big_m,
    )
    search.push(root_bound, 0, _Node(root_bound, 0, (), ()))
    while (search.heap or search.plunge is not None) and deadline.remaining() > 0:
        node, bound0 = search.next_node()
        if search.closes(bound0):
            search.closed_min = min(search.closed_min, bound0)
            continue
        search.nodes += 1
        if not search.visit(node, bound0, deadline=deadline):
            break  # out of time: the node stays open
    return search.result()


class _Search:
    """The tree's open nodes, the best plan and the bounds of the nodes closed so far."""

    def __init__(
        self,
        tree: _Tree,
        *,
        incumbent: NDArray[np.int64] | None,
        incumbent_cost: float,
        gap: float,
        big_m: float,
    ) -> None:
        self.tree, self.gap, self.big_m = tree, gap, big_m
        self.best_plan = None if incumbent is None else incumbent.copy()
        self.best = float(incumbent_cost)
        self.closed_min = np.inf  # smallest bound of nodes pruned within the tolerance
        self.heap: list[tuple[float, int, int, _Node]] = []
        self.serial = -1
        self.nodes = 0
        pr, n = tree.pr, tree.n
        self.reach = np.zeros((n, n), dtype=bool)  # for the local search
        for j in range(n):
            self.reach[pr.nbr[j], j] = True
        self.reach[np.arange(n), np.arange(n)] = pr.base_ok
        self.plunge: _Node | None = None  # the child to explore next (depth first while promising)

    def closes(self, bound: float) -> bool:
        """Whether a node with this bound cannot hold a plan better than the gap allows."""
        if not np.isfinite(self.best):
            return bound >= self.big_m  # no plan: only a node needing artificial columns is closed
        g = relative_gap(self.best, bound)
        return g is not None and g <= self.gap

    def push(self, bound: float, depth: int, node: _Node) -> None:
        self.serial += 1
        heapq.heappush(self.heap, (bound, -depth, self.serial, node))

    def next_node(self) -> tuple[_Node, float]:
        """The plunge child if there is one, else the open node of the best bound."""
        if self.plunge is not None:
            node, self.plunge = self.plunge, None
            return node, node.bound
        bound0, _, _, node = heapq.heappop(self.heap)
        return node, bound0

    def visit(self, node: _Node, bound0: float, *, deadline: Deadline) -> bool:
        """Column generation at a node, then prune, take its plan or branch; False when the
        time ran out before the node converged (it is left open)."""
        tree = self.tree
        a = tree.allowed(node)
        ks = tree.knapsacks(node, a)
        tree.restrict(node, a)
        node_bound, converged, pi, mu, rcb, ell = _column_generation(
            tree, ks, bound=bound0, closes=self.closes, deadline=deadline
        )
        if self.closes(node_bound):
            self.closed_min = min(self.closed_min, node_bound)
            return True
        if not converged:
            self.push(node_bound, node.depth, node)
            return False
        x, art = self._lp_solution()
        frac = np.minimum(x, 1.0 - x)
        if art.sum() <= _EPS and frac.max() <= _EPS:  # integral: a plan
            self._take_plan(x, node_bound)
        elif frac.max() <= _EPS:  # artificial columns used, nothing to branch on: left open
            log.info(
                "branch: node %d has no branching pair (artificials %.3g)", self.nodes, art.sum()
            )
            self.closed_min = min(self.closed_min, node_bound)
        else:
            forbid = node.forbid
            if np.isfinite(self.best):  # reduced-cost fixing for the subtree
                lag = ell + float(np.minimum(rcb, 0).sum())
                fixings = _fixings(tree, ks, pi=pi, mu=mu, rcb=rcb, lag=lag, best=self.best)
                forbid = forbid + fixings
            self._branch(node, node_bound, frac=frac, forbid=forbid)
        return True

    def _lp_solution(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``x[i, j]`` (the master's columns summed per pair) and the artificial columns' values."""
        tree, n = self.tree, self.tree.n
        lam = np.array(tree.master.h.getSolution().col_value)
        art, lam = lam[: tree.master.n_art], lam[tree.master.n_art :]
        use = np.flatnonzero(lam > 1e-9)
        x = np.zeros((n, n))
        for k in use.tolist():
            x[tree.cols[k][1], tree.cols[k][0]] += lam[k]
        return x, art

    def _take_plan(self, x: NDArray[np.float64], node_bound: float) -> None:
        """An integral node: its plan, polished, may be the new best; the node is closed."""
        pr, n = self.tree.pr, self.tree.n
        plan = np.argmax(x, axis=1).astype(np.int64)
        plan = local_search(plan, pr.w, pr.cost, allowed=self.reach, lo=pr.lo, hi=pr.hi)
        cost = float(pr.cost[np.arange(n), plan].sum())
        if cost < self.best - 1e-9:
            self.best, self.best_plan = cost, plan
            log.info("branch: node %d, plan %.1f (bound %.1f)", self.nodes, cost, node_bound)
        self.closed_min = min(
            self.closed_min, node_bound
        )  # >= the plan's cost when the LP is exact

    def _branch(
        self,
        node: _Node,
        node_bound: float,
        *,
        frac: NDArray[np.float64],
        forbid: tuple[tuple[int, int], ...],
    ) -> None:
        """Two children on the most fractional pair; plunge into ``x_ij = 1`` while promising."""
        diag = np.diagonal(frac).copy()
        if BRANCH_ON_BASES and diag.max() > _EPS:
            i = j = int(np.argmax(diag))
        else:
            i, j = (int(v) for v in np.unravel_index(int(np.argmax(frac)), frac.shape))
        one = _Node(node_bound, node.depth + 1, forbid, (*node.force, (i, j)))
        zero = _Node(node_bound, node.depth + 1, (*forbid, (i, j)), node.force)
        first, second = one, zero  # forcing fixes more: plunges reach plans
        low = min((h[0] for h in self.heap), default=node_bound)
        best = self.best
        if not np.isfinite(best) or node_bound <= low + PLUNGE * (best - low):
            self.plunge = first  # SCIP's rule: plunge while the node is near the best bound
        else:
            self.push(node_bound, first.depth, first)
        self.push(node_bound, second.depth, second)

    def result(self) -> TreeResult:
        """The best plan and the smallest bound of the nodes open or closed within the gap."""
        if self.plunge is not None:
            self.push(self.plunge.bound, self.plunge.depth, self.plunge)
        open_min = min((h[0] for h in self.heap), default=np.inf)
        bound = min(self.best, self.closed_min, open_min)
        ended = "proof" if not self.heap else "time_limit"
        log.info(
            "branch: %d nodes, %d open, %d columns, plan %.1f, bound %.1f (%s)",
            self.nodes,
            len(self.heap),
            len(self.tree.cols),
            self.best,
            bound,
            ended,
        )
        return TreeResult(
            base_local=self.best_plan,
            objective=self.best,
            bound=bound,
            nodes=self.nodes,
            open_nodes=len(self.heap),
            columns=len(self.tree.cols),
            ended_by=ended,
        )
