r"""The reference rows of a least-exception part's model, and a plan's values for them.

Rows (M2)-(M6) of :mod:`.shortfall` (its docstring states them): the matching of the model's
groups to the open reference groups and what it keeps, and the reference groups held whole;
:func:`start_values` gives a known plan (the shortfall search's) as the values of every variable
of that model, so that its later stages start from it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pulp
from numpy.typing import NDArray

from mcp_geo.solvers._compact import group_shortfalls, item_tags, plain_tag
from mcp_geo.solvers._instance import Instance, Part

from .groups import ReferenceGroups, matched_groups, whole_groups

X = dict[tuple[int, int], pulp.LpVariable]


def _group_tag(ref: ReferenceGroups, g: int) -> str:
    return plain_tag(ref.names[g], fallback=f"group{g}")


def add_matching(
    prob: pulp.LpProblem, inst: Instance, part: Part, *, y: dict[int, pulp.LpVariable], x: X
) -> tuple[pulp.LpAffineExpression, int]:
    """Rows (M2)-(M5): the matching of groups to the open reference groups, and what it keeps.

    Parameters
    ----------
    prob
        The compact model of the part (:func:`~mcp_geo.solvers._compact.build_compact`).
    inst, part
        The instance (with its reference) and the part.
    y, x
        The model's base and pair variables (part-local).

    Returns
    -------
    tuple[pulp.LpAffineExpression, int]
        (M1)'s kept and the part's total move weight (moves = total - kept).
    """
    ref = inst.reference
    assert ref is not None
    tags = item_tags(inst, part.items)
    mw = ref.move_weights(inst.weights)[part.items]
    lab = ref.labels[part.items]
    is_open = (lab >= 0) & ~np.isin(lab, list(ref.claimed))
    members: dict[int, list[tuple[int, pulp.LpVariable]]] = {j: [(j, yj)] for j, yj in y.items()}
    for (i, j), v in x.items():
        members[j].append((i, v))
    kept: list[tuple[pulp.LpVariable, float]] = []
    continues: dict[int, list[pulp.LpVariable]] = {}
    for j, yj in y.items():
        z = {
            int(g): prob.add_variable(f"z_{j}_{g}", 0, 1, cat=pulp.LpInteger)
            for g in sorted({int(lab[i]) for i, _ in members[j] if is_open[i]})
        }
        own: list[tuple[int, pulp.LpVariable]] = []
        for i, v in members[j]:
            if not is_open[i] or mw[i] == 0:
                continue
            k = prob.add_variable(f"k_{i}_{j}", 0, 1, cat=pulp.LpInteger)
            kept.append((k, float(mw[i])))
            own.append((i, k))
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression([(k, 1.0), (v, -1.0)]),
                pulp.LpConstraintLE, f"kept_in_group[M2,{tags[i]},{tags[j]}]", 0.0,
            )  # fmt: skip
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression([(k, 1.0), (z[int(lab[i])], -1.0)]),
                pulp.LpConstraintLE, f"kept_if_continued[M3,{tags[i]},{tags[j]}]", 0.0,
            )  # fmt: skip
        for g, zg in z.items():  # (M3b): no group keeps more of g than it holds
            ks = [(k, float(inst.weights[part.items[i]])) for i, k in own if lab[i] == g]
            cap = min(float(sum(c for _, c in ks)), float(part.ceiling(inst)))
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression([*ks, (zg, -cap)]),
                pulp.LpConstraintLE, f"kept_at_most[M3b,{tags[j]},{_group_tag(ref, g)}]", 0.0,
            )  # fmt: skip
        if z:
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression([*((zg, 1.0) for zg in z.values()), (yj, -1.0)]),
                pulp.LpConstraintLE, f"continues_one[M4,{tags[j]}]", 0.0,
            )  # fmt: skip
        for g, zg in z.items():
            continues.setdefault(g, []).append(zg)
    for g, zs in sorted(continues.items()):
        prob += pulp.LpConstraint(
            pulp.LpAffineExpression([(zg, 1.0) for zg in zs]),
            pulp.LpConstraintLE, f"continued_once[M5,{_group_tag(ref, g)}]", 1.0,
        )  # fmt: skip
    return pulp.LpAffineExpression(kept), int(mw.sum())


def add_wholes(
    prob: pulp.LpProblem, inst: Instance, part: Part, *, y: dict[int, pulp.LpVariable], x: X
) -> tuple[pulp.LpAffineExpression, int]:
    """Rows (M6): the reference groups held whole, and how many groups a plan may hold whole.

    Parameters
    ----------
    prob
        The compact model of the part.
    inst, part
        The instance (with its reference) and the part.
    y, x
        The model's base and pair variables (part-local).

    Returns
    -------
    tuple[pulp.LpAffineExpression, int]
        The groups held whole (:math:`\\sum h`) and the most there could be: split = that
        most, less the groups held whole, plus those split whatever the plan.
    """
    ref = inst.reference
    assert ref is not None
    tags = item_tags(inst, part.items)
    wholes, anyway = whole_groups(ref, part.items)
    held: list[tuple[pulp.LpVariable, float]] = []
    for group in wholes:
        g = int(ref.labels[part.items[group[0]]])
        for j, yj in y.items():
            pairs = [yj if i == j else x.get((int(i), j)) for i in group]
            if any(v is None for v in pairs):
                continue  # j does not reach the whole group
            h = prob.add_variable(f"h_{g}_{j}", 0, 1)
            held.append((h, 1.0))
            for i, v in zip(group.tolist(), pairs, strict=True):
                prob += pulp.LpConstraint(
                    pulp.LpAffineExpression([(h, 1.0), (v, -1.0)]), pulp.LpConstraintLE,
                    f"held_whole[M6,{_group_tag(ref, g)},{tags[i]},{tags[j]}]", 0.0,
                )  # fmt: skip
    return pulp.LpAffineExpression(held), len(wholes) + anyway


def start_values(
    inst: Instance, part: Part, plan: NDArray[np.int64], *, y: dict[int, pulp.LpVariable], x: X
) -> dict[str, float]:
    """A plan as a start of this module's model: the values of its variables that are not 0.

    Bases and pairs, each group's shortfall (E4s), the best matching of its groups to the open
    reference groups (z, and k for what it keeps: (M1)-(M5)), and the reference groups it
    holds whole (h, (M6)).

    Parameters
    ----------
    inst, part
        The instance (with its reference) and the part.
    plan
        Instance index of each part item's base (a plan that keeps the ceiling and the reach).
    y, x
        The model's base and pair variables (part-local).

    Returns
    -------
    dict[str, float]
        Values by variable name (the variables not named are 0).
    """
    ref = inst.reference
    assert ref is not None
    pos = {int(g): k for k, g in enumerate(part.items)}
    local = np.array([pos[int(b)] for b in plan], dtype=np.int64)
    values = {(y[j] if i == j else x[i, j]).name: 1.0 for i, j in enumerate(local.tolist())}
    for j, short in group_shortfalls(inst.weights[part.items], local, lo=part.lo).items():
        if short > 0:
            values[f"s_{j}"] = float(short)
    lab = ref.labels[part.items]
    is_open = (ref.labels >= 0) & ~np.isin(ref.labels, list(ref.claimed))
    base_of = np.full(inst.n, -1, dtype=np.int64)
    base_of[part.items] = plan
    opened = replace(ref, labels=np.where(is_open, ref.labels, -1))
    continued = matched_groups(opened, base_of, weights=inst.weights)
    mw = ref.move_weights(inst.weights)[part.items]
    for b, g in continued.items():
        j = pos[b]
        values[f"z_{j}_{g}"] = 1.0
        for i in np.flatnonzero((local == j) & (lab == g) & (mw > 0)).tolist():
            values[f"k_{i}_{j}"] = 1.0
    for group in whole_groups(ref, part.items)[0]:
        if len(set(local[group].tolist())) == 1:
            values[f"h_{lab[group[0]]}_{local[group[0]]}"] = 1.0
    return values
