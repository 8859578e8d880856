"""The columns engine's driver: set partitioning by column generation, closed honestly.

A column is a base j and the set S of items it serves (j in S, every item within ``max_km`` of
j, weight of S within [L, U]); its cost is ``sum_{i in S} c_ij``. The master problem chooses
columns covering every item exactly once (and, with a fixed count, exactly p columns).

1. **Initial columns**: for every base its nearest items up to the floor, and the groups of a
   greedy plan (:mod:`mcp_geo.solvers._greedy`); artificial columns (cost M) keep the first master feasible.
2. **Column generation** (:mod:`.generation`, :mod:`.master`): the restricted master LP is solved with HiGHS
   (``highspy``, warm started as columns are added) for its duals. Pricing is one knapsack per
   base (:mod:`.pricing`): first a cheap rounding of its LP relaxation; when that finds no
   negative column, exact pricing (every subset of a few items, else dynamic programming over
   the integer list sizes), on the bases whose LP-relaxed bound still allows a negative reduced
   cost (in order of that bound), leaving out the items that the LP bound with the item forced
   in rules out. Duals are smoothed (Wentges: price at a convex combination of the best-bound
   duals and the master's; on a mis-price, the master's). Convergence = exact pricing of every
   base finds nothing.
3. **Subset-row cuts** (:mod:`.cuts`): at convergence, violated cuts on triples of items are
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
5. **Incumbents** (:mod:`.incumbent`): the greedy plan, polished by local search; when step 6
   does not close the gap, price-and-dive and the master MIP over the generated columns. With a
   fixed count and no plan yet, bin completion guided by the master LP (:mod:`.completion`)
   instead, its plan regrouped exactly a few groups at a time (:mod:`.regroup`): at the fewest
   count the groups are nearly full and the others find none.
6. **Closing by listing** (:mod:`.enumeration`): for a target U a little above the bound, every
   column a plan costing at most U can use is listed (reduced-cost fixing of bases and pairs,
   then a search over subsets) and the set-partitioning MIP over them (with the incumbent's
   columns, its warm start) decides: a plan at or under U is optimal; none means no plan costs
   less than U, which becomes the bound, and the target rises (:data:`TARGET_GROWTH`) unless the
   best plan is already within the gap of it. A listing too long to solve (Greater Manchester:
   830,000 columns within 0.5% of the bound) halves the step instead.
7. **Otherwise** (too many columns to list): when the gap is at most :data:`BRANCH_MAX_GAP` on a
   part of at most :data:`BRANCH_MAX_ITEMS` items, branch-and-price (:mod:`.branching`) on the
   pairs that fixing kept, with :data:`BRANCH_SHARE` of the time left; else, or if the tree has
   not proven the plan, the shrunken compact model (:mod:`mcp_geo.solvers._compact`, the same equations on fewer
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

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._compact import objective_name, plan_cost, solve_compact
from mcp_geo.solvers._greedy import greedy_plan
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, cbc_version, highs_version, threads_for
from mcp_geo.solvers.certificate import Certificate, ModelSize, Status, relative_gap, within_gap
from mcp_geo.solvers.engine import PartResult
from mcp_geo.solvers.rules import SolveOptions

from .branching import branch_and_price
from .completion import complete_plan
from .enumeration import Duals, fix_by_reduced_cost, list_columns
from .generation import ColumnGeneration, Generated
from .incumbent import Column, column_mip, dive, local_polish
from .master import Master
from .pricing import Pricer
from .regroup import regroup_part

log = logging.getLogger(__name__)

CG_SHARE = 0.4  # of the time: column generation and its cuts (a valid bound whenever stopped)
DIVE_SHARE = 0.1  # of the time left: the dive (the listing's MIP finds better plans)
COMPLETION_SHARE = 0.1  # of the time left: bin completion, with a fixed count
REGROUP_SHARE = 0.15  # of the time left: regrouping its plan (see :mod:`.regroup`)
BRANCH_MAX_GAP = 0.02  # branch-and-price closes gaps up to this (measured: not 3% on 141 items)
BRANCH_MAX_ITEMS = 120  # and parts up to this size (190 items, 1% gap: not closed in 60 s)
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
    """Solve one part with the columns engine (see the module docstring).

    Parameters
    ----------
    inst
        The level's instance.
    part
        The items solved together (at least two), their floor and count.
    options
        Solver, gap tolerance and threads.
    deadline
        The part's wall-clock budget.

    Returns
    -------
    PartResult
        The plan and its certificate (engine ``columns``).
    """
    s = _Search(inst, part, options=options, deadline=deadline)
    greedy = s.seed()
    generation = ColumnGeneration(s.master, s.pr, add=s.add, count=s.count, deadline=deadline)
    gen = generation.run(budget=CG_SHARE * deadline.remaining())
    s.log_generation(gen)
    s.size = ModelSize(columns_generated=len(s.pool), cuts=len(s.master.cuts), parts=0)
    if gen.best_pi is None:  # not even one pricing round: the plain compact model
        result, _, _ = solve_compact(
            inst, part, options=options, deadline=deadline, engine="columns"
        )
        return result
    s.rc = _ReducedCosts(s, gen)
    s.bound = max(gen.best_l, s.rc.duals_for(gen.best_l).lag, 0.0)  # costs are >= 0
    s.first_incumbent(greedy)
    if s.inc_base is not None and within_gap(relative_gap(s.inc_cost, s.bound), options.gap):
        return s.finish_with_solver("proof")
    return s.close_by_listing() or s.branch() or s.last_compact()


def _columns_of(base_local: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
    return [(int(j), np.flatnonzero(base_local == j)) for j in sorted(set(base_local.tolist()))]


class _Search:
    """One part's solve: pricer, master, column pool, incumbent and bound (steps 1 and 4-7)."""

    def __init__(
        self, inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
    ) -> None:
        self.t0 = time.perf_counter()
        self.inst, self.part, self.options, self.deadline = inst, part, options, deadline
        self.pr = pr = Pricer(inst, part, threads_for(options))
        self.n = pr.n
        self.count = part.count
        allowed = inst.allowed[np.ix_(part.items, part.items)]
        self.big_m = float(np.where(allowed, pr.cost, 0).max(axis=1).sum()) + 1.0
        self.master = Master(
            self.n, count=self.count, big_m=self.big_m, threads=threads_for(options)
        )
        self.pool: dict[tuple[int, tuple[int, ...]], Column] = {}
        self.order: list[Column] = []  # master column n_art + k
        self.pos_of = {int(g): k for k, g in enumerate(part.items)}
        self.size = ModelSize(parts=0)
        self.rc: _ReducedCosts | None = None
        self.bound = -np.inf
        self.inc_base: NDArray[np.int64] | None = None
        self.inc_cost = np.inf
        self.dived = False
        self.bases: NDArray[np.bool_] | None = None
        self.pairs: NDArray[np.bool_] | None = None

    def add(self, cols: list[tuple[int, NDArray[np.int64]]]) -> int:
        """Add the new columns among ``cols`` to the pool and the master; how many were new."""
        fresh = []
        for j, members in cols:
            key = (j, tuple(members.tolist()))
            if key not in self.pool:
                self.pool[key] = (j, members, self.pr.column_cost(j, members))
                self.order.append(self.pool[key])
                fresh.append((members, self.pool[key][2]))
        self.master.add(fresh)
        return len(fresh)

    def seed(self) -> NDArray[np.int64] | None:
        """Step 1: the initial columns and the greedy plan's (its local bases, or None)."""
        inst, part, pr = self.inst, self.part, self.pr
        self.add(pr.initial_columns())
        allowed = inst.allowed[np.ix_(part.items, part.items)]
        greedy = greedy_plan(pr.w, pr.cost, allowed, lo=pr.lo, hi=pr.hi, count=self.count)
        if greedy is not None:
            self.add(_columns_of(greedy))
        return greedy

    def log_generation(self, gen: Generated) -> None:
        log.info(
            "columns: %d items, %d iterations, %d columns, %d cuts, %d knapsacks, LP %.1f,"
            " bound %.1f (%s) in %.2fs",
            self.n,
            gen.iterations,
            len(self.pool),
            len(self.master.cuts),
            self.pr.dp_calls,
            gen.z,
            gen.best_l,
            "converged" if gen.converged else "stopped",
            time.perf_counter() - self.t0,
        )

    def _improve(self, base: NDArray[np.int64] | None, cost: float) -> None:
        if base is not None and cost < self.inc_cost - 1e-9:
            self.inc_base, self.inc_cost = base, cost

    def first_incumbent(self, greedy: NDArray[np.int64] | None) -> None:
        """Step 5: the greedy plan, polished.

        Price-and-dive and the master MIP over the generated columns wait until the listing (7a)
        has had its turn, unless there is no greedy plan or, on a large part, it is more than
        DIVE_FIRST_GAP above the bound: the listing's MIP finds the optimum itself on the seeds
        (the dive would cost 0.3-2.5 s), but with nothing near it to start from, it spent North
        West London's time (QRV: greedy 24% above the bound, 9.4% gap at 120 s; after a dive,
        4.6%).
        """
        plans = [greedy] if greedy is not None else []
        self.inc_base, self.inc_cost = _best_polished(self.inst, self.part, plans)
        if self.inc_base is None or (
            self.n > LARGE_PART
            and not within_gap(relative_gap(self.inc_cost, self.bound), DIVE_FIRST_GAP)
        ):
            until = time.perf_counter() + REGROUP_SHARE * self.deadline.remaining()
            self._improve(*_best_polished(self.inst, self.part, _more_plans(self), until=until))
            self.dived = True
        log.info("columns: bound %.1f, incumbent %.1f", self.bound, self.inc_cost)

    def finish(
        self,
        objective: float | None,
        base_of: NDArray[np.int64] | None,
        *,
        solver_bound: float | None,
        solver: str,
        version: str,
        ended_by: str,
        size: ModelSize,
    ) -> PartResult:
        """The part's result: the best valid bound, the plan's gap and status."""
        final = self.bound if solver_bound is None else max(self.bound, solver_bound)
        if objective is not None:
            final = min(final, objective)
        gap = relative_gap(objective, final if np.isfinite(final) else None)
        status: Status
        if objective is None:
            status = "no_solution"
        else:
            status = "optimal" if within_gap(gap, self.options.gap) else "feasible"
        cert = Certificate(
            engine="columns",
            solver=solver,
            solver_version=version,
            status=status,
            objective=objective,
            objective_name=objective_name(self.inst),
            bound=final if np.isfinite(final) else None,
            gap=gap,
            seconds=time.perf_counter() - self.t0,
            ended_by="proof" if status == "optimal" else ended_by,
            model_size=size + self.size,
        )
        return PartResult(base_of=base_of, certificate=cert)

    def finish_with_solver(self, ended_by: str) -> PartResult:
        """The incumbent as the result, under the options' solver (no model solved last)."""
        solver = self.options.solver
        version = highs_version() if solver == "highs" else cbc_version()
        return self.finish(
            self.inc_cost,
            self.inc_base,
            solver_bound=None,
            solver=solver,
            version=version,
            ended_by=ended_by,
            size=ModelSize(),
        )

    def _next_target(self, step: float, too_long: float) -> float | None:
        """The listing's next target, or None when listing should stop."""
        # no plan under inc_cost * (1 - gap) proves the incumbent: no need to list further
        target = min(self.inc_cost * (1 - self.options.gap), self.bound * (1 + step))
        if target >= too_long:  # halfway to the last target that was too long
            target = self.bound + 0.5 * (too_long - self.bound)
            if target - self.bound <= MIN_TARGET_STEP * self.bound:
                return None  # the listings stay too long
        if target <= self.bound or (self.inc_base is None and step > MAX_STEP_WITHOUT_PLAN):
            return None  # (without a plan, an infeasible part would be listed for ever)
        return float(target)

    def close_by_listing(self) -> PartResult | None:
        """Step 7a: list every column that can still beat a target; solve the set partitioning
        MIP over them; raise the target until a plan meets it (see :mod:`.enumeration`).

        Without a plan yet too: the MIP finds one, or proves the target a bound. Returns the
        result when a plan comes out of a MIP, else None (the next steps take over).
        """
        assert self.rc is not None
        deadline = self.deadline
        step, too_long = FIRST_TARGET_STEP, np.inf  # listings up to too_long are too long
        while deadline.remaining() > 0.05 * deadline.seconds:  # else no time for another MIP
            target = self._next_target(step, too_long)
            if target is None:
                break
            duals = self.rc.duals_for(target)
            self.bound = max(self.bound, duals.lag)
            bases, pairs = fix_by_reduced_cost(self.pr, duals, target)
            until = time.perf_counter() + 0.5 * deadline.remaining()  # and half for the MIP
            listed = list_columns(self.pr, duals, target, bases=bases, pairs=pairs, until=until)
            if listed is None:
                too_long = target
                continue
            result, raised = self._listing_mip(listed, target)
            if raised:
                step *= TARGET_GROWTH
                continue
            return result  # a plan, or None: the MIP ran out of time without one
        return None

    def _listing_mip(
        self, listed: list[tuple[int, NDArray[np.int64]]], target: float
    ) -> tuple[PartResult | None, bool]:
        """The set-partitioning MIP over a listing: the result, or whether to raise the target.

        With the incumbent's columns (its warm start): the MIP always has a plan, and any plan up
        to the target is still made of listed columns (once each: a column listed twice would
        make the warm start cover its items twice).
        """
        inc_base = self.inc_base
        log.info("columns: %d columns can beat %.1f; set partitioning MIP", len(listed), target)
        start = None if inc_base is None else np.array([self.pos_of[int(g)] for g in inc_base])
        if start is not None:
            keys = {(j, tuple(m.tolist())) for j, m in listed}
            listed += [(j, m) for j, m in _columns_of(start) if (j, tuple(m.tolist())) not in keys]
        cols = [(j, m, self.pr.column_cost(j, m)) for j, m in listed]
        # a start far above the target prunes little: presolve does more (see column_mip)
        warm = start if self.inc_cost <= target * (1 + WARM_START_WITHIN) else None
        base_of, cost, run = column_mip(
            self.inst, self.part, cols, options=self.options, deadline=self.deadline, start=warm
        )
        msize = ModelSize(variables=len(cols), constraints=self.n + (self.count is not None))
        if base_of is not None and cost < self.inc_cost:
            self.inc_base, self.inc_cost = base_of, cost
        # every plan up to the target is made of listed columns: the bound is the MIP's, capped
        # by the target
        sp_bound = target if run.status == "infeasible" else min(run.bound or 0.0, target)
        if run.status in ("infeasible", "optimal") and cost > target:
            self.bound = max(self.bound, sp_bound)  # no plan costs less: raise the target
            if target < self.inc_cost and not within_gap(
                relative_gap(self.inc_cost, self.bound), self.options.gap
            ):
                return None, True
        if self.inc_base is None:
            return None, False
        result = self.finish(
            self.inc_cost,
            self.inc_base,
            solver_bound=sp_bound,
            solver=run.solver,
            version=run.version,
            ended_by=run.ended_by,
            size=msize,
        )
        return result, False

    def branch(self) -> PartResult | None:
        """Step 7b: with a plan, fix by reduced costs against it; on a small gap, branch-and-price
        on the pairs that fixing kept (see :mod:`.branching`). The result when the tree proves
        the plan, else None."""
        assert self.rc is not None
        if self.inc_base is None:
            return None
        if not self.dived and self.deadline.remaining() > 0:
            self._improve(*_best_polished(self.inst, self.part, _more_plans(self)))
        duals = self.rc.duals_for(self.inc_cost)
        self.bound = max(self.bound, duals.lag)
        self.bases, self.pairs = fix_by_reduced_cost(self.pr, duals, self.inc_cost)
        gap_now = relative_gap(self.inc_cost, self.bound)
        if gap_now is None or gap_now > BRANCH_MAX_GAP or self.n > BRANCH_MAX_ITEMS:
            return None
        res = branch_and_price(
            self.pr,
            self.order,
            pairs=self.pairs,
            count=self.count,
            big_m=self.big_m,
            incumbent=np.array([self.pos_of[int(g)] for g in self.inc_base]),
            incumbent_cost=self.inc_cost,
            root_bound=self.bound,
            gap=self.options.gap,
            threads=threads_for(self.options),
            deadline=Deadline(BRANCH_SHARE * self.deadline.remaining()),
        )
        self.size = self.size + ModelSize(columns_generated=max(0, res.columns - len(self.pool)))
        if res.base_local is not None and res.objective < self.inc_cost - 1e-9:
            self.inc_base, self.inc_cost = self.part.items[res.base_local], res.objective
        self.bound = max(self.bound, res.bound)  # valid for the whole part
        if res.ended_by != "proof":
            return None
        return self.finish(
            self.inc_cost,
            self.inc_base,
            solver_bound=None,
            solver="highs",
            version=highs_version(),
            ended_by="proof",
            size=ModelSize(),
        )

    def last_compact(self) -> PartResult:
        """Step 7c: the shrunken compact model, warm-started with the incumbent (otherwise, or
        when the tree ran out of its share of the time)."""
        if self.inc_base is not None and self.deadline.remaining() <= 0:
            return self.finish_with_solver("time_limit")
        result, crun, csize = solve_compact(
            self.inst,
            self.part,
            options=self.options,
            deadline=self.deadline,
            start=self.inc_base,
            bases=self.bases,
            pairs=self.pairs,
            engine="columns",
        )
        c = result.certificate
        objective, base_of = c.objective, result.base_of
        if self.inc_base is not None and (base_of is None or (objective or np.inf) > self.inc_cost):
            objective, base_of = self.inc_cost, self.inc_base
        if c.status == "infeasible" and self.inc_base is None:
            return result  # the model was the whole part: a proof of infeasibility
        return self.finish(
            objective,
            base_of,
            solver_bound=None if c.status == "infeasible" else c.bound,
            solver=crun.solver,
            version=crun.version,
            ended_by=c.ended_by,
            size=csize,
        )


