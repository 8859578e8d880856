"""Headless Chromium opens the maps with the network off: no errors, everything drawn."""

from __future__ import annotations

import pytest

from ._browser import CHROMIUM, CLUSTER_SCRIPT, open_offline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def _check_clean(report) -> None:
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []
    # the page asked the network for nothing but base map tiles
    assert all("tile.openstreetmap.org" in url for url in report.blocked), report.blocked


def test_plan_map_draws_offline(ns_plan, tmp_path):
    from mcp_geo.maps.render import write_map

    written = write_map(ns_plan, tmp_path / "map.html")
    assert written.self_contained
    shot = tmp_path / "map.png"
    report = open_offline(
        written.path,
        screenshot=shot,
        profile=tmp_path / "profile",
        clicks=[".leaflet-control-layers-overlays label:has-text('PCNs') input"],
    )
    _check_clean(report)
    c = report.counts
    assert c["maps"] == 1
    assert c["canvases"] == 0  # SVG renderer
    assert c["weight_0.8"] == len(ns_plan.hubs) == 16  # hub territories
    assert c["weight_3"] == len(ns_plan.mcps) == 4  # MCP outlines
    assert c["weight_4"] == 1  # footprint outline
    assert c["weight_1.6"] == 13  # PCNs, switched on by the click
    assert c["weight_1"] == len(ns_plan.practices) == 66  # practice markers
    assert c["hub_bases"] == 16
    assert c["mcp_bases"] == 4
    assert c["layer_rows"] == 8
    assert c["panels"] == 1
    assert c["legends"] == 1
    assert c["labels"] == 16 + 4
    assert c["labels_shown"] >= 4 + 8
    assert shot.stat().st_size > 20_000


def test_large_map_draws_its_practices_in_clusters_offline(ns_plan, tmp_path, monkeypatch):
    """A map above the large-map threshold (lowered to 50: north-staffs' 66 practices count)."""
    from mcp_geo.maps import render

    monkeypatch.setattr(render, "LARGE_MAP_ABOVE", 50)
    written = render.write_map(ns_plan, tmp_path / "map.html")
    assert written.self_contained
    shot = tmp_path / "clustered.png"
    report = open_offline(
        written.path, screenshot=shot, profile=tmp_path / "profile", evaluate=CLUSTER_SCRIPT
    )
    _check_clean(report)
    c = report.counts
    assert c["canvases"] == 1  # canvas renderer: territories and single practices
    assert c["hub_bases"] == 0  # a layer the reader switches on: they would hide the clusters
    assert c["layer_rows"] == 8
    k = report.evaluated
    assert k["groups"] == 1
    assert k["markers"] == len(ns_plan.practices) == 66
    # every practice is drawn: in a numbered cluster icon or on its own
    assert k["cluster_icons"] > 0
    assert k["singles"] > 0
    assert k["in_cluster_icons"] + k["singles"] == 66
    names = set(ns_plan.practices["practice_name"])
    assert k["tooltip"] in names
    assert k["popup"].startswith("Practice\t")
    assert "To hub base\t" in k["popup"]
    assert shot.stat().st_size > 20_000


def test_comparison_map_draws_offline(ns_plan, tmp_path):
    from mcp_geo.maps.compare_map import write_comparison_map
    from mcp_geo.pipeline.compare import compare_with_pcns

    written = write_comparison_map(compare_with_pcns(ns_plan), tmp_path / "map.html")
    assert written.self_contained
    report = open_offline(
        written.path, screenshot=tmp_path / "compare.png", profile=tmp_path / "profile"
    )
    _check_clean(report)
    c = report.counts
    assert c["maps"] == 2
    assert c["weight_0.8"] == 16 + 13  # hubs left, PCNs right
    assert c["weight_1"] == 2 * 66
    assert c["weight_4"] == 2
    assert c["panels"] == 2
    assert c["legends"] == 2  # the plan's on the left, today's PCNs' on the right
    assert (tmp_path / "compare.png").stat().st_size > 20_000


BOXES_SCRIPT = """() => {
  const rect = (e) => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,
    left: r.left, right: r.right}; };
  const panel = document.querySelector('.mcp-geo-panel');
  const legend = document.querySelector('details.mcp-geo-legend');
  return {panel: rect(panel), legend: rect(legend), legend_open: legend.open,
          panel_scrolls: panel.scrollHeight > panel.clientHeight + 1};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def test_the_box_a_user_opens_is_not_covered_by_the_other(ns_plan, tmp_path):
    """A laptop screen (1366 x 768): the panel's "About the data" ran under the open legend,
    which hid its licence lines. Opening it folds the legend; opening the legend again shortens
    the panel, which scrolls, so that neither covers the other."""
    from mcp_geo.maps.render import write_map

    written = write_map(ns_plan, tmp_path / "map.html")
    size = (1366, 768)
    before = open_offline(
        written.path, profile=tmp_path / "p0", size=size, evaluate=BOXES_SCRIPT
    ).evaluated
    assert before["legend_open"]
    assert not _overlap(before["panel"], before["legend"])
    about = "summary:has-text('About the data')"
    opened = open_offline(
        written.path, profile=tmp_path / "p1", size=size, clicks=[about], evaluate=BOXES_SCRIPT
    )
    _check_clean(opened)
    seen = opened.evaluated
    assert seen["panel"]["bottom"] > before["legend"]["top"]  # it reaches down past the legend
    assert not seen["legend_open"]
    assert not _overlap(seen["panel"], seen["legend"])
    shot = tmp_path / "both.png"
    both = open_offline(
        written.path,
        profile=tmp_path / "p2",
        size=size,
        clicks=[about, "summary:has-text('Legend')"],
        evaluate=BOXES_SCRIPT,
        screenshot=shot,
    )
    _check_clean(both)
    seen = both.evaluated
    assert seen["legend_open"]
    assert seen["panel_scrolls"]
    assert seen["panel"]["bottom"] <= seen["legend"]["top"]
