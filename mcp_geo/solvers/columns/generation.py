"""Column generation for the columns engine (steps 2 and 3 of :mod:`.driver`).

The restricted master LP (:mod:`.master`) gives duals; each base is priced (:mod:`.pricing`):
first a cheap rounding of its LP-relaxed knapsack, then, when that finds no column, exactly, on the
bases whose LP-relaxed bound still allows a negative reduced cost (in order of that bound). Duals
are smoothed (Wentges: price at a convex combination of the best-bound duals and the master's; on
a mis-price, at the master's). At convergence, violated subset-row cuts on triples (:mod:`.cuts`)
are added and the columns re-priced with their duals, for up to :data:`MAX_CUT_ROUNDS` rounds while
a round raises the LP by :data:`CUT_MIN_GAIN`; once the triples' rounds stall, the rank-1 cuts
on four and five items join them (:data:`RANK1`), by the same rule.

At any duals ``(pi, mu, sigma <= 0)``, ``L = sum pi + p mu + sigma rhs + sum_j min(0, r_j)`` is a
valid lower bound when ``r_j`` bounds base j's best reduced cost from below; the best such ``L``
and its duals are kept (:class:`Generated`). With a fixed count, ``L`` is taken at the count's
best dual, not the master's (:func:`count_dual`): at the smoothed duals the master's ``mu`` can
leave ``L`` at minus tens of millions for most of the generation, and the smoothing's centre (the
best-bound duals) then never moves. Measured on staffs-shropshire's part of 190 practices at 35
hubs (96.6% full): the LP without cuts converged after 117 master solves in 5 s, against 250 in
62 s; central Sussex at 23: 80 against 110. With a free count, ``L`` counts only as many bases
as a plan can have groups (:func:`range_dual`): 4 s into Greater Manchester's generation (one
thread), 1,598,885 instead of 1,274,601, above 0 after 3.2 s instead of 3.6 s; the path of the
generation is the same (see :meth:`ColumnGeneration._keep_bound`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mcp_geo.solvers import progress
from mcp_geo.solvers._run import Deadline

from .cuts import Cuts, separate_rank1, separate_sr3
from .master import Master
from .pricing import Pricer

log = logging.getLogger(__name__)

MAX_CUT_ROUNDS = 20  # subset-row cut rounds (see :mod:`.cuts`)
RANK1 = True  # the rank-1 cuts on four and five items too (see :mod:`.cuts`)
CUTS_PER_ITEM = 4  # cuts in all, at most, per item of the part
CUT_MIN_GAIN = 5e-4  # another round only while the last one raised the LP by this fraction
REPORT_EVERY = 25  # master solves between two progress records

AddColumns = Callable[[list[tuple[int, NDArray[np.int64]]]], int]


@dataclass(frozen=True)
class _Prices:
    """One iteration's duals and the LP-relaxed bounds on every base's reduced cost."""

    pi: NDArray[np.float64]  # smoothed
    mu: float
    sigma: NDArray[np.float64]
    cuts: tuple[Cuts, NDArray[np.float64]] | None
    ell: float
    rcb: NDArray[np.float64]  # raised in place as bases are priced exactly
    tol: float
    pi_rmp: NDArray[np.float64]  # the master's own
    mu_rmp: float
    queue: list[int]


@dataclass
class Generated:
    """What column generation proved: the best Lagrangian bound and the duals that gave it.

    Attributes
    ----------
    best_l
        The best lower bound seen (``-inf`` when no pricing round finished).
    best_pi, best_mu, best_sigma
        The duals at which it was reached (``best_pi`` None when no round finished).
    best_k
        The number of groups ``best_mu`` multiplies in the bound (:func:`lagrangian_bound`).
    z
        The master LP's last value.
    converged
        Whether the LP over every column (with its cuts) was solved to the end.
    iterations
        Master solves.
    """

    best_l: float = -np.inf
    best_pi: NDArray[np.float64] | None = None
    best_mu: float = 0.0
    best_k: int = 0
    best_sigma: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    z: float = np.inf
    converged: bool = False
    iterations: int = 0


def count_dual(rc: NDArray[np.float64], *, mu: float, count: int) -> float:
    """The count row's dual that makes the Lagrangian bound largest at these reduced costs.

    A column of base j holds j, so a plan (and the master LP) uses at most one unit of base j's
    columns, and exactly ``count`` units in all. With ``r_j + mu`` base j's best reduced cost
    without the count row, ``L(m) = ell - count mu + count m + sum_j min(0, r_j + mu - m)``
    is concave in the count's dual ``m`` and largest where ``count`` bases lie below ``m``: at
    the ``count``-th smallest ``r_j + mu``, where ``L`` is ``sum pi + sigma rhs`` plus the
    ``count`` smallest reduced costs (Lagrangian relaxation with the count kept in the
    subproblem). Once the LP has converged, the master's own ``mu`` is such a dual; at the
    smoothed duals, or early on, this one can lift the bound by orders of magnitude.

    Parameters
    ----------
    rc
        Lower bounds on every base's best reduced cost at the count's dual ``mu`` (``inf``
        for a base that cannot open).
    mu
        The count row's dual those reduced costs were computed at.
    count
        The fixed number of groups.

    Returns
    -------
    float
        The best dual for the count row (``mu`` when fewer than ``count`` bases can open).
    """
    own = rc[np.isfinite(rc)] + mu
    if not 0 < count <= len(own):
        return mu
    return float(np.partition(own, count - 1)[count - 1])


def range_dual(rc: NDArray[np.float64], *, groups: tuple[int, int]) -> tuple[float, int]:
    """With a free count, the dual of ``kmin <= number of groups <= kmax`` that makes the
    Lagrangian bound largest, and the number of groups it multiplies.

    Every plan has between ``kmin`` and ``kmax`` groups (each weighs ``[lo, hi]``, every item is
    covered once: :meth:`.pricing.Pricer.group_range`) and uses at most one column of each
    base, so the bound needs only the ``k`` smallest reduced costs, ``k`` the number of
    negative ones held within ``[kmin, kmax]``: ``L(m) = ell + k m + sum_j min(0, r_j - m)``
    with ``m`` the ``k``-th smallest ``r_j`` when ``k`` is ``kmax`` (``m < 0``) or ``kmin``
    (``m >= 0``), else 0. Early in column generation, when most bases price out, this is
    far above the plain ``ell + sum_j min(0, r_j)``.

    Parameters
    ----------
    rc
        Lower bounds on every base's best reduced cost (no count row: ``mu`` is 0; ``inf`` for
        a base that cannot open).
    groups
        The least and the most number of groups of a plan.

    Returns
    -------
    tuple[float, int]
        The dual ``m`` and the number of groups ``k`` (0 and 0 when no plan has that many
        bases that can open).
    """
    own = np.sort(rc[np.isfinite(rc)])
    kmin, kmax = groups[0], min(groups[1], len(own))
    if not 0 < kmin <= kmax:
        return 0.0, 0
    negative = int(np.searchsorted(own, 0.0))
    k = min(max(negative, kmin), kmax)
    return (0.0 if k == negative else float(own[k - 1])), k


def lagrangian_bound(
    ell: float,
    rc: NDArray[np.float64],
    *,
    mu: float,
    count: int | None,
    groups: tuple[int, int] | None = None,
) -> tuple[float, float, int]:
    """The Lagrangian bound ``ell + k (m - mu) + sum_j min(0, r_j + mu - m)`` at the count
    row's best dual ``m``.

    Parameters
    ----------
    ell
        ``sum pi + count mu + sigma rhs`` (``rhs``: the cuts' right-hand sides; with a floor
        row, its dual times the patients held: :meth:`.master.Master.side_value`) at the duals.
    rc
        Lower bounds on every base's best reduced cost at those duals.
    mu, count
        The count row's dual and the fixed count (None: no count row, ``mu`` 0).
    groups
        With a free count, the least and most number of groups of a plan (:func:`range_dual`;
        None: the plain bound).

    Returns
    -------
    tuple[float, float, int]
        The bound; the count's dual ``m`` it is reached at (:func:`count_dual`, :func:`range_dual`;
        ``mu`` without either) and the number of groups ``k`` that ``m`` multiplies in ``ell``
        (the count; 0 without either).
    """
    if count is not None:
        best, k = count_dual(rc, mu=mu, count=count), count
    elif groups is not None:
        best, k = range_dual(rc, groups=groups)
    else:
        return ell + float(np.minimum(rc, 0).sum()), mu, 0
    shifted = rc + (mu - best)
    return ell + k * (best - mu) + float(np.minimum(shifted, 0).sum()), best, k


class ColumnGeneration:
    """Steps 2-3 of the columns engine over a master and its pricer (see the module docstring).

    Parameters
    ----------
    master
        The restricted master LP, holding the initial columns.
    pr
        The part's pricer.
    add
        Adds columns to the master (and the engine's pool); returns how many were new.
    count
        The part's fixed number of groups, if any.
    deadline
        The part's wall-clock budget.
    """

    def __init__(
        self,
        master: Master,
        pr: Pricer,
        *,
        add: AddColumns,
        count: int | None,
        deadline: Deadline,
    ) -> None:
        self.master = master
        self.pr = pr
        self.add = add
        self.count = count
        self.deadline = deadline
        self.out = Generated()
        self.groups = None if count is not None else pr.group_range(master.members)
        self.per_round = max(8, pr.n // 8)
        self.cut_rounds = 0
        self.z_round = -np.inf
        self.larger = False  # whether the rank-1 cuts on four and five items have begun
        self.pi_stab: NDArray[np.float64] | None = None
        self.centre_l = -np.inf  # the plain bound's best: what moves the smoothing's centre
        self.alpha = 0.5
        self.budget = 0.0

    def run(self, *, budget: float) -> Generated:
        """Generate columns until convergence or until ``budget`` seconds of the deadline passed.

        Parameters
        ----------
        budget
            Elapsed seconds of the deadline after which generation stops (its bound stays valid).

        Returns
        -------
        Generated
            The best bound, its duals and whether the LP converged.
        """
        self.budget = budget
        while self.deadline.elapsed() < budget and self.out.best_l < self.master.big_m:
            self.out.iterations += 1
            if self.out.iterations % REPORT_EVERY == 0:  # a record now and then
                progress.report("column generation", best=None, bound=self._bound())
            if self._iterate():
                self.out.converged = True
                break
        return self.out

    def _iterate(self) -> bool:
        """One master solve and its pricing; True once converged (no cut left to add)."""
        master, pr = self.master, self.pr
        z, pi_rmp, mu_rmp = master.solve()
        self.out.z = z
        smooth = self.pi_stab is not None and self.alpha > 0
        pi = self.alpha * self.pi_stab + (1 - self.alpha) * pi_rmp if smooth else pi_rmp  # type: ignore[operator]
        mu = mu_rmp  # the count's dual is not smoothed
        sigma = master.sigma  # nor the cuts' duals (<= 0: every such bound below is valid)
        rcb = pr.lp_rc(pi, mu)
        tol = 1e-9 * max(1.0, abs(z))
        at = _Prices(
            pi=pi,
            mu=mu,
            sigma=sigma,
            cuts=(master.cuts, sigma) if len(sigma) else None,
            ell=float(
                pi.sum() + (self.count or 0) * mu + sigma @ master.cuts.rhs + master.side_value()
            ),
            rcb=rcb,
            tol=tol,
            pi_rmp=pi_rmp,
            mu_rmp=mu_rmp,
            queue=[int(j) for j in np.lexsort((np.arange(len(rcb)), rcb)) if rcb[j] < -tol],
        )
        found = self._cheap_columns(at)
        if found:
            self._keep_bound(at)
            self.add(found)
            self.alpha = 0.5 if self.pi_stab is not None else 0.0
            return False
        found, complete = self._exact_columns(at)
        self._keep_bound(at)
        added = self.add(found)
        at_bound = z - self.centre_l <= 1e-7 * max(1.0, abs(z))
        if added == 0 and smooth and not at_bound:
            self.alpha = 0.0  # mis-price: next round at the master's duals
            return False
        if (added == 0 and complete) or at_bound:
            return self._cut_or_stop(z, at)
        if added:
            self.alpha = 0.5 if self.pi_stab is not None else 0.0
        return False

    def _bound(self) -> float | None:
        """The best bound so far for the progress records: none until it is above 0 (costs are
        >= 0: a bound at or below 0 says nothing)."""
        return self.out.best_l if self.out.best_l > 0 else None

    def _prices_out(self, j: int, members: NDArray[np.int64], at: _Prices) -> bool:
        """Whether a column has a negative reduced cost at the master's own duals."""
        rc_rmp = self.pr.column_cost(j, members) - at.pi_rmp[members].sum() - at.mu_rmp
        if at.cuts is not None:
            rc_rmp += self.pr.penalty(members, at.cuts)
        return bool(rc_rmp < -at.tol)

    def _cheap_columns(self, at: _Prices) -> list[tuple[int, NDArray[np.int64]]]:
        """Columns from rounding the LP knapsacks of the most promising bases."""
        found: list[tuple[int, NDArray[np.int64]]] = []
        for j in at.queue[: 2 * self.per_round]:  # cheap columns first; exact pricing when none
            rc_g, members = self.pr.greedy_column(j, at.pi, at.mu)
            if members is not None and rc_g < -at.tol and self._prices_out(j, members, at):
                found.append((j, members))
        return found

    def _exact_columns(self, at: _Prices) -> tuple[list[tuple[int, NDArray[np.int64]]], bool]:
        """Exact pricing with the cuts' duals, and whether every base was priced.

        The bases whose cut pricing needs a MIP wait (their plain knapsack is a valid bound
        meanwhile) until the others find nothing.
        """
        found: list[tuple[int, NDArray[np.int64]]] = []
        deferred: list[int] = []
        done = [0, 0]  # bases priced from the queue, and from the deferred ones
        for step, (batch, wait) in enumerate(((at.queue, deferred), (deferred, None))):
            if found:
                break
            for j in batch:
                if self.deadline.elapsed() >= self.budget:
                    break
                rc_j, members = self.pr.exact(j, at.pi, at.mu, cuts=at.cuts, deferred=wait)
                at.rcb[j] = max(at.rcb[j], rc_j)
                done[step] += 1
                # keep it if it prices out at the master's duals
                if rc_j < -at.tol and members is not None and self._prices_out(j, members, at):
                    found.append((j, members))
                if len(found) >= self.per_round and done[step] >= self.per_round:
                    break
        return found, done == [len(at.queue), len(deferred)]

    def _keep_bound(self, at: _Prices) -> None:
        """Keep the Lagrangian bound at these duals if it is the best so far.

        The smoothing's centre moves with the plain bound (a free count's range of groups
        left out), as does the test that the LP is solved: moved by the range's bound,
        generation took other paths, 15% slower on ten medium ICBs (Black Country, QUA: 130
        -> 144 master solves, 5.0 -> 7.3 s, to an LP 0.14% higher).
        """
        plain, mu, k = lagrangian_bound(at.ell, at.rcb, mu=at.mu, count=self.count)
        if plain > self.centre_l:
            self.centre_l = plain
            self.pi_stab = at.pi.copy()
        if self.groups is not None:
            lag, mu, k = lagrangian_bound(at.ell, at.rcb, mu=at.mu, count=None, groups=self.groups)
        else:
            lag = plain
        if lag > self.out.best_l:
            self._best(lag, at.pi, mu=mu, sigma=at.sigma, k=k)

    def _best(
        self,
        value: float,
        pi: NDArray[np.float64],
        *,
        mu: float,
        sigma: NDArray[np.float64],
        k: int,
    ) -> None:
        self.out.best_l, self.out.best_pi = value, pi.copy()
        self.out.best_mu, self.out.best_sigma, self.out.best_k = mu, sigma.copy(), k

    def _cut_or_stop(self, z: float, at: _Prices) -> bool:
        """The LP over every column is solved: its value is a bound; cut it, or stop (True)."""
        master = self.master
        self.centre_l = max(self.centre_l, z)
        if z >= self.out.best_l:
            self._best(z, at.pi_rmp, mu=at.mu_rmp, sigma=at.sigma, k=self.count or 0)
        if master.needs_artificials():
            return True  # the LP over every column has no solution: no cut gives it one
        gain = z - self.z_round
        self.z_round = z
        n = self.pr.n
        new = Cuts.none()
        gained = gain > CUT_MIN_GAIN * max(1.0, abs(z))
        if self.cut_rounds < MAX_CUT_ROUNDS and (gained or (RANK1 and not self.larger)):
            room = min(CUTS_PER_ITEM * n - len(master.cuts), n // 2 + 1)
            x = master.values()
            if gained:
                new = Cuts.subset_rows(separate_sr3(master.members, x, n=n, max_cuts=room))
            if RANK1 and (self.larger or not len(new)):  # once the triples' rounds stall
                self.larger = True
                new = new.join(separate_rank1(master.members, x, n=n, max_cuts=room - len(new)))
        if not len(new):
            return True
        master.add_cuts(new)
        self.cut_rounds += 1
        progress.report(
            f"column generation, cut round {self.cut_rounds}", best=None, bound=self._bound()
        )
        log.info(
            "columns: LP %.1f after %d rounds of cuts; %d more cuts (%.2fs)",
            z,
            self.cut_rounds - 1,
            len(new),
            self.deadline.elapsed(),
        )
        self.pi_stab, self.alpha = None, 0.0  # re-price at the master's duals with the cuts
        return False
