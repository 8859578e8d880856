"""The board report of a comparison folder (``mcp-geo compare A B --out DIR``).

comparison.json gives the views and their measures; each view is said in a headline, drawn as
side-by-side bars (one small panel per measure, A beside B) and listed in a table. changes.csv
gives the practices that change hub (the largest first); the plans the comparison made
(``plan-a/``, ``plan-b/``) each get their static map.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.plans.write import from_spreadsheet_text
from mcp_geo.reports._html import Block, Image, Link, Page, Paragraphs, Section, table_of
from mcp_geo.reports.charts import ChartFiles, Measure, ViewBars, view_bars, write_chart

SHOWN_CHANGES = 30
HEADLINE_MEASURES = {
    "same_rules": (
        "hubs",
        "MCPs",
        "km to hub base, patient-weighted mean",
        "MCP span km, max",
    ),
    "one_provider": (
        "provider patients",
        "provider span km, whole footprint",
        "km practice to provider base, mean, whole footprint",
    ),
    "continuity": (
        "hub partner retention",
        "practices moving hub",
        "patients moving hub",
        "hubs kept whole",
    ),
}
"""The measures each view's headline names (others: its first four numeric measures)."""


def _bad(path: Path, message: str, value: object = None) -> ValidationError:
    return ValidationError([Problem(message, source=str(path), value=value)], context="report")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _kind(name: str) -> str:
    if name.startswith("share of") or "retention" in name or "Rand" in name:
        return "fraction"
    if "km" in name:
        return "km"
    return "patients" if "patients" in name else "count"


