"""Plan a footprint: hubs, then MCPs, territories and metrics, into one :class:`~mcp_geo.plans.plan.Plan`.

This is the one place where the parts meet, in the pipeline's order: the footprint's practices
-> distances -> hub solver -> MCP solver -> territories -> metrics -> Plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mcp_geo import __version__
from mcp_geo._errors import InfeasibleError, Level, Relaxation
from mcp_geo.boundaries.distances import TravelMatrix, great_circle_matrix
from mcp_geo.boundaries.territories import (
    footprint_outline,
    merge_territories,
    practice_cells,
    territories,
)
from mcp_geo.pipeline.levels import solve_levels
from mcp_geo.plans.metrics import (
    group_spans_km,
)
from mcp_geo.plans.plan import (
    PRACTICE_COLUMNS,
    Certificates,
    Plan,
    Timings,
    plan_metrics,
)
from mcp_geo.practices.footprints import Footprint
from mcp_geo.practices.outlines import OfficialAreas, official_outline
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.joint import OBJECTIVE as JOINT_OBJECTIVE

log = logging.getLogger(__name__)

Step = Callable[[str], None]


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is made from, besides its scenario."""

    footprint: Footprint
    extract_date: date | None  # None for the user's own sites
    era: str
    areas: OfficialAreas | None = None
    travel: TravelMatrix | None = None
    notes: tuple[str, ...] = ()  # about the travel measure (road coverage, speeds, snapping)


