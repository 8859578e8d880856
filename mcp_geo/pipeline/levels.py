"""Solve the two levels of a plan, staged (hubs, then MCPs) or joint (one model for both).

The result is one :class:`Levels`: the practice -> hub assignment, the hub and MCP tables, the
certificate of each level and the named exceptions, whatever the mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcp_geo._errors import (
    InfeasibleError,
    Level,
    NoPlanError,
    Problem,
    Relaxation,
    ValidationError,
)
from mcp_geo.boundaries.distances import SiteTravel, TravelMatrix, great_circle_matrix
from mcp_geo.scenario import Scenario
from mcp_geo.solvers import (
    Certificate,
    solve_hubs,
    solve_mcps,
)
from mcp_geo.solvers.hubs import HubException, HubSolution
from mcp_geo.solvers.joint import solve_joint
from mcp_geo.solvers.mcps import McpSolution

MCP_TABLE_COLUMNS = ["mcp_id", "base_hub_id", "base_code", "patients", "hubs", "practices"]


@dataclass(frozen=True)
class Levels:
    """Hubs and MCPs as solved: tables in the plan's vocabulary, certificates, exceptions."""

    assignment: pd.DataFrame  # practice_code, hub_id, base_code, km_to_base
    hubs: (
        pd.DataFrame
    )  # hub_id, base_code, base_name, patients, practices, exception, mcp_id, km_to_mcp_base
    mcps: pd.DataFrame  # mcp_id, base_hub_id, base_code, patients, hubs, practices, exception
    hub_certificate: Certificate
    mcp_certificate: Certificate | None
    exceptions: tuple[str, ...]
    hub_seconds: float
    mcp_seconds: float


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


_LEVEL_WORDS: dict[Level, str] = {"hubs": "hub", "mcps": "MCP", "joint": "joint hub and MCP"}


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
) -> Levels:
    """Hubs, then MCPs (staged); in joint mode the staged plan warm-starts the joint model.

    Parameters
    ----------
    practices
        The footprint's practices, sorted by code.
    scenario
        The rules, the mode and the solver options.
    travel
        Distances (or drive minutes) between the practices.
    announce
        Called with a short description as each level starts.
    sites
        Candidate base sites (``bases``): hubs are based at them, MCPs at their hubs' sites.

    Returns
    -------
    Levels
        Both levels as solved.

    Raises
    ------
    InfeasibleError
        A level's rules were proven impossible (in staged mode, MCP rules the staged hubs
        cannot meet say that joint mode may).
    NoPlanError
        A level has no plan within the time limit.
    """
    announce(f"hubs for {len(practices)} practices")
    hubs = _solve_hub_level(practices, scenario=scenario, travel=travel, sites=sites)
    if scenario.no_mcps:
        return Levels(
            assignment=hubs.solution.assignment,
            hubs=hubs.table.assign(mcp_id=None, km_to_mcp_base=np.nan),
            mcps=pd.DataFrame(columns=MCP_TABLE_COLUMNS),
            hub_certificate=hubs.solution.certificate,
            mcp_certificate=None,
            exceptions=hubs.exceptions,
            hub_seconds=hubs.seconds,
            mcp_seconds=0.0,
        )
    announce(f"MCPs for {len(hubs.table)} hubs")
    t0 = time.perf_counter()
    base_patients = hubs.table["base_code"].map(practices.set_index("practice_code")["patients"])
    staged = _staged_mcps(
        hubs.table.assign(base_patients=base_patients),
        scenario=scenario,
        travel=travel if sites is None else sites.mcp_travel(circuity=scenario.circuity),
    )
    mcp_seconds = time.perf_counter() - t0
    if scenario.mode == "joint":
        announce("hubs and MCPs in one model")
        return _joint_levels(
            practices, scenario=scenario, travel=travel, hubs=hubs, staged=staged,
            mcp_seconds=mcp_seconds,
        )  # fmt: skip
    assert staged is not None  # staged mode raised above when it has no MCP plan
    hub_table = hubs.table.merge(
        staged.assignment[["hub_id", "mcp_id", "km_to_base"]].rename(
            columns={"km_to_base": "km_to_mcp_base"}
        ),
        on="hub_id",
        how="left",
    )
    mcp_table = _mcp_table(staged.mcps, hub_table)
    mcp_exceptions = tuple(
        _describe(e, mcp_table.set_index("base_hub_id")["mcp_id"]) for e in staged.exceptions
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
    )


@dataclass(frozen=True)
class _HubLevel:
    """The hubs as solved, their table with the bases' names, the named exceptions and time."""

    solution: HubSolution
    table: pd.DataFrame
    exceptions: tuple[str, ...]
    seconds: float


def _solve_hub_level(
    practices: pd.DataFrame, *, scenario: Scenario, travel: TravelMatrix, sites: BaseSites | None
) -> _HubLevel:
    names = practices.set_index("practice_code")["practice_name"]
    t0 = time.perf_counter()
    hubs = solve_hubs(
        practices,
        rule=scenario.hub_rule,
        options=scenario.solve,
        travel=travel,
        sites=None if sites is None else sites.travel,
    )
    seconds = time.perf_counter() - t0
    require_plan(hubs.certificate, level="hubs", scenario=scenario)
    group_of = hubs.hubs.set_index("base_code")["hub_id"]
    if sites is not None:  # the bases are sites: named from the bases file
        names = sites.table.set_index("base_code")["base_name"]
        group_of = hubs.assignment.set_index("practice_code")["hub_id"]
    table = hubs.hubs.assign(base_name=hubs.hubs["base_code"].map(names))
    exceptions = tuple(_describe(e, group_of) for e in hubs.exceptions)
    return _HubLevel(solution=hubs, table=table, exceptions=exceptions, seconds=seconds)


