"""Write a comparison folder: comparison.csv, comparison.json, changes.csv and what else is given."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from mcp_geo._folders import write_output_dir
from mcp_geo.pipeline.compare._model import CHANGES_COLUMNS, OWN_CHANGES_COLUMNS, Comparison
from mcp_geo.plans.plan import Plan
from mcp_geo.plans.write import spreadsheet_safe, write_plan_files

log = logging.getLogger(__name__)


def write_comparison(
    comparison: Comparison,
    out: str | Path,
    *,
    plans: Mapping[str, Plan] | None = None,
    extra: Mapping[str, Callable[[Path], None]] | None = None,
) -> dict[str, Path]:
    """Write comparison.csv, comparison.json and changes.csv into ``out``, with the plans and
    extra files given.

    changes.csv has :data:`~mcp_geo.pipeline.compare.CHANGES_COLUMNS`, and with view 4 (the
    comparison's ``own``) :data:`~mcp_geo.pipeline.compare.OWN_CHANGES_COLUMNS` after them.

    The folder is written atomically and, like a plan folder, only a new, empty or earlier
    comparison folder of this tool is replaced.

    Parameters
    ----------
    comparison
        What :func:`compare_plans` or :func:`compare_with_pcns` returned.
    out
        The folder to write.
    plans
        Plan folders to add (name -> plan, e.g. ``{"plan-a": a}``) for the plans the comparison
        made.
    extra
        More entries, name -> writer of that path, written in the same transaction: the CLI
        passes ``{"map.html": ...}`` drawn by :func:`mcp_geo.maps.compare_map.write_comparison_map`
        (maps come after the pipeline, so the pipeline does not draw).

    Returns
    -------
    dict of str to Path
        Each entry written, by name.

    Raises
    ------
    ValidationError
        ``out`` is a folder this tool did not write as a comparison.
    """
    writers: dict[str, Callable[[Path], None]] = {
        "comparison.csv": functools.partial(_write_table, comparison),
        "comparison.json": functools.partial(_write_json, comparison),
        "changes.csv": functools.partial(_write_changes, comparison),
        **(extra or {}),
    }
    for name, plan in (plans or {}).items():
        writers[name] = functools.partial(write_plan_files, plan)
    folder = write_output_dir(out, writers, kind="comparison")
    log.info("comparison written to %s", folder)
    return {name: folder / name for name in writers}


def _write_table(comparison: Comparison, path: Path) -> None:
    comparison.table().to_csv(path, index=False, lineterminator="\n")


def _write_json(comparison: Comparison, path: Path) -> None:
    text = json.dumps(comparison.to_json(), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _flag(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(bool(value)).lower()


def _write_changes(comparison: Comparison, path: Path) -> None:
    changes = comparison.changes.copy()
    columns = list(CHANGES_COLUMNS)
    if comparison.own is not None:
        columns += OWN_CHANGES_COLUMNS
    for column in ("moved_hub", "moved_mcp", "moved_hub_own"):
        if column in changes:
            changes[column] = [_flag(v) for v in changes[column]]
    changes["patients"] = changes["patients"].astype("int64").astype(str)
    changes = spreadsheet_safe(changes.fillna(""))  # practice names are free text
    changes[columns].to_csv(path, index=False, lineterminator="\n")
