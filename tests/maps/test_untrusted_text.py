"""Markup in names from data files and users' files never runs on a map (headless Chromium).

Practice names, PCN codes, a footprint title (the sites file's name) and comparison labels hold
``<script>alert(1)</script>``, ``<img src=x onerror=alert(2)>`` and ``"><svg onload=alert(3)>``
(:data:`PAYLOADS`). Each map is opened offline, every layer switched on, and every feature and
marker hovered and clicked (see :func:`._browser.probe_untrusted`); the test fails on any dialog,
page error, console error, or element the text injected, and checks the names are shown
literally in the tooltips and popups.
"""

from __future__ import annotations

import csv
import io

import folium
import pytest

from tests._plans import PAYLOADS, SITES_OPTIONS, write_sites

from ._browser import CHROMIUM, probe_untrusted

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def _shown_as_text(report, *, features: int) -> tuple[list[str], list[str]]:
    """Check nothing ran; return the tooltips' and popups' texts."""
    assert report.dialogs == []
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []
    assert all("tile.openstreetmap.org" in url for url in report.blocked), report.blocked
    seen = report.evaluated
    assert seen["injected"] == []
    assert seen["scripts_with_alert"] == 0
    assert seen["hovered"] == seen["clicked"] >= features
    tooltips, popups = seen["tooltips"], seen["popups"]
    for payload in PAYLOADS:
        assert any(payload in t for t in tooltips), payload
        assert any(payload in p for p in popups), payload
    return tooltips, popups


def test_plan_map(planted_plan, tmp_path):
    from mcp_geo.maps.render import write_map

    written = write_map(planted_plan, tmp_path / "map.html")
    shot = tmp_path / "map.png"
    report = probe_untrusted(written.path, profile=tmp_path / "profile", screenshot=shot)
    # 11 hubs, 2 MCPs, 21 PCNs, the outline, 30 practices, 11 hub and 2 MCP bases
    tooltips, popups = _shown_as_text(report, features=78)
    assert report.evaluated["layer_names"][2].strip() == "Today's PCNs"
    assert f"sites from {PAYLOADS[1]}.csv" in tooltips  # the footprint outline
    pcns = [t for t in tooltips if t.startswith("PCN\t")]
    assert {p for p in PAYLOADS if any(t.startswith(f"PCN\t{p}") for t in pcns)} == set(PAYLOADS)
    name = planted_plan.practices["practice_name"].iloc[0]
    assert name in tooltips
    assert any(f"Name\t{name}" in p for p in popups)
    assert f"sites from {PAYLOADS[1]}.csv" in report.evaluated["panels"][0]
    assert shot.stat().st_size > 20_000


def test_comparison_with_pcns_and_with_a_plan(planted_plan, tmp_path):
    from mcp_geo.maps.compare_map import write_comparison_map
    from mcp_geo.pipeline.compare import compare_plans, compare_with_pcns
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    sites = write_sites(tmp_path / "b", f"{PAYLOADS[2]}.csv", planted=True)
    other = run_scenario(Scenario.from_options(str(sites), {**SITES_OPTIONS, "hub_max": 60_000}))
    comparisons = {
        "pcns": compare_with_pcns(planted_plan, label=PAYLOADS[0]),
        "plans": compare_plans(planted_plan, other, a_label=PAYLOADS[1], b_label=PAYLOADS[2]),
    }
    for name, comparison in comparisons.items():
        written = write_comparison_map(comparison, tmp_path / f"{name}.html")
        report = probe_untrusted(written.path, profile=tmp_path / f"profile-{name}")
        tooltips, popups = _shown_as_text(report, features=100)
        assert report.evaluated["maps"] == 2
        panels = report.evaluated["panels"]
        assert panels[0].startswith(comparison.a_label)
        assert panels[1].startswith(comparison.b_label)
        if name == "pcns":  # the right side: today's PCNs, filled, and each practice's PCN
            assert any(t.startswith(f"PCN\t{PAYLOADS[0]}") for t in tooltips)
            assert any(f"PCN\t{PAYLOADS[2]}" in p for p in popups)


def test_a_label_in_the_layer_control(planted_plan, tmp_path):
    """Layer names carry a plan's label when one is given (Leaflet sets them as HTML)."""
    from mcp_geo.maps._layers import add_plan_layers
    from mcp_geo.maps.render import MapOptions, new_map, write_html

    fmap = new_map(planted_plan, options=MapOptions(tiles=None))
    add_plan_layers(fmap, planted_plan, label=PAYLOADS[1])
    folium.LayerControl(collapsed=False).add_to(fmap)
    path, _, _ = write_html(fmap.get_root().render(), tmp_path / "labelled.html")
    report = probe_untrusted(path, profile=tmp_path / "profile")
    _shown_as_text(report, features=78)
    names = [n.strip() for n in report.evaluated["layer_names"]]
    assert names[0] == f"{PAYLOADS[1]}: Hub territories"
    assert len(names) == 8
    assert all(n.startswith(f"{PAYLOADS[1]}: ") for n in names)


def _plant(text: str, *, column: int, code: str, names: tuple[int, ...]) -> str:
    """Prefix the named fields of the rows whose ``column`` is ``code`` with the payloads."""
    rows = list(csv.reader(io.StringIO(text)))
    planted = 0
    for row in rows:
        if len(row) > column and row[column] == code:
            for field in names:
                row[field] = f"{PAYLOADS[planted % 3]} {row[field]}"
            planted += 1
    assert planted
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if text.startswith('"') else csv.QUOTE_MINIMAL
    csv.writer(out, quoting=quoting, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_national_map(data_folder, tmp_path):
    """One Sub-ICB (05V, 14 practices) planned by plan_england on official files whose practice
    and PCN names are planted; the practices are clustered and zoomed into one by one."""
    from mcp_geo.national.run import plan_england
    from mcp_geo.scenario import Scenario

    folder = data_folder(
        {
            # practice name (3), PCN name (6) by Sub-ICB code (8)
            "nhs/gp-reg-pat-prac-map_2025-10.csv": lambda t: _plant(
                t, column=8, code="05V", names=(3, 6)
            ),
            # the register: name (1) by commissioner (14)
            "nhs/epraccur_2026-06.csv": lambda t: _plant(t, column=14, code="05V", names=(1,)),
        }
    )
    scenario = Scenario.from_options(
        "england", {"mcp_min": 100_000, "engine": "compact", "threads": 1, "time_limit": 30}
    )
    national = plan_england(
        scenario, by="sub-icb", out=tmp_path / "england", data_dir=folder, workers=1, codes=["05V"]
    )
    assert [r.status for r in national.footprints] == ["solved"]
    report = probe_untrusted(tmp_path / "england" / "map.html", profile=tmp_path / "profile")
    tooltips, _ = _shown_as_text(report, features=20)
    assert report.evaluated["clustered"] == 14  # every practice, zoomed into
    assert report.counts["canvases"] == 1
    assert sum(any(p in t for p in PAYLOADS) for t in tooltips) >= 14
