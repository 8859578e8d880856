"""What to relax when the solver proves a part infeasible: elastic versions of the compact model.

Two small MIPs over the same pairs as (E1)-(E7) of :mod:`._compact`: one lets every hub fall short
of the floor by at most ``t`` and minimises ``t``; the other lets every hub exceed the ceiling by
at most ``u`` and minimises ``u``. Their optima say by how much the floor must come down, or the
ceiling go up, for a plan to exist (with the other bound and the distance limit unchanged).
"""

from __future__ import annotations

import numpy as np

from mcp_geo._errors import Relaxation

from ._compact import build_compact
from ._instance import Instance, Part
from ._run import Deadline, run_mip
from .rules import SolveOptions


def _least_relaxation(
    inst: Instance, part: Part, *, floor: bool, options: SolveOptions, time_limit: float
) -> int | None:
    """Smallest whole-patient relaxation of the floor (or ceiling) that allows a plan."""
    prob, _, _ = build_compact(inst, part, elastic="floor" if floor else "ceiling")
    run = run_mip(prob, options=options, time_limit=time_limit)
    if run.status not in ("optimal", "feasible") or run.bound is None:
        return None
    return int(np.ceil(run.bound - 1e-6)) if run.status == "optimal" else None


def relaxation_advice(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> tuple[str, tuple[Relaxation, ...]]:
    """Which limit to relax, and by how much: in words, and as data for the InfeasibleError.

    Parameters
    ----------
    inst, part
        The instance and the part the solver proved infeasible.
    options
        Solver options for the two elastic MIPs.
    deadline
        What is left of the level's time (at most 30 s of it is spent here).

    Returns
    -------
    tuple
        The advice in words (with the numbers), and the relaxations, each naming the public
        option (``hub_min``, ``hub_max``, ``max_km``...) and the value that allows a plan when the
        elastic MIPs found it.
    """
    floor, ceiling = inst.option("floor"), inst.option("ceiling")
    limit = inst.option("limit")
    budget = max(0.0, min(30.0, deadline.remaining()))
    if budget < 0.5:
        return "relax the floor, the ceiling or the distance limit", (
            Relaxation(floor, "lower"),
            Relaxation(ceiling, "raise"),
            Relaxation(limit, "raise"),
        )
    lower = _least_relaxation(inst, part, floor=True, options=options, time_limit=budget / 2)
    raise_ = _least_relaxation(inst, part, floor=False, options=options, time_limit=budget / 2)
    words = []
    relax = []
    if lower is not None:
        words.append(f"lowering the floor to {part.lo - lower:,} would allow a plan")
        relax.append(Relaxation(floor, "lower", part.lo - lower))
    if raise_ is not None:
        words.append(f"raising the ceiling to {inst.hi + raise_:,} would allow a plan")
        relax.append(Relaxation(ceiling, "raise", inst.hi + raise_))
    if not words:
        return (
            "neither the floor nor the ceiling alone can fix it: relax the distance limit",
            (Relaxation(limit, "raise"),),
        )
    if lower is None:
        words.append("lowering the floor alone would not")
    if raise_ is None:
        words.append("raising the ceiling alone would not")
    return "; ".join(words), tuple(relax)
