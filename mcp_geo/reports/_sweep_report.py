"""The board report of a sweep folder (``mcp-geo sweep``): what each rule costs.

sweep.csv gives one row per cell (``cell``, ``footprint``, the options by name with the varied
ones first, then :data:`~mcp_geo.national._sweep_rows.RESULT_COLUMNS`); scenario.toml's
``[sweep]`` table names the varied options (``vary = {option = [values]}``). The report draws
travel against each varied option, the trade-offs (travel against hub count and against
practices moved), and lists the cells.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.national._sweep_rows import RESULT_COLUMNS
from mcp_geo.reports._html import Block, Image, Page, Paragraphs, Section, table_of
from mcp_geo.reports.charts import ChartFiles, write_chart
from mcp_geo.reports.sweep_charts import (
    pareto_chart,
    solved_cells,
    travel_chart,
)

TRADE_OFFS = ("n_hubs", "moved_practices_vs_pcn", "moved_practices_vs_base")
"""The measures traded against travel, each drawn when some cell has it."""


def _bad(path: Path, message: str, value: object = None) -> ValidationError:
    return ValidationError([Problem(message, source=str(path), value=value)], context="report")


def read_sweep(path: Path) -> pd.DataFrame:
    """sweep.csv as text cells, its columns checked.

    Parameters
    ----------
    path
        sweep.csv.

    Returns
    -------
    pandas.DataFrame
        One row per cell, every cell as text (empty where empty).

    Raises
    ------
    ValidationError
        The file cannot be read or lacks sweep.csv's columns (naming them).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise _bad(path, f"cannot be read as CSV ({exc})") from exc
    missing = [c for c in ("cell", "footprint", *RESULT_COLUMNS) if c not in frame.columns]
    if missing:
        raise _bad(path, "lacks the columns of sweep.csv", ", ".join(missing))
    return frame


def varied_options(folder: Path, frame: pd.DataFrame) -> tuple[str, ...]:
    """The options the sweep varies: scenario.toml's ``[sweep] vary``, else the option columns
    whose value changes between cells.

    Parameters
    ----------
    folder
        The sweep folder.
    frame
        sweep.csv's rows.

    Returns
    -------
    tuple of str
        Option names, as sweep.csv's columns.
    """
    options = [c for c in frame.columns if c not in ("cell", "footprint", *RESULT_COLUMNS)]
    try:
        scenario = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        vary = scenario.get("sweep", {}).get("vary", {})
    except (OSError, ValueError, AttributeError):
        vary = {}
    named = [str(k) for k in vary if str(k) in options] if isinstance(vary, dict) else []
    if named:
        return tuple(named)
    return tuple(c for c in options if frame[c].nunique() > 1)


def _headline(frame: pd.DataFrame, varied: tuple[str, ...]) -> tuple[str, ...]:
    footprints = list(dict.fromkeys(frame["footprint"]))
    values = "; ".join(
        f"{o}: {', '.join(dict.fromkeys(frame[o].replace('', 'free')))}" for o in varied
    )
    counts = frame["status"].value_counts()
    lines = [
        f"{len(frame)} plans (cells) of {', '.join(footprints)}, varying {values or 'nothing'}.",
        f"{counts.get('optimal', 0)} proven optimal, {counts.get('feasible', 0)} solved to within "
        f"a gap, {len(frame) - counts.get('optimal', 0) - counts.get('feasible', 0)} without a plan.",
    ]
    solved = solved_cells(frame)
    if not solved.empty:
        best = solved.loc[solved["travel_mean_km"].idxmin()]
        at = ", ".join(f"{o} = {best[o] or 'free'}" for o in varied)
        lines.append(
            f"The least mean travel is {best['travel_mean_km']:.2f} km (cell {best['cell']}, "
            f"{best['footprint']}{', ' + at if at else ''}); the most "
            f"{solved['travel_mean_km'].max():.2f} km."
        )
    return tuple(lines)