class _ReducedCosts:
    """Step 4: reduced costs at the best duals, the bound L and the Lagrangian cut (E8).

    Exact pricing is needed only up to what a target asks (the fixing and the listing): sharpened
    on demand, up to THETA_MAX.
    """

    def __init__(self, s: _Search, gen: Generated) -> None:
        assert gen.best_pi is not None
        self.pr, self.deadline, self.best_l = s.pr, s.deadline, gen.best_l
        self.pi, self.mu = gen.best_pi, gen.best_mu
        cuts = s.master.cuts
        sigma = np.concatenate([gen.best_sigma, np.zeros(len(cuts) - len(gen.best_sigma))])
        self.cuts = (cuts, sigma) if (sigma < 0).any() else None
        self.rcb = s.pr.lp_rc(self.pi, self.mu)
        self.exact_below = np.full(s.n, -np.inf)  # rcb[j] is exact where it is below this
        self.ell = float(self.pi.sum() + (s.count or 0) * self.mu + sigma.sum())
        self.theta_max = THETA_MAX * abs(gen.best_l) + 1.0

    def duals_for(self, target: float) -> Duals:
        """The duals with every base's reduced cost exact up to what ``target`` needs."""
        rcb = self.rcb
        lag = max(self.best_l, self.ell + float(np.minimum(rcb, 0).sum()))  # best_l: exact rcb
        theta = min(target - lag, self.theta_max) + 1.0
        todo = np.isfinite(rcb) & (rcb < theta) & (rcb >= self.exact_below)
        todo &= self.exact_below < theta
        for j in np.flatnonzero(todo):
            if self.deadline.remaining() <= 0:
                break  # the bounds so far are valid too
            rcb[j] = max(
                rcb[j], self.pr.exact(int(j), self.pi, self.mu, theta=theta, cuts=self.cuts)[0]
            )
            self.exact_below[j] = theta
        return Duals(self.pi, self.mu, self.cuts, rcb, self.ell + float(np.minimum(rcb, 0).sum()))


