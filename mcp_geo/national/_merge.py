"""Merge the footprints' written plans (parts) into one national :class:`~mcp_geo.plans.plan.Plan`.

Every solved footprint is read back from its part folder (so a fresh run and a resumed one merge
the very same files), its hub and MCP ids are prefixed by the footprint's code (``QOC-H01``,
``QOC-M01``), and the tables are stacked. The national metrics are computed again over all
practices; the national certificate of each level combines the footprints' certificates (the sum
of independent objectives and the sum of their bounds: a valid bound for the whole). Practices of
a footprint that failed are listed in the exclusions with the footprint's failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from mcp_geo import __version__
from mcp_geo._errors import InfeasibleError, NoPlanError, RunFailedError
from mcp_geo.boundaries.territories import Outline
from mcp_geo.boundaries.tiling import join_footprints
from mcp_geo.national._exceptions import exception_counts
from mcp_geo.national._tasks import PARTS, FootprintJob, FootprintResult
from mcp_geo.plans.by_area import AreaBreakdown, combine_breakdowns
from mcp_geo.plans.exceptions import NamedException, sorted_exceptions
from mcp_geo.plans.plan import AreaCrossings, Certificates, Plan, Timings, plan_metrics
from mcp_geo.plans.read import read_plan
from mcp_geo.scenario import Scenario
from mcp_geo.solvers.certificate import Certificate, combine_certificates

log = logging.getLogger(__name__)

BNG = "EPSG:27700"
_ID_COLUMNS = {
    "practices": ("hub_id", "mcp_id"),
    "hubs": ("hub_id", "mcp_id"),
    "mcps": ("mcp_id", "base_hub_id"),
    "territories_hubs": ("hub_id",),
    "territories_mcps": ("mcp_id",),
}


def prefixed(frame: pd.DataFrame, columns: Sequence[str], code: str) -> pd.DataFrame:
    """A copy of ``frame`` with the ids in ``columns`` prefixed by ``code-`` (missing ids stay).

    Parameters
    ----------
    frame
        A table of one footprint's plan.
    columns
        Its id columns.
    code
        The footprint's code.

    Returns
    -------
    pandas.DataFrame
        The copy.
    """
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = [
                None if v is None or (isinstance(v, float) and pd.isna(v)) else f"{code}-{v}"
                for v in out[column]
            ]
    return out


def national_fingerprint(results: Sequence[FootprintResult], *, by: str) -> str:
    """sha256 over the partition and each footprint's own fingerprint and outcome.

    Parameters
    ----------
    results
        Every footprint's result.
    by
        The partition.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    digest.update(f"mcp-geo {__version__} national by {by}\n".encode())
    for r in sorted(results, key=lambda r: r.code):
        digest.update(f"{r.code} {r.job.fingerprint} {r.status}\n".encode())
    return digest.hexdigest()


