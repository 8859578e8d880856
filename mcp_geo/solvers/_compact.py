r"""The compact engine: the textbook capacitated p-median model with a floor and a ceiling.

Items :math:`i \in I` (practices) with integer weights :math:`w_i` (patients), candidate bases
:math:`J \subseteq I`, pairs :math:`A = \{(i, j): j \in J, i \ne j, d_{ij} \le` ``max_km``
:math:`\}`, costs :math:`c_{ij} = w_i d_{ij}` (``weighted``) or :math:`d_{ij}` (``distance``),
window :math:`[L, U]`, optional count :math:`p`.

.. math::

    \min \sum_{(i,j) \in A} c_{ij} x_{ij}                                            && (E1)

    \text{s.t.}\quad [i \in J]\, y_i + \sum_{j:(i,j) \in A} x_{ij} = 1 \quad \forall i \in I
                                                                                      && (E2)

    x_{ij} \le y_j \quad \forall (i,j) \in A                                          && (E3)

    w_j y_j + \sum_{i:(i,j) \in A} w_i x_{ij} \ge L\, y_j \quad \forall j \in J       && (E4)

    w_j y_j + \sum_{i:(i,j) \in A} w_i x_{ij} \le U\, y_j \quad \forall j \in J       && (E5)

    x_{jj} = y_j \quad \forall j \in J \text{ (a base serves itself; substituted)}    && (E6)

    \sum_{j \in J} y_j = p \quad \text{(when the count is fixed)}                     && (E7)

    \sum_{(i,j) \in A} c_{ij} x_{ij} \ge \ell_k + \sum_{j \in J} r_{kj} y_j \quad
        \text{(optional Lagrangian cuts)}                                            && (E8)

    x, y \in \{0, 1\}.

Least-exception plans (:mod:`._shortfall`) give every floor row its own shortfall
:math:`0 \le s_j \le L - w_j`:

.. math::

    w_j y_j + \sum_{i:(i,j) \in A} w_i x_{ij} + s_j \ge L\, y_j \quad \forall j \in J
                                                                                      && (E4s)

    \sum_{j \in J} s_j \le S^* \quad \text{(the proven least shortfall, in the travel stage)}
                                                                                      && (E9)

and first minimise :math:`\sum_j s_j` (the ``shortfall`` stage), then (E1) under (E9).

(E8) is added by the columns engine only: for duals :math:`\pi, \mu` of the set-partitioning
master, :math:`\ell = \sum_i \pi_i + p\mu` and :math:`r_j` a lower bound on the best reduced
cost of a column based at j, every plan costs at least :math:`\ell + \sum_{j \text{ open}} r_j`
(its cost is the sum of its columns' reduced costs plus :math:`\ell`).

Constraint names carry the equation and the base's code: ``assign[E2,P81001]``,
``link[E3,P81002,P81001]``, ``hub_size_min[E4,P81001]``, ``hub_size_max[E5,P81001]``,
``hub_count[E7]`` (PuLP writes ``[`` ``]`` ``,`` as ``_`` in files). The columns engine reuses this
module on a model shrunk by reduced-cost fixing (``bases`` and ``pairs`` restrict J and A).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pulp
from numpy.typing import NDArray

from . import progress
from ._greedy import part_greedy
from ._instance import Instance, Part
from ._run import Deadline, Presolve, RunResult, run_mip
from .certificate import Certificate, ModelSize, Status, relative_gap, within_gap
from .engine import PartResult
from .rules import SolveOptions

log = logging.getLogger(__name__)

_PLAIN = re.compile(r"[A-Za-z0-9_.]+")
WARM_START_MAX_VARIABLES = 20_000
PRESOLVE_MAX_VARIABLES = 40_000


def objective_name(inst: Instance) -> str:
    if inst.objective == "weighted":
        return f"patient-weighted km from {inst.item} to {inst.group} base"
    return f"km from {inst.item} to {inst.group} base"


def plan_cost(inst: Instance, items: NDArray[np.int64], base_of: NDArray[np.int64]) -> float:
    return float(inst.cost[items, base_of].sum())


Terms = list[tuple[pulp.LpVariable, float]]


def plain_tag(text: str, *, fallback: str) -> str:
    """``text`` where a constraint name can carry it as it is, else ``fallback``.

    Parameters
    ----------
    text
        A code or name read from a file.
    fallback
        The tag to use instead.

    Returns
    -------
    str
        The tag.
    """
    return text if _PLAIN.fullmatch(text) else fallback


def item_tags(inst: Instance, items: NDArray[np.int64]) -> list[str]:
    """The items' codes as constraint names carry them (``item<k>`` where a code will not do).

    Parameters
    ----------
    inst
        The instance.
    items
        The items (instance indices).

    Returns
    -------
    list[str]
        One unique tag per item.
    """
    tags = [
        plain_tag(c if k < inst.real else f"site_{c}", fallback=f"item{k}")
        for k, c in zip(items, (inst.codes[i] for i in items), strict=True)
    ]
    if len(set(tags)) < len(tags):  # a site named like a practice, say
        tags = [f"item{k}" for k in items]
    return tags


def _objective(
    prob: pulp.LpProblem,
    *,
    x: dict[tuple[int, int], pulp.LpVariable],
    cost: NDArray[np.float64],
    slack: pulp.LpVariable | None,
    short: dict[int, pulp.LpVariable],
    shortfall: str | float | None,
) -> None:
    """The objective: (E1) the travel, the elastic slack, or the least shortfall (with
    ``shortfall="min"``); a number caps the shortfall (E9) under (E1)."""
    total = pulp.LpAffineExpression([(v, 1.0) for v in short.values()])
    if shortfall == "min":
        prob += total, "shortfall"
        return
    if shortfall is not None:
        prob += pulp.LpConstraint(total, pulp.LpConstraintLE, "shortfall_cap[E9]", float(shortfall))
    if slack is None:
        prob += pulp.LpAffineExpression([(v, float(cost[i, j])) for (i, j), v in x.items()]), "E1"
    else:
        prob += pulp.LpAffineExpression([(slack, 1.0)]), "elastic"


def build_compact(
    inst: Instance,
    part: Part,
    *,
    bases: NDArray[np.bool_] | None = None,
    pairs: NDArray[np.bool_] | None = None,
    cuts: Sequence[tuple[float, NDArray[np.float64]]] = (),
    elastic: str = "",
    shortfall: str | float | None = None,
) -> tuple[pulp.LpProblem, dict[int, pulp.LpVariable], dict[tuple[int, int], pulp.LpVariable]]:
    """The model (E1)-(E7) over a part; ``bases``/``pairs`` (part-local masks) restrict J and A.

    Parameters
    ----------
    inst, part
        The instance and the part to model.
    bases, pairs
        Part-local masks of the bases and pairs kept (all when None).
    cuts
        Lagrangian cuts (E8) as (constant, per-base reduced-cost bounds).
    elastic
        ``"floor"`` (or ``"ceiling"``) relaxes every (E4) (or (E5)) row by one variable and
        minimises it instead of (E1); see :mod:`._elastic`.
    shortfall
        Least-exception plans (:mod:`._shortfall`): every (E4) row gets its own shortfall
        variable s_j >= 0 (E4s); ``"min"`` minimises the sum of the s_j instead of (E1); a
        number caps that sum (E9) and (E1) stays the objective.

    Returns
    -------
    tuple
        The problem, the base variables ``y[j]`` and the pair variables ``x[i, j]`` (part-local).
    """
    items = part.items
    n = len(items)
    local_allowed = inst.allowed[np.ix_(items, items)].copy()
    if pairs is not None:
        local_allowed &= pairs
    base_ok = np.diagonal(local_allowed).copy()  # the base rules (see Instance.allowed)
    if bases is not None:
        base_ok &= bases
    cost = inst.cost[np.ix_(items, items)]
    tags = item_tags(inst, items)
    prob = pulp.LpProblem("hubs_compact", pulp.LpMinimize)
    y = {j: prob.add_variable(f"y_{j}", 0, 1, cat=pulp.LpInteger) for j in range(n) if base_ok[j]}
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for j in y:
        for i in np.flatnonzero(local_allowed[:, j]):
            if i != j:
                x[int(i), j] = prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpInteger)
    slack = prob.add_variable("elastic", 0, None) if elastic else None
    short = {
        j: prob.add_variable(f"s_{j}", 0, float(part.lo - inst.weights[items[j]]))
        for j in y
        if shortfall is not None and part.lo > inst.weights[items[j]]
    }
    _objective(prob, x=x, cost=cost, slack=slack, short=short, shortfall=shortfall)
    cols = _assignment_rows(prob, y=y, x=x, w=inst.weights[items], tags=tags)
    floor_slack: Terms = [(slack, 1.0)] if slack is not None and elastic == "floor" else []
    ceiling_slack: Terms = [(slack, -1.0)] if slack is not None and elastic == "ceiling" else []
    _size_rows(
        prob,
        y=y,
        cols=cols,
        w=inst.weights[items],
        tags=tags,
        window=(part.lo, part.ceiling(inst)),
        slacks=(floor_slack, ceiling_slack),
        short=short,
    )
    if part.count is not None:
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression([(v, 1.0) for v in y.values()]),
            pulp.LpConstraintEQ,
            "hub_count[E7]",
            float(part.count),
        )
    for k, (ell, r) in enumerate(cuts):
        terms = [(v, float(cost[i, j])) for (i, j), v in x.items()]
        terms += [(yj, -float(r[j])) for j, yj in y.items() if r[j] != 0]
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression(terms),
            pulp.LpConstraintGE,
            f"lagrangian_cut[E8,{k}]",
            float(ell),
        )
    return prob, y, x


def _assignment_rows(
    prob: pulp.LpProblem,
    *,
    y: dict[int, pulp.LpVariable],
    x: dict[tuple[int, int], pulp.LpVariable],
    w: NDArray[np.int64],
    tags: list[str],
) -> list[Terms]:
    """Rows (E2) and (E3); returns each base's weighted pair terms, for (E4)-(E5)."""
    n = len(tags)
    rows: list[Terms] = [[] for _ in range(n)]
    cols: list[Terms] = [[] for _ in range(n)]
    for (i, j), v in x.items():
        rows[i].append((v, 1.0))
        cols[j].append((v, float(w[i])))
    for i in range(n):
        terms = rows[i] + ([(y[i], 1.0)] if i in y else [])
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, f"assign[E2,{tags[i]}]", 1.0
        )
    for (i, j), v in x.items():
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression([(v, 1.0), (y[j], -1.0)]),
            pulp.LpConstraintLE,
            f"link[E3,{tags[i]},{tags[j]}]",
            0.0,
        )
    return cols


