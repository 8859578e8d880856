"""The labelled set-partitioning master of a plan from a reference (highspy).

A column is a group of items around a base *and* the reference group it continues (or none):
``(j, g, S)`` with travel :math:`T = \\sum_{i \\in S} c_{ij}` and moves
:math:`M = \\sum_{i \\in S,\\ g(i) \\notin \\{g, \\varnothing\\}} m_i` (``m`` the move weights).

.. math::

    \\min \\sum_c (\\alpha T_c + \\beta M_c - \\gamma K_c) x_c                           && (R1)

    \\sum_{c \\ni i} x_c = 1 \\quad \\forall i \\text{ to plan}                             && (R2)

    \\sum_{c \\ni s} x_c \\le 1 \\quad \\forall s \\text{ (a candidate base site)}           && (R2')

    \\sum_{c:\\ g(c) = g} x_c \\le 1 \\quad \\forall g \\text{ (a group continues once)}   && (R3)

    \\sum_c x_c = p \\quad \\text{(a fixed count)}                                       && (R4)

    \\sum_c M_c x_c \\le M^* \\quad \\text{(the moves held, in the travel stage)}        && (R5)

    \\sum_c T_c x_c \\le T^* (1 + F) \\quad \\text{(the travel slack)}                   && (R6)

    \\sum_c K_c x_c \\ge K^* \\quad \\text{(the groups held whole, after the split stage)} && (R7)

    \\sum_{c:\\ |c \\cap t| \\ge 2} x_c \\le 1 \\quad \\text{(subset-row cuts on triples t)}  && (R8)

Any plan with its best matching (DESIGN's moves) is one choice of columns, and a choice of
columns is a plan whose matching keeps at least what the columns say: (R1) with
:math:`\\alpha = 0, \\beta = 1` is the least moves. With ``whole``, :math:`K_c` counts the
reference groups (of two practices or more) that column c holds whole; the ``split`` stage
(:math:`\\gamma = 1`) holds the most groups whole, so splits the fewest. (R8) are the columns
engine's subset-row cuts (:mod:`mcp_geo.solvers.columns.cuts`): valid for every plan (two
columns holding two items of one triple share an item), added where the LP breaks them.

With candidate base sites (``bases``; :mod:`mcp_geo.solvers._instance`) the items are the
practices and the sites, and a site is the base of one hub at most (R2'): the instance's parks
(which cover a site no hub is based at) are left out, and a site no column holds is simply
uncovered. The parks' equality rows made the LP's duals degenerate (a site's dual could rise
as far as its park's fell): with them, HiGHS returned practice duals near the artificial
columns' cost and column generation stalled (north-staffs from its PCNs with 22 sites: a
travel stage of 45 s whose root bound was :math:`-2 \\cdot 10^{11}`; with (R2'): 4 s, the
root bound within 0.001% of the plan). (R2')'s duals are at most 0, so the Lagrangian bound
and the listing stay valid (:mod:`._listing`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._run import quiet_highs_banner
from mcp_geo.solvers.columns.cuts import Cuts

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Column:
    """A labelled column: base, continued group (-1: none), members (part-local), costs."""

    base: int
    group: int
    members: NDArray[np.int64]
    travel: float
    moves: int
    whole: int = 0  # reference groups (of two practices or more) it holds whole


@dataclass(frozen=True)
class StageCosts:
    """What a stage minimises and holds: (R1)'s weights and the caps (R5)-(R7)."""

    alpha: float
    beta: float
    moves_cap: float | None = None
    travel_cap: float | None = None
    gamma: float = 0.0  # weight of the groups held whole (the split stage minimises -whole)
    whole_floor: float | None = None  # (R7): at least this many groups held whole


@dataclass(frozen=True)
class Duals:
    """The master LP's value and duals (the caps' are <= 0)."""

    value: float
    cover: NDArray[np.float64]
    group: NDArray[np.float64]
    count: float
    moves: float
    travel: float
    whole: float
    artificial: bool  # the LP still uses an artificial column: no bound yet
    cut: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))  # (R8)


