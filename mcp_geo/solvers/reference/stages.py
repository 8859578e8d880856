"""A part planned from a reference grouping: the fewest moves, then the least travel.

DESIGN "Objective stages": with a reference the hub level minimises the moves out of the
reference groups (stage ``moves``), then the travel with the moves held (stage ``travel``);
with a travel slack F, first the least travel (stage ``least_travel``: the plan from scratch),
then the fewest moves among plans within F of it, then the travel. Each stage is the labelled
master (:mod:`._master`) solved by column generation (:mod:`._pricing`): its LP bound (or the
Lagrangian bound, when time stops the generation) is the stage's proven bound, and the master
solved as a MIP over the generated columns gives the plan. Moves are whole numbers: the moves
stage is proven when the plan meets the bound rounded up. The travel stage's root adds
:data:`CUT_ROUNDS` rounds of subset-row cuts (R8), then lists every column a better plan can use
(:mod:`._listing`); branch and price (:mod:`._branching`) takes what the listing leaves open.
The moves stage is not listed: its reduced costs are whole patients, and the columns at 0 are
too many to list (staffs-stoke: more than 17 s).

The plan from scratch (the engine's) seeds both stages, so every stage has a plan; the
reference groups whole, where the rules allow them, are columns from the start. With candidate
base sites the parks are left out (a site is covered at most once: (R2') of :mod:`._master`)
and put back in the plan returned.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers import progress
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, highs_version, threads_for
from mcp_geo.solvers.certificate import (
    Certificate,
    Stage,
    Status,
    relative_gap,
    weakest,
    within_gap,
)
from mcp_geo.solvers.columns.cuts import MAX_CUTS_PER_ITEM, Cuts, separate_sr3
from mcp_geo.solvers.columns.generation import CUT_MIN_GAIN
from mcp_geo.solvers.engine import PartResult
from mcp_geo.solvers.rules import SolveOptions

from ._branching import Search, branch_and_price
from ._listing import close_by_listing
from ._master import Column, Duals, LabelledMaster, StageCosts
from ._pricing import LabelledPricer
from .groups import ReferenceGroups

log = logging.getLogger(__name__)

MOVES_SHARE = 0.5  # of the part's time left, at most, for the moves stage
CUT_ROUNDS = 2  # of subset-row cuts at a travel stage's root (measured: more cost more
# pricing than they save on staffs-shropshire and sussex-east-surrey)
LISTING_SHARE = 0.7  # of a stage's time left after its root, at most, for listing
SPLIT_SHARE = 0.35  # with whole, of the part's time left, at most, for the split stage


@dataclasses.dataclass(frozen=True)
class StageRun:
    """One stage's plan (chosen columns), its value and its proven bound."""

    chosen: list[Column]
    value: float
    bound: float
    seconds: float


def _generate(
    master: LabelledMaster,
    pricer: LabelledPricer,
    *,
    costs: StageCosts,
    stop_at: float,
    enough: Callable[[float], bool] | None = None,
    cut_rounds: int = 0,
) -> tuple[float, Duals | None]:
    """Column generation until no column prices out or time is up: the best bound found, and
    the duals at which nothing priced out (None when time stopped it first, or when the bound
    is ``enough``: a branch's node that cannot beat the plan). At most ``cut_rounds`` rounds of
    subset-row cuts (R8) where the LP over every column breaks them."""
    bound = -math.inf
    most = max(40, pricer.n)
    z_round = -math.inf
    while True:
        at = master.solve_lp()
        tol = 1e-7 * max(1.0, abs(at.value))
        cols, lagrange = pricer.price(at, costs, most=most, tol=tol, cuts=master.cuts)
        bound = max(bound, lagrange)
        if enough is not None and enough(bound):
            return bound, None
        if not cols and not at.artificial:
            bound = max(bound, at.value)
            if cut_rounds > 0 and at.value - z_round > CUT_MIN_GAIN * max(1.0, abs(at.value)):
                z_round, cut_rounds = at.value, cut_rounds - 1
                if _cut(master, pricer.n) and time.perf_counter() < stop_at:
                    continue
            return bound, at
        if not cols:
            return bound, None
        if not master.add(cols):  # only columns the master has (a branch's, or rounding)
            return bound, None if at.artificial else at
        if time.perf_counter() >= stop_at:
            return bound, None


