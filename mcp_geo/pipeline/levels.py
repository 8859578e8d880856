"""Solve the two levels of a plan, staged: hubs, then MCPs of whole hubs.

The result is one :class:`Levels`: the practice -> hub assignment, the hub and MCP tables, the
certificate of each level and the named exceptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from mcp_geo._errors import (
    InfeasibleError,
    Level,
    NoPlanError,
    Relaxation,
)
from mcp_geo.boundaries.distances import SiteTravel, TravelMatrix, great_circle_matrix
from mcp_geo.plans.exceptions import (
    SOLVER_KINDS,
    ExceptionLevel,
    NamedException,
    sorted_exceptions,
    with_exception_columns,
)
from mcp_geo.scenario import Scenario
from mcp_geo.solvers import (
    Certificate,
    solve_hubs,
    solve_mcps,
)
from mcp_geo.solvers.areas import AREA_LEVELS, area_labels, area_name
from mcp_geo.solvers.hubs import HubException, HubSolution
from mcp_geo.solvers.mcps import McpSolution
from mcp_geo.solvers.rules import HubRule

MCP_TABLE_COLUMNS = ["mcp_id", "base_hub_id", "base_code", "patients", "hubs", "practices"]


@dataclass(frozen=True)
class Levels:
    """Hubs and MCPs as solved: tables in the plan's vocabulary, certificates, exceptions.

    The tables' ``exception`` (the kind) and ``shortfall`` columns say which groups the named
    ``exceptions`` are (:func:`~mcp_geo.plans.exceptions.with_exception_columns`).
    """

    assignment: pd.DataFrame  # practice_code, hub_id, base_code, km_to_base
    hubs: pd.DataFrame  # hub_id, base_code, base_name, patients, practices, exception,
    # shortfall, mcp_id, km_to_mcp_base
    mcps: pd.DataFrame  # mcp_id, base_hub_id, base_code, patients, hubs, practices, exception,
    # shortfall
    hub_certificate: Certificate
    mcp_certificate: Certificate | None
    exceptions: tuple[NamedException, ...]
    hub_seconds: float
    mcp_seconds: float
    hub_solution: HubSolution | None = None  # the hub level as solved (staged)


def require_plan(certificate: Certificate, *, level: Level, scenario: Scenario) -> None:
    """Raise when a level has no plan.

    Parameters
    ----------
    certificate
        The level's certificate.
    level
        The level it certifies.
    scenario
        The options (the time limit is named in the message).

    Raises
    ------
    NoPlanError
        None was found in time (nothing proven).
    InfeasibleError
        The solver proved that none exists.
    """
    words = _LEVEL_WORDS[level]
    if certificate.status == "no_solution":
        raise NoPlanError(
            f"no {words} plan was found within the time limit of {scenario.time_limit:g} s per "
            "level, and the solver did not prove that the rules cannot be met; give it more time",
            level=level,
            relax=(Relaxation("time_limit", "raise"),),
        )
    if certificate.status == "infeasible":
        raise InfeasibleError(
            f"the solver proved that no {words} plan meets the rules",
            causes=("infeasible",),
            level=level,
        )


_LEVEL_WORDS: dict[Level, str] = {"hubs": "hub", "mcps": "MCP"}


@dataclass(frozen=True)
class BaseSites:
    """Candidate base sites (``--bases``): the sites' table and the practices' km to them."""

    table: pd.DataFrame  # base_code, base_name, latitude, longitude
    travel: SiteTravel

    def mcp_travel(self, *, circuity: float) -> TravelMatrix:
        """Great-circle km between the sites: hub base to MCP base, one level up."""
        return great_circle_matrix(
            self.table["base_code"],
            self.table["latitude"],
            self.table["longitude"],
            circuity=circuity,
        )


def solve_levels(
    practices: pd.DataFrame,
    *,
    scenario: Scenario,
    travel: TravelMatrix,
    announce: Callable[[str], None],
    sites: BaseSites | None = None,
    reference: pd.Series | None = None,
    solved: HubSolution | None = None,
) -> Levels:
    """Hubs, then MCPs of whole hubs (staged).

    Parameters
    ----------
    practices
        The footprint's practices, sorted by code.
    scenario
        The rules and the solver options.
    travel
        Distances (or drive minutes) between the practices.
    announce
        Called with a short description as each level starts.
    sites
        Candidate base sites (``bases``): hubs are based at them, MCPs at their hubs' sites.
    reference
        With the scenario's ``reference``: each practice's reference group (by practice code;
        None: no group), whose moves the hubs minimise; the MCPs are planned as usual.
    solved
        Hubs already solved (an alternative plan's): the MCPs are planned from them.

    Returns
    -------
    Levels
        Both levels as solved.

    Raises
    ------
    InfeasibleError
        A level's rules were proven impossible.
    NoPlanError
        A level has no plan within the time limit.
    """
    announce(f"hubs for {len(practices)} practices")
    hubs = _solve_hub_level(
        practices, scenario=scenario, travel=travel, sites=sites, reference=reference,
        given=solved,
    )  # fmt: skip
    if scenario.no_mcps:
        return Levels(
            assignment=hubs.solution.assignment,
            hubs=hubs.table.assign(mcp_id=None, km_to_mcp_base=np.nan),
            mcps=with_exception_columns(pd.DataFrame(columns=MCP_TABLE_COLUMNS), (), level="mcps"),
            hub_certificate=hubs.solution.certificate,
            mcp_certificate=None,
            exceptions=hubs.exceptions,
            hub_seconds=hubs.seconds,
            mcp_seconds=0.0,
            hub_solution=hubs.solution,
        )
    announce(f"MCPs for {len(hubs.table)} hubs")
    t0 = time.perf_counter()
    base_patients = hubs.table["base_code"].map(practices.set_index("practice_code")["patients"])
    items = _with_hub_areas(
        hubs.table.assign(base_patients=base_patients),
        practices,
        hubs.solution.assignment,
        scenario=scenario,
    )
    staged = _staged_mcps(
        items,
        scenario=scenario,
        travel=travel if sites is None else sites.mcp_travel(circuity=scenario.circuity),
    )
    mcp_seconds = time.perf_counter() - t0
    hub_table = hubs.table.merge(
        staged.assignment[["hub_id", "mcp_id", "km_to_base"]].rename(
            columns={"km_to_base": "km_to_mcp_base"}
        ),
        on="hub_id",
        how="left",
    )
    mcp_exceptions = _named(
        staged.exceptions,
        level="mcps",
        table=staged.mcps,
        member_of=staged.assignment.set_index("hub_id")["mcp_id"],
        practices_of=_members(hubs.solution.assignment.set_index("practice_code")["hub_id"]),
        floor=scenario.mcp_min,
    )
    mcp_table = with_exception_columns(
        _mcp_table(staged.mcps, hub_table), mcp_exceptions, level="mcps"
    )
    return Levels(
        assignment=hubs.solution.assignment,
        hubs=hub_table,
        mcps=mcp_table,
        hub_certificate=hubs.solution.certificate,
        mcp_certificate=staged.certificate,
        exceptions=hubs.exceptions + mcp_exceptions,
        hub_seconds=hubs.seconds,
        mcp_seconds=mcp_seconds,
        hub_solution=hubs.solution,
    )


def hub_rule(scenario: Scenario) -> HubRule:
    """The hub rule as solved: with ``mcps_within`` and no ``hubs_within``, hubs lie within the
    MCPs' areas too (a hub that crossed one could be in no MCP; DESIGN.md "Area rules").

    Parameters
    ----------
    scenario
        The rules.

    Returns
    -------
    HubRule
        The scenario's hub rule, with ``hubs_within`` implied by ``mcps_within``.
    """
    implied = scenario.mcps_within if not scenario.no_mcps else None
    if scenario.hubs_within is None and implied is not None:
        return replace(scenario.hub_rule, hubs_within=implied)
    return scenario.hub_rule


def _with_hub_areas(
    hubs: pd.DataFrame, practices: pd.DataFrame, assignment: pd.DataFrame, *, scenario: Scenario
) -> pd.DataFrame:
    """The hubs with their area at ``mcps_within`` (their practices' common area), for the MCPs.

    Raises
    ------
    InfeasibleError
        A hub whose practices lie in two areas (only when the data's areas do not nest as
        :data:`~mcp_geo.solvers.areas.NESTS_IN` says).
    """
    level = scenario.mcps_within
    if level is None:
        return hubs
    column = AREA_LEVELS[level].column
    labels = pd.Series(area_labels(practices, level), index=practices["practice_code"])
    hub_of = assignment.set_index("practice_code")["hub_id"]
    areas: dict[str, str | None] = {}
    for hub_id, members in labels.groupby(hub_of.reindex(labels.index).to_numpy(), sort=True):
        found = sorted({a for a in members if a is not None})
        if len(found) + int(members.isna().any()) > 1:
            cause = (
                f"hub {hub_id} mixes "
                + ", ".join(area_name(level, a) for a in found)
                + f": its {AREA_LEVELS[scenario.hub_rule.hubs_within or level].word}s do not "
                "nest in one area"
            )
            raise InfeasibleError(cause, causes=(cause,), level="mcps")
        areas[str(hub_id)] = found[0] if found else None
    return hubs.assign(**{column: hubs["hub_id"].map(areas)})


@dataclass(frozen=True)
class _HubLevel:
    """The hubs as solved, their table with the bases' names and exception columns, the named
    exceptions and time."""

    solution: HubSolution
    table: pd.DataFrame
    exceptions: tuple[NamedException, ...]
    seconds: float


def _solve_hub_level(
    practices: pd.DataFrame,
    *,
    scenario: Scenario,
    travel: TravelMatrix,
    sites: BaseSites | None,
    reference: pd.Series | None,
    given: HubSolution | None = None,
) -> _HubLevel:
    names = practices.set_index("practice_code")["practice_name"]
    t0 = time.perf_counter()
    hubs = given or solve_hubs(
        practices,
        rule=hub_rule(scenario),
        options=scenario.solve,
        travel=travel,
        sites=None if sites is None else sites.travel,
        reference=reference,
    )
    seconds = time.perf_counter() - t0
    require_plan(hubs.certificate, level="hubs", scenario=scenario)
    if sites is not None:  # the bases are sites: named from the bases file
        names = sites.table.set_index("base_code")["base_name"]
    table = hubs.hubs.assign(base_name=hubs.hubs["base_code"].map(names))
    hub_of = hubs.assignment.set_index("practice_code")["hub_id"]
    exceptions = _named(
        hubs.exceptions,
        level="hubs",
        table=table,
        member_of=hub_of,
        practices_of=_members(hub_of),
        floor=scenario.hub_min,
    )
    table = with_exception_columns(table, exceptions, level="hubs")
    return _HubLevel(solution=hubs, table=table, exceptions=exceptions, seconds=seconds)


def _staged_mcps(hubs: pd.DataFrame, *, scenario: Scenario, travel: TravelMatrix) -> McpSolution:
    """The MCPs of the staged hubs.

    Raises
    ------
    InfeasibleError
        The MCP rules cannot be met by these hubs.
    NoPlanError
        No MCP plan within the time limit.
    """
    staged = solve_mcps(hubs, rule=scenario.mcp_rule, options=scenario.solve, travel=travel)
    require_plan(staged.certificate, level="mcps", scenario=scenario)
    return staged


def _mcp_table(mcps: pd.DataFrame, hubs: pd.DataFrame) -> pd.DataFrame:
    """MCPs with their base practice and practice counts."""
    by_hub = hubs.set_index("hub_id")
    practices = hubs.groupby("mcp_id")["practices"].sum()
    return mcps.assign(
        base_code=mcps["base_hub_id"].map(by_hub["base_code"]),
        practices=mcps["mcp_id"].map(practices).astype(int),
    )


def _members(group_of: pd.Series) -> dict[str, tuple[str, ...]]:
    """Group id -> its members' codes, sorted (``group_of``: member code -> group id)."""
    return {
        str(g): tuple(sorted(str(c) for c in codes))
        for g, codes in group_of.groupby(group_of.to_numpy()).groups.items()
    }


def _named(
    found: Sequence[HubException],
    *,
    level: ExceptionLevel,
    table: pd.DataFrame,
    member_of: pd.Series,
    practices_of: dict[str, tuple[str, ...]],
    floor: int,
) -> tuple[NamedException, ...]:
    """The groups the solver's exceptions are, each named with its kind, patients, shortfall
    (floor - patients, for a group under the floor) and members; an island that no single
    base reaches is several undersized groups, each named.

    ``member_of``: item code (practice, or hub one level up) -> group id; ``practices_of``:
    hub id -> its practices (the hubs' own, at the hub level).
    """
    patients = table.set_index("hub_id" if level == "hubs" else "mcp_id")["patients"]
    members = _members(member_of)
    named = []
    for exc in found:
        kind = SOLVER_KINDS[exc.kind]
        for group in sorted({str(member_of[c]) for c in exc.items if c in member_of.index}):
            size = int(patients[group])
            hubs = members[group] if level == "mcps" else ()
            practices = (
                tuple(sorted(p for h in hubs for p in practices_of[h]))
                if level == "mcps"
                else practices_of[group]
            )
            named.append(
                NamedException(
                    level=level,
                    group_id=group,
                    kind=kind,
                    patients=size,
                    shortfall=None if kind == "over_ceiling" else floor - size,
                    practices=practices,
                    reason=exc.reason,
                    hubs=hubs,
                )
            )
    return sorted_exceptions(named)
