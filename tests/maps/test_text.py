"""Names from data files and users' files are shown as text on every map (checks of the HTML;
tests/maps/test_untrusted_text.py opens the maps in a browser)."""

from __future__ import annotations

import html

import folium
import pytest
from folium.features import GeoJsonDetail

from mcp_geo.maps._layers import add_plan_layers
from mcp_geo.maps._panel import panel_html
from mcp_geo.maps._text import TextPopup, TextTooltip
from mcp_geo.maps.render import MapOptions, render_plan
from tests._plans import PAYLOADS


def _details(element):
    """Every tooltip and popup class in a folium element tree."""
    for child in element._children.values():
        if isinstance(child, GeoJsonDetail):
            yield child
        yield from _details(child)


@pytest.fixture(scope="module")
def maps(planted_plan):
    from mcp_geo.maps.compare_map import render_comparison
    from mcp_geo.pipeline.compare import compare_plans, compare_with_pcns

    options = MapOptions(tiles=None)
    with_pcns = compare_with_pcns(planted_plan, label=PAYLOADS[0])
    with_plan = compare_plans(planted_plan, planted_plan, a_label=PAYLOADS[1], b_label=PAYLOADS[2])
    return {
        "plan": render_plan(planted_plan, options=options),
        "pcns": render_comparison(with_pcns, options=options)[0],
        "plans": render_comparison(with_plan, options=options)[0],
    }


def test_every_tooltip_and_popup_sets_its_text_as_text(maps):
    """folium's GeoJsonTooltip and GeoJsonPopup set the properties as HTML (innerHTML)."""
    for fmap in (maps["plan"], maps["pcns"].m1, maps["pcns"].m2, maps["plans"].m2):
        details = list(_details(fmap))
        assert len(details) >= 2
        assert {type(d) for d in details} <= {TextTooltip, TextPopup}
    page = maps["plan"].get_root().render()
    assert "textContent" in page
    assert "innerHTML" not in page


@pytest.mark.parametrize("name", ["plan", "pcns", "plans"])
def test_no_markup_from_the_data_reaches_the_page(maps, name):
    """Names, PCN codes, the footprint title and the comparison's labels are escaped: in the
    panels as HTML text, in the scripts' data as JSON (\\u003c)."""
    fmap = maps[name] if name == "plan" else maps[name].m1
    page = fmap.get_root().render()
    for payload in PAYLOADS:
        assert payload not in page
    assert html.escape(PAYLOADS[1]) in page  # the title, in the panel


def test_a_label_in_layer_names_is_escaped(planted_plan):
    """Leaflet's layer control sets each layer's name as HTML."""
    fmap = folium.Map(tiles=None)
    add_plan_layers(fmap, planted_plan, label=PAYLOADS[1])
    names = [c.layer_name for c in fmap._children.values() if hasattr(c, "layer_name")]
    assert len(names) == 8
    assert all(n.startswith(html.escape(PAYLOADS[1]) + ": ") for n in names)


def test_the_panel_of_a_sites_plan_names_its_file(planted_plan):
    """A plan of the user's own sites has no list-size date."""
    panel = panel_html(planted_plan)
    assert f"30 practices, 284,801 patients (list sizes from {html.escape(PAYLOADS[1])}.csv)" in (
        panel
    )
    assert PAYLOADS[1] not in panel
