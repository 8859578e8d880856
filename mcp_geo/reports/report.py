"""``mcp-geo report DIR``: the board report of a plan, a comparison or a sweep folder.

:func:`report` writes, into the folder it reports on, ``report.html`` (one self-contained page
that opens offline and prints on A4), ``charts/`` (each chart and map as PNG and SVG, the same
bytes on every run) and ``report.pdf`` (printed by a Chromium the machine has, see
:mod:`mcp_geo.reports._pdf`). Those are the only files it replaces, and only when the tool wrote
them: the folder's marker lists them, so the folder stays one the tool may replace as a whole.

The folder's kind comes from its marker (``.mcp-geo.json``); a plan or comparison folder of an
earlier version (no marker) is recognised by its files. Anything else is refused by name.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcp_geo._errors import Problem, ValidationError
from mcp_geo._folders import (
    MARKER,
    OutputFolder,
    check_output_file,
    marker_kind,
    open_output_dir,
    owned_entries,
    write_marker,
)
from mcp_geo.reports._html import Page, render_page
from mcp_geo.reports._pdf import HOW_TO_GET_PDF, find_browser, print_pdf
from mcp_geo.reports.charts import ChartFiles

log = logging.getLogger(__name__)

ReportKind = Literal["plan", "comparison", "sweep"]
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
CHARTS_NAME = "charts"


@dataclass(frozen=True)
class Report:
    """What :func:`report` wrote.

    Attributes
    ----------
    folder
        The folder reported on.
    kind
        ``plan``, ``comparison`` or ``sweep``.
    html
        ``folder/report.html``.
    pdf
        ``folder/report.pdf``, or None when it was not printed (see ``message``).
    charts
        The chart files written (PNG and SVG), in ``folder/charts``.
    message
        Empty, or why the PDF was not written and how to get it.
    """

    folder: Path
    kind: ReportKind
    html: Path
    pdf: Path | None
    charts: tuple[Path, ...]
    message: str = ""


def folder_kind(folder: Path) -> ReportKind:
    """What kind of tool folder ``folder`` is (plan, comparison or sweep).

    Parameters
    ----------
    folder
        The folder to report on.

    Returns
    -------
    str
        ``plan``, ``comparison`` or ``sweep``.

    Raises
    ------
    ValidationError
        Not a folder, or not a plan, comparison or sweep folder the tool wrote.
    """
    source = str(folder)
    if not folder.is_dir():
        why = "does not exist" if not folder.exists() else "is not a folder"
        raise ValidationError(
            [Problem(f"{why}: name a plan, comparison or sweep folder", source=source)],
            context="report",
        )
    kind = marker_kind(folder)
    if kind is None:  # an earlier version's folder, without a marker
        if (folder / "report.json").is_file() and (folder / "plan.gpkg").is_file():
            kind = "plan"
        elif (folder / "comparison.csv").is_file():
            kind = "comparison"
    if kind in ("plan", "comparison", "sweep"):
        return kind  # type: ignore[return-value]
    what = (
        f"is a {kind} folder"
        if kind is not None
        else "is not a folder mcp-geo wrote (no .mcp-geo.json, report.json or comparison.csv)"
    )
    raise ValidationError(
        [
            Problem(
                f"{what}: a report is made of a plan, a comparison or a sweep folder", source=source
            )
        ],
        context="report",
    )


def _check_ours(folder: Path) -> None:
    """Refuse before writing when report.html, report.pdf or charts/ are not the tool's."""
    for name in (HTML_NAME, PDF_NAME):
        check_output_file(folder / name)
    charts = folder / CHARTS_NAME
    if not (charts.exists() or charts.is_symlink()):
        return
    owned = owned_entries(folder) or set()
    foreign = (
        [charts] if charts.is_symlink() or not charts.is_dir() or CHARTS_NAME not in owned else []
    )
    if not foreign:  # every file in charts/ is one the report wrote (charts/'s own marker)
        drawn = owned_entries(charts) or set()
        foreign = sorted(p for p in charts.iterdir() if p.name not in drawn | {MARKER})
    if foreign:
        raise ValidationError(
            [
                Problem(
                    "exists and was not written by mcp-geo; it was left as it is: move it "
                    "away to write the report",
                    source=str(foreign[0]),
                )
            ],
            context="report",
        )


def report(folder: str | Path, *, browser: str | Path | None = None, pdf: bool = True) -> Report:
    """Write the board report of a plan, comparison or sweep folder into that folder.

    Parameters
    ----------
    folder
        A folder written by ``mcp-geo plan``, ``compare`` or ``sweep``.
    browser
        The Chromium (or Chrome) to print the PDF with; by default the first found on the PATH.
    pdf
        Print report.pdf (False: only the HTML and the charts).

    Returns
    -------
    Report
        The paths written, and a message when the PDF could not be printed.

    Raises
    ------
    ValidationError
        Not a folder the tool wrote, a file in it cannot be read, report files in it that the
        tool did not write, or ``browser`` is not an executable.
    RunFailedError
        The browser failed to print (report.html is written).
    """
    path = Path(folder)
    kind = folder_kind(path)
    _check_ours(path)
    chosen = find_browser(browser) if pdf else None
    open_output_dir(
        OutputFolder(path=path, given=path, kind=kind), entries=(HTML_NAME, CHARTS_NAME)
    )
    charts_dir = path / CHARTS_NAME
    if charts_dir.is_dir():
        shutil.rmtree(charts_dir)  # ours (checked above): drawn again
    page, charts = _build(path, kind=kind, charts=charts_dir)
    drawn = [p.name for c in charts for p in (c.png, c.svg)]
    if charts_dir.is_dir():  # what a later report may replace
        write_marker(charts_dir, kind="report", entries=drawn)
    html = path / HTML_NAME
    _write_text(html, render_page(page))
    files = tuple(p for c in charts for p in (c.png, c.svg))
    if not pdf or chosen is None:
        (path / PDF_NAME).unlink(missing_ok=True)  # ours (checked above), and out of date
    if not pdf:
        return Report(folder=path, kind=kind, html=html, pdf=None, charts=files)
    if chosen is None:
        log.info("%s", HOW_TO_GET_PDF)
        return Report(
            folder=path, kind=kind, html=html, pdf=None, charts=files, message=HOW_TO_GET_PDF
        )
    open_output_dir(OutputFolder(path=path, given=path, kind=kind), entries=(PDF_NAME,))
    written = print_pdf(html, path / PDF_NAME, browser=chosen)
    return Report(folder=path, kind=kind, html=html, pdf=written, charts=files)


def _build(folder: Path, *, kind: ReportKind, charts: Path) -> tuple[Page, list[ChartFiles]]:
    if kind == "plan":
        from mcp_geo.reports._plan_report import plan_page

        return plan_page(folder, charts=charts)
    if kind == "comparison":
        from mcp_geo.reports._compare_report import comparison_page

        return comparison_page(folder, charts=charts)
    from mcp_geo.reports._sweep_report import sweep_page

    return sweep_page(folder, charts=charts)


def _write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a temporary file beside it, renamed over it)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
