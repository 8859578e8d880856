"""A plan from the master LP's support: the compact model over the pairs the LP uses.

On a large part the master LP (after column generation) is close to the optimum in value
(0.5-2% on Greater Manchester and North West London) but rounding it is hard: a dive that fixes
its columns one by one ends 40-60% above it before local search. Here the LP chooses the
neighbourhood and HiGHS the plan, as relaxation-induced neighbourhood search does for a MIP
(Danna, Rothberg and Le Pape 2005): the compact model (:mod:`mcp_geo.solvers._compact`, (E1)-(E7))
over

    (S1)  bases:  every base of a column the LP uses (value > 0), and the incumbent's;
    (S2)  pairs:  the (member, base) pairs of those columns and of the incumbent, and for every
                  item its :data:`NEAREST` cheapest bases of (S1) that may serve it,

warm-started with the incumbent (when there is one) and stopped at a time limit. Any plan of the
restricted model is a plan of the part, so it only provides incumbents: bounds come from the
column generation, never from here.

Measured (2 shared cores, 10 s, from the LP of 12-20 s of column generation): North West London
(QRV, 342 items) 1.8% above the LP bound where the dive and local search ended 16-18% above;
Greater Manchester (QOP, 406 items) 3.8%, 2.6% with 5 nearest bases and 20 s.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._compact import solve_compact
from mcp_geo.solvers._run import Deadline

if TYPE_CHECKING:
    from .driver import _Search

log = logging.getLogger(__name__)

NEAREST = 2  # (S2): cheapest kept bases per item (Greater Manchester, from the LP of a 60 s
# run: 2 gives 915 pairs, proven optimal at 2,304,521 in 0.5 s; 3 gives 1,273 pairs and
# 2,308,087 when stopped at 5 s; 4, warm-started with the plan of 2, nothing better in 4 s)
SUPPORT_GAP = 1e-4  # the restricted model is solved to this gap, whatever the part's: its
# bound is not the part's, so stopping at the part's gap (0.5%) only leaves plans behind


def support_pairs(s: _Search) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The bases (S1) and pairs (S2) of the restricted model, as part-local masks.

    Parameters
    ----------
    s
        The part's search (its master LP solved, its incumbent if any).

    Returns
    -------
    tuple
        ``bases[j]`` and ``pairs[i, j]``: base j kept, and j may serve i in the model.
    """
    n, pr = s.n, s.pr
    allowed = s.inst.allowed[np.ix_(s.part.items, s.part.items)]
    pairs = np.zeros((n, n), dtype=bool)
    values = s.master.values()
    for k in np.flatnonzero(values > 1e-6).tolist():
        j, members, _ = s.order[k]
        pairs[members, j] = True
    if s.inc_base is not None:
        pairs[np.arange(n), s.local(s.inc_base)] = True
    bases = pairs.any(axis=0) & pr.base_ok
    for i in range(n):
        cand = np.flatnonzero(bases & allowed[i])
        cheapest = cand[np.lexsort((cand, pr.cost[i, cand]))[:NEAREST]]
        pairs[i, cheapest] = True
    pairs &= allowed & bases[None, :]
    kept = np.flatnonzero(bases)
    pairs[kept, kept] = True  # (the compact model reads a base's own pair as: may be a base)
    return bases, pairs


def support_plan(s: _Search, *, seconds: float) -> NDArray[np.int64] | None:
    """The compact model over the LP's support (module docstring), solved for ``seconds``.

    Parameters
    ----------
    s
        The part's search (its master LP solved, its incumbent if any).
    seconds
        The solver's time limit.

    Returns
    -------
    NDArray[np.int64] | None
        The plan found (the local base of every item), or None.
    """
    bases, pairs = support_pairs(s)
    result, _, _ = solve_compact(
        s.inst,
        s.part,
        options=s.options,
        deadline=Deadline(seconds),
        start=s.inc_base,
        bases=bases,
        pairs=pairs,
        engine="columns",
        time_limit=seconds,
        gap=SUPPORT_GAP,
    )
    c = result.certificate
    log.info(
        "columns: LP support (%d bases, %d pairs): %s %s",
        int(bases.sum()),
        int(pairs.sum()),
        c.status,
        "none" if c.objective is None else f"{c.objective:.1f}",
    )
    if result.base_of is None:
        return None
    return s.local(result.base_of)
