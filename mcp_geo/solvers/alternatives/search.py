"""Alternatives to a hub plan: up to K other plans within the travel slack that keep least of it.

Each alternative solves the master of :mod:`._model` ((A1)-(A6)) over the free practices: the
practices of the parts the best plan solved within the rules. Groups fixed in advance (a
practice over the ceiling, an island) and least-exception parts are held as in the best plan,
so every alternative keeps the best plan's exceptions and meets every rule the best plan meets
(bounds, distance limit, base and area rules: the instance's allowed pairs; a fixed or fewest
hub count: (A4)). The travel slack F is the option's, or else the best plan's certified gap (at
least the gap tolerance: a plan proven within 0.01% is not known to beat plans 0.01% dearer).

Small instances list every column (:meth:`~._pricing.Items.every_column`); otherwise the
columns engine lists every column a plan within the travel cap can use (:mod:`._listed`), once
for the K alternatives, when that list is short enough: either way the MIP is then the whole
model, its plan is proven optimal (or the MIP proves that no other plan lies within the slack).
Otherwise columns are generated (:class:`~._pricing.Pricer`) until no column prices out or the
time share is spent, and the MIP over the columns gives the plan; its bound is the best
Lagrangian bound seen (valid for every plan).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._prechecks import prepare
from mcp_geo.solvers._run import threads_for
from mcp_geo.solvers.certificate import Certificate, Status
from mcp_geo.solvers.rules import SolveOptions

from ._listed import listed_within
from ._model import AlternativeMaster, Column, MipResult
from ._pricing import Items, Pricer

log = logging.getLogger(__name__)

KEPT_WORDS = (
    "patients kept with the earlier plans: over the hubs and the earlier plans, each hub's "
    "largest overlap with one earlier hub (minimised; the moves are at least the patients "
    "of the earlier plans less this)"
)
GENERATION_SHARE = 0.6  # of an alternative's time, by when column generation stops
FIRST_WEIGHT = 2.0  # the first alternative's share of the time, against 1 for each later one
LISTING_SHARE = 0.4  # of the time: the columns engine's listing within the travel cap
PRESOLVE_MAX = 20_000  # listed columns: HiGHS presolves up to this many (see solve_mip)
EVERY = "every column listed"
WITHIN = "every column within the travel cap listed"
GENERATED = "column generation"


@dataclass(frozen=True)
class AlternativeSolve:
    """One alternative as solved.

    Attributes
    ----------
    base_of
        The base (instance index) of every item.
    travel
        Its travel (the instance's objective: patients x km, or km).
    kept, bound
        (A1)'s K of the plan and a proven lower bound on every plan's K (None: none known).
    status
        ``optimal`` (K meets the bound) or ``feasible``.
    ended_by
        ``proof``, ``time_limit`` or ``work_limit`` (the pricing found no column but could not
        prove that none is left).
    method
        ``every column listed``, ``every column within the travel cap listed`` (both exact:
        the MIP's answer is a proof) or ``column generation``.
    columns
        How many columns the master held.
    """

    base_of: NDArray[np.int64]
    travel: float
    kept: int
    bound: int | None
    status: Status
    ended_by: str
    method: str
    columns: int


@dataclass(frozen=True)
class AlternativesSolution:
    """The alternatives found and why the search stopped.

    Attributes
    ----------
    found
        The alternatives, in order.
    travel_slack
        The slack F used.
    slack_source
        ``travel_slack`` (the option) or ``gap`` (the best plan's certificate).
    best_travel, travel_cap
        The best plan's travel and the most an alternative may have, ``(1 + F)`` times it.
    held
        Items held as in the best plan (fixed groups and least-exception parts).
    stopped
        Why fewer than K were found (None: K were).
    """

    found: tuple[AlternativeSolve, ...]
    travel_slack: float
    slack_source: Literal["travel_slack", "gap"]
    best_travel: float
    travel_cap: float
    held: int
    stopped: str | None


def _free_items(
    inst: Instance, base_of: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], list[Part]]:
    """The items of the parts the best plan solved within their windows, each one's window
    (its part's), and those parts."""
    items, lo, hi, parts = [], [], [], []
    for part in prepare(inst).parts:
        members = part.items
        sizes = pd.Series(inst.weights[members]).groupby(base_of[members]).sum()
        ceiling = part.ceiling(inst)
        if part.exception is None and sizes.between(part.lo, ceiling).all():
            items.append(members)
            lo.append(np.full(len(members), part.lo))
            hi.append(np.full(len(members), ceiling))
            parts.append(part)
    if not items:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, parts
    idx = np.concatenate(items)
    order = np.argsort(idx)
    return idx[order], np.concatenate(lo)[order], np.concatenate(hi)[order], parts


def _labels(base_of: NDArray[np.int64], idx: NDArray[np.int64]) -> NDArray[np.int64]:
    codes: NDArray[np.int64] = pd.factorize(base_of[idx], sort=True)[0].astype(np.int64)
    return codes


def _hub_keys(labels: NDArray[np.int64]) -> frozenset[bytes]:
    return frozenset(
        np.flatnonzero(labels == h).astype(np.int64).tobytes() for h in np.unique(labels)
    )


def solve_alternatives(
    inst: Instance,
    *,
    base_of: NDArray[np.int64],
    certificate: Certificate,
    alternatives: int,
    travel_slack: float | None,
    options: SolveOptions,
) -> AlternativesSolution:
    """Up to ``alternatives`` other plans within the travel slack, each keeping least of the
    best plan and of the alternatives before it (:mod:`._model`).

    Parameters
    ----------
    inst
        The hub level's instance (practices only: candidate sites are refused before).
    base_of
        The best plan: each item's base.
    certificate
        The best plan's certificate (its gap is the slack when ``travel_slack`` is None).
    alternatives
        K, how many to find at most.
    travel_slack
        F, or None for the best plan's gap (at least ``options.gap``).
    options
        Threads and the time limit (shared by the K alternatives).

    Returns
    -------
    AlternativesSolution
        The alternatives and why the search stopped early, if it did.
    """
    t0 = time.perf_counter()
    idx, lo, hi, parts = _free_items(inst, base_of)
    travel = inst.cost[np.arange(inst.n), base_of]
    best = float(travel.sum())
    if travel_slack is None:
        slack, source = max(certificate.gap or 0.0, options.gap), "gap"
    else:
        slack, source = float(travel_slack), "travel_slack"
    cap = best * (1.0 + slack)
    free_cap = cap - (best - float(travel[idx].sum())) + 1e-9 * max(1.0, best)
    count = None if inst.count is None else len(np.unique(base_of[idx]))
    earlier = [_labels(base_of, idx)]
    found: list[AlternativeSolve] = []
    stopped: str | None = None
    pool: dict[tuple[int, bytes], NDArray[np.int64]] = {}
    listing = _listing(inst, idx=idx, lo=lo, hi=hi, parts=parts, cap=free_cap, options=options)
    for n in range(1, alternatives + 1):
        left = options.time_limit - (time.perf_counter() - t0)
        share = left * _weight(n) / sum(_weight(m) for m in range(n, alternatives + 1))
        items = Items(
            w=inst.weights[idx], cost=inst.cost[np.ix_(idx, idx)],
            allowed=inst.allowed[np.ix_(idx, idx)], lo=lo, hi=hi, labels=np.array(earlier),
        )  # fmt: skip
        one = _solve_one(items, cap=free_cap, count=count, pool=pool, seconds=share,
                         options=options, listing=listing)  # fmt: skip
        if isinstance(one, str):
            within = f"{100 * slack:.2f}% of the least travel"
            stopped = f"alternative {n}: {one.format(within=within)}"
            break
        local, record = one
        full = base_of.copy()
        full[idx] = idx[local]
        travel_n = float(inst.cost[np.arange(inst.n), full].sum())
        found.append(_record(record, base_of=full, travel=travel_n))
        earlier.append(_labels(full, idx))
        log.info("alternative %d: kept %d (bound %s), %s", n, record.kept, record.bound,
                 record.status)  # fmt: skip
    return AlternativesSolution(
        found=tuple(found), travel_slack=slack, slack_source=source,  # type: ignore[arg-type]
        best_travel=best, travel_cap=cap, held=inst.n - len(idx), stopped=stopped,
    )  # fmt: skip


def _listing(
    inst: Instance,
    *,
    idx: NDArray[np.int64],
    lo: NDArray[np.int64],
    hi: NDArray[np.int64],
    parts: list[Part],
    cap: float,
    options: SolveOptions,
) -> tuple[str, list[tuple[int, NDArray[np.int64]]] | None]:
    """How the alternatives' columns come: every column (small instances), every column within
    the travel cap (the columns engine's listing, when short enough), or none listed (column
    generation); with the listed columns (base, members: local indices)."""
    if not len(idx):
        return GENERATED, None
    items = Items(w=inst.weights[idx], cost=inst.cost[np.ix_(idx, idx)],
                  allowed=inst.allowed[np.ix_(idx, idx)], lo=lo, hi=hi,
                  labels=np.zeros((0, len(idx)), dtype=np.int64))  # fmt: skip
    every = items.every_column()
    if every is not None:
        return EVERY, every
    within = listed_within(inst, idx=idx, parts=parts, cap=cap, options=options,
                           seconds=LISTING_SHARE * options.time_limit)  # fmt: skip
    return (GENERATED, None) if within is None else (WITHIN, within)


def _weight(n: int) -> float:
    """Alternative n's weight in the split of the time left: the first one starts the pool
    of columns the later ones share, and needs the most time (time unused passes on)."""
    return FIRST_WEIGHT if n == 1 else 1.0


def _record(
    one: AlternativeSolve, *, base_of: NDArray[np.int64], travel: float
) -> AlternativeSolve:
    return AlternativeSolve(
        base_of=base_of, travel=travel, kept=one.kept, bound=one.bound, status=one.status,
        ended_by=one.ended_by, method=one.method, columns=one.columns,
    )  # fmt: skip


def _solve_one(
    items: Items,
    *,
    cap: float,
    count: int | None,
    pool: dict[tuple[int, bytes], NDArray[np.int64]],
    seconds: float,
    options: SolveOptions,
    listing: tuple[str, list[tuple[int, NDArray[np.int64]]] | None],
) -> tuple[NDArray[np.int64], AlternativeSolve] | str:
    """One alternative over the free items: (each item's local base, its record), or why
    there is none (``{within}`` stands for the slack's words)."""
    t0 = time.perf_counter()
    if items.n == 0:
        return "no practice can change hub (every part is held as in the best plan)"
    threads = threads_for(options)
    earlier = [_hub_keys(lab) for lab in items.labels]
    method, listed = listing
    bound: float | None = None
    ended_by = "proof"
    if listed is None:
        for lab in items.labels:  # the earlier plans' hubs, based as they were
            pool.update({(int(j), m.tobytes()): m for j, m in _plan_hubs(items, lab)})
    master = AlternativeMaster(
        n=items.n, travel_cap=cap, count=count, earlier=earlier, threads=threads
    )
    if listed is not None:
        short = len(listed) <= PRESOLVE_MAX
        # a long listing's start: a plan one practice away (its columns are listed)
        nudged = [] if short else _nudged(items, items.labels, cap=cap, earlier=earlier)[:1]
        master.add(items.columns(listed) + [c for plan in nudged for c in plan])
        mip = master.solve_mip(time_limit=t0 + seconds - time.perf_counter(), threads=threads,
                               start=nudged[0] if nudged else None, presolve=short)  # fmt: skip
    else:
        nudged = _nudged(items, items.labels, cap=cap, earlier=earlier)
        for plan in nudged:
            master.add(plan)
        start = nudged[0] if nudged else None
        master.add([items.column(j, m) for (j, _), m in pool.items()])
        pricer = Pricer(items)
        bound, ended_by = _generate(master, pricer, stop_at=t0 + GENERATION_SHARE * seconds)
        mip = master.solve_mip(
            time_limit=t0 + seconds - time.perf_counter(), threads=threads, start=start
        )
        bound, ended_by, mip = _improve(
            master, pricer, mip, bound=bound, ended_by=ended_by, cap=cap, earlier=earlier,
            stop_at=t0 + seconds, threads=threads,
        )  # fmt: skip
        pool.update({(c.base, c.key): c.members for c in master.columns})
    if mip.chosen is None:
        if mip.infeasible and listed is not None:
            besides = "" if len(earlier) == 1 else " besides those found"
            return "no other plan within {within}" + besides + ": proven"
        return "none found (the search does not prove that none exists)"
    if listed is not None:  # the MIP's bound holds for every plan: the columns are every one
        bound = mip.bound if mip.bound is not None and math.isfinite(mip.bound) else None
        ended_by = "proof" if mip.proved else "time_limit"
    return _chosen(items, mip.chosen, bound=bound, ended_by=ended_by, method=method,
                   columns=len(master.columns))  # fmt: skip


def _chosen(
    items: Items,
    chosen: list[Column],
    *,
    bound: float | None,
    ended_by: str,
    method: str,
    columns: int,
) -> tuple[NDArray[np.int64], AlternativeSolve]:
    """The plan of the chosen columns and its record."""
    kept = sum(c.kept for c in chosen)
    k_bound = None if bound is None else max(0, math.ceil(bound - 0.5 - 1e-7))
    k_bound = None if k_bound is None else min(k_bound, kept)
    status: Status = "optimal" if k_bound is not None and kept <= k_bound else "feasible"
    local = np.full(items.n, -1, dtype=np.int64)
    for c in chosen:
        local[c.members] = c.base
    record = AlternativeSolve(
        base_of=local, travel=sum(c.travel for c in chosen), kept=kept, bound=k_bound,
        status=status, ended_by="proof" if status == "optimal" else ended_by,
        method=method, columns=columns,
    )  # fmt: skip
    return local, record


NUDGES = 20  # plans one practice away from an earlier plan, seeding the master
IMPROVE_MIN = 1.0  # seconds an improvement round needs at least (else the search stops)


def _nudged(
    items: Items, plans: NDArray[np.int64], *, cap: float, earlier: list[frozenset[bytes]]
) -> list[list[Column]]:
    """Plans that move one practice of one of ``plans`` (rows of hub labels: the earlier plans,
    or the MIP's plan) to a neighbouring hub, within the
    windows, the allowed pairs and the travel cap, unlike every earlier plan: the least
    travel first (the first one starts the MIP: a plan the master can always return). The
    count is unchanged (no hub opens or closes)."""
    found: dict[bytes, tuple[float, list[Column]]] = {}
    for lab in plans:
        hubs = {int(j): m for j, m in _plan_hubs(items, lab)}
        if len(hubs) != len(np.unique(lab)):
            continue  # a hub with no allowed base among its members: not a plan of columns
        base = {int(i): j for j, m in hubs.items() for i in m.tolist()}
        load = {j: int(items.w[m].sum()) for j, m in hubs.items()}
        plan_travel = sum(float(items.cost[m, j].sum()) for j, m in hubs.items())
        for i in range(items.n):
            src = base[i]
            if i == src or load[src] - items.w[i] < items.lo[src]:
                continue
            for dst, members in hubs.items():
                if (
                    dst == src
                    or not items.allowed[i, dst]
                    or load[dst] + items.w[i] > items.hi[dst]
                ):
                    continue
                travel = plan_travel - items.cost[i, src] + items.cost[i, dst]
                if travel > cap:
                    continue
                moved = [items.column(src, hubs[src][hubs[src] != i]),
                         items.column(dst, np.append(members, i))]  # fmt: skip
                plan = moved + [items.column(j, m) for j, m in hubs.items() if j not in (src, dst)]
                key = b"".join(sorted(c.key for c in plan))
                if all(not all(c.key in hubs_r for c in plan) for hubs_r in earlier):
                    found.setdefault(key, (travel, plan))
    ranked = sorted(found.values(), key=lambda tp: tp[0])[:NUDGES]
    return [plan for _, plan in ranked]


def _plan_hubs(items: Items, labels: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
    """An earlier plan's hubs, each at its cheapest allowed base (the plan's own, usually)."""
    out = []
    for h in np.unique(labels):
        members = np.flatnonzero(labels == h).astype(np.int64)
        ok = [j for j in members if items.allowed[members, j].all()]
        if ok:
            j = min(ok, key=lambda b: float(items.cost[members, b].sum()))
            out.append((int(j), members))
    return out


def _generate(
    master: AlternativeMaster, pricer: Pricer, *, stop_at: float
) -> tuple[float | None, str]:
    """Column generation until no column prices out or time is up: the best Lagrangian bound
    seen and what ended it (``proof``: the LP is optimal over every column)."""
    bound = -math.inf
    most = max(20, master.n // 2)
    while True:
        at = master.solve_lp()
        cols, lagrange, exact = pricer.price(at, eps=master.eps, beta=master.beta, most=most)
        bound = max(bound, lagrange)
        if exact:
            return max(bound, at.value), "proof"
        if not cols or not master.add(cols):
            return bound, "work_limit"
        if time.perf_counter() >= stop_at:
            return bound, "time_limit"


def _improve(
    master: AlternativeMaster,
    pricer: Pricer,
    mip: MipResult,
    *,
    bound: float | None,
    ended_by: str,
    cap: float,
    earlier: list[frozenset[bytes]],
    stop_at: float,
    threads: int,
) -> tuple[float | None, str, MipResult]:
    """Use the time the MIP left: while at least :data:`IMPROVE_MIN` seconds are left, go on
    with the column generation where its share of the time stopped it, or, where it stalled
    (no column priced out), add the plans one practice away from the MIP's plan and generate
    again; then solve the MIP again from its plan. Stops when the MIP's plan meets the bound
    (proven) or a stalled round keeps no less. The bound stays the best Lagrangian bound seen
    (valid for every plan); returns it, what ended the search, and the best MIP."""
    while mip.chosen is not None and ended_by != "proof":
        kept = sum(c.kept for c in mip.chosen)
        if bound is not None and kept <= math.ceil(bound - 0.5 - 1e-7):
            return bound, "proof", mip
        if time.perf_counter() >= stop_at - IMPROVE_MIN:
            return bound, ended_by, mip
        stalled = ended_by == "work_limit"
        if stalled:
            labels = np.full(master.n, -1, dtype=np.int64)
            for h, c in enumerate(mip.chosen):
                labels[c.members] = h
            nudged = _nudged(pricer.items, labels[None, :], cap=cap, earlier=earlier)
            if not sum(master.add(p) for p in nudged):
                return bound, ended_by, mip
        again, ended_by = _generate(master, pricer, stop_at=stop_at - IMPROVE_MIN)
        bound = again if bound is None or again is None else max(bound, again)
        better = master.solve_mip(
            time_limit=stop_at - time.perf_counter(), threads=threads, start=mip.chosen
        )
        improved = better.chosen is not None and sum(c.kept for c in better.chosen) < kept
        if improved:
            mip = better
        elif stalled:
            return bound, ended_by, mip
    return bound, ended_by, mip
