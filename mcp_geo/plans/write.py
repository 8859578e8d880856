"""Write a :class:`~mcp_geo.plans.plan.Plan` to files external tools read (DESIGN.md, "Outputs").

``write_plan`` writes practices.csv, hubs.csv, mcps.csv, exclusions.csv, report.json,
scenario.toml and plan.gpkg into a temporary folder beside the destination and moves it into
place only when every file is written, so a failed or interrupted run never leaves a half-written
plan. Numbers are written the same way every time: latitude and longitude with 6 decimals, km
with 3, patients (and shortfalls) as integers. hubs.csv gains the columns ``exception`` (the kind:
``over_ceiling``, ``isolated``, ``under_floor``; empty for a hub within the bounds) and
``shortfall`` (patients below the floor; empty otherwise) when the plan names a hub as an
exception, both together, and mcps.csv the same for its MCPs: a plan without exceptions writes
the files as before. A plan made with a reference adds practices.csv's ``reference_group`` and
moves.csv (:data:`~mcp_geo.plans.reference.MOVE_COLUMNS`: one row per moved practice). A rerun with the same inputs writes byte-identical CSVs and
report.json (apart from ``timings``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mcp_geo._folders import write_marker, write_output_dir
from mcp_geo.plans.exceptions import EXCEPTION_COLUMNS, ExceptionLevel
from mcp_geo.plans.plan import EXCLUSION_COLUMNS, HUB_COLUMNS, MCP_COLUMNS, PRACTICE_COLUMNS, Plan
from mcp_geo.plans.reference import MOVE_COLUMNS, moves_table
from mcp_geo.practices import FORMULA_STARTS

log = logging.getLogger(__name__)

PLAN_FILES = (
    "practices.csv",
    "hubs.csv",
    "mcps.csv",
    "exclusions.csv",
    "report.json",
    "scenario.toml",
    "plan.gpkg",
)

_DECIMALS = {
    "latitude": 6,
    "longitude": 6,
    "km_to_hub_base": 3,
    "km_to_mcp_base": 3,
    "span_km": 3,
    "minutes_to_hub_base": 1,
}
_INTEGERS = ("patients", "practices", "hubs", "shortfall")


TEXT_COLUMNS = ("practice_name", "base_name", "source")
"""Free-text columns of the CSVs planners open in spreadsheets (names and the exclusions' file and
row), whose cells :func:`spreadsheet_text` writes; codes and ids are never changed."""


def spreadsheet_text(text: str) -> str:
    """``text`` for a CSV cell that a spreadsheet shows and never runs as a formula.

    Text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (OWASP, "CSV Injection"), which spreadsheets read as "this cell is text" and hide.
    Text already beginning with an apostrophe gets one more, so :func:`from_spreadsheet_text`
    gives back every text exactly.

    Parameters
    ----------
    text
        A cell's text.

    Returns
    -------
    str
        The text to write.

    Examples
    --------
    >>> spreadsheet_text("=HYPERLINK(0)"), spreadsheet_text("Moss Lane Surgery")
    ("'=HYPERLINK(0)", 'Moss Lane Surgery')
    >>> from_spreadsheet_text(spreadsheet_text("'-dash"))
    "'-dash"
    """
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def from_spreadsheet_text(text: str) -> str:
    """The text that :func:`spreadsheet_text` wrote as ``text``."""
    return text[1:] if text.startswith("'") else text


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its :data:`TEXT_COLUMNS` through :func:`spreadsheet_text` (a copy)."""
    out = frame.copy()
    for column in TEXT_COLUMNS:
        if column in out.columns:
            out[column] = [
                v if not isinstance(v, str) else spreadsheet_text(v) for v in out[column]
            ]
    return out


