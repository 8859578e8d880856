"""Read a written plan folder back into a :class:`~mcp_geo.plans.plan.Plan`.

``read_plan(d)`` is the inverse of :func:`mcp_geo.plans.write.write_plan`: ``read_plan(d).write(d2)``
writes the same files as ``d``'s. The GeoPackage gives the practices, hubs, MCPs and territories
(kept in EPSG:4326 as published: turned into EPSG:27700 and back, their coordinates would move
in the last digits), scenario.toml the options, exclusions.csv the exclusions and report.json the
metrics, certificates, exceptions, notes and timings as they were written (rounded as report.json
rounds them); a plan with alternatives reads each ``alternatives/<n>/`` folder as a plan, with
report.json's ``alternatives`` range-checked and checked against them
(:func:`~mcp_geo.plans.alternatives.read_alternatives`). The named exceptions (report.json's ``exceptions``) give the hubs' and MCPs'
``exception`` and ``shortfall`` columns; a report of an earlier version, whose exceptions were
lines of text, is read too (:func:`~mcp_geo.plans.exceptions.from_text`). The CSVs' free-text cells, written safe for spreadsheets
(:func:`~mcp_geo.plans.write.spreadsheet_text`), are read back as they were. Two things are
rebuilt rather than read: the footprint outline is the union of the hub territories (the
territories tile it), in EPSG:27700, and today's PCN figures are recomputed from the practices in
great-circle km (report.json's own figures are kept for sizes, travel and span, and the adjusted
Rand index is recomputed).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from mcp_geo._errors import Problem, ValidationError
from mcp_geo._scenario_files import load_toml
from mcp_geo.boundaries.territories import Outline
from mcp_geo.plans.alternatives import read_alternatives
from mcp_geo.plans.by_area import AreaBreakdown
from mcp_geo.plans.exceptions import (
    NamedException,
    sorted_exceptions,
    with_exception_columns,
)
from mcp_geo.plans.grouping import pcn_grouping_metrics
from mcp_geo.plans.metrics import (
    DistanceStats,
    SizeStats,
    adjusted_rand_index,
)
from mcp_geo.plans.plan import (
    AreaCrossings,
    Certificates,
    LevelMetrics,
    PcnComparison,
    Plan,
    PlanMetrics,
    Timings,
)
from mcp_geo.plans.write import TEXT_COLUMNS, from_spreadsheet_text
from mcp_geo.scenario import REMOVED_MODES, Scenario, scenario_from_values
from mcp_geo.solvers.certificate import Certificate, ModelSize, Stage

log = logging.getLogger(__name__)

BNG = "EPSG:27700"
REQUIRED = ("report.json", "scenario.toml", "plan.gpkg", "exclusions.csv")
LAYERS = ("practices", "hubs", "mcps", "territories_hubs", "territories_mcps")


def is_plan_dir(path: str | Path) -> bool:
    """True when ``path`` is a folder holding a written plan (its report.json and plan.gpkg)."""
    path = Path(path)
    return path.is_dir() and (path / "report.json").is_file() and (path / "plan.gpkg").is_file()


def _sizes(d: dict[str, Any], lower: float | None, upper: float | None) -> SizeStats:
    n = int(d["within_bounds"]) + int(d["below_min"]) + int(d["above_max"])
    return SizeStats(
        n=n,
        min=float(d["min"]),
        median=float(d["median"]),
        max=float(d["max"]),
        n_below=int(d["below_min"]),
        n_above=int(d["above_max"]),
        lower=lower,
        upper=upper,
    )


def _travel(d: dict[str, Any] | None, practices: int, patients: float) -> DistanceStats | None:
    if d is None:
        return None
    return DistanceStats(
        mean=float(d["weighted_mean"]),
        p95=float(d["weighted_p95"]),
        max=float(d["max"]),
        mean_unweighted=float("nan"),
        p95_unweighted=float("nan"),
        practices=max(practices, 1),
        patients=patients,
    )


def _certificate(d: dict[str, Any] | None, seconds: float) -> Certificate | None:
    if d is None:
        return None
    return Certificate(
        engine=d["engine"],
        solver=d["solver"],
        solver_version=d["solver_version"],
        status=d["status"],
        objective=d["objective"],
        objective_name=d["objective_name"],
        bound=d["bound"],
        gap=d["gap"],
        seconds=seconds,
        ended_by=d.get("ended_by", "unknown"),
        model_size=ModelSize(**d.get("model_size", {})),
        stages=tuple(
            Stage(
                st["name"],
                st["objective"],
                st["bound"],
                st["gap"],
                st["status"],
                st.get("objective_name", ""),
            )
            for st in d.get("stages", ())
        ),
    )


def _read_layer(path: Path, name: str) -> gpd.GeoDataFrame:
    layer = pyogrio.read_dataframe(path, layer=name)
    for column in layer.columns:
        if column != layer.geometry.name and layer[column].dtype.kind in "OUT":
            layer[column] = layer[column].astype(object).where(layer[column].notna(), None)
    return layer


def _checked_report(folder: Path) -> dict[str, Any]:
    """report.json of the plan folder, after checking that every file and layer is there."""
    problems: list[Problem] = []
    if not folder.is_dir():
        problems.append(Problem("is not a folder", source=str(folder)))
    else:
        problems.extend(
            Problem(
                "is missing (not a plan folder written by `mcp-geo plan`)", source=str(folder / n)
            )
            for n in REQUIRED
            if not (folder / n).is_file()
        )
    report: dict[str, Any] = {}
    if not problems:
        try:
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(Problem(f"cannot be read: {exc}", source=str(folder / "report.json")))
        try:
            present = {row[0] for row in pyogrio.list_layers(folder / "plan.gpkg")}
            problems.extend(
                Problem("layer is missing", source=str(folder / "plan.gpkg"), field=name)
                for name in LAYERS
                if name not in present
            )
        except Exception as exc:  # GDAL errors have no common base class
            problems.append(Problem(f"cannot be read: {exc}", source=str(folder / "plan.gpkg")))
        for key in ("metrics", "certificates", "footprint", "snapshot"):
            if report and key not in report:
                problems.append(
                    Problem("key is missing", source=str(folder / "report.json"), field=key)
                )
    if problems:
        raise ValidationError(problems, context="plan folder")
    return report


def read_plan(path: str | Path) -> Plan:
    """Read the plan written to the folder ``path`` (by ``mcp-geo plan`` or ``write_plan``).

    Parameters
    ----------
    path
        The plan folder.

    Returns
    -------
    Plan
        The plan as written: ``read_plan(d).write(d2)`` writes the same files as ``d``'s.

    Raises
    ------
    ValidationError
        The folder or one of its files is missing or unreadable (every problem is listed).
    """
    folder = Path(path)
    report = _checked_report(folder)
    scenario, mode = _read_scenario(folder / "scenario.toml")
    gpkg = folder / "plan.gpkg"
    practices = _read_layer(gpkg, "practices").sort_values("practice_code", kind="mergesort")
    practices = practices.reset_index(drop=True)
    hubs = _read_layer(gpkg, "hubs")
    mcps = _read_layer(gpkg, "mcps")
    # kept as published: turned into EPSG:27700 and back, the coordinates would not be the same
    territories_hubs = _read_layer(gpkg, "territories_hubs")
    territories_mcps = _read_layer(gpkg, "territories_mcps")
    exclusions = pd.read_csv(folder / "exclusions.csv", dtype=str, keep_default_na=False)
    for column in TEXT_COLUMNS:
        if column in exclusions.columns:
            exclusions[column] = exclusions[column].map(from_spreadsheet_text)
    if "detail" not in exclusions.columns:
        exclusions["detail"] = ""

    outline_info = report.get("outline", {})
    outline = Outline(
        geometry=territories_hubs.to_crs(BNG).geometry.union_all(),
        source=outline_info.get("source", "buffered hull"),
        description=outline_info.get("description", "union of the plan's hub territories"),
    )
    metrics = _metrics(report["metrics"], scenario=scenario, practices=practices)
    timings = Timings(**report.get("timings", {}))
    certificates = report["certificates"]
    hub_cert = _certificate(certificates["hubs"], timings.hubs)
    if hub_cert is None:
        raise ValidationError(
            [Problem("has no hubs certificate", source=str(folder / "report.json"))],
            context="plan folder",
        )
    exceptions = _exceptions(report, scenario=scenario, source=str(folder / "report.json"))
    hubs = with_exception_columns(hubs, exceptions, level="hubs")
    mcps = with_exception_columns(mcps, exceptions, level="mcps")
    plan = Plan(
        version=str(report.get("version", "")),
        scenario=scenario,
        footprint_title=report["footprint"].get("title", scenario.footprint),
        extract_date=_extract_date(report["snapshot"]),
        fingerprint=str(report.get("fingerprint", "")),
        travel=str(report.get("parameters", {}).get("travel", "")),
        practices=practices,
        hubs=hubs,
        mcps=mcps,
        exclusions=exclusions,
        outline=outline,
        territories_hubs=territories_hubs,
        territories_mcps=territories_mcps,
        metrics=metrics,
        certificates=Certificates(
            hubs=hub_cert,
            mcps=_certificate(certificates.get("mcps"), timings.mcps),
            mode=mode,
            hubs_objective=certificates["hubs"].get("optimises", ""),
            mcps_objective=(certificates.get("mcps") or {}).get("optimises"),
        ),
        exceptions=exceptions,
        notes=tuple(report.get("notes", ())),
        timings=timings,
    )
    if "alternatives" not in report:
        return plan
    alternatives = read_alternatives(
        report["alternatives"], best=plan, folder=folder, read=read_plan
    )
    codes = plan.practices["practice_code"].astype(str)
    settled = codes.map(alternatives.settled).to_numpy(bool)
    return replace(
        plan, practices=plan.practices.assign(settled=settled), alternatives=alternatives
    )


def _read_scenario(path: Path) -> tuple[Scenario, str]:
    """scenario.toml's scenario and the mode the plan was made in: a plan of a mode that was
    removed (``joint``) reads as staged, its mode kept in its certificates, so that it still
    reads, compares and writes back as it was."""
    values = load_toml(path)
    mode = values.get("mode")
    removed = mode if isinstance(mode, str) and mode in REMOVED_MODES else None
    if removed is not None:
        values["mode"] = "staged"
    scenario = scenario_from_values(values, folder=path.absolute().parent, source=str(path))
    return scenario, str(removed or scenario.mode)


def _exceptions(
    report: dict[str, Any], *, scenario: Scenario, source: str
) -> tuple[NamedException, ...]:
    """report.json's named exceptions; an earlier version's lines of text as well (an isolated
    group's shortfall, which those lines did not give, is floor - patients)."""
    found = []
    for entry in report.get("exceptions", ()):
        try:
            exc = NamedException.from_dict(entry)
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(
                [Problem(f"an exception cannot be read: {error}", source=source, value=entry)],
                context="plan folder",
            ) from error
        if exc.kind == "isolated" and exc.shortfall is None:
            floor = scenario.hub_min if exc.level == "hubs" else scenario.mcp_min
            exc = replace(exc, shortfall=floor - exc.patients)
        found.append(exc)
    return sorted_exceptions(found)


def _extract_date(snapshot: dict[str, Any]) -> date | None:
    """The list sizes' date; None for a plan of the user's own sites (no snapshot)."""
    text = snapshot.get("extract_date")
    return None if text is None else date.fromisoformat(text)


def _metrics(m: dict[str, Any], *, scenario: Scenario, practices: pd.DataFrame) -> PlanMetrics:
    patients = float(m["patients"])
    hubs = LevelMetrics(
        groups=int(m["hubs"]["count"]),
        sizes=_sizes(m["hubs"]["patients"], scenario.hub_min, scenario.hub_max),
        travel=_travel(m["hubs"]["km_to_base"], int(m["practices"]), patients),
    )
    mcps = None
    if m.get("mcps"):
        mcps = LevelMetrics(
            groups=int(m["mcps"]["count"]),
            sizes=_sizes(m["mcps"]["patients"], scenario.mcp_min, scenario.mcp_max),
            travel=_travel(m["mcps"]["km_to_base"], int(m["hubs"]["count"]), patients),
        )
    pcn = None
    against = m.get("against_pcns")
    if against and practices["pcn_code"].notna().any():
        recomputed = pcn_grouping_metrics(practices, lower=scenario.hub_min, upper=scenario.hub_max)
        distance = _travel(against["km_to_base"], len(practices), patients)
        pcns = replace(
            recomputed,
            sizes=_sizes(against["patients"], scenario.hub_min, scenario.hub_max),
            distance=recomputed.distance if distance is None else distance,
            max_span_km=float(against["max_span_km"]),
        )
        ari = adjusted_rand_index(
            practices.set_index("practice_code")["hub_id"].astype(str), recomputed.group_of
        )
        pcn = PcnComparison(pcns=pcns, adjusted_rand_index=ari)
    span = m.get("max_mcp_span_km")
    by_area = m.get("by_area")
    return PlanMetrics(
        patients=int(m["patients"]),
        practices=int(m["practices"]),
        hubs=hubs,
        mcps=mcps,
        max_mcp_span_km=None if span is None else float(span),
        pcn=pcn,
        crossings=tuple(
            AreaCrossings.from_dict(level, d) for level, d in (m.get("crossings") or {}).items()
        ),
        by_area=None if by_area is None else AreaBreakdown.from_dict(by_area),
    )