def read_views(
    path: Path,
) -> tuple[str, str, list[tuple[str, ViewBars, list[tuple[str, str, str]]]]]:
    """comparison.json's sides and views: per view its id, its bars and its rows as text.

    Parameters
    ----------
    path
        comparison.json.

    Returns
    -------
    tuple
        A's label, B's label, and per view (id, bars, rows of measure, A, B).

    Raises
    ------
    ValidationError
        The file cannot be read or is not a comparison's JSON (naming the file and field).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(path, f"cannot be read as JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("views"), dict):
        raise _bad(path, "is not a comparison's JSON: no 'views'")
    a, b = str(data.get("a", "A")), str(data.get("b", "B"))
    out = []
    for view, body in data["views"].items():
        measures = body.get("measures") if isinstance(body, dict) else None
        if not isinstance(measures, list) or not all(isinstance(m, dict) for m in measures):
            raise _bad(path, "has a view without a list of measures", str(view))
        bars, rows = [], []
        for m in measures:
            name = str(m.get("measure", ""))
            rows.append((name, _text(m.get("a")), _text(m.get("b"))))
            va, vb = _number(m.get("a")), _number(m.get("b"))
            if va is not None or vb is not None:
                bars.append(Measure(name=name, kind=_kind(name), a=va, b=vb))
        title = str(body.get("title", view))
        out.append(
            (str(view), ViewBars(title=title, a_label=a, b_label=b, measures=tuple(bars)), rows)
        )
    return a, b, out


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def view_headline(view: str, bars: ViewBars) -> str:
    """One view in a sentence: the measures it is known by, A's value against B's.

    Parameters
    ----------
    view
        The view's id (``same_rules``).
    bars
        Its numeric measures.

    Returns
    -------
    str
        ``The same rules on both: hubs 16 (A) against 13 (B); ...``.
    """
    wanted = HEADLINE_MEASURES.get(view)
    chosen = [m for m in bars.measures if wanted is None or m.name in wanted]
    chosen = chosen[:4] if wanted is None else sorted(chosen, key=lambda m: wanted.index(m.name))
    parts = [f"{m.name} {_side(m.a, m.kind)} (A) against {_side(m.b, m.kind)} (B)" for m in chosen]
    title = bars.title[:1].upper() + bars.title[1:]
    return f"{title}: {'; '.join(parts)}." if parts else f"{title}."


def _side(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "fraction":
        return f"{100 * value:.0f}%"
    return f"{value:,.0f}" if kind in ("count", "patients") else f"{value:,.2f}"


def changes_block(path: Path) -> Block:
    """The shared practices that change hub, the largest first (at most :data:`SHOWN_CHANGES`)."""
    if not path.is_file():
        return Paragraphs(("changes.csv is not in the folder.",))
    try:
        changes = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise _bad(path, f"cannot be read as CSV ({exc})") from exc
    needed = {"practice_code", "practice_name", "patients", "a_hub", "b_hub", "moved_hub"}
    if missing := sorted(needed - set(changes.columns)):
        raise _bad(path, "lacks the columns of changes.csv", ", ".join(missing))
    patients = pd.to_numeric(changes["patients"], errors="coerce").fillna(0).clip(lower=0)
    moved = (
        changes[changes["moved_hub"] == "true"]
        .assign(moved_patients=patients)
        .sort_values(["moved_patients", "practice_code"], ascending=[False, True], kind="mergesort")
    )
    rows = [
        (
            r.practice_code,
            from_spreadsheet_text(r.practice_name),
            f"{int(r.moved_patients):,}",
            r.a_hub,
            r.b_hub,
        )
        for r in moved.head(SHOWN_CHANGES).itertuples()
    ]
    caption = (
        f"{len(moved):,} of {len(changes):,} shared practices change hub "
        f"({int(moved['moved_patients'].sum()):,} patients)"
    )
    note = (
        f"the {SHOWN_CHANGES} largest shown; changes.csv lists every shared practice"
        if len(moved) > SHOWN_CHANGES
        else ""
    )
    return table_of(
        caption,
        ("practice", "name", "patients", "hub in A", "hub in B"),
        rows,
        numeric=(2,),
        note=note,
    )


def _plan_maps(folder: Path, charts: Path) -> tuple[list[Block], list[ChartFiles]]:
    from mcp_geo.plans.read import read_plan
    from mcp_geo.reports._static_map import plan_map

    blocks: list[Block] = []
    drawn: list[ChartFiles] = []
    for side, name in (("A", "plan-a"), ("B", "plan-b")):
        if not (folder / name / "report.json").is_file():
            continue
        plan = read_plan(folder / name)
        chart = write_chart(
            plan_map(plan, title=f"{side}: {plan.footprint_title}"),
            charts,
            name=f"{name}-map",
            description=f"Map of {side}, {plan.footprint_title}",
        )
        drawn.append(chart)
        blocks.append(
            Image(data=chart.svg.read_bytes(), mime="image/svg+xml", alt=chart.description)
        )
    if not blocks:
        blocks.append(
            Paragraphs(
                (
                    "The plans compared were read from folders given on the command line; their "
                    "maps are in their own folders (mcp-geo report on each).",
                )
            )
        )
    return blocks, drawn


def comparison_page(folder: Path, *, charts: Path) -> tuple[Page, list[ChartFiles]]:
    """The report page of the comparison folder ``folder``, its charts drawn into ``charts``.

    Parameters
    ----------
    folder
        A comparison folder.
    charts
        Where the charts go.

    Returns
    -------
    tuple
        The page, and the charts written.
    """
    from mcp_geo import ATTRIBUTION, __version__

    a, b, views = read_views(folder / "comparison.json")
    drawn: list[ChartFiles] = []
    view_blocks: list[Block] = []
    for number, (view, bars, rows) in enumerate(views, start=1):
        view_blocks.append(Paragraphs((f"{number}. {view_headline(view, bars)}",), lead=True))
        if bars.measures:
            chart = write_chart(
                view_bars(bars),
                charts,
                name=f"view-{number}",
                description=f"{bars.title}: A and B side by side",
            )
            drawn.append(chart)
            view_blocks.append(
                Image(data=chart.svg.read_bytes(), mime="image/svg+xml", alt=chart.description)
            )
        view_blocks.append(table_of(bars.title, ("measure", "A", "B"), rows, numeric=(1, 2)))
    maps, map_charts = _plan_maps(folder, charts)
    drawn += map_charts
    headline = Paragraphs(
        (
            f"A: {a}. B: {b}. Compared on the practices both hold, in {len(views)} views.",
            *(view_headline(view, bars) for view, bars, _rows in views),
        ),
        lead=True,
    )
    link: list[Block] = []
    if (folder / "map.html").is_file():
        link.append(
            Link(
                href="map.html",
                text="map.html",
                before="The two plans side by side, interactive: ",
                after=".",
            )
        )
    sections = (
        Section("headline", "In brief", (headline,)),
        Section("views", "The views", tuple(view_blocks), new_page=True),
        Section(
            "changes",
            "Practices that change hub",
            (changes_block(folder / "changes.csv"),),
            new_page=True,
        ),
        Section("maps", "Maps", (*maps, *link), new_page=True),
        Section(
            "provenance",
            "Data and licence",
            (Paragraphs(("comparison.csv gives each measure's definition. " + ATTRIBUTION,)),),
        ),
    )
    page = Page(
        title=f"{a} against {b}",
        subtitle=f"A comparison made by mcp-geo {__version__}.",
        sections=sections,
        footer=(ATTRIBUTION, f"Made by mcp-geo {__version__}."),
    )
    return page, drawn