def _cells_table(frame: pd.DataFrame, varied: tuple[str, ...]) -> Block:
    columns = ("cell", "footprint", *varied, "status", "gap", "hubs", "MCPs", "mean km", "p95 km")
    columns += ("max km", "exceptions", "moved vs PCNs")
    rows = []
    for _, r in frame.iterrows():
        gap = pd.to_numeric(pd.Series([r["gap"]]), errors="coerce").iloc[0]
        rows.append(
            (
                r["cell"],
                r["footprint"],
                *(r[o] or "free" for o in varied),
                r["status"],
                "" if pd.isna(gap) else f"{100 * gap:.2f}%",
                r["n_hubs"],
                r["n_mcps"],
                r["travel_mean_km"],
                r["travel_p95_km"],
                r["travel_max_km"],
                r["exceptions"],
                r["moved_practices_vs_pcn"],
            )
        )
    first = 2 + len(varied)
    return table_of(
        "Every cell (sweep.csv has every column)",
        columns,
        rows,
        numeric=range(first + 1, len(columns)),
    )


def _failures(frame: pd.DataFrame) -> Block | None:
    failed = frame[~frame["status"].isin(("optimal", "feasible"))]
    if failed.empty:
        return None
    rows = [(r["cell"], r["footprint"], r["status"], r["reason"]) for _, r in failed.iterrows()]
    return table_of("Cells without a plan", ("cell", "footprint", "status", "why"), rows)


def _charts(frame: pd.DataFrame, varied: tuple[str, ...], charts: Path) -> list[ChartFiles]:
    drawn = []
    several = frame["footprint"].nunique() > 1
    for option in varied:
        others = [o for o in varied if o != option]
        by = others[0] if len(others) == 1 else ("footprint" if several else None)
        drawn.append(
            write_chart(
                travel_chart(frame, option=option, by=by),
                charts,
                name=f"travel-{option}",
                description=f"Mean travel against {option}; proven-optimal cells filled",
            )
        )
    solved = solved_cells(frame)
    for measure in TRADE_OFFS:
        if pd.to_numeric(solved[measure], errors="coerce").notna().sum() >= 2:
            drawn.append(
                write_chart(
                    pareto_chart(frame, x=measure),
                    charts,
                    name=f"pareto-{measure}",
                    description=f"Travel against {measure}: the non-dominated cells joined",
                )
            )
    return drawn


def sweep_page(folder: Path, *, charts: Path) -> tuple[Page, list[ChartFiles]]:
    """The report page of the sweep folder ``folder``, its charts drawn into ``charts``.

    Parameters
    ----------
    folder
        A sweep folder.
    charts
        Where the charts go.

    Returns
    -------
    tuple
        The page, and the charts written.
    """
    from mcp_geo import ATTRIBUTION, __version__

    frame = read_sweep(folder / "sweep.csv")
    varied = varied_options(folder, frame)
    drawn = _charts(frame, varied, charts)
    images = tuple(
        Image(data=c.svg.read_bytes(), mime="image/svg+xml", alt=c.description) for c in drawn
    )
    failures = _failures(frame)
    cells: tuple[Block, ...] = (_cells_table(frame, varied),)
    if failures is not None:
        cells += (failures,)
    sections = (
        Section("headline", "In brief", (Paragraphs(_headline(frame, varied), lead=True),)),
        Section(
            "charts", "Charts", images or (Paragraphs(("No cell has a plan.",)),), new_page=True
        ),
        Section("cells", "Cells", cells, new_page=True),
        Section(
            "provenance",
            "Data and licence",
            (
                Paragraphs(
                    (
                        "Each cell is a plan folder in cells/<n>/ with its own report.json "
                        "(data snapshot, certificate, provenance). " + ATTRIBUTION,
                    )
                ),
            ),
        ),
    )
    page = Page(
        title=f"Sweep of {', '.join(dict.fromkeys(frame['footprint']))}",
        subtitle=f"A sweep made by mcp-geo {__version__}.",
        sections=sections,
        footer=(ATTRIBUTION, f"Made by mcp-geo {__version__}."),
    )
    return page, drawn
