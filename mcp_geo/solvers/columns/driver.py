"""The columns engine's driver: set partitioning by column generation, closed honestly.

A column is a base j and the set S of items it serves (j in S, every item within ``max_km`` of
j, weight of S within [L, U]); its cost is ``sum_{i in S} c_ij``. The master problem chooses
columns covering every item exactly once (and, with a fixed count, exactly p columns).

1. **Initial columns** (:mod:`.seeding`): for every base its nearest items up to the floor,
   and the groups of the part's start, else of a greedy plan (:mod:`mcp_geo.solvers._greedy`),
   else of a plan by local search (:mod:`mcp_geo.solvers._packing`: the plan of last resort;
   where it finds none, the compact model has a short look, which proves such parts
   infeasible at once); artificial columns (cost M) keep the first master feasible.
2. **Column generation** (:mod:`.generation`, :mod:`.master`): the restricted master LP is solved with HiGHS
   (``highspy``, warm started as columns are added) for its duals. Pricing is one knapsack per
   base (:mod:`.pricing`): first a cheap rounding of its LP relaxation; when that finds no
   negative column, exact pricing (every subset of a few items, else dynamic programming over
   the integer list sizes), on the bases whose LP-relaxed bound still allows a negative reduced
   cost (in order of that bound), leaving out the items that the LP bound with the item forced
   in rules out. Duals are smoothed (Wentges: price at a convex combination of the best-bound
   duals and the master's; on a mis-price, the master's). Convergence = exact pricing of every
   base finds nothing.
3. **Rank-1 cuts** (:mod:`.cuts`): at convergence, violated subset-row cuts on triples of items
   are added to the master and the columns re-priced exactly with their duals (the knapsack
   first; where its column meets a cut, a dynamic programme over the cut items' subsets, or a
   small MIP for the bases that need one, once neither the others nor knapsacks with penalised
   profits find a column), for up to :data:`MAX_CUT_ROUNDS` rounds while a round raises the LP
   by :data:`CUT_MIN_GAIN`; once the triples stall, rank-1 cuts on four and five items too.
4. **Lower bound**: at any duals (pi, mu, sigma <= 0), ``L = sum pi + p mu + sigma rhs +
   sum_j min(0, r_j)`` is a valid bound when ``r_j`` is a lower bound on the best reduced cost of
   a column based at j (the knapsack without the cuts' penalties is one); at convergence it is
   the LP bound of the master with its cuts (with a fixed count p, ``mu`` is the count's best
   dual at those ``r_j``: :func:`.generation.count_dual`; with a free count, the dual of the
   number of groups a plan can have: :func:`.generation.range_dual`). The ``r_j`` are made
   exact only as far as the fixing and the listing of step 6 need (a little above their target).
5. **Incumbents** (:mod:`.incumbent`): the greedy plan, polished by local search; on a large
   part far from the bound, or without a greedy plan (free count), the compact model over the
   master LP's support (:mod:`.support`), regrouped (:mod:`.regroup`), its neighbourhoods of
   sixteen hubs re-planned by this engine in the order of their reduced costs
   (:mod:`.neighbourhoods`, before the listing and again when step 6 does not close the gap;
   with a fixed count, on a part of any size, neighbourhoods of eight groups, each into as
   many, after each listing that proves no plan under its target, while the plan is more
   than DIVE_FIRST_GAP above the bound);
   on other parts, when step 6 does not close the gap, price-and-dive and the master MIP over
   the generated columns. A part with no
   greedy plan whose converged LP needs its artificial columns goes to the compact model (7c),
   and so does one whose LP still needs them when generation stopped and no search found a plan.
   With a fixed count the greedy rules miss, first a plan of the count by local search
   (:mod:`mcp_geo.solvers._packing`) and the greedy plan with the fewest groups, its
   bases closed down to the count (:mod:`mcp_geo.solvers._count_descent`, before step 2); with
   no plan yet but the packing's (poor travel, the plan of last resort), bin completion guided
   by the master LP (:mod:`.completion`, a
   portfolio of searches) instead, its plan regrouped exactly two to five groups at a time
   (:mod:`.regroup`, with :data:`COUNT_REGROUP_SHARE` of the time left): at the fewest count
   the groups are nearly full and the others find none.
6. **Closing by listing** (:mod:`.enumeration`): for a target U a little above the bound, every
   column a plan costing at most U can use is listed (reduced-cost fixing of bases and pairs,
   then a search over subsets) and the set-partitioning MIP over them (with the incumbent's
   columns, its warm start) decides: a plan at or under U is optimal; none means no plan costs
   less than U, which becomes the bound, and the target rises (:data:`.listing.TARGET_GROWTH`) unless the
   best plan is already within the gap of it. A listing too long to solve (Greater Manchester:
   830,000 columns within 0.5% of the bound), or for its MIP to finish in the time left
   (:data:`.listing.MIP_COLUMNS_PER_SECOND`), halves the step instead.
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

from mcp_geo.solvers import progress
from mcp_geo.solvers._compact import objective_name, solve_compact
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, cbc_version, highs_version, threads_for
from mcp_geo.solvers.certificate import Certificate, ModelSize, Status, relative_gap, within_gap
from mcp_geo.solvers.engine import PartResult
from mcp_geo.solvers.rules import SolveOptions

from .branching import branch_and_price
from .enumeration import Duals, ReducedCosts, fix_by_reduced_cost
from .generation import ColumnGeneration, Generated
from .incumbent import Column
from .listing import close_by_listing
from .master import Master
from .neighbourhoods import COUNT_GROUPS, GROUPS, Neighbourhood, replan_by_duals
from .plans import LARGE_PART, best_polished, lp_hints, more_plans
from .pricing import Pricer
from .seeding import seed
from .support import support_plan

log = logging.getLogger(__name__)

CG_SHARE = 0.4  # of the time: column generation and its cuts (a valid bound whenever stopped)
SHARPEN_SHARE = 0.1  # of the time left, at most, pricing every base exactly at the best duals
# (0.4 s after a converged generation; after 4 s of Greater Manchester's, far from it, 3.6 s of a
# 10 s limit, for a bound still below 0)
REGROUP_SHARE = 0.15  # of the time left: regrouping its plan (see :mod:`.regroup`)
COUNT_REGROUP_SHARE = 0.5  # the same with a fixed count and no greedy plan (nearly full groups:
# the listing's MIP finds no plan without a good start, and the regrouping makes one)
BRANCH_MAX_GAP = 0.02  # branch-and-price closes gaps up to this (measured: not 3% on 141 items)
BRANCH_MAX_ITEMS = 120  # and parts up to this size (190 items, 1% gap: not closed in 60 s)
BRANCH_SHARE = 0.5  # of the time left; the shrunken compact model gets the rest if needed
DIVE_FIRST_GAP = 0.02  # a greedy plan this far above the bound on a large part: dive first
SUPPORT_SHARE = 0.25  # of the time left, at most: the compact model over the LP's support
SUPPORT_SHARE_WITHOUT_BOUND = 0.7  # the same when generation stopped with no bound above 0:
# the listing and branching need one, so the time left is for plans (Greater Manchester at 10 s)
SUPPORT_MAX_SECONDS = 5.0  # and at most this: the re-planning makes better use of the rest
# (North West London at 60 s: 0.47-0.52% in three runs, 0.74-0.84% with 15 s, where its support
# model stopped at 8 s; Greater Manchester within 0.5% either way, 48 s against 50 s)
SUPPORT_REGROUP_SHARE = 0.05  # of the time left: regrouping the support's plan
SUPPORT_REGROUP_MAX_SECONDS = 0.3  # and at most this: it matters where the support's plan is
# poor (Greater Manchester at 10 s: 2,330,980 -> 2,314,261 in 0.28 s); given more, it takes
# time and a start from the re-planning that does better (Greater Manchester at 30 s: within
# 0.5% in 27.2-27.9 s in four runs of six and 0.535% in the other two, against 0.60-0.72% in
# four runs with 0.95 s of regrouping; North West London at 30 s 19.4 -> 17.7 s)
REPLAN_SHARE = 0.9  # of the time left, after the support's plan: re-planning neighbourhoods
# (it stops by itself once the plan is near enough for the listing, see .neighbourhoods; a plan
# still far from the bound leaves the listing nothing it can close: Greater Manchester at 30 s
# spent 6 s listing at 0.8% with 0.6 here; with 0.9 its plans end 0.60-0.72% above the bound in
# four runs, against 0.72-1.04% in six)
REPLAN_MAX_SECONDS = 40.0  # and at most this (then the listing)
COUNT_REPLAN_SHARE = 0.25  # of the time left, at most: a fixed count's re-planning after a listing
LATE_REPLAN_SHARE = 0.8  # of the time left when the listing has not closed the gap (then the
# shrunken compact model)
COMPACT_SECONDS_PER_PAIR = 4e-5  # what the shrunken compact model needs before its solver
# starts, per (item, base) pair: building (Greater Manchester's 52,345 pairs: 0.7 s) and handing
# it to the solver (about 1.5 times that); with less time left, a plan in hand is returned


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
    if s.infeasible is not None:
        return s.infeasible
    generation = ColumnGeneration(s.master, s.pr, add=s.add, count=s.count, deadline=deadline)
    gen = generation.run(budget=deadline.elapsed() + CG_SHARE * deadline.remaining())
    s.log_generation(gen)
    s.size = ModelSize(columns_generated=len(s.pool), cuts=len(s.master.cuts), parts=0)
    if gen.best_pi is None:  # not even one pricing round: the plain compact model
        result, _, _ = solve_compact(
            inst, part, options=options, deadline=deadline, start=part.start, engine="columns"
        )
        return result
    s.rc = ReducedCosts(s.pr, s.master.cuts, gen=gen, deadline=deadline)
    s.bound = max(gen.best_l, s.sharpened(gen.best_l).lag, 0.0)  # costs are >= 0
    progress.report("first plan search", best=None, bound=s.bound, deadline=deadline)
    artificial = s.master.needs_artificials()
    if greedy is None and (gen.converged or gen.best_l >= s.big_m) and artificial:
        # no plan, and the master LP needs its artificial columns at convergence (or with a
        # bound above their cost, which proves it before convergence): the part is
        # most likely infeasible, and the compact model says so at once (North East and North
        # Cumbria's part of 301 items: 0.3 s), where the searches for a plan spent 9 s
        log.info("columns: the master LP needs its artificial columns: the compact model decides")
        return s.last_compact()
    s.first_incumbent(greedy)
    if s.inc_base is None and artificial:
        # the same when generation stopped early and the searches found no plan: the listing
        # would spend the time on a part that is most likely infeasible (North East and North
        # Cumbria's at 58 hubs: 8 s listing, none left for the compact model's proof)
        log.info("columns: no plan, and the master LP needs its artificial columns")
        return s.last_compact()
    if s.inc_base is not None and within_gap(relative_gap(s.inc_cost, s.bound), options.gap):
        return s.finish_with_solver("proof")
    return close_by_listing(s) or s.branch() or s.last_compact()


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
        self.big_m = pr.most_cost + 1.0
        self.master = Master(
            self.n, count=self.count, big_m=self.big_m, threads=threads_for(options)
        )
        self.pool: dict[tuple[int, tuple[int, ...]], Column] = {}
        self.order: list[Column] = []  # master column n_art + k
        self.pos_of = {int(g): k for k, g in enumerate(part.items)}
        self.size = ModelSize(parts=0)
        self.rc: ReducedCosts | None = None
        self.bound = -np.inf
        self.inc_base: NDArray[np.int64] | None = None
        self.inc_cost = np.inf
        self.dived = False
        self.replanned = False  # neighbourhoods re-planned (a large part's plan from its support)
        self.tried: set[Neighbourhood] = set()  # neighbourhoods re-planned without gain
        self.listed_too_long = False  # a listing stopped, too long to close the gap: the
        # re-planning after it goes on to the gap itself (see .neighbourhoods.CLOSE_STEP)
        self.rough = False  # a plan by local search (the packing's, here or the part's rough
        # start), poor in travel: the plan of last resort, after the LP's searches
        self.bases: NDArray[np.bool_] | None = None
        self.pairs: NDArray[np.bool_] | None = None
        self.infeasible: PartResult | None = None  # the compact model's proof (see .seeding)

    def local(self, base_of: NDArray[np.int64]) -> NDArray[np.int64]:
        """A plan's bases as the part's local indices (from instance indices)."""
        return np.array([self.pos_of[int(g)] for g in base_of], dtype=np.int64)

    def sharpened(self, target: float) -> Duals:
        """The best duals with the bases' reduced costs made exact as far as ``target`` needs,
        for SHARPEN_SHARE of the time left at most (the others keep their LP bounds)."""
        assert self.rc is not None
        until = time.perf_counter() + SHARPEN_SHARE * self.deadline.remaining()
        return self.rc.duals_for(target, until=until)

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
        """Step 1 (:func:`.seeding.seed`): the initial columns and a first plan's (its local
        bases, or None)."""
        return seed(self)

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
        4.6%). On such a large part, or with no greedy plan, the compact model over the LP's
        support (:mod:`.support`) comes first (its plan regrouped briefly; not with a fixed
        count, where the groups are nearly full and it finds none); the dive only when it finds
        no plan (Birmingham and Solihull, QHL, no greedy plan: a plan 2.6% above the bound after
        the dive, the master MIP and regrouping, 19 s).
        """
        plans = [greedy] if greedy is not None and not self.rough else []
        self.inc_base, self.inc_cost = best_polished(self.inst, self.part, plans)
        supported = None
        share = SUPPORT_SHARE if self.bound > 0 else SUPPORT_SHARE_WITHOUT_BOUND
        seconds = self.deadline.seconds_for(share, at_most=SUPPORT_MAX_SECONDS)
        far = self.inc_base is None or (self.n > LARGE_PART and not self._near())
        if far and self.count is None and seconds > 0:
            supported = support_plan(self, seconds=seconds)
        if supported is not None:
            regrouping = self.deadline.seconds_for(
                SUPPORT_REGROUP_SHARE, at_most=SUPPORT_REGROUP_MAX_SECONDS
            )
            until = time.perf_counter() + regrouping
            hints = lp_hints(self)
            self._improve(
                *best_polished(self.inst, self.part, [supported], until=until, hints=hints)
            )
            self._replan(self.deadline.seconds_for(REPLAN_SHARE, at_most=REPLAN_MAX_SECONDS))
        elif self.inc_base is None or (self.n > LARGE_PART and not self._near()):
            share = REGROUP_SHARE if plans else COUNT_REGROUP_SHARE
            until = time.perf_counter() + share * self.deadline.remaining()
            found = more_plans(self)
            if self.rough and greedy is not None:  # last: regrouped in the time left
                found.append(greedy)
            hints = lp_hints(self) if self.count is not None else []
            self._improve(*best_polished(self.inst, self.part, found, until=until, hints=hints))
            self.dived = True
        log.info("columns: bound %.1f, incumbent %.1f", self.bound, self.inc_cost)
        progress.report("first plan", best=self.inc_cost, bound=self.bound, deadline=self.deadline)

    def _near(self) -> bool:
        """Whether the incumbent is within DIVE_FIRST_GAP of the bound."""
        return within_gap(relative_gap(self.inc_cost, self.bound), DIVE_FIRST_GAP)

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
        progress.report("part solved", best=objective, bound=final, deadline=self.deadline)
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

    def branch(self) -> PartResult | None:
        """Step 7b: with a plan, fix by reduced costs against it; on a small gap, branch-and-price
        on the pairs that fixing kept (see :mod:`.branching`). The result when the tree proves
        the plan (or the re-planning before it brought the plan within the gap), else None."""
        assert self.rc is not None
        if self.inc_base is None:
            return None
        if self.replanned:  # the dive ends 2-2.5x above such a plan: re-plan instead
            self._replan(LATE_REPLAN_SHARE * self.deadline.remaining())
        elif not self.dived and self.deadline.remaining() > 0:
            self._improve(*best_polished(self.inst, self.part, more_plans(self)))
        duals = self.sharpened(self.inc_cost)
        self.bound = max(self.bound, duals.lag)
        self.bases, self.pairs = fix_by_reduced_cost(self.pr, duals, self.inc_cost)
        gap_now = relative_gap(self.inc_cost, self.bound)
        if within_gap(gap_now, self.options.gap):  # the re-planning closed it
            return self.finish_with_solver("proof")
        if gap_now is None or gap_now > BRANCH_MAX_GAP or self.n > BRANCH_MAX_ITEMS:
            return None
        res = branch_and_price(
            self.pr,
            self.order,
            pairs=self.pairs,
            count=self.count,
            big_m=self.big_m,
            incumbent=self.local(self.inc_base),
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
        progress.report("branch-and-price", best=self.inc_cost, bound=self.bound)
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

    def _replan(self, seconds: float) -> None:
        """On a large part (more than LARGE_PART items), a plan not within the gap of the
        bound: re-plan neighbourhoods of its groups by the columns engine, in the order the
        duals give (:mod:`.neighbourhoods`), for ``seconds``. Not on smaller parts: their
        listing closes the gap sooner (Birmingham's Sub-ICBs 72Q and 91Q, 191 and 177 items,
        were proven within the gap in 12.5 and 10.1 s without re-planning by the compact model,
        24.8 and 21.0 s with it; 120 s limit, one thread)."""
        if self.inc_base is None or seconds <= 0 or self.n <= LARGE_PART:
            return
        if len(set(self.inc_base.tolist())) <= GROUPS:
            return
        self.replanned = True
        replan_by_duals(self, solve=solve_columns, until=time.perf_counter() + seconds)
        progress.report("re-planning neighbourhoods", best=self.inc_cost, bound=self.bound)

    def replan_count(self) -> None:
        """With a fixed count, after a listing that proved no plan under its target, a plan
        still more than DIVE_FIRST_GAP above the bound: re-plan neighbourhoods of COUNT_GROUPS
        of its groups, each into as many groups (:mod:`.neighbourhoods`), for
        COUNT_REPLAN_SHARE of the time left at most (a later call goes on where this one
        stopped). The groups of a fixed count are nearly full (central Sussex at 23 hubs:
        97%), where the listing's MIP finds plans only by chance: 3,000,460 -> 2,417,695 in
        7 s (60 s limit, 2 threads). Not before the first listing: where the LP is close to
        the optimum, that listing proves it at once (North Staffordshire at 12 hubs: 1.5 s,
        where re-planning its first plan, 29% above the bound, took 3.5 s more)."""
        if self.count is None or self.inc_base is None or self._near():
            return
        if len(set(self.inc_base.tolist())) <= COUNT_GROUPS:
            return
        seconds = self.deadline.seconds_for(COUNT_REPLAN_SHARE)
        replan_by_duals(self, solve=solve_columns, until=time.perf_counter() + seconds)
        progress.report("re-planning neighbourhoods", best=self.inc_cost, bound=self.bound)

    def _compact_seconds(self) -> float:
        """The time the shrunken compact model needs before its solver starts (its pairs:
        those fixing kept, else every pair within reach)."""
        if self.pairs is not None:
            pairs = int(self.pairs.sum())
        else:
            items = self.part.items
            pairs = int(self.inst.allowed[np.ix_(items, items)].sum())
        return COMPACT_SECONDS_PER_PAIR * pairs

    def last_compact(self) -> PartResult:
        """Step 7c: the shrunken compact model, warm-started with the incumbent (otherwise, or
        when the tree ran out of its share of the time). Not when the time left would not even
        build it (COMPACT_SECONDS_PER_PAIR) and a plan is in hand: Greater Manchester at 10 s
        built a model of 52,345 pairs in 0.7 s with 0.6 s left, and ended 0.6 s late."""
        if self.inc_base is not None and self.deadline.remaining() <= self._compact_seconds():
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
