r"""Joint mode: one model that chooses hubs and MCPs together, so that hubs nest in MCPs.

Staged mode solves the hubs first and groups them into MCPs afterwards; the hubs it forms may
then group badly (or not at all) under the MCP rules. The joint model forms hubs knowing they must
nest. Practices :math:`i` with patients :math:`w_i`; candidate hub bases :math:`J` (practices);
hub pairs :math:`A = \{(i,j): i \ne j, d_{ij} \le` ``max_km``:math:`\}`; MCP pairs
:math:`B = \{(j,k): j \ne k, d_{jk} \le` ``mcp_max_km``:math:`\}`; hub window :math:`[L, U]`,
MCP window :math:`[L', U']`.

.. math::

    \min \sum_{(i,j) \in A} c_{ij} x_{ij} + \sum_{(j,k) \in B} e_{jk}               && (J1)

    y_i + \sum_{j:(i,j) \in A} x_{ij} = 1 \quad \forall i                           && (J2)

    x_{ij} \le y_j \quad \forall (i,j) \in A                                        && (J3)

    L y_j \le P_j := w_j y_j + \sum_i w_i x_{ij} \le U y_j \quad \forall j          && (J4)

    v_j + \sum_{k:(j,k) \in B} z_{jk} = y_j \quad \forall j                          && (J5)

    z_{jk} \le v_k \quad \forall (j,k) \in B                                        && (J6)

    r_j + \sum_{k:(j,k) \in B} q_{jk} = P_j,\ \ r_j \le U v_j,\ \ q_{jk} \le U z_{jk} && (J7)

    L' v_k \le r_k + \sum_{j:(j,k) \in B} q_{jk} \le U' v_k \quad \forall k          && (J8)

    \sum_j y_j = p, \quad \sum_k v_k = p' \quad \text{(when fixed)}                   && (J9)

with :math:`y, x, v, z` binary and :math:`q, r \ge 0`: :math:`v_k` opens an MCP based at hub
:math:`k`, :math:`z_{jk}` puts hub :math:`j` in it, and the flow :math:`q_{jk}` carries hub
:math:`j`'s patients there (all of them, since a hub is in exactly one MCP), so that (J8) counts
each MCP's patients exactly. The objective adds both levels' staged objectives:
:math:`c_{ij} = w_i d_{ij}` and :math:`e_{jk} = d_{jk} q_{jk}` (patient-weighted), or
:math:`c_{ij} = d_{ij}` and :math:`e_{jk} = d_{jk} z_{jk}` (``distance``). The staged plan, when it
nests without exceptions, is a warm start, so the joint plan is never worse than it on (J1).
A practice over the ceiling is a hub of its own (its own window); other exceptions (islands
under a floor) are left to staged mode: the joint model then reports infeasibility.

Joint mode is not an engine of :mod:`.engine`: an engine solves one part of one level, and the
joint model is both levels over the whole footprint at once. It follows the same contract for its
result: one :class:`~mcp_geo.solvers.certificate.Certificate` (engine ``joint``) whose status is
``optimal`` (gap within the tolerance), ``feasible`` (with its gap), ``no_solution`` (nothing found
in time, empty frames) or, when the solver proves infeasibility, an
:class:`~mcp_geo._errors.InfeasibleError` with ``level="joint"`` and ``relax`` naming the options.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TypeAlias

import numpy as np
import pandas as pd
import pulp
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError, Problem, Relaxation, ValidationError
from mcp_geo.boundaries.distances import TravelMatrix

from ._compact import model_size
from ._frames import group_ids, validated_items
from ._run import RunResult, run_mip
from .certificate import Certificate, Status, relative_gap, within_gap
from .rules import HubRule, McpRule, SolveOptions

log = logging.getLogger(__name__)

OBJECTIVE = (
    "joint: patient-weighted km practice -> hub base plus hub patients x km hub base -> "
    "MCP base hub"
)

Var: TypeAlias = pulp.LpVariable
Pair = tuple[int, int]


@dataclass(frozen=True)
class JointSolution:
    """Hubs and MCPs chosen together, with the one certificate of the joint model.

    ``assignment``: practice_code, hub_id, base_code, km_to_base; ``hubs``: hub_id, base_code,
    patients, practices, exception, mcp_id, km_to_mcp_base; ``mcps``: mcp_id, base_hub_id,
    patients, hubs, exception.
    """

    assignment: pd.DataFrame
    hubs: pd.DataFrame
    mcps: pd.DataFrame
    certificate: Certificate


@dataclass(frozen=True)
class _Data:
    """The footprint and both rules as the model reads them."""

    w: NDArray[np.int64]
    km: NDArray[np.float64]
    hub_ok: NDArray[np.bool_]  # within the hub distance limit
    mcp_ok: NDArray[np.bool_]  # within the MCP distance limit
    big: NDArray[np.bool_]  # practices over the ceiling: hubs of their own
    hub_window: tuple[int, int]
    mcp_window: tuple[int, int]
    weighted: bool

    @property
    def n(self) -> int:
        return len(self.w)


@dataclass(frozen=True)
class _Vars:
    y: dict[int, Var]
    v: dict[int, Var]
    x: dict[Pair, Var]
    z: dict[Pair, Var]
    q: dict[Pair, Var]
    r: dict[int, Var]
    cap: dict[int, int]


def solve_joint(
    practices: pd.DataFrame,
    *,
    hub_rule: HubRule,
    mcp_rule: McpRule,
    options: SolveOptions,
    travel: TravelMatrix | None = None,
    start: tuple[dict[str, str], dict[str, str]] | None = None,
) -> JointSolution:
    """Solve the joint model (see the module docstring).

    Parameters
    ----------
    practices
        As for :func:`~mcp_geo.solvers.hubs.solve_hubs`.
    hub_rule, mcp_rule
        The rules of both levels (the hub rule's objective is the model's).
    options
        Solver, gap and time limit (for the whole model).
    travel
        Distances between the practices; great-circle km if None.
    start
        A known plan (practice -> hub base code, hub base code -> MCP base code), e.g. the
        staged plan, used as a warm start.

    Returns
    -------
    JointSolution
        The plan and its certificate (empty frames with ``no_solution``).

    Raises
    ------
    ValidationError
        Unusable input.
    InfeasibleError
        The solver proved that no hubs within the hub rule nest into MCPs within the MCP rule
        (``level="joint"``; ``relax`` names staged mode and the MCP options).
    """
    t0 = time.perf_counter()
    df, km, _source = validated_items(
        practices, code="practice_code", weight="patients", travel=travel, source="practices"
    )
    codes = list(df["practice_code"])
    metric = "km" if travel is None else travel.metric
    data = _data(
        df["patients"].to_numpy(np.int64), km, hub_rule=hub_rule, mcp_rule=mcp_rule, metric=metric
    )
    if "fewest" in (hub_rule.hubs, mcp_rule.mcps):
        raise ValidationError(
            [Problem("needs staged mode: joint mode has no objective stages", key="hubs",
                     value="fewest")],
            context="joint mode",
        )  # fmt: skip
    hub_count = hub_rule.hubs if isinstance(hub_rule.hubs, int) else None
    mcp_count = mcp_rule.mcps if isinstance(mcp_rule.mcps, int) else None
    prob = pulp.LpProblem("hubs_mcps_joint", pulp.LpMinimize)
    var = _variables(prob, data)
    _rows(prob, data, var, hub_count=hub_count, mcp_count=mcp_count)
    warm = start is not None and _warm_start(start, codes, w=data.w, var=var)
    remaining = options.time_limit - (time.perf_counter() - t0)
    run = run_mip(prob, options=options, time_limit=remaining, warm=warm)
    if run.status == "infeasible":
        limit = "mcp_max_minutes" if metric == "minutes" else "mcp_max_km"
        raise InfeasibleError(
            "the joint model is infeasible: no hubs within the hub rule nest into MCPs within "
            "the MCP rule; joint mode needs a footprint where every rule can be met (staged "
            "mode plans the least-exception plan: the groups that cannot make a floor named, "
            "their shortfall proven least)",
            causes=("joint_infeasible",),
            level="joint",
            relax=(
                Relaxation("mode", "set", "staged"),
                Relaxation("mcp_min", "lower"),
                Relaxation(limit, "raise"),
            ),
        )
    size_info = model_size(prob)
    if run.status == "no_solution":
        cert = Certificate("joint", run.solver, run.version, "no_solution", None, OBJECTIVE,
                           run.bound, None, run.seconds, run.ended_by, size_info)  # fmt: skip
        empty = pd.DataFrame()
        return JointSolution(empty, empty, empty, cert)
    hub_of, mcp_of = _decode(run.values, var, n=data.n)
    objective = _objective(hub_of, mcp_of, w=data.w, km=km, weighted=data.weighted)
    cert = _certificate(run, objective=objective, options=options)
    cert = replace(cert, seconds=time.perf_counter() - t0, model_size=size_info)
    return _frames(codes, data=data, hub_of=hub_of, mcp_of=mcp_of, cert=cert)


def _data(
    w: NDArray[np.int64],
    km: NDArray[np.float64],
    *,
    hub_rule: HubRule,
    mcp_rule: McpRule,
    metric: str,
) -> _Data:
    mhi = mcp_rule.mcp_max if mcp_rule.mcp_max is not None else int(w.sum())
    reachable = np.isfinite(km)  # road travel: inf where there is no way
    hub_limit, mcp_limit = hub_rule.limit(metric), mcp_rule.limit(metric)
    return _Data(
        w=w,
        km=km,
        hub_ok=reachable & (km <= (np.inf if hub_limit is None else hub_limit) + 1e-9),
        mcp_ok=reachable & (km <= (np.inf if mcp_limit is None else mcp_limit) + 1e-9),
        big=w > hub_rule.hub_max,
        hub_window=(hub_rule.hub_min, hub_rule.hub_max),
        mcp_window=(mcp_rule.mcp_min, mhi),
        weighted=hub_rule.objective == "weighted",
    )


def _variables(prob: pulp.LpProblem, data: _Data) -> _Vars:
    """The variables in the model's column order, and the objective (J1)."""
    n, w, km, big = data.n, data.w, data.km, data.big
    hi = data.hub_window[1]
    y = {j: prob.add_variable(f"y_{j}", 0, 1, cat=pulp.LpInteger) for j in range(n)}
    v = {k: prob.add_variable(f"v_{k}", 0, 1, cat=pulp.LpInteger) for k in range(n)}
    x = {
        (int(i), j): prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpInteger)
        for j in range(n)
        if not big[j]
        for i in np.flatnonzero(data.hub_ok[:, j])
        if i != j and not big[i]
    }
    z = {
        (j, int(k)): prob.add_variable(f"z_{j}_{k}", 0, 1, cat=pulp.LpInteger)
        for j in range(n)
        for k in np.flatnonzero(data.mcp_ok[j])
        if k != j
    }
    cap = {j: max(hi, int(w[j])) for j in range(n)}
    q = {(j, k): prob.add_variable(f"q_{j}_{k}", 0, cap[j]) for (j, k) in z}
    r = {j: prob.add_variable(f"r_{j}", 0, cap[j]) for j in range(n)}
    weighted = data.weighted
    hub_cost = [(var, float((w[i] if weighted else 1.0) * km[i, j])) for (i, j), var in x.items()]
    if weighted:
        mcp_cost = [(var, float(km[j, k])) for (j, k), var in q.items()]
    else:
        mcp_cost = [(var, float(km[j, k])) for (j, k), var in z.items()]
    prob += pulp.LpAffineExpression(hub_cost + mcp_cost), "J1"
    return _Vars(y=y, v=v, x=x, z=z, q=q, r=r, cap=cap)


