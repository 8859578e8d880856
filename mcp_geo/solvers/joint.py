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
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pulp

from mcp_geo._errors import InfeasibleError
from mcp_geo.boundaries.distances import TravelMatrix

from ._compact import model_size
from ._frames import group_ids, validated_items
from ._run import run_mip
from .certificate import Certificate, relative_gap, within_gap
from .rules import HubRule, McpRule, SolveOptions

log = logging.getLogger(__name__)

OBJECTIVE = (
    "joint: patient-weighted km practice -> hub base plus hub patients x km hub base -> "
    "MCP base hub"
)


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

    ``start``: a known plan (practice -> hub base code, hub base code -> MCP base code), e.g. the
    staged plan, used as a warm start.
    """
    t0 = time.perf_counter()
    df, km, _source = validated_items(
        practices, code="practice_code", weight="patients", travel=travel, source="practices"
    )
    codes = list(df["practice_code"])
    w = df["patients"].to_numpy(np.int64)
    n = len(codes)
    lo, hi = hub_rule.hub_min, hub_rule.hub_max
    mlo = mcp_rule.mcp_min
    mhi = mcp_rule.mcp_max if mcp_rule.mcp_max is not None else int(w.sum())
    weighted = hub_rule.objective == "weighted"
    reachable = np.isfinite(km)  # road travel: inf where there is no way
    metric = "km" if travel is None else travel.metric
    hub_limit, mcp_limit = hub_rule.limit(metric), mcp_rule.limit(metric)
    hub_ok = reachable & (km <= (np.inf if hub_limit is None else hub_limit) + 1e-9)
    mcp_ok = reachable & (km <= (np.inf if mcp_limit is None else mcp_limit) + 1e-9)
    big = w > hi  # practices over the ceiling: hubs of their own

    prob = pulp.LpProblem("hubs_mcps_joint", pulp.LpMinimize)
    tag = [f"{k}" for k in range(n)]
    y = {j: prob.add_variable(f"y_{j}", 0, 1, cat=pulp.LpInteger) for j in range(n)}
    v = {k: prob.add_variable(f"v_{k}", 0, 1, cat=pulp.LpInteger) for k in range(n)}
    x = {
        (i, j): prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpInteger)
        for j in range(n)
        if not big[j]
        for i in np.flatnonzero(hub_ok[:, j])
        if i != j and not big[i]
    }
    z = {
        (j, k): prob.add_variable(f"z_{j}_{k}", 0, 1, cat=pulp.LpInteger)
        for j in range(n)
        for k in np.flatnonzero(mcp_ok[j])
        if k != j
    }
    cap = {j: max(hi, int(w[j])) for j in range(n)}
    q = {(j, k): prob.add_variable(f"q_{j}_{k}", 0, cap[j]) for (j, k) in z}
    r = {j: prob.add_variable(f"r_{j}", 0, cap[j]) for j in range(n)}
    hub_cost = [(var, float((w[i] if weighted else 1.0) * km[i, j])) for (i, j), var in x.items()]
    if weighted:
        mcp_cost = [(var, float(km[j, k])) for (j, k), var in q.items()]
    else:
        mcp_cost = [(var, float(km[j, k])) for (j, k), var in z.items()]
    prob += pulp.LpAffineExpression(hub_cost + mcp_cost), "J1"

    into: dict[int, list] = {j: [] for j in range(n)}
    served: dict[int, list] = {i: [] for i in range(n)}
    for (i, j), var in x.items():
        served[i].append((var, 1.0))
        into[j].append((var, float(w[i])))
    for i in range(n):
        prob += pulp.LpAffineExpression([*served[i], (y[i], 1.0)]) == 1, f"assign[J2,{tag[i]}]"
    for (i, j), var in x.items():
        prob += var - y[j] <= 0, f"link[J3,{tag[i]},{tag[j]}]"
    size = {j: pulp.LpAffineExpression([*into[j], (y[j], float(w[j]))]) for j in range(n)}
    for j in range(n):
        if not big[j]:
            prob += size[j] - lo * y[j] >= 0, f"hub_size_min[J4,{tag[j]}]"
            prob += size[j] - hi * y[j] <= 0, f"hub_size_max[J4,{tag[j]}]"
    out: dict[int, list] = {j: [] for j in range(n)}
    came: dict[int, list] = {k: [] for k in range(n)}
    for (j, k), var in z.items():
        out[j].append(var)
        prob += var - v[k] <= 0, f"mcp_link[J6,{tag[j]},{tag[k]}]"
        prob += q[j, k] - cap[j] * var <= 0, f"flow_cap[J7,{tag[j]},{tag[k]}]"
        came[k].append(q[j, k])
    for j in range(n):
        prob += pulp.lpSum(out[j]) + v[j] - y[j] == 0, f"one_mcp[J5,{tag[j]}]"
        prob += (
            pulp.lpSum(q[j, k] for k in range(n) if (j, k) in q) + r[j] - size[j] == 0,
            f"flow[J7,{tag[j]}]",
        )
        prob += r[j] - cap[j] * v[j] <= 0, f"own_flow[J7,{tag[j]}]"
        mcp_size = pulp.lpSum(came[j]) + r[j]
        prob += mcp_size - mlo * v[j] >= 0, f"mcp_size_min[J8,{tag[j]}]"
        prob += mcp_size - mhi * v[j] <= 0, f"mcp_size_max[J8,{tag[j]}]"
    # valid inequalities that tighten the relaxation: a hub carries at least the floor to its MCP,
    # and the counts are bounded by the totals (J10)
    for (j, k), var in z.items():
        if not big[j]:
            prob += q[j, k] - lo * var >= 0, f"flow_floor[J10,{tag[j]},{tag[k]}]"
    for j in range(n):
        prob += r[j] - min(lo, int(w[j]) if big[j] else lo) * v[j] >= 0, f"own_floor[J10,{tag[j]}]"
    total = int(w.sum())
    if mlo > 0:
        prob += pulp.lpSum(v.values()) <= total // mlo, "mcp_count_max[J10]"
    if hub_rule.hubs is not None:
        prob += pulp.lpSum(y.values()) == hub_rule.hubs, "hub_count[J9]"
    if mcp_rule.mcps is not None:
        prob += pulp.lpSum(v.values()) == mcp_rule.mcps, "mcp_count[J9]"

    warm = start is not None and _warm_start(start, codes, w, y, x, v, z, q, r)
    remaining = options.time_limit - (time.perf_counter() - t0)
    run = run_mip(prob, options=options, time_limit=remaining, warm=warm)
    if run.status == "infeasible":
        raise InfeasibleError(
            "the joint model is infeasible: no hubs within the hub rule nest into MCPs within "
            "the MCP rule (try --mode staged, which reports the groups that cannot make a floor "
            "as named exceptions, or relax --mcp-min / --mcp-max-km)",
            causes=("joint_infeasible",),
            level="joint",
        )
    size_info = model_size(prob)
    if run.status == "no_solution":
        cert = Certificate("joint", run.solver, run.version, "no_solution", None, OBJECTIVE,
                           run.bound, None, run.seconds, run.ended_by, size_info)  # fmt: skip
        empty = pd.DataFrame()
        return JointSolution(empty, empty, empty, cert)
    values = run.values
    hub_of = np.array(list(range(n)))
    for (i, j), var in x.items():
        if values.get(var.name, 0) > 0.5:
            hub_of[i] = j
    mcp_of = {}
    for j in range(n):
        if values.get(y[j].name, 0) > 0.5:
            mcp_of[j] = j
    for (j, k), var in z.items():
        if values.get(var.name, 0) > 0.5:
            mcp_of[j] = k
    objective = _objective(w, km, hub_of, mcp_of, weighted=weighted)
    bound = None if run.bound is None else min(run.bound, objective)
    gap = relative_gap(objective, bound)
    status = "optimal" if within_gap(gap, options.gap) else "feasible"
    cert = Certificate(
        engine="joint",
        solver=run.solver,
        solver_version=run.version,
        status=status,  # type: ignore[arg-type]
        objective=objective,
        objective_name=OBJECTIVE,
        bound=bound,
        gap=gap,
        seconds=time.perf_counter() - t0,
        ended_by=run.ended_by,
        model_size=size_info,
    )
    return _frames(codes, w, km, hub_of, mcp_of, big, cert)


def _objective(w, km, hub_of, mcp_of, *, weighted: bool) -> float:
    idx = np.arange(len(hub_of))
    hub_part = float(((w if weighted else 1) * km[idx, hub_of]).sum())
    patients = {j: int(w[hub_of == j].sum()) for j in mcp_of}
    mcp_part = sum((patients[j] if weighted else 1) * float(km[j, k]) for j, k in mcp_of.items())
    return hub_part + mcp_part


def _warm_start(start, codes, w, y, x, v, z, q, r) -> bool:
    """Set the staged plan as initial values; False if it does not fit the joint model."""
    pos = {c: k for k, c in enumerate(codes)}
    hub_base, mcp_base = start
    try:
        hub_of = np.array([pos[hub_base[c]] for c in codes])
        mcp_of = {pos[h]: pos[m] for h, m in mcp_base.items()}
    except KeyError:
        return False
    for var in (*y.values(), *x.values(), *v.values(), *z.values(), *q.values(), *r.values()):
        var.setInitialValue(0)
    for i, j in enumerate(hub_of):
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


def _frames(codes, w, km, hub_of, mcp_of, big, cert) -> JointSolution:
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
        members = hubs_df[hubs_df["mcp_id"] == mcp_id]
        mcps.append(
            {
                "mcp_id": mcp_id,
                "base_hub_id": base_hub,
                "patients": int(members["patients"].sum()),
                "hubs": len(members),
                "exception": None,
            }
        )
    return JointSolution(assignment, hubs_df, pd.DataFrame(mcps), replace(cert))