def _size_rows(
    prob: pulp.LpProblem,
    *,
    y: dict[int, pulp.LpVariable],
    cols: list[Terms],
    w: NDArray[np.int64],
    tags: list[str],
    window: tuple[int, int],
    slacks: tuple[Terms, Terms],
    short: dict[int, pulp.LpVariable],
) -> None:
    """Rows (E4) and (E5) of every base, with the elastic (or shortfall) variable where it
    applies."""
    lo, hi = window
    floor_slack, ceiling_slack = slacks
    for j, yj in y.items():
        if lo > w[j]:
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression(
                    [*cols[j], (yj, float(w[j] - lo)), *floor_slack]
                    + ([(short[j], 1.0)] if j in short else [])
                ),
                pulp.LpConstraintGE,
                f"hub_size_min[E4,{tags[j]}]",
                0.0,
            )
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression([*cols[j], (yj, float(w[j] - hi)), *ceiling_slack]),
            pulp.LpConstraintLE,
            f"hub_size_max[E5,{tags[j]}]",
            0.0,
        )


def model_size(prob: pulp.LpProblem) -> ModelSize:
    cons = prob.constraints()
    return ModelSize(
        variables=prob.numVariables(),
        constraints=len(cons),
        nonzeros=sum(len(c) for c in cons),
        parts=1,
    )


