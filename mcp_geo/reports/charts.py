"""Charts for board papers: typed inputs in, matplotlib Figures out, saved byte for byte the same.

Each chart function is pure: it takes a small typed value (or, for sweeps, a DataFrame with
sweep.csv's columns: :mod:`mcp_geo.reports.sweep_charts`) and returns a
:class:`matplotlib.figure.Figure` made without pyplot, so a user's own pyplot session and its
state are never touched. :func:`write_chart` saves a figure as PNG and SVG with nothing in the
files that changes between runs: no date, no software version, SVG ids from a fixed salt.

Every plotted series carries a ``gid`` (``size-0``, ``floor``, ``a``/``b`` bars) that the SVG
keeps as the ``id`` of its group, so a reader (or a test) finds each series in the file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

INK = "#222222"
A_COLOUR = "#0072B2"  # Okabe-Ito blue
B_COLOUR = "#E69F00"  # Okabe-Ito orange
EXCEPTION_COLOUR = "#D55E00"  # Okabe-Ito vermillion
BOUND_COLOUR = "#555555"
WIDTH_IN = 7.2
"""Figure width in inches: the text width of an A4 page with 15 mm margins."""

SAVE_RC: dict[str, Any] = {
    "svg.hashsalt": "mcp-geo",  # the ids SVG elements get: the same on every run
    "svg.fonttype": "none",  # text stays text: searchable, and read back by tests
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
}
"""rcParams in force while a chart is drawn and saved (restored afterwards)."""


def house_style() -> AbstractContextManager[None]:
    """:data:`SAVE_RC` in force for a ``with`` block (matplotlib restores the rest after)."""
    return matplotlib.rc_context(cast(Any, SAVE_RC))


@dataclass(frozen=True)
class SizeSeries:
    """The list sizes of one level's groups, and the bounds they are held to.

    Attributes
    ----------
    level
        ``hubs`` or ``mcps``.
    ids
        The groups' ids (``H01``), in the order of ``patients``.
    patients
        Each group's registered patients.
    floor, ceiling
        The bounds (``hub_min``, ``hub_max``; ``mcp_min``, ``mcp_max``); ceiling None: none.
    exceptions
        Ids of the groups allowed outside the bounds (named in the report).
    """

    level: Literal["hubs", "mcps"]
    ids: tuple[str, ...]
    patients: tuple[int, ...]
    floor: int
    ceiling: int | None
    exceptions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.patients):
            raise ValueError(f"{len(self.ids)} ids for {len(self.patients)} sizes")
        if any(p < 0 for p in self.patients):
            raise ValueError("list sizes must be >= 0")


@dataclass(frozen=True)
class Measure:
    """One measure of a comparison view: its name, unit kind and the two sides' values."""

    name: str
    kind: str
    a: float | None
    b: float | None


@dataclass(frozen=True)
class ViewBars:
    """One view of a comparison as bars: A's and B's value of each numeric measure.

    Attributes
    ----------
    title
        The view's title (``the same rules on both``).
    a_label, b_label
        The two sides' names.
    measures
        The measures with a number on at least one side.
    """

    title: str
    a_label: str
    b_label: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class ChartFiles:
    """A chart as written: its PNG and SVG, and the words that describe it (the ``alt`` text)."""

    name: str
    png: Path
    svg: Path
    description: str


def new_figure(*, height: float, width: float = WIDTH_IN) -> Figure:
    """A blank figure of the house size, drawn with the Agg backend (no pyplot).

    Parameters
    ----------
    height
        Height in inches.
    width
        Width in inches (the A4 text width by default).

    Returns
    -------
    Figure
        With white background and a constrained layout.
    """
    with house_style():
        return Figure(figsize=(width, height), layout="constrained", facecolor="white")


def size_chart(series: SizeSeries) -> Figure:
    """Each group's list size as a bar, sorted, with the floor and ceiling drawn across.

    Parameters
    ----------
    series
        The groups of one level and their bounds.

    Returns
    -------
    Figure
        One bar per group, smallest first (``gid`` ``size-<k>``; exceptions in vermillion), the floor and the
        ceiling as dashed lines (``floor``, ``ceiling``).
    """
    order = sorted(range(len(series.ids)), key=lambda i: (series.patients[i], series.ids[i]))
    ids = [series.ids[i] for i in order]
    sizes = [series.patients[i] for i in order]
    word = "Hub" if series.level == "hubs" else "MCP"
    figure = new_figure(height=3.0)
    with house_style():
        ax = figure.add_subplot()
        colours = [EXCEPTION_COLOUR if i in series.exceptions else A_COLOUR for i in ids]
        bars = ax.bar(range(len(ids)), sizes, color=colours, width=0.7, label=f"{word}s")
        for k, bar in enumerate(bars):
            bar.set_gid(f"size-{k}")
        _bound_line(ax, series.floor, name="floor", text=f"floor {series.floor:,}")
        if series.ceiling is not None:
            _bound_line(ax, series.ceiling, name="ceiling", text=f"ceiling {series.ceiling:,}")
        ax.set_xticks(range(len(ids)), ids if len(ids) <= 40 else [""] * len(ids))
        ax.tick_params(axis="x", labelrotation=90 if len(ids) > 12 else 0, labelsize=7)
        top = max([*sizes, series.floor, series.ceiling or 0])
        ax.set_ylim(0, top * 1.12 if top else 1)
        ax.yaxis.set_major_formatter("{x:,.0f}")
        ax.set_ylabel("registered patients")
        noun = ("hub" if word == "Hub" else word) + ("" if len(ids) == 1 else "s")
        ax.set_title(f"{word} sizes against the bounds ({len(ids)} {noun})", loc="left")
        _tidy(ax)
    return figure


