"""The master of an alternative plan: set partitioning that keeps least of the earlier plans.

An alternative is a plan of the *free* practices I (those of the parts the best plan solved
within the rules; the rest are held as in the best plan) with weights :math:`w_i`. The earlier
plans :math:`r = 0` (the best plan), ..., :math:`n - 1` (the alternatives found before) each
partition I into hubs :math:`\\mathcal{H}^r`. A column :math:`c = (j, S)` is a base j and the
practices it serves (:math:`j \\in S`, every :math:`i \\in S` allowed with base j, the window
:math:`L \\le w(S) \\le U`), with travel :math:`T_c = \\sum_{i \\in S} t_{ij}` and

.. math::

    K_c = \\sum_r \\max_{H \\in \\mathcal{H}^r} w(S \\cap H)
    \\quad \\text{(what the hub keeps, at most, of one earlier hub of each earlier plan)}.

The model, with :math:`\\bar T = (1 + F) T^* - T_{held}` (:math:`T^*` the best plan's travel,
F the travel slack) and :math:`\\varepsilon = 1 / (2 (\\bar T + 1))`:

.. math::

    \\min \\sum_c (K_c + \\varepsilon T_c) x_c                                   && (A1)

    \\sum_{c \\ni i} x_c = 1 \\quad \\forall i \\in I                              && (A2)

    \\sum_c T_c x_c \\le \\bar T                                                 && (A3)

    \\sum_c x_c = p \\quad \\text{(a fixed or fewest count: the best plan's)}     && (A4)

    \\sum_{c:\\ S_c \\in \\mathcal{H}^r} x_c \\le |\\mathcal{H}^r| - 1
    \\quad \\forall r \\text{ (not earlier plan r again)}                          && (A5)

    x_c \\in \\{0, 1\\}                                                            && (A6)

Why (A1): in DESIGN's matching definition the moves of a plan P against :math:`\\mathcal{H}^r`
are :math:`W - M_r(P)`, W the patients of I and :math:`M_r` the maximum-weight matching of P's
hubs to :math:`\\mathcal{H}^r`. Each matched pair keeps at most its new hub's largest overlap,
so :math:`M_r(P) \\le \\sum_{c \\in P} \\max_H w(S_c \\cap H)` and

.. math::

    \\sum_r \\text{moves}_r(P) \\ge n W - \\sum_{c \\in P} K_c:

(A1) maximises a guaranteed number of moved patients summed over the earlier plans (a linear
surrogate of the min-max "fewest kept by the best matching"); K is a whole number and
:math:`\\varepsilon T < 1/2`, so among the plans with the least K it takes the least travel.
(A5) is exact: P differs from :math:`\\mathcal{H}^r` as a partition unless it holds every hub of
:math:`\\mathcal{H}^r`, and two different partitions always move a practice (a matching that
kept every patient would map each new hub into one old hub, one-to-one, so the two would be
equal). (A3) is DESIGN's travel slack; (A4) holds the hub count the rules fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers._run import quiet_highs_banner

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Column:
    """A candidate hub: base and members (local indices, sorted), travel T and kept K."""

    base: int
    members: NDArray[np.int64]
    travel: float
    kept: int

    @property
    def key(self) -> bytes:
        """The member set (the base aside), as (A5) compares hubs."""
        return self.members.tobytes()


@dataclass(frozen=True)
class Duals:
    """The LP's value and the duals of (A2), (A3) (<= 0) and (A4)."""

    value: float
    cover: NDArray[np.float64]
    travel: float
    count: float


@dataclass(frozen=True)
class MipResult:
    """The MIP over the columns: chosen columns (None: no plan), its bound, what it proved."""

    chosen: list[Column] | None
    bound: float | None
    proved: bool
    infeasible: bool


