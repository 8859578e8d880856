"""The result of one planning run: a typed, immutable :class:`Plan`.

A plan holds everything a planner publishes: the footprint and data snapshot it was made for,
every parameter (as a :class:`~mcp_geo.scenario.Scenario`), the practices with their hub and MCP,
the hubs and MCPs, their territories, the metrics, one certificate per level, and a fingerprint
of the inputs. Exports (:mod:`mcp_geo.plans.write`) and maps (:mod:`mcp_geo.maps`) read it; nothing
changes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from mcp_geo.boundaries.distances import TravelMatrix
from mcp_geo.boundaries.territories import Outline
from mcp_geo.boundaries.tiling import territory_facts
from mcp_geo.plans.alternatives import Alternatives
from mcp_geo.plans.by_area import AreaBreakdown, area_breakdown
from mcp_geo.plans.exceptions import NamedException
from mcp_geo.plans.grouping import GroupingMetrics, pcn_grouping_metrics
from mcp_geo.plans.metrics import (
    DistanceStats,
    SizeStats,
    adjusted_rand_index,
    area_crossings,
    size_stats,
    weighted_distance_stats,
)
from mcp_geo.plans.reference import (
    ReferenceOutcome,
    SplitRules,
    reference_outcome,
    split_reasons,
)
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.areas import AREA_LEVELS
from mcp_geo.solvers.certificate import Certificate

PRACTICE_COLUMNS: tuple[str, ...] = (
    "practice_code",
    "practice_name",
    "postcode",
    "patients",
    "latitude",
    "longitude",
    "pcn_code",
    "hub_id",
    "hub_base_code",
    "mcp_id",
    "km_to_hub_base",
)
"""Columns of practices.csv (DESIGN.md "Outputs"); ``minutes_to_hub_base`` is added for drive time
and ``reference_group`` for a plan made with a reference."""

HUB_COLUMNS: tuple[str, ...] = (
    "hub_id",
    "base_code",
    "base_name",
    "patients",
    "practices",
    "mcp_id",
    "km_to_mcp_base",
)
"""Columns of hubs.csv; ``exception`` and ``shortfall`` follow when a hub is an exception
(:data:`~mcp_geo.plans.exceptions.EXCEPTION_COLUMNS`)."""

MCP_COLUMNS: tuple[str, ...] = (
    "mcp_id",
    "base_hub_id",
    "base_code",
    "patients",
    "hubs",
    "practices",
    "span_km",
)
"""Columns of mcps.csv; ``exception`` and ``shortfall`` follow when an MCP is an exception."""

EXCLUSION_COLUMNS: tuple[str, ...] = ("practice_code", "reason", "source")
"""Columns of exclusions.csv."""


@dataclass(frozen=True)
class LevelMetrics:
    """Sizes and travel at one level (hubs: practice -> hub base; MCPs: hub base -> MCP base)."""

    groups: int
    sizes: SizeStats
    travel: DistanceStats | None

    def to_dict(self) -> dict[str, Any]:
        """The level's entry of report.json's ``metrics``."""
        out: dict[str, Any] = {"count": self.groups, "patients": _sizes(self.sizes)}
        out["km_to_base"] = None if self.travel is None else _travel(self.travel)
        return out


@dataclass(frozen=True)
class PcnComparison:
    """Today's PCNs measured like a plan's hubs, and how far the plan is from them."""

    pcns: GroupingMetrics
    adjusted_rand_index: float

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``metrics.against_pcns``."""
        return {
            "pcns": self.pcns.groups,
            "practices_without_pcn": self.pcns.singletons,
            "patients": _sizes(self.pcns.sizes),
            "km_to_base": _travel(self.pcns.distance),
            "max_span_km": round(self.pcns.max_span_km, 3),
            "adjusted_rand_index_hubs": round(self.adjusted_rand_index, 6),
            "base": "each PCN's 1-median practice (least patient-weighted km to the others)",
        }


Spans = dict[str, tuple[str | None, ...]]
"""Group id -> the areas it spans (None: practices with no area at the level)."""


