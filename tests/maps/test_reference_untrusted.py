"""Markup in the reference groups' codes and the practices' names never runs on a map made with
a reference (headless Chromium): the groups' layer and the moved practices' rings show it as
text (see :mod:`tests.maps.test_untrusted_text`)."""

from __future__ import annotations

import pytest

from tests._plans import PAYLOADS, SITES_OPTIONS, write_sites

from ._browser import CHROMIUM, probe_untrusted

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def test_reference_groups_and_moves_shown_as_text(tmp_path):
    from mcp_geo.maps._reference import moved_text
    from mcp_geo.maps.render import write_map
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    sites = write_sites(tmp_path / "sites", "sites.csv", planted=True)
    options = {**SITES_OPTIONS, "reference": "pcn", "time_limit": 20}
    plan = run_scenario(Scenario.from_options(str(sites), options))
    assert plan.reference is not None
    assert len(plan.reference.moved) > 0  # 21 PCNs of about 13,500 patients, hubs of 20,000+
    written = write_map(plan, tmp_path / "map.html")
    report = probe_untrusted(written.path, profile=tmp_path / "profile")
    assert report.dialogs == []
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []
    seen = report.evaluated
    assert seen["injected"] == []
    assert seen["scripts_with_alert"] == 0
    tooltips, popups = seen["tooltips"], seen["popups"]
    for payload in PAYLOADS:
        assert any(t.startswith(f"PCN\t{payload}") for t in tooltips), payload
    texts = moved_text(plan)
    assert set(texts) <= set(tooltips)  # the rings' tooltips: where each practice went
    assert any(f"Moved\t{texts.iloc[0]}" in p for p in popups)
    assert any(name.strip().startswith("Reference groups: today") for name in seen["layer_names"])
