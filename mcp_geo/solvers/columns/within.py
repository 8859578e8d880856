"""Every column a plan of one part costing at most a target can use, for other solvers.

Steps 1-4 and the listing of step 6 of :mod:`.driver`, without a plan of their own: column
generation with its cuts gives duals and the Lagrangian bound L (valid for every plan of the
part); for a target U, reduced-cost fixing and the listing (:mod:`.enumeration`) give every
column (base, members) that a plan of the part costing at most U can use. The
set-partitioning problem over them is then the whole part restricted to plans costing at most
U, exactly: the alternatives (:mod:`mcp_geo.solvers.alternatives`) solve their own model over
them.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.rules import SolveOptions

from .driver import _Search  # the engine's own seeding: initial and greedy columns
from .enumeration import ReducedCosts, fix_by_reduced_cost, list_columns
from .generation import ColumnGeneration


class PartColumns:
    """One part's column generation with cuts, and the listing of its columns under a target.

    Parameters
    ----------
    inst
        The level's instance.
    part
        The items (at least two), their window and count.
    options
        Threads (and the solver's options).
    deadline
        The budget of the generation and of the exact pricing its listings need (stopped
        early, the bounds stay valid, and the listings longer).
    budget
        Seconds of the deadline after which the generation stops (its bound stays valid).

    Attributes
    ----------
    bound
        A lower bound on the cost of every plan of the part (``-inf``: none known).
    """

    def __init__(
        self,
        inst: Instance,
        part: Part,
        *,
        options: SolveOptions,
        deadline: Deadline,
        budget: float,
    ) -> None:
        self.part = part
        s = _Search(inst, part, options=options, deadline=deadline)
        s.seed()
        generation = ColumnGeneration(s.master, s.pr, add=s.add, count=s.count, deadline=deadline)
        gen = generation.run(budget=budget)
        self.pricer = s.pr
        self.rc: ReducedCosts | None = None
        self.bound = -math.inf
        if gen.best_pi is not None:
            self.rc = ReducedCosts(s.pr, s.master.cuts, gen=gen, deadline=deadline)
            self.bound = max(gen.best_l, self.rc.duals_for(gen.best_l).lag)

    def within(
        self, target: float, *, until: float = math.inf
    ) -> list[tuple[int, NDArray[np.int64]]] | None:
        """Every column (base, members: instance indices, sorted) that a plan of the part
        costing at most ``target`` can use.

        Parameters
        ----------
        target
            The plans' cost considered.
        until
            A ``time.perf_counter()`` after which the listing gives up.

        Returns
        -------
        list | None
            The columns, or None when the listing is too long (the engine's limits,
            :data:`.enumeration.MAX_COLUMNS`), time ran out, or the generation gave no duals.
        """
        if self.rc is None or time.perf_counter() > until:
            return None
        duals = self.rc.duals_for(target)
        self.bound = max(self.bound, duals.lag)
        bases, pairs = fix_by_reduced_cost(self.pricer, duals, target)
        listed = list_columns(self.pricer, duals, target, bases=bases, pairs=pairs, until=until)
        if listed is None:
            return None
        items = self.part.items
        return [(int(items[j]), items[members]) for j, members in listed]
