"""The engine contract: every engine solves one part of an instance and certifies the result.

An *instance* (:class:`~mcp_geo.solvers._instance.Instance`) is one level's problem: items with
weights (practices, or hubs one level up), the distances between them, the candidate bases (every
item within the distance limit of another) and the rule window ``[lo, hi]`` with an optional
count. The pre-checks split it into independent *parts* (:class:`~mcp_geo.solvers._instance.Part`).
An :class:`Engine` takes one part and returns one :class:`PartResult`: the base of every item (or
None without a plan) and the :class:`~mcp_geo.solvers.certificate.Certificate` of the solve.

Contract for statuses (DESIGN "Certificates"): ``optimal`` when the gap meets the tolerance
(``ended_by="proof"``); ``feasible`` with a plan and a larger gap (``ended_by`` says what stopped
the solve); ``no_solution`` without a plan when the time ran out; ``infeasible`` when the solver
proved that no plan exists (the caller turns it into an
:class:`~mcp_geo._errors.InfeasibleError` that names what to relax). The bound is a proven lower
bound on every plan's cost, never above the objective.

Engines: :class:`~mcp_geo.solvers._compact.CompactEngine` (the textbook model) and
:class:`~mcp_geo.solvers.columns.ColumnsEngine` (column generation); ``auto`` chooses one per part
(:func:`mcp_geo.solvers._core.choose_engine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from .certificate import Certificate

if TYPE_CHECKING:
    from ._instance import Instance, Part
    from ._run import Deadline
    from .rules import SolveOptions


@dataclass(frozen=True)
class PartResult:
    """One part's plan and its certificate.

    Attributes
    ----------
    base_of
        ``base_of[k]``: instance index of the base of the part's k-th item; None without a plan.
    certificate
        What the engine proved about the plan (status, objective, bound, gap, what ended it).
    """

    base_of: NDArray[np.int64] | None
    certificate: Certificate


class Engine(Protocol):
    """What every engine provides: a name (the certificate's ``engine``) and :meth:`solve`."""

    name: str

    def solve(
        self, inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
    ) -> PartResult:
        """Solve one part of an instance within the deadline.

        Parameters
        ----------
        inst
            The level's instance (items, weights, costs, allowed pairs, window).
        part
            The items solved together, their floor and the fixed count, if any.
        options
            Solver, gap tolerance, threads and seed (``engine`` has been resolved already).
        deadline
            The wall-clock share of this part.

        Returns
        -------
        PartResult
            The plan (or None) and its certificate, with the status contract above.
        """
        ...