def fingerprint(practices: pd.DataFrame, scenario: Scenario, travel_source: str) -> str:
    """sha256 of what determines a plan: the practices, the options and the travel measure."""
    digest = hashlib.sha256()
    digest.update(f"mcp-geo {__version__}\n".encode())
    digest.update(scenario.to_toml().encode())
    digest.update(travel_source.encode())
    table = pd.DataFrame(practices[["practice_code", "patients", "latitude", "longitude"]])
    digest.update(table.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    return digest.hexdigest()


def plan_footprint(
    inputs: PlanInputs,
    *,
    scenario: Scenario,
    step: Step | None = None,
) -> Plan:
    """Solve hubs (and MCPs), draw territories, measure, and return the Plan.

    ``step`` is called with a short description as each stage starts (for progress displays).

    Raises
    ------
    InfeasibleError
        When the rules cannot be met (with the explanation), or no plan was found in time.
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
    levels = solve_levels(practices, scenario=scenario, travel=travel, announce=announce)
    hub_table, mcp_table = levels.hubs, levels.mcps
    position = practices.set_index("practice_code")[["latitude", "longitude"]]
    planned = practices.merge(
        levels.assignment.rename(
            columns={"base_code": "hub_base_code", "km_to_base": "km_to_hub_base"}
        ),
        on="practice_code",
        how="left",
    )
    planned["mcp_id"] = planned["hub_id"].map(hub_table.set_index("hub_id")["mcp_id"])
    if travel.metric == "minutes":  # the solvers reported minutes: km and minutes of those paths
        planned, hub_table = _drive_minutes(planned, hub_table, mcp_table, travel)
    spans = (
        group_spans_km(planned["latitude"], planned["longitude"], planned["mcp_id"])
        if len(mcp_table)
        else pd.Series(dtype=float)
    )
    mcp_table = mcp_table.assign(span_km=mcp_table["mcp_id"].map(spans).astype(float).round(3))

    announce("territories")
    t0 = time.perf_counter()
    choice = (
        official_outline(footprint, inputs.areas, era=inputs.era)
        if inputs.areas is not None
        else None
    )
    points = gpd.GeoDataFrame(practices[["practice_code"]], geometry=practices.geometry, crs=4326)
    outline = footprint_outline(points, official=None if choice is None else choice.geometry)
    cells = practice_cells(points, outline=outline)
    patients = practices.set_index("practice_code")["patients"]
    hub_of = planned.set_index("practice_code")["hub_id"]
    hub_territories = territories(cells, hub_of, patients=patients).rename(
        columns={"group_id": "hub_id"}
    )
    if scenario.no_mcps:
        mcp_territories = hub_territories.iloc[0:0].rename(columns={"hub_id": "mcp_id"})
    else:
        mcp_territories = merge_territories(
            hub_territories.rename(columns={"hub_id": "group_id"}),
            hub_table.set_index("hub_id")["mcp_id"],
        ).rename(columns={"group_id": "mcp_id"})
    territory_seconds = time.perf_counter() - t0

    metrics = plan_metrics(planned, hub_table, mcp_table, scenario=scenario, travel=travel)
    notes = [*footprint.notes, *inputs.notes]
    if choice is not None:
        notes.append(f"outline: {choice.description}")
    return Plan(
        version=__version__,
        scenario=scenario,
        footprint_title=footprint.title,
        extract_date=inputs.extract_date,
        fingerprint=fingerprint(practices, scenario, travel.source),
        travel=travel.source,
        practices=_practice_layer(planned),
        hubs=_point_layer(hub_table, position, "base_code"),
        mcps=_point_layer(mcp_table, position, "base_code"),
        exclusions=footprint.exclusions.copy(),
        outline=outline,
        territories_hubs=hub_territories,
        territories_mcps=mcp_territories,
        metrics=metrics,
        certificates=Certificates(
            hubs=levels.hub_certificate,
            mcps=levels.mcp_certificate,
            mode=scenario.mode,
            hubs_objective=_objective_text(scenario, level="hubs"),
            mcps_objective=None if scenario.no_mcps else _objective_text(scenario, level="mcps"),
        ),
        exceptions=levels.exceptions,
        notes=tuple(notes),
        timings=Timings(
            hubs=levels.hub_seconds,
            mcps=levels.mcp_seconds,
            territories=territory_seconds,
            total=time.perf_counter() - started,
        ),
    )


def _drive_minutes(
    planned: pd.DataFrame, hubs: pd.DataFrame, mcps: pd.DataFrame, travel: TravelMatrix
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """km_to_hub_base / km_to_mcp_base as road km, and minutes_to_hub_base, for a minutes plan."""
    from mcp_geo.boundaries.roads import travel_to_base

    km, minutes = travel_to_base(travel, planned["practice_code"], planned["hub_base_code"])
    planned = planned.assign(km_to_hub_base=km, minutes_to_hub_base=minutes)
    if len(mcps) and "base_code" in mcps:
        mcp_base = hubs["mcp_id"].map(mcps.set_index("mcp_id")["base_code"])
        km, _ = travel_to_base(travel, hubs["base_code"], mcp_base)
        hubs = hubs.assign(km_to_mcp_base=km)
    return planned, hubs


def road_footprint(
    footprint: Footprint, scenario: Scenario
) -> tuple[Footprint, TravelMatrix, tuple[str, ...]]:
    """Road travel for a footprint: the practices the network reaches, the others excluded
    with their reason, the matrix (searched to the largest limit the plan uses) and notes."""
    from mcp_geo.boundaries.roads import RoadOptions, road_travel_matrix, search_limit

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


def _objective_text(scenario: Scenario, *, level: str) -> str:
    if scenario.mode == "joint" and not scenario.no_mcps:
        return f"one model for both levels ({JOINT_OBJECTIVE})"
    weighted = scenario.objective == "weighted"
    if level == "hubs":
        return (
            "sum over practices of patients x km from the practice to its hub base"
            if weighted
            else "sum over practices of km from the practice to its hub base"
        )
    return (
        "sum over hubs of the hub's patients x km from its base to its MCP's base hub"
        if weighted
        else "sum over hubs of km from the hub base to its MCP's base hub"
    )


def _practice_layer(planned: pd.DataFrame) -> gpd.GeoDataFrame:
    columns = list(PRACTICE_COLUMNS)
    if "minutes_to_hub_base" in planned:
        columns.append("minutes_to_hub_base")
    layer = pd.DataFrame(planned[columns])
    return gpd.GeoDataFrame(
        layer,
        geometry=gpd.points_from_xy(layer["longitude"], layer["latitude"], crs=4326),
    )


def _point_layer(table: pd.DataFrame, position: pd.DataFrame, code_column: str) -> gpd.GeoDataFrame:
    table = table.drop(columns=["latitude", "longitude"], errors="ignore").reset_index(drop=True)
    lat = table[code_column].map(position["latitude"]) if len(table) else pd.Series(dtype=float)
    lon = table[code_column].map(position["longitude"]) if len(table) else pd.Series(dtype=float)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat, crs=4326))


def check_scenario_against_footprint(footprint: Footprint, scenario: Scenario) -> None:
    """Cheap checks before any model: a footprint too small for one hub or one MCP.

    (An island inside a footprint may be an undersized exception; the whole footprint may not.)
    The solvers' pre-checks refuse the same for API callers; here the message names the
    footprint and the MCP floor before any hub is solved.
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
    if scenario.hubs is not None and scenario.hubs > len(footprint.practices):
        causes.append(
            f"{scenario.hubs} hubs need at least {scenario.hubs} practices; "
            f"{name} has {len(footprint.practices)}"
        )
        level = "hubs"
    if causes:
        raise InfeasibleError("; ".join(causes), causes=tuple(causes), level=level, relax=relax)


def run_scenario(
    scenario: Scenario,
    *,
    data_dir: str | Path | None = None,
    step: Step | None = None,
) -> Plan:
    """Resolve the scenario's footprint in its snapshot (or sites file) and plan it.

    ``data_dir`` holds the official files; without it the snapshot shipped with the package is
    used. A footprint ending in ``.csv`` is a file of the user's own sites.
    """
    from mcp_geo.practices import open_areas, open_data, select_footprint
    from mcp_geo.practices.sites import read_sites

    announce = step or (lambda _text: None)
    started = time.perf_counter()
    if scenario.footprint.lower().endswith(".csv"):
        footprint = read_sites(scenario.footprint)
        extract_date = None
        era = "sites"
        areas = None
    else:
        announce(f"reading the {scenario.snapshot} data")
        data = open_data(data_dir, snapshot=scenario.snapshot)
        footprint = select_footprint(data, scenario.footprint)
        extract_date = data.extract_date
        era = data.snapshot.era
        areas = open_areas(data_dir)
    travel, notes = None, ()
    if scenario.travel == "road":
        announce(f"road travel on {Path(str(scenario.roads)).name}")
        footprint, travel, notes = road_footprint(footprint, scenario)
    check_scenario_against_footprint(footprint, scenario)
    loaded = time.perf_counter() - started
    plan = plan_footprint(
        PlanInputs(
            footprint=footprint,
            extract_date=extract_date,
            era=era,
            areas=areas,
            travel=travel,
            notes=notes,
        ),
        scenario=scenario,
        step=step,
    )
    timings = dataclasses.replace(plan.timings, load=loaded, total=plan.timings.total + loaded)
    return dataclasses.replace(plan, timings=timings)
