"""Open a map in Debian's Chromium with the network off (Playwright for Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
  const paths = [...document.querySelectorAll('.leaflet-overlay-pane path')];
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
    from playwright.sync_api import sync_playwright

    report = PageReport()
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
            page = context.new_page()
            page.on("pageerror", lambda e: report.page_errors.append(str(e)))
            page.on(
                "console",
                lambda m: report.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            for selector in clicks or []:
                page.locator(selector).first.click()
                page.wait_for_timeout(200)
            report.counts = page.evaluate(COUNT_SCRIPT)
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
            if evaluate is not None:
                report.evaluated = page.evaluate(evaluate)
        finally:
            context.close()
    return report
