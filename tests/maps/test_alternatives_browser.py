"""The settled / open layer in headless Chromium, on a plan whose practice names hold markup:
a real click on an open practice opens its popup, which names its hub in the best plan and in
the alternative, names shown as text; nothing injected, no page or console error."""

from __future__ import annotations

import pytest

from tests._plans import PAYLOADS, SITES_OPTIONS, write_sites

from ._browser import CHROMIUM, WATCH_SCRIPT, PageReport, _offline_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

RING = "path[stroke-width='2.6']"  # the open practices' rings (OPEN_WEIGHT)

CLICKABLE = """(selector) => {
  // the first ring whose centre the browser would hand to the ring itself (not a label or base)
  for (const ring of document.querySelectorAll(selector)) {
    const b = ring.getBoundingClientRect();
    const x = b.left + b.width / 2, y = b.top + b.height / 2;
    if (document.elementFromPoint(x, y) === ring) return [x, y];
  }
  return null;
}"""


def test_clicking_an_open_practice_names_its_hubs_as_text(tmp_path):
    from mcp_geo.maps._alternatives import OPEN_WEIGHT, hub_words
    from mcp_geo.maps.render import write_map
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    assert f"path[stroke-width='{OPEN_WEIGHT}']" == RING
    sites = write_sites(tmp_path / "sites", "sites.csv", planted=True)
    options = {**SITES_OPTIONS, "alternatives": 1, "travel_slack": 0.05, "time_limit": 4}
    plan = run_scenario(Scenario.from_options(str(sites), options))
    alternatives = plan.alternatives
    assert alternatives is not None
    assert alternatives.found
    opened = set(alternatives.hubs.index[~alternatives.hubs["settled"]])
    assert opened  # 30 sites, hubs of 20,000-80,000, within 5%: some practices move
    written = write_map(plan, tmp_path / "map.html")
    report, dialogs = PageReport(), []
    with _offline_page(tmp_path / "profile", (1280, 800), report, init_script=WATCH_SCRIPT) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(written.path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        assert page.locator(RING).count() == len(opened)
        x, y = page.evaluate(CLICKABLE, RING)
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
        popup = page.locator(".leaflet-popup-content").inner_text()
        injected = page.evaluate("() => window.__injected")
        page.screenshot(path=str(tmp_path / "open.png"))
    rows = dict(line.split("\t", 1) for line in popup.splitlines() if "\t" in line)
    code = rows["Practice"]
    assert code in opened
    assert rows["Settled / open"] == "open: moves in alternative 1 (of 1)"
    assert rows["Best plan"] == hub_words(plan.practices)[code]
    assert (
        rows["Alternative 1"] == "moves to " + hub_words(alternatives.found[0].plan.practices)[code]
    )
    name = plan.practices.set_index("practice_code").loc[code, "practice_name"]
    assert rows["Name"] == name
    assert any(name.startswith(p) for p in PAYLOADS)  # the markup, shown as text
    assert any(p in rows["Best plan"] for p in PAYLOADS)  # the partners' names too
    assert dialogs == []
    assert injected == []
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []
