"""Charts of a sweep: what each rule costs in travel, and the trade-offs between two measures.

The input is a DataFrame with the columns of a sweep folder's ``sweep.csv`` (one row per cell):
``cell``, ``footprint``, the scenario options by name (the varied ones first), then
:data:`mcp_geo.national._sweep_rows.RESULT_COLUMNS`. The charts draw only the cells that have a plan (``status``
``optimal`` or ``feasible``).

- :func:`travel_chart`: the mean travel against one varied option, one line per value of
  another (or per footprint). A proven-optimal cell is a filled marker; a cell solved only to a
  gap is hollow, with an error bar down to its proven bound (``travel x (1 - gap)``: the gap is
  the hub level's, and the mean travel is the hub objective over the footprint's patients).
- :func:`pareto_chart`: travel against a second measure (hub count, practices moved); the
  non-dominated cells (no other cell has less of both) are joined, per footprint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mcp_geo.reports.charts import BOUND_COLOUR, house_style, new_figure

SOLVED = ("optimal", "feasible")
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
LABELS = {
    "travel_mean_km": "mean travel to hub base (km)",
    "n_hubs": "hub count",
    "n_mcps": "MCP count",
    "moved_practices_vs_pcn": "practices moved out of today's PCNs",
    "moved_practices_vs_base": "practices moved from the base plan",
    "moved_patients_vs_pcn": "patients moved out of today's PCNs",
    "moved_patients_vs_base": "patients moved from the base plan",
}


@dataclass(frozen=True)
class Point:
    """One solved cell as drawn: its x position and label, travel, gap and proof."""

    cell: str
    x: float
    x_label: str
    travel: float
    gap: float
    optimal: bool


def solved_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The cells with a plan and a finite mean travel, ``gap`` as a number (0 where empty).

    Parameters
    ----------
    frame
        sweep.csv's rows.

    Returns
    -------
    pandas.DataFrame
        The rows with status ``optimal`` or ``feasible``, ``travel_mean_km`` and ``gap`` as
        floats.
    """
    rows = frame[frame["status"].astype(str).isin(SOLVED)].copy()
    rows["travel_mean_km"] = pd.to_numeric(rows["travel_mean_km"], errors="coerce")
    gap = pd.to_numeric(rows["gap"], errors="coerce").fillna(0.0)
    rows["gap"] = gap.clip(lower=0.0, upper=1.0)
    return rows[rows["travel_mean_km"].map(lambda v: math.isfinite(v))]