def _rows(
    prob: pulp.LpProblem,
    data: _Data,
    var: _Vars,
    *,
    hub_count: int | None,
    mcp_count: int | None,
) -> None:
    """Rows (J2)-(J10), in the model's row order."""
    size = _hub_rows(prob, data, var)
    _mcp_rows(prob, data, var, size=size)
    # valid inequalities that tighten the relaxation: a hub carries at least the floor to its MCP,
    # and the counts are bounded by the totals (J10)
    n, w, big, lo = data.n, data.w, data.big, data.hub_window[0]
    for (j, k), zjk in var.z.items():
        if not big[j]:
            prob += var.q[j, k] - lo * zjk >= 0, f"flow_floor[J10,{j},{k}]"
    for j in range(n):
        own = min(lo, int(w[j]) if big[j] else lo)
        prob += var.r[j] - own * var.v[j] >= 0, f"own_floor[J10,{j}]"
    total = int(w.sum())
    mlo = data.mcp_window[0]
    if mlo > 0:
        prob += pulp.lpSum(var.v.values()) <= total // mlo, "mcp_count_max[J10]"
    if hub_count is not None:
        prob += pulp.lpSum(var.y.values()) == hub_count, "hub_count[J9]"
    if mcp_count is not None:
        prob += pulp.lpSum(var.v.values()) == mcp_count, "mcp_count[J9]"