@dataclass(frozen=True)
class AreaCrossings:
    """The hubs and MCPs that cross the areas of one official level (whatever the rules).

    Attributes
    ----------
    level
        The level (``sub-icb``, ``icb``, ``ccg19``; ``ccg``, ``stp`` on 2021-01).
    hubs, mcps
        Each crossing group's id -> the areas it spans (:func:`~mcp_geo.plans.metrics.
        area_crossings`); ``mcps`` None without an MCP level.
    practices_without_area
        Practices in no area of the level (a site outside every outline).
    """

    level: str
    hubs: Spans
    mcps: Spans | None
    practices_without_area: int

    def to_dict(self) -> dict[str, Any]:
        """The level's entry of report.json's ``metrics.crossings``."""

        def level(spans: Spans) -> dict[str, Any]:
            return {"count": len(spans), "crossing": {k: list(v) for k, v in spans.items()}}

        return {
            "hubs": level(self.hubs),
            "mcps": None if self.mcps is None else level(self.mcps),
            "practices_without_area": self.practices_without_area,
        }

    @classmethod
    def from_dict(cls, level: str, d: dict[str, Any]) -> AreaCrossings:
        """The crossings of one level as report.json holds them (:meth:`to_dict`)."""

        def spans(entry: dict[str, Any] | None) -> Spans | None:
            if entry is None:
                return None
            return {str(k): tuple(v) for k, v in entry["crossing"].items()}

        return cls(
            level=level,
            hubs=spans(d["hubs"]) or {},
            mcps=spans(d.get("mcps")),
            practices_without_area=int(d.get("practices_without_area", 0)),
        )


@dataclass(frozen=True)
class PlanMetrics:
    """The metrics every plan reports (DESIGN.md, "Metrics every plan reports")."""

    patients: int
    practices: int
    hubs: LevelMetrics
    mcps: LevelMetrics | None
    max_mcp_span_km: float | None
    pcn: PcnComparison | None
    crossings: tuple[AreaCrossings, ...] = ()
    by_area: AreaBreakdown | None = None
    """Practices and patients by Sub-ICB, ICB and 2019 CCG; None for the user's own sites."""

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``metrics``."""
        return {
            "patients": self.patients,
            "practices": self.practices,
            "by_area": None if self.by_area is None else self.by_area.to_dict(),
            "hubs": self.hubs.to_dict(),
            "mcps": None if self.mcps is None else self.mcps.to_dict(),
            "max_mcp_span_km": None
            if self.max_mcp_span_km is None
            else round(self.max_mcp_span_km, 3),
            "crossings": {c.level: c.to_dict() for c in self.crossings},
            "against_pcns": None if self.pcn is None else self.pcn.to_dict(),
        }


def _sizes(s: SizeStats) -> dict[str, Any]:
    return {
        "min": int(s.min),
        "median": round(float(s.median), 1),
        "max": int(s.max),
        "below_min": s.n_below,
        "above_max": s.n_above,
        "within_bounds": s.n - s.n_below - s.n_above,
        "share_within_bounds": round((s.n - s.n_below - s.n_above) / s.n, 6) if s.n else None,
    }


def _travel(d: DistanceStats) -> dict[str, float]:
    return {
        "weighted_mean": round(d.mean, 3),
        "weighted_p95": round(d.p95, 3),
        "max": round(d.max, 3),
    }


@dataclass(frozen=True)
class Certificates:
    """One certificate per level, with the objective each level optimises in words."""

    hubs: Certificate
    mcps: Certificate | None
    mode: str  # the scenario's; a plan read back may hold a removed mode (``joint``)
    hubs_objective: str
    mcps_objective: str | None

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``certificates``."""
        hubs = {**self.hubs.to_dict(), "optimises": self.hubs_objective}
        mcps = None
        if self.mcps is not None:
            mcps = {**self.mcps.to_dict(), "optimises": self.mcps_objective}
        return {"hubs": hubs, "mcps": mcps}


@dataclass(frozen=True)
class Timings:
    """Seconds spent per step; the only part of a report that changes between identical runs."""

    load: float = 0.0
    hubs: float = 0.0
    mcps: float = 0.0
    territories: float = 0.0
    total: float = 0.0
    alternatives: float = 0.0  # the alternatives' search and plans (written when asked for)

    def to_dict(self) -> dict[str, float]:
        """report.json's ``timings``: seconds, rounded to milliseconds."""
        return {
            k: round(v, 3)
            for k, v in self.__dict__.items()
            if k != "alternatives" or v  # only plans with alternatives spend time on them
        }


