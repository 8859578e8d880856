"""Plans from a reference grouping (today's PCNs, or an earlier plan): the fewest moves.

:mod:`.groups` holds the reference groups and the moves of a plan (DESIGN's matching
definition); :mod:`.stages` solves a part for the fewest moves, then the least travel, with
the labelled master (:mod:`._master`) and its pricing (:mod:`._pricing`); :mod:`.shortfall`
plans a part whose rules cannot all be met (the least shortfall first) the same way.
"""

from .groups import ReferenceGroups, continued_groups, plan_moves
from .shortfall import solve_shortfall_reference
from .stages import solve_reference

__all__ = [
    "ReferenceGroups",
    "continued_groups",
    "plan_moves",
    "solve_reference",
    "solve_shortfall_reference",
]
