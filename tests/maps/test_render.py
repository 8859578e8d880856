"""The plan map's HTML: layers, feature counts, popups, panel, size, offline assets."""

from __future__ import annotations

import json
import re

import pytest
import shapely

from mcp_geo._errors import ValidationError
from mcp_geo.maps._geometry import colour_groups, simplified_coverage
from mcp_geo.maps._layers import LAYER_NAMES, practice_radius
from mcp_geo.maps.render import LARGE_MAP_ABOVE, MapOptions, write_map


@pytest.fixture(scope="module")
def ns_map(ns_plan, tmp_path_factory):
    written = write_map(ns_plan, tmp_path_factory.mktemp("map") / "map.html")
    return written, written.path.read_text(encoding="utf-8")


def _geojson_layers(html: str) -> list[dict]:
    """The GeoJSON objects folium embedded (``geo_json_<id>_add({...});``)."""
    out = []
    for match in re.finditer(r"geo_json_\w+_add\((\{.*\})\);$", html, flags=re.MULTILINE):
        out.append(json.loads(match.group(1)))
    return out


def test_map_is_small_self_contained_and_offline(ns_map):
    written, html = ns_map
    assert written.self_contained, written.missing_assets
    assert written.bytes < 3_000_000
    assert "<script src=" not in html
    assert '<link rel="stylesheet" href="http' not in html
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js */" in html  # inlined, named
    assert "fontawesome" not in html.lower().replace("/*", "")  # unused icon fonts left out
    # the only network addresses left are the tile template and attribution links
    assert set(re.findall(r"https://([a-z.{}]+)/\{z\}", html)) == {"tile.openstreetmap.org"}
    assert "markercluster" not in html.lower()  # a footprint's practices are not clustered


def test_layers_hold_one_feature_per_hub_mcp_pcn_and_practice(ns_plan, ns_map):
    written, html = ns_map
    for name in LAYER_NAMES.values():
        assert json.dumps(name).replace("'", "\\u0027") in html, name
    counts = written.counts[0]
    assert counts.hubs == len(ns_plan.hubs) == 16
    assert counts.mcps == len(ns_plan.mcps) == 4
    assert counts.pcns == ns_plan.metrics.pcn.pcns.groups == 13
    assert counts.practices == len(ns_plan.practices) == 66
    layers = _geojson_layers(html)
    sizes = sorted(len(layer["features"]) for layer in layers)
    assert sizes == sorted([16, 4, 13, 1, 66, 16, 4])
    practices = next(x for x in layers if len(x["features"]) == 66)
    codes = {f["properties"]["practice_code"] for f in practices["features"]}
    assert codes == set(ns_plan.practices["practice_code"])
    radius = {
        f["properties"]["practice_code"]: f["properties"]["radius"] for f in practices["features"]
    }
    big = ns_plan.practices.loc[ns_plan.practices["patients"].idxmax(), "practice_code"]
    small = ns_plan.practices.loc[ns_plan.practices["patients"].idxmin(), "practice_code"]
    assert radius[big] > radius[small]


def _cluster_rows(html: str) -> list[list]:
    """The practice rows of each ``FastMarkerCluster`` (``var data = [...];``)."""
    return [
        json.loads(match.group(1))
        for match in re.finditer(r"^\s*var data = (\[.*\]);$", html, flags=re.MULTILINE)
    ]