def merge_parts(
    results: Sequence[FootprintResult],
    *,
    scenario: Scenario,
    by: str,
    title: str,
    extract_date: date | None,
    exclusions: pd.DataFrame,
    unplanned: pd.DataFrame,
    wall_seconds: float,
) -> Plan:
    """One national Plan from the solved footprints' parts.

    Parameters
    ----------
    results
        Every footprint's result; the solved ones have a written part.
    exclusions
        The practices the data excluded (practice_code, reason, source, detail).
    unplanned
        The practices of the failed footprints, with their footprint code in ``footprint``.
    """
    solved = sorted((r for r in results if r.status == "solved"), key=lambda r: r.code)
    if not solved:
        raise ValueError("no footprint was solved: nothing to merge")
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in _ID_COLUMNS}
    sources: set[str] = set()
    hub_certs: list[Certificate] = []
    mcp_certs: list[Certificate] = []
    exceptions: list[NamedException] = []
    notes: list[str] = []
    objectives: tuple[str, str | None] | None = None
    crossings: list[tuple[str, tuple[AreaCrossings, ...]]] = []
    by_area: list[AreaBreakdown | None] = []
    for r in solved:
        assert r.part is not None
        part = read_plan(r.part)
        crossings.append((r.code, part.metrics.crossings))
        for name, columns in _ID_COLUMNS.items():
            tables[name].append(prefixed(getattr(part, name), columns, r.code))
        sources.add(part.outline.source)
        hub_certs.append(part.certificates.hubs)
        if part.certificates.mcps is not None:
            mcp_certs.append(part.certificates.mcps)
        objectives = objectives or (
            part.certificates.hubs_objective,
            part.certificates.mcps_objective,
        )
        exceptions += [e.prefixed(r.code) for e in part.exceptions]
        notes += [f"{r.code} {n}" for n in part.notes]
        by_area.append(part.metrics.by_area)

    practices = _stack(tables["practices"], crs=4326).sort_values("practice_code", kind="mergesort")
    practices = practices.reset_index(drop=True)
    hubs = _stack(tables["hubs"], crs=4326)
    mcps = _stack(tables["mcps"], crs=4326)
    territories_hubs, territories_mcps = joined_territories(
        _stack(tables["territories_hubs"], crs=BNG),
        _stack(tables["territories_mcps"], crs=BNG),
        hubs=hubs,
    )
    notes.append(JOIN_NOTE)
    outline = Outline(
        geometry=shapely.coverage_union_all(territories_hubs.geometry.to_numpy()),
        source="official" if sources == {"official"} else "buffered hull",
        description=(
            f"union of the outlines of the {len(solved)} solved footprints (by {by}), "
            "with the gaps between them filled"
        ),
    )
    failed_rows = unplanned.assign(
        reason=[f"its footprint {f} was not planned" for f in unplanned["footprint"]],
        source=[f"national run by {by}" for _ in range(len(unplanned))],
    )
    all_exclusions = pd.concat(
        [exclusions, failed_rows[[c for c in exclusions.columns if c in failed_rows.columns]]],
        ignore_index=True,
    ).sort_values("practice_code", kind="mergesort")
    gap = scenario.gap
    hubs_objective, mcps_objective = objectives or ("", None)
    certificates = Certificates(
        hubs=combine_certificates(hub_certs, gap_tolerance=gap, seconds=_sum_seconds(hub_certs)),
        mcps=combine_certificates(mcp_certs, gap_tolerance=gap, seconds=_sum_seconds(mcp_certs))
        if mcp_certs
        else None,
        mode=scenario.mode,
        hubs_objective=hubs_objective,
        mcps_objective=mcps_objective,
    )
    return Plan(
        version=__version__,
        scenario=scenario,
        footprint_title=title,
        extract_date=extract_date,
        fingerprint=national_fingerprint(results, by=by),
        travel=part.travel,
        practices=practices,
        hubs=hubs,
        mcps=mcps,
        exclusions=all_exclusions.reset_index(drop=True),
        outline=outline,
        territories_hubs=territories_hubs,
        territories_mcps=territories_mcps,
        metrics=replace(
            plan_metrics(practices, hubs, mcps, scenario=scenario),
            by_area=combine_breakdowns(by_area),
            crossings=merge_crossings(crossings),
        ),
        certificates=certificates,
        exceptions=sorted_exceptions(exceptions),
        notes=tuple(notes),
        timings=Timings(
            hubs=_sum_seconds(hub_certs),
            mcps=_sum_seconds(mcp_certs),
            total=wall_seconds,
        ),
    )


def merge_crossings(
    parts: Sequence[tuple[str, tuple[AreaCrossings, ...]]],
) -> tuple[AreaCrossings, ...]:
    """The national crossings: each footprint's, with its hub and MCP ids prefixed.

    Parameters
    ----------
    parts
        (footprint code, its plan's crossings) for every solved footprint.

    Returns
    -------
    tuple[AreaCrossings, ...]
        One per level, in the footprints' order of levels.
    """
    levels: dict[str, list[tuple[str, AreaCrossings]]] = {}
    for code, found in parts:
        for c in found:
            levels.setdefault(c.level, []).append((code, c))
    merged = []
    for level, found_at in levels.items():
        hubs = {f"{code}-{k}": v for code, c in found_at for k, v in c.hubs.items()}
        mcps = {f"{code}-{k}": v for code, c in found_at for k, v in (c.mcps or {}).items()}
        merged.append(
            AreaCrossings(
                level=level,
                hubs=dict(sorted(hubs.items())),
                mcps=None
                if all(c.mcps is None for _, c in found_at)
                else dict(sorted(mcps.items())),
                practices_without_area=sum(c.practices_without_area for _, c in found_at),
            )
        )
    return tuple(merged)