def _hub_rows(prob: pulp.LpProblem, data: _Data, var: _Vars) -> dict[int, pulp.LpAffineExpression]:
    """Rows (J2)-(J4); returns each hub's patients ``P_j`` as an expression."""
    n, w, big = data.n, data.w, data.big
    lo, hi = data.hub_window
    into: dict[int, list[tuple[Var, float]]] = {j: [] for j in range(n)}
    served: dict[int, list[tuple[Var, float]]] = {i: [] for i in range(n)}
    for (i, j), xij in var.x.items():
        served[i].append((xij, 1.0))
        into[j].append((xij, float(w[i])))
    y = var.y
    for i in range(n):
        prob += pulp.LpAffineExpression([*served[i], (y[i], 1.0)]) == 1, f"assign[J2,{i}]"
    for (i, j), xij in var.x.items():
        prob += xij - y[j] <= 0, f"link[J3,{i},{j}]"
    size = {j: pulp.LpAffineExpression([*into[j], (y[j], float(w[j]))]) for j in range(n)}
    for j in range(n):
        if not big[j]:
            prob += size[j] - lo * y[j] >= 0, f"hub_size_min[J4,{j}]"
            prob += size[j] - hi * y[j] <= 0, f"hub_size_max[J4,{j}]"
    return size