def decode(
    part: Part,
    *,
    y: dict[int, pulp.LpVariable],
    x: dict[tuple[int, int], pulp.LpVariable],
    values: dict[str, float],
) -> NDArray[np.int64]:
    """Instance index of each part item's base from the solver's values.

    Raises
    ------
    RuntimeError
        When the solver's values leave an item unassigned.
    """
    n = len(part.items)
    base_local = np.full(n, -1)
    for j, v in y.items():
        if values.get(v.name, 0.0) > 0.5:
            base_local[j] = j
    for (i, j), v in x.items():
        if values.get(v.name, 0.0) > 0.5:
            base_local[i] = j
    if (base_local < 0).any():
        raise RuntimeError("the solver's plan leaves items unassigned")
    result: NDArray[np.int64] = part.items[base_local]
    return result


def group_shortfalls(
    weights: NDArray[np.int64], base_of: NDArray[np.int64], *, lo: int
) -> dict[int, int]:
    """Each group's weight below the floor (0 at or above it), by base.

    Parameters
    ----------
    weights
        The items' weights.
    base_of
        Each item's base (any labels).
    lo
        The floor.

    Returns
    -------
    dict[int, int]
        Shortfall by base.
    """
    bases, inverse = np.unique(base_of, return_inverse=True)
    loads = np.bincount(inverse, weights=weights, minlength=len(bases))
    return {int(b): max(0, lo - round(load)) for b, load in zip(bases, loads, strict=True)}


