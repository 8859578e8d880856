"""The columns engine: set partitioning by column generation, closed honestly.

A column is a base j and the set S of items it serves (j in S, every item within ``max_km`` of
j, weight of S within [L, U]); its cost is ``sum_{i in S} c_ij``. The master problem chooses
columns covering every item exactly once (and, with a fixed count, exactly p columns).

1. **Initial columns**: for every base its nearest items up to the floor, and the groups of a
   greedy plan (:mod:`._greedy`); artificial columns (cost M) keep the first master feasible.
2. **Column generation** (:mod:`._master`): the restricted master LP is solved with HiGHS
   (``highspy``, warm started as columns are added) for its duals. Pricing is one knapsack per
   base (:mod:`._pricing`): first a cheap rounding of its LP relaxation; when that finds no
   negative column, exact pricing (every subset of a few items, else dynamic programming over
   the integer list sizes), on the bases whose LP-relaxed bound still allows a negative reduced
   cost (in order of that bound), leaving out the items that the LP bound with the item forced
   in rules out. Duals are smoothed (Wentges: price at a convex combination of the best-bound
   duals and the master's; on a mis-price, the master's). Convergence = exact pricing of every
   base finds nothing.
3. **Subset-row cuts** (:mod:`._cuts`): at convergence, violated cuts on triples of items are
   added to the master and the columns re-priced exactly with their duals (the knapsack first;
   where its column meets a cut, a dynamic programme over the cut items' subsets, or a small MIP
   for the bases that need one, once neither the others nor knapsacks with penalised profits
   find a column), for up to :data:`MAX_CUT_ROUNDS`
   rounds while a round raises the LP by :data:`CUT_MIN_GAIN`.
4. **Lower bound**: at any duals (pi, mu, sigma <= 0), ``L = sum pi + p mu + sum sigma +
   sum_j min(0, r_j)`` is a valid bound when ``r_j`` is a lower bound on the best reduced cost of
   a column based at j (the knapsack without the cuts' penalties is one); at convergence it is
   the LP bound of the master with its cuts. The ``r_j`` are made exact only as far as the
   fixing and the listing of step 6 need (a little above their target).
5. **Incumbents** (:mod:`._incumbent`): the greedy plan, polished by local search; when step 6
   does not close the gap, price-and-dive and the master MIP over the generated columns.
6. **Closing by listing** (:mod:`._enumerate`): for a target U a little above the bound, every
   column a plan costing at most U can use is listed (reduced-cost fixing of bases and pairs,
   then a search over subsets) and the set-partitioning MIP over them (with the incumbent's
   columns, its warm start) decides: a plan at or under U is optimal; none means no plan costs
   less than U, which becomes the bound, and the target rises (:data:`TARGET_GROWTH`) unless the
   best plan is already within the gap of it. A listing too long to solve (Greater Manchester:
   830,000 columns within 0.5% of the bound) halves the step instead.
7. **Otherwise** (too many columns to list): when the gap is at most :data:`BRANCH_MAX_GAP` on a
   part of at most :data:`BRANCH_MAX_ITEMS` items, branch-and-price (:mod:`._branch`) on the
   pairs that fixing kept, with :data:`BRANCH_SHARE` of the time left; else, or if the tree has
   not proven the plan, the shrunken compact model (:mod:`._compact`, the same equations on fewer
   pairs), warm-started with the best plan. Every way, a plan outside the final model costs more
   than the incumbent, so the proof and bound hold for the whole part; the certificate's bound
   is the largest valid one.

Measured (April 2025 footprints, 30-50k, 15 km): the set-partitioning LP bound alone is 1.0%
(staffs-shropshire) to 5.3% (central-sussex-east-surrey) below the optimum; with the cuts 0.2-0.6%
(central-sussex-east-surrey 0.45%, staffs-stoke 0.56%), close enough for step 6 to list a few
thousand columns and prove every seed footprint optimal in 1-8 s. Greater Manchester (406 items)
spends most of a 60 s limit in column generation with cuts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._branch import branch_and_price
from ._compact import PartResult, objective_name, plan_cost, solve_compact
from ._cuts import MAX_CUTS_PER_ITEM, separate_sr3
from ._enumerate import Duals, fix_by_reduced_cost, list_columns
from ._greedy import greedy_plan
from ._incumbent import column_mip, dive, local_polish
from ._instance import Instance, Part
from ._master import Master, Pricer
from ._run import Deadline, cbc_version, highs_version, threads_for
from .certificate import Certificate, ModelSize, relative_gap, within_gap
from .rules import SolveOptions

log = logging.getLogger(__name__)

CG_SHARE = 0.4  # of the time: column generation and its cuts (a valid bound whenever stopped)
DIVE_SHARE = 0.1  # of the time left: the dive (the listing's MIP finds better plans)
BRANCH_MAX_GAP = 0.02  # branch-and-price closes gaps up to this (measured: not 3% on 141 items)
BRANCH_MAX_ITEMS = 120  # and parts up to this size (190 items, 1% gap: not closed in 60 s)
MAX_CUT_ROUNDS = 20  # subset-row cut rounds (see :mod:`._cuts`)
CUT_MIN_GAIN = 5e-4  # another round only while the last one raised the LP by this fraction
FIRST_TARGET_STEP = 0.002  # the first listing's target: this far above the bound
TARGET_GROWTH = 2.5  # the next target's step, when a listing's MIP raised the bound to its target
MIN_TARGET_STEP = 2e-4  # too long a listing halves the step, down to this
MAX_STEP_WITHOUT_PLAN = 0.02  # no plan yet: listings up to this far above the bound, then compact
BRANCH_SHARE = 0.5  # of the time left; the shrunken compact model gets the rest if needed
DIVE_FIRST_GAP = 0.02  # a greedy plan this far above the bound on a large part: dive first
WARM_START_WITHIN = 0.01  # the listing's MIP starts from the incumbent if this close to target
THETA_MAX = 0.01  # of the bound: reduced costs are priced exactly up to this (fixing)
LARGE_PART = 200  # items: above, a poor greedy plan is no start for the listing (dive first),
# and the MIP over the generated columns runs only if the dive fails


def solve_columns(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """Solve one part with the columns engine (see the module docstring)."""
    t0 = time.perf_counter()
    pr = Pricer(inst, part, threads_for(options))
    n = pr.n
    count = part.count
    big_m = (
        float(np.where(inst.allowed[np.ix_(part.items, part.items)], pr.cost, 0).max(axis=1).sum())
        + 1.0
    )
    master = Master(n, count, big_m, threads_for(options))
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
        add(_columns_of(greedy))
    cg_budget = CG_SHARE * deadline.remaining()
    per_round = max(8, n // 8)
    best_l, best_pi, best_mu, best_sigma = -np.inf, None, 0.0, np.zeros(0)
    cut_rounds, z_round = 0, -np.inf
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
        sigma = master.sigma  # nor the cuts' duals (<= 0: every such bound below is valid)
        cuts = (master.cuts, sigma) if len(sigma) else None
        ell = float(pi.sum() + (count or 0) * mu + sigma.sum())
        rcb = pr.lp_rc(pi, mu)
        tol = 1e-9 * max(1.0, abs(z))
        queue = [int(j) for j in np.lexsort((np.arange(n), rcb)) if rcb[j] < -tol]
        found: list[tuple[int, NDArray[np.int64]]] = []
        for j in queue[: 2 * per_round]:  # cheap columns first; exact pricing when none
            rc_g, members = pr.greedy_column(j, pi, mu)
            if members is not None and rc_g < -tol:
                rc_rmp = pr.column_cost(j, members) - pi_rmp[members].sum() - mu_rmp
                if cuts is not None:
                    rc_rmp += pr.penalty(members, cuts)
                if rc_rmp < -tol:
                    found.append((j, members))
        if found:
            lag = ell + float(np.minimum(rcb, 0).sum())
            if lag > best_l:
                best_l, best_pi, best_mu, best_sigma = lag, pi.copy(), mu, sigma.copy()
                pi_stab = pi.copy()
            add(found)
            alpha = 0.5 if pi_stab is not None else 0.0
            continue
        # exact pricing with the cuts' duals; the bases whose cut pricing needs a MIP wait (their
        # plain knapsack is a valid bound meanwhile) until the others find nothing
        deferred: list[int] = []
        done = [0, 0]  # bases priced from the queue, and from the deferred ones
        for step, (batch, wait) in enumerate(((queue, deferred), (deferred, None))):
            if found:
                break
            for j in batch:
                if deadline.elapsed() >= cg_budget:
                    break
                rc_j, members = pr.exact(j, pi, mu, cuts=cuts, deferred=wait)
                rcb[j] = max(rcb[j], rc_j)
                done[step] += 1
                if rc_j < -tol and members is not None:
                    # keep it if it prices out at the master's duals
                    rc_rmp = pr.column_cost(j, members) - pi_rmp[members].sum() - mu_rmp
                    if cuts is not None:
                        rc_rmp += pr.penalty(members, cuts)
                    if rc_rmp < -tol:
                        found.append((j, members))
                if len(found) >= per_round and done[step] >= per_round:
                    break
        complete = done == [len(queue), len(deferred)]
        lag = ell + float(np.minimum(rcb, 0).sum())
        if lag > best_l:
            best_l, best_pi, best_mu, best_sigma = lag, pi.copy(), mu, sigma.copy()
            pi_stab = pi.copy()
        added = add(found)
        at_bound = z - best_l <= 1e-7 * max(1.0, abs(z))
        if added == 0 and smooth and not at_bound:
            alpha = 0.0  # mis-price: next round at the master's duals
            continue
        if (added == 0 and complete) or at_bound:
            # the LP over every column is solved: its value is a bound; then cut it, or stop
            if z >= best_l:
                best_l, best_pi, best_mu, best_sigma = z, pi_rmp.copy(), mu_rmp, sigma.copy()
            gain = z - z_round
            z_round = z
            triples = []
            if cut_rounds < MAX_CUT_ROUNDS and gain > CUT_MIN_GAIN * max(1.0, abs(z)):
                room = MAX_CUTS_PER_ITEM * n - len(master.cuts)
                triples = separate_sr3(master.members, master.values(), n, min(room, n // 2 + 1))
            if not triples:
                converged = True
                break
            master.add_cuts(triples)
            cut_rounds += 1
            log.info(
                "columns: LP %.1f after %d rounds of cuts; %d more cuts (%.2fs)",
                z,
                cut_rounds - 1,
                len(triples),
                deadline.elapsed(),
            )
            pi_stab, alpha = None, 0.0  # re-price at the master's duals with the cuts
            continue
        if added:
            alpha = 0.5 if pi_stab is not None else 0.0
    log.info(
        "columns: %d items, %d iterations, %d columns, %d cuts, %d knapsacks, LP %.1f,"
        " bound %.1f (%s) in %.2fs",
        n,
        iters,
        len(pool),
        len(master.cuts),
        pr.dp_calls,
        z,
        best_l,
        "converged" if converged else "stopped",
        time.perf_counter() - t0,
    )

    size = ModelSize(columns_generated=len(pool), cuts=len(master.cuts), parts=0)
    if best_pi is None:  # not even one pricing round: the plain compact model
        result, _, _ = solve_compact(
            inst, part, options=options, deadline=deadline, engine="columns"
        )
        return result

    # 4. reduced costs at the best duals: the bound L and the Lagrangian cut (E8). Exact
    #    pricing is needed only up to what a target asks (the fixing and the listing below):
    #    sharpened on demand, up to THETA_MAX
    pi, mu = best_pi, best_mu
    sigma = np.concatenate([best_sigma, np.zeros(len(master.cuts) - len(best_sigma))])
    cuts = (master.cuts, sigma) if (sigma < 0).any() else None
    rcb = pr.lp_rc(pi, mu)
    exact_below = np.full(n, -np.inf)  # rcb[j] is exact where it is below this
    ell = float(pi.sum() + (count or 0) * mu + sigma.sum())
    theta_max = THETA_MAX * abs(best_l) + 1.0

    def duals_for(target: float) -> Duals:
        """The duals with every base's reduced cost exact up to what ``target`` needs."""
        lag = max(best_l, ell + float(np.minimum(rcb, 0).sum()))  # best_l: what exact rcb give
        theta = min(target - lag, theta_max) + 1.0
        todo = np.isfinite(rcb) & (rcb < theta) & (rcb >= exact_below) & (exact_below < theta)
        for j in np.flatnonzero(todo):
            if deadline.remaining() <= 0:
                break  # the bounds so far are valid too
            rcb[j] = max(rcb[j], pr.exact(int(j), pi, mu, theta, cuts=cuts)[0])
            exact_below[j] = theta
        return Duals(pi, mu, cuts, rcb, ell + float(np.minimum(rcb, 0).sum()))

    duals = duals_for(best_l)  # exact where negative: the Lagrangian bound
    bound = max(best_l, duals.lag, 0.0)  # costs are >= 0

    # 5. the incumbent: the greedy plan, polished. Price-and-dive and the master MIP over the
    #    generated columns wait until the listing (7a) has had its turn, unless there is no
    #    greedy plan or, on a large part, it is more than DIVE_FIRST_GAP above the bound: the
    #    listing's MIP finds the optimum itself on the seeds (the dive would cost 0.3-2.5 s),
    #    but with nothing near it to start from, it spent North West London's time (QRV: greedy
    #    24% above the bound, 9.4% gap at 120 s; after a dive, 4.6%)
    inc_base, inc_cost = _best_polished(inst, part, [greedy] if greedy is not None else [])
    if inc_base is None or (
        n > LARGE_PART and not within_gap(relative_gap(inc_cost, bound), DIVE_FIRST_GAP)
    ):
        base, cost = _best_polished(
            inst, part, _more_plans(inst, part, options, master, pr, order, add, deadline)
        )
        if base is not None and cost < inc_cost - 1e-9:
            inc_base, inc_cost = base, cost
        dived = True
    else:
        dived = False
    log.info("columns: bound %.1f, incumbent %.1f", bound, inc_cost)

    bases = pairs = None

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
            status = "optimal" if within_gap(gap, options.gap) else "feasible"
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

    pos_of = {int(g): k for k, g in enumerate(part.items)}
    if inc_base is not None and within_gap(relative_gap(inc_cost, bound), options.gap):
        return finish(
            inc_cost,
            inc_base,
            None,
            options.solver,
            highs_version() if options.solver == "highs" else cbc_version(),
            "proof",
            ModelSize(),
        )
    # 7a. few columns can still improve on a target: list them all, solve the set partitioning
    #     MIP; raise the target until a plan meets it (see :mod:`._enumerate`). Without a plan
    #     yet too: the MIP finds one, or proves the target a bound
    step, too_long = FIRST_TARGET_STEP, np.inf  # listings up to too_long are too long
    while deadline.remaining() > 0.05 * deadline.seconds:  # else no time for another MIP
        # no plan under inc_cost * (1 - gap) proves the incumbent: no need to list further
        target = min(inc_cost * (1 - options.gap), bound * (1 + step))
        if target >= too_long:  # halfway to the last target that was too long
            target = bound + 0.5 * (too_long - bound)
            if target - bound <= MIN_TARGET_STEP * bound:
                break  # the listings stay too long
        if target <= bound or (inc_base is None and step > MAX_STEP_WITHOUT_PLAN):
            break  # (without a plan, an infeasible part would be listed for ever)
        duals = duals_for(target)
        bound = max(bound, duals.lag)
        fixed = fix_by_reduced_cost(pr, duals, target)
        until = time.perf_counter() + 0.5 * deadline.remaining()  # and half for the MIP
        listed = list_columns(pr, duals, target, *fixed, until=until)
        if listed is None:
            too_long = target
            continue
        # with the incumbent's columns (its warm start): the MIP always has a plan, and any plan
        # up to the target is still made of listed columns (once each: a column listed twice
        # would make the warm start cover its items twice)
        log.info("columns: %d columns can beat %.1f; set partitioning MIP", len(listed), target)
        start = None if inc_base is None else np.array([pos_of[int(g)] for g in inc_base])
        if start is not None:
            keys = {(j, tuple(m.tolist())) for j, m in listed}
            listed += [(j, m) for j, m in _columns_of(start) if (j, tuple(m.tolist())) not in keys]
        cols = [(j, m, pr.column_cost(j, m)) for j, m in listed]
        # a start far above the target prunes little: presolve does more (see column_mip)
        warm = start if inc_cost <= target * (1 + WARM_START_WITHIN) else None
        base_of, cost, run = column_mip(inst, part, cols, options, deadline, start=warm)
        msize = ModelSize(variables=len(cols), constraints=n + (count is not None))
        if base_of is not None and cost < inc_cost:
            inc_base, inc_cost = base_of, cost
        # every plan up to the target is made of listed columns: the bound is the MIP's, capped
        # by the target
        sp_bound = target if run.status == "infeasible" else min(run.bound or 0.0, target)
        if run.status in ("infeasible", "optimal") and cost > target:
            bound = max(bound, sp_bound)  # no plan costs less: raise the target
            if target < inc_cost and not within_gap(relative_gap(inc_cost, bound), options.gap):
                step *= TARGET_GROWTH
                continue
        if inc_base is not None:
            return finish(
                inc_cost, inc_base, sp_bound, run.solver, run.version, run.ended_by, msize
            )
        break  # the MIP ran out of time without a plan

    if inc_base is not None:
        if not dived and deadline.remaining() > 0:
            base, cost = _best_polished(
                inst, part, _more_plans(inst, part, options, master, pr, order, add, deadline)
            )
            if base is not None and cost < inc_cost - 1e-9:
                inc_base, inc_cost = base, cost
        duals = duals_for(inc_cost)
        bound = max(bound, duals.lag)
        bases, pairs = fix_by_reduced_cost(pr, duals, inc_cost)
        start = np.array([pos_of[int(g)] for g in inc_base])
        gap_now = relative_gap(inc_cost, bound)

        # 7b. a small gap: branch-and-price on the pairs that fixing kept (see :mod:`._branch`)
        if gap_now is not None and gap_now <= BRANCH_MAX_GAP and n <= BRANCH_MAX_ITEMS:
            res = branch_and_price(
                pr,
                order,
                pairs=pairs,  # type: ignore[arg-type]
                count=count,
                big_m=big_m,
                incumbent=np.array([pos_of[int(g)] for g in inc_base]),
                incumbent_cost=inc_cost,
                root_bound=bound,
                gap=options.gap,
                threads=threads_for(options),
                deadline=Deadline(BRANCH_SHARE * deadline.remaining()),
            )
            size = size + ModelSize(columns_generated=max(0, res.columns - len(pool)))
            if res.base_local is not None and res.objective < inc_cost - 1e-9:
                inc_base, inc_cost = part.items[res.base_local], res.objective
            bound = max(bound, res.bound)  # valid for the whole part
            if res.ended_by == "proof":
                return finish(
                    inc_cost, inc_base, None, "highs", highs_version(), "proof", ModelSize()
                )

    # 7c. otherwise, or when the tree ran out of its share of the time, the shrunken compact
    #     model, warm-started with the incumbent
    if inc_base is not None and deadline.remaining() <= 0:
        solver = options.solver
        version = highs_version() if solver == "highs" else cbc_version()
        return finish(inc_cost, inc_base, None, solver, version, "time_limit", ModelSize())
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