def _mcp_rows(
    prob: pulp.LpProblem,
    data: _Data,
    var: _Vars,
    *,
    size: dict[int, pulp.LpAffineExpression],
) -> None:
    """Rows (J5)-(J8)."""
    n = data.n
    mlo, mhi = data.mcp_window
    y, v, q, r, cap = var.y, var.v, var.q, var.r, var.cap
    out: dict[int, list[Var]] = {j: [] for j in range(n)}
    came: dict[int, list[Var]] = {k: [] for k in range(n)}
    for (j, k), zjk in var.z.items():
        out[j].append(zjk)
        prob += zjk - v[k] <= 0, f"mcp_link[J6,{j},{k}]"
        prob += q[j, k] - cap[j] * zjk <= 0, f"flow_cap[J7,{j},{k}]"
        came[k].append(q[j, k])
    for j in range(n):
        prob += pulp.lpSum(out[j]) + v[j] - y[j] == 0, f"one_mcp[J5,{j}]"
        prob += (
            pulp.lpSum(q[j, k] for k in range(n) if (j, k) in q) + r[j] - size[j] == 0,
            f"flow[J7,{j}]",
        )
        prob += r[j] - cap[j] * v[j] <= 0, f"own_flow[J7,{j}]"
        mcp_size = pulp.lpSum(came[j]) + r[j]
        prob += mcp_size - mlo * v[j] >= 0, f"mcp_size_min[J8,{j}]"
        prob += mcp_size - mhi * v[j] <= 0, f"mcp_size_max[J8,{j}]"


def _decode(
    values: dict[str, float], var: _Vars, *, n: int
) -> tuple[NDArray[np.int64], dict[int, int]]:
    """Each practice's hub base and each hub base's MCP base, from the solver's values."""
    hub_of = np.array(list(range(n)))
    for (i, j), xij in var.x.items():
        if values.get(xij.name, 0) > 0.5:
            hub_of[i] = j
    mcp_of = {}
    for j in range(n):
        if values.get(var.y[j].name, 0) > 0.5:
            mcp_of[j] = j
    for (j, k), zjk in var.z.items():
        if values.get(zjk.name, 0) > 0.5:
            mcp_of[j] = k
    return hub_of, mcp_of