def _option_text(value: object) -> str:
    """An option's value as sweep.csv holds it, in words (empty: ``free``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "free"
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]
    return text or "free"


def _positions(values: pd.Series) -> tuple[dict[str, float], bool]:
    """Where each option value goes on the x axis: its number when every value is one, else
    its place in the order the sweep lists them."""
    texts = [_option_text(v) for v in values]
    numeric = pd.to_numeric(pd.Series(texts), errors="coerce")
    if len(texts) and numeric.notna().all():
        return {t: float(n) for t, n in zip(texts, numeric, strict=True)}, True
    order = list(dict.fromkeys(texts))
    return {t: float(k) for k, t in enumerate(order)}, False


def travel_points(frame: pd.DataFrame, *, option: str) -> list[Point]:
    """The solved cells of ``frame`` as points of travel against ``option``, sorted by x.

    Parameters
    ----------
    frame
        sweep.csv's rows (any: the unsolved are left out).
    option
        The varied option on the x axis (a column of ``frame``).

    Returns
    -------
    list of Point
        One per solved cell.
    """
    rows = solved_cells(frame)
    where, _numeric = _positions(frame[option])
    points = [
        Point(
            cell=str(row["cell"]),
            x=where[_option_text(row[option])],
            x_label=_option_text(row[option]),
            travel=float(row["travel_mean_km"]),
            gap=float(row["gap"]),
            optimal=str(row["status"]) == "optimal",
        )
        for _, row in rows.iterrows()
    ]
    return sorted(points, key=lambda p: (p.x, p.cell))


def travel_chart(frame: pd.DataFrame, *, option: str, by: str | None = None) -> Figure:
    """Mean travel against one varied option; one line per value of ``by``.

    Parameters
    ----------
    frame
        sweep.csv's rows.
    option
        The varied option on the x axis.
    by
        Another varied option, or ``footprint``, whose values get a line each (None: one line).

    Returns
    -------
    Figure
        Per line ``k``: the line (``gid`` ``travel-<k>``), the proven-optimal cells filled
        (``optimal-<k>``), the others hollow with error bars to their bound (``gap-<k>``).
    """
    figure = new_figure(height=3.2)
    groups = _groups(frame, by)
    where, numeric = _positions(frame[option])
    with house_style():
        ax = figure.add_subplot()
        for k, (label, rows) in enumerate(groups):
            colour = PALETTE[k % len(PALETTE)]
            points = travel_points(rows, option=option)
            _draw_line(ax, points, k=k, colour=colour, label=label)
        if not numeric:
            ax.set_xticks(list(where.values()), list(where))
        ax.set_xlabel(option)
        ax.set_ylabel(LABELS["travel_mean_km"])
        ax.set_title(f"Travel against {option}", loc="left")
        _finish(ax, legend=by is not None, note=PROOF_NOTE)
    return figure


def _groups(frame: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    if by is None:
        return [("all cells", frame)]
    texts = frame[by].map(_option_text)
    return [(f"{by} = {t}", frame[texts == t]) for t in dict.fromkeys(texts)]


def _draw_line(ax: Axes, points: Sequence[Point], *, k: int, colour: str, label: str) -> None:
    if not points:
        return
    (line,) = ax.plot(
        [p.x for p in points], [p.travel for p in points], color=colour, linewidth=1.2, label=label
    )
    line.set_gid(f"travel-{k}")
    proven = [p for p in points if p.optimal]
    if proven:
        (dots,) = ax.plot(
            [p.x for p in proven], [p.travel for p in proven], "o", color=colour, markersize=6
        )
        dots.set_gid(f"optimal-{k}")
    open_ = [p for p in points if not p.optimal]
    if open_:
        bars = ax.errorbar(
            [p.x for p in open_],
            [p.travel for p in open_],
            yerr=[[p.travel * p.gap for p in open_], [0.0] * len(open_)],
            fmt="o",
            markerfacecolor="white",
            markeredgecolor=colour,
            ecolor=colour,
            capsize=3,
            markersize=6,
        )
        bars.lines[0].set_gid(f"gap-{k}")


PROOF_NOTE = "filled: proven optimal\nhollow: best found, bar down to the proven bound"


def _finish(ax: Axes, *, legend: bool, note: str) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(note, loc="right", fontsize=7, color=BOUND_COLOUR)
    if legend:
        ax.legend(frameon=False, fontsize=8)


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> tuple[int, ...]:
    """The non-dominated points when both measures are to be small: no other point is at most
    as large in both and smaller in one. Sorted by x, then y; of equal points, the first.

    Parameters
    ----------
    xs, ys
        The two measures, one pair per point.

    Returns
    -------
    tuple of int
        The indices of the front's points.

    Examples
    --------
    >>> pareto_front([1, 2, 3, 2], [5, 3, 4, 3])
    (0, 1)
    """
    order = sorted(range(len(xs)), key=lambda i: (xs[i], ys[i], i))
    front: list[int] = []
    best = math.inf
    for i in order:
        if ys[i] < best:
            front.append(i)
            best = ys[i]
    return tuple(front)


def pareto_chart(frame: pd.DataFrame, *, x: str, by: str = "footprint") -> Figure:
    """Travel against a second measure for every solved cell, the front of each ``by`` joined.

    Parameters
    ----------
    frame
        sweep.csv's rows.
    x
        The measure traded against travel (``n_hubs``, ``moved_practices_vs_pcn``, ...).
    by
        The column whose values get a front each (the footprint).

    Returns
    -------
    Figure
        Per group ``k``: every cell (``cells-<k>``) and the front joined (``front-<k>``).
    """
    figure = new_figure(height=3.2)
    rows = solved_cells(frame)
    rows = rows.assign(_x=pd.to_numeric(rows[x], errors="coerce")).dropna(subset=["_x"])
    with house_style():
        ax = figure.add_subplot()
        for k, (label, group) in enumerate(_groups(rows, by)):
            colour = PALETTE[k % len(PALETTE)]
            xs, ys = list(group["_x"]), list(group["travel_mean_km"])
            (cells,) = ax.plot(xs, ys, "o", color=colour, alpha=0.45, markersize=5)
            cells.set_gid(f"cells-{k}")
            front = pareto_front(xs, ys)
            (line,) = ax.plot(
                [xs[i] for i in front],
                [ys[i] for i in front],
                "o-",
                color=colour,
                drawstyle="steps-post",
                label=f"{label}: non-dominated cells",
            )
            line.set_gid(f"front-{k}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole ticks
        ax.set_xlabel(LABELS.get(x, x))
        ax.set_ylabel(LABELS["travel_mean_km"])
        ax.set_title(f"Travel against {LABELS.get(x, x)}", loc="left")
        _finish(
            ax, legend=True, note="joined: no other cell has less travel\nand less of the other"
        )
    return figure