def set_start(
    part: Part,
    start: NDArray[np.int64],
    *,
    y: dict[int, pulp.LpVariable],
    x: dict[tuple[int, int], pulp.LpVariable],
    size: ModelSize,
    shortfall_of: tuple[pulp.LpProblem, NDArray[np.int64]] | None = None,
) -> tuple[bool, bool]:
    """Whether a known plan fits the model, and whether it was handed to the solver.

    ``shortfall_of``: for a model with shortfall variables (E4s), the model and the instance's
    weights, so that each base's ``s_j`` starts at its group's shortfall and the solver need
    not complete the start.
    """
    pos = {int(g): k for k, g in enumerate(part.items)}
    local = np.array([pos[int(b)] for b in start])
    start_ok = all(j in y for j in set(local.tolist())) and all(
        (i, j) in x for i, j in enumerate(local.tolist()) if i != j
    )
    # HiGHS 1.16 overruns its time limit by minutes when handed a start on a model this big
    # (e.g. Greater Manchester): there the start is kept aside as the fallback plan instead
    if not (start_ok and size.variables <= WARM_START_MAX_VARIABLES):
        return start_ok, False
    for v in y.values():
        v.setInitialValue(0)
    for v in x.values():
        v.setInitialValue(0)
    for i, j in enumerate(local.tolist()):
        (y[j] if i == j else x[i, j]).setInitialValue(1)
    if shortfall_of is not None:
        prob, weights = shortfall_of
        short = group_shortfalls(weights[part.items], local, lo=part.lo)
        variables = prob.variablesDict()
        for j in y:
            s = variables.get(f"s_{j}")
            if s is not None:
                s.setInitialValue(float(short.get(j, 0)))
    return start_ok, True


