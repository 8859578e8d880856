"""The tables around the solve: the practices and base sites it is given, and the plan's tables.

Before the solve, :func:`base_sites` measures the candidate base sites,
:func:`exclude_without_base` leaves out the practices no allowed base serves and
:func:`groups_by_code` gives the solvers each practice's reference group; after it,
:func:`planned_tables` gives each practice its hub, MCP and travel to the base (with
:func:`with_reference`, its reference group), :func:`practice_layer` and :func:`point_layer` make
the plan's map layers, and :func:`plan_certificates` each level's certificate.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mcp_geo._errors import InfeasibleError, Relaxation
from mcp_geo.boundaries.distances import TravelMatrix, great_circle_to_sites
from mcp_geo.pipeline._reference import REFERENCE_COLUMNS
from mcp_geo.pipeline.levels import BaseSites, Levels
from mcp_geo.plans.metrics import group_spans_km
from mcp_geo.plans.plan import PRACTICE_COLUMNS, Certificates
from mcp_geo.practices.footprints import Footprint
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.hubs import practices_without_base

log = logging.getLogger(__name__)


def base_sites(
    bases: pd.DataFrame | None, *, practices: pd.DataFrame, circuity: float
) -> BaseSites | None:
    """The candidate base sites and the great-circle km to them (None without ``bases``)."""
    if bases is None:
        return None
    return BaseSites(
        table=bases,
        travel=great_circle_to_sites(
            (practices["practice_code"], practices["latitude"], practices["longitude"]),
            (bases["base_code"], bases["latitude"], bases["longitude"]),
            circuity=circuity,
        ),
    )


def exclude_without_base(
    footprint: Footprint,
    practices: pd.DataFrame,
    *,
    scenario: Scenario,
    travel: TravelMatrix,
    sites: BaseSites | None,
) -> tuple[Footprint, pd.DataFrame]:
    """The footprint without the practices no allowed base serves (base rules), which join its
    exclusions with the reason; strict, they stay, and the hub solver refuses the plan."""
    if scenario.strict:
        return footprint, practices
    left_out = practices_without_base(
        practices,
        rule=scenario.hub_rule,
        travel=travel,
        sites=None if sites is None else sites.travel,
    )
    if left_out.empty:
        return footprint, practices
    if sites is None:
        rule = f"base_min_patients {scenario.base_min_patients}"
        relax = Relaxation("base_min_patients", "lower")
    else:
        rule, relax = f"bases {Path(str(scenario.bases)).name}", Relaxation("max_km", "raise")
    if len(left_out) == len(practices):
        raise InfeasibleError(
            f"no practice of {footprint.name} has an allowed base within the limit: "
            + str(left_out["reason"].iloc[0]),
            causes=tuple(left_out["reason"]),
            level="hubs",
            relax=(relax,),
        )
    log.info("%d practices have no allowed base: excluded", len(left_out))
    given = left_out.assign(source=rule)
    rows = pd.DataFrame({c: given.get(c, "") for c in footprint.exclusions.columns}, dtype=str)
    exclusions = pd.concat([footprint.exclusions, rows], ignore_index=True)
    gone = set(left_out["practice_code"])
    practices = practices[~practices["practice_code"].isin(gone)].reset_index(drop=True)
    kept = footprint.practices[~footprint.practices["practice_code"].isin(gone)]
    return dataclasses.replace(footprint, practices=kept, exclusions=exclusions), practices


def groups_by_code(reference: pd.DataFrame | None, practices: pd.DataFrame) -> pd.Series | None:
    """Each practice's reference group by practice code (None: no group); None without one."""
    if reference is None:
        return None
    codes = practices["practice_code"].astype(str)
    return pd.Series(
        codes.map(reference["reference_group"]).to_numpy(), index=codes.to_numpy(), dtype=object
    )


def with_reference(planned: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """The planned practices with their reference group and its name (with a reference)."""
    if reference is None:
        return planned
    codes = planned["practice_code"].astype(str)
    return planned.assign(**{c: codes.map(reference[c]).to_numpy() for c in REFERENCE_COLUMNS})


def planned_tables(
    practices: pd.DataFrame, *, levels: Levels, travel: TravelMatrix
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The practices with their hub, MCP and travel to the base; the hub and MCP tables."""
    hub_table, mcp_table = levels.hubs, levels.mcps
    planned = practices.merge(
        levels.assignment.rename(
            columns={"base_code": "hub_base_code", "km_to_base": "km_to_hub_base"}
        ),
        on="practice_code",
        how="left",
    )
    planned["mcp_id"] = planned["hub_id"].map(hub_table.set_index("hub_id")["mcp_id"])
    if travel.metric == "minutes":  # the solvers reported minutes: km and minutes of those paths
        planned, hub_table = _drive_minutes(planned, hubs=hub_table, mcps=mcp_table, travel=travel)
    spans = (
        group_spans_km(planned["latitude"], planned["longitude"], planned["mcp_id"])
        if len(mcp_table)
        else pd.Series(dtype=float)
    )
    mcp_table = mcp_table.assign(span_km=mcp_table["mcp_id"].map(spans).astype(float).round(3))
    return planned, hub_table, mcp_table


def _drive_minutes(
    planned: pd.DataFrame, *, hubs: pd.DataFrame, mcps: pd.DataFrame, travel: TravelMatrix
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """km_to_hub_base / km_to_mcp_base as road km, and minutes_to_hub_base, for a minutes plan."""
    from mcp_geo.boundaries.roads.matrix import travel_to_base

    km, minutes = travel_to_base(travel, planned["practice_code"], planned["hub_base_code"])
    planned = planned.assign(km_to_hub_base=km, minutes_to_hub_base=minutes)
    if len(mcps) and "base_code" in mcps:
        mcp_base = hubs["mcp_id"].map(mcps.set_index("mcp_id")["base_code"])
        km, _ = travel_to_base(travel, hubs["base_code"], mcp_base)
        hubs = hubs.assign(km_to_mcp_base=km)
    return planned, hubs


def plan_certificates(levels: Levels, *, scenario: Scenario) -> Certificates:
    """Each level's certificate, with what it optimises in words."""
    return Certificates(
        hubs=levels.hub_certificate,
        mcps=levels.mcp_certificate,
        mode=scenario.mode,
        hubs_objective=_objective_text(scenario, level="hubs"),
        mcps_objective=None if scenario.no_mcps else _objective_text(scenario, level="mcps"),
    )


def _objective_text(scenario: Scenario, *, level: str) -> str:
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


def practice_layer(planned: pd.DataFrame) -> gpd.GeoDataFrame:
    """The plan's practices layer: the planned practices as points."""
    columns = list(PRACTICE_COLUMNS)
    if "minutes_to_hub_base" in planned:
        columns.append("minutes_to_hub_base")
    columns += [c for c in REFERENCE_COLUMNS if c in planned]
    layer = pd.DataFrame(planned[columns])
    return gpd.GeoDataFrame(
        layer,
        geometry=gpd.points_from_xy(layer["longitude"], layer["latitude"], crs=4326),
    )


def point_layer(table: pd.DataFrame, position: pd.DataFrame, code_column: str) -> gpd.GeoDataFrame:
    """A hub or MCP table as points, placed by its ``code_column`` in ``position``."""
    table = table.drop(columns=["latitude", "longitude"], errors="ignore").reset_index(drop=True)
    lat = table[code_column].map(position["latitude"]) if len(table) else pd.Series(dtype=float)
    lon = table[code_column].map(position["longitude"]) if len(table) else pd.Series(dtype=float)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat, crs=4326))