def _formatted(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The columns as text, numbers in their fixed formats, missing values empty, names safe
    to open in a spreadsheet (:func:`spreadsheet_text`)."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame[column] if column in frame.columns else pd.Series(None, index=frame.index)
        if column in _DECIMALS:
            digits = _DECIMALS[column]
            numbers = pd.to_numeric(values, errors="coerce")
            out[column] = [("" if pd.isna(v) else f"{v:.{digits}f}") for v in numbers]
        elif column == "settled":  # a flag: true / false, as the other files write them
            out[column] = [("" if pd.isna(v) else str(bool(v)).lower()) for v in values]
        elif column in _INTEGERS:
            out[column] = [("" if pd.isna(v) else str(int(v))) for v in values]
        else:
            out[column] = [("" if v is None or pd.isna(v) else str(v)) for v in values]
    return spreadsheet_safe(out)


def _write_csv(frame: pd.DataFrame, path: Path, *, columns: tuple[str, ...], sort: str) -> None:
    table = _formatted(frame.sort_values(sort, kind="mergesort"), columns)
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def report_json(plan: Plan) -> str:
    """The report.json text."""
    return json.dumps(plan.report(), indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _write_geopackage(plan: Plan, path: Path) -> None:
    layers: dict[str, gpd.GeoDataFrame] = {
        "practices": plan.practices,
        "hubs": plan.hubs,
        "mcps": plan.mcps,
        "territories_hubs": plan.territories_hubs,
        "territories_mcps": plan.territories_mcps,
    }
    for name, layer in layers.items():
        published = layer.to_crs(4326) if layer.crs is not None else layer.set_crs(4326)
        published = published.copy()
        for column in published.columns:
            if column != published.geometry.name and published[column].dtype == object:
                published[column] = published[column].astype("string")
        published.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _writers(plan: Plan) -> dict[str, Callable[[Path], None]]:
    writers = _plan_writers(plan)
    if plan.alternatives is not None:  # alternatives/<n>/, each a plan folder
        writers["alternatives"] = lambda p: write_alternatives(plan, p)
    outcome = plan.reference
    if outcome is not None:  # moves.csv, with a reference only (DESIGN.md "Outputs")
        moves = moves_table(plan.practices, outcome)
        writers["moves.csv"] = lambda p: _write_csv(
            moves, p, columns=MOVE_COLUMNS, sort="practice_code"
        )
    return writers


def _plan_writers(plan: Plan) -> dict[str, Callable[[Path], None]]:
    return {
        "practices.csv": lambda p: _write_csv(
            plan.practices, p, columns=_practice_columns(plan), sort="practice_code"
        ),
        "hubs.csv": lambda p: _write_csv(
            plan.hubs, p, columns=_group_columns(plan, level="hubs"), sort="hub_id"
        ),
        "mcps.csv": lambda p: _write_csv(
            plan.mcps, p, columns=_group_columns(plan, level="mcps"), sort="mcp_id"
        ),
        "exclusions.csv": lambda p: _write_csv(
            plan.exclusions, p, columns=EXCLUSION_COLUMNS, sort="practice_code"
        ),
        "report.json": lambda p: p.write_text(report_json(plan), encoding="utf-8"),
        "scenario.toml": lambda p: p.write_text(_scenario_toml(plan, p.parent), encoding="utf-8"),
        "plan.gpkg": lambda p: _write_geopackage(plan, p),
    }


def _scenario_toml(plan: Plan, folder: Path) -> str:
    """scenario.toml's text; a plan read back from an earlier version keeps the mode it was
    planned in, even one that was removed (``joint``: run again, it is refused with why)."""
    text = plan.scenario.to_toml(relative_to=folder)
    was, now = plan.certificates.mode, plan.scenario.mode
    return text if was == now else text.replace(f'\nmode = "{now}"\n', f'\nmode = "{was}"\n')


def _group_columns(plan: Plan, *, level: ExceptionLevel) -> tuple[str, ...]:
    """hubs.csv's (mcps.csv's) columns: ``exception`` and ``shortfall`` added when used."""
    columns = HUB_COLUMNS if level == "hubs" else MCP_COLUMNS
    if any(e.level == level for e in plan.exceptions):
        return (*columns, *EXCEPTION_COLUMNS)
    return columns


def _practice_columns(plan: Plan) -> tuple[str, ...]:
    """practices.csv's columns: ``minutes_to_hub_base`` (drive minutes) and ``reference_group``
    (a plan with a reference) added when used."""
    columns = PRACTICE_COLUMNS
    if "minutes_to_hub_base" in plan.practices.columns:
        columns = (*columns, "minutes_to_hub_base")
    if plan.reference is not None:
        columns = (*columns, "reference_group")
    if plan.alternatives is not None:
        columns = (*columns, "settled")
    return columns


def write_plan(
    plan: Plan, out: str | Path, *, extra: dict[str, Callable[[Path], None]] | None = None
) -> Path:
    """Write every plan file into ``out``, atomically (all files appear, or none change).

    ``out`` must be new, empty, or a folder this tool wrote (see :mod:`mcp_geo._folders`): a
    folder holding anything else is refused and left as it is. ``extra`` adds entries (name ->
    writer of that path), written in the same transaction.

    Parameters
    ----------
    plan
        The plan.
    out
        The folder.
    extra
        More entries (name -> writer of that path), written in the same transaction (say
        ``map.html``).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    ValidationError
        ``out`` holds something other than a folder this tool wrote.
    """
    written = write_output_dir(out, {**_writers(plan), **(extra or {})}, kind="plan")
    log.info("plan written to %s", written)
    return written


def write_plan_files(plan: Plan, folder: Path) -> None:
    """Write the plan files into the new folder ``folder`` (inside a staged folder of the tool).

    Parameters
    ----------
    plan
        The plan.
    folder
        The folder to create (it must not exist).
    """
    folder.mkdir()
    writers = _writers(plan)
    for name, writer in writers.items():
        writer(folder / name)
    write_marker(folder, kind="plan", entries=writers)


def write_alternatives(
    plan: Plan, folder: Path, *, extra: Callable[[Plan, Path], None] | None = None
) -> None:
    """Write the plan's alternatives into the new folder ``folder``: ``<n>/``, each a plan folder.

    Parameters
    ----------
    plan
        The plan (with ``alternatives``).
    folder
        The folder to create (inside a staged folder of the tool).
    extra
        Called with each alternative and its folder once its files are written (the CLI draws
        its map.html).
    """
    folder.mkdir()
    found = () if plan.alternatives is None else plan.alternatives.found
    for alt in found:
        write_plan_files(alt.plan, folder / str(alt.n))
        if extra is not None:
            extra(alt.plan, folder / str(alt.n))
    write_marker(folder, kind="plan", entries=[str(a.n) for a in found])