JOIN_NOTE = (
    "national territories: the footprints' borders are noded together; where two footprints' "
    "outlines overlap, the footprint first by code keeps the overlap, and gaps between them "
    "nowhere wider than 100 m go to the territory they share the longest border with"
)
"""The national plan's note on how its footprints' territories are joined."""


def joined_territories(
    hubs_layer: gpd.GeoDataFrame, mcps_layer: gpd.GeoDataFrame, *, hubs: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The footprints' hub territories as one tiling, and MCP territories as unions of them.

    Parameters
    ----------
    hubs_layer
        The footprints' hub territories, stacked (EPSG:27700, ``hub_id``), footprints in order
        of their codes.
    mcps_layer
        The footprints' MCP territories, stacked (``mcp_id``; empty without MCPs).
    hubs
        The hubs (``hub_id``, ``mcp_id``).

    Returns
    -------
    tuple
        The hub territories joined by :func:`~mcp_geo.boundaries.tiling.join_footprints`, and
        each MCP's territory made again the union of its hubs' joined territories.
    """
    joined = join_footprints(hubs_layer)
    if not len(mcps_layer):
        return joined, mcps_layer
    mcp_of = joined["hub_id"].map(hubs.set_index("hub_id")["mcp_id"])
    shapes = joined.geometry.to_numpy()
    mcps = mcps_layer.copy()
    mcps = mcps.set_geometry(
        gpd.GeoSeries(
            [shapely.union_all(shapes[(mcp_of == m).to_numpy()]) for m in mcps["mcp_id"]],
            index=mcps.index,
            crs=BNG,
        )
    )
    return joined, mcps


def _sum_seconds(certificates: Sequence[Certificate]) -> float:
    return float(sum(c.seconds for c in certificates))


def _stack(frames: list[pd.DataFrame], *, crs: Any) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    stacked = pd.concat([f.to_crs(crs) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(stacked, geometry=frames[0].geometry.name, crs=crs)


def national_report(plan: Plan, results: Sequence[FootprintResult], *, by: str) -> dict[str, Any]:
    """report.json of a national run: the plan's report plus ``partition`` and ``footprints``.

    Parameters
    ----------
    plan
        The merged national plan.
    results
        Every footprint's result.
    by
        The partition.

    Returns
    -------
    dict
        The content of report.json.
    """
    report = plan.report()
    ordered = sorted(results, key=lambda r: r.code)
    report["footprint"] = {**report["footprint"], "by": by}
    report["footprints"] = {r.code: r.report() for r in ordered}
    report["national"] = {
        "footprints": len(ordered),
        "solved": sum(r.status == "solved" for r in ordered),
        "failed": sum(r.status == "failed" for r in ordered),
        "hubs_optimal": sum(_level_status(r, "hubs") == "optimal" for r in ordered),
        "mcps_optimal": sum(_level_status(r, "mcps") == "optimal" for r in ordered),
    }
    report["national"]["exceptions"] = exception_counts(plan, ordered)
    return report


def _level_status(result: FootprintResult, level: str) -> str | None:
    level_cert = (result.certificates or {}).get(level)
    return None if level_cert is None else level_cert.get("status")


def unplanned_practices(data: Any, jobs: Sequence[FootprintJob], failed: dict[str, str]) -> Any:
    """The practices of the failed footprints, with the footprint's spec.

    Parameters
    ----------
    data
        The snapshot's practices (a PracticeData).
    jobs
        Every footprint of the run.
    failed
        The failed footprints: code -> spec.

    Returns
    -------
    pandas.DataFrame
        practice_code, footprint (its spec) and detail (empty).
    """
    from mcp_geo.practices import select_footprint

    frames = []
    for job in jobs:
        if job.code in failed:
            rows = select_footprint(data, job.spec).practices[["practice_code"]]
            frames.append(rows.assign(footprint=job.spec, detail=""))
    if not frames:
        return pd.DataFrame(columns=["practice_code", "footprint", "detail"])
    return pd.concat(frames, ignore_index=True)


def _raise_none_planned(results: list[FootprintResult]) -> None:
    """No footprint was planned: proven infeasible only when every footprint's rules were."""
    causes = tuple(f"{r.code}: {r.reason}" for r in results)
    text = f"no footprint of the {len(results)} could be planned: " + "; ".join(causes)
    kinds = {r.failure for r in results}
    if kinds == {"infeasible"}:
        raise InfeasibleError(text, causes=causes)
    if kinds <= {"infeasible", "no_solution"}:  # some ran out of time: nothing proven for them
        raise NoPlanError(text)
    raise RunFailedError(text)


def write_national(
    results: list[FootprintResult],
    *,
    scenario: Scenario,
    by: str,
    title: str,
    data: Any,
    exclusions: Any,
    unplanned: Any,
    out: Path,
    started: float,
    map_html: bool = True,
) -> Plan:
    """Merge the parts and write the national files (atomically, keeping this run's parts).

    Parameters
    ----------
    results
        Every footprint's result (the solved ones with their parts).
    scenario
        The national scenario (footprint ``england``).
    by
        The partition.
    title
        The national plan's title.
    data
        The snapshot's practices (a PracticeData).
    exclusions
        The practices the data excluded.
    unplanned
        The practices of the failed footprints (:func:`unplanned_practices`).
    out
        The folder to write (its ``.parts`` are carried over).
    started
        ``time.perf_counter()`` at the start of the run, for the timings.
    map_html
        Also write map.html (a map that cannot be drawn is logged and left out).

    Returns
    -------
    Plan
        The merged national plan.

    Raises
    ------
    InfeasibleError, NoPlanError, RunFailedError
        No footprint was planned (see :func:`_raise_none_planned`).
    """
    from mcp_geo.plans.write import _json_default, write_plan

    if not any(r.status == "solved" for r in results):
        _raise_none_planned(results)
    merge_started = time.perf_counter()
    plan = merge_parts(
        results,
        scenario=scenario,
        by=by,
        title=title,
        extract_date=data.extract_date,
        exclusions=exclusions,
        unplanned=unplanned,
        wall_seconds=time.perf_counter() - started,
    )
    log.info("merged %d parts in %.1f s", len(results), time.perf_counter() - merge_started)

    def report_file(path: Path) -> None:
        report = national_report(plan, results, by=by)
        text = json.dumps(report, indent=2, ensure_ascii=False, default=_json_default)
        path.write_text(text + "\n", encoding="utf-8")

    keep = {r.part.name for r in results if r.part is not None}

    def parts_folder(path: Path) -> None:
        _link_parts(out / PARTS, path, keep=keep)

    extra: dict[str, Callable[[Path], None]] = {
        "report.json": report_file,
        PARTS: parts_folder,
    }
    if map_html:
        extra["map.html"] = lambda path: _national_map(plan, path)
    write_plan(plan, out, extra=extra)
    return plan


def _national_map(plan: Plan, path: Path) -> None:
    """Write the national map; a map that cannot be drawn is logged, never loses the plan."""
    from shapely.errors import GEOSException

    from mcp_geo.national._map import write_national_map

    try:
        write_national_map(plan, path)
    except (GEOSException, ValueError) as exc:
        path.unlink(missing_ok=True)
        log.warning("the national map was not written (%s: %s)", type(exc).__name__, exc)


def _link_parts(source: Path, target: Path, *, keep: set[str]) -> None:
    """Carry this run's parts into the staged folder, as hard links where the disk allows."""
    target.mkdir()
    for name in sorted(keep):
        try:
            shutil.copytree(source / name, target / name, copy_function=os.link)
        except OSError:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source / name, target / name)
