"""The columns engine: set partitioning over candidate hubs, solved by column generation.

A column is a base and the items it serves, feasible by construction. The engine's steps, one
module each:

- :mod:`.master`: the restricted master LP (highspy) that gives the duals;
- :mod:`.pricing` and :mod:`.knapsack`: one bounded knapsack per candidate base;
- :mod:`.generation`: the column generation loop, with dual smoothing;
- :mod:`.cuts`: rank-1 cuts (subset rows on triples, and on four and five items);
  :mod:`.cut_pricing`: pricing that respects them;
- :mod:`.incumbent`: plans (greedy, price-and-dive, the master MIP over the columns, local search);
- :mod:`.support`: a plan of a large part from the compact model over the master LP's support;
- :mod:`.completion` and :mod:`.regroup`: plans for a fixed count with nearly full groups (bin
  completion guided by the LP) and a few neighbouring groups regrouped exactly (any count);
- :mod:`.enumeration`: reduced-cost fixing and the listing of every column that can beat a target;
- :mod:`.branching`: branch-and-price when a small gap is left;
- :mod:`.driver`: the order of the steps and the certificate (its docstring tells the whole story).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .driver import solve_columns

if TYPE_CHECKING:
    from mcp_geo.solvers._instance import Instance, Part
    from mcp_geo.solvers._run import Deadline
    from mcp_geo.solvers.engine import PartResult
    from mcp_geo.solvers.rules import SolveOptions

__all__ = ["ColumnsEngine", "solve_columns"]


class ColumnsEngine:
    """The columns engine behind the :class:`~mcp_geo.solvers.engine.Engine` contract."""

    name = "columns"

    def solve(
        self, inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
    ) -> PartResult:
        """Solve one part by column generation (see :func:`.driver.solve_columns`).

        Parameters
        ----------
        inst, part, options, deadline
            As for :meth:`mcp_geo.solvers.engine.Engine.solve`.

        Returns
        -------
        PartResult
            The plan and its certificate.
        """
        return solve_columns(inst, part, options=options, deadline=deadline)