def test_a_large_map_clusters_its_practices_with_the_plugin_inlined(ns_plan, tmp_path, monkeypatch):
    """Above the large-map threshold (lowered to 50: north-staffs' 66 practices count)."""
    from mcp_geo.maps import render

    monkeypatch.setattr(render, "LARGE_MAP_ABOVE", 50)
    written = write_map(ns_plan, tmp_path / "map.html")
    html = written.path.read_text(encoding="utf-8")
    assert written.self_contained, written.missing_assets
    assert "<script src=" not in html
    assert '<link rel="stylesheet" href="http' not in html
    for name in ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"):
        assert f"/ajax/libs/leaflet.markercluster/1.1.0/{name} */" in html, name  # inlined
    assert "L.markerClusterGroup(" in html
    assert '"preferCanvas": true' in html
    (rows,) = _cluster_rows(html)
    assert len(rows) == written.counts[0].practices == len(ns_plan.practices) == 66
    # a row per practice: latitude, longitude, radius, then the popup's values
    by_code = {row[3]: row for row in rows}
    assert set(by_code) == set(ns_plan.practices["practice_code"])
    for _, practice in ns_plan.practices.iterrows():
        row = by_code[practice["practice_code"]]
        assert row[:2] == pytest.approx([practice.geometry.y, practice.geometry.x], abs=1e-5)
        assert row[2] == practice_radius(practice["patients"])
        assert row[4:] == [
            practice["practice_name"],
            f"{practice['patients']:,}",
            practice["hub_id"],
            practice["mcp_id"],
            f"{practice['km_to_hub_base']:.2f} km",
        ]
    assert json.dumps(["Practice", "Name", "Patients", "Hub", "MCP", "To hub base"]) in html
    # the practices are no longer a GeoJSON layer; the other layers are as before
    sizes = sorted(len(layer["features"]) for layer in _geojson_layers(html))
    assert sizes == sorted([16, 4, 13, 1, 16, 4])
    assert json.dumps(LAYER_NAMES["practices"]) in html


def test_popups_and_panel_carry_the_numbers(ns_plan, ns_map):
    _, html = ns_map
    for alias in ("Patients", "To hub base", "Span", "Base hub", "Hubs"):
        assert f'"{alias}"' in html, alias
    assert "<b>16 hubs</b> of 30,000-50,000 patients: all within" in html
    assert "<b>4 MCPs</b> of at least 100,000 patients: all within" in html
    # the certificates in plain words, not the solver's
    assert "Hubs: <b>proven the best possible plan" in html
    assert "MCPs: <b>proven the best possible plan" in html
    (panel,) = re.findall(
        r'<details open class="mcp-geo-box mcp-geo-panel.*?</details></details>', html
    )
    assert "gap" not in panel
    assert "haversine" not in panel
    assert "6371" not in panel
    assert f"{ns_plan.metrics.hubs.travel.mean:.1f} km from their hub base on average" in html
    assert "distances in straight lines" in html
    # the data's dates and attribution, in the panel and the map's attribution line
    assert "list sizes of 1 April 2025" in html
    assert "List sizes of 1 April 2025. NHS England, ONS: OGL v3.0" in html
    for line in ("Open Government Licence v3.0", "OS data", "Royal Mail data", "ONS boundaries"):
        assert line in html, line
    assert "mcp-geo-legend" in html
    assert '"preferCanvas": false' in html  # a footprint map draws with SVG


def test_display_simplification_leaves_the_plan_alone(ns_plan):
    before = ns_plan.territories_hubs.geometry.copy()
    shown = simplified_coverage(ns_plan.territories_hubs, tolerance_m=25)
    assert ns_plan.territories_hubs.geometry.equals(before)
    vertices = shapely.get_num_coordinates(shown.geometry.to_numpy()).sum()
    assert vertices < shapely.get_num_coordinates(before.to_numpy()).sum()
    # simplified together: no gaps or overlaps open between neighbours
    union = shapely.union_all(shown.geometry.to_numpy())
    assert abs(union.area - shown.geometry.area.sum()) < 1e-6 * union.area
    assert abs(union.area - ns_plan.outline.geometry.area) < 0.005 * union.area


def test_touching_territories_get_different_colours(ns_plan):
    colours = colour_groups(ns_plan.territories_hubs, "hub_id")
    layer = ns_plan.territories_hubs
    touching = 0
    for i, a in layer.iterrows():
        for j, b in layer.iterrows():
            if i < j and a.geometry.intersects(b.geometry):
                touching += 1
                assert colours[a["hub_id"]] != colours[b["hub_id"]]
    assert touching > 16
    assert len(set(colours.values())) > 4


