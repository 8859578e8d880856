"""Keyboard access to every hub, MCP and practice, and readable labels (issue 19, point 3).

- A "find a hub or practice" control: reached with Tab, typing lists the matching hubs (id and
  town), MCPs and practices (code and name), Enter zooms to the one chosen and opens its popup
  with the focus inside it, Escape closes it and returns to the control. On the national map
  hub territories and practices are drawn on a canvas (the practices in clusters) and hub labels
  wait for the reader to zoom in, so this is the keyboard's way to them; the footprint map has
  the same control.
- Labels: at the opening zoom (1280x800) nothing covers a shown label (the topmost element at
  its centre and inner corners is the label itself: labels are drawn above the practices'
  circles), every shown label lies wholly inside the map, and a click on a practice circle still
  opens its popup.

Headless Chromium with the network off; any page or console error fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ._browser import CHROMIUM, PageReport, _offline_page
from .test_publishable import DESKTOP, FIND, LABELS, PHONE, _check_clean, _open, _popup

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

COVERED = """() => {
  // Each shown label: is it inside its map, and is it the topmost element at its centre and
  // 2 px inside each corner (no practice circle, label or marker drawn over it)?
  const out = [];
  for (const map of document.querySelectorAll('.leaflet-container')) {
    const c = map.getBoundingClientRect();
    for (const e of map.querySelectorAll('.mcp-geo-label:not(.mcp-geo-label-hidden) span')) {
      const r = e.getBoundingClientRect();
      const points = [[r.left + r.width / 2, r.top + r.height / 2], [r.left + 2, r.top + 2],
                      [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2],
                      [r.right - 2, r.bottom - 2]];
      const over = points.map(([x, y]) => document.elementFromPoint(x, y))
        .filter((t) => !t || !e.contains(t))
        .map((t) => t ? (t.closest('.leaflet-pane') || t).className.toString() : 'nothing');
      out.push({text: e.textContent, over,
                inside: r.left >= c.left && r.right <= c.right && r.top >= c.top &&
                        r.bottom <= c.bottom});
    }
  }
  return out;
}"""

ACTIVE = """() => {
  const e = document.activeElement;
  return {role: e.getAttribute('role'), label: e.getAttribute('aria-label'),
          name: e.labels && e.labels.length ? e.labels[0].textContent : null,
          value: e.value === undefined ? null : e.value,
          in_popup: !!e.closest('.leaflet-popup')};
}"""

OPTIONS = """() => [...document.querySelectorAll('[role=listbox] [role=option]')]
  .filter((e) => e.offsetParent !== null).map((e) => e.textContent)"""


def _tab_to_find(page, *, most: int) -> int:
    """Press Tab until the find control has the focus; return how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE)["role"] == "combobox":
            return presses
    raise AssertionError(f"the find control is not reached in {most} presses of Tab")


def _find(page, text: str) -> tuple[list[str], str]:
    """In the focused find control: type ``text``, press Enter; the options and the popup."""
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.wait_for_timeout(100)
    options = page.evaluate(OPTIONS)
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    page.wait_for_timeout(300)
    active = page.evaluate(ACTIVE)
    assert active["in_popup"], f"the focus is not in the popup: {active}"
    texts = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-popup-content')].map(e => e.innerText)"
    )
    # Escape closes the popup and returns to the control
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.querySelectorAll('.leaflet-popup').length") == 0
    active = page.evaluate(ACTIVE)
    assert active["role"] == "combobox", active
    assert active["value"] == text
    return options, "\n".join(texts)


@pytest.fixture(scope="module")
def plan_map(ns_plan, tmp_path_factory) -> Path:
    from mcp_geo.maps.render import write_map

    return write_map(ns_plan, tmp_path_factory.mktemp("keyboard") / "map.html").path


def test_labels_sit_above_practices_inside_the_map(ns_plan, plan_map, tmp_path):
    report = PageReport()
    for size in (DESKTOP, PHONE):
        with _offline_page(tmp_path / f"profile{size[0]}", size, report) as page:
            _open(page, plan_map)
            labels = page.evaluate(COVERED)
            assert len(labels) >= (14 if size == DESKTOP else 4)
            covered = [(a["text"], a["over"]) for a in labels if a["over"]]
            assert covered == [], covered
            outside = [a["text"] for a in labels if not a["inside"]]
            assert outside == [], outside
            assert page.evaluate(LABELS)["overlapping"] == []
            if size == DESKTOP:
                # the long label at the footprint's west edge is shown whole
                assert any(a["text"].endswith(" Newcastle under Lyme") for a in labels)
            # a practice's circle, where no label covers it, still opens the practice
            found = page.evaluate(FIND, {"kind": "practice"})
            assert found is not None
            page.mouse.click(found["x"], found["y"])
            text = _popup(page)
            assert f"Practice\t{found['label'].split()[1]}" in text
    _check_clean(report)