def _cut(master: LabelledMaster, n: int) -> bool:
    """Add the subset-row cuts (R8) the master's LP breaks; whether there were any."""
    room = MAX_CUTS_PER_ITEM * n - len(master.cuts)
    members = [c.members for c in master.columns]
    triples = separate_sr3(members, master.column_values(), n=n, max_cuts=min(room, n // 2 + 1))
    master.add_cuts(Cuts.subset_rows(triples))
    log.info("reference: %d cuts (%d in all)", len(triples), len(master.cuts))
    return bool(triples)


def _run_stage(
    pricer: LabelledPricer,
    part: Part,
    pool: list[Column],
    *,
    costs: StageCosts,
    start: list[Column],
    options: SolveOptions,
    seconds: float,
) -> StageRun:
    """Generate columns for one stage, choose the best plan among them, and when the plan is
    short of the bound, branch (:mod:`._branching`) until it is proven or time is up."""
    t0 = time.perf_counter()
    scale = sum(abs(costs.alpha * c.travel) + costs.beta * c.moves for c in pool) + 1.0
    master = LabelledMaster(
        n=pricer.n,
        groups=pricer.groups,
        count=part.count,
        costs=costs,
        big_m=1e4 * scale,
        threads=threads_for(options),
        packing=pricer.packing,
    )
    master.add(pool)
    master.add(start)
    progress.report(_stage_words(costs), best=sum(map(master.cost, start)), bound=None)
    rounds = CUT_ROUNDS if costs.alpha > 0 and not pricer.wholes else 0
    bound, at = _generate(
        master, pricer, costs=costs, stop_at=t0 + 0.6 * seconds, cut_rounds=rounds
    )
    log.info("reference stage: root LP bound %.1f (%d cuts)", bound, len(master.cuts))
    whole = costs.beta > 0 or costs.gamma > 0  # moves and groups: whole numbers
    gap = 0.0 if whole else options.gap
    now = time.perf_counter()
    chosen = _choose(
        master, start=start, options=options, gap=gap, stop_at=now + 0.5 * (t0 + seconds - now)
    )
    value = sum(master.cost(c) for c in chosen)
    if at is not None:
        search = Search(chosen, value, bound, whole=whole, gap=gap)
        if not search.closes(bound) and not whole:  # moves: too many columns at rc 0
            now = time.perf_counter()
            search = close_by_listing(
                master, pricer, at=at, costs=costs, search=search,
                threads=threads_for(options), stop_at=now + LISTING_SHARE * (t0 + seconds - now),
            )  # fmt: skip
        if not search.closes(search.bound):
            search = branch_and_price(
                master, pricer, search=search, stop_at=t0 + 0.97 * seconds,
                generate=lambda stop, enough: _generate(
                    master, pricer, costs=costs, stop_at=stop, enough=enough
                ),
                choose=lambda stop: _choose_proved(
                    master, options=options, gap=gap, stop_at=stop
                )[0],
            )  # fmt: skip
        chosen, value, bound = search.chosen, search.value, search.bound
    log.info(
        "reference stage (alpha %g, beta %g): %d columns; plan %.1f, bound %.1f in %.1fs",
        costs.alpha, costs.beta, len(master.columns), value, bound, time.perf_counter() - t0,
    )  # fmt: skip
    floor = -len(pricer.wholes) if costs.gamma else 0.0  # costs are >= 0 (-whole: >= -groups)
    progress.report(_stage_words(costs), best=float(value), bound=max(bound, floor))
    bound = max(bound, floor)
    return StageRun(chosen, float(value), min(bound, float(value)), time.perf_counter() - t0)


def _stage_words(costs: StageCosts) -> str:
    """The stage a master's costs make, in words (for the progress records)."""
    return "fewest moves" if costs.beta else "groups kept whole" if costs.gamma else "travel"


def _choose(
    master: LabelledMaster,
    *,
    start: list[Column],
    options: SolveOptions,
    gap: float,
    stop_at: float,
) -> list[Column]:
    """The best plan among the master's columns (the start when the solver finds no better)."""
    chosen, _ = _choose_proved(master, options=options, gap=gap, stop_at=stop_at, start=start)
    if chosen is None:
        return start
    return chosen if sum(map(master.cost, chosen)) <= sum(map(master.cost, start)) else start


def _choose_proved(
    master: LabelledMaster,
    *,
    options: SolveOptions,
    gap: float,
    stop_at: float,
    start: list[Column] | None = None,
) -> tuple[list[Column] | None, bool]:
    picked, _, _, proved = master.solve_mip(
        time_limit=stop_at - time.perf_counter(),
        gap=gap,
        threads=threads_for(options),
        start=start,
    )
    return (None if picked is None else [master.columns[k] for k in picked]), proved


def _matched(pricer: LabelledPricer, base_local: NDArray[np.int64]) -> list[Column]:
    """The plan's groups as columns, each continuing the group its best matching gives it."""
    graph = nx.Graph()
    bases = np.unique(base_local[base_local >= 0])
    for j in bases:
        members = np.flatnonzero(base_local == j)
        for g in pricer.open_groups(members):
            kept = int(pricer.mw[members][pricer.lab[members] == g].sum())
            graph.add_edge(("h", int(j)), ("g", int(g)), weight=kept)
    match = {}
    for a, b in nx.max_weight_matching(graph):
        hub, group = (a, b) if a[0] == "h" else (b, a)
        match[hub[1]] = group[1]
    return [
        pricer.column(int(j), match.get(int(j), -1), np.flatnonzero(base_local == j)) for j in bases
    ]


def _base_of(part: Part, cols: list[Column]) -> NDArray[np.int64]:
    """Each item's base (instance index; -1: a candidate site no column holds)."""
    local = np.full(len(part.items), -1, dtype=np.int64)
    for c in cols:
        local[c.members] = c.base
    result: NDArray[np.int64] = np.where(local >= 0, part.items[local], -1)
    return result


def _without_parks(inst: Instance, part: Part) -> Part:
    """The part without the parks of its candidate sites: the labelled master covers a site at
    most once instead (R2'), so a site no hub is based at is simply left uncovered (a fixed
    count, which counts the parks' groups too, counts the hubs)."""
    parked = part.items >= inst.n - inst.parks
    count = None if part.count is None else part.count - int(parked.sum())
    return dataclasses.replace(part, items=part.items[~parked], count=count)


def _local_bases(part: Part, *, full: Part, base_of: NDArray[np.int64]) -> NDArray[np.int64]:
    """A plan of ``full`` (global bases in its items' order) as the part-local bases of
    ``part`` (``full`` without its parks): -1 for a site based at its park."""
    pos = {int(g): k for k, g in enumerate(part.items)}
    held = np.isin(full.items, part.items)
    return np.array([pos.get(int(b), -1) for b in base_of[held]], dtype=np.int64)


def _with_parks(inst: Instance, full: Part, base_of: NDArray[np.int64]) -> NDArray[np.int64]:
    """The bases over the whole part (parks included, in ``full.items``' order) from those of
    the part without its parks: each park is its own base, and a site no hub is based at
    joins its park (:mod:`mcp_geo.solvers._instance`)."""
    out = full.items.copy()  # parks: their own base
    kept = full.items < inst.n - inst.parks
    out[kept] = np.where(base_of >= 0, base_of, full.items[kept] + inst.sites)
    return out


def solve_reference(
    inst: Instance,
    part: Part,
    *,
    ref: ReferenceGroups,
    seed: PartResult,
    options: SolveOptions,
    deadline: Deadline,
) -> PartResult:
    """The plan of a part that moves the fewest items out of their groups, then travels least.

    Parameters
    ----------
    inst, part
        The instance and the part (a plan exists: ``seed`` is one).
    ref
        The reference groups and what a move counts.
    seed
        The engine's plan from scratch (the least travel, as far as it proved).
    options, deadline
        The solve options (the travel stage's gap) and the part's time.

    Returns
    -------
    PartResult
        The plan, with the stages ``moves`` and ``travel`` (``split`` before them with whole
        groups, ``least_travel`` first with a travel slack) in its certificate.
    """
    t0 = time.perf_counter()
    assert seed.base_of is not None
    full, part = part, _without_parks(inst, part)
    pricer = LabelledPricer(inst, part, ref=ref, threads=threads_for(options))
    seed_local = _local_bases(part, full=full, base_of=seed.base_of)
    start = _matched(pricer, seed_local)
    pool = pricer.group_columns() + pricer.plan_columns(seed_local)
    stages: list[Stage] = []
    travel_cap = None
    least = seed.certificate
    if ref.travel_slack is not None and least.objective is not None:
        stages.append(
            Stage("least_travel", least.objective, least.bound, least.gap, least.status,
                  least.objective_name)
        )  # fmt: skip
        travel_cap = least.objective * (1.0 + ref.travel_slack) + 1e-9 * abs(least.objective)
    kept = None
    if ref.whole:
        split = _run_stage(
            pricer, part, pool, costs=StageCosts(alpha=0.0, beta=0.0, gamma=1.0,
                                                 travel_cap=travel_cap),
            start=start, options=options, seconds=SPLIT_SHARE * deadline.remaining(),
        )  # fmt: skip
        kept, start = -round(split.value), split.chosen
        stages.append(_split_stage(pricer, kept=kept, bound=split.bound))
    moves = _run_stage(
        pricer, part, pool + start,
        costs=StageCosts(alpha=0.0, beta=1.0, travel_cap=travel_cap, whole_floor=kept),
        start=start, options=options, seconds=MOVES_SHARE * deadline.remaining(),
    )  # fmt: skip
    least_moves = round(moves.value)
    moves_bound = min(least_moves, math.ceil(moves.bound - 1e-6))
    stages.append(_stage("moves", least_moves, moves_bound, ref=ref, tolerance=0.0))
    travel = _run_stage(
        pricer, part, pool + moves.chosen,
        costs=StageCosts(alpha=1.0, beta=0.0, moves_cap=least_moves + 0.5,
                         travel_cap=travel_cap, whole_floor=kept),
        start=moves.chosen, options=options, seconds=0.95 * deadline.remaining(),
    )  # fmt: skip
    travel_stage = Stage(
        "travel",
        travel.value,
        travel.bound,
        relative_gap(travel.value, travel.bound),
        "optimal"
        if within_gap(relative_gap(travel.value, travel.bound), options.gap)
        else "feasible",
        seed.certificate.objective_name,
    )
    stages.append(travel_stage)
    log.info(
        "reference: %d %ss, moves %d (bound %d), travel %.1f (bound %.1f) in %.1fs",
        len(part.items), inst.item, least_moves, moves_bound, travel.value, travel.bound,
        time.perf_counter() - t0,
    )  # fmt: skip
    cert = Certificate(
        engine="columns",
        solver="highs",
        solver_version=highs_version(),
        status=weakest([s.status for s in stages]),
        objective=travel.value,
        objective_name=seed.certificate.objective_name,
        bound=travel.bound,
        gap=travel_stage.gap,
        seconds=time.perf_counter() - t0 + seed.certificate.seconds,
        ended_by="proof" if all(s.status == "optimal" for s in stages) else "time_limit",
        stages=tuple(stages),
    )
    return PartResult(
        base_of=_with_parks(inst, full, _base_of(part, travel.chosen)), certificate=cert
    )


def _split_stage(pricer: LabelledPricer, *, kept: int, bound: float) -> Stage:
    """The split stage: the part's groups split (those it cannot hold whole included)."""
    most = len(pricer.wholes)  # groups a plan of the part may hold whole
    split = pricer.split_anyway + most - kept
    least = pricer.split_anyway + most + math.ceil(bound - 1e-6)  # bound on -(groups whole)
    least = min(split, least)
    status: Status = "optimal" if split <= least else "feasible"
    return Stage("split", float(split), float(least), relative_gap(float(split), float(least)),
                 status, "reference groups split")  # fmt: skip


def _stage(name: str, value: int, bound: int, *, ref: ReferenceGroups, tolerance: float) -> Stage:
    status: Status = "optimal" if value <= bound + tolerance else "feasible"
    unit = "patients" if ref.minimise == "patients" else "practices"
    words = f"{unit} moved out of their reference group"
    return Stage(name, float(value), float(bound), relative_gap(float(value), float(bound)),
                 status, words)  # fmt: skip
