"""The cheap feasibility checks (:func:`prepare`), run before any model is built.

They split an instance (:mod:`._instance`) into independent parts, fix the unavoidable
exceptions and name what cannot be planned: one :class:`~mcp_geo._errors.InfeasibleError` with
the items at fault and the options to relax.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mcp_geo._errors import InfeasibleError, Relaxation

from ._instance import Instance, Part, PlanException, Prepared, _limit_words
from ._window import window_refusal
from .areas import area_place

log = logging.getLogger(__name__)


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
    total = int(w[: inst.real].sum())
    if total < inst.lo:
        checks.fail(
            f"the footprint has {_fmt(total)} patients, under the {inst.group} floor of "
            f"{_fmt(inst.lo)}",
            Relaxation(inst.option("floor"), "lower", total),
        )
    alive = _over_ceiling(inst, checks)
    _no_base(inst, alive, checks)
    _islands(inst, alive, checks)
    parts, kmin_total, kmax_total = _split(inst, alive, checks)
    if isinstance(inst.count, int):  # "fewest" leaves the parts apart (see :mod:`._stages`)
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
        checks.exceptions.append(exc)
        if not inst.sites:
            checks.fixed.append((int(i), (int(i),), exc))
    alive = np.ones(inst.n, dtype=bool)
    alive[over] = False
    if inst.sites:
        _over_ceiling_sites(inst, over, alive=alive, checks=checks)
    return alive


def _over_ceiling_sites(
    inst: Instance, over: NDArray[np.int64], *, alive: NDArray[np.bool_], checks: _Checks
) -> None:
    """With candidate sites, a practice over the ceiling is based at its nearest free site."""
    if len(over) == 0:
        return
    for i, exc in zip(over, checks.exceptions[-len(over) :], strict=True):
        free = np.flatnonzero(inst.allowed[i] & alive)
        if len(free) == 0:
            checks.fail(
                f"{inst.codes[i]} is over the ceiling, a {inst.group} of its own, but no free "
                f"candidate base lies within {_limit_words(inst)} of it",
                Relaxation(inst.option("limit"), "raise"),
            )
            continue
        site = int(free[np.lexsort((free, inst.km[i, free]))[0]])
        checks.fixed.append((site, (int(i), site), exc))
        alive[site] = False


def no_base(inst: Instance) -> list[tuple[int, str]]:
    """The items with no allowed base within the limit, each with the reason in words.

    With a base rule, an item whose neighbours within the limit are all too small (and that is
    too small itself) cannot be served: the plan excludes it (or, strict, is refused). The
    reason names the nearest candidate base beyond the limit, if there is one.

    Parameters
    ----------
    inst
        The level's instance.

    Returns
    -------
    list[tuple[int, str]]
        (item index, reason) for each such item, in code order.
    """
    over = inst.weights > inst.hi  # a group on its own, its base itself (see _over_ceiling)
    if inst.sites:
        over[:] = False  # ... or the nearest site: it needs one within the limit
    stranded = np.flatnonzero(~inst.allowed.any(axis=1) & ~over)
    stranded = stranded[stranded < inst.real]
    if len(stranded) == 0:
        return []
    ok = np.ones(inst.n, dtype=bool) if inst.base_ok is None else inst.base_ok
    rule = f" ({inst.base_rule})" if inst.base_rule else ""
    out = []
    for i in stranded:
        km = np.where(ok & np.isfinite(inst.km[i]), inst.km[i], np.inf)
        head = f"no allowed base within {_limit_words(inst)}{rule}"
        if not np.isfinite(km).any():
            out.append((int(i), f"{head}: no candidate base"))
            continue
        j = int(np.argmin(km))
        size = "" if inst.sites else f" ({_fmt(int(inst.weights[j]))} patients)"
        out.append(
            (int(i), f"{head}: nearest candidate {inst.codes[j]}{size} at {km[j]:.1f} {inst.unit}")
        )
    return out


def _no_base(inst: Instance, alive: NDArray[np.bool_], checks: _Checks) -> None:
    """1b. items with no allowed base within the limit: no plan serves them (the pipeline
    excludes them before the solve; here they are named)."""
    relax = [Relaxation(inst.option("limit"), "raise")]
    if inst.base_ok is not None:
        relax.append(Relaxation(inst.option("base"), "lower"))
    for i, reason in no_base(inst):
        checks.fail(f"{inst.codes[i]}: {reason}", *relax)
        alive[i] = False


def _islands(inst: Instance, alive: NDArray[np.bool_], checks: _Checks) -> None:
    """2. items that cannot reach the floor with anyone within the limit, to a fixpoint.

    A base j can open only if the items that may join it reach the floor; an item needs such a
    base. Marks them not ``alive``.
    """
    w, lo = inst.weights, inst.lo
    while True:
        reach = inst.allowed & alive[:, None] & alive[None, :]
        openable = alive & (w @ reach >= lo) & np.diagonal(inst.allowed)
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
            exc = PlanException("island_under_floor", inst.members(comp), tot, reason)
            checks.exceptions.append(exc)
            if inst.sites:
                _island_at_site(inst, comp, exc=exc, alive=alive, checks=checks)
                alive[comp] = False
                continue
            # one undersized group, based where the members are served best within the limit
            ok = inst.allowed[np.ix_(comp, comp)].all(axis=0)
            if ok.any():
                costs = inst.cost[np.ix_(comp, comp)].sum(axis=0)
                costs[~ok] = np.inf
                base = int(comp[int(np.argmin(costs))])
                checks.fixed.append((base, tuple(int(i) for i in comp), exc))
            elif inst.allowed[np.ix_(comp, comp)].any(axis=1).all():
                checks.island_parts.append(_island_part(inst, comp, exc=exc, checks=checks))
            else:  # a base rule leaves some of them no base among the group
                checks.fail(
                    f"{reason}, and no allowed base ({inst.base_rule}) among them serves "
                    f"{inst.names([i for i in comp if not inst.allowed[i, comp].any()])}",
                    Relaxation(inst.option("base"), "lower"),
                )
            alive[comp] = False


def _island_part(
    inst: Instance, comp: NDArray[np.int64], *, exc: PlanException, checks: _Checks
) -> Part:
    """An island no single base serves whole: its least-exception plan (the least patients
    below the floor, then the least travel; :mod:`._shortfall`), or, under a fixed count or
    strict rules, its least travel with no floor, every group flagged."""
    if inst.strict or isinstance(inst.count, int):
        return Part(items=comp, lo=0, exception="island_under_floor")
    checks.exceptions.remove(exc)  # the least-exception plan names its own under_floor groups
    return Part(items=comp, lo=inst.lo, shortfall=True)


def _island_at_site(
    inst: Instance,
    comp: NDArray[np.int64],
    *,
    exc: PlanException,
    alive: NDArray[np.bool_],
    checks: _Checks,
) -> None:
    """An island of practices with candidate sites: one undersized group at the free site that
    serves them best and reaches them all."""
    sites = np.flatnonzero(alive & inst.allowed[comp].any(axis=0))
    ok = inst.allowed[np.ix_(comp, sites)].all(axis=0)
    if not ok.any():
        checks.fail(
            f"{exc.reason}, and no free candidate site lies within {_limit_words(inst)} of them "
            "all",
            Relaxation(inst.option("limit"), "raise"),
        )
        return
    costs = inst.cost[np.ix_(comp, sites)].sum(axis=0)
    costs[~ok] = np.inf
    site = int(sites[int(np.argmin(costs))])
    checks.fixed.append((site, (*(int(i) for i in comp), site), exc))
    alive[site] = False


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
        if not (comp < inst.real).any():
            parts.append(Part(items=comp, lo=lo))  # a site and its park, or a park alone
            continue
        tot = int(w[comp][comp < inst.real].sum())
        kmin = math.ceil(tot / hi)
        kmax = tot // lo if lo > 0 else len(comp)
        kmax = min(kmax, len(comp))
        bases = int(np.diagonal(inst.allowed)[comp[comp < inst.n - inst.parks]].sum())
        if kmin > bases:
            checks.fail(
                f"the {len(comp)} {inst.item}s {inst.names(comp)} ({_fmt(tot)} patients) need "
                f"at least {kmin} {inst.group}s of at most {_fmt(hi)}, but only {bases} of them "
                f"can be a base ({inst.base_rule})",
                Relaxation(inst.option("base"), "lower"),
                Relaxation(inst.option("ceiling"), "raise", math.ceil(tot / max(bases, 1))),
            )
            continue
        kmax = min(kmax, bases)
        if kmin > kmax and not (inst.strict or isinstance(inst.count, int) or inst.sites):
            # no plan meets the floor here: the least shortfall below it (:mod:`._shortfall`;
            # not yet with candidate sites, whose parks the shortfall model does not know)
            parts.append(Part(items=comp, lo=lo, shortfall=True))
            continue
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
    assert isinstance(inst.count, int)
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
        refusal = None if checks.hard else window_refusal(inst, parts[0])
        if refusal is not None:  # 5. the floor the count implies (:mod:`._window`)
            checks.fail(*refusal)
    return parts
