"""Plan a footprint: hubs, then MCPs, territories and metrics, into one :class:`~mcp_geo.plans.plan.Plan`.

This is the one place where the parts meet, in the pipeline's order: the footprint's practices
-> distances -> hub solver -> MCP solver -> territories -> metrics -> Plan.

:func:`plan_from_data` is the one path from a scenario to its plan, given the practice data and
official areas already open: a single run (:func:`run_scenario`) opens them and calls it; a
national run's task (:mod:`mcp_geo.national._tasks`) calls it with the data its worker keeps.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from mcp_geo import __version__
from mcp_geo._errors import InfeasibleError, Level, Relaxation
from mcp_geo.boundaries.distances import TravelMatrix, great_circle_matrix
from mcp_geo.pipeline._alternatives import with_alternatives
from mcp_geo.pipeline._reference import resolve_reference
from mcp_geo.pipeline._tables import (
    base_sites,
    exclude_without_base,
    groups_by_code,
    plan_certificates,
    planned_tables,
    point_layer,
    practice_layer,
    with_reference,
)
from mcp_geo.pipeline._territories import choose_outline, draw_territories
from mcp_geo.pipeline.levels import Levels, solve_levels
from mcp_geo.plans.plan import Plan, Timings, plan_metrics
from mcp_geo.practices import PracticeData, open_areas, open_data, select_footprint
from mcp_geo.practices.footprints import Footprint
from mcp_geo.practices.outlines import OfficialAreas, OutlineChoice
from mcp_geo.practices.readers.bases import read_bases
from mcp_geo.practices.readers.sites import read_sites
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.areas import ERA_LEVELS
from mcp_geo.solvers.hubs import HubSolution

Step = Callable[[str], None]


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is made from, besides its scenario."""

    footprint: Footprint
    extract_date: date | None  # None for the user's own sites
    era: str
    outline: OutlineChoice | None = None  # the official outline, or why there is none
    travel: TravelMatrix | None = None
    notes: tuple[str, ...] = ()  # about the travel measure (road coverage, speeds, snapping)
    bases: pd.DataFrame | None = None  # candidate base sites (read_bases), with ``bases``
    reference: pd.DataFrame | None = None  # reference_group, reference_name by practice code


