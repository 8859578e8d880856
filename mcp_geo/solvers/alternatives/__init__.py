"""Alternatives: how settled a hub plan is (DESIGN "Sweep ... alternatives").

Other plans whose travel is within the travel slack of the best plan's, each keeping as little
as it can of the best plan and of the alternatives before it: :mod:`._model` states the model
((A1)-(A6)), :mod:`._pricing` its columns, :mod:`.search` the search for K of them.
"""

from .hubs import AlternativeHubs, alternative_hubs
from .search import KEPT_WORDS, AlternativeSolve, AlternativesSolution, solve_alternatives

__all__ = [
    "KEPT_WORDS",
    "AlternativeHubs",
    "AlternativeSolve",
    "AlternativesSolution",
    "alternative_hubs",
    "solve_alternatives",
]
