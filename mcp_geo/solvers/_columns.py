"""The columns engine: set partitioning by column generation, closed by reduced-cost fixing.

A column is a base j and the set S of items it serves (j in S, every item within ``max_km`` of
j, weight of S within [L, U]); its cost is ``sum_{i in S} c_ij``. The master problem chooses
columns covering every item exactly once (and, with a fixed count, exactly p columns).

1. **Initial columns**: for every base, its nearest items until the floor is reached (a greedy
   plan in pieces); artificial columns (cost M) keep the first master feasible.
2. **Column generation**: the restricted master LP is solved with HiGHS (``highspy``, warm
   started as columns are added) for its duals; pricing is one knapsack per base
   (:mod:`._pricing`), exact by dynamic programming over the integer list sizes. Bases whose
   LP-relaxed knapsack already shows no negative reduced cost are skipped (partial pricing, in
   order of the relaxed bound). Duals are smoothed (Wentges: price at a convex combination of
   the best-bound duals and the master's, falling back to the master's on a mis-price).
3. **Lower bound**: at any duals (pi, mu), the Lagrangian bound
   ``L = sum pi + p mu + sum_j min(0, rc_j)`` is valid when ``rc_j`` is a lower bound on the
   best reduced cost of a column with base j (exact DP value, or the LP-relaxed knapsack's); at
   convergence it equals the master LP value, the set-partitioning bound.
4. **Incumbent**: the master as a MIP over the generated columns (PuLP, HiGHS or CBC).
5. **Closing the gap honestly** (the hybrid, rather than branch-and-price): any plan that opens
   base j costs at least ``L - min(0, rc_j) + rc_j``, and any plan assigning item i to base j at
   least ``L - min(0, rc_j) + rc_ij`` with ``rc_ij`` a lower bound with i forced in (LP-relaxed
   knapsack). Bases and pairs whose bound exceeds the incumbent cannot be in a better plan and
   are removed; the shrunken compact model (:mod:`._compact`, same equations) is solved by the
   MIP solver warm-started with the incumbent. A plan outside it costs more than the incumbent,
   so its proof (and its bound) holds for the whole part; the certificate's bound is the larger
   of that bound and L.

Why this and not branch-and-price: the set-partitioning bound is what makes the difference
(within about 1% of the optimum, against >10% for the compact LP), and reduced-cost fixing turns
it into a much smaller compact model that HiGHS closes quickly, while keeping every proof the
solver's own. Branch-and-price in Python would need its own tree search and node management.
"""

from __future__ import annotations

import logging
import time

import highspy
import numpy as np
from numpy.typing import NDArray

from ._compact import PartResult, objective_name, plan_cost, solve_compact
from ._enumerate import MAX_COLUMNS, subsets_within
from ._greedy import greedy_plan
from ._incumbent import column_mip, dive, local_polish
from ._instance import Instance, Part
from ._pricing import knapsack_window, lp_bounds
from ._run import Deadline, quiet_highs_banner, threads_for
from .certificate import Certificate, ModelSize, relative_gap
from .rules import SolveOptions

log = logging.getLogger(__name__)