class LabelledMaster:
    """(R1)-(R8) over the columns generated so far, with artificial columns for (R2), (R4);
    ``packing`` marks the items of (R2') (candidate sites: covered at most once)."""

    def __init__(
        self,
        *,
        n: int,
        groups: int,
        count: int | None,
        costs: StageCosts,
        big_m: float,
        threads: int,
        packing: NDArray[np.bool_] | None = None,
    ) -> None:
        self.n, self.groups, self.count, self.costs = n, groups, count, costs
        self.packing = np.zeros(n, dtype=bool) if packing is None else packing
        lower = np.where(self.packing, -INF, 1.0).tolist() + [-INF] * groups
        upper = [1.0] * n + [1.0] * groups
        self.row_count = self.row_moves = self.row_travel = self.row_whole = -1
        for name, lo, hi in (
            ("row_count", count, count),
            ("row_moves", None, costs.moves_cap),
            ("row_travel", None, costs.travel_cap),
            ("row_whole", costs.whole_floor, INF),
        ):
            if hi is not None and (lo is not None or hi != INF):
                setattr(self, name, len(lower))
                lower.append(-INF if lo is None else float(lo))
                upper.append(float(hi))
        quiet_highs_banner()
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        rows = len(lower)
        h.addRows(rows, np.array(lower), np.array(upper), 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))  # fmt: skip
        art = [(r, 1.0) for r in np.flatnonzero(~self.packing).tolist()]
        if count is not None:
            art += [(self.row_count, 1.0), (self.row_count, -1.0)]
        for r, v in art:
            h.addCol(big_m, 0.0, INF, 1, np.array([r], np.int32), np.array([v]))
        self.n_art = len(art)
        self.h = h
        self.fixed_rows = rows  # the cuts' rows (R8) follow
        self.cuts = Cuts.none()
        self.columns: list[Column] = []
        self._seen: set[tuple[int, int, bytes]] = set()

    def cost(self, col: Column) -> float:
        """(R1)'s coefficient of a column."""
        c = self.costs
        return c.alpha * col.travel + c.beta * col.moves - c.gamma * col.whole

    def add(self, cols: list[Column]) -> int:
        """Add the columns not already in the master; returns how many were new."""
        new = []
        for col in cols:
            key = (col.base, col.group, col.members.tobytes())
            if key not in self._seen:
                self._seen.add(key)
                new.append(col)
        for col in new:
            rows = col.members.tolist()
            vals = [1.0] * len(rows)
            extra = [
                (self.n + col.group if col.group >= 0 else -1, 1.0),
                (self.row_count, 1.0),
                (self.row_moves, float(col.moves)),
                (self.row_travel, col.travel),
                (self.row_whole, float(col.whole)),
            ]
            for r, v in extra:
                if r >= 0:
                    rows.append(r)
                    vals.append(v)
            held, coef = self.cuts.of(col.members, self.n)
            rows += (self.fixed_rows + held).tolist()
            vals += coef.astype(np.float64).tolist()
            self.h.addCol(
                self.cost(col), 0.0, INF, len(rows), np.array(rows, np.int32), np.array(vals)
            )
            self.columns.append(col)
        return len(new)

    def add_cuts(self, cuts: Cuts) -> None:
        """Add cuts (R8) over the columns with a coefficient in them (a subset-row cut on a
        triple: the columns holding two of its items or more).

        Parameters
        ----------
        cuts
            The cuts (part-local items).
        """
        if not len(cuts):
            return
        for idx, coef, rhs in cuts.rows([col.members for col in self.columns], self.n):
            self.h.addRow(-INF, rhs, len(idx), (self.n_art + idx).astype(np.int32), coef)
        self.cuts = self.cuts.join(cuts)

    def allow_columns(self, ok: NDArray[np.bool_]) -> None:
        """Let only the columns marked ``ok`` take a value (a branch of the search).

        Parameters
        ----------
        ok
            One flag per column of :attr:`columns`.
        """
        k = len(self.columns)
        idx = np.arange(self.n_art, self.n_art + k, dtype=np.int32)
        upper = np.where(ok, INF, 0.0)
        self.h.changeColsBounds(k, idx, np.zeros(k), upper)

    def column_values(self) -> NDArray[np.float64]:
        """The last LP solution's value of each column of :attr:`columns`."""
        values = np.array(self.h.getSolution().col_value)
        return values[self.n_art :]

    def solve_lp(self) -> Duals:
        """Solve the LP relaxation; its value and duals."""
        self.h.run()
        sol = self.h.getSolution()
        duals = np.array(sol.row_dual)
        values = np.array(sol.col_value)
        info = self.h.getInfo()

        def row(r: int) -> float:
            return float(duals[r]) if r >= 0 else 0.0

        return Duals(
            value=float(info.objective_function_value),
            cover=duals[: self.n].copy(),
            group=duals[self.n : self.n + self.groups].copy(),
            count=row(self.row_count),
            moves=row(self.row_moves),
            travel=row(self.row_travel),
            whole=row(self.row_whole),
            artificial=bool((values[: self.n_art] > 1e-6).any()),
            cut=duals[self.fixed_rows :].copy(),
        )

    def solve_mip(
        self, *, time_limit: float, gap: float, threads: int, start: list[Column] | None = None
    ) -> tuple[list[int] | None, float | None, float | None, bool]:
        """The best choice of the generated columns (the artificial ones left out).

        ``start`` (columns of :attr:`columns`) is handed to HiGHS as a first plan: on a big set
        partitioning HiGHS may find none of its own in time. With a start HiGHS 1.16 was seen to
        report a better objective than the solution it returned: callers recount the value of
        the columns returned.

        Returns
        -------
        tuple
            The chosen columns (indices into :attr:`columns`, None without a plan), its value,
            the solver's bound over these columns, and whether the solver proved it.
        """
        t0 = time.perf_counter()
        found = self._run_mip(time_limit=time_limit, gap=gap, threads=threads, start=start)
        if found is not None and start and found[4]:  # HiGHS's returned values were stale
            left = time_limit - (time.perf_counter() - t0)
            again = self._run_mip(time_limit=left, gap=gap, threads=threads, start=None)
            found = again if again is not None and not again[4] else None
        if found is None:
            return None, None, None, False
        return found[0], found[1], found[2], found[3]

    def _run_mip(
        self, *, time_limit: float, gap: float, threads: int, start: list[Column] | None
    ) -> tuple[list[int], float, float, bool, bool] | None:
        """One MIP run: chosen columns, value, bound, proven, and whether the values HiGHS
        returned disagree with the objective it reported (then they are not its plan)."""
        lp = self.h.getLp()
        quiet_highs_banner()
        mip = highspy.Highs()  # type: ignore[no-untyped-call]
        mip.setOptionValue("output_flag", False)
        mip.setOptionValue("threads", threads)
        mip.setOptionValue("time_limit", max(0.05, time_limit))
        mip.setOptionValue("mip_rel_gap", gap)
        mip.passModel(lp)
        total = self.n_art + len(self.columns)
        idx = np.arange(total, dtype=np.int32)
        mip.changeColsIntegrality(total, idx, np.ones(total, dtype=np.uint8))
        art = np.arange(self.n_art, dtype=np.int32)
        mip.changeColsBounds(self.n_art, art, np.zeros(self.n_art), np.zeros(self.n_art))
        if start:
            keys = {(c.base, c.group, c.members.tobytes()): k for k, c in enumerate(self.columns)}
            values = np.zeros(total)
            for c in start:
                values[self.n_art + keys[(c.base, c.group, c.members.tobytes())]] = 1.0
            sol = highspy.HighsSolution()
            sol.col_value = values.tolist()
            sol.value_valid = True
            mip.setSolution(sol)
        mip.run()
        info = mip.getInfo()
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return None
        x = np.array(mip.getSolution().col_value)[self.n_art :]
        chosen = [int(k) for k in np.flatnonzero(x > 0.5)]
        cover = np.zeros(self.n, dtype=np.int64)
        for k in chosen:
            cover[self.columns[k].members] += 1
        if not (np.where(self.packing, cover <= 1, cover == 1)).all():  # not a plan (never
            # seen; guarded all the same)
            return None
        proved = mip.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = float(sum(self.cost(self.columns[k]) for k in chosen))
        reported = float(info.objective_function_value)
        stale = abs(value - reported) > 1e-6 * max(1.0, abs(reported))
        return chosen, value, float(info.mip_dual_bound), proved, stale
