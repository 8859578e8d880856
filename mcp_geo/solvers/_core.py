"""The engine core both levels share: pre-checks, parts, engines, combined certificate."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError

from ._compact import PartResult, objective_name, plan_cost, solve_compact
from ._elastic import relaxation_advice
from ._greedy import greedy_plan
from ._instance import Instance, Part, PlanException, prepare
from ._run import Deadline
from .certificate import Certificate, ModelSize, combine_certificates
from .rules import SolveOptions

log = logging.getLogger(__name__)

AUTO_COMPACT_MAX_ITEMS = 30  # auto: parts this small go to the compact engine


@dataclass(frozen=True)
class CoreResult:
    """``base_of[i]``: instance index of item i's base (-1 where a part has no plan)."""

    base_of: NDArray[np.int64]
    group_exception: dict[int, PlanException]  # base index -> the exception it is
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
    if options.engine != "auto":
        return options.engine
    if len(part.items) <= AUTO_COMPACT_MAX_ITEMS or inst.hi > 200_000:
        return "compact"  # tiny parts, or windows too wide for exact knapsack pricing (MCPs)
    return "columns"


def solve_part(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    engine = choose_engine(inst, part, options)
    if len(part.items) == 1:
        return _trivial(inst, part, engine)
    if engine == "columns":
        from ._columns import solve_columns

        return solve_columns(inst, part, options=options, deadline=deadline)
    items = part.items
    start = greedy_plan(
        inst.weights[items],
        inst.cost[np.ix_(items, items)],
        inst.allowed[np.ix_(items, items)],
        part.lo,
        inst.hi,
        part.count,
    )
    result, _, _ = solve_compact(
        inst,
        part,
        options=options,
        deadline=deadline,
        start=None if start is None else items[start],
    )
    return result


def solve_instance(inst: Instance, *, options: SolveOptions) -> CoreResult:
    """Pre-check, decompose, solve every part within the time limit, combine certificates."""
    t0 = time.perf_counter()
    deadline = Deadline(options.time_limit)
    prepared = prepare(inst)
    base_of = np.full(inst.n, -1, dtype=np.int64)
    group_exception: dict[int, PlanException] = {}
    certs: list[Certificate] = []
    fixed_cost = 0.0
    for base, members, exc in prepared.fixed:
        idx = np.array(members, dtype=np.int64)
        base_of[idx] = base
        group_exception[base] = exc
        fixed_cost += plan_cost(inst, idx, base_of[idx])
    if prepared.fixed:
        certs.append(
            Certificate(
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
        )
    parts = sorted(prepared.parts, key=lambda p: (len(p.items), inst.codes[p.items[0]]))
    weights = [float(len(p.items)) ** 2 for p in parts]
    for k, part in enumerate(parts):
        share = weights[k] / sum(weights[k:])
        sub = Deadline(max(0.05, deadline.remaining() * share))
        result = solve_part(inst, part, options=options, deadline=sub)
        cert = result.certificate
        if cert.status == "feasible" and cert.ended_by == "proof":
            # a sub-model was solved to the end but the part's gap is still open: the engine's
            # phases run on shares of the wall-clock limit, so the time stopped the proof
            cert = dataclasses.replace(cert, ended_by="time_limit")
        if cert.status == "infeasible":
            raise InfeasibleError(
                f"the solver proved that the {len(part.items)} {inst.item}s "
                f"{inst.names(part.items)} cannot be split into {inst.group}s of "
                f"{inst.lo:,}-{inst.hi:,} within the distance limit"
                + ("" if part.count is None else f" with {part.count} {inst.group}s")
                + "; "
                + relaxation_advice(inst, part, options=options, deadline=deadline),
                causes=(f"{inst.group} rules infeasible for {inst.names(part.items)}",),
                level=inst.level,
            )
        certs.append(cert)
        if result.base_of is not None:
            base_of[part.items] = result.base_of
            if part.exception is not None:
                exc = next(e for e in prepared.exceptions if inst.codes[part.items[0]] in e.items)
                for b in set(result.base_of.tolist()):
                    group_exception[int(b)] = exc
    if not certs:  # an empty instance
        certs.append(
            _trivial(
                inst, Part(items=np.zeros(0, dtype=np.int64), lo=0), options.engine
            ).certificate
        )
    cert = combine_certificates(certs, gap_tolerance=options.gap, seconds=time.perf_counter() - t0)
    return CoreResult(
        base_of=base_of,
        group_exception=group_exception,
        exceptions=prepared.exceptions,
        certificate=cert,
        parts=len(parts),
    )
