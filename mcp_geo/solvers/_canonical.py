"""One base per group among equals: co-located bases are a tie the engines break by their path.

Practices that share a site (a health centre hosting several practices) are the same point: a
group based at one of them travels exactly as far as the same group based at another, and every
later level (MCPs measure from the hubs' bases) sees the same distances. Which one an engine
picks depends on the order in which it met the columns, so a run stopped by proof could name
another base, and with it other hub ids (ids follow the bases' codes), than the same run a
second earlier. The plan's base is therefore the lowest code among the group's members that
are interchangeable with the base the engine chose: allowed as a base of every member, and at
the same distance as that base to and from every item. Candidate sites (``bases``) are left
as chosen: each is the base of at most one group and serves no other role.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._instance import Instance


def canonical_bases(
    inst: Instance, items: NDArray[np.int64], base_of: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each group's base moved to the lowest-coded member interchangeable with it.

    Parameters
    ----------
    inst
        The level's instance.
    items
        Instance indices of the items planned (a part's).
    base_of
        Instance index of each item's base (-1: none), in the order of ``items``.

    Returns
    -------
    NDArray[np.int64]
        ``base_of`` with every group's base its canonical one (a copy; the groups unchanged).
    """
    out = base_of.copy()
    for base in np.unique(base_of):
        if base < 0 or base >= inst.real:
            continue
        members = items[base_of == base]
        same = [int(base)] + [
            int(j)
            for j in members
            if j != base
            and j < inst.real
            and inst.allowed[members, j].all()
            and np.array_equal(inst.km[:, j], inst.km[:, base])
            and np.array_equal(inst.km[j, :], inst.km[base, :])
        ]
        out[base_of == base] = min(same, key=lambda j: inst.codes[j])
    return out