def test_footprint_map_finds_hubs_mcps_and_practices_by_keyboard(ns_plan, plan_map, tmp_path):
    hubs = ns_plan.hubs.sort_values("hub_id")
    hub = hubs.iloc[4]
    practice = ns_plan.practices.sort_values("practice_code").iloc[10]
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, plan_map)
        _tab_to_find(page, most=12)  # the map's controls come before its features
        assert page.evaluate(ACTIVE)["name"].strip() == "Find a hub or practice"
        options, text = _find(page, hub["hub_id"])
        assert options[0].startswith(f"Hub {hub['hub_id']} ")
        assert text.startswith(f"Hub\t{hub['hub_id']}\n")
        assert f"MCP\t{hub['mcp_id']}" in text
        assert "MCP patients\t" in text
        options, text = _find(page, practice["practice_code"])
        assert options == [f"Practice {practice['practice_code']} {practice['practice_name']}"]
        assert f"Practice\t{practice['practice_code']}\n" in text
        assert f"Name\t{practice['practice_name']}" in text
        options, text = _find(page, "m02")  # any case
        assert options[0] == "MCP M02"
        assert text.startswith("MCP\tM02\n")
        # by town: the hub based in Leek
        options = _options_for(page, "leek")
        assert any(o.startswith("Hub H") and o.endswith(" Leek") for o in options), options
    _check_clean(report)


def _options_for(page, text: str) -> list[str]:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.wait_for_timeout(100)
    return page.evaluate(OPTIONS)


@pytest.fixture(scope="module")
def national_pair(tmp_path_factory) -> Path:
    """Two neighbouring Sub-ICBs (05G, 30 practices; 05V, 14) planned by plan_england on the
    shipped snapshot: at the opening zoom only their MCP labels show."""
    from mcp_geo.national.run import plan_england
    from mcp_geo.scenario import Scenario

    out = tmp_path_factory.mktemp("national") / "england"
    scenario = Scenario.from_options(
        "england", {"mcp_min": 100_000, "engine": "compact", "threads": 1, "time_limit": 30}
    )
    national = plan_england(scenario, by="sub-icb", out=out, workers=1, codes=["05G", "05V"])
    assert [r.status for r in national.footprints] == ["solved", "solved"]
    return out


def test_national_map_finds_hubs_mcps_and_practices_by_keyboard(national_pair, tmp_path):
    hubs = pd.read_csv(national_pair / "hubs.csv", dtype=str)
    practices = pd.read_csv(national_pair / "practices.csv", dtype=str)
    hub = hubs[hubs["hub_id"].str.startswith("05V-")].iloc[-1]
    practice = practices[practices["hub_id"].str.startswith("05G-")].iloc[3]
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, national_pair / "map.html")
        page.screenshot(path=str(tmp_path / "national-1280x800.png"))
        shown = page.evaluate(LABELS)["shown"]
        assert shown
        assert all("-M" in s for s in shown)  # hub labels wait for the zoom
        _tab_to_find(page, most=12)
        options, text = _find(page, hub["hub_id"])
        assert options[0].startswith(f"Hub {hub['hub_id']} ")
        assert text.startswith(f"Hub\t{hub['hub_id']}\n")
        assert f"MCP\t{hub['mcp_id']}" in text
        assert "MCP patients\t" in text

        # a practice drawn in a cluster: the map zooms in until it is drawn on its own
        options, text = _find(page, practice["practice_code"])
        assert options == [f"Practice {practice['practice_code']} {practice['practice_name']}"]
        assert f"Practice\t{practice['practice_code']}\n" in text
        assert f"Name\t{practice['practice_name']}" in text
        assert f"Hub\t{practice['hub_id']}" in text

        options, text = _find(page, hub["mcp_id"])
        assert options[0] == f"MCP {hub['mcp_id']}"
        assert text.startswith(f"MCP\t{hub['mcp_id']}\n")
        assert _options_for(page, "no such place") == []
    _check_clean(report)


def test_find_shows_names_as_text(planted_plan, tmp_path):
    """Names holding markup (:data:`tests._plans.PAYLOADS`) are listed and opened as text."""
    from mcp_geo.maps.render import write_map
    from tests._plans import PAYLOADS

    from ._browser import WATCH_SCRIPT

    path = write_map(planted_plan, tmp_path / "map.html").path
    names = planted_plan.practices.set_index("practice_code")["practice_name"]
    report = PageReport()
    dialogs: list[str] = []
    with _offline_page(tmp_path / "profile", DESKTOP, report, init_script=WATCH_SCRIPT) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _open(page, path)
        _tab_to_find(page, most=12)
        for payload in PAYLOADS:
            code = names[names.str.contains(payload, regex=False)].index[0]
            options, text = _find(page, payload)
            assert f"Practice {code} {names[code]}" in options
            assert f"Name\t{names[options[0].split(' ', 2)[1]]}" in text
        assert page.evaluate("() => window.__injected") == []
    assert dialogs == []
    _check_clean(report)