class _Master:
    """The restricted master LP in highspy, with artificial columns."""

    def __init__(self, n: int, count: int | None, big_m: float, threads: int) -> None:
        self.n = n
        self.count = count
        quiet_highs_banner()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        rows = n + (count is not None)
        rhs = np.ones(rows)
        if count is not None:
            rhs[n] = float(count)
        h.addRows(rows, rhs, rhs, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        for r in range(rows):
            h.addCol(big_m, 0.0, highspy.kHighsInf, 1, np.array([r], np.int32), np.array([1.0]))
        if count is not None:
            h.addCol(big_m, 0.0, highspy.kHighsInf, 1, np.array([n], np.int32), np.array([-1.0]))
        self.h = h
        self.n_art = rows + (count is not None)

    def add(self, columns: list[tuple[NDArray[np.int64], float]]) -> None:
        if not columns:
            return
        starts, idx, vals, costs = [], [], [], []
        for members, cost in columns:
            starts.append(len(idx))
            rows = members.tolist() + ([self.n] if self.count is not None else [])
            idx.extend(rows)
            vals.extend([1.0] * len(rows))
            costs.append(cost)
        k = len(columns)
        self.h.addCols(
            k,
            np.array(costs),
            np.zeros(k),
            np.full(k, highspy.kHighsInf),
            len(idx),
            np.array(starts, np.int32),
            np.array(idx, np.int32),
            np.array(vals),
        )

    def solve(self) -> tuple[float, NDArray[np.float64], float]:
        self.h.run()
        sol = self.h.getSolution()
        duals = np.array(sol.row_dual)
        z = float(self.h.getInfo().objective_function_value)
        mu = float(duals[self.n]) if self.count is not None else 0.0
        return z, duals[: self.n], mu


class _Pricer:
    """Per-base knapsack data of one part."""

    def __init__(self, inst: Instance, part: Part) -> None:
        items = part.items
        self.n = n = len(items)
        self.w = inst.weights[items].astype(np.int64)
        self.cost = inst.cost[np.ix_(items, items)]
        allowed = inst.allowed[np.ix_(items, items)]
        self.lo, self.hi = part.lo, inst.hi
        self.nbr: list[NDArray[np.int64]] = []
        self.openable = np.zeros(n, dtype=bool)
        for j in range(n):
            cand = np.flatnonzero(allowed[:, j])
            cand = cand[cand != j]
            cand = cand[np.lexsort((cand, self.cost[cand, j]))]  # nearest first, then by code
            self.nbr.append(cand)
            self.openable[j] = self.w[j] <= self.hi and self.w[j] + self.w[cand].sum() >= self.lo
        self.dp_calls = 0
        self.active: NDArray[np.bool_] | None = None  # items still to cover (while diving)

    def _nb(self, j: int) -> NDArray[np.int64]:
        nb = self.nbr[j]
        return nb if self.active is None else nb[self.active[nb]]

    def _bases(self) -> NDArray[np.int64]:
        ok = self.openable if self.active is None else self.openable & self.active
        return np.flatnonzero(ok)

    def initial_columns(self) -> list[tuple[int, NDArray[np.int64]]]:
        out = []
        for j in np.flatnonzero(self.openable):
            tot = int(self.w[j])
            members = [int(j)]
            for i in self.nbr[j]:
                if tot >= self.lo:
                    break
                if tot + self.w[i] <= self.hi:
                    members.append(int(i))
                    tot += int(self.w[i])
            if self.lo <= tot <= self.hi:
                out.append((int(j), np.array(sorted(members), dtype=np.int64)))
        return out

    def window(self, j: int) -> tuple[int, int]:
        return self.lo - int(self.w[j]), self.hi - int(self.w[j])

    def lp_rc(self, pi: NDArray[np.float64], mu: float) -> NDArray[np.float64]:
        """Lower bounds on every base's best reduced cost (LP-relaxed knapsacks)."""
        rc = np.full(self.n, np.inf)
        for j in self._bases():
            nb = self._nb(j)
            lo, hi = self.window(j)
            value, _ = lp_bounds(self.w[nb], pi[nb] - self.cost[nb, j], lo, hi)
            rc[j] = -(pi[j] + value + mu)
        return rc

    def exact(
        self, j: int, pi: NDArray[np.float64], mu: float, theta: float = 0.0
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A lower bound on the best reduced cost of a column with base j, and a best column.

        Items whose LP bound with the item forced in already gives a reduced cost >= ``theta``
        are left out of the dynamic programme: the value returned is then exact when it is below
        ``theta`` and a valid lower bound (at least ``theta``, or the DP value) otherwise.
        """
        nb = self._nb(j)
        lo, hi = self.window(j)
        profits = pi[nb] - self.cost[nb, j]
        base_value, forced = lp_bounds(self.w[nb], profits, lo, hi, forced=True)
        if not np.isfinite(base_value):
            return np.inf, None
        t = -(pi[j] + forced + mu)  # type: ignore[operator]
        keep = t < theta
        self.dp_calls += 1
        value, chosen = knapsack_window(self.w[nb[keep]], profits[keep], lo, hi)
        rc = -(pi[j] + value + mu) if np.isfinite(value) else np.inf
        dropped = float(t[~keep].min()) if (~keep).any() else np.inf
        lower = max(min(rc, dropped), -(pi[j] + base_value + mu))
        if not np.isfinite(value):
            return lower, None
        members = np.sort(np.concatenate([[j], nb[keep][chosen]])).astype(np.int64)
        return lower, members

    def greedy_column(
        self, j: int, pi: NDArray[np.float64], mu: float
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A cheap column for base j (rounding the LP knapsack): reduced cost and members."""
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
        return float(self.cost[members, j].sum())


def solve_columns(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """Solve one part with the columns engine (see the module docstring)."""
    t0 = time.perf_counter()
    pr = _Pricer(inst, part)
    n = pr.n
    count = part.count
    big_m = (
        float(np.where(inst.allowed[np.ix_(part.items, part.items)], pr.cost, 0).max(axis=1).sum())
        + 1.0
    )
    master = _Master(n, count, big_m, threads_for(options))
    pool: dict[tuple[int, tuple[int, ...]], tuple[int, NDArray[np.int64], float]] = {}
    order: list[tuple[int, NDArray[np.int64], float]] = []  # master column n_art + k

    def add(cols: list[tuple[int, NDArray[np.int64]]]) -> int:
        fresh = []
        for j, members in cols:
            key = (j, tuple(members.tolist()))
            if key not in pool:
                pool[key] = (j, members, pr.column_cost(j, members))
                order.append(pool[key])
                fresh.append((members, pool[key][2]))
        master.add(fresh)
        return len(fresh)

    add(pr.initial_columns())
    greedy = greedy_plan(
        pr.w, pr.cost, inst.allowed[np.ix_(part.items, part.items)], pr.lo, pr.hi, count
    )
    if greedy is not None:
        add([(int(j), np.flatnonzero(greedy == j)) for j in sorted(set(greedy.tolist()))])
    cg_budget = 0.5 * deadline.remaining()
    per_round = max(8, n // 8)
    best_l, best_pi, best_mu = -np.inf, None, 0.0
    pi_stab: NDArray[np.float64] | None = None
    alpha = 0.5
    converged = False
    iters = 0
    z = np.inf
    while deadline.elapsed() < cg_budget:
        iters += 1
        z, pi_rmp, mu_rmp = master.solve()
        smooth = pi_stab is not None and alpha > 0
        pi = alpha * pi_stab + (1 - alpha) * pi_rmp if smooth else pi_rmp  # type: ignore[operator]
        mu = mu_rmp  # the count's dual is not smoothed
        rcb = pr.lp_rc(pi, mu)
        tol = 1e-9 * max(1.0, abs(z))
        queue = [int(j) for j in np.lexsort((np.arange(n), rcb)) if rcb[j] < -tol]
        found: list[tuple[int, NDArray[np.int64]]] = []
        for j in queue[: 2 * per_round]:  # cheap columns first; exact pricing when none
            rc_g, members = pr.greedy_column(j, pi, mu)
            if members is not None and rc_g < -tol:
                rc_rmp = pr.column_cost(j, members) - pi_rmp[members].sum() - mu_rmp
                if rc_rmp < -tol:
                    found.append((j, members))
        if found:
            lag = float(pi.sum() + (count or 0) * mu + np.minimum(rcb, 0).sum())
            if lag > best_l:
                best_l, best_pi, best_mu = lag, pi.copy(), mu
                pi_stab = pi.copy()
            add(found)
            alpha = 0.5 if pi_stab is not None else 0.0
            continue
        done = 0
        for j in queue:
            if deadline.elapsed() >= cg_budget:
                break
            rc_j, members = pr.exact(j, pi, mu)
            rcb[j] = max(rcb[j], rc_j)
            done += 1
            if rc_j < -tol and members is not None:
                # keep it if it prices out at the master's duals
                rc_rmp = pr.column_cost(j, members) - pi_rmp[members].sum() - mu_rmp
                if rc_rmp < -tol:
                    found.append((j, members))
            if len(found) >= per_round and done >= per_round:
                break
        complete = done == len(queue)
        lag = float(pi.sum() + (count or 0) * mu + np.minimum(rcb, 0).sum())
        if lag > best_l:
            best_l, best_pi, best_mu = lag, pi.copy(), mu
            pi_stab = pi.copy()
        added = add(found)
        if added == 0:
            if smooth:
                alpha = 0.0  # mis-price: next round at the master's duals
                continue
            if complete:
                converged = True
                best_l = max(best_l, z)
                best_pi, best_mu = pi_rmp.copy(), mu_rmp
                break
        else:
            alpha = 0.5 if pi_stab is not None else 0.0
        if z - best_l <= 1e-7 * max(1.0, abs(z)):
            converged = True
            break
    log.info(
        "columns: %d items, %d iterations, %d columns, %d knapsacks, LP %.1f, bound %.1f"
        " (%s) in %.2fs",
        n,
        iters,
        len(pool),
        pr.dp_calls,
        z,
        best_l,
        "converged" if converged else "stopped",
        time.perf_counter() - t0,
    )

    size = ModelSize(columns_generated=len(pool), parts=0)
    if best_pi is None:  # not even one pricing round: the plain compact model
        result, _, _ = solve_compact(
            inst, part, options=options, deadline=deadline, engine="columns"
        )
        return result

    # 4. exact reduced costs at the best duals: the bound L and the Lagrangian cut (E8)
    pi, mu = best_pi, best_mu
    rcb = pr.lp_rc(pi, mu)
    theta = 0.05 * abs(best_l) + 1.0
    for j in np.flatnonzero(np.isfinite(rcb) & (rcb < theta)):
        rcb[j] = max(rcb[j], pr.exact(int(j), pi, mu, theta)[0])
    ell = float(pi.sum() + (count or 0) * mu)
    bound = max(best_l, ell + float(np.minimum(rcb, 0).sum()), 0.0)  # costs are >= 0

    # 5. incumbents: price-and-dive, the master MIP over the generated columns, the greedy plan;
    #    each polished by local search; the best one is kept
    plans: list[NDArray[np.int64]] = [] if greedy is None else [greedy]
    dived = dive(master, pr, order, add, deadline, deadline.elapsed() + 0.15 * deadline.remaining())
    log.info("columns: dive %s", "found a plan" if dived is not None else "stuck")
    if dived is not None:
        plans.append(dived)
    mip_base, _, inc_run = column_mip(
        inst, part, order, options, deadline, time_limit=min(0.1 * deadline.remaining(), 10.0)
    )
    if mip_base is not None:
        pos = {int(g): k for k, g in enumerate(part.items)}
        plans.append(np.array([pos[int(g)] for g in mip_base]))
    inc_base, inc_cost = None, np.inf
    for plan in plans:
        polished = part.items[local_polish(inst, part, plan)]
        cost = plan_cost(inst, part.items, polished)
        log.info(
            "columns: plan %.1f, polished %.1f", plan_cost(inst, part.items, part.items[plan]), cost
        )
        if cost < inc_cost - 1e-9:
            inc_base, inc_cost = polished, cost
    if inc_base is None:
        used = np.zeros((n, n), dtype=bool)
        for j, members, _ in order:
            used[members, j] = True
        heur, _, _ = solve_compact(
            inst,
            part,
            options=options,
            deadline=deadline,
            bases=used.any(axis=0),
            pairs=used,
            engine="columns",
            time_limit=0.25 * deadline.remaining(),
            gap=max(options.gap, 0.005),
        )
        inc_base = heur.base_of
        inc_cost = heur.certificate.objective if inc_base is not None else np.inf
    log.info("columns: bound %.1f, incumbent %.1f", bound, inc_cost)

    # 6. reduced-cost fixing against the incumbent
    bases = pairs = None
    lag = bound
    if inc_base is not None:
        slack = inc_cost * (1 + 1e-9) + 1e-6
        lag = ell + float(np.minimum(rcb, 0).sum())
        bases = np.array([lag - min(0.0, r) + r <= slack for r in rcb])
        pairs = np.zeros((n, n), dtype=bool)
        for j in np.flatnonzero(bases):
            nb = pr.nbr[j]
            lo, hi = pr.window(j)
            _, forced = lp_bounds(pr.w[nb], pi[nb] - pr.cost[nb, j], lo, hi, forced=True)
            rc_pair = np.maximum(-(pi[j] + forced + mu), rcb[j])  # type: ignore[operator]
            keep = lag - min(0.0, rcb[j]) + rc_pair <= slack
            pairs[nb[keep], j] = True
            pairs[j, j] = True
        log.info(
            "columns: kept %d of %d bases and %d of %d pairs",
            int(bases.sum()),
            n,
            int(pairs.sum()),
            int(sum(len(x) for x in pr.nbr)) + n,
        )

    def finish(
        objective: float | None,
        base_of: NDArray[np.int64] | None,
        solver_bound: float | None,
        solver: str,
        version: str,
        ended_by: str,
        msize: ModelSize,
    ) -> PartResult:
        final = bound if solver_bound is None else max(bound, solver_bound)
        if objective is not None:
            final = min(final, objective)
        gap = relative_gap(objective, final if np.isfinite(final) else None)
        if objective is None:
            status = "no_solution"
        else:
            status = "optimal" if gap is not None and gap <= options.gap + 1e-12 else "feasible"
        cert = Certificate(
            engine="columns",
            solver=solver,
            solver_version=version,
            status=status,
            objective=objective,
            objective_name=objective_name(inst),
            bound=final if np.isfinite(final) else None,
            gap=gap,
            seconds=time.perf_counter() - t0,
            ended_by="proof" if status == "optimal" else ended_by,
            model_size=msize + size,
        )
        return PartResult(base_of=base_of, certificate=cert)

    if inc_base is not None:
        gap_now = relative_gap(inc_cost, bound)
        if gap_now is not None and gap_now <= options.gap:
            return finish(
                inc_cost, inc_base, None, inc_run.solver, inc_run.version, "proof", ModelSize()
            )
        # 7a. few columns can still improve: list them all, solve the set partitioning MIP
        listed = _enumerate(pr, pi, mu, rcb, lag, inc_cost, bases, pairs)  # type: ignore[arg-type]
        if listed is not None:
            pos = {int(g): k for k, g in enumerate(part.items)}
            start = np.array([pos[int(g)] for g in inc_base])
            cols = [(j, m, pr.column_cost(j, m)) for j, m in listed]
            for j in sorted(set(start.tolist())):  # the incumbent's columns, for the warm start
                m = np.flatnonzero(start == j)
                cols.append((j, m, pr.column_cost(j, m)))
            log.info("columns: %d columns can still improve; set partitioning MIP", len(cols))
            base_of, cost, run = column_mip(inst, part, cols, options, deadline, start=start)
            objective = inc_cost if base_of is None or cost > inc_cost else cost
            best = inc_base if base_of is None or cost > inc_cost else base_of
            sp_bound = None if run.status == "infeasible" else run.bound
            return finish(
                objective,
                best,
                sp_bound,
                run.solver,
                run.version,
                run.ended_by,
                ModelSize(variables=len(cols), constraints=n + (count is not None)),
            )

    # 7b. otherwise the shrunken compact model, warm-started with the incumbent
    result, crun, csize = solve_compact(
        inst,
        part,
        options=options,
        deadline=deadline,
        start=inc_base,
        bases=bases,
        pairs=pairs,
        engine="columns",
    )
    c = result.certificate
    objective, base_of = c.objective, result.base_of
    if inc_base is not None and (base_of is None or (objective or np.inf) > inc_cost):
        objective, base_of = inc_cost, inc_base
    if c.status == "infeasible" and inc_base is None:
        return result  # the model was the whole part: a proof of infeasibility
    return finish(
        objective,
        base_of,
        None if c.status == "infeasible" else c.bound,
        crun.solver,
        crun.version,
        c.ended_by,
        csize,
    )


def _enumerate(
    pr: _Pricer,
    pi: NDArray[np.float64],
    mu: float,
    rcb: NDArray[np.float64],
    lag: float,
    incumbent: float,
    bases: NDArray[np.bool_],
    pairs: NDArray[np.bool_],
) -> list[tuple[int, NDArray[np.int64]]] | None:
    """Every column whose reduced cost allows a better plan (see :mod:`._enumerate`), or None."""
    out: list[tuple[int, NDArray[np.int64]]] = []
    slack = incumbent * (1 + 1e-9) + 1e-6
    for j in np.flatnonzero(bases):
        nb = np.flatnonzero(pairs[:, j])
        nb = nb[nb != j]
        lo, hi = pr.window(j)
        delta = slack - lag + min(0.0, rcb[j])
        threshold = -(pi[j] + mu) - delta  # rc = -(pi_j + p(S) + mu) <= delta
        subs = subsets_within(pr.w[nb], pi[nb] - pr.cost[nb, j], lo, hi, threshold)
        if subs is None or len(out) + len(subs) > MAX_COLUMNS:
            return None
        out.extend((int(j), np.sort(np.concatenate([[j], nb[s]])).astype(np.int64)) for s in subs)
    return out
