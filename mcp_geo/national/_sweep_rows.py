"""A sweep's table: one row per cell of the grid, measured from the cell's written plan.

The columns (DESIGN.md "Outputs", a sweep folder's ``sweep.csv``) are ``cell``, ``footprint``,
the options (the varied ones first, in the order varied, then the others in scenario order),
then :data:`RESULT_COLUMNS`. Every value comes from the files of the cell's plan folder
(report.json and practices.csv), so a cell an earlier run wrote gives the same row as one
solved now, and the file holds no seconds: it is byte-identical on a rerun when every cell's
solve ended by proof.

Moves are counted by the matching of DESIGN.md ("Reference grouping and moves",
:func:`~mcp_geo.plans.reference.reference_outcome`, patients kept together): the cell's hubs
against the hubs of its footprint's base cell, on the practices both plan, and against today's
PCNs (practices without a PCN never move).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mcp_geo.national._grid import FLOAT_KEYS, Cell
from mcp_geo.national._tasks import FootprintResult
from mcp_geo.scenario import KEYS, NO_LIMIT, UNLIMITED_KEYS

RESULT_COLUMNS: tuple[str, ...] = (
    "status",
    "gap",
    "reason",
    "n_hubs",
    "n_mcps",
    "travel_mean_km",
    "travel_p95_km",
    "travel_max_km",
    "largest_mcp_span_km",
    "exceptions",
    "moved_practices_vs_base",
    "moved_patients_vs_base",
    "moved_practices_vs_pcn",
    "moved_patients_vs_pcn",
    "hub_objective",
    "hub_bound",
)
"""sweep.csv's columns after the options, in order."""
STATUSES = ("optimal", "feasible", "no_solution", "infeasible")
"""A certificate's statuses, best first; a cell's status is its worst level's (``failed`` for
a cell that ended in any other error)."""
_KM = ("travel_mean_km", "travel_p95_km", "travel_max_km", "largest_mcp_span_km")
RENAMED = {"gap": "gap_to_prove"}
"""Options whose column is renamed: the option ``gap`` (the gap a solve must prove) would
clash with the result ``gap`` (the gap it proved)."""


def column_name(key: str) -> str:
    """The sweep.csv column of an option (its public name, but ``gap`` -> ``gap_to_prove``).

    Parameters
    ----------
    key
        The option's public name.

    Returns
    -------
    str
        Its column.
    """
    return RENAMED.get(key, key)


@dataclass(frozen=True)
class SweepRow:
    """One cell of a sweep, as sweep.csv gives it (None: an empty value).

    ``options`` holds every option of the cell by its public name; the other attributes are
    sweep.csv's columns of the same names (:data:`RESULT_COLUMNS`).
    """

    cell: str
    footprint: str
    options: tuple[tuple[str, Any], ...]
    status: str
    gap: float | None = None
    reason: str = ""
    n_hubs: int | None = None
    n_mcps: int | None = None
    travel_mean_km: float | None = None
    travel_p95_km: float | None = None
    travel_max_km: float | None = None
    largest_mcp_span_km: float | None = None
    exceptions: int | None = None
    moved_practices_vs_base: int | None = None
    moved_patients_vs_base: int | None = None
    moved_practices_vs_pcn: int | None = None
    moved_patients_vs_pcn: int | None = None
    hub_objective: float | None = None
    hub_bound: float | None = None

    def record(self, options: Sequence[str]) -> dict[str, str]:
        """The row as sweep.csv writes it: the given options, then the results, as text."""
        values = dict(self.options)
        out = {"cell": self.cell, "footprint": self.footprint}
        out.update({column_name(key): _option_text(key, values.get(key)) for key in options})
        for column in RESULT_COLUMNS:
            out[column] = _result_text(column, getattr(self, column))
        return out


def _option_text(key: str, value: Any) -> str:
    if value is None:
        return NO_LIMIT if key in UNLIMITED_KEYS else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in FLOAT_KEYS and isinstance(value, int | float):
        return repr(float(value))
    return str(value)


def _result_text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "gap":
        return f"{float(value):.6f}"
    if column in _KM or column in ("hub_objective", "hub_bound"):
        return f"{float(value):.3f}"
    return str(value)


def option_columns(cells: Sequence[Cell], *, varied: Sequence[str]) -> tuple[str, ...]:
    """sweep.csv's option columns: the varied options, then every other option a cell's
    report.json ``parameters`` would hold, in scenario order (the footprint has its own).

    Parameters
    ----------
    cells
        The grid's cells.
    varied
        The varied options, in order.

    Returns
    -------
    tuple of str
        The option columns.
    """
    shown: set[str] = set()
    for cell in cells:
        if cell.scenario is not None:
            shown |= set(cell.scenario.report_dict())
        else:
            shown |= {k for k, v in cell.options.items() if v is not None}
    rest = [k for k in KEYS if k in shown and k not in varied and k != "footprint"]
    return (*varied, *rest)


def sweep_rows(cells: Sequence[Cell], results: Mapping[str, FootprintResult]) -> list[SweepRow]:
    """The rows of the grid's cells, measured from their written plans.

    Parameters
    ----------
    cells
        The grid's cells, in order.
    results
        Every cell's result by label, the bases beside the grid too.

    Returns
    -------
    list of SweepRow
        One per cell of the grid, in order.
    """
    practices: dict[str, pd.DataFrame | None] = {}

    def planned(label: str) -> pd.DataFrame | None:
        if label not in practices:
            result = results.get(label)
            part = None if result is None or result.status != "solved" else result.part
            practices[label] = None if part is None else _practices(part)
        return practices[label]

    return [_row(cell, results[cell.label], planned) for cell in cells]


