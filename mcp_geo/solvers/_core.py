"""The engine core both levels share: pre-checks, parts, engines, combined certificate."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError

from . import progress
from ._canonical import canonical_bases
from ._compact import CompactEngine, objective_name, plan_cost
from ._elastic import relaxation_advice
from ._instance import Instance, Part, PlanException, Prepared
from ._prechecks import prepare
from ._run import Deadline
from ._shortfall import solve_shortfall, under_floor
from ._stages import fixed_stages, solve_fewest, with_count_stage
from ._window import count_window, under_window
from .certificate import (
    Certificate,
    ModelSize,
    combine_certificates,
    relative_gap,
    weakest,
    within_gap,
)
from .columns import ColumnsEngine
from .engine import Engine, PartResult
from .reference import (
    continued_groups,
    plan_moves,
    solve_reference,
    solve_shortfall_reference,
)
from .rules import SolveOptions

log = logging.getLogger(__name__)

AUTO_COMPACT_MAX_ITEMS = 30  # auto: hub parts this small go to the compact engine (MCP levels
# never: measured on 14 ICBs' MCP levels of 15-33 hubs, one thread, gap 0.5%, the same travel by
# both engines in 0.03-0.21 s by columns against 0.08-1.88 s compact: QJM 25 hubs 0.21 s
# against 1.88 s, QT6 19 hubs 0.20 s against 0.97 s)
AUTO_WIDE_WINDOW = 200_000  # auto: windows wider than this go to the compact engine, unless
# their top cannot bind (measured, MCPs of Cheshire and Merseyside (QYG), 83 hubs, one thread:
# columns proven within 0.04% in 1.8 s, compact within 0.5% in 10.6 s)

ENGINES: dict[str, Engine] = {"compact": CompactEngine(), "columns": ColumnsEngine()}
"""The engines by the name ``SolveOptions.engine`` gives them (``auto`` chooses among them)."""


@dataclass(frozen=True)
class CoreResult:
    """One level's plan over every part, and its combined certificate.

    Attributes
    ----------
    base_of
        ``base_of[i]``: instance index of item i's base (-1 where a part has no plan).
    group_exception
        Base index -> the exception its group is.
    exceptions
        Every named exception.
    certificate
        The parts' certificates combined.
    parts
        How many parts were optimised.
    """

    base_of: NDArray[np.int64]
    group_exception: dict[int, PlanException]
    exceptions: tuple[PlanException, ...]
    certificate: Certificate
    parts: int


def _trivial(inst: Instance, part: Part, engine: str) -> PartResult:
    cert = Certificate(
        engine=engine,
        solver="none",
        solver_version="",
        status="optimal",
        objective=0.0,
        objective_name=objective_name(inst),
        bound=0.0,
        gap=0.0,
        seconds=0.0,
        ended_by="no_model",
        model_size=ModelSize(parts=1),
    )
    return PartResult(base_of=part.items.copy(), certificate=cert)


def choose_engine(inst: Instance, part: Part, options: SolveOptions) -> str:
    """The engine's name for a part: the options', or for ``auto`` by the part's size.

    Parameters
    ----------
    inst, part
        The instance and the part.
    options
        The solve options (``engine``).

    Returns
    -------
    str
        ``"compact"`` or ``"columns"``.
    """
    if options.engine != "auto":
        return options.engine
    if len(part.items) <= AUTO_COMPACT_MAX_ITEMS and inst.level == "hubs":
        return "compact"  # tiny parts of practices
    hi = part.ceiling(inst)
    if hi > AUTO_WIDE_WINDOW and hi < int(inst.weights[part.items].sum()):
        return "compact"  # a wide window whose top may bind: too wide for knapsack pricing
    return "columns"  # (MCPs with no maximum: pricing by covering, columns.knapsack._covering)


def solve_part(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """Solve one part with the engine chosen for it (a single item needs no model).

    Parameters
    ----------
    inst, part
        The instance and the part.
    options
        The solve options.
    deadline
        The part's share of the level's time.

    Returns
    -------
    PartResult
        The part's plan and certificate.
    """
    engine = choose_engine(inst, part, options)
    if len(part.items) == 1:
        result = _trivial(inst, part, engine)
        if inst.count == "fewest":
            cert = fixed_stages(inst, result.certificate, groups=1)
            result = PartResult(base_of=result.base_of, certificate=cert)
        return result
    if part.shortfall and inst.reference is not None:  # its stages include the count's
        return solve_shortfall_reference(inst, part, options=options, deadline=deadline)
    if part.shortfall:
        result = solve_shortfall(
            inst,
            part,
            options=options,
            deadline=deadline,
            solve_groups=(  # not with sites: (see _shortfall_travel)
                None
                if inst.sites
                else (lambda i, p, d: solve_part(i, p, options=options, deadline=d))
            ),
            columns=engine == "columns",
        )
        return with_count_stage(inst, part, result) if inst.count == "fewest" else result
    if inst.count == "fewest" and part.count is None:
        return solve_fewest(
            inst,
            part,
            options=options,
            deadline=deadline,
            solve=lambda i, p, d: solve_part(i, p, options=options, deadline=d),
            solve_free=lambda i, p, d: ENGINES[engine].solve(i, p, options=options, deadline=d),
        )
    if inst.reference is not None:
        return _from_reference(inst, part, engine=engine, options=options, deadline=deadline)
    if part.count is not None:
        return _solve_counted(inst, part, engine=engine, options=options, deadline=deadline)
    return ENGINES[engine].solve(inst, part, options=options, deadline=deadline)


MIN_PART_SHARE = 0.1  # of the level's time left, at least, for each part, whatever its size:
# parts share it by their size squared, but a small part can be hard (Lancashire and South
# Cumbria's least-exception part of 29 practices needs 0.5 s; its 3% of a minute, halved for the
# shortfall stage, left 58% between its plan and bound, while the other part used 3 s of 57)
SHORTFALL_PART_SHARE = 0.5  # of the level's time left, at least, for a least-exception part
# once its rules are found impossible: its stages are models of the whole part, which end when
# proven (Lancashire and South Cumbria's 29 practices: 4,067 short, proven, in 1 s alone; at 30 s
# its 10% after the engine's proof left 28,000 against a bound of 3,862)
SEED_SHARE = 0.6  # of a part's time, at most, for its plan from scratch (with a reference):
# it stops within SEED_GAP, so an easy part uses little of it; a hard one (QHM, QWO under load:
# no plan in 40% of 30 s) needs it
SEED_GAP = 0.01  # that plan's gap when it only seeds the stages (no travel slack)


def _from_reference(
    inst: Instance, part: Part, *, engine: str, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """A part planned from the reference groups, seeded with its plan from scratch (with the
    rest of the time when its share found none: the stages need a plan to start from)."""
    assert inst.reference is not None
    first = options  # only a first plan is needed without a travel slack: stop near the best
    if inst.reference.travel_slack is None:
        first = dataclasses.replace(options, gap=max(options.gap, SEED_GAP))
    seed = _seed(inst, part, engine=engine, options=first, deadline=Deadline(
        SEED_SHARE * deadline.remaining()))  # fmt: skip
    if seed.base_of is None and seed.certificate.status != "infeasible":
        log.info("%s: no plan from scratch in its share of the time: trying again", inst.level)
        seed = _seed(inst, part, engine=engine, options=first, deadline=deadline)
    if seed.base_of is None:
        return seed  # infeasible (the caller explains), or no plan in time
    return solve_reference(
        inst, part, ref=inst.reference, seed=seed, options=options, deadline=deadline
    )


def _seed(
    inst: Instance, part: Part, *, engine: str, options: SolveOptions, deadline: Deadline
) -> PartResult:
    if part.count is not None:
        return _solve_counted(inst, part, engine=engine, options=options, deadline=deadline)
    return ENGINES[engine].solve(inst, part, options=options, deadline=deadline)


def _solve_counted(
    inst: Instance, part: Part, *, engine: str, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """A part with a fixed count, solved in the window the count implies (:mod:`._window`);
    proven infeasible at once when an item cannot reach that window's floor."""
    tight = count_window(inst, part)
    if tight is not part:
        stranded = under_window(inst, tight)
        log.info(
            "%s: %d %ss need %s-%s each; %d %ss cannot reach it",
            inst.level,
            part.count,
            inst.group,
            f"{tight.lo:,}",
            f"{tight.ceiling(inst):,}",
            len(stranded),
            inst.item,
        )
        if len(stranded):
            cert = Certificate(
                engine=engine,
                solver="none",
                solver_version="",
                status="infeasible",
                objective=None,
                objective_name=objective_name(inst),
                bound=None,
                gap=None,
                seconds=0.0,
                ended_by="proof",
                model_size=ModelSize(parts=1),
            )
            return PartResult(base_of=None, certificate=cert)
    return ENGINES[engine].solve(inst, tight, options=options, deadline=deadline)