def fingerprint(
    practices: pd.DataFrame,
    *,
    scenario: Scenario,
    travel_source: str,
    bases: pd.DataFrame | None = None,
    reference: pd.Series | None = None,
) -> str:
    """sha256 of what determines a plan: the practices, the options, the travel measure, the
    candidate base sites (with ``bases``) and the reference groups (with ``reference``).

    Parameters
    ----------
    practices
        The footprint's practices: practice_code, patients, latitude and longitude, sorted by
        code.
    scenario
        The options (their scenario.toml text is hashed).
    travel_source
        How travel is measured (:attr:`~mcp_geo.boundaries.distances.TravelMatrix.source`).
    bases
        The candidate base sites read from the scenario's ``bases`` file, if any.
    reference
        Each practice's reference group (by practice code; None: no group), with a reference.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    digest.update(f"mcp-geo {__version__}\n".encode())
    digest.update(scenario.to_toml().encode())
    digest.update(travel_source.encode())
    table = pd.DataFrame(practices[["practice_code", "patients", "latitude", "longitude"]])
    digest.update(table.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    if bases is not None:
        text = bases.to_csv(index=False, float_format="%.6f", lineterminator="\n")
        digest.update(("bases\n" + text).encode())
    if reference is not None:
        groups = reference.reindex(table["practice_code"].astype(str).to_numpy())
        lines = (f"{code},{'' if group is None else group}" for code, group in groups.items())
        digest.update(("reference\n" + "\n".join(lines)).encode())
    return digest.hexdigest()


def plan_footprint(
    inputs: PlanInputs,
    *,
    scenario: Scenario,
    step: Step | None = None,
    hubs: HubSolution | None = None,
) -> Plan:
    """Solve hubs (and MCPs), draw territories, measure, and return the Plan.

    Parameters
    ----------
    inputs
        The footprint (its practices already reduced to those the travel measure reaches) and
        what the plan records about its data.
    scenario
        The rules and solver options.
    step
        Called with a short description as each stage starts (for progress displays).
    hubs
        Hubs already solved (an alternative's): the rest is planned from them.

    Returns
    -------
    Plan
        The plan (and its alternatives); ``timings.load`` is 0 (the caller adds it).

    Raises
    ------
    InfeasibleError
        When the rules cannot be met (with the explanation).
    NoPlanError
        When no plan was found within the time limit.
    """
    started = time.perf_counter()
    announce = step or (lambda _text: None)
    footprint = inputs.footprint
    practices = footprint.practices.sort_values("practice_code").reset_index(drop=True)
    travel = inputs.travel or great_circle_matrix(
        practices["practice_code"],
        practices["latitude"],
        practices["longitude"],
        circuity=scenario.circuity,
    )
    sites = base_sites(inputs.bases, practices=practices, circuity=scenario.circuity)
    footprint, practices = exclude_without_base(
        footprint, practices, scenario=scenario, travel=travel, sites=sites
    )
    groups = groups_by_code(inputs.reference, practices)
    levels = solve_levels(
        practices, scenario=scenario, travel=travel, announce=announce, sites=sites,
        reference=groups, solved=hubs,
    )  # fmt: skip
    planned, hub_table, mcp_table = planned_tables(practices, levels=levels, travel=travel)
    planned = with_reference(planned, inputs.reference)

    announce("territories")
    t0 = time.perf_counter()
    drawn = draw_territories(
        practices,
        outline=inputs.outline,
        planned=planned,
        hubs=hub_table,
        no_mcps=scenario.no_mcps,
    )
    territory_seconds = time.perf_counter() - t0

    position = practices.set_index("practice_code")[["latitude", "longitude"]]
    if inputs.bases is not None:  # hubs and MCPs are drawn at their base sites
        position = inputs.bases.set_index("base_code")[["latitude", "longitude"]]
    key = fingerprint(
        practices, scenario=scenario, travel_source=travel.source, bases=inputs.bases,
        reference=groups,
    )  # fmt: skip
    plan = Plan(
        version=__version__,
        scenario=scenario,
        footprint_title=footprint.title,
        extract_date=inputs.extract_date,
        fingerprint=key,
        travel=travel.source,
        practices=practice_layer(planned),
        hubs=point_layer(hub_table, position, "base_code"),
        mcps=point_layer(mcp_table, position, "base_code"),
        exclusions=footprint.exclusions.copy(),
        outline=drawn.outline,
        territories_hubs=drawn.hubs,
        territories_mcps=drawn.mcps,
        metrics=plan_metrics(
            planned,
            hub_table,
            mcp_table,
            scenario=scenario,
            travel=travel,
            area_levels=ERA_LEVELS.get(inputs.era, ()),
        ),
        certificates=plan_certificates(levels, scenario=scenario),
        exceptions=levels.exceptions,
        notes=(*footprint.notes, *inputs.notes, *drawn.notes),
        timings=Timings(
            hubs=levels.hub_seconds,
            mcps=levels.mcp_seconds,
            territories=territory_seconds,
            total=time.perf_counter() - started,
        ),
    )
    return _alternatives(plan, inputs, practices=practices, travel=travel, levels=levels)


def _alternatives(
    plan: Plan, inputs: PlanInputs, *, practices: pd.DataFrame, travel: TravelMatrix,
    levels: Levels,
) -> Plan:  # fmt: skip
    """The plan with its alternatives when the scenario asks for them."""
    if not plan.scenario.alternatives or levels.hub_solution is None:
        return plan
    return with_alternatives(
        plan, practices=practices, travel=travel, hubs=levels.hub_solution,
        announce=lambda _text: None,
        plan_from=lambda own, solved: plan_footprint(inputs, scenario=own, hubs=solved),
    )  # fmt: skip


def road_footprint(
    footprint: Footprint, *, scenario: Scenario
) -> tuple[Footprint, TravelMatrix, tuple[str, ...]]:
    """Road travel for a footprint, on the scenario's road network.

    Parameters
    ----------
    footprint
        The footprint's practices.
    scenario
        Its ``roads``, ``metric`` and limits (the network is searched to the largest limit the
        plan uses).

    Returns
    -------
    tuple of (Footprint, TravelMatrix, tuple of str)
        The footprint reduced to the practices the network reaches (the others excluded with
        their reason), the travel matrix, and notes for the report.

    Raises
    ------
    ImportError
        The optional extra ``roads`` is not installed.
    ValidationError
        The road file cannot be used.
    """
    from mcp_geo.boundaries.roads.matrix import RoadOptions, road_travel_matrix, search_limit

    minutes = scenario.metric == "minutes"
    limits = [scenario.max_minutes if minutes else scenario.max_km]
    if not scenario.no_mcps:
        limits.append(scenario.mcp_max_minutes if minutes else scenario.mcp_max_km)
    road = road_travel_matrix(
        footprint.practices,
        roads=scenario.roads,
        options=RoadOptions(metric=scenario.metric, limit=search_limit(*limits)),
    )
    practices = footprint.practices
    kept = practices[practices["practice_code"].isin(road.travel.codes)]
    left_out = road.unreachable.reindex(columns=footprint.exclusions.columns).fillna("")
    exclusions = pd.concat([footprint.exclusions, left_out], ignore_index=True)
    reduced = dataclasses.replace(footprint, practices=kept, exclusions=exclusions)
    notes = road.notes()
    if minutes and (scenario.max_km is not None or scenario.mcp_max_km is not None):
        notes += ("roads: the limits are in drive minutes; max_km and mcp_max_km are unused",)
    return reduced, road.travel, notes


def check_scenario_against_footprint(footprint: Footprint, *, scenario: Scenario) -> None:
    """Cheap checks before any model: a footprint too small for one hub or one MCP.

    (An island inside a footprint may be an undersized exception; the whole footprint may not.)
    The solvers' pre-checks refuse the same; here the message names the footprint and the MCP
    floor before any hub is solved.

    Parameters
    ----------
    footprint
        The footprint's practices (after road travel left out the unreachable ones).
    scenario
        The rules.

    Raises
    ------
    InfeasibleError
        The footprint is too small for one hub (or one MCP), or has fewer practices than the
        hubs asked for; ``level`` and ``relax`` say which and what to change.
    """
    total = footprint.patients
    name = footprint.name
    causes = []
    relax: list[Relaxation] = []
    level: Level = "hubs"
    if total < scenario.hub_min:
        causes.append(
            f"{name} has {total:,} patients, fewer than one hub's floor of {scenario.hub_min:,}"
        )
    elif not scenario.no_mcps and total < scenario.mcp_min:
        causes.append(
            f"{name} has {total:,} patients, fewer than one MCP's floor of {scenario.mcp_min:,}"
        )
        relax += [Relaxation("mcp_min", "lower", total), Relaxation("no_mcps", "set")]
        level = "mcps"
    if isinstance(scenario.hubs, int) and scenario.hubs > len(footprint.practices):
        causes.append(
            f"{scenario.hubs} hubs need at least {scenario.hubs} practices; "
            f"{name} has {len(footprint.practices)}"
        )
        level = "hubs"
    if causes:
        raise InfeasibleError("; ".join(causes), causes=tuple(causes), level=level, relax=relax)


def is_sites_file(footprint: str) -> bool:
    """Is this footprint a CSV of the user's own sites (rather than official practices)?

    Parameters
    ----------
    footprint
        A footprint in the footprint syntax.

    Returns
    -------
    bool
        True for a name ending in ``.csv``.
    """
    return footprint.strip().lower().endswith(".csv")


def plan_from_data(
    data: PracticeData | None,
    *,
    scenario: Scenario,
    areas: Callable[[], OfficialAreas] | None,
    step: Step | None = None,
    earlier: Plan | None = None,
) -> Plan:
    """Plan the scenario's footprint in practice data already open: the one path to a plan.

    Selects the footprint (or reads the sites file it names), measures road travel when the
    scenario asks for it, runs the cheap pre-checks, then :func:`plan_footprint`.

    Parameters
    ----------
    data
        The snapshot's practices (:func:`mcp_geo.practices.open_data`); None when the
        scenario's footprint is a sites file.
    scenario
        The footprint and every option.
    areas
        Gives the official areas, for the footprint's outline (called once the footprint is
        selected and has passed the pre-checks, so that a bad footprint is told at once); None
        for a sites file.
    step
        Called with a short description as each stage starts (for progress displays).
    earlier
        The earlier plan the scenario's ``reference`` folder holds, already in memory (read
        from the folder when None).

    Returns
    -------
    Plan
        Its ``timings.load`` is the time spent selecting the footprint, measuring travel and
        opening the areas.

    Raises
    ------
    ValidationError
        A footprint the data does not have, a sites file or road network that cannot be used,
        or a reference that cannot be (PCNs for sites without PCN codes, a folder that is not
        a plan).
    InfeasibleError
        The rules cannot be met (before any model, or proven by the solver).
    NoPlanError
        No plan was found within the time limit.
    """
    announce = step or (lambda _text: None)
    started = time.perf_counter()
    if is_sites_file(scenario.footprint):
        footprint = read_sites(scenario.footprint)
        extract_date, era = None, "sites"
    elif data is None:
        raise ValueError(f"the practice data is needed to plan {scenario.footprint!r}")
    else:
        footprint = select_footprint(data, scenario.footprint)
        extract_date, era = data.extract_date, data.snapshot.era
    travel: TravelMatrix | None = None
    notes: tuple[str, ...] = ()
    if scenario.travel == "road":
        announce(f"road travel on {Path(str(scenario.roads)).name}")
        footprint, travel, notes = road_footprint(footprint, scenario=scenario)
    check_scenario_against_footprint(footprint, scenario=scenario)
    bases = None if scenario.bases is None else read_bases(scenario.bases)
    reference = resolve_reference(footprint.practices, scenario=scenario, earlier=earlier)
    outline = None
    if areas is not None:
        outline = choose_outline(
            footprint, areas=areas(), era=era, snapshot=None if data is None else data.practices
        )
    loaded = time.perf_counter() - started
    inputs = PlanInputs(
        footprint=footprint,
        extract_date=extract_date,
        era=era,
        outline=outline,
        travel=travel,
        notes=notes,
        bases=bases,
        reference=reference,
    )
    plan = plan_footprint(inputs, scenario=scenario, step=step)
    return _with_load(plan, seconds=loaded)


def _with_load(plan: Plan, *, seconds: float) -> Plan:
    """``plan`` with ``seconds`` more of loading in its timings (and its total)."""
    timings = dataclasses.replace(
        plan.timings, load=plan.timings.load + seconds, total=plan.timings.total + seconds
    )
    return dataclasses.replace(plan, timings=timings)


def run_scenario(
    scenario: Scenario,
    *,
    data_dir: str | Path | None = None,
    step: Step | None = None,
    earlier: Plan | None = None,
) -> Plan:
    """Open the scenario's snapshot (unless it plans a sites file) and plan its footprint.

    Parameters
    ----------
    scenario
        The footprint and every option.
    data_dir
        The folder of official files; None for the snapshot shipped with the package.
    step
        Called with a short description as each stage starts (for progress displays).
    earlier
        The earlier plan the scenario's ``reference`` folder holds, already in memory (read
        from the folder when None).

    Returns
    -------
    Plan
        The plan, with the time spent reading the data in ``timings.load``.

    Raises
    ------
    ValidationError
        Unusable data, footprint, sites file or road network.
    InfeasibleError
        The rules cannot be met.
    NoPlanError
        No plan was found within the time limit.
    """
    announce = step or (lambda _text: None)
    started = time.perf_counter()
    data, areas = None, None
    if not is_sites_file(scenario.footprint):
        announce(f"reading the {scenario.snapshot} data")
        data = open_data(data_dir, snapshot=scenario.snapshot)
        areas = functools.partial(open_areas, data_dir)
    opened = time.perf_counter() - started
    plan = plan_from_data(data, scenario=scenario, areas=areas, step=step, earlier=earlier)
    return _with_load(plan, seconds=opened)