def _certificate(run: RunResult, *, objective: float, options: SolveOptions) -> Certificate:
    bound = None if run.bound is None else min(run.bound, objective)
    gap = relative_gap(objective, bound)
    status: Status = "optimal" if within_gap(gap, options.gap) else "feasible"
    return Certificate(
        engine="joint",
        solver=run.solver,
        solver_version=run.version,
        status=status,
        objective=objective,
        objective_name=OBJECTIVE,
        bound=bound,
        gap=gap,
        seconds=run.seconds,
        ended_by=run.ended_by,
    )


def _objective(
    hub_of: NDArray[np.int64],
    mcp_of: dict[int, int],
    *,
    w: NDArray[np.int64],
    km: NDArray[np.float64],
    weighted: bool,
) -> float:
    idx = np.arange(len(hub_of))
    hub_part = float(((w if weighted else 1) * km[idx, hub_of]).sum())
    patients = {j: int(w[hub_of == j].sum()) for j in mcp_of}
    mcp_part = sum((patients[j] if weighted else 1) * float(km[j, k]) for j, k in mcp_of.items())
    return hub_part + mcp_part


def _warm_start(
    start: tuple[dict[str, str], dict[str, str]],
    codes: list[str],
    *,
    w: NDArray[np.int64],
    var: _Vars,
) -> bool:
    """Set the staged plan as initial values; False if it does not fit the joint model."""
    pos = {c: k for k, c in enumerate(codes)}
    hub_base, mcp_base = start
    try:
        hub_of = np.array([pos[hub_base[c]] for c in codes])
        mcp_of = {pos[h]: pos[m] for h, m in mcp_base.items()}
    except KeyError:
        return False
    y, x, v, z, q, r = var.y, var.x, var.v, var.z, var.q, var.r
    for one in (*y.values(), *x.values(), *v.values(), *z.values(), *q.values(), *r.values()):
        one.setInitialValue(0)
    for i, j in enumerate(hub_of.tolist()):
        if i == j:
            y[j].setInitialValue(1)
        elif (i, j) in x:
            x[i, j].setInitialValue(1)
        else:
            return False
    for j, k in mcp_of.items():
        patients = int(w[hub_of == j].sum())
        if j == k:
            v[k].setInitialValue(1)
            r[j].setInitialValue(patients)
        elif (j, k) in z:
            z[j, k].setInitialValue(1)
            q[j, k].setInitialValue(patients)
        else:
            return False
    return True


def _frames(
    codes: list[str],
    *,
    data: _Data,
    hub_of: NDArray[np.int64],
    mcp_of: dict[int, int],
    cert: Certificate,
) -> JointSolution:
    w, km, big = data.w, data.km, data.big
    bases = sorted({codes[j] for j in hub_of})
    hub_ids = group_ids("H", bases)
    mcp_bases = sorted({hub_ids[codes[k]] for k in set(mcp_of.values())})
    mcp_ids = group_ids("M", mcp_bases)
    assignment = pd.DataFrame(
        {
            "practice_code": codes,
            "hub_id": [hub_ids[codes[j]] for j in hub_of],
            "base_code": [codes[j] for j in hub_of],
            "km_to_base": [round(float(km[i, j]), 3) for i, j in enumerate(hub_of)],
        }
    )
    hubs = []
    for j in sorted(mcp_of, key=lambda j: hub_ids[codes[j]]):
        members = hub_of == j
        k = mcp_of[j]
        hubs.append(
            {
                "hub_id": hub_ids[codes[j]],
                "base_code": codes[j],
                "patients": int(w[members].sum()),
                "practices": int(members.sum()),
                "exception": "practice over the ceiling" if big[j] else None,
                "mcp_id": mcp_ids[hub_ids[codes[k]]],
                "km_to_mcp_base": round(float(km[j, k]), 3),
            }
        )
    hubs_df = pd.DataFrame(hubs)
    mcps = []
    for base_hub, mcp_id in sorted(mcp_ids.items(), key=lambda t: t[1]):
        members_df = hubs_df[hubs_df["mcp_id"] == mcp_id]
        mcps.append(
            {
                "mcp_id": mcp_id,
                "base_hub_id": base_hub,
                "patients": int(members_df["patients"].sum()),
                "hubs": len(members_df),
                "exception": None,
            }
        )
    return JointSolution(assignment, hubs_df, pd.DataFrame(mcps), replace(cert))