def _more_plans(s: _Search) -> list[NDArray[np.int64]]:
    """Price-and-dive, and the master MIP over the generated columns (local bases); with a
    fixed count, bin completion first (:mod:`.completion`), and the others only without its
    plan."""
    deadline = s.deadline
    plans = []
    if s.count is not None:
        _, pi, mu = s.master.solve()
        done = complete_plan(
            s.pr,
            s.order,
            s.master.values(),
            pi=pi,
            mu=mu,
            count=s.count,
            until=time.perf_counter() + COMPLETION_SHARE * deadline.remaining(),
        )
        log.info("columns: bin completion %s", "found a plan" if done is not None else "stuck")
        if done is not None:
            return [done]
    dived = dive(
        s.master,
        s.pr,
        s.order,
        add=s.add,
        deadline=deadline,
        until=deadline.elapsed() + DIVE_SHARE * deadline.remaining(),
    )
    log.info("columns: dive %s", "found a plan" if dived is not None else "stuck")
    if dived is not None:
        plans.append(dived)
    # the master MIP over the generated columns: quick on small parts; on large ones HiGHS
    # spends its time without finding a plan, so it runs only when the dive found none
    if dived is None or len(s.part.items) <= LARGE_PART:
        mip_base, _, _ = column_mip(
            s.inst,
            s.part,
            s.order,
            options=s.options,
            deadline=deadline,
            time_limit=min(0.1 * deadline.remaining(), 10.0),
        )
        if mip_base is not None:
            plans.append(np.array([s.pos_of[int(g)] for g in mip_base]))
    return plans


def _best_polished(
    inst: Instance, part: Part, plans: list[NDArray[np.int64]], *, until: float | None = None
) -> tuple[NDArray[np.int64] | None, float]:
    """The best of the plans (local bases) after local search, as instance indices, and its cost;
    with a fixed count and ``until`` (a ``time.perf_counter()``), regrouped too."""
    best, best_cost = None, np.inf
    for plan in plans:
        if part.count is not None and len(set(plan.tolist())) != part.count:
            continue  # a dive's repair may miss the fixed count: no plan of this part
        local = local_polish(inst, part, plan)
        if part.count is not None and until is not None:  # nearly full groups: regroup too
            local = local_polish(inst, part, regroup_part(inst, part, local, until=until))
        polished = part.items[local]
        cost = plan_cost(inst, part.items, polished)
        log.info(
            "columns: plan %.1f, polished %.1f", plan_cost(inst, part.items, part.items[plan]), cost
        )
        if cost < best_cost - 1e-9:
            best, best_cost = polished, cost
    return best, best_cost