class AlternativeMaster:
    """(A1)-(A5) over the columns added so far (highspy), with artificial columns for (A2),
    (A4) so that the LP is feasible from the start; ``beta = 0`` minimises the travel alone
    (the least travel of a plan that differs from the earlier ones)."""

    def __init__(
        self,
        *,
        n: int,
        travel_cap: float,
        count: int | None,
        earlier: list[frozenset[bytes]],
        threads: int,
        beta: float = 1.0,
    ) -> None:
        self.n, self.travel_cap, self.earlier, self.beta = n, travel_cap, earlier, beta
        self.eps = 1.0 / (2.0 * (max(travel_cap, 0.0) + 1.0)) if beta else 1.0
        lower = [1.0] * n + [-INF] + ([] if count is None else [float(count)])
        upper = [1.0] * n + [travel_cap] + ([] if count is None else [float(count)])
        self.row_count = n + 1 if count is not None else -1
        self.row_distinct = len(lower)
        lower += [-INF] * len(earlier)
        upper += [float(len(hubs) - 1) for hubs in earlier]
        quiet_highs_banner()
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        h.addRows(len(lower), np.array(lower), np.array(upper), 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))  # fmt: skip
        self.big_m = 10.0 * (float(n) + 1.0) * (len(earlier) + 1.0) * 1e6
        art = [(r, 1.0) for r in range(n)]
        if count is not None:
            art += [(self.row_count, 1.0), (self.row_count, -1.0)]
        for r, v in art:
            h.addCol(self.big_m, 0.0, INF, 1, np.array([r], np.int32), np.array([v]))
        self.n_art = len(art)
        self.h = h
        self.columns: list[Column] = []
        self._seen: set[tuple[int, bytes]] = set()

    def cost(self, col: Column) -> float:
        """(A1)'s coefficient of a column (``beta`` 0: the travel alone)."""
        return self.beta * col.kept + self.eps * col.travel

    def add(self, cols: list[Column]) -> int:
        """Add the columns the master does not hold yet; returns how many were new."""
        starts: list[int] = []
        rows: list[int] = []
        vals: list[float] = []
        costs: list[float] = []
        for col in cols:
            if (col.base, col.key) in self._seen:
                continue
            self._seen.add((col.base, col.key))
            starts.append(len(rows))
            rows += [*col.members.tolist(), self.n]
            vals += [1.0] * len(col.members) + [col.travel]
            if self.row_count >= 0:
                rows.append(self.row_count)
                vals.append(1.0)
            for r, hubs in enumerate(self.earlier):
                if col.key in hubs:
                    rows.append(self.row_distinct + r)
                    vals.append(1.0)
            costs.append(self.cost(col))
            self.columns.append(col)
        if costs:
            k = len(costs)
            self.h.addCols(k, np.array(costs), np.zeros(k), np.full(k, INF), len(rows),
                           np.array(starts, np.int32), np.array(rows, np.int32),
                           np.array(vals))  # fmt: skip
        return len(costs)

    def solve_lp(self) -> Duals:
        """Solve the LP relaxation; its value and duals."""
        self.h.run()
        duals = np.array(self.h.getSolution().row_dual)
        return Duals(
            value=float(self.h.getInfo().objective_function_value),
            cover=duals[: self.n].copy(),
            travel=min(0.0, float(duals[self.n])),
            count=float(duals[self.row_count]) if self.row_count >= 0 else 0.0,
        )

    def solve_mip(
        self,
        *,
        time_limit: float,
        threads: int,
        start: list[Column] | None = None,
        presolve: bool = True,
    ) -> MipResult:
        """The best choice of the columns (artificial ones left out), by HiGHS.

        Parameters
        ----------
        time_limit
            Seconds.
        threads
            Solver threads.
        start
            A plan of the master's columns that meets (A2)-(A5), handed to HiGHS first.
        presolve
            Whether HiGHS presolves (off for long listings: on central Sussex's 97,000
            columns within 2% its presolve alone took 34 s, the whole MIP without it 28 s).

        Returns
        -------
        MipResult
            The plan (None without one), HiGHS's bound over these columns, whether it proved
            the plan optimal (or that no plan of these columns exists).
        """
        quiet_highs_banner()
        mip = highspy.Highs()  # type: ignore[no-untyped-call]
        mip.setOptionValue("output_flag", False)
        mip.setOptionValue("threads", threads)
        mip.setOptionValue("time_limit", max(0.05, time_limit))
        mip.setOptionValue("mip_rel_gap", 0.0)
        if not presolve:
            mip.setOptionValue("presolve", "off")
        mip.passModel(self.h.getLp())
        total = self.n_art + len(self.columns)
        mip.changeColsIntegrality(total, np.arange(total, dtype=np.int32),
                                  np.ones(total, dtype=np.uint8))  # fmt: skip
        art = np.arange(self.n_art, dtype=np.int32)
        mip.changeColsBounds(self.n_art, art, np.zeros(self.n_art), np.zeros(self.n_art))
        if start:
            where = {(c.base, c.key): k for k, c in enumerate(self.columns)}
            values = np.zeros(total)
            for c in start:
                values[self.n_art + where[(c.base, c.key)]] = 1.0
            sol = highspy.HighsSolution()
            sol.col_value = values.tolist()
            sol.value_valid = True
            mip.setSolution(sol)
        mip.run()
        status = mip.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return MipResult(None, None, proved=True, infeasible=True)
        info = mip.getInfo()
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return MipResult(None, None, proved=False, infeasible=False)
        x = np.array(mip.getSolution().col_value)[self.n_art :]
        chosen = [self.columns[k] for k in np.flatnonzero(x > 0.5)]
        cover = np.zeros(self.n, dtype=np.int64)
        for col in chosen:
            cover[col.members] += 1
        if not (cover == 1).all():  # not a plan (guarded; never expected)
            return MipResult(None, None, proved=False, infeasible=False)
        # HiGHS 1.16, given a start, once said optimal at a bound below the plan it returned
        # (the start's); a plan whose value is not HiGHS's own is never called proven
        value = float(info.objective_function_value)
        ours = sum(self.cost(c) for c in chosen)
        same = abs(ours - value) <= 1e-7 * max(1.0, abs(value))
        proved = status == highspy.HighsModelStatus.kOptimal and same
        return MipResult(chosen, float(info.mip_dual_bound), proved=proved, infeasible=False)
