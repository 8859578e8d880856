"""A plan with exactly k groups, any travel: constraint programming's local search.

At the fewest count the groups are nearly full (staffs-shropshire's part of 190 practices at 35
hubs: 97% full on average; central Sussex at 23: 97%), and a plan is hard to find by the
travel's own models: column generation, bin completion, the dive, the listing's MIP and the
compact model (HiGHS: none in 120 s) all stop without one. Finding *a* plan is a packing problem,
which local search solves well: the model below (the compact model's equations without its
objective) goes to CP-SAT (OR-Tools) with only its violation local search (feasibility jump),
one worker and no presolve, and stops at the first plan. The travel is then solved at that
count, starting from it. With the count free, the columns engine asks it for a plan of any count
where the greedy rules get stuck (see ``columns.seeding._packed_any``).

Model, over the part's items i and bases j (``allowed[i, j]``: i may be served by base j):

    (1) sum_j x_ij = 1                    every item in one group
    (2) x_ij <= x_jj                      served only by an open base (x_jj: j is a base)
    (3) lo x_jj <= sum_i w_i x_ij <= hi x_jj   each group's weight within its window
    (4) sum_j x_jj = k                    k groups (left out with the count free)

Measured (2 threads free, one used; April 2025 lists, 30-50k, 15 km): staffs-shropshire's part
at 35 groups in 1.9-4.8 s, central Sussex at 23 in 0.3-1.0 s, Cheshire and Merseyside (QYG, 337
practices) at 56 in 2.3 s where the engines' fewest at 30 s ended with 79; with presolve on,
QYG spent 14 s in it. The search is deterministic (one worker, the solver's fixed seed): the
same part and count give the same plan. Local search cannot prove that no plan exists: a count
it does not fill in time is left to the engines. With the count free, CP-SAT with its presolve
has a short look first (:data:`PROOF_SECONDS`), which proves most parts without a plan so.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._instance import Instance, Part
from ._run import Deadline

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import CpModel

log = logging.getLogger(__name__)

PACKING_SHARE = 0.25  # of the time left, at most, for a plan of a fixed count by local search
PACKING_SECONDS = 10.0  # and at most this (the plans it finds come in 0.3-5 s)
PROOF_SECONDS = 0.1  # with the count free, CP-SAT with its presolve first, at most this: it
# proves North East and North Cumbria's part of 301 practices (and Shropshire, Telford and
# Wrekin's of 49) has no plan in 0.03 s, where the search gave up after its 2 s; on parts with
# plans it stops at the limit (0.06-0.16 s on parts of 174-263 practices)


def packing_seconds(deadline: Deadline) -> float:
    """The time a search of :func:`packed_plan` gets: PACKING_SHARE of the time left, at most
    PACKING_SECONDS."""
    return deadline.seconds_for(PACKING_SHARE, at_most=PACKING_SECONDS)


def packed_plan(
    inst: Instance, part: Part, *, count: int | None, seconds: float
) -> NDArray[np.int64] | None:
    """A plan of the part with exactly ``count`` groups (any number: None), found within
    ``seconds``, else None.

    Parameters
    ----------
    inst, part
        The instance and the part (its own ``count`` is ignored; its window ``[lo, hi]`` is
        used).
    count
        The number of groups (None: any).
    seconds
        The wall-clock limit of the search (the model's building is not counted: about 0.1 s
        per 10,000 pairs).

    Returns
    -------
    NDArray[np.int64] | None
        The instance index of each item's base (as :attr:`Part.start`), or None when no plan
        was found (not a proof that none exists).
    """
    from ortools.sat.python import cp_model  # heavy: only where a count needs it

    n = len(part.items)
    if seconds <= 0 or (count is not None and not 1 <= count <= n):
        return None
    t0 = time.perf_counter()
    w = inst.weights[part.items].astype(np.int64)
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    lo, hi = part.lo, part.ceiling(inst)
    model = cp_model.CpModel()
    pairs = np.argwhere(allowed)  # (i, j), by item
    pairs = pairs[allowed[pairs[:, 1], pairs[:, 1]]]  # only to items that may be bases
    x = [model.new_bool_var(f"x[{i},{j}]") for i, j in pairs.tolist()]
    by_item: list[list[int]] = [[] for _ in range(n)]
    by_base: list[list[int]] = [[] for _ in range(n)]
    open_var: dict[int, int] = {}
    for k, (i, j) in enumerate(pairs.tolist()):
        by_item[i].append(k)
        by_base[j].append(k)
        if i == j:
            open_var[j] = k
    for i in range(n):
        model.add_exactly_one(x[k] for k in by_item[i])  # (1)
    bases = sorted(open_var)
    for j in bases:
        y = x[open_var[j]]
        for k in by_base[j]:
            if k != open_var[j]:
                model.add_implication(x[k], y)  # (2)
        load = sum(int(w[pairs[k, 0]]) * x[k] for k in by_base[j])
        model.add(load <= hi * y)  # (3)
        model.add(load >= lo * y)
    if count is not None:
        model.add(sum(x[open_var[j]] for j in bases) == count)  # (4)
    elif _proven_empty(model):
        log.info("packing: any number of %ss of %d %ss: none exists", inst.group, n, inst.item)
        return None
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = seconds
    params.num_workers = 1
    params.use_ls_only = True
    params.cp_model_presolve = False
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    log.info(
        "packing: %s %ss of %d %ss: %s in %.1fs",
        "any number of" if count is None else count,
        inst.group,
        n,
        inst.item,
        "a plan" if found else "none found",
        time.perf_counter() - t0,
    )
    if not found:
        return None
    base_local = np.full(n, -1, dtype=np.int64)
    for k, (i, j) in enumerate(pairs.tolist()):
        if solver.boolean_value(x[k]):
            base_local[i] = j
    return part.items[base_local]


def _proven_empty(model: CpModel) -> bool:
    """Whether CP-SAT, with its presolve, proves within PROOF_SECONDS that the model has no
    solution (the search below, without presolve, cannot prove it)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = PROOF_SECONDS
    solver.parameters.num_workers = 1
    return bool(solver.solve(model) == cp_model.INFEASIBLE)