def _fixed_certificate(inst: Instance, fixed_cost: float) -> Certificate:
    return Certificate(
        engine="pre-checks",
        solver="none",
        solver_version="",
        status="optimal",
        objective=fixed_cost,
        objective_name=objective_name(inst),
        bound=fixed_cost,
        gap=0.0,
        seconds=0.0,
        ended_by="no_model",
        model_size=ModelSize(parts=0),
    )


def _proven_infeasible(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> InfeasibleError:
    """The error for a part the solver proved infeasible, with what to relax (as data too)."""
    words, relax = relaxation_advice(inst, part, options=options, deadline=deadline)
    return InfeasibleError(
        f"the solver proved that the {len(part.items)} {inst.item}s "
        f"{inst.names(part.items)}"
        + (f" ({inst.area_of(part.items)})" if inst.areas is not None else "")
        + f" cannot be split into {inst.group}s of "
        f"{inst.lo:,}-{inst.hi:,} within the distance limit"
        + ("" if part.count is None else f" with {part.count} {inst.group}s")
        + "; "
        + words,
        causes=(f"{inst.group} rules infeasible for {inst.names(part.items)}",),
        level=inst.level,
        relax=relax,
    )


def solve_instance(inst: Instance, *, options: SolveOptions) -> CoreResult:
    """Pre-check, decompose, solve every part within the time limit, combine certificates.

    Parameters
    ----------
    inst
        The level's instance.
    options
        The solve options (the time limit is the whole level's).

    Returns
    -------
    CoreResult
        The plan over every part and its certificate.

    Raises
    ------
    InfeasibleError
        When the pre-checks or the solver prove that no plan satisfies the rules (``relax``
        names the options that would allow one, ``level`` the level).
    """
    t0 = time.perf_counter()
    deadline = Deadline(options.time_limit)
    with progress.level_progress(f"{inst.group}s", deadline=deadline):
        return _solve_parts(inst, options=options, deadline=deadline, t0=t0)


def _solve_parts(
    inst: Instance, *, options: SolveOptions, deadline: Deadline, t0: float
) -> CoreResult:
    """:func:`solve_instance` within its level's progress records."""
    prepared = prepare(inst)
    base_of = np.full(inst.n, -1, dtype=np.int64)
    group_exception: dict[int, PlanException] = {}
    exceptions = list(prepared.exceptions)
    certs: list[Certificate] = []
    fixed_cost = 0.0
    for base, members, exc in prepared.fixed:
        idx = np.array(members, dtype=np.int64)
        base_of[idx] = base
        group_exception[base] = exc
        fixed_cost += plan_cost(inst, idx, base_of[idx])
    if prepared.fixed:
        cert = _fixed_certificate(inst, fixed_cost)
        if inst.count == "fewest":
            cert = fixed_stages(inst, cert, groups=len(prepared.fixed))
        certs.append(cert)
    parts = sorted(
        _coupled(inst, prepared.parts), key=lambda p: (len(p.items), inst.codes[p.items[0]])
    )
    weights = [float(len(p.items)) ** 2 for p in parts]
    for k, part in enumerate(parts):
        share = max(weights[k] / sum(weights[k:]), MIN_PART_SHARE)
        sub = Deadline(max(0.05, deadline.remaining() * share))
        progress.at_part(k + 1, parts=len(parts))
        result = solve_part(_claimed(inst, base_of), part, options=options, deadline=sub)
        cert = result.certificate
        if cert.status == "feasible" and cert.ended_by == "proof":
            # a sub-model was solved to the end but the part's gap is still open: the engine's
            # phases run on shares of the wall-clock limit, so the time stopped the proof
            cert = dataclasses.replace(cert, ended_by="time_limit")
        if cert.status == "infeasible" and (
            inst.strict or isinstance(inst.count, int) or inst.sites
        ):
            raise _proven_infeasible(inst, part, options=options, deadline=deadline)
        if cert.status == "infeasible":  # the least-exception plan of this part
            part = dataclasses.replace(part, shortfall=True)
            sub = Deadline(max(0.05, deadline.remaining() * max(share, SHORTFALL_PART_SHARE)))
            result = solve_part(_claimed(inst, base_of), part, options=options, deadline=sub)
            cert = result.certificate
        certs.append(cert)
        if result.base_of is not None:
            part_bases = canonical_bases(inst, part.items, result.base_of)
            base_of[part.items] = part_bases
            _mark_exceptions(
                inst, part, part_bases, prepared=prepared, group_exception=group_exception
            )
            if part.shortfall:
                for b, exc in under_floor(inst, part, part_bases):
                    group_exception[b] = exc
                    exceptions.append(exc)
    if not certs:  # an empty instance
        empty = Part(items=np.zeros(0, dtype=np.int64), lo=0)
        certs.append(_trivial(inst, empty, options.engine).certificate)
    cert = combine_certificates(certs, gap_tolerance=options.gap, seconds=time.perf_counter() - t0)
    cert = _recounted_moves(inst, base_of, cert=cert, gap=options.gap)
    progress.at_part(None, parts=len(parts))  # the level's figures, over every part
    progress.report("solved", best=cert.objective, bound=cert.bound)
    return CoreResult(
        base_of=base_of,
        group_exception=group_exception,
        exceptions=tuple(exceptions),
        certificate=cert,
        parts=len(parts),
    )


def _coupled(inst: Instance, parts: tuple[Part, ...]) -> list[Part]:
    """With a reference: parts that share a reference group solved as one (the group rows of
    the labelled master couple them: a group continues at most once over both), so a group
    across parts is continued where it keeps most; with a travel slack, every part as one (the
    slack (R6) bounds the footprint's travel, not each part's). Parts with an exception stay
    apart."""
    if inst.reference is None:
        return list(parts)
    labels = inst.reference.labels
    plain = [p for p in parts if p.exception is None and p.count is None and p.hi is None]
    graph = nx.Graph()
    for k, part in enumerate(plain):
        graph.add_node(("p", k))
        if inst.reference.travel_slack is not None:
            graph.add_edge(("p", k), ("slack", 0))
        for g in set(labels[part.items].tolist()) - {-1}:
            graph.add_edge(("p", k), ("g", g))
    out = [p for p in parts if not any(p is q for q in plain)]
    for comp in nx.connected_components(graph):
        members = [plain[k] for kind, k in comp if kind == "p"]
        items = np.sort(np.concatenate([p.items for p in members]))
        out.append(
            members[0] if len(members) == 1 else dataclasses.replace(members[0], items=items)
        )
    return out


def _claimed(inst: Instance, base_of: NDArray[np.int64]) -> Instance:
    """With a reference: the instance whose groups continued by a practice over the ceiling
    (a hub on its own, fixed in ``base_of``) are claimed, so no group of a part continues them.

    Such a hub keeps more of its group than any hub within the ceiling could, so the best
    matching always gives it its group. Groups that span parts are not claimed: each part may
    continue them, the level's moves are recounted over the whole plan (one matching) and the
    parts' bounds stay valid (each part's is a relaxation's)."""
    if inst.reference is None or (base_of < 0).all():
        return inst
    over = (base_of >= 0) & (inst.weights > inst.hi)
    alone = np.where(over, base_of, -1)
    claimed = continued_groups(inst.reference, alone, weights=inst.weights)
    ref = dataclasses.replace(inst.reference, claimed=claimed)
    return dataclasses.replace(inst, reference=ref)


def _recounted_moves(
    inst: Instance, base_of: NDArray[np.int64], *, cert: Certificate, gap: float
) -> Certificate:
    """The level's moves stage recounted over the whole plan (one matching for every part;
    its bound stays the parts' sum)."""
    if inst.reference is None or not any(st.name == "moves" for st in cert.stages):
        return cert
    moves = float(plan_moves(inst.reference, base_of, weights=inst.weights))
    stages = []
    for st in cert.stages:
        if st.name == "moves" and st.objective != moves:
            log.warning("moves: the parts counted %s, the whole plan %s", st.objective, moves)
            g = relative_gap(moves, st.bound)
            status = (
                st.status
                if st.status not in ("optimal", "feasible")
                else ("optimal" if within_gap(g, 0.0) else "feasible")
            )
            st = dataclasses.replace(st, objective=moves, gap=g, status=status)
        stages.append(st)
    return dataclasses.replace(
        cert, stages=tuple(stages), status=weakest([cert.status, *(s.status for s in stages)])
    )


def _mark_exceptions(
    inst: Instance,
    part: Part,
    base_of: NDArray[np.int64],
    *,
    prepared: Prepared,
    group_exception: dict[int, PlanException],
) -> None:
    """Every group of an exception part (an island with no single base) is that exception."""
    if part.exception is None:
        return
    exc = next(e for e in prepared.exceptions if inst.codes[part.items[0]] in e.items)
    for b in set(base_of.tolist()):
        group_exception[int(b)] = exc
