"""The columns engine's restricted master LP (highspy) and its pricing per base."""

from __future__ import annotations

import highspy
import numpy as np
from numpy.typing import NDArray

from ._instance import Instance, Part
from ._pricing import knapsack_window, lp_bounds
from ._run import quiet_highs_banner


class Master:
    """The restricted master LP in highspy, with artificial columns."""

    def __init__(self, n: int, count: int | None, big_m: float, threads: int) -> None:
        self.n = n
        self.count = count
        quiet_highs_banner()
        h = highspy.Highs()
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

    def add(self, columns: list[tuple[NDArray[np.int64], float]]) -> None:
        if not columns:
            return
        starts, idx, vals, costs = [], [], [], []
        for members, cost in columns:
            starts.append(len(idx))
            rows = members.tolist() + ([self.n] if self.count is not None else [])
            idx.extend(rows)
            vals.extend([1.0] * len(rows))
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

    def solve(self) -> tuple[float, NDArray[np.float64], float]:
        self.h.run()
        sol = self.h.getSolution()
        duals = np.array(sol.row_dual)
        z = float(self.h.getInfo().objective_function_value)
        mu = float(duals[self.n]) if self.count is not None else 0.0
        return z, duals[: self.n], mu


class Pricer:
    """Per-base knapsack data of one part."""

    def __init__(self, inst: Instance, part: Part) -> None:
        items = part.items
        self.n = n = len(items)
        self.w = inst.weights[items].astype(np.int64)
        self.cost = inst.cost[np.ix_(items, items)]
        allowed = inst.allowed[np.ix_(items, items)]
        self.lo, self.hi = part.lo, inst.hi
        self.nbr: list[NDArray[np.int64]] = []
        self.openable = np.zeros(n, dtype=bool)
        for j in range(n):
            cand = np.flatnonzero(allowed[:, j])
            cand = cand[cand != j]
            cand = cand[np.lexsort((cand, self.cost[cand, j]))]  # nearest first, then by code
            self.nbr.append(cand)
            self.openable[j] = self.w[j] <= self.hi and self.w[j] + self.w[cand].sum() >= self.lo
        self.dp_calls = 0
        self.active: NDArray[np.bool_] | None = None  # items still to cover (while diving)

    def _nb(self, j: int) -> NDArray[np.int64]:
        nb = self.nbr[j]
        return nb if self.active is None else nb[self.active[nb]]

    def _bases(self) -> NDArray[np.int64]:
        ok = self.openable if self.active is None else self.openable & self.active
        return np.flatnonzero(ok)

    def initial_columns(self) -> list[tuple[int, NDArray[np.int64]]]:
        out = []
        for j in np.flatnonzero(self.openable):
            tot = int(self.w[j])
            members = [int(j)]
            for i in self.nbr[j]:
                if tot >= self.lo:
                    break
                if tot + self.w[i] <= self.hi:
                    members.append(int(i))
                    tot += int(self.w[i])
            if self.lo <= tot <= self.hi:
                out.append((int(j), np.array(sorted(members), dtype=np.int64)))
        return out

    def window(self, j: int) -> tuple[int, int]:
        return self.lo - int(self.w[j]), self.hi - int(self.w[j])

    def lp_rc(self, pi: NDArray[np.float64], mu: float) -> NDArray[np.float64]:
        """Lower bounds on every base's best reduced cost (LP-relaxed knapsacks)."""
        rc = np.full(self.n, np.inf)
        for j in self._bases():
            nb = self._nb(j)
            lo, hi = self.window(j)
            value, _ = lp_bounds(self.w[nb], pi[nb] - self.cost[nb, j], lo, hi)
            rc[j] = -(pi[j] + value + mu)
        return rc

    def exact(
        self, j: int, pi: NDArray[np.float64], mu: float, theta: float = 0.0
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A lower bound on the best reduced cost of a column with base j, and a best column.

        Items whose LP bound with the item forced in already gives a reduced cost >= ``theta``
        are left out of the dynamic programme: the value returned is then exact when it is below
        ``theta`` and a valid lower bound (at least ``theta``, or the DP value) otherwise.
        """
        nb = self._nb(j)
        lo, hi = self.window(j)
        profits = pi[nb] - self.cost[nb, j]
        base_value, forced = lp_bounds(self.w[nb], profits, lo, hi, forced=True)
        if not np.isfinite(base_value):
            return np.inf, None
        t = -(pi[j] + forced + mu)  # type: ignore[operator]
        keep = t < theta
        self.dp_calls += 1
        value, chosen = knapsack_window(self.w[nb[keep]], profits[keep], lo, hi)
        rc = -(pi[j] + value + mu) if np.isfinite(value) else np.inf
        dropped = float(t[~keep].min()) if (~keep).any() else np.inf
        lower = max(min(rc, dropped), -(pi[j] + base_value + mu))
        if not np.isfinite(value):
            return lower, None
        members = np.sort(np.concatenate([[j], nb[keep][chosen]])).astype(np.int64)
        return lower, members

    def greedy_column(
        self, j: int, pi: NDArray[np.float64], mu: float
    ) -> tuple[float, NDArray[np.int64] | None]:
        """A cheap column for base j (rounding the LP knapsack): reduced cost and members."""
        nb = self._nb(j)
        lo, hi = self.window(j)
        w = self.w[nb]
        p = pi[nb] - self.cost[nb, j]
        ratio = p / np.maximum(w, 1)
        order = np.lexsort((np.arange(len(nb)), -ratio))
        take = np.zeros(len(nb), dtype=bool)
        tot, val = 0, 0.0
        for k in order:  # profitable items by ratio, while they fit
            if p[k] <= 0:
                break
            if tot + w[k] <= hi:
                take[k] = True
                tot += int(w[k])
                val += p[k]
        if tot < lo:  # then the least costly per patient up to the floor
            for k in order:
                if tot >= lo:
                    break
                if not take[k] and tot + w[k] <= hi:
                    take[k] = True
                    tot += int(w[k])
                    val += p[k]
        if tot < lo:
            return np.inf, None
        members = np.sort(np.concatenate([[j], nb[take]])).astype(np.int64)
        return -(pi[j] + val + mu), members

    def column_cost(self, j: int, members: NDArray[np.int64]) -> float:
        return float(self.cost[members, j].sum())
