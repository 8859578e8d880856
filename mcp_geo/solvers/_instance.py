"""The generic problem both levels share, its pre-checks and its decomposition into parts.

Items (practices, or hubs one level up) carry integer weights (patients); every item goes to one
open base among the items within ``max_km`` (and, under a within rule, of its own area: see
:mod:`mcp_geo.solvers.areas`); each group's weight lies in ``[lo, hi]``. The checks
here run before any model is built: they turn the unavoidable cases into named exceptions (or
collect them as causes when the rule is strict) and find what no plan can satisfy.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError, Level, Relaxation

from .areas import AREA_LEVELS, area_name, area_place

log = logging.getLogger(__name__)

ExceptionKind = Literal["over_ceiling", "island_under_floor"]


@dataclass(frozen=True)
class PlanException:
    """A group allowed outside the bounds, and why (DESIGN "Hub": unavoidable exceptions)."""

    kind: ExceptionKind
    items: tuple[str, ...]
    patients: int
    reason: str


@dataclass(frozen=True)
class Instance:
    """A capacitated p-median problem with a floor and a ceiling, items sorted by code."""

    codes: tuple[str, ...]
    weights: NDArray[np.int64]
    km: NDArray[np.float64]
    lo: int
    hi: int
    max_km: float | None
    count: int | None
    objective: Literal["weighted", "distance"]
    strict: bool
    item: str = "practice"  # the word for one item in messages
    group: str = "hub"  # the word for one group in messages
    unit: Literal["km", "minutes"] = "km"  # what ``km`` and ``max_km`` measure (the travel's)
    areas: tuple[str | None, ...] | None = None  # each item's area under a within rule, or None
    area_level: str = ""  # the within rule's level (``sub-icb``), for messages
    cost: NDArray[np.float64] = field(init=False, repr=False)
    allowed: NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = self.weights.astype(float)
        reachable = np.isfinite(self.km)  # road travel: inf where there is no way
        with np.errstate(invalid="ignore"):  # 0 patients x inf
            cost = w[:, None] * self.km if self.objective == "weighted" else self.km.copy()
        cost[~reachable] = np.inf
        object.__setattr__(self, "cost", cost)
        if self.max_km is None:
            allowed = reachable.copy()
        else:
            allowed = reachable & (self.km <= self.max_km + 1e-9)
        if self.areas is not None:  # a within rule: only items of one area share a group
            label = pd.factorize(pd.Series(self.areas, dtype=object), use_na_sentinel=False)[0]
            allowed &= label[:, None] == label[None, :]
        np.fill_diagonal(allowed, True)
        object.__setattr__(self, "allowed", allowed)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def level(self) -> Level:
        """The plan level this instance is (for errors: which level's rules failed)."""
        return "mcps" if self.group == "MCP" else "hubs"

    def option(self, kind: Literal["floor", "ceiling", "limit", "count"]) -> str:
        """The public name of the option that sets ``kind`` at this level (``hub_min``...).

        Parameters
        ----------
        kind
            The floor, the ceiling, the distance limit (in the travel's unit) or the count.

        Returns
        -------
        str
            The name the API and the scenario use (the CLI's with dashes).
        """
        hubs = self.level == "hubs"
        if kind == "limit":
            limit = "max_km" if self.unit == "km" else "max_minutes"
            return limit if hubs else f"mcp_{limit}"
        names = {"floor": "min", "ceiling": "max", "count": "s"}
        return ("hub" if hubs else "mcp") + ("" if kind == "count" else "_") + names[kind]

    def names(self, idx: NDArray[np.int64] | list[int], limit: int = 12) -> str:
        """Item codes for messages, shortened after ``limit``."""
        codes = [self.codes[i] for i in idx]
        shown = ", ".join(codes[:limit])
        return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")

    def area_of(self, idx: NDArray[np.int64] | list[int]) -> str:
        """The area of items that share one (``sub-ICB 05G``), or "" without a within rule."""
        if self.areas is None or not len(idx):
            return ""
        return area_name(self.area_level, self.areas[int(idx[0])])

    def cut_off(self) -> str:
        """What cuts parts off from each other, after "by": the distance limit (``the 15 km
        limit``), and under a within rule the areas' boundaries."""
        limit = f"the {_limit_words(self)} limit"
        if self.areas is None:
            return limit
        borders = f"the {AREA_LEVELS[self.area_level].word} boundaries"
        return borders if self.max_km is None else f"{limit} and {borders}"


@dataclass(frozen=True)
class Part:
    """Items solved together (indices into the instance) and the fixed count, if any."""

    items: NDArray[np.int64]
    lo: int
    count: int | None = None
    exception: ExceptionKind | None = None  # every group of this part is that exception


@dataclass(frozen=True)
class Prepared:
    """The outcome of the pre-checks: groups fixed in advance, parts to optimise, exceptions."""

    fixed: tuple[tuple[int, tuple[int, ...], PlanException], ...]  # (base, members, exception)
    parts: tuple[Part, ...]
    exceptions: tuple[PlanException, ...]


def _components(allowed: NDArray[np.bool_], items: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """Connected components of the items linked when one can serve the other."""
    sub = allowed[np.ix_(items, items)]
    sub = sub | sub.T
    n = len(items)
    label = np.full(n, -1)
    comps = []
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = start
        stack = [start]
        members = []
        while stack:
            k = stack.pop()
            members.append(k)
            for m in np.flatnonzero(sub[k] & (label < 0)):
                label[m] = start
                stack.append(int(m))
        comps.append(items[np.sort(np.array(members))])
    return comps


def _fmt(x: int) -> str:
    return f"{x:,}"


@dataclass
class _Checks:
    """What the pre-checks found so far (see :func:`prepare`)."""

    causes: list[str] = field(default_factory=list)  # strict-mode causes
    hard: list[str] = field(default_factory=list)  # infeasible whatever the mode
    relax: list[Relaxation] = field(default_factory=list)  # what would allow a plan
    fixed: list[tuple[int, tuple[int, ...], PlanException]] = field(default_factory=list)
    exceptions: list[PlanException] = field(default_factory=list)
    island_parts: list[Part] = field(default_factory=list)

    def fail(self, message: str, *relax: Relaxation) -> None:
        self.hard.append(message)
        self.relax.extend(r for r in relax if r not in self.relax)


def prepare(inst: Instance) -> Prepared:
    """Run the pre-checks and split the instance into independent parts.

    Parameters
    ----------
    inst
        The level's instance.

    Returns
    -------
    Prepared
        The groups fixed in advance (exceptions), the parts to optimise and the exceptions.

    Raises
    ------
    InfeasibleError
        When no plan can satisfy the rules (named, with numbers, and ``relax`` naming the options
        that would allow one), and in strict mode when an unavoidable exception would be needed.
    """
    w = inst.weights
    checks = _Checks()
    total = int(w.sum())
    if total < inst.lo:
        checks.fail(
            f"the footprint has {_fmt(total)} patients, under the {inst.group} floor of "
            f"{_fmt(inst.lo)}",
            Relaxation(inst.option("floor"), "lower", total),
        )
    alive = _over_ceiling(inst, checks)
    _islands(inst, alive, checks)
    parts, kmin_total, kmax_total = _split(inst, alive, checks)
    if inst.count is not None:
        parts = _count_checks(inst, parts, need=(kmin_total, kmax_total), checks=checks)
    if checks.hard or (inst.strict and checks.causes):
        problems = checks.hard + (checks.causes if inst.strict else [])
        raise InfeasibleError(  # strict-mode causes alone name no option: the rule is the point
            "no plan satisfies the rules: " + "; ".join(problems),
            causes=problems,
            level=inst.level,
            relax=checks.relax,
        )
    log.debug("%d parts, %d fixed groups", len(parts), len(checks.fixed))
    return Prepared(
        fixed=tuple(checks.fixed),
        parts=tuple(parts + checks.island_parts),
        exceptions=tuple(checks.exceptions),
    )


def _limit_words(inst: Instance) -> str:
    return "no distance limit" if inst.max_km is None else f"{inst.max_km:g} km"


def _over_ceiling(inst: Instance, checks: _Checks) -> NDArray[np.bool_]:
    """1. an item over the ceiling is a group of its own; returns the items still to plan."""
    w, hi = inst.weights, inst.hi
    over = np.flatnonzero(w > hi)
    for i in over:
        reason = (
            f"{inst.item} over the ceiling ({inst.codes[i]} has {_fmt(int(w[i]))} patients, "
            f"more than {_fmt(hi)})"
        )
        checks.causes.append(reason)
        exc = PlanException("over_ceiling", (inst.codes[i],), int(w[i]), reason)
        checks.fixed.append((int(i), (int(i),), exc))
        checks.exceptions.append(exc)
    alive = np.ones(inst.n, dtype=bool)
    alive[over] = False
    return alive


def _islands(inst: Instance, alive: NDArray[np.bool_], checks: _Checks) -> None:
    """2. items that cannot reach the floor with anyone within the limit, to a fixpoint.

    A base j can open only if the items that may join it reach the floor; an item needs such a
    base. Marks them not ``alive``.
    """
    w, lo = inst.weights, inst.lo
    while True:
        reach = inst.allowed & alive[:, None] & alive[None, :]
        openable = alive & (w @ reach >= lo)
        stranded = alive & ~(reach & openable[None, :]).any(axis=1)
        if not stranded.any():
            break
        for comp in _components(inst.allowed, np.flatnonzero(stranded)):
            tot = int(w[comp].sum())
            reason = (
                f"isolated group under the floor: {inst.names(comp)} ({_fmt(tot)} patients) "
                f"cannot reach {_fmt(lo)} with anyone within {_limit_words(inst)}"
            )
            if inst.areas is not None:  # the area's boundary cuts them off too
                reason += " " + area_place(inst.area_level, inst.areas[int(comp[0])])
            checks.causes.append(reason)
            exc = PlanException(
                "island_under_floor", tuple(inst.codes[i] for i in comp), tot, reason
            )
            checks.exceptions.append(exc)
            # one undersized group, based where the members are served best within the limit
            ok = inst.allowed[np.ix_(comp, comp)].all(axis=0)
            if ok.any():
                costs = inst.cost[np.ix_(comp, comp)].sum(axis=0)
                costs[~ok] = np.inf
                base = int(comp[int(np.argmin(costs))])
                checks.fixed.append((base, tuple(int(i) for i in comp), exc))
            else:  # no single base reaches them all: optimised with no floor, all flagged
                checks.island_parts.append(Part(items=comp, lo=0, exception="island_under_floor"))
            alive[comp] = False


def _split(
    inst: Instance, alive: NDArray[np.bool_], checks: _Checks
) -> tuple[list[Part], int, int]:
    """3. the parts cut off from each other by the limit; each must hold whole groups.

    Returns the parts and the least and most groups they need in total.
    """
    w, lo, hi = inst.weights, inst.lo, inst.hi
    parts: list[Part] = []
    kmin_total, kmax_total = 0, 0
    for comp in _components(inst.allowed, np.flatnonzero(alive)):
        tot = int(w[comp].sum())
        kmin = math.ceil(tot / hi)
        kmax = tot // lo if lo > 0 else len(comp)
        kmax = min(kmax, len(comp))
        if kmin > kmax:
            k = kmax
            floor, ceiling = tot // (k + 1), math.ceil(tot / max(k, 1))
            where = f"{inst.area_of(comp)}: " if inst.areas is not None else ""
            checks.fail(
                f"{where}the {len(comp)} {inst.item}s {inst.names(comp)} ({_fmt(tot)} patients), "
                f"cut off from the rest by {inst.cut_off()}, cannot be split into "
                f"{inst.group}s of {_fmt(lo)}-{_fmt(hi)}: {k} {inst.group}s hold at most "
                f"{_fmt(k * hi)} and {k + 1} need at least {_fmt((k + 1) * lo)}; lower the floor "
                f"to {_fmt(floor)} or raise the ceiling to {_fmt(ceiling)}",
                Relaxation(inst.option("floor"), "lower", floor),
                Relaxation(inst.option("ceiling"), "raise", ceiling),
                Relaxation(inst.option("limit"), "raise"),
            )
            continue
        kmin_total += kmin
        kmax_total += kmax
        parts.append(Part(items=comp, lo=lo))
    return parts, kmin_total, kmax_total


def _count_checks(
    inst: Instance, parts: list[Part], *, need: tuple[int, int], checks: _Checks
) -> list[Part]:
    """4. a fixed count: reachable at all, and by the parts; couples the parts into one."""
    assert inst.count is not None
    count, lo, hi = inst.count, inst.lo, inst.hi
    total = int(inst.weights.sum())
    n_model = count - (len(checks.fixed) + len(checks.island_parts))  # an island part: 1 group
    fixed_groups = count - n_model
    kmin_total, kmax_total = need
    option = inst.option("count")
    if count * hi < total:
        checks.fail(
            f"{count} {inst.group}s of at most {_fmt(hi)} patients hold at most "
            f"{_fmt(count * hi)}; the footprint has {_fmt(total)}",
            Relaxation(option, "raise", math.ceil(total / hi)),
            Relaxation(inst.option("ceiling"), "raise", math.ceil(total / count)),
        )
    elif count * lo > total:
        checks.fail(
            f"{count} {inst.group}s of at least {_fmt(lo)} patients need "
            f"{_fmt(count * lo)}; the footprint has {_fmt(total)}",
            Relaxation(option, "lower", total // lo),
            Relaxation(inst.option("floor"), "lower", total // count),
        )
    elif not kmin_total <= n_model <= kmax_total and parts:
        least, most = kmin_total + fixed_groups, kmax_total + fixed_groups
        checks.fail(
            f"{count} {inst.group}s cannot be reached: the rules allow between "
            f"{least} and {most} "
            f"(the {len(parts)} groups of {inst.item}s cut off from each other by "
            f"{inst.cut_off()} need {kmin_total}-{kmax_total}, the exceptions "
            f"{fixed_groups})",
            Relaxation(option, "raise", least)
            if count < least
            else Relaxation(option, "lower", most),
        )
    elif not parts and n_model != 0:
        checks.fail(
            f"{count} {inst.group}s cannot be reached: the exceptions make {fixed_groups}",
            Relaxation(option, "set", fixed_groups),
        )
    if parts:  # the count couples the parts: solve them jointly
        parts = [
            Part(items=np.sort(np.concatenate([p.items for p in parts])), lo=lo, count=n_model)
        ]
    return parts