def _bound_line(ax: Axes, value: float, *, name: str, text: str) -> None:
    line = ax.axhline(value, color=BOUND_COLOUR, linestyle="--", linewidth=1.2)
    line.set_gid(name)
    ax.annotate(
        text,
        xy=(1.0, value),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color=BOUND_COLOUR,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0, "alpha": 0.9},
    )


def _tidy(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def view_bars(view: ViewBars, *, columns: int = 4) -> Figure:
    """A comparison view as small multiples: one panel per measure, A's bar beside B's.

    Measures have different units, so each has its own axis; a side without a value shows no
    bar and says ``n/a``.

    Parameters
    ----------
    view
        The view's numeric measures.
    columns
        Panels per row.

    Returns
    -------
    Figure
        Panels titled by measure; A's bars have ``gid`` ``a-<k>``, B's ``b-<k>`` (k: the
        measure's position).
    """
    n = max(1, len(view.measures))
    rows = math.ceil(n / columns)
    figure = new_figure(height=0.4 + 1.75 * rows)
    with house_style():
        axes = figure.subplots(rows, columns, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(view.measures):
                ax.set_visible(False)
                continue
            _measure_panel(ax, view.measures[k], k=k, labels=(view.a_label, view.b_label))
        handles = [
            Patch(color=A_COLOUR, label=f"A: {view.a_label}"),
            Patch(color=B_COLOUR, label=f"B: {view.b_label}"),
        ]
        figure.legend(handles=handles, loc="outside upper left", ncols=2, frameon=False)
    return figure


def _measure_panel(ax: Axes, measure: Measure, *, k: int, labels: tuple[str, str]) -> None:
    values = (measure.a, measure.b)
    for side, (value, colour, name) in enumerate(
        zip(values, (A_COLOUR, B_COLOUR), ("a", "b"), strict=True)
    ):
        if value is None or not math.isfinite(value):
            ax.text(side, 0, "n/a", ha="center", va="bottom", fontsize=7, color=BOUND_COLOUR)
            continue
        (bar,) = ax.bar([side], [value], color=colour, width=0.6)
        bar.set_gid(f"{name}-{k}")
        ax.annotate(
            _value_text(value, measure.kind),
            xy=(side, value),
            xytext=(0, 1),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
        )
    known = [v for v in values if v is not None and math.isfinite(v)]
    top = max([0.0, *known])
    ax.set_ylim(min([0.0, *known]) * 1.2, top * 1.25 if top > 0 else 1)
    ax.set_xlim(-0.7, 1.7)
    ax.set_xticks([0, 1], ["A", "B"])
    ax.set_yticks([])
    ax.set_title(_wrapped(measure.name, width=26), fontsize=7.5, loc="left")
    ax.spines[["top", "right", "left"]].set_visible(False)


def _value_text(value: float, kind: str) -> str:
    if kind in ("count", "patients"):
        return f"{value:,.0f}"
    if kind == "fraction":
        return f"{100 * value:.0f}%"
    return f"{value:,.1f}"


def _wrapped(text: str, *, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line][:3])


def write_chart(
    figure: Figure, folder: Path, *, name: str, description: str, dpi: int = 150
) -> ChartFiles:
    """Save ``figure`` as ``folder/name.png`` and ``folder/name.svg``, deterministically.

    Two writes of the same figure give byte-identical files: the SVG has no date and its ids
    come from a fixed salt (``svg.hashsalt``); the PNG has no software or time chunk.

    Parameters
    ----------
    figure
        The chart.
    folder
        Where the files go (created if missing).
    name
        The files' stem (``hub-sizes``).
    description
        What the chart shows, in words (the HTML's ``alt`` text; also the SVG's title).
    dpi
        The PNG's resolution.

    Returns
    -------
    ChartFiles
        The paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    png.write_bytes(chart_bytes(figure, fmt="png", description=description, dpi=dpi))
    svg.write_bytes(chart_bytes(figure, fmt="svg", description=description, dpi=dpi))
    return ChartFiles(name=name, png=png, svg=svg, description=description)


def chart_bytes(
    figure: Figure, *, fmt: Literal["png", "svg"], description: str = "", dpi: int = 150
) -> bytes:
    """``figure`` as PNG or SVG bytes, with nothing in them that changes between runs.

    Parameters
    ----------
    figure
        The chart.
    fmt
        ``png`` or ``svg``.
    description
        The SVG's title (ignored for PNG).
    dpi
        The PNG's resolution.

    Returns
    -------
    bytes
        The file's content.
    """
    buffer = io.BytesIO()
    metadata: dict[str, str | None]
    if fmt == "svg":
        metadata = {"Date": None, "Creator": "mcp-geo"}
        if description:
            metadata["Title"] = description
    else:
        metadata = {"Software": None}
    with house_style():
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def numbers(values: Sequence[object]) -> tuple[float | None, ...]:
    """Values as floats, None for what is not a finite number (text, empty, NaN).

    Parameters
    ----------
    values
        Numbers as read from a file (numbers, numeric text, None).

    Returns
    -------
    tuple of float or None
        One per value.
    """
    out: list[float | None] = []
    for value in values:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(number if math.isfinite(number) else None)
    return tuple(out)
