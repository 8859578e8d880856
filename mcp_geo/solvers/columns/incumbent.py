"""Plans for the columns engine: a diving heuristic on the master LP, the master as a MIP over
the generated columns, and a local search that polishes them. They only provide incumbents:
every bound and proof comes from the column generation and the solver.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pulp
from numpy.typing import NDArray

from mcp_geo.solvers._compact import plan_cost
from mcp_geo.solvers._greedy import greedy_plan
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, Presolve, RunResult, run_mip
from mcp_geo.solvers.rules import SolveOptions

if TYPE_CHECKING:
    from .master import Master
    from .pricing import Pricer

log = logging.getLogger(__name__)

Column = tuple[int, NDArray[np.int64], float]

PRESOLVE_MAX_COLUMNS = 60_000  # the set-partitioning MIP is presolved up to this many columns
FULL_PRESOLVE_MAX_COLUMNS = 10_000  # and fully up to this many, else lightly (see column_mip)


def dive(
    master: Master,
    pr: Pricer,
    order: list[Column],
    *,
    add: Callable[[list[tuple[int, NDArray[np.int64]]]], int],
    deadline: Deadline,
    until: float,
) -> NDArray[np.int64] | None:
    """Price-and-dive: fix the master's largest fractional column, re-price the rest, repeat.

    Returns the local base of every item, or None when the dive gets stuck or runs out of time.
    Changes the master's bounds (the master is not used for bounds afterwards).

    Parameters
    ----------
    master
        The restricted master (its bounds are changed).
    pr
        The part's pricer.
    order
        The master's columns in order (column ``n_art + k`` is ``order[k]``).
    add
        Adds columns to the master and the pool; returns how many were new.
    deadline
        The part's budget.
    until
        The deadline's elapsed seconds at which the dive stops.

    Returns
    -------
    NDArray[np.int64] | None
        The local base of every item, or None.
    """
    n = pr.n
    covered = np.zeros(n, dtype=bool)
    fixed = np.zeros(0, dtype=np.int64)
    base_local = np.full(n, -1)
    per_round = max(8, n // 8)
    try:
        while not covered.all() and deadline.elapsed() < until:
            pr.active = ~covered
            for _ in range(3 if n <= 200 else 1):
                z, pi, mu = master.solve()
                tol = 1e-9 * max(1.0, abs(z))
                rcb = pr.lp_rc(pi, mu)
                found = []
                for j in np.lexsort((np.arange(n), rcb))[:per_round]:
                    if rcb[j] >= -tol or deadline.elapsed() >= until:
                        break
                    rc, members = pr.exact(int(j), pi, mu)
                    if rc < -tol and members is not None:
                        found.append((int(j), members))
                if not add(found) or deadline.elapsed() >= until:
                    break
            master.solve()
            vals = np.array(master.h.getSolution().col_value)[master.n_art :]
            vals[fixed] = -1.0
            if len(vals) == 0:
                break
            k = int(np.argmax(vals))  # the first of the largest: deterministic
            if vals[k] <= 1e-9:  # the rest cannot make a group: repair below
                break
            j, members, _ = order[k]
            if covered[members].any():
                log.info("dive: column %d overlaps (value %g)", k, vals[k])
                return None
            master.h.changeColBounds(master.n_art + k, 1.0, 1.0)
            fixed = np.append(fixed, k)
            covered[members] = True
            base_local[members] = j
    finally:
        pr.active = None
    return _repair(pr, base_local, count=master.count)


def _repair(
    pr: Pricer, base_local: NDArray[np.int64], *, count: int | None
) -> NDArray[np.int64] | None:
    """Complete a dive: the greedy plan on the items left over, else the nearest group with room
    (with a fixed count: only when that makes the count)."""
    left = np.flatnonzero(base_local < 0)
    groups = len({int(b) for b in base_local.tolist() if b >= 0})
    if len(left) == 0:
        return base_local if count is None or groups == count else None
    allowed = np.zeros((len(left), len(left)), dtype=bool)
    for k, j in enumerate(left):
        allowed[np.isin(left, pr.nbr[j]), k] = True
    allowed[np.arange(len(left)), np.arange(len(left))] = pr.base_ok[left]
    rest = None if count is None else count - groups  # groups the greedy plan must add
    sub = None
    if rest is None or rest > 0:
        sub = greedy_plan(
            pr.w[left], pr.cost[np.ix_(left, left)], allowed, lo=pr.lo, hi=pr.hi, count=rest
        )
    if sub is not None:
        base_local[left] = left[sub]
        return base_local
    if rest is not None and rest != 0:
        return None
    load = {int(b): int(pr.w[base_local == b].sum()) for b in set(base_local.tolist()) if b >= 0}
    for i in left:
        fits = [
            (pr.cost[i, b], b)
            for b in sorted(load)
            if i in set(pr.nbr[b].tolist()) and load[b] + pr.w[i] <= pr.hi
        ]
        if not fits:
            return None
        _, b = min(fits)
        base_local[i] = b
        load[b] += int(pr.w[i])
    return base_local


def column_mip(
    inst: Instance,
    part: Part,
    cols: list[Column],
    *,
    options: SolveOptions,
    deadline: Deadline,
    time_limit: float | None = None,
    start: NDArray[np.int64] | None = None,
    cutoff: float | None = None,
) -> tuple[NDArray[np.int64] | None, float, RunResult]:
    """The set-partitioning master as a MIP over ``cols`` (PuLP); ``start``: local bases.

    Returns the plan (instance indices of the bases, or None), its cost and the solver's result.

    Parameters
    ----------
    inst, part
        The instance and the part.
    cols
        The columns (base, members, cost) the MIP chooses among (local indices).
    options
        Solver options.
    deadline
        The part's budget.
    time_limit
        A tighter limit than the deadline's, if given.
    start
        A plan (local bases) made of the columns, as a warm start.
    cutoff
        Only plans costing less count (see :func:`mcp_geo.solvers._run.run_mip`).
    """
    n = len(part.items)
    t_build = time.perf_counter()
    prob = pulp.LpProblem("hubs_set_partitioning", pulp.LpMinimize)
    lam = [prob.add_variable(f"lam_{k}", 0, 1, cat=pulp.LpInteger) for k in range(len(cols))]
    prob += pulp.LpAffineExpression([(v, c[2]) for v, c in zip(lam, cols, strict=True)])
    cover: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in range(n)]
    for v, (_, members, _) in zip(lam, cols, strict=True):
        for i in members.tolist():
            cover[i].append((v, 1.0))
    for i in range(n):
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression(cover[i]), pulp.LpConstraintEQ, f"cover[{i}]", 1.0
        )
    if part.count is not None:
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression([(v, 1.0) for v in lam]),
            pulp.LpConstraintEQ,
            "count",
            float(part.count),
        )
    warm = False
    if start is not None:
        chosen = {(int(j), tuple(np.flatnonzero(start == j).tolist())) for j in set(start.tolist())}
        for v, (j, members, _) in zip(lam, cols, strict=True):
            v.setInitialValue(1 if (j, tuple(members.tolist())) in chosen else 0)
        warm = True
    overhead = (1.5 if options.solver == "highs" else 3.0) * (time.perf_counter() - t_build)
    limit = 0.8 * (deadline.remaining() - overhead)
    if time_limit is not None:
        limit = min(limit, time_limit)
    # HiGHS's presolve ignores the time limit and takes minutes on the largest listings
    # (measured: 158,000 columns, 47 s in presolve against a 12 s limit; 30,000 columns: quick,
    # and twice as fast to the proof as without presolve). Light above FULL_PRESOLVE_MAX_COLUMNS:
    # its full presolve spent 7 of 15 s on Greater Manchester's first listing (27,000 columns;
    # light: 0.6 of 9 s; 26,874 columns on 5 December: 21.4 s full, 16.1 s light). Full below:
    # it removes dominated columns (Birmingham and Solihull's first listing, 6,843 columns:
    # 3,680 removed, 2.7-3.6 s to the listing's optimum, 970,552, where light took 16.5-19.3 s
    # and stopped at 972,668-973,389 within its gap, three seeds each). With a
    # start, no presolve: HiGHS 1.16 misvalues starts after presolve (see
    # :func:`mcp_geo.solvers._run.run_mip`), and the start prunes more than presolve does (staffs-stoke's last
    # listing: 0.25 s against 1.2 s). With a cutoff, full at any length: the cutoff lets it
    # remove far more (Birmingham and Solihull's closing listings, 12,037 columns: 17-18 s to
    # the proof, light 25-27 s, three seeds; 27,180 columns: 40 s, light not in 90 s)
    presolve: Presolve = "light" if len(cols) <= PRESOLVE_MAX_COLUMNS and not warm else "off"
    if presolve == "light" and (len(cols) <= FULL_PRESOLVE_MAX_COLUMNS or cutoff is not None):
        presolve = "root"  # without restarts (see run_mip); none happened on 25 listings
        # of 256-8,255 columns replayed, each as fast
    run = run_mip(
        prob, options=options, time_limit=limit, warm=warm, presolve=presolve, cutoff=cutoff
    )
    inc_base, inc_cost = None, np.inf
    if run.status in ("optimal", "feasible"):
        base_local = np.full(n, -1)
        for v, (j, members, _) in zip(lam, cols, strict=True):
            if run.values.get(v.name, 0.0) > 0.5:
                base_local[members] = j
        if (base_local >= 0).all():
            inc_base = part.items[base_local]
            inc_cost = plan_cost(inst, part.items, inc_base)
    return inc_base, inc_cost, run
