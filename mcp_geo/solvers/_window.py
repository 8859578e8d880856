"""The window a fixed count implies, and the pre-check it makes possible.

With exactly ``k`` groups in a part of total weight ``T`` (every group within ``[L, U]``), the
other ``k - 1`` groups hold at most ``(k - 1) U`` and at least ``(k - 1) L``, so every group
holds

    (W1)  at least  L_k = max(L, T - (k - 1) U),
    (W2)  at most   U_k = min(U, T - (k - 1) L).

Both are implied by the rules: a plan of k groups meets ``[L_k, U_k]`` exactly when it meets
``[L, U]``, so the count stage and the travel stage at that count may use the tighter window
(pricing generates fewer, fuller columns; the models' bounds are the same or stronger). And the
island pre-check (:func:`mcp_geo.solvers._prechecks.prepare`, step 2) can be run again with the
floor ``L_k``: an item that cannot be in a group of ``L_k`` with items that may share a base
with it makes ``k`` impossible before any model is built. Measured: staffs-shropshire's 190
practices (1,691,111 patients) in 34 hubs need hubs of at least 41,111, and five practices
(M82014, M82033, M82043, M82046, M82620) cannot reach it within 15 km: 34 is refused at once,
where the engines spent the whole time limit on it.

With candidate sites (``Instance.sites``) the count holds the parks' groups (weight ``L`` each)
too, so the window is left as it is.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import Relaxation

if TYPE_CHECKING:
    from ._instance import Instance, Part


def count_window(inst: Instance, part: Part) -> Part:
    """The part with the window its fixed count implies, (W1) and (W2).

    Parameters
    ----------
    inst
        The level's instance.
    part
        A part; without a fixed count (or with sites, an exception, a least-exception plan) it
        is returned as it is.

    Returns
    -------
    Part
        The part with ``lo`` and ``hi`` tightened where the count allows.
    """
    k = part.count
    if k is None or k < 1 or inst.sites or part.exception is not None or part.shortfall:
        return part
    total = int(inst.weights[part.items].sum())
    hi = part.ceiling(inst)
    lo_k = max(part.lo, total - (k - 1) * hi)
    hi_k = min(hi, total - (k - 1) * part.lo)
    if lo_k > hi_k or (lo_k, hi_k) == (part.lo, hi):
        return part  # nothing to tighten (or a count the other checks refuse)
    return dataclasses.replace(part, lo=lo_k, hi=hi_k)


def under_window(inst: Instance, part: Part) -> NDArray[np.int64]:
    """The part's items that cannot be in any group of at least its floor.

    The island check at the part's floor, to a fixpoint: a base can open only if the items
    that may join it weigh at least the floor; an item needs such a base.

    Parameters
    ----------
    inst, part
        The instance and the part (its ``lo`` the floor to reach).

    Returns
    -------
    NDArray[np.int64]
        Instance indices of the items that cannot reach it (empty when none).
    """
    items = part.items
    sub = inst.allowed[np.ix_(items, items)]
    w = inst.weights[items]
    can_base = np.diagonal(sub).copy()
    alive = np.ones(len(items), dtype=bool)
    while True:
        reach = sub & alive[:, None] & alive[None, :]
        openable = alive & can_base & (w @ reach >= part.lo)
        stranded = alive & ~(reach & openable[None, :]).any(axis=1)
        if not stranded.any():
            return items[~alive]
        alive &= ~stranded


def window_refusal(inst: Instance, part: Part) -> tuple[str, Relaxation] | None:
    """Why a fixed count is refused by the floor it implies (None: it is not), in words.

    Parameters
    ----------
    inst
        The level's instance (its ``count`` the fixed count asked for).
    part
        The part holding every group the count leaves to plan (``part.count`` of them).

    Returns
    -------
    tuple[str, Relaxation] | None
        The message naming the items that cannot reach the floor, and the count to ask for.
    """
    tight = count_window(inst, part)
    stranded = under_window(inst, tight) if tight is not part else _no_items()
    if len(stranded) == 0 or not isinstance(inst.count, int) or part.count is None:
        return None
    total = int(inst.weights[part.items].sum())
    limit = "no distance limit" if inst.max_km is None else f"{inst.max_km:g} km"
    besides = inst.count - part.count
    others = f" (besides the exceptions' {besides})" if besides else ""
    return (
        f"{inst.count} {inst.group}s cannot be reached: {part.count} {inst.group}s{others} "
        f"share {total:,} patients, so each needs at least {tight.lo:,} ({total:,} - "
        f"{part.count - 1} x {inst.hi:,}), and {inst.names(stranded)} cannot reach "
        f"{tight.lo:,} with anyone within {limit}",
        Relaxation(inst.option("count"), "raise", inst.count + 1),
    )


def _no_items() -> NDArray[np.int64]:
    """No items (an empty index array)."""
    return np.zeros(0, dtype=np.int64)
