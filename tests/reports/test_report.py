"""``mcp-geo report``: the page a board reads, opened in Chromium and printed to PDF.

One north-staffs plan (the session's), one plan of 30 real sites whose names hold markup, and
one comparison of the plan with today's PCNs; each report is written once per module.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest

from mcp_geo import ValidationError
from mcp_geo.cli.main import main
from mcp_geo.reports import report
from mcp_geo.reports._plan_report import SECTIONS
from tests._plans import PAYLOADS
from tests.maps._browser import CHROMIUM, WATCH_SCRIPT, PageReport, _offline_page

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

PAGE_SCRIPT = """() => ({
  headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
  images: [...document.images].map((i) => [i.naturalWidth, i.src.slice(0, 26)]),
  links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
  text: document.body.innerText,
  injected: window.__injected.concat(
    [...document.querySelectorAll('[onerror], [onload], script, iframe')].map((e) => e.outerHTML)),
})"""


def _open(html: Path, *, profile: Path, screenshot: Path | None = None) -> tuple[PageReport, dict]:
    """Open ``html`` offline in Chromium; what it shows, and every error and dialog."""
    seen = PageReport()
    dialogs: list[str] = []
    with _offline_page(profile, (1100, 900), seen, init_script=WATCH_SCRIPT) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(html.resolve().as_uri(), wait_until="load")
        found = page.evaluate(PAGE_SCRIPT)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
    found["dialogs"] = dialogs
    return seen, found


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    # NFKC: the PDF's ligatures (ﬁ, ﬀ) read as the letters they join
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]


@pytest.fixture(scope="module")
def plan_folder(ns_plan_dir: Path, tmp_path_factory) -> Path:
    """A copy of the session's north-staffs plan folder, reported on with its PDF."""
    folder = tmp_path_factory.mktemp("report") / "north-staffs"
    shutil.copytree(ns_plan_dir, folder)
    return folder


@pytest.fixture(scope="module")
def plan_report(plan_folder: Path):
    return report(plan_folder, browser=CHROMIUM if CHROMIUM.exists() else None)


def test_the_report_is_written_into_the_folder_and_listed_as_the_tools(plan_report) -> None:
    from mcp_geo._folders import check_output_dir, read_marker

    folder = plan_report.folder
    assert plan_report.kind == "plan"
    assert plan_report.html == folder / "report.html"
    names = sorted(p.name for p in plan_report.charts)
    assert names == sorted(
        f"{n}.{ext}" for n in ("map", "hub-sizes", "mcp-sizes") for ext in ("png", "svg")
    )
    assert {"report.html", "charts"} <= read_marker(folder)
    check_output_dir(folder, kind="plan")  # `plan --out` may still replace the whole folder
    html = plan_report.html.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing to fetch
    assert "<script" not in html


@needs_chromium
def test_the_page_opens_offline_with_every_section_and_image(plan_report, tmp_path) -> None:
    seen, found = _open(plan_report.html, profile=tmp_path / "profile")
    assert seen.page_errors == []
    assert seen.console_errors == []
    assert seen.blocked == []
    expected = [title for key, title in SECTIONS.items() if key != "moves"]
    assert found["headings"] == expected
    assert len(found["images"]) == 3  # map, hub sizes, MCP sizes
    assert all(width > 0 and src.startswith("data:image/svg+xml") for width, src in found["images"])
    assert "map.html" not in found["links"]  # the plan has no map.html: the page says how
    assert "mcp-geo map" in found["text"]
    assert "66 practices with 531,633 registered patients" in found["text"]
    assert "proven optimal: no plan that meets the rules has less travel" in found["text"]


@needs_chromium
def test_the_pdf_holds_the_headline_and_the_tables(plan_report) -> None:
    assert plan_report.pdf == plan_report.folder / "report.pdf"
    pages = _pdf_pages(plan_report.pdf)
    assert 4 <= len(pages) <= 12
    assert "531,633 registered" in pages[0]
    text = "\n".join(pages)
    for heading in ("Hubs", "MCPs", "Certificate", "Data and licence", "base name", "span km"):
        assert heading in text
    hubs = json.loads((plan_report.folder / "report.json").read_text())["metrics"]["hubs"]
    assert all(f"H{k:02d}" in text for k in range(1, hubs["count"] + 1))
    assert "Open Government Licence v3.0" in text