def _staged_mcps(
    hubs: pd.DataFrame, *, scenario: Scenario, travel: TravelMatrix
) -> McpSolution | None:
    """The MCPs of the staged hubs; None in joint mode when they have none (joint mode forms
    hubs that can nest into MCPs)."""
    try:
        staged = solve_mcps(hubs, rule=scenario.mcp_rule, options=scenario.solve, travel=travel)
        require_plan(staged.certificate, level="mcps", scenario=scenario)
    except InfeasibleError as exc:
        if scenario.mode != "joint" and scenario.mcp_base_min_patients is not None:
            raise  # joint mode has no base rules: nothing to point to
        if scenario.mode != "joint":
            raise InfeasibleError(
                f"{exc.diagnosis} (staged mode formed the hubs first; joint mode forms hubs "
                "that can nest into MCPs)",
                causes=exc.causes,
                level=exc.level or "mcps",
                relax=(*exc.relax, Relaxation("mode", "set", "joint")),
            ) from exc
        return None  # staged hubs that cannot nest are what joint mode is for
    except NoPlanError:
        if scenario.mode != "joint":
            raise
        return None  # the joint model may still find one
    return staged


def _joint_needs_feasible(
    scenario: Scenario, *, hubs: _HubLevel, staged: McpSolution | None
) -> None:
    """Joint mode has no objective stages: it needs rules every part can meet, and a count
    that is fixed or free; staged mode plans the rest (least-exception plans, ``fewest``)."""
    under = [e for e in hubs.solution.exceptions if e.kind == "under_floor"]
    under += [e for e in (staged.exceptions if staged else ()) if e.kind == "under_floor"]
    if under:
        cause = (
            "joint mode needs a footprint where every hub and MCP rule can be met, and here "
            f"{len(under)} group(s) cannot reach the floor ({under[0].reason}); staged mode "
            "plans the least-exception plan"
        )
        raise InfeasibleError(
            cause, causes=(cause,), level="joint", relax=(Relaxation("mode", "set", "staged"),)
        )
    if "fewest" in (scenario.hubs, scenario.mcps):
        raise ValidationError(
            [Problem("'fewest' needs staged mode (mode 'staged'); joint mode takes a fixed "
                     "count or none", key="mode", value="joint")]
        )  # fmt: skip


def _joint_levels(
    practices: pd.DataFrame,
    *,
    scenario: Scenario,
    travel: TravelMatrix,
    hubs: _HubLevel,
    staged: McpSolution | None,
    mcp_seconds: float,
) -> Levels:
    """Both levels in one model, warm-started by the staged plan when it has no exceptions."""
    _joint_needs_feasible(scenario, hubs=hubs, staged=staged)
    names = practices.set_index("practice_code")["practice_name"]
    t0 = time.perf_counter()
    start = None
    if staged is not None and not hubs.solution.exceptions and not staged.exceptions:
        start = _staged_start(hubs.solution.assignment, hubs.table, staged)
    joint = solve_joint(
        practices,
        hub_rule=scenario.hub_rule,
        mcp_rule=scenario.mcp_rule,
        options=scenario.solve,
        travel=travel,
        start=start,
    )
    require_plan(joint.certificate, level="joint", scenario=scenario)
    hubs_joint = joint.hubs.assign(base_name=joint.hubs["base_code"].map(names))
    return Levels(
        assignment=joint.assignment,
        hubs=hubs_joint,
        mcps=_mcp_table(joint.mcps, hubs_joint),
        hub_certificate=joint.certificate,
        mcp_certificate=joint.certificate,
        exceptions=tuple(
            f"{h.hub_id} ({h.base_code}; {h.patients:,} patients): {h.exception}"
            for h in hubs_joint.itertuples()
            if h.exception
        ),
        hub_seconds=hubs.seconds,
        mcp_seconds=mcp_seconds + time.perf_counter() - t0,
    )


def _mcp_table(mcps: pd.DataFrame, hubs: pd.DataFrame) -> pd.DataFrame:
    """MCPs with their base practice and practice counts."""
    by_hub = hubs.set_index("hub_id")
    practices = hubs.groupby("mcp_id")["practices"].sum()
    return mcps.assign(
        base_code=mcps["base_hub_id"].map(by_hub["base_code"]),
        practices=mcps["mcp_id"].map(practices).astype(int),
    )


def _staged_start(
    assignment: pd.DataFrame, hubs: pd.DataFrame, staged: McpSolution
) -> tuple[dict[str, str], dict[str, str]]:
    base_of_hub = hubs.set_index("hub_id")["base_code"]
    hub_base = dict(zip(assignment["practice_code"], assignment["base_code"], strict=True))
    mcp_base = {
        base_of_hub[h]: base_of_hub[m]
        for h, m in zip(staged.assignment["hub_id"], staged.assignment["base_hub_id"], strict=True)
    }
    return hub_base, mcp_base


def _describe(exception: HubException, group_of_base: pd.Series) -> str:
    """``H07 (Y01929; 52,556 patients): why``: the group the exception is, its members, why."""
    members = ", ".join(exception.items)
    group = next((group_of_base[c] for c in exception.items if c in group_of_base.index), "?")
    return f"{group} ({members}; {exception.patients:,} patients): {exception.reason}"
