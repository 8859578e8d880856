"""A plan made with a reference on its map (no browser): the reference groups' layer, the rings
round the moved practices with where they went, the legend rows and the panel's line."""

from __future__ import annotations

import json
import re

import pytest

from mcp_geo.maps._reference import MOVED_WEIGHT, REFERENCE_NAMES, REFERENCE_WEIGHT
from mcp_geo.maps.render import write_map


@pytest.fixture(scope="module")
def ref_plan():
    """north-staffs hubs planned from today's PCNs (hubs only)."""
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    options = {"reference": "pcn", "no_mcps": True, "threads": 1}
    return run_scenario(Scenario.from_options("north-staffs", options))


def _layers(html: str) -> list[dict]:
    found = re.finditer(r"geo_json_\w+_add\((\{.*\})\);$", html, flags=re.MULTILINE)
    return [json.loads(m.group(1)) for m in found]


def _with(layers: list[dict], key: str) -> list[dict]:
    return [x for x in layers if x["features"] and key in x["features"][0]["properties"]]


def test_reference_layer_and_moved_rings(ref_plan, tmp_path):
    written = write_map(ref_plan, tmp_path / "map.html")
    html = written.path.read_text(encoding="utf-8")
    outcome = ref_plan.reference
    counts = written.counts[0]
    assert counts.reference == outcome.groups == 13
    assert counts.moved == len(outcome.moved) > 0
    assert counts.pcns == 0  # today's PCNs are the reference layer, drawn once
    assert "Reference groups: today\\u0026#x27;s PCNs" in html  # the layer control's name
    assert json.dumps(REFERENCE_NAMES["moved"]) in html
    layers = _layers(html)
    (groups,) = _with(layers, "fate")
    codes = {f["properties"]["reference_group"] for f in groups["features"]}
    assert codes == set(ref_plan.practices["pcn_code"])
    fates = {
        f["properties"]["reference_group"]: f["properties"]["fate"] for f in groups["features"]
    }
    assert {g for g, fate in fates.items() if "split" in fate} == set(outcome.split)
    assert f'"weight": {REFERENCE_WEIGHT}' in html
    assert f'"weight": {MOVED_WEIGHT}' in html
    (rings,) = _with(layers, "moved")
    assert sorted(f["properties"]["practice_code"] for f in rings["features"]) == list(
        outcome.moved
    )
    practices = ref_plan.practices.set_index("practice_code")
    names = ref_plan.practices.set_index("practice_code")["reference_name"]
    for feature in rings["features"]:
        code = feature["properties"]["practice_code"]
        pcn, hub = practices.loc[code, "pcn_code"], practices.loc[code, "hub_id"]
        expected = f"moved from PCN {pcn} ({names[code]}) to hub {hub}"
        assert feature["properties"]["moved"] == expected
    assert "practice moved out of its reference group (moves.csv)" in html  # legend
    assert "reference group (the grouping planned from)" in html
    assert outcome.line().replace("'", "&#x27;") in html  # the panel, escaped


def test_a_plan_without_reference_has_neither_layer(ns_plan, tmp_path):
    html = write_map(ns_plan, tmp_path / "map.html").path.read_text(encoding="utf-8")
    assert "Reference groups" not in html
    assert REFERENCE_NAMES["moved"] not in html
    assert _with(_layers(html), "moved") == []


def test_an_earlier_plan_as_reference_names_its_hubs(tmp_path):
    """Hubs of at most 20,000 patients, re-planned at 30,000-50,000: every new hub holds two
    earlier hubs or more, so practices move whatever plan the solver returns."""
    from mcp_geo.maps._reference import moved_text
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    options = {"no_mcps": True, "threads": 1, "time_limit": 15}
    small = {**options, "hub_min": 10_000, "hub_max": 20_000, "gap": 0.01}
    before = run_scenario(Scenario.from_options("north-staffs", small))
    earlier = before.write(tmp_path / "earlier")
    plan = run_scenario(
        Scenario.from_options("north-staffs", {**options, "reference": str(earlier)})
    )
    written = write_map(plan, tmp_path / "map.html")
    html = written.path.read_text(encoding="utf-8")
    assert "Reference groups: the hubs of earlier" in html
    assert written.counts[0].reference == len(before.hubs)
    assert written.counts[0].pcns == 13  # today's PCNs are drawn as usual besides
    texts = moved_text(plan)
    assert len(texts) >= len(plan.hubs) == written.counts[0].hubs
    bases = before.hubs.set_index("hub_id")["base_name"]
    for code, text in texts.items():
        row = plan.practices.set_index("practice_code").loc[code]
        group = row["reference_group"]
        assert text == (
            f"moved from hub {group} of earlier (based at {bases[group]}) to hub {row['hub_id']}"
        )
