"""Rules of a hub or MCP plan and options of a solve, as frozen, validated dataclasses.

Each option is defined here once, with its public name (the CLI's with underscores: ``hub_min``,
``max_km``, ``time_limit``), its default and its check. :class:`~mcp_geo.scenario.Scenario` is
composed of these objects, so a scenario file, the command line and the Python API share one
validation; a problem carries the option's name as data (``Problem.key``), and the scenario
names it as its reader typed it (the keyword, ``--hub-min``, or the file and key).

Examples
--------
>>> HubRule(hub_min=25_000).hub_max
50000
>>> try:
...     HubRule(hub_min=-1)
... except ValueError as error:
...     print(error)
invalid hub rule: keyword 'hub_min': must be a whole number of patients >= 0 (got -1)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from mcp_geo._errors import (
    Check,
    check_choice,
    check_count,
    check_flag,
    check_group_count,
    check_limit,
    check_patients,
    is_number,
    is_whole,
    raise_problems,
)
from mcp_geo.solvers.areas import LEVEL_NAMES

Objective = Literal["weighted", "distance"]
EngineName = Literal["auto", "compact", "columns"]
SolverName = Literal["highs", "cbc"]
Minimise = Literal["patients", "practices"]
Count = int | Literal["fewest"] | None
"""A hub (MCP) count: fixed (N), ``"fewest"`` the rules allow, or None (the least travel decides)."""

OBJECTIVES: tuple[Objective, ...] = ("weighted", "distance")
ENGINES: tuple[EngineName, ...] = ("auto", "compact", "columns")
SOLVERS: tuple[SolverName, ...] = ("highs", "cbc")
MINIMISE: tuple[Minimise, ...] = ("patients", "practices")


def option_names(cls: type) -> tuple[str, ...]:
    """The public option names of a rule or options class, in order.

    Returns
    -------
    tuple[str, ...]
        The field names, which are the options' public names.
    """
    return tuple(f.name for f in fields(cls))


def _check_base_min(bad: list[Check], key: str, value: object) -> None:
    if value is not None and (not is_whole(value) or value < 1):  # type: ignore[operator]
        bad.append((key, "must be a whole number of patients >= 1, or left out"))


def _check_reference(bad: list[Check], rule: HubRule) -> None:
    """The reference options: a reference that is a word or a path; the rest need one."""
    ref = rule.reference
    if ref is not None and (not isinstance(ref, str) or not ref.strip()):
        bad.append(("reference", "must be 'pcn' or the folder of an earlier plan, or left out"))
    check_choice(bad, "minimise", rule.minimise, choices=MINIMISE)
    check_flag(bad, "whole", rule.whole)
    slack = rule.travel_slack
    if slack is not None and (not is_number(slack) or not 0 <= slack < 1):
        bad.append(("travel_slack", "must be a fraction in [0, 1) (0.01 = 1%), or left out"))
    asked = is_whole(rule.alternatives) and rule.alternatives > 0
    if ref is None and rule.whole is True:
        bad.append(("whole", "needs a reference (reference='pcn' or an earlier plan's folder)"))
    if ref is None and slack is not None and not asked:
        bad.append(
            (
                "travel_slack",
                "needs a reference (reference='pcn' or an earlier plan's folder) or alternatives",
            )
        )


def _check_alternatives(bad: list[Check], rule: HubRule) -> None:
    """``alternatives``: a whole number >= 0, not with a reference or candidate sites."""
    k = rule.alternatives
    if not is_whole(k) or k < 0:
        bad.append(("alternatives", "must be a whole number of plans >= 0 (0: none)"))
        return
    if k > 0 and rule.reference is not None:
        bad.append(
            (
                "alternatives",
                "cannot be combined with reference (a plan from a reference already chooses "
                "among the near-best plans: its travel_slack)",
            )
        )
    if k > 0 and rule.bases is not None:
        bad.append(("alternatives", "cannot be combined with bases (candidate sites) yet"))


@dataclass(frozen=True)
class HubRule:
    """What a hub plan must satisfy.

    Parameters
    ----------
    hub_min, hub_max
        The window of a hub's registered patients (a floor of 0 is valid).
    hubs
        A fixed number of hubs; ``"fewest"``: the fewest hubs the rules allow, then the least
        travel (objective stages ``hubs`` -> ``travel``); None: the least travel decides.
    max_km
        Largest distance in km from a practice to its hub's base; None for no limit.
    max_minutes
        The same limit in drive minutes, used when travel is measured in minutes.
    objective
        ``"weighted"``: minimise the sum of patients x km to the base; ``"distance"``: the sum of km.
    strict
        If True, unavoidable exceptions (a practice over the ceiling, an isolated group under the
        floor) raise :class:`~mcp_geo._errors.InfeasibleError` instead of being named exceptions,
        and so does a practice with no allowed base within the limit (otherwise excluded).
    base_min_patients
        A hub's base must be a practice of at least this many patients (None: any practice);
        at most ``hub_max``, since a hub's base practice is one of its practices.
    bases
        A file of candidate base sites (CSV or GeoPackage; see
        :func:`mcp_geo.practices.readers.bases.read_bases`): each hub's base is one of them,
        each site the base of at most one hub. Not combined with ``base_min_patients``.
    reference
        Plan from a reference grouping (DESIGN "Reference grouping and moves"): ``"pcn"`` (today's
        Primary Care Networks) or the folder of an earlier plan (its hubs); None: from scratch.
        The hub level then minimises the moves out of the reference groups before the travel
        (objective stages ``moves`` -> ``travel``).
    minimise
        What a move counts with a reference: ``"patients"`` (a moved practice's list size) or
        ``"practices"`` (one each).
    whole
        With a reference, first split as few reference groups as the rules allow (stage
        ``split``, before ``moves``): hubs are unions of whole groups wherever they can be.
    travel_slack
        With a reference, only plans whose travel is within this fraction of the least travel
        the rules allow (0: the equally good plans), and among them the fewest moves (stages
        ``travel`` -> ``moves`` -> ``travel``); None: the moves come first. With
        ``alternatives``, the bound on their travel (None: the best plan's gap).
    hubs_within
        An official level (``sub-icb``, ``icb``, ``ccg19``; ``ccg``, ``stp`` on 2021-01): no hub
        mixes practices of two of its areas (:mod:`mcp_geo.solvers.areas`); None for no such rule.
    alternatives
        K: find up to K other plans whose travel is within ``travel_slack`` (None: the best
        plan's gap) of the best plan's, each moving as much as it can of the best plan and of
        the alternatives before it (:mod:`mcp_geo.solvers.alternatives`); 0: none.
    """

    hub_min: int = 30_000
    hub_max: int = 50_000
    hubs: Count = None
    max_km: float | None = 15.0
    max_minutes: float | None = 20.0
    objective: Objective = "weighted"
    strict: bool = False
    hubs_within: str | None = None
    base_min_patients: int | None = None
    bases: str | None = None
    reference: str | None = None
    minimise: Minimise = "patients"
    whole: bool = False
    travel_slack: float | None = None
    alternatives: int = 0

    def __post_init__(self) -> None:
        raise_problems(self, self.problems(), context="invalid hub rule")

    def problems(self) -> list[Check]:
        """Every problem of these values, as (option, what is allowed).

        Returns
        -------
        list[Check]
            Every problem found (empty when the values are valid).
        """
        bad: list[Check] = []
        check_patients(bad, "hub_min", self.hub_min)
        check_patients(bad, "hub_max", self.hub_max)
        if (
            is_whole(self.hub_min)
            and is_whole(self.hub_max)
            and self.hub_max < max(self.hub_min, 1)
        ):
            bad.append(("hub_max", f"must be >= hub_min ({self.hub_min}) and >= 1"))
        check_group_count(bad, "hubs", self.hubs)
        check_limit(bad, "max_km", self.max_km, unit="a distance in km")
        check_limit(bad, "max_minutes", self.max_minutes, unit="minutes")
        check_choice(bad, "objective", self.objective, choices=OBJECTIVES)
        check_flag(bad, "strict", self.strict)
        _check_level(bad, "hubs_within", self.hubs_within)
        _check_base_min(bad, "base_min_patients", self.base_min_patients)
        if (
            is_whole(self.base_min_patients)
            and is_whole(self.hub_max)
            and self.base_min_patients > self.hub_max  # type: ignore[operator]
        ):
            bad.append(
                (
                    "base_min_patients",
                    f"must be <= hub_max ({self.hub_max}): a hub's base is one of its practices",
                )
            )
        if self.bases is not None and (not isinstance(self.bases, str) or not self.bases.strip()):
            bad.append(("bases", "must be the path of a CSV or GeoPackage of sites, or left out"))
        elif self.bases is not None and self.base_min_patients is not None:
            bad.append(("bases", "cannot be combined with base_min_patients"))
        _check_reference(bad, self)
        _check_alternatives(bad, self)
        return bad

    def limit(self, metric: str) -> float | None:
        """The distance limit in the travel's unit (``km`` or ``minutes``).

        Parameters
        ----------
        metric
            ``"km"`` or ``"minutes"``: the unit the travel is measured in.

        Returns
        -------
        float | None
            The limit, or None for no limit.
        """
        return self.max_minutes if metric == "minutes" else self.max_km


@dataclass(frozen=True)
class McpRule:
    """What an MCP plan (groups of whole hubs) must satisfy; see :class:`HubRule`.

    Parameters
    ----------
    mcp_min, mcp_max
        The window of an MCP's patients; ``mcp_max`` None for no ceiling.
    mcps
        A fixed number of MCPs, ``"fewest"`` or None (as ``hubs`` of :class:`HubRule`).
    mcp_max_km, mcp_max_minutes
        Largest distance from a hub's base to its MCP's base hub (km, drive minutes); None for
        no limit.
    objective, strict
        As for :class:`HubRule`.
    mcps_within
        An official level: no MCP mixes hubs of two of its areas (a hub's area is its practices'
        common area); hubs are then held within those areas too, since a hub that crossed one
        could be in no MCP. None for no such rule.
    mcp_base_min_patients
        An MCP's base must be a hub whose base practice has at least this many patients (None:
        any hub).
    """

    mcp_min: int = 100_000
    mcp_max: int | None = None
    mcps: Count = None
    mcp_max_km: float | None = None
    mcp_max_minutes: float | None = None
    objective: Objective = "weighted"
    strict: bool = False
    mcps_within: str | None = None
    mcp_base_min_patients: int | None = None

    def __post_init__(self) -> None:
        raise_problems(self, self.problems(), context="invalid MCP rule")

    def problems(self) -> list[Check]:
        """Every problem of these values, as (option, what is allowed).

        Returns
        -------
        list[Check]
            Every problem found (empty when the values are valid).
        """
        bad: list[Check] = []
        check_patients(bad, "mcp_min", self.mcp_min)
        check_count(bad, "mcp_max", self.mcp_max)
        if is_whole(self.mcp_max) and is_whole(self.mcp_min) and self.mcp_max < self.mcp_min:  # type: ignore[operator]
            bad.append(("mcp_max", f"must be >= mcp_min ({self.mcp_min})"))
        check_group_count(bad, "mcps", self.mcps)
        check_limit(bad, "mcp_max_km", self.mcp_max_km, unit="a distance in km")
        check_limit(bad, "mcp_max_minutes", self.mcp_max_minutes, unit="minutes")
        check_choice(bad, "objective", self.objective, choices=OBJECTIVES)
        check_flag(bad, "strict", self.strict)
        _check_level(bad, "mcps_within", self.mcps_within)
        _check_base_min(bad, "mcp_base_min_patients", self.mcp_base_min_patients)
        return bad

    def limit(self, metric: str) -> float | None:
        """The distance limit in the travel's unit (``km`` or ``minutes``).

        Parameters
        ----------
        metric
            ``"km"`` or ``"minutes"``: the unit the travel is measured in.

        Returns
        -------
        float | None
            The limit, or None for no limit.
        """
        return self.mcp_max_minutes if metric == "minutes" else self.mcp_max_km


def _check_level(bad: list[Check], key: str, value: object) -> None:
    """A within rule names an official level, or is None (which levels a snapshot holds is the
    scenario's check: :class:`~mcp_geo.scenario.Scenario`)."""
    if value is not None:
        check_choice(bad, key, value, choices=LEVEL_NAMES)


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    Parameters
    ----------
    engine
        ``"compact"`` (the textbook model), ``"columns"`` (column generation with reduced-cost
        fixing) or ``"auto"`` (chosen per independent part; the certificate names the one used).
    solver
        The MIP solver behind PuLP: ``"highs"`` (default) or ``"cbc"``.
    gap
        Relative gap (a fraction) at which a plan counts as proven optimal.
    time_limit
        Wall-clock limit in seconds for one level, all parts and phases included.
    threads
        Solver threads; None uses every core.
    seed
        Random seed handed to the solvers (ties are also broken by practice code).
    """

    engine: EngineName = "auto"
    solver: SolverName = "highs"
    gap: float = 1e-4
    time_limit: float = 600.0
    threads: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        raise_problems(self, self.problems(), context="invalid solve options")

    def problems(self) -> list[Check]:
        """Every problem of these values, as (option, what is allowed).

        Returns
        -------
        list[Check]
            Every problem found (empty when the values are valid).
        """
        bad: list[Check] = []
        check_choice(bad, "engine", self.engine, choices=ENGINES)
        check_choice(bad, "solver", self.solver, choices=SOLVERS)
        if not is_number(self.gap) or not 0 <= self.gap < 1:
            bad.append(("gap", "must be a fraction in [0, 1) (0.0001 = 0.01%)"))
        if not is_number(self.time_limit) or self.time_limit <= 0:
            bad.append(("time_limit", "must be seconds > 0"))
        check_count(bad, "threads", self.threads)
        if not is_whole(self.seed) or self.seed < 0:
            bad.append(("seed", "must be a whole number >= 0"))
        return bad
