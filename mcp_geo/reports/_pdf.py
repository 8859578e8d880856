"""Print the report page to PDF with a Chromium the machine has (headless, no network).

The browser is the one the user names (``--browser PATH``), else the first of
:data:`BROWSERS` on the PATH (Debian's ``chromium`` first). It runs headless with a fresh,
temporary profile and its background networking off (the page needs no network: it is
self-contained), and prints to a temporary file beside the PDF, which replaces the PDF only when
it is a PDF. As root, Chromium refuses to start without ``--no-sandbox``, so only then is it
given; the page it prints has no script (its Content-Security-Policy forbids them).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mcp_geo._errors import Problem, RunFailedError, ValidationError

log = logging.getLogger(__name__)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
"""Browsers looked for on the PATH, in order."""

FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)
"""Chromium's flags for printing offline (see /work/.library machine notes: without the
background-networking flags Chromium tries to reach Google's hosts at every start)."""

HOW_TO_GET_PDF = (
    "no Chromium was found, so report.pdf was not written: install one (Debian/Ubuntu: "
    "`sudo apt-get install chromium`) and run the command again, or name a Chromium or Chrome "
    "with --browser PATH, or open report.html in a browser and print it to PDF (A4)"
)


def find_browser(given: str | Path | None = None) -> Path | None:
    """The browser to print with: ``given`` (checked), else the first of :data:`BROWSERS`.

    Parameters
    ----------
    given
        A path (or a command name) the user named; None to look on the PATH.

    Returns
    -------
    Path or None
        The executable, or None when none is found (and none was named).

    Raises
    ------
    ValidationError
        ``given`` is not an executable file.
    """
    if given is not None:
        found = shutil.which(str(given))
        if found is None:
            raise ValidationError(
                [
                    Problem(
                        "is not an executable browser: name the path of a Chromium or Chrome",
                        source="--browser",
                        value=str(given),
                    )
                ],
                context="report",
            )
        return Path(found)
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    return None


def print_pdf(html: Path, pdf: Path, *, browser: Path, timeout: float = 180.0) -> Path:
    """Print ``html`` to ``pdf`` with ``browser`` (headless); returns ``pdf``.

    Parameters
    ----------
    html
        The page (a file).
    pdf
        Where the PDF goes (replaced only once the new one is written).
    browser
        A Chromium or Chrome executable.
    timeout
        Seconds before the browser is stopped.

    Returns
    -------
    Path
        ``pdf``.

    Raises
    ------
    RunFailedError
        The browser failed, timed out or wrote no PDF (its last words in the message).
    """
    with tempfile.TemporaryDirectory(prefix="mcp-geo-chromium-") as profile:
        partial = pdf.with_name(f".{pdf.name}.partial")
        command = [
            str(browser),
            *FLAGS,
            *(["--no-sandbox"] if os.geteuid() == 0 else []),
            f"--user-data-dir={profile}",
            f"--print-to-pdf={partial}",
            html.resolve().as_uri(),
        ]
        log.info("printing %s with %s", html, browser)
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            partial.unlink(missing_ok=True)
            raise RunFailedError(f"{browser} could not print {html} to PDF: {exc}") from exc
        if done.returncode != 0 or not _is_pdf(partial):
            partial.unlink(missing_ok=True)
            said = " ".join((done.stderr or "").strip().splitlines()[-3:])
            raise RunFailedError(
                f"{browser} could not print {html} to PDF (exit {done.returncode}): {said}; "
                "report.html is written: open it in a browser and print it to PDF"
            )
        os.replace(partial, pdf)
    return pdf


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False