def _columns_of(base_local: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
    return [(int(j), np.flatnonzero(base_local == j)) for j in sorted(set(base_local.tolist()))]


def _more_plans(
    inst: Instance,
    part: Part,
    options: SolveOptions,
    master: Master,
    pr: Pricer,
    order: list[tuple[int, NDArray[np.int64], float]],
    add: Callable[[list[tuple[int, NDArray[np.int64]]]], int],
    deadline: Deadline,
) -> list[NDArray[np.int64]]:
    """Price-and-dive, and the master MIP over the generated columns (local bases)."""
    plans = []
    dived = dive(
        master, pr, order, add, deadline, deadline.elapsed() + DIVE_SHARE * deadline.remaining()
    )
    log.info("columns: dive %s", "found a plan" if dived is not None else "stuck")
    if dived is not None:
        plans.append(dived)
    # the master MIP over the generated columns: quick on small parts; on large ones HiGHS
    # spends its time without finding a plan, so it runs only when the dive found none
    if dived is None or len(part.items) <= LARGE_PART:
        mip_base, _, _ = column_mip(
            inst, part, order, options, deadline, time_limit=min(0.1 * deadline.remaining(), 10.0)
        )
        if mip_base is not None:
            pos = {int(g): k for k, g in enumerate(part.items)}
            plans.append(np.array([pos[int(g)] for g in mip_base]))
    return plans


def _best_polished(
    inst: Instance, part: Part, plans: list[NDArray[np.int64]]
) -> tuple[NDArray[np.int64] | None, float]:
    """The best of the plans (local bases) after local search, as instance indices, and its cost."""
    best, best_cost = None, np.inf
    for plan in plans:
        polished = part.items[local_polish(inst, part, plan)]
        cost = plan_cost(inst, part.items, polished)
        log.info(
            "columns: plan %.1f, polished %.1f", plan_cost(inst, part.items, part.items[plan]), cost
        )
        if cost < best_cost - 1e-9:
            best, best_cost = polished, cost
    return best, best_cost