def test_practice_radius_area_follows_list_size():
    assert practice_radius(10_000) == 7.0
    assert practice_radius(40_000) == 14.0
    assert practice_radius(0) == 2.5


def test_map_options():
    assert MapOptions().use_canvas(LARGE_MAP_ABOVE + 1)
    assert not MapOptions().use_canvas(66)
    assert MapOptions(canvas=True).use_canvas(66)
    assert MapOptions().use_cluster(LARGE_MAP_ABOVE + 1)
    assert not MapOptions().use_cluster(LARGE_MAP_ABOVE)
    assert MapOptions(cluster=True).use_cluster(66)
    assert not MapOptions(cluster=False).use_cluster(LARGE_MAP_ABOVE + 1)
    with pytest.raises(ValidationError, match=r"cluster.*must be True, False or None"):
        MapOptions(cluster="yes")
    with pytest.raises(ValidationError, match=r"simplify_m.*must be a number of metres >= 0"):
        MapOptions(simplify_m=-1)
    with pytest.raises(ValidationError, match="must be a tile name or None"):
        MapOptions(tiles=" ")


def test_map_without_tiles(ns_plan, tmp_path):
    written = write_map(ns_plan, tmp_path / "m.html", options=MapOptions(tiles=None))
    assert "tile.openstreetmap.org" not in written.path.read_text()


def test_cli_map_writes_dir_map_html(ns_plan_dir, tmp_path, capsys):
    import shutil

    from mcp_geo.cli import main

    folder = tmp_path / "plan"
    shutil.copytree(ns_plan_dir, folder)
    assert main(["map", str(folder)]) == 0
    assert "self-contained" in capsys.readouterr().out
    assert "Hub territories" in (folder / "map.html").read_text()
    assert main(["map", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_cli_plan_with_map(tmp_path):
    from mcp_geo.cli import main

    out = tmp_path / "ns"
    assert (
        main(["-q", "plan", "north-staffs", "--out", str(out), "--engine", "compact", "--map"]) == 0
    )
    assert (out / "map.html").stat().st_size < 3_000_000
    assert (out / "practices.csv").is_file()


@pytest.mark.parametrize("cluster", [False, True])
def test_hub_bases_start_hidden_on_large_maps(ns_plan, cluster: bool) -> None:
    """A base per hub (1,600 on the national map) would hide the clusters: a layer to add."""
    import folium

    from mcp_geo.maps.render import render_plan

    fmap = render_plan(ns_plan, options=MapOptions(cluster=cluster))
    shown = {
        layer.layer_name: layer.show
        for layer in fmap._children.values()
        if isinstance(layer, folium.GeoJson)
    }
    assert shown[LAYER_NAMES["hub_bases"]] is not cluster
    assert shown[LAYER_NAMES["hubs"]] is True


def test_hub_colours_are_shades_of_their_mcps_hue_and_neighbours_differ(ns_plan):
    from mcp_geo.maps._colours import OKABE_ITO, hub_colours, shades, touching_pairs

    mcp_of = dict(zip(ns_plan.hubs["hub_id"], ns_plan.hubs["mcp_id"], strict=True))
    colours = hub_colours(ns_plan.territories_hubs, mcp_of)
    pairs = touching_pairs(ns_plan.territories_hubs, "hub_id")
    assert len(pairs) > 16
    assert all(colours[a] != colours[b] for a, b in pairs)
    for mcp in set(mcp_of.values()):
        ramps = [
            set(shades(hue, 8))
            for hue in OKABE_ITO
            if {colours[h] for h, m in mcp_of.items() if m == mcp} <= set(shades(hue, 8))
        ]
        assert len(ramps) == 1, mcp  # one hue per MCP
    assert colours == hub_colours(ns_plan.territories_hubs, mcp_of)  # deterministic