def solve_compact(
    inst: Instance,
    part: Part,
    *,
    options: SolveOptions,
    deadline: Deadline,
    start: NDArray[np.int64] | None = None,
    bases: NDArray[np.bool_] | None = None,
    pairs: NDArray[np.bool_] | None = None,
    cuts: Sequence[tuple[float, NDArray[np.float64]]] = (),
    engine: str = "compact",
    time_limit: float | None = None,
    gap: float | None = None,
    quiet: bool = False,
) -> tuple[PartResult, RunResult, ModelSize]:
    """Build and solve the compact model of a part (optionally restricted and warm-started).

    Parameters
    ----------
    inst, part
        The instance and the part to solve.
    options, deadline
        Solver options and the part's wall-clock budget.
    start
        Instance index of each part item's base in a known plan (a warm start, and a fallback).
    bases, pairs, cuts
        Restrictions and cuts, as for :func:`build_compact`.
    engine
        The name the certificate gives the engine.
    time_limit, gap
        A tighter solver limit and another gap tolerance than the options', if given.
    quiet
        No progress records, and the log at DEBUG (a sub-problem of a part: its figures are
        not the part's).

    Returns
    -------
    tuple
        The part's result, the solver's run and the model's size.
    """
    t_build = time.perf_counter()
    prob, y, x = build_compact(inst, part, bases=bases, pairs=pairs, cuts=cuts)
    size = model_size(prob)
    # the solver interface copies the model again (PuLP -> highspy, or an MPS file for CBC):
    # keep about as long again as building took out of the solver's own limit
    overhead = (1.5 if options.solver == "highs" else 3.0) * (time.perf_counter() - t_build)
    warm = start_ok = False
    if start is not None:
        start_ok, warm = set_start(part, start, y=y, x=x, size=size)
    # HiGHS is interrupted at its limit (see _run); a little is kept for reading the solution
    limit = (0.95 if options.solver == "highs" else 0.8) * (deadline.remaining() - overhead)
    if time_limit is not None:
        limit = min(time_limit, limit)
    opts = options if gap is None else replace(options, gap=gap)
    level = logging.DEBUG if quiet else logging.INFO
    log.log(
        level,
        "compact: %d variables built in %.1fs; solver limit %.1fs",
        size.variables,
        time.perf_counter() - t_build,
        limit,
    )
    # HiGHS's presolve does not watch the clock: on very big models it alone can take minutes
    presolve: Presolve = "on" if size.variables <= PRESOLVE_MAX_VARIABLES else "off"
    known = None if start is None else plan_cost(inst, part.items, start)  # (reported only)
    if not quiet:
        progress.report(
            f"MIP of {size.variables:,} variables", best=known, bound=None, deadline=deadline
        )
    run = run_mip(prob, options=opts, time_limit=limit, warm=warm, presolve=presolve)
    log.log(level, "compact: solver %s after %.1fs", run.status, run.seconds)
    ok = run.status in ("optimal", "feasible")
    base_of = decode(part, y=y, x=x, values=run.values) if ok else None
    objective = run.objective
    if base_of is not None:
        objective = plan_cost(inst, part.items, base_of)
    status = run.status
    if start_ok and start is not None and run.status != "infeasible":
        start_cost = plan_cost(inst, part.items, start)
        if objective is None or start_cost < objective - 1e-9:
            base_of, objective = start.copy(), start_cost
            status = "feasible"
    cert = _certificate(inst, run, status=status, objective=objective, options=options)
    cert = replace(cert, engine=engine, model_size=size)
    # a restricted model's bound holds for the restriction only (the support model's): the
    # caller, who knows why it restricted, reports the part's bound
    shown = cert.bound if bases is None and pairs is None else None
    if not quiet:
        progress.report(f"MIP of {size.variables:,} variables", best=objective, bound=shown)
    return PartResult(base_of=base_of, certificate=cert), run, size


def _certificate(
    inst: Instance,
    run: RunResult,
    *,
    status: str,
    objective: float | None,
    options: SolveOptions,
) -> Certificate:
    """The certificate of a compact solve: the plan's status re-derived from its gap."""
    bound = run.bound
    if bound is None and run.status != "infeasible":
        bound = 0.0  # costs are >= 0: the trivial bound, when the solver stopped before its own
    if bound is not None and objective is not None:
        bound = min(bound, objective)
    final: Status = (
        "optimal"
        if status == "feasible" and within_gap(relative_gap(objective, bound), options.gap)
        else status  # type: ignore[assignment]
    )
    return Certificate(
        engine="compact",
        solver=run.solver,
        solver_version=run.version,
        status=final,
        objective=objective,
        objective_name=objective_name(inst),
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=run.seconds,
        ended_by=run.ended_by,
    )


class CompactEngine:
    """The compact engine behind the :class:`~mcp_geo.solvers.engine.Engine` contract.

    The textbook model (E1)-(E7), warm-started with the part's start, else the greedy plan
    when there is one.
    """

    name = "compact"

    def solve(
        self, inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
    ) -> PartResult:
        """Solve one part with the compact model.

        Parameters
        ----------
        inst, part, options, deadline
            As for :meth:`mcp_geo.solvers.engine.Engine.solve`.

        Returns
        -------
        PartResult
            The plan and its certificate.
        """
        items = part.items
        start = part.start
        if start is None:
            local = part_greedy(inst, part, count=part.count)
            start = None if local is None else items[local]
        result, _, _ = solve_compact(inst, part, options=options, deadline=deadline, start=start)
        return result
