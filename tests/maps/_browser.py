"""Open a map in Debian's Chromium with the network off (Playwright for Python)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageReport:
    """What the browser saw: errors, blocked requests and counts from the DOM."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    evaluated: object = None

    def unexpected_console_errors(self) -> list[str]:
        """Console errors other than the failed resource loads a closed network implies."""
        return [
            e
            for e in self.console_errors
            if not e.startswith("Failed to load resource: net::ERR_FAILED")
        ]


COUNT_SCRIPT = """() => {
  const count = (sel) => document.querySelectorAll(sel).length;
  // every pane's SVG (each kind of feature has its own pane on SVG maps)
  const paths = [...document.querySelectorAll('.leaflet-map-pane svg path')];
  const byWeight = {};
  for (const p of paths) {
    const w = p.getAttribute('stroke-width');
    byWeight[w] = (byWeight[w] || 0) + 1;
  }
  const out = {
    maps: count('.leaflet-container'),
    paths: paths.length,
    hub_bases: count('.mcp-geo-hub-base.leaflet-marker-icon'),
    mcp_bases: count('.mcp-geo-mcp-base.leaflet-marker-icon'),
    layer_rows: count('.leaflet-control-layers-overlays label'),
    panels: count('.mcp-geo-panel'),
    labels: count('.mcp-geo-label'),
    labels_shown: count('.mcp-geo-label:not(.mcp-geo-label-hidden)'),
    legends: count('.mcp-geo-legend'),
    canvases: count('.leaflet-overlay-pane canvas'),
  };
  for (const [w, n] of Object.entries(byWeight)) out['weight_' + w] = n;
  return out;
}"""


CLUSTER_SCRIPT = """() => {
  // Leaflet.markercluster: what the clustered practice layer shows at the opening view, and the
  // tooltip and popup of one practice drawn on its own.
  const map = Object.values(window).find((v) => v instanceof L.Map);
  const groups = Object.values(window).filter((v) => v instanceof L.MarkerClusterGroup);
  const markers = groups.length === 1 ? groups[0].getLayers() : [];
  const singles = markers.filter((m) => map.hasLayer(m));
  const icons = [...document.querySelectorAll('.leaflet-marker-pane .marker-cluster')];
  const out = {
    groups: groups.length,
    markers: markers.length,
    singles: singles.length,
    cluster_icons: icons.length,
    in_cluster_icons: icons.reduce((sum, e) => sum + parseInt(e.textContent, 10), 0),
  };
  if (singles.length) {
    singles[0].openTooltip();
    out.tooltip = document.querySelector('.leaflet-tooltip').innerText;
    singles[0].openPopup();
    out.popup = document.querySelector('.leaflet-popup-content').innerText;
  }
  return out;
}"""