def _row(cell: Cell, result: FootprintResult, planned: Any) -> SweepRow:
    options = tuple(cell.options.items())
    if result.status == "failed" or result.part is None:
        certificate = ((result.certificates or {}).get("hubs")) or {}
        status = result.failure if result.failure in ("infeasible", "no_solution") else "failed"
        return SweepRow(
            cell=cell.label,
            footprint=cell.footprint,
            options=options,
            status=str(status),
            gap=certificate.get("gap"),
            reason=str(result.reason or ""),
        )
    report = json.loads((result.part / "report.json").read_text(encoding="utf-8"))
    levels = [c for c in (report["certificates"].get(k) for k in ("hubs", "mcps")) if c]
    status = max((c["status"] for c in levels), key=STATUSES.index)
    gaps = [c["gap"] for c in levels if c.get("gap") is not None]
    metrics = report["metrics"]
    travel = metrics["hubs"].get("km_to_base") or {}
    mine = planned(cell.label)
    base, pcn = _moves(mine, planned(cell.base), key="hub_id"), _moves(mine, mine, key="pcn_code")
    hubs = report["certificates"]["hubs"]
    return SweepRow(
        cell=cell.label,
        footprint=cell.footprint,
        options=options,
        status=status,
        gap=max(gaps) if gaps else None,
        n_hubs=int(metrics["hubs"]["count"]),
        n_mcps=None if metrics.get("mcps") is None else int(metrics["mcps"]["count"]),
        travel_mean_km=travel.get("weighted_mean"),
        travel_p95_km=travel.get("weighted_p95"),
        travel_max_km=travel.get("max"),
        largest_mcp_span_km=metrics.get("max_mcp_span_km"),
        exceptions=len(report.get("exceptions") or ()),
        moved_practices_vs_base=base[0],
        moved_patients_vs_base=base[1],
        moved_practices_vs_pcn=pcn[0],
        moved_patients_vs_pcn=pcn[1],
        hub_objective=hubs.get("objective"),
        hub_bound=hubs.get("bound"),
    )


def _practices(part: Path) -> pd.DataFrame:
    """practice_code, patients, hub_id and pcn_code of a written plan (codes as text)."""
    text = {"practice_code": str, "hub_id": str, "pcn_code": str}
    table = pd.read_csv(part / "practices.csv", dtype=text, keep_default_na=False)
    if "pcn_code" not in table.columns:
        table["pcn_code"] = ""
    return table[["practice_code", "patients", "hub_id", "pcn_code"]]


def _moves(
    practices: pd.DataFrame | None, reference: pd.DataFrame | None, *, key: str
) -> tuple[int | None, int | None]:
    """Practices and patients that move out of ``reference``'s groups (its column ``key``) into
    ``practices``' hubs, on the practices both hold; None without both (or without any group)."""
    from mcp_geo.plans.reference import reference_outcome

    if practices is None or reference is None:
        return None, None
    groups = reference.set_index("practice_code")[key]
    shared = practices[practices["practice_code"].isin(groups.index)]
    frame = pd.DataFrame(
        {
            "practice_code": shared["practice_code"].to_numpy(),
            "patients": shared["patients"].to_numpy(),
            "hub_id": shared["hub_id"].to_numpy(),
            "reference_group": groups.loc[shared["practice_code"]].to_numpy(),
        }
    )
    outcome = reference_outcome(frame, source="sweep")
    if outcome.groups == 0:
        return None, None
    return len(outcome.moved), outcome.moved_patients


def write_rows(rows: Sequence[SweepRow], *, options: Sequence[str], path: Path) -> None:
    """Write sweep.csv (UTF-8, ``\\n`` line ends).

    Parameters
    ----------
    rows
        The rows, in order.
    options
        The option columns (:func:`option_columns`).
    path
        The file to write.
    """
    path.write_text(rows_csv(rows, options=options), encoding="utf-8")


def rows_csv(rows: Sequence[SweepRow], *, options: Sequence[str]) -> str:
    """sweep.csv's text.

    Parameters
    ----------
    rows
        The rows, in order.
    options
        The option columns.

    Returns
    -------
    str
        The CSV text, header first.
    """
    buffer = io.StringIO()
    columns = ["cell", "footprint", *map(column_name, options), *RESULT_COLUMNS]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.record(options))
    return buffer.getvalue()


def timings(
    results: Mapping[str, FootprintResult], *, workers: int, solve: float, total: float
) -> dict[str, Any]:
    """timings.json: seconds per cell and level (and whether an earlier run solved it), the
    Dask part and the whole run.

    Parameters
    ----------
    results
        Every cell's result by label, in order.
    workers
        Dask workers used (0 when every cell was resumed).
    solve
        Seconds of the Dask part.
    total
        Seconds of the whole run.

    Returns
    -------
    dict
        The file's content.
    """
    cells = {
        label: {**r.timings, "resumed": r.resumed, "status": r.status}
        for label, r in results.items()
    }
    return {
        "total": round(total, 3),
        "solve": round(solve, 3),
        "workers": workers,
        "cells": cells,
    }
