"""Branch and price over the labelled master: a stage's gap closed by proof.

When the best plan over the generated columns is short of the LP bound, the stage branches on
an item and a base (``i`` in the group based at ``j``, or not; ``i == j``: ``j`` a base or
not), best bound first: each node restricts the master's columns and the pricing
(:meth:`~._pricing.LabelledPricer.set_branch`) and generates columns until its LP is optimal.
A node whose LP bound cannot beat the plan (by a whole move, or by the travel gap) is closed; a
node whose assignment is whole is a plan (the master's MIP over its columns chooses the best
matching). The stage's bound is the least bound of the nodes still open when time runs out.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._master import Column, Duals, LabelledMaster
from ._pricing import LabelledPricer

log = logging.getLogger(__name__)

Decision = tuple[int, int, bool]  # item, base, whether the item must join that base
Generate = Callable[[float, Callable[[float], bool]], tuple[float, Duals | None]]


@dataclass(frozen=True)
class Search:
    """The stage being closed: its plan, its bound and how to tell them apart."""

    chosen: list[Column]
    value: float
    bound: float
    whole: bool  # whole-number objective (moves): a better plan is at least 1 better
    gap: float

    def closes(self, lower: float) -> bool:
        """Whether a node with this lower bound cannot hold a better plan."""
        if self.whole:
            return lower > self.value - 1.0 + 1e-6
        return lower >= self.value * (1.0 - self.gap) - 1e-9 * abs(self.value)


def _masks(n: int, decisions: tuple[Decision, ...]) -> tuple[NDArray[np.bool_], ...]:
    allow = np.ones((n, n), dtype=bool)
    must = np.zeros((n, n), dtype=bool)
    for i, j, join in decisions:
        if join:
            for k in {i, j}:  # i with base j, and so j its own base
                allow[k, :] = False
                allow[k, j] = True
                must[k, j] = True
        else:
            allow[i, j] = False
            if i == j:
                allow[:, j] = False
    return allow, must


def _consistent(col: Column, allow: NDArray[np.bool_], must: NDArray[np.bool_]) -> bool:
    j = col.base
    if not allow[col.members, j].all():
        return False
    needed = np.flatnonzero(must[:, j])
    return bool(np.isin(needed, col.members).all())


def _restrict(
    master: LabelledMaster, pricer: LabelledPricer, decisions: tuple[Decision, ...]
) -> None:
    allow, must = _masks(pricer.n, decisions)
    pricer.set_branch(allow, must)
    ok = np.array([_consistent(c, allow, must) for c in master.columns], dtype=bool)
    master.allow_columns(ok)


def _branch_pair(master: LabelledMaster, n: int) -> tuple[int, int] | None:
    """The most fractional base, else the most fractional item-base pair (None: whole)."""
    x = master.column_values()
    flow = np.zeros((n, n))
    for column, v in zip(master.columns, x, strict=True):
        if v > 1e-9:
            flow[column.members, column.base] += v
    frac = np.minimum(flow, 1.0 - flow)
    bases = np.diagonal(frac)
    if bases.max() > 1e-6:
        j = int(np.argmax(bases))
        return j, j
    if frac.max() <= 1e-6:
        return None
    item, base = np.unravel_index(int(np.argmax(frac)), frac.shape)
    return int(item), int(base)


def branch_and_price(
    master: LabelledMaster,
    pricer: LabelledPricer,
    *,
    search: Search,
    generate: Generate,
    choose: Callable[[float], list[Column] | None],
    stop_at: float,
) -> Search:
    """Close a stage's gap by branch and price, best bound first, until proof or time.

    Parameters
    ----------
    master, pricer
        The stage's master (its LP optimal at the root) and pricing.
    search
        The plan, its value and the root's bound.
    generate
        Column generation at the current node until the given time (or until its bound closes
        the node, by the given test): its bound, and the duals when its LP is optimal over
        every column (None: time ran out, the node closed, or no plan at the node).
    choose
        The master's MIP over the columns the node allows (until the given time): a plan or
        None.
    stop_at
        When to stop.

    Returns
    -------
    Search
        The best plan found and the proven bound (the root's at least).
    """
    counter = itertools.count()
    # best bound first, the deepest node first among equal bounds (it reaches plans sooner)
    heap: list[tuple[float, int, int, tuple[Decision, ...]]] = [
        (search.bound, 0, next(counter), ())
    ]
    nodes = 0
    while heap and time.perf_counter() < stop_at:
        lower, _, _, decisions = heapq.heappop(heap)
        if search.closes(lower):
            continue
        _restrict(master, pricer, decisions)
        node_bound, at = generate(stop_at, search.closes)
        nodes += 1
        if at is None:
            if time.perf_counter() >= stop_at and not search.closes(node_bound):
                heapq.heappush(heap, (lower, -len(decisions), next(counter), decisions))
            continue  # else no plan at this node
        node_bound = max(lower, node_bound)
        if search.closes(node_bound):
            continue
        pair = _branch_pair(master, pricer.n)
        if pair is None:  # whole assignment: the best labels among its columns
            found = choose(stop_at)
            value = math.inf if found is None else sum(map(master.cost, found))
            if found is not None and value < search.value:
                search = Search(found, value, search.bound, search.whole, search.gap)
            continue
        i, j = pair
        for join in (True, False):
            child = (*decisions, (i, j, join))
            heapq.heappush(heap, (node_bound, -len(child), next(counter), child))
    _restrict(master, pricer, ())
    open_bound = min((b for b, _, _, _ in heap), default=search.value)
    bound = max(search.bound, min(open_bound, search.value))
    if search.whole:
        bound = min(search.value, float(math.ceil(bound - 1e-6)))
    log.info(
        "branch and price: %d nodes, %d open; plan %.1f, bound %.1f",
        nodes, len(heap), search.value, bound,
    )  # fmt: skip
    return Search(search.chosen, search.value, bound, search.whole, search.gap)
