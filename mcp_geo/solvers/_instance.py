"""The generic problem both levels share, its pre-checks and its decomposition into parts.

Items (practices, or hubs one level up) carry integer weights (patients); every item goes to one
open base among the items within ``max_km``; each group's weight lies in ``[lo, hi]``. The checks
here run before any model is built: they turn the unavoidable cases into named exceptions (or
collect them as causes when the rule is strict) and find what no plan can satisfy.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError, Level

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
        np.fill_diagonal(allowed, True)
        object.__setattr__(self, "allowed", allowed)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def level(self) -> Level:
        """The plan level this instance is (for errors: which level's rules failed)."""
        return "mcps" if self.group == "MCP" else "hubs"

    def names(self, idx: NDArray[np.int64] | list[int], limit: int = 12) -> str:
        """Item codes for messages, shortened after ``limit``."""
        codes = [self.codes[i] for i in idx]
        shown = ", ".join(codes[:limit])
        return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


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


def prepare(inst: Instance) -> Prepared:
    """Run the pre-checks and split the instance into independent parts.

    Raises
    ------
    InfeasibleError
        When no plan can satisfy the rules (named, with numbers), and in strict mode when an
        unavoidable exception would be needed.
    """
    w = inst.weights
    lo, hi = inst.lo, inst.hi
    causes: list[str] = []  # strict-mode causes
    hard: list[str] = []  # infeasible whatever the mode
    fixed: list[tuple[int, tuple[int, ...], PlanException]] = []
    exceptions: list[PlanException] = []
    limit = "no distance limit" if inst.max_km is None else f"{inst.max_km:g} km"

    total = int(w.sum())
    if total < lo:
        hard.append(
            f"the footprint has {_fmt(total)} patients, under the {inst.group} floor of {_fmt(lo)}"
        )

    # 1. an item over the ceiling is a group of its own
    over = np.flatnonzero(w > hi)
    for i in over:
        reason = (
            f"{inst.item} over the ceiling ({inst.codes[i]} has {_fmt(int(w[i]))} patients, "
            f"more than {_fmt(hi)})"
        )
        causes.append(reason)
        exc = PlanException("over_ceiling", (inst.codes[i],), int(w[i]), reason)
        fixed.append((int(i), (int(i),), exc))
        exceptions.append(exc)
    alive = np.ones(inst.n, dtype=bool)
    alive[over] = False
    island_parts: list[Part] = []

    # 2. items that cannot reach the floor with anyone within the limit, to a fixpoint: a base j
    #    can open only if the items that may join it reach the floor; an item needs such a base.
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
                f"cannot reach {_fmt(lo)} with anyone within {limit}"
            )
            causes.append(reason)
            exc = PlanException(
                "island_under_floor", tuple(inst.codes[i] for i in comp), tot, reason
            )
            exceptions.append(exc)
            # one undersized group, based where the members are served best within the limit
            ok = inst.allowed[np.ix_(comp, comp)].all(axis=0)
            if ok.any():
                costs = inst.cost[np.ix_(comp, comp)].sum(axis=0)
                costs[~ok] = np.inf
                base = int(comp[int(np.argmin(costs))])
                fixed.append((base, tuple(int(i) for i in comp), exc))
            else:  # no single base reaches them all: optimised with no floor, all flagged
                island_parts.append(Part(items=comp, lo=0, exception="island_under_floor"))
            alive[comp] = False

    parts: list[Part] = []
    n_fixed_groups = len(fixed) + len(island_parts)  # an island part counts as one group
    kmin_total, kmax_total = 0, 0
    for comp in _components(inst.allowed, np.flatnonzero(alive)):
        tot = int(w[comp].sum())
        kmin = math.ceil(tot / hi)
        kmax = tot // lo if lo > 0 else len(comp)
        kmax = min(kmax, len(comp))
        if kmin > kmax:
            k = kmax
            msg = (
                f"the {len(comp)} {inst.item}s {inst.names(comp)} ({_fmt(tot)} patients), cut off "
                f"from the rest by the {limit} limit, cannot be split into {inst.group}s of "
                f"{_fmt(lo)}-{_fmt(hi)}: {k} {inst.group}s hold at most {_fmt(k * hi)} and "
                f"{k + 1} need at least {_fmt((k + 1) * lo)}; lower the floor to "
                f"{_fmt(tot // (k + 1))} or raise the ceiling to {_fmt(math.ceil(tot / max(k, 1)))}"
            )
            hard.append(msg)
            continue
        kmin_total += kmin
        kmax_total += kmax
        parts.append(Part(items=comp, lo=lo))

    if inst.count is not None:
        n_model = inst.count - n_fixed_groups
        if inst.count * hi < total:
            hard.append(
                f"{inst.count} {inst.group}s of at most {_fmt(hi)} patients hold at most "
                f"{_fmt(inst.count * hi)}; the footprint has {_fmt(total)}"
            )
        elif inst.count * lo > total:
            hard.append(
                f"{inst.count} {inst.group}s of at least {_fmt(lo)} patients need "
                f"{_fmt(inst.count * lo)}; the footprint has {_fmt(total)}"
            )
        elif not kmin_total <= n_model <= kmax_total and parts:
            hard.append(
                f"{inst.count} {inst.group}s cannot be reached: the rules allow between "
                f"{kmin_total + inst.count - n_model} and {kmax_total + inst.count - n_model} "
                f"(the {len(parts)} groups of {inst.item}s cut off from each other by the "
                f"{limit} limit need {kmin_total}-{kmax_total}, the exceptions "
                f"{inst.count - n_model})"
            )
        elif not parts and n_model != 0:
            hard.append(
                f"{inst.count} {inst.group}s cannot be reached: the exceptions make "
                f"{inst.count - n_model}"
            )
        if parts:  # the count couples the parts: solve them jointly
            parts = [
                Part(items=np.sort(np.concatenate([p.items for p in parts])), lo=lo, count=n_model)
            ]

    if hard or (inst.strict and causes):
        problems = hard + (causes if inst.strict else [])
        raise InfeasibleError(
            "no plan satisfies the rules: " + "; ".join(problems), causes=problems, level=inst.level
        )
    log.debug("%d parts, %d fixed groups", len(parts), len(fixed))
    return Prepared(
        fixed=tuple(fixed), parts=tuple(parts + island_parts), exceptions=tuple(exceptions)
    )