def test_a_second_report_gives_the_same_page_and_charts(plan_report, tmp_path) -> None:
    folder = tmp_path / "again"
    shutil.copytree(plan_report.folder, folder)
    again = report(folder, pdf=False)
    assert again.html.read_bytes() == plan_report.html.read_bytes()
    for path in plan_report.charts:
        assert (folder / "charts" / path.name).read_bytes() == path.read_bytes()
    assert not (folder / "report.pdf").exists()  # not printed again: the old one is gone


def test_a_folder_the_tool_did_not_write_is_refused(tmp_path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a folder mcp-geo wrote" in err
    assert not (tmp_path / "report.html").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_report_html_the_tool_did_not_write_is_left_alone(plan_report, tmp_path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(plan_report.folder, folder)
    (folder / "report.html").unlink()
    (folder / "report.html").write_text("<p>the board's own notes</p>")
    marker = json.loads((folder / ".mcp-geo.json").read_text())
    marker["entries"].remove("report.html")
    (folder / ".mcp-geo.json").write_text(json.dumps(marker))
    with pytest.raises(ValidationError, match=r"report\.html.*not written by mcp-geo"):
        report(folder, pdf=False)
    assert (folder / "report.html").read_text() == "<p>the board's own notes</p>"


def test_a_users_file_in_charts_is_never_deleted(plan_report, tmp_path) -> None:
    """charts/ is the report's, file by file (its own marker): a file a user put there stops the
    report, named, and stays; the report's own charts are replaced."""
    folder = tmp_path / "plan"
    shutil.copytree(plan_report.folder, folder)
    (folder / "charts" / "board-slide.png").write_bytes(b"the board's own picture")
    with pytest.raises(ValidationError, match=r"board-slide\.png.*not written by mcp-geo"):
        report(folder, pdf=False)
    assert (folder / "charts" / "board-slide.png").read_bytes() == b"the board's own picture"
    (folder / "charts" / "board-slide.png").unlink()
    assert report(folder, pdf=False).charts  # its own files only: replaced


def test_without_a_browser_the_html_is_written_and_the_message_says_how(
    plan_report, tmp_path, monkeypatch, capsys
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(plan_report.folder, folder)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    written = report(folder)
    assert written.pdf is None
    assert written.html.is_file()
    assert "apt-get install chromium" in written.message
    assert "--browser" in written.message
    assert main(["report", str(folder)]) == 0
    captured = capsys.readouterr()
    assert f"report written to {folder / 'report.html'}" in captured.out
    assert "no Chromium was found" in captured.err
    assert main(["report", str(folder), "--browser", str(tmp_path / "nothing")]) == 2


@needs_chromium
def test_a_report_of_your_own_sites_shows_markup_in_names_as_text(planted_plan, tmp_path) -> None:
    folder = planted_plan.write(tmp_path / "sites-plan")
    written = report(folder, browser=CHROMIUM)
    seen, found = _open(written.html, profile=tmp_path / "profile")
    assert seen.page_errors == []
    assert seen.console_errors == []
    assert found["dialogs"] == []
    assert found["injected"] == []
    assert all(src.startswith("data:image/svg+xml") for _w, src in found["images"])
    for payload in PAYLOADS:
        assert payload in found["text"]  # the base names, shown as they are
    assert "the sites of the file" in found["text"]
    pdf = " ".join(" ".join(_pdf_pages(written.pdf)).split())  # lines joined
    assert "284,801 registered" in pdf
    assert "onerror=alert(2)" in pdf


@needs_chromium
def test_a_comparison_report_has_each_view_as_bars_and_the_changes(ns_plan, tmp_path) -> None:
    from mcp_geo.pipeline.compare import compare_with_pcns, write_comparison

    comparison = compare_with_pcns(ns_plan)
    folder = tmp_path / "against-pcns"
    write_comparison(comparison, folder, plans={"plan-a": ns_plan})
    written = report(folder, pdf=False)
    assert written.kind == "comparison"
    assert {p.name for p in written.charts} >= {"view-1.svg", "view-3.svg", "plan-a-map.svg"}
    seen, found = _open(written.html, profile=tmp_path / "profile")
    assert seen.console_errors == []
    assert found["headings"] == [
        "In brief",
        "The views",
        "Practices that change hub",
        "Maps",
        "Data and licence",
    ]
    assert all(width > 0 for width, _src in found["images"])
    hubs = comparison.value("hubs")
    assert f"hubs {hubs[0]} (A) against {hubs[1]} (B)" in found["text"]
    moved = int(comparison.changes["moved_hub"].fillna(False).astype(bool).sum())
    assert f"{moved} of {len(comparison.changes)} shared practices change hub" in found["text"]