@dataclass(frozen=True, eq=False)
class Plan:
    """One solved run (DESIGN.md, "Plan").

    Attributes
    ----------
    practices
        One row per planned practice, sorted by code: :data:`PRACTICE_COLUMNS` plus point
        geometry (EPSG:4326).
    hubs
        One row per hub: :data:`HUB_COLUMNS` plus ``exception`` (the kind of exception the hub
        is, or None), ``shortfall`` (patients below the floor of an undersized exception) and
        the base's point geometry (EPSG:4326).
    mcps
        One row per MCP: :data:`MCP_COLUMNS` plus ``exception``, ``shortfall`` and the base's
        point geometry; empty when the plan has no MCP level.
    exclusions
        The footprint's practices that the data excluded: practice_code, reason, source, detail.
    exceptions
        The hubs and MCPs allowed outside the bounds, each named with its kind, shortfall and
        reason, in report.json's order (:mod:`mcp_geo.plans.exceptions`).
    territories_hubs, territories_mcps
        Polygons (``hub_id`` / ``mcp_id``, ``note``) with their CRS: EPSG:27700 as planned,
        EPSG:4326 as read back from a plan folder (as published, so that it is written back
        unchanged); use ``to_crs`` for either.
    outline
        The footprint's outline, in EPSG:27700.
    reference
        With a reference (``scenario.reference``): the moves and the groups' fates, from
        ``practices.reference_group`` (and ``reference_name``, the group's name where known).
    alternatives
        With ``alternatives`` asked for: the other plans within the travel slack and the
        settled practices (practices gains the column ``settled``); None otherwise.
    """

    version: str
    scenario: Scenario
    footprint_title: str
    extract_date: date | None  # None for a footprint of the user's own sites
    fingerprint: str
    travel: str
    practices: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    mcps: gpd.GeoDataFrame
    exclusions: pd.DataFrame
    outline: Outline
    territories_hubs: gpd.GeoDataFrame
    territories_mcps: gpd.GeoDataFrame
    metrics: PlanMetrics
    certificates: Certificates
    exceptions: tuple[NamedException, ...]
    notes: tuple[str, ...] = ()
    timings: Timings = field(default_factory=Timings)
    alternatives: Alternatives | None = None

    def __post_init__(self) -> None:
        # the columns in the order of the files (DESIGN.md "Outputs"), then the others
        for name, columns in (
            ("practices", PRACTICE_COLUMNS),
            ("hubs", HUB_COLUMNS),
            ("mcps", MCP_COLUMNS),
        ):
            object.__setattr__(self, name, _in_file_order(getattr(self, name), columns))

    @property
    def footprint(self) -> str:
        """The footprint, in the footprint syntax (the scenario's)."""
        return self.scenario.footprint

    @property
    def snapshot(self) -> str:
        """The data snapshot's name (the scenario's)."""
        return self.scenario.snapshot

    @cached_property
    def reference(self) -> ReferenceOutcome | None:
        """The moves out of the reference grouping and the groups' fates
        (:func:`~mcp_geo.plans.reference.reference_outcome`); None for a plan made without a
        reference."""
        source = self.scenario.reference
        if source is None or "reference_group" not in self.practices.columns:
            return None
        outcome = reference_outcome(self.practices, source=source, minimise=self.scenario.minimise)
        sc = self.scenario
        rules = SplitRules(
            hub_max=sc.hub_max,
            max_km=_great_circle_limit(sc),
            hubs_within=sc.hubs_within,
            whole=sc.whole,
            sites=sc.bases is not None,
        )
        why = split_reasons(self.practices, outcome.split, rules=rules)
        return dataclasses.replace(outcome, why_split=why)

    def write(self, folder: str | Path) -> Path:
        """Write the plan folder as ``mcp-geo plan --out folder`` does; returns the folder.

        Only a new, empty or earlier plan folder of this tool is replaced (see
        :func:`mcp_geo.plans.write.write_plan`).
        """
        from mcp_geo.plans.write import write_plan

        return write_plan(self, folder)

    def report(self) -> dict[str, Any]:
        """The report.json content (DESIGN.md "Outputs"); seconds only under ``timings``."""
        from mcp_geo import ATTRIBUTION

        reasons = self.exclusions.groupby("reason").size().sort_index()
        return {
            "version": self.version,
            "footprint": {"name": self.footprint, "title": self.footprint_title},
            "snapshot": {
                "name": None if self.extract_date is None else self.snapshot,
                "extract_date": None
                if self.extract_date is None
                else self.extract_date.isoformat(),
            },
            "fingerprint": self.fingerprint,
            "parameters": {  # the mode it was planned in (read back: perhaps a removed one)
                **self.scenario.report_dict(),
                "mode": self.certificates.mode,
                "travel": self.travel,
            },
            "outline": {"source": self.outline.source, "description": self.outline.description},
            "territories": territory_facts(self.territories_hubs, id_column="hub_id").to_dict(),
            "metrics": self.metrics.to_dict(),
            **({} if self.reference is None else {"reference": self.reference.to_dict()}),
            **({} if self.alternatives is None else {"alternatives": self.alternatives.to_dict()}),
            "exceptions": [e.to_dict() for e in self.exceptions],
            "exclusions": {str(k): int(v) for k, v in reasons.items()},
            "notes": list(self.notes),
            "certificates": self.certificates.to_dict(),
            "timings": self.timings.to_dict(),
            "licence": ATTRIBUTION,
        }


