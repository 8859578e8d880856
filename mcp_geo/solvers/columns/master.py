"""The columns engine's restricted master LP (highspy), warm started as columns are added."""

from __future__ import annotations

import highspy
import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._run import quiet_highs_banner

from .cuts import Cuts

ARTIFICIAL_TOL = 1e-6  # the artificial columns' total value above which the LP needs them


class Master:
    """The restricted master LP in highspy, with artificial columns.

    With ``floor=(weights, lo, held)`` (a least-exception part's travel stage), columns may
    weigh less than the floor ``lo`` and one more row holds the patients below it:
    ``sum_k max(0, lo - w_k) lambda_k <= held`` (its dual, <= 0, in :attr:`floor_dual`).
    """

    def __init__(
        self,
        n: int,
        *,
        count: int | None,
        big_m: float,
        threads: int,
        floor: tuple[NDArray[np.int64], int, float] | None = None,
    ) -> None:
        self.n = n
        self.count = count
        self.big_m = big_m  # an artificial column's cost: above any plan's
        quiet_highs_banner()
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        rows = n + (count is not None)
        rhs = np.ones(rows)
        if count is not None:
            rhs[n] = float(count)
        h.addRows(rows, rhs, rhs, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        for r in range(rows):
            h.addCol(big_m, 0.0, highspy.kHighsInf, 1, np.array([r], np.int32), np.array([1.0]))
        if count is not None:
            h.addCol(big_m, 0.0, highspy.kHighsInf, 1, np.array([n], np.int32), np.array([-1.0]))
        self.h = h
        self.n_art = rows + (count is not None)
        self.floor = floor
        self.floor_dual = 0.0
        if floor is not None:  # the patients below the floor, held (no artificial: 0 keeps it)
            h.addRow(-highspy.kHighsInf, floor[2], 0, np.zeros(0, np.int32), np.zeros(0))
        self.cut_row0 = rows + (floor is not None)
        self.cuts = Cuts.none()  # rank-1 cuts (see :mod:`.cuts`)
        self.sigma = np.zeros(0)  # their duals at the last solve
        self.members: list[NDArray[np.int64]] = []  # master column n_art + k holds members[k]

    def add(self, columns: list[tuple[NDArray[np.int64], float]]) -> None:
        """Add columns (their items and costs) to the master, with their cut rows.

        Parameters
        ----------
        columns
            (members, cost) of each new column.
        """
        if not columns:
            return
        starts: list[int] = []
        idx: list[int] = []
        vals: list[float] = []
        costs: list[float] = []
        for members, cost in columns:
            starts.append(len(idx))
            self.members.append(members)
            rows = members.tolist() + ([self.n] if self.count is not None else [])
            ones = [1.0] * len(rows)
            if self.floor is not None and (short := self.shortfall(members)) > 0:
                rows.append(self.cut_row0 - 1)
                ones.append(short)
            held, coef = self.cuts.of(members, self.n)
            idx.extend(rows + (self.cut_row0 + held).tolist())
            vals.extend(ones + coef.tolist())
            costs.append(cost)
        k = len(columns)
        self.h.addCols(
            k,
            np.array(costs),
            np.zeros(k),
            np.full(k, highspy.kHighsInf),
            len(idx),
            np.array(starts, np.int32),
            np.array(idx, np.int32),
            np.array(vals),
        )

    def shortfall(self, members: NDArray[np.int64]) -> float:
        """A column's patients below the floor (0 without a floor row).

        Parameters
        ----------
        members
            The column's items.

        Returns
        -------
        float
            ``max(0, lo - weight)``.
        """
        if self.floor is None:
            return 0.0
        weights, lo, _ = self.floor
        return float(max(0, lo - int(weights[members].sum())))

    def side_value(self) -> float:
        """What the floor row adds to a Lagrangian bound at the last solve's duals
        (``floor_dual * held``; 0 without one).

        Returns
        -------
        float
            The term.
        """
        return 0.0 if self.floor is None else self.floor_dual * self.floor[2]

    def add_cuts(self, cuts: Cuts) -> None:
        """Add rank-1 cuts (rows ``<= rhs`` over the columns with a coefficient in them).

        Parameters
        ----------
        cuts
            The new cuts.
        """
        if not len(cuts):
            return
        for idx, coef, rhs in cuts.rows(self.members, self.n):
            self.h.addRow(
                -highspy.kHighsInf, rhs, len(idx), (self.n_art + idx).astype(np.int32), coef
            )
        self.cuts = self.cuts.join(cuts)

    def values(self) -> NDArray[np.float64]:
        """The columns' values at the last solve (artificials left out).

        Returns
        -------
        NDArray[np.float64]
            One value per generated column, in the order they were added.
        """
        return np.array(self.h.getSolution().col_value)[self.n_art :]

    def needs_artificials(self) -> bool:
        """Whether the last solve used the artificial columns (more than :data:`ARTIFICIAL_TOL`)."""
        return self.artificial_value() > ARTIFICIAL_TOL

    def artificial_value(self) -> float:
        """The artificial columns' total value at the last solve (0 when the generated columns
        cover every item by themselves).

        Returns
        -------
        float
            The sum of the artificial columns' values.
        """
        return float(np.sum(np.array(self.h.getSolution().col_value)[: self.n_art]))

    def solve(self) -> tuple[float, NDArray[np.float64], float]:
        """Solve the master LP (warm started) and read its value and duals.

        Returns
        -------
        tuple
            The LP value, the cover rows' duals ``pi`` and the count row's ``mu`` (0 without a
            count); the cuts' duals (clipped to <= 0) are kept in :attr:`sigma`.
        """
        self.h.run()
        sol = self.h.getSolution()
        duals = np.array(sol.row_dual)
        z = float(self.h.getInfo().objective_function_value)
        mu = float(duals[self.n]) if self.count is not None else 0.0
        self.sigma = np.minimum(duals[self.cut_row0 :], 0.0)
        if self.floor is not None:
            self.floor_dual = min(float(duals[self.cut_row0 - 1]), 0.0)
        return z, duals[: self.n], mu
