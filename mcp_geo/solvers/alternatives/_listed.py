"""Every column a plan within the travel slack can use, listed by the columns engine.

The travel slack bounds the travel of the free items as a whole (footprint-wide):
:math:`\\sum_P T_P \\le \\bar T` over the free parts P. A plan within it therefore has, in each
part P, :math:`T_P \\le U_P = \\bar T - \\sum_{Q \\ne P} L_Q`, :math:`L_Q` a lower bound on every
plan of part Q (its column generation's Lagrangian bound, with its subset-row cuts). For each
part the columns engine (:class:`~mcp_geo.solvers.columns.within.PartColumns`) lists every
column a plan of the part costing at most :math:`U_P` can use: (A1)-(A6) over the listed columns
is then the whole model, exactly, and HiGHS's answer over them is a proof (an optimal
alternative, or none within the slack). One listing serves the K alternatives (the cap does not
change); when a part's listing is too long (the engine's own limit) or time runs out, there is
none and the search generates columns instead.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.columns.within import PartColumns
from mcp_geo.solvers.rules import SolveOptions

log = logging.getLogger(__name__)

GENERATION_SHARE = 0.6  # of a part's time: column generation (the rest: fixing and listing)


def listed_within(
    inst: Instance,
    *,
    idx: NDArray[np.int64],
    parts: list[Part],
    cap: float,
    options: SolveOptions,
    seconds: float,
) -> list[tuple[int, NDArray[np.int64]]] | None:
    """Every column (base, members: positions in ``idx``) that a plan of the free items with
    travel at most ``cap`` can use, or None when a listing is too long or time runs out.

    Parameters
    ----------
    inst
        The hub level's instance.
    idx
        The free items (sorted): the union of ``parts``' items.
    parts
        The free parts.
    cap
        The most travel the free items may have (:math:`\\bar T`, (A3)).
    options
        Threads.
    seconds
        The time for the column generation and the listings of every part.

    Returns
    -------
    list | None
        The columns, or None.
    """
    t0 = time.perf_counter()
    total = sum(len(p.items) for p in parts)
    engines: list[PartColumns | None] = []
    bounds: list[float] = []
    for part in parts:
        if len(part.items) == 1:  # its only plan: the item alone
            engines.append(None)
            bounds.append(float(inst.cost[part.items[0], part.items[0]]))
            continue
        share = seconds * len(part.items) / total
        engine = PartColumns(inst, part, options=options, deadline=Deadline(share),
                             budget=GENERATION_SHARE * share)  # fmt: skip
        engines.append(engine)
        bounds.append(max(engine.bound, 0.0))  # travel is never negative
    if not all(math.isfinite(b) for b in bounds):
        return None
    listed: list[tuple[int, NDArray[np.int64]]] = []
    for part, one, bound in zip(parts, engines, bounds, strict=True):
        target = cap - (sum(bounds) - bound)
        found: list[tuple[int, NDArray[np.int64]]] | None
        if one is None:
            found = [(int(part.items[0]), part.items.astype(np.int64))]
        else:
            found = one.within(target, until=t0 + seconds)
        if found is None:
            log.info("alternatives: the listing of a part of %d practices is too long",
                     len(part.items))  # fmt: skip
            return None
        listed += [
            (int(np.searchsorted(idx, j)), np.searchsorted(idx, m))
            for j, m in _cheaper(inst, found, target=target)
        ]
    log.info("alternatives: %d columns within the travel cap listed in %.2fs", len(listed),
             time.perf_counter() - t0)  # fmt: skip
    return listed


def _cheaper(
    inst: Instance, columns: list[tuple[int, NDArray[np.int64]]], *, target: float
) -> list[tuple[int, NDArray[np.int64]]]:
    """The columns whose own travel is at most ``target`` (a dearer one is in no plan under
    it: travel is never negative; the listing goes by reduced costs, and keeps some)."""
    if not columns:
        return []
    sizes = [len(m) for _, m in columns]
    col = np.repeat(np.arange(len(columns)), sizes)
    items = np.concatenate([m for _, m in columns])
    bases = np.array([j for j, _ in columns])
    travel = np.bincount(col, weights=inst.cost[items, bases[col]], minlength=len(columns))
    keep = travel <= target + 1e-9 * max(1.0, abs(target))
    return [c for c, ok in zip(columns, keep, strict=True) if ok]