def _in_file_order(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """``frame`` with ``columns`` first (those it has), then its other columns, geometry last."""
    first = [c for c in columns if c in frame.columns]
    active = getattr(frame, "_geometry_column_name", None)  # a GeoDataFrame's geometry
    geometry = [active] if active in frame.columns else []
    rest = [c for c in frame.columns if c not in first and c not in geometry]
    order = [*first, *rest, *geometry]
    return frame if list(frame.columns) == order else frame[order]


def plan_metrics(
    planned: pd.DataFrame,
    hubs: pd.DataFrame,
    mcps: pd.DataFrame,
    *,
    scenario: Scenario,
    travel: TravelMatrix | None = None,
    area_levels: tuple[str, ...] = (),
) -> PlanMetrics:
    """The metrics of DESIGN.md for planned practices and their hubs and MCPs.

    ``planned``: practice_code, patients, latitude, longitude, pcn_code, hub_id,
    km_to_hub_base, and the official areas where known (``sub_icb_code``, ``icb_code``,
    ``ccg19_code``, their names; see :func:`mcp_geo.plans.by_area.area_breakdown`); ``hubs``: patients, km_to_mcp_base; ``mcps``: patients, span_km. Today's PCNs
    are measured with ``travel`` (great-circle km when None).

    Parameters
    ----------
    planned
        One row per planned practice.
    hubs, mcps
        The hub and MCP tables (``mcps`` empty without an MCP level).
    scenario
        The bounds the sizes are measured against.
    travel
        The plan's travel measure, for today's PCNs.
    area_levels
        The official levels the data holds (:data:`~mcp_geo.solvers.areas.ERA_LEVELS`), whose
        crossings are counted from ``planned``'s area columns (and its ``mcp_id``).

    Returns
    -------
    PlanMetrics
        The metrics of report.json.
    """
    hub_level = LevelMetrics(
        groups=len(hubs),
        sizes=size_stats(hubs["patients"], lower=scenario.hub_min, upper=scenario.hub_max),
        travel=weighted_distance_stats(planned["km_to_hub_base"], planned["patients"]),
    )
    mcp_level = None
    max_span = None
    if not scenario.no_mcps and len(mcps):
        mcp_level = LevelMetrics(
            groups=len(mcps),
            sizes=size_stats(mcps["patients"], lower=scenario.mcp_min, upper=scenario.mcp_max),
            travel=weighted_distance_stats(hubs["km_to_mcp_base"], hubs["patients"]),
        )
        max_span = float(mcps["span_km"].max())
    pcn = None
    if "pcn_code" in planned.columns and planned["pcn_code"].notna().any():
        pcns = pcn_grouping_metrics(
            planned, lower=scenario.hub_min, upper=scenario.hub_max, travel=travel
        )
        ari = adjusted_rand_index(
            planned.set_index("practice_code")["hub_id"].astype(str), pcns.group_of
        )
        pcn = PcnComparison(pcns=pcns, adjusted_rand_index=ari)
    return PlanMetrics(
        patients=int(planned["patients"].sum()),
        practices=len(planned),
        hubs=hub_level,
        mcps=mcp_level,
        max_mcp_span_km=max_span,
        pcn=pcn,
        by_area=area_breakdown(planned),
        crossings=tuple(
            level_crossings(planned, level=level, mcps=mcp_level is not None)
            for level in area_levels
        ),
    )


def level_crossings(planned: pd.DataFrame, *, level: str, mcps: bool) -> AreaCrossings:
    """The hubs (and MCPs) of ``planned`` that cross the areas of ``level``.

    Parameters
    ----------
    planned
        One row per planned practice: hub_id, mcp_id and the level's column
        (:data:`~mcp_geo.solvers.areas.AREA_LEVELS`).
    level
        The official level.
    mcps
        Whether the plan has an MCP level.

    Returns
    -------
    AreaCrossings
        The crossing hubs and MCPs with the areas each spans.
    """
    column = AREA_LEVELS[level].column
    areas = planned[column] if column in planned.columns else pd.Series(None, index=planned.index)
    labels = pd.Series(
        [None if pd.isna(a) or not str(a).strip() else str(a).strip() for a in areas],
        dtype=object,
    )
    return AreaCrossings(
        level=level,
        hubs=area_crossings(labels, planned["hub_id"]),
        mcps=area_crossings(labels, planned["mcp_id"]) if mcps else None,
        practices_without_area=int(labels.isna().sum()),
    )


def _great_circle_limit(scenario: Scenario) -> float | None:
    """The distance limit in great-circle km (the circuity taken off), None for road travel
    or no limit."""
    if scenario.travel != "great-circle" or scenario.max_km is None:
        return None
    return float(scenario.max_km) / float(scenario.circuity or 1.0)
