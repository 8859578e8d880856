"""The generic problem both levels share, and the types of its decomposition into parts.

Items (practices, or hubs one level up) carry integer weights (patients); every item goes to one
open base among the items within ``max_km`` (and, under a within rule, of its own area: see
:mod:`mcp_geo.solvers.areas`); each group's weight lies in ``[lo, hi]``. The checks
(:mod:`._prechecks`) run before any model is built: they turn the unavoidable cases into named
exceptions (or collect them as causes when the rule is strict) and find what no plan can satisfy.

Which items may be a base is one mask, ``base_ok`` (the base rules: ``base_min_patients``,
``mcp_base_min_patients``); it lives in the pair matrix ``allowed`` (column j: base j), whose
diagonal says whether an item may be its own base. Every engine reads the bases from there: an
item whose diagonal is False is never a base, not even of itself.

Candidate base sites (``bases``, sites that are not items) are the same problem with more items:
after the items to plan come ``sites`` candidate sites (weight 0) and as many *parks* (one per
site, weight ``lo``), the only bases (``base_ok``); :func:`site_matrix` links each practice to
the sites within the limit, and each site to itself and to its own park only. A site is either
the base of one group, or it joins its park, which is otherwise a group of its own ({park} or
{park, site}, weight ``lo``: within the window). Each site is then the base of at most one
group (it is one item, covered once), a group that serves practices is based at a site, and a
plan costs what it costs without the extra items: the engines need no change (zero weights
are taken at no cost by the knapsacks), and each site has exactly two ways to be covered, so
no column repeats another with other unused sites. Outputs leave the extra items (and the
parks' groups, which serve no practice) out; a fixed count counts the parks too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo._errors import Level

from .areas import AREA_LEVELS, area_name

if TYPE_CHECKING:
    from .reference.groups import ReferenceGroups

ExceptionKind = Literal["over_ceiling", "island_under_floor", "under_floor"]


@dataclass(frozen=True)
class PlanException:
    """A group allowed outside the bounds, and why (DESIGN "Hub": unavoidable exceptions)."""

    kind: ExceptionKind
    items: tuple[str, ...]
    patients: int
    reason: str
    shortfall: int = 0  # patients below the floor (``under_floor``: a least-exception plan's)


@dataclass(frozen=True)
class Instance:
    """A capacitated p-median problem with a floor and a ceiling, items sorted by code."""

    codes: tuple[str, ...]
    weights: NDArray[np.int64]
    km: NDArray[np.float64]
    lo: int
    hi: int
    max_km: float | None
    count: int | Literal["fewest"] | None  # fixed, the fewest the rules allow, or free
    objective: Literal["weighted", "distance"]
    strict: bool
    item: str = "practice"  # the word for one item in messages
    group: str = "hub"  # the word for one group in messages
    unit: Literal["km", "minutes"] = "km"  # what ``km`` and ``max_km`` measure (the travel's)
    base_ok: NDArray[np.bool_] | None = field(default=None, repr=False)  # None: every item
    base_rule: str = ""  # the base rule in words ("a practice of at least 10,000 patients")
    sites: int = 0  # candidate base sites after the items to plan (see the module docstring)
    parks: int = 0  # and their parks, last
    areas: tuple[str | None, ...] | None = None  # each item's area under a within rule, or None
    area_level: str = ""  # the within rule's level (``sub-icb``), for messages
    reference: ReferenceGroups | None = field(default=None, repr=False)  # plan from groups
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
        if self.base_ok is not None:
            allowed[:, ~self.base_ok] = False  # not a base, not even of itself
        object.__setattr__(self, "allowed", allowed)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def level(self) -> Level:
        """The plan level this instance is (for errors: which level's rules failed)."""
        return "mcps" if self.group == "MCP" else "hubs"

    def option(self, kind: Literal["floor", "ceiling", "limit", "count", "base"]) -> str:
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
        if kind == "base":
            return "base_min_patients" if hubs else "mcp_base_min_patients"
        if kind == "limit":
            limit = "max_km" if self.unit == "km" else "max_minutes"
            return limit if hubs else f"mcp_{limit}"
        names = {"floor": "min", "ceiling": "max", "count": "s"}
        return ("hub" if hubs else "mcp") + ("" if kind == "count" else "_") + names[kind]

    @property
    def real(self) -> int:
        """How many items are to be planned (the first ones; sites and parks come after)."""
        return self.n - self.sites - self.parks

    def members(self, idx: NDArray[np.int64] | list[int]) -> tuple[str, ...]:
        """The codes of the items among ``idx`` that are to be planned (sites left out)."""
        return tuple(self.codes[i] for i in idx if i < self.real)

    def names(self, idx: NDArray[np.int64] | list[int], limit: int = 12) -> str:
        """Item codes for messages (sites left out), shortened after ``limit``."""
        codes = list(self.members(idx))
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
    """Items solved together (indices into the instance) and the fixed count, if any.

    The part's window is ``[lo, hi]``; ``hi`` None is the instance's ceiling (a fixed count can
    tighten both: :func:`count_window`). ``start``, if given, is a plan of the part that keeps
    its rules and count (the instance index of every item's base): a warm start for the engines;
    ``rough_start`` says that it keeps the rules but not much else (a plan of the count found by
    local search, :mod:`._packing`): the columns engine then looks for a plan guided by its LP
    first and keeps the start as the plan of last resort.
    """

    items: NDArray[np.int64]
    lo: int
    count: int | None = None
    exception: ExceptionKind | None = None  # every group of this part is that exception
    shortfall: bool = False  # its rules cannot all be met: a least-exception plan (non-strict)
    hi: int | None = None
    start: NDArray[np.int64] | None = None  # a known plan (each item's base): engines start from it
    rough_start: bool = False  # the start's travel is poor (see above)

    def ceiling(self, inst: Instance) -> int:
        """The most weight a group of this part may hold (``hi``, else the instance's)."""
        return inst.hi if self.hi is None else self.hi


@dataclass(frozen=True)
class Prepared:
    """The outcome of the pre-checks: groups fixed in advance, parts to optimise, exceptions."""

    fixed: tuple[tuple[int, tuple[int, ...], PlanException], ...]  # (base, members, exception)
    parts: tuple[Part, ...]
    exceptions: tuple[PlanException, ...]


def site_matrix(km: NDArray[np.float64], max_km: float | None) -> NDArray[np.float64]:
    """The travel matrix of practices, candidate sites and their parks as one instance's items.

    Parameters
    ----------
    km
        Practices (rows) x sites (columns); sites that no practice reaches within ``max_km``
        must have been left out.
    max_km
        The limit (None: none).

    Returns
    -------
    NDArray[np.float64]
        ``(n + 2m) x (n + 2m)`` (practices, sites, parks): practice -> site as given; 0 from a
        site to itself and to its park, and from a park to itself; ``inf`` elsewhere.
    """
    n, m = km.shape
    full = np.full((n + 2 * m, n + 2 * m), np.inf)
    full[:n, n : n + m] = km
    site = np.arange(n, n + m)
    full[site, site] = 0.0
    full[site, site + m] = 0.0
    full[site + m, site + m] = 0.0
    return full


def _limit_words(inst: Instance) -> str:
    return "no distance limit" if inst.max_km is None else f"{inst.max_km:g} km"