@contextlib.contextmanager
def _offline_page(
    profile: Path, size: tuple[int, int], report: PageReport, *, init_script: str | None = None
) -> Iterator[Page]:
    """A page of Debian's Chromium with every non-file request aborted (and recorded in
    ``report``), page and console errors recorded, and ``init_script`` run before each page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": size[0], "height": size[1]},
        )
        try:

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    report.blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            if init_script is not None:
                context.add_init_script(init_script)
            page = context.new_page()
            page.on("pageerror", lambda e: report.page_errors.append(str(e)))
            page.on(
                "console",
                lambda m: report.console_errors.append(m.text) if m.type == "error" else None,
            )
            yield page
        finally:
            context.close()


def open_offline(
    html: Path,
    *,
    screenshot: Path | None = None,
    profile: Path,
    size: tuple[int, int] = (1400, 900),
    clicks: list[str] | None = None,
    evaluate: str | None = None,
) -> PageReport:
    """Load ``html`` with every non-file request aborted; count what was drawn.

    ``evaluate`` is a script run after the counts (``CLUSTER_SCRIPT``); its result is kept in
    ``evaluated``.
    """
    report = PageReport()
    with _offline_page(profile, size, report) as page:
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        for selector in clicks or []:
            if "leaflet-control-layers" in selector:
                # a layer control that would cover the footprint starts folded: hover opens it
                page.locator(".leaflet-control-layers").first.hover()
            page.locator(selector).first.click()
            page.wait_for_timeout(200)
        report.counts = page.evaluate(COUNT_SCRIPT)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        if evaluate is not None:
            report.evaluated = page.evaluate(evaluate)
    return report


WATCH_SCRIPT = """
// Record every element that text from the data could inject (runs before the page's scripts):
// an element with an on* attribute, an <iframe>, an <img> other than a map tile or marker
// icon, or a <script> added after the page was parsed.
window.__injected = [];
window.addEventListener('DOMContentLoaded', () => {
  const suspicious = (e) =>
    e.nodeName === 'SCRIPT' || e.nodeName === 'IFRAME' ||
    (e.nodeName === 'IMG' && !e.matches('.leaflet-tile, .leaflet-marker-icon')) ||
    [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on'));
  new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) {
        if (node.nodeType !== 1) continue;
        for (const e of [node, ...node.querySelectorAll('*')]) {
          if (suspicious(e)) window.__injected.push(e.outerHTML.slice(0, 200));
        }
      }
    }
  }).observe(document.documentElement, {childList: true, subtree: true});
});
"""

PROBE_SCRIPT = """async () => {
  // Hover (mouseover) and click every feature and marker of every map, as Leaflet's own mouse
  // handling would (the event propagates to the layer the tooltip or popup is bound to), and
  // keep the text each tooltip and popup showed. Clustered practices: zoom in on each first.
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const maps = Object.values(window).filter((v) => v instanceof L.Map);
  const clusters = Object.values(window).filter(
    (v) => L.MarkerClusterGroup && v instanceof L.MarkerClusterGroup);
  const out = {maps: maps.length, tooltips: [], popups: [], hovered: 0, clicked: 0,
               clustered: 0, layer_names: []};
  const text = (sel) => [...document.querySelectorAll(sel)].map((e) => e.innerText);
  const where = (l) => l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
  const poke = (map, leaf) => {
    const latlng = where(leaf);
    leaf.fire('mouseover', {latlng: latlng}, true);
    out.tooltips.push(...text('.leaflet-tooltip'));
    out.hovered += 1;
    leaf.fire('mouseout', {latlng: latlng}, true);
    leaf.fire('click', {latlng: latlng}, true);
    out.popups.push(...text('.leaflet-popup-content'));
    out.clicked += 1;
    map.closePopup();
  };
  for (const map of maps) {
    const leaves = [];
    map.eachLayer((l) => { if (l instanceof L.Path || l instanceof L.Marker) leaves.push(l); });
    for (const leaf of leaves) poke(map, leaf);
  }
  for (const group of clusters) {
    const map = group._map;
    for (const marker of group.getLayers()) {
      map.setView(marker.getLatLng(), map.getMaxZoom(), {animate: false});
      await wait(150);
      if (!map.hasLayer(marker) && marker.__parent) { marker.__parent.spiderfy(); await wait(400); }
      if (!map.hasLayer(marker)) continue;
      out.clustered += 1;
      poke(map, marker);
    }
  }
  out.layer_names = text('.leaflet-control-layers-overlays label');
  out.panels = text('.mcp-geo-panel');
  out.scripts_with_alert = [...document.scripts].filter(
    (s) => /^\\s*alert\\(/.test(s.textContent)).length;
  out.injected = window.__injected.concat(
    [...document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]')]
      .map((e) => e.outerHTML.slice(0, 200)));
  return out;
}"""


@dataclass
class ProbeReport(PageReport):
    """What :func:`probe_untrusted` saw: dialogs opened, and the texts shown."""

    dialogs: list[str] = field(default_factory=list)


def probe_untrusted(
    html: Path,
    *,
    profile: Path,
    screenshot: Path | None = None,
    size: tuple[int, int] = (1400, 900),
) -> ProbeReport:
    """Open ``html`` offline, hover and click everything on it, and record what ran.

    Real mouse events reach the first practice circle, the hub and MCP base markers, a cluster
    icon and the layer controls; :data:`PROBE_SCRIPT` then hovers and clicks every feature and
    marker through Leaflet (its result is in ``evaluated``). Any ``alert`` opens a dialog,
    recorded in ``dialogs``.
    """
    report = ProbeReport()
    with _offline_page(profile, size, report, init_script=WATCH_SCRIPT) as page:

        def dialog(d):
            report.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        for control in page.locator(".leaflet-control-layers").all():
            control.hover()  # a collapsed control opens
            for box in control.locator(".leaflet-control-layers-overlays input").all():
                if not box.is_checked():
                    box.click()  # every layer on (today's PCNs start off)
            page.mouse.move(size[0] // 2, size[1] // 2)
        for selector in (
            ".leaflet-overlay-pane path[stroke-width='1']",
            ".mcp-geo-hub-base",
            ".mcp-geo-mcp-base",
        ):
            for element in page.locator(selector).all()[:2]:
                if element.is_visible():
                    element.hover(force=True)
                    page.wait_for_timeout(100)
                    element.click(force=True)
                    page.wait_for_timeout(100)
        # a base's popup pans the map to show itself: let the clusters settle before clicking one
        page.keyboard.press("Escape")
        page.wait_for_timeout(700)
        for icon in page.locator(".marker-cluster").all():
            box = icon.bounding_box()
            if box and 0 < box["x"] < size[0] - 40 and 0 < box["y"] < size[1] - 40:
                icon.click(force=True)  # zooms in on the cluster
                page.wait_for_timeout(600)
                break
        report.counts = page.evaluate(COUNT_SCRIPT)
        page.mouse.move(1, size[1] // 2)  # off the features: close the last tooltip
        report.evaluated = page.evaluate(PROBE_SCRIPT)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
    return report
