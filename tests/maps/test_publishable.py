"""A map a board can publish (issue 19, point 3), clicked with a real mouse in headless Chromium.

On the north-staffs plan map, the PCN comparison map and a small national map: a practice, a
hub base, a hub territory and an MCP (label and outline) each open their own popup where the
mouse clicks; Enter opens a popup from the keyboard; a mouse click leaves no focus box; labels
exist and do not overlap at the opening zoom (1280x800, and 390x844 where the ones that would
overlap are hidden); screenshots at both sizes are kept in the test's tmp folder; any page or
console error fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._browser import CHROMIUM, PageReport, _offline_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

DESKTOP = (1280, 800)
PHONE = (390, 844)

FIND = """(what) => {
  // A point where the mouse reaches the feature asked for (the topmost element there is it).
  // what.map: the index of the map on a page of two (a comparison); all maps without it
  const root = what.map === undefined ? document
    : document.querySelectorAll('.leaflet-container')[what.map];
  const top = (x, y) => document.elementFromPoint(x, y);
  const centre = (e) => { const r = e.getBoundingClientRect();
                          return [r.left + r.width / 2, r.top + r.height / 2, r]; };
  const pane = (name) => [...root.querySelectorAll(`.leaflet-${name}-pane path`)];
  const hit = (e) => { const [x, y, r] = centre(e); return top(x, y) === e ? [x, y] : null; };
  if (what.kind === 'practice') {
    for (const e of pane(what.pane || 'mcpGeoPractices')) {
      const [x, y, r] = centre(e);
      const edge = [x + 0.55 * r.width / 2, y];  // off the centre, inside the circle
      if (top(x, y) === e && top(...edge) === e) return {x: edge[0], y: edge[1],
                                                         label: e.getAttribute('aria-label')};
    }
  }
  if (what.kind === 'base') {
    for (const e of root.querySelectorAll('.leaflet-marker-icon.mcp-geo-hub-base')) {
      const p = hit(e); if (p) return {x: p[0], y: p[1]};
    }
  }
  if (what.kind === 'label') {
    for (const e of root.querySelectorAll(
        `.mcp-geo-label-${what.label}:not(.mcp-geo-label-hidden) span`)) {
      const [x, y] = centre(e); if (top(x, y) === e) return {x, y, label: e.textContent};
    }
  }
  if (what.kind === 'area' || what.kind === 'outline') {
    const paths = what.kind === 'area' ? pane(what.pane || 'mcpGeoHubs') : pane('mcpGeoMcps');
    for (const e of paths) {
      const r = e.getBoundingClientRect();
      for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
        const x = r.left + r.width * i / 40, y = r.top + r.height * j / 40;
        if (x > 0 && y > 0 && x < innerWidth && y < innerHeight && top(x, y) === e)
          return {x, y, label: e.getAttribute('aria-label')};
      }
    }
  }
  return null;
}"""

LABELS = """() => {
  const shown = [...document.querySelectorAll('.mcp-geo-label:not(.mcp-geo-label-hidden) span')]
    .map((e) => { const r = e.getBoundingClientRect();
                  return {text: e.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; });
  const overlapping = [];
  for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
    const a = shown[i], b = shown[j];
    if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) overlapping.push([a.text, b.text]);
  }
  const outside = shown.filter((a) => a.l < 0 || a.t < 0 || a.r > innerWidth || a.b > innerHeight);
  return {all: document.querySelectorAll('.mcp-geo-label').length,
          shown: shown.map((a) => a.text), overlapping, outside: outside.map((a) => a.text)};
}"""

CONTRAST = """() => {
  // WCAG 2.1 contrast ratio of each text against its box: a translucent background is laid
  // over black (the darkest map that can be under it), the worst case.
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number);
                        return m.length === 3 ? [...m, 1] : m; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (e) => {
    for (; e && e !== document.documentElement; e = e.parentElement) {
      const [r, g, b, a] = rgba(getComputedStyle(e).backgroundColor);
      if (a > 0) return [r * a, g * a, b * a];  // over black
    }
    return [255, 255, 255];
  };
  const out = [];
  const selectors = ['.mcp-geo-label span', '.mcp-geo-box summary', '.mcp-geo-box p',
    '.mcp-geo-box td', '.mcp-geo-data', '.leaflet-control-attribution',
    '.leaflet-control-attribution a', '.leaflet-popup-content th', '.leaflet-popup-content td'];
  for (const sel of selectors) for (const e of document.querySelectorAll(sel)) {
    if (!e.textContent.trim()) continue;
    const fg = rgba(getComputedStyle(e).color), bg = background(e);
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({sel, text: e.textContent.slice(0, 30), ratio: (hi + 0.05) / (lo + 0.05)});
  }
  return out;
}"""


def _check_contrast(page) -> None:
    ratios = page.evaluate(CONTRAST)
    assert {r["sel"] for r in ratios} >= {".mcp-geo-label span", ".mcp-geo-box p"}
    low = [r for r in ratios if r["ratio"] < 4.5]
    assert low == [], low


BOXES = """() => [...document.querySelectorAll('.mcp-geo-panel, .leaflet-control-layers')]
  .map((e) => { const r = e.getBoundingClientRect();
                return {l: r.left, r: r.right, t: r.top, b: r.bottom}; })"""


def _popup(page) -> str:
    page.wait_for_timeout(150)
    texts = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-popup-content')].map(e => e.innerText)"
    )
    page.keyboard.press("Escape")  # closes the popup (Leaflet: closePopupOnClick / Escape)
    page.evaluate(
        "() => document.querySelectorAll('.leaflet-popup-close-button').forEach(b => b.click())"
    )
    page.wait_for_timeout(100)
    return "\n".join(texts)


SETTLED = """async () => {
  // Wait until no map pans or zooms (a popup's autopan), then for the labels' placement.
  const maps = Object.values(window).filter((v) => v instanceof L.Map);
  const moving = () => maps.some((m) => (m._panAnim && m._panAnim._inProgress) ||
                                        m._animatingZoom);
  for (let i = 0; i < 40 && moving(); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def _click(page, what: dict) -> tuple[dict, str]:
    page.evaluate(SETTLED)  # else the feature found may move before the mouse clicks it
    found = page.evaluate(FIND, what)
    assert found is not None, f"nothing to click for {what}"
    page.mouse.click(found["x"], found["y"])
    return found, _popup(page)


def _check_clean(report: PageReport) -> None:
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []


def _open(page, path: Path) -> None:
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(600)


@pytest.fixture(scope="module")
def plan_map(ns_plan, tmp_path_factory) -> Path:
    from mcp_geo.maps.render import write_map

    return write_map(ns_plan, tmp_path_factory.mktemp("publish") / "map.html").path


def test_plan_map_clicks_keyboard_labels_and_screens(ns_plan, plan_map, tmp_path):
    hubs = ns_plan.hubs.set_index("hub_id")
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, plan_map)
        page.screenshot(path=str(tmp_path / "plan-1280x800.png"))
        labels = page.evaluate(LABELS)
        assert labels["all"] == 16 + 4
        assert {"M01", "M02", "M03", "M04"} <= set(labels["shown"])
        assert len(labels["shown"]) >= 4 + 10
        assert labels["overlapping"] == []
        assert labels["outside"] == []
        (biddulph,) = hubs.index[hubs["base_code"].isin(["M83046", "M83089"])]  # one site
        assert f"{biddulph} Biddulph" in labels["shown"]  # the hub's id and its base's town

        found = page.evaluate(FIND, {"kind": "practice"})
        page.mouse.click(found["x"], found["y"])
        page.wait_for_timeout(150)
        _check_contrast(page)  # labels, panel, legend, attribution and the open popup
        text = _popup(page)
        code = found["label"].split()[1]
        assert f"Practice\t{code}" in text
        assert "To hub base\t" in text

        _, text = _click(page, {"kind": "base"})
        assert text.startswith("Hub\tH")
        assert "MCP patients\t" in text
        assert "Base town\t" in text

        found, text = _click(page, {"kind": "area"})
        hub = found["label"].split()[1].rstrip(",")
        mcp = hubs.loc[hub, "mcp_id"]
        mcp_patients = f"{ns_plan.mcps.set_index('mcp_id').loc[mcp, 'patients']:,}"
        assert f"Hub\t{hub}" in text
        assert f"MCP\t{mcp}" in text
        assert f"MCP patients\t{mcp_patients}" in text
        # a mouse click leaves no focus box on the clicked shape
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "none"

        found, text = _click(page, {"kind": "label", "label": "mcp"})
        assert f"MCP\t{found['label']}" in text
        assert "Span\t" in text
        found, text = _click(page, {"kind": "outline"})
        assert text.startswith("MCP\tM0")
        assert "Base hub\t" in text

        # the keyboard: Tab reaches the features, Enter opens a popup; the focus is visible
        page.mouse.click(5, DESKTOP[1] // 2)
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.tagName") == "path":
                break
        focused = page.evaluate(
            "() => [document.activeElement.getAttribute('aria-label'), "
            "getComputedStyle(document.activeElement).stroke]"
        )
        assert focused[0].startswith("Hub ")
        assert focused[1] == "rgb(0, 95, 204)"  # the keyboard focus style
        page.keyboard.press("Enter")
        assert _popup(page).startswith("Hub\tH")
    _check_clean(report)

    report = PageReport()
    with _offline_page(tmp_path / "phone", PHONE, report) as page:
        _open(page, plan_map)
        page.screenshot(path=str(tmp_path / "plan-390x844.png"))
        labels = page.evaluate(LABELS)
        assert labels["overlapping"] == []
        assert labels["outside"] == []
        assert 4 <= len(labels["shown"]) < labels["all"]  # those that would overlap are hidden
        panel, control = page.evaluate(BOXES)
        assert panel["r"] <= control["l"]  # the panel fits beside the layer control
        assert panel["r"] <= PHONE[0]
        assert panel["b"] < PHONE[1] / 2
        _, text = _click(page, {"kind": "area"})
        assert text.startswith("Hub\tH")
    _check_clean(report)


def test_pcn_comparison_map_clicks_and_legends(ns_plan, tmp_path):
    from mcp_geo.maps.compare_map import write_comparison_map
    from mcp_geo.pipeline.compare import compare_with_pcns

    path = write_comparison_map(compare_with_pcns(ns_plan), tmp_path / "compare.html").path
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, path)
        page.screenshot(path=str(tmp_path / "compare-1280x800.png"))
        legends = page.evaluate(
            "() => [...document.querySelectorAll('.mcp-geo-legend')].map(e => e.textContent)"
        )
        assert len(legends) == 2
        assert "hub territory" in legends[0]
        assert "PCN territory" not in legends[0]
        assert "PCN territory" in legends[1]
        assert "hub territory" not in legends[1]
        assert "MCP" not in legends[1]
        labels = page.evaluate(LABELS)
        assert labels["overlapping"] == []
        assert len(labels["shown"]) >= 4
        _, text = _click(page, {"kind": "area"})
        assert text.startswith("Hub\tH")
        assert "MCP patients\t" in text
        found, text = _click(page, {"kind": "label", "label": "mcp"})
        assert text.startswith(f"MCP\t{found['label']}")
        _, text = _click(page, {"kind": "base"})
        assert text.startswith("Hub\tH")
        # the right side: today's PCNs, their practices
        right = "() => document.querySelectorAll('.leaflet-container')[1]"
        assert page.evaluate(right + ".querySelectorAll('.mcp-geo-label').length") == 0
    _check_clean(report)


@pytest.fixture(scope="module")
def plans_map(ns_plan, tmp_path_factory):
    """North Staffordshire CCG (sub-icb:05G, 30 practices) against north-staffs (66): B holds
    36 practices A does not, so B's panel must tell its whole plan from its shared part."""
    from mcp_geo.maps.compare_map import write_comparison_map
    from mcp_geo.pipeline.compare import compare_plans
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    small = run_scenario(Scenario.from_options("sub-icb:05G", {"engine": "compact", "threads": 1}))
    comparison = compare_plans(small, ns_plan, a_label="05G", b_label="north-staffs")
    path = tmp_path_factory.mktemp("plans") / "compare.html"
    return comparison, write_comparison_map(comparison, path).path


def test_plan_comparison_map_clicks_panels_and_keyboard(plans_map, ns_plan, tmp_path):
    comparison, path = plans_map
    shared = len(comparison.shared)
    hubs_b = round(comparison.number("hubs", "b"))
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, path)
        page.screenshot(path=str(tmp_path / "plans-1280x800.png"))
        panels = page.evaluate(
            "() => [...document.querySelectorAll('.mcp-geo-panel')].map(e => e.textContent)"
        )
        assert len(panels) == 2
        right = panels[1]
        # the whole plan, then its part on the shared practices, in the three views
        assert f"66 practices, {ns_plan.metrics.patients:,} patients" in right
        assert f"{len(ns_plan.hubs)} hubs (" in right
        assert f"On the {shared} practices both plans hold" in right
        assert f"Same rules: {hubs_b} hubs;" in right
        assert "One provider: spans " in right
        assert "across the whole footprint" in right  # B's provider is larger than its part
        assert "stay partners in 05G" in right
        assert "stay partners in north-staffs" in panels[0]
        assert shared < 66
        for side in (0, 1):
            _open(page, path)  # a popup pans the maps: start each side from the opening view
            found, text = _click(page, {"kind": "label", "label": "mcp", "map": side})
            assert text.startswith(f"MCP\t{found['label']}")
            found, text = _click(page, {"kind": "practice", "map": side})
            assert f"Practice\t{found['label'].split()[1]}" in text
            assert "To hub base\t" in text
            _, text = _click(page, {"kind": "base", "map": side})
            assert text.startswith("Hub\tH")
            assert "MCP patients\t" in text
            found, text = _click(page, {"kind": "area", "map": side})
            assert text.startswith(f"Hub\t{found['label'].split()[1].rstrip(',')}")
            assert "MCP patients\t" in text
            found, text = _click(page, {"kind": "outline", "map": side})
            assert text.startswith("MCP\tM")
            assert "Base hub\t" in text
        _open(page, path)
        labels = page.evaluate(LABELS)
        assert labels["overlapping"] == []
        _check_contrast(page)

        # the keyboard: Tab reaches a hub territory, Enter opens its popup
        page.mouse.click(DESKTOP[0] // 2 - 5, DESKTOP[1] - 60)
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.tagName") == "path":
                break
        label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        assert label.startswith("Hub ")
        page.keyboard.press("Enter")
        assert _popup(page).startswith("Hub\tH")
    _check_clean(report)


@pytest.fixture(scope="module")
def national_map(tmp_path_factory) -> Path:
    """One Sub-ICB (05V, 14 practices) planned by plan_england on the shipped snapshot."""
    from mcp_geo.national.run import plan_england
    from mcp_geo.scenario import Scenario

    out = tmp_path_factory.mktemp("national") / "england"
    scenario = Scenario.from_options(
        "england", {"mcp_min": 100_000, "engine": "compact", "threads": 1, "time_limit": 30}
    )
    national = plan_england(scenario, by="sub-icb", out=out, workers=1, codes=["05V"])
    assert [r.status for r in national.footprints] == ["solved"]
    return out / "map.html"


NATIONAL_ZOOM = """(zoom) => {
  const map = Object.values(window).find((v) => v instanceof L.Map);
  map.setZoom(zoom, {animate: false});
  return map.getZoom();
}"""


CANVAS_FIND = """(what) => {
  // On a canvas map: a point where the mouse reaches the feature asked for. Nothing of the page
  // (a label, a cluster icon, a marker, a box) is on top there, and the layer Leaflet's canvas
  // renderer gives the click to (the last interactive one drawn that holds the point) is it.
  const map = Object.values(window).find((v) => v instanceof L.Map);
  const canvas = document.querySelector('.leaflet-overlay-pane canvas');
  const renderer = Object.values(map._layers).find((l) => l._renderer)._renderer;
  const taker = (x, y) => {
    if (document.elementFromPoint(x, y) !== canvas) return null;
    const p = map.containerPointToLayerPoint([x, y]);
    let last = null;
    for (let o = renderer._drawFirst; o; o = o.next)
      if (o.layer.options.interactive && o.layer._containsPoint(p)) last = o.layer;
    return last;
  };
  const inside = (x, y) => x > 0 && y > 0 && x < innerWidth && y < innerHeight;
  // the layer takes the click at the point and a pixel around it (the mouse's whole pixels)
  const sure = (x, y, l) => [[0, 0], [-1, -1], [-1, 1], [1, -1], [1, 1]]
    .every(([dx, dy]) => taker(x + dx, y + dy) === l);
  if (what.kind === 'practice') {
    const groups = Object.values(window).filter((v) => v instanceof L.MarkerClusterGroup);
    for (const m of groups[0].getLayers().filter((m) => map.hasLayer(m))) {
      const c = map.latLngToContainerPoint(m.getLatLng());
      const x = c.x + 0.5 * m.getRadius(), y = c.y;  // off the centre, inside the circle
      if (inside(x, y) && sure(x, y, m)) return {x, y};
    }
  }
  if (what.kind === 'area' || what.kind === 'outline') {
    const wanted = (l) => l.feature && (what.kind === 'area'
      ? l.feature.properties.hub_id && l.options.fill !== false
      : l.feature.properties.mcp_id && l.options.fill === false);
    const layers = Object.values(map._layers).filter(wanted);
    for (const l of layers) {
      const points = what.kind === 'outline'
        ? l.getLatLngs().flat(3).map((ll) => map.latLngToContainerPoint(ll))
        : [];
      if (what.kind === 'area') {
        const b = l.getBounds();
        const nw = map.latLngToContainerPoint(b.getNorthWest());
        const se = map.latLngToContainerPoint(b.getSouthEast());
        for (let i = 1; i < 30; i++) for (let j = 1; j < 30; j++)
          points.push(L.point(nw.x + (se.x - nw.x) * i / 30, nw.y + (se.y - nw.y) * j / 30));
      }
      for (const p of points) {
        // away from the practices' circles (within 12 px of none)
        const near = Object.values(map._layers).some((m) => m instanceof L.CircleMarker &&
          map.latLngToContainerPoint(m.getLatLng()).distanceTo(p) < m.getRadius() + 12);
        if (!near && inside(p.x, p.y) && sure(p.x, p.y, l))
          return {x: p.x, y: p.y, label: l.feature.properties.hub_id || l.feature.properties.mcp_id};
      }
    }
  }
  return null;
}"""


def test_national_map_clicks_and_labels_by_zoom(national_map, tmp_path):
    report = PageReport()
    with _offline_page(tmp_path / "profile", DESKTOP, report) as page:
        _open(page, national_map)
        page.screenshot(path=str(tmp_path / "national-1280x800.png"))
        labels = page.evaluate(LABELS)
        assert labels["overlapping"] == []
        assert any(t.startswith("05V-H") for t in labels["shown"])
        hub, text = _click(page, {"kind": "label", "label": "hub"})
        assert text.startswith(f"Hub\t{hub['label'].split()[0]}")
        assert "MCP patients" in text
        found, text = _click(page, {"kind": "label", "label": "mcp"})
        assert text.startswith(f"MCP\t{found['label']}")

        # the canvas: a practice, a point inside a hub territory (inside its MCP's outline, which
        # once took every click there), and the MCP's outline each open their own popup
        for kind, starts in (("practice", "Practice\tM"), ("area", "Hub\t"), ("outline", "MCP\t")):
            _open(page, national_map)  # a popup pans the map: start each from the opening view
            found = page.evaluate(CANVAS_FIND, {"kind": kind})
            assert found is not None, f"nothing to click for {kind}"
            page.mouse.click(found["x"], found["y"])
            text = _popup(page)
            assert text.startswith(starts + found.get("label", "")), (kind, text)
            if kind == "area":
                assert "MCP patients\t" in text

        # hub bases are a layer to switch on (on large maps they would hide the clusters)
        _open(page, national_map)
        page.locator(".leaflet-control-layers").hover()  # folded where it would cover the map
        page.locator(".leaflet-control-layers-overlays label", has_text="Hub bases").click()
        page.mouse.move(5, DESKTOP[1] // 2)
        page.wait_for_timeout(200)
        _, text = _click(page, {"kind": "base"})
        assert text.startswith("Hub\t05V-H")
        assert "MCP patients\t" in text

        # the keyboard: a label opens its popup with Enter
        page.locator(".mcp-geo-label-hub").first.focus()
        page.keyboard.press("Enter")
        assert _popup(page).startswith("Hub\t05V-H")

        # labels wait for the reader to zoom in
        page.evaluate(NATIONAL_ZOOM, 7)
        page.wait_for_timeout(300)
        assert page.evaluate(LABELS)["shown"] == []
    _check_clean(report)
