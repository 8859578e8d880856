"""A bound on a least-exception part's travel with its shortfall held, by column generation.

The travel stage of a least-exception part (:mod:`mcp_geo.solvers._shortfall`) minimises the
travel of plans whose groups are short of the floor by at most ``held`` patients in all. Its
bound was the compact model's alone, which on North East and North Cumbria's part (301 items)
stays 1.3-1.4% below the plan in a minute. Here the set-partitioning LP with its cuts gives
one: a column may weigh less than the floor (its shortfall ``lo - w`` in the master's floor
row, ``sum_k short_k lambda_k <= held``, dual ``-s <= 0``), and its reduced cost

    ``c_k - sum_{i in k} pi_i - mu + s (lo - w_k) = sum_{i in k} (c_ij - pi_i - s w_i) - (mu - s lo)``

is an ordinary column's at duals ``pi_i + s w_i`` and count dual ``mu - s lo``, in the window
``[0, lo - 1]``: a second pricer (:class:`mcp_geo.solvers.columns.pricing.Pricer` over that
window) prices the undersized columns, the first the others, and column generation with its
cuts (:mod:`.generation`) runs over both (base ``j`` of the first, ``n + j`` of the second).
At any duals, ``L = sum pi + p mu + sigma rhs - s held + sum min(0, r)`` over both pricers'
bases is a valid bound (a plan uses at most one column of each base, of either kind, and
meets the floor row); at convergence it is the LP's value.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers import progress
from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline

from .cuts import Cuts
from .generation import ColumnGeneration
from .listing import columns_of
from .master import Master
from .pricing import Pricer

log = logging.getLogger(__name__)


class _HeldPricer:
    """The full columns' pricer and the undersized columns' as one (bases ``0..n-1`` and
    ``n..2n-1``), the undersized ones priced at the floor row's dual (read from the master)."""

    def __init__(self, full: Pricer, under: Pricer, master: Master) -> None:
        self.full, self.under, self.master = full, under, master
        self.n = full.n
        self.lo = full.lo

    def _s(self) -> float:
        return -self.master.floor_dual  # >= 0: the price of a patient below the floor

    def _under_duals(self, pi: NDArray[np.float64], mu: float) -> tuple[NDArray[np.float64], float]:
        s = self._s()
        return pi + s * self.full.w, mu - s * self.lo

    def group_range(self, columns: list[NDArray[np.int64]]) -> None:
        """No range of group counts: undersized groups may make any number (the plain bound)."""
        return

    def lp_rc(self, pi: NDArray[np.float64], mu: float) -> NDArray[np.float64]:
        """Lower bounds on every base's best reduced cost, full then undersized columns."""
        return np.concatenate(
            [self.full.lp_rc(pi, mu), self.under.lp_rc(*self._under_duals(pi, mu))]
        )

    def greedy_column(
        self, j: int, pi: NDArray[np.float64], mu: float
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A cheap column of base ``j`` (its kind by ``j``)."""
        if j < self.n:
            return self.full.greedy_column(j, pi, mu)
        return self.under.greedy_column(j - self.n, *self._under_duals(pi, mu))

    def exact(
        self,
        j: int,
        pi: NDArray[np.float64],
        mu: float,
        *,
        cuts: tuple[Cuts, NDArray[np.float64]] | None = None,
        deferred: list[int] | None = None,
    ) -> tuple[float, NDArray[np.int64] | None]:
        """Exact pricing of base ``j`` (its kind by ``j``; see :meth:`.pricing.Pricer.exact`)."""
        if j < self.n:
            return self.full.exact(j, pi, mu, cuts=cuts, deferred=deferred)
        waiting: list[int] | None = None if deferred is None else []
        found = self.under.exact(
            j - self.n, *self._under_duals(pi, mu), cuts=cuts, deferred=waiting
        )
        if deferred is not None and waiting:
            deferred.extend(k + self.n for k in waiting)
        return found

    def column_cost(self, j: int, members: NDArray[np.int64]) -> float:
        """A column's cost in pricing's terms: its travel, and for an undersized column its
        shortfall at the floor row's dual."""
        base = j if j < self.n else j - self.n
        return self.full.column_cost(base, members) + self._s() * self.master.shortfall(members)

    def penalty(self, members: NDArray[np.int64], cuts: tuple[Cuts, NDArray[np.float64]]) -> float:
        """What the cuts add to a column's reduced cost."""
        return self.full.penalty(members, cuts)


def held_travel_bound(
    inst: Instance,
    part: Part,
    start: NDArray[np.int64],
    *,
    held: int,
    threads: int,
    seconds: float,
) -> float:
    """A lower bound on the travel of the part's plans short of the floor by at most ``held``.

    Parameters
    ----------
    inst, part
        The instance and the least-exception part (``part.count``: a count held, or None).
    start
        A plan of the part within ``held`` (instance index of each item's base): its groups are
        the first columns.
    held
        The patients below the floor a plan may have, in all.
    threads
        For the master LP and the pricing MIPs.
    seconds
        The time given (the bound is valid whenever stopped).

    Returns
    -------
    float
        The bound (0 when generation found none above 0).
    """
    t0 = time.perf_counter()
    deadline = Deadline(seconds)
    full = Pricer(inst, part, threads)
    under = Pricer(inst, dataclasses.replace(part, lo=0, hi=part.lo - 1), threads)
    # an artificial column's cost, far above any plan's: the floor row's dual prices a patient
    # short at thousands of patient-km (1,714-5,749 on North East and North Cumbria), and at
    # the usual cost covering an item artificially beat an undersized column in the LP
    big_m = 100 * (full.most_cost + 1.0)
    master = Master(
        full.n,
        count=part.count,
        big_m=big_m,
        threads=threads,
        floor=(full.w, part.lo, float(held)),
    )
    pricer = _HeldPricer(full, under, master)
    seen: set[tuple[int, ...]] = set()

    def add(cols: list[tuple[int, NDArray[np.int64]]]) -> int:
        fresh = []
        for j, members in cols:
            base = j if j < full.n else j - full.n
            key = (base, *members.tolist())
            if key not in seen:
                seen.add(key)
                fresh.append((members, full.column_cost(base, members)))
        master.add(fresh)
        return len(fresh)

    position = {int(g): k for k, g in enumerate(part.items)}
    add(columns_of(np.array([position[int(b)] for b in start], dtype=np.int64)))
    add(full.initial_columns())
    generation = ColumnGeneration(master, pricer, add=add, count=part.count, deadline=deadline)  # type: ignore[arg-type]
    travel = plan_cost(inst, part.items, start)
    progress.report("travel bound by columns", best=travel, bound=None)
    with progress.muted():  # its records would say "no plan yet": the stage has one
        gen = generation.run(budget=seconds)
    bound = max(gen.best_l, 0.0)
    log.info(
        "shortfall held: columns bound %.1f (%s, %d iterations, %d columns, %d cuts) in %.2fs",
        bound,
        "converged" if gen.converged else "stopped",
        gen.iterations,
        len(seen),
        len(master.cuts),
        time.perf_counter() - t0,
    )
    return bound
