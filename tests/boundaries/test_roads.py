"""Road travel: a hand-built network whose paths are worked out here, and the real OSM extracts."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from mcp_geo._errors import ValidationError
from mcp_geo.boundaries.distances import TravelMatrix, great_circle_matrix
from mcp_geo.boundaries.roads.matrix import (
    ISLAND,
    OUTSIDE,
    TOO_FAR,
    RoadOptions,
    default_cache_dir,
    nearest_base_changes,
    road_travel_matrix,
    search_limit,
    travel_to_base,
)

ox = pytest.importorskip("osmnx", reason="the optional extra 'roads' is not installed")

E0, N0 = 500_000.0, 250_000.0  # British National Grid origin of the hand-built town


def town() -> nx.MultiDiGraph:
    """A town cut by a river with one bridge (J-K), one one-way street and a trunk bypass.

    Nodes sit 900 m apart (British National Grid metres from E0, N0); every street is 1,000 m
    long (streets bend), all residential two-way streets, except::

        y=1800  A --- B ~~~~~~~~~~~~~~~~~ C --- D        F -> B one-way (north only)
                |     ^      M (island)   |     |        M - N: an island in the river,
        y=900   E --- F      N            G --- H               joined to nothing else
                |     |   \\               |     |        F - L: trunk bypass, 3,500 m,
        y=0     I --- J ===bridge======== K --- L               maxspeed 60 mph, two-way
               x=0   900                 1800  2700
    """
    xy = {
        "A": (0, 1800),
        "B": (900, 1800),
        "C": (1800, 1800),
        "D": (2700, 1800),
        "E": (0, 900),
        "F": (900, 900),
        "G": (1800, 900),
        "H": (2700, 900),
        "I": (0, 0),
        "J": (900, 0),
        "K": (1800, 0),
        "L": (2700, 0),
        "M": (1350, 1700),
        "N": (1350, 1500),
    }
    g = nx.MultiDiGraph(crs="EPSG:27700")
    for name, (x, y) in xy.items():
        g.add_node(name, x=E0 + x, y=N0 + y)
    two_way = ["AB", "AE", "EF", "EI", "FJ", "IJ", "JK", "KL", "KG", "GH", "LH", "GC", "CD", "DH"]
    for u, v in two_way:
        highway = "primary" if u + v == "JK" else "residential"
        g.add_edge(u, v, length=1000.0, highway=highway)
        g.add_edge(v, u, length=1000.0, highway=highway)
    g.add_edge("F", "B", length=1000.0, highway="residential", oneway=True)
    g.add_edge("M", "N", length=200.0, highway="residential")
    g.add_edge("N", "M", length=200.0, highway="residential")
    for u, v in ("FL", "LF"):
        g.add_edge(u, v, length=3500.0, highway="trunk", maxspeed="60 mph")
    return nx.relabel_nodes(g, ord)  # osmnx GraphML wants integer node ids


def sites(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """Practices at BNG offsets (metres from E0, N0), 10,000 patients each."""
    pts = gpd.GeoSeries(
        gpd.points_from_xy([E0 + x for _, x, _ in rows], [N0 + y for *_, y in rows])
    )
    ll = pts.set_crs(27700).to_crs(4326)
    return pd.DataFrame(
        {
            "practice_code": [c for c, _, _ in rows],
            "patients": 10_000,
            "latitude": ll.y.to_numpy(),
            "longitude": ll.x.to_numpy(),
        }
    )


# pB 50 m east of B, pC on C, pF on F, pL 30 m south of L
TOWN = [("pB", 950, 1800), ("pC", 1800, 1800), ("pF", 900, 900), ("pL", 2700, -30)]
# road km from row to column worked out by hand on the drawing (snap legs 0.05 and 0.03 km):
# B -> F must go round B-A-E-F (3 km), F -> B is 1 km; crossing the river is only by J-K
EXPECTED_KM = np.array(
    [
        [0.0, 0.05 + 7, 0.05 + 3, 0.05 + 6 + 0.03],  # pB: B-A-E-I-J-K-G-C / B-A-E-F / ..-K-L
        [5 + 0.05, 0.0, 4.0, 3 + 0.03],  # pC: C-G-K-J-F-B / C-G-K-J-F / C-G-K-L
        [1 + 0.05, 4.0, 0.0, 3 + 0.03],  # pF: F-B / F-J-K-G-C / F-J-K-L (bypass is longer)
        [0.03 + 4 + 0.05, 0.03 + 3, 0.03 + 3, 0.0],  # pL: L-K-J-F-B / L-K-G-C / L-K-J-F
    ]
)


def test_hand_built_road_km_follow_one_way_streets_and_the_bridge():
    road = road_travel_matrix(sites(TOWN), roads=town(), options=RoadOptions(use_cache=False))
    assert road.travel.codes == ("pB", "pC", "pF", "pL")
    np.testing.assert_allclose(road.travel.km, EXPECTED_KM, atol=1e-3)
    assert road.travel.minutes is None
    assert road.sites["snap_km"].tolist() == pytest.approx([0.05, 0.0, 0.0, 0.03], abs=1e-3)
    assert road.unreachable.empty
    assert road.coverage.practices_reached == 4
    assert "road km" in road.travel.source


def test_hand_built_drive_minutes_take_the_fast_bypass_and_report_its_km():
    opts = RoadOptions(metric="minutes", use_cache=False)
    road = road_travel_matrix(sites(TOWN), roads=town(), options=opts)
    minutes, km = road.travel.minutes, road.travel.km
    assert minutes is not None
    mph60 = 60 * 1.60934  # osmnx converts "60 mph" to km/h
    snap_min = 0.03 * 60 / 20.0  # pL's 30 m snap leg at 20 km/h
    # F -> L: the 3.5 km bypass at 60 mph beats 3 km of streets (2 km at 32, the bridge at 80)
    assert minutes[2, 3] == pytest.approx(3.5 / mph60 * 60 + snap_min, abs=1e-3)
    assert km[2, 3] == pytest.approx(3.53, abs=1e-3)  # the km of that fastest path
    # C -> F has no faster way than its 4 km of streets: 3 residential km and the bridge
    assert minutes[1, 2] == pytest.approx(3 / 32 * 60 + 1 / 80 * 60, abs=1e-3)
    assert km[1, 2] == pytest.approx(4.0, abs=1e-3)
    assert road.values is minutes


def test_limit_cuts_paths_off_and_bases_restrict_the_columns():
    opts = RoadOptions(limit=3.5, use_cache=False)
    road = road_travel_matrix(sites(TOWN), roads=town(), options=opts)
    expected = np.where(EXPECTED_KM > 3.5, np.inf, EXPECTED_KM)
    np.testing.assert_allclose(road.travel.km, expected, atol=1e-3)
    only_c = road_travel_matrix(
        sites(TOWN), roads=town(), options=RoadOptions(use_cache=False), bases=["pC"]
    )
    finite = np.isfinite(only_c.travel.km)
    assert finite[:, 1].all()
    assert finite.sum() == 4 + 3  # pC's column plus the zero diagonal of the others
    np.testing.assert_allclose(only_c.travel.km[:, 1], EXPECTED_KM[:, 1], atol=1e-3)


def test_practices_off_the_network_are_reported_with_a_reason():
    extra = [("pIsle", 1350, 1650), ("pRiver", 1350, 1000), ("pAway", 9000, 9000)]
    frame = sites(TOWN + extra)
    frame.loc[frame["practice_code"] == "pAway", "patients"] = 5_000
    road = road_travel_matrix(
        frame, roads=town(), options=RoadOptions(max_snap_km=0.4, use_cache=False)
    )
    reasons = dict(zip(road.unreachable["practice_code"], road.unreachable["reason"], strict=True))
    assert reasons == {"pIsle": ISLAND, "pRiver": TOO_FAR, "pAway": OUTSIDE}
    isle = road.unreachable.set_index("practice_code").loc["pIsle", "detail"]
    assert "part of 2 nodes" in isle
    assert road.travel.codes == ("pB", "pC", "pF", "pL")
    np.testing.assert_allclose(road.travel.km, EXPECTED_KM, atol=1e-3)
    cover = road.coverage
    assert (cover.practices, cover.practices_reached) == (7, 4)
    assert (cover.patients, cover.patients_reached) == (65_000, 40_000)
    assert "reaches 4 of 7 practices (40,000 of 65,000 patients" in road.report["coverage"]
    assert road.report["unreachable"] == {ISLAND: 1, OUTSIDE: 1, TOO_FAR: 1}


def test_helpers_for_a_plan_notes_limits_and_travel_to_base():
    extra = [("pAway", 9000, 9000)]
    opts = RoadOptions(metric="minutes", use_cache=False)
    road = road_travel_matrix(sites(TOWN + extra), roads=town(), options=opts)
    notes = road.notes()
    assert notes[0] == (
        "roads: the road network reaches 4 of 5 practices (40,000 of 50,000 patients, 80.0%)"
    )
    assert notes[1] == f"roads: practices left out: 1 {OUTSIDE}"
    assert "14 nodes" in notes[2]
    assert "largest used 0.05 km" in notes[2]
    assert "residential 32" in notes[3]
    assert "snap legs at 20 km/h" in notes[3]
    assert search_limit(15.0, 30.0) == 30.0
    assert search_limit(15.0, None) is None
    assert search_limit() is None
    km, minutes = travel_to_base(road.travel, ["pF", "pC", "pB", "pAway"], ["pL", "pC", None, "pB"])
    assert minutes is not None
    assert km[:2].tolist() == pytest.approx([3.53, 0.0])  # F -> L by the fast bypass
    assert minutes[0] == pytest.approx(road.travel.minutes[2, 3], abs=1e-3)
    assert np.isnan(km[2:]).all()
    assert np.isnan(minutes[2:]).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_to_bases_match_networkx_on_random_graphs(seed):
    """Shortest km and fastest minutes (with the km of that path) from every node to 12 bases,
    against networkx's Dijkstra on random directed graphs with parallel edges."""
    from mcp_geo.boundaries.roads._graph import network_arrays, paths_to_bases

    rng = np.random.default_rng(seed)
    g = nx.gnm_random_graph(60, 200, seed=seed, directed=True)
    m = nx.MultiDiGraph(crs="EPSG:4326")
    for node in g.nodes:
        m.add_node(node, x=float(rng.uniform(0, 0.1)), y=float(52 + rng.uniform(0, 0.1)))
    for u, v in list(g.edges) + [tuple(e) for e in rng.integers(0, 60, (20, 2))]:
        if u != v:
            m.add_edge(
                u, v, length=float(rng.uniform(100, 3000)), travel_time=float(rng.uniform(10, 300))
            )
    net = network_arrays(m)
    ids = list(m.nodes)
    bases = rng.choice(60, 12, replace=False)
    sites = np.arange(60)
    value, km = paths_to_bases(net, sites=sites, bases=bases, metric="km", limit=None)
    minutes, fast_km = paths_to_bases(net, sites=sites, bases=bases, metric="minutes", limit=None)
    for j, b in enumerate(bases):
        by_km = nx.single_source_dijkstra_path_length(m.reverse(), ids[b], weight="length")
        by_time, paths = nx.single_source_dijkstra(m.reverse(), ids[b], weight="travel_time")
        for i in sites:
            if ids[i] not in by_km:
                assert value[i, j] == np.inf
                assert minutes[i, j] == np.inf
                continue
            assert value[i, j] == pytest.approx(by_km[ids[i]] / 1000)
            assert km[i, j] == value[i, j]
            assert minutes[i, j] == pytest.approx(by_time[ids[i]] / 60)
            path = paths[ids[i]][::-1]  # site -> base on the roads
            fastest = sum(  # the km of the fastest parallel edge along the path
                min(m[u][v].values(), key=lambda d: d["travel_time"])["length"]
                for u, v in itertools.pairwise(path)
            )
            assert fast_km[i, j] == pytest.approx(fastest / 1000)


def test_solvers_limit_and_minimise_the_chosen_metric_and_skip_pairs_without_a_way():
    """Hubs of at most 20,000 (two practices of 10,000) on the town, by km and by minutes."""
    from mcp_geo.solvers import HubRule, McpRule, SolveOptions, solve_hubs, solve_mcps

    frame = sites(TOWN)
    options = SolveOptions(time_limit=30)
    by_km = road_travel_matrix(frame, roads=town(), options=RoadOptions(use_cache=False))
    assert by_km.travel.metric == "km"
    rule = HubRule(hub_min=20_000, hub_max=20_000, max_km=None)
    plan = solve_hubs(frame, rule=rule, options=options, travel=by_km.travel)
    pairs = dict(zip(plan.assignment["practice_code"], plan.assignment["base_code"], strict=True))
    # pF joins pB (F -> B 1.05 km, B -> F 3.05) and pL with pC (3.03 both ways): 4.08 in all
    assert {frozenset((c, b)) for c, b in pairs.items() if c != b} == {
        frozenset(("pB", "pF")),
        frozenset(("pC", "pL")),
    }
    assert pairs["pF"] == "pB"
    by_minutes = road_travel_matrix(
        frame, roads=town(), options=RoadOptions(metric="minutes", limit=8.0, use_cache=False)
    )
    assert by_minutes.travel.metric == "minutes"
    assert not np.isfinite(by_minutes.travel.minutes).all()  # some pairs beyond 8 minutes
    rule = HubRule(hub_min=20_000, hub_max=20_000, max_minutes=8.0)  # a limit in minutes
    plan = solve_hubs(frame, rule=rule, options=options, travel=by_minutes.travel)
    values = by_minutes.travel.minutes
    pos = {c: k for k, c in enumerate(by_minutes.travel.codes)}
    for row in plan.assignment.itertuples():
        assert row.km_to_base == pytest.approx(
            values[pos[row.practice_code], pos[row.base_code]], abs=1e-3
        )
        assert row.km_to_base <= 8.0
    # MCPs with no distance limit over a matrix with inf entries: no inf in the objective
    hubs = plan.hubs[["hub_id", "patients", "base_code"]]
    mcps = solve_mcps(
        hubs,
        rule=McpRule(mcp_min=40_000, mcp_max_km=None),
        options=options,
        travel=by_minutes.travel,
    )
    assert mcps.certificate.status == "optimal"
    assert np.isfinite(mcps.certificate.objective)


def test_no_practice_on_the_network_is_an_error():
    with pytest.raises(ValidationError, match="no practice can be placed on the road network"):
        road_travel_matrix(
            sites([("far", 50_000, 50_000)]), roads=town(), options=RoadOptions(use_cache=False)
        )


def test_road_km_are_never_shorter_than_great_circle_on_the_hand_graph():
    road = road_travel_matrix(sites(TOWN), roads=town(), options=RoadOptions(use_cache=False))
    frame = sites(TOWN)
    gc = great_circle_matrix(frame["practice_code"], frame["latitude"], frame["longitude"])
    assert (road.travel.km >= gc.km - 1e-6).all()


def test_cache_is_keyed_by_file_practices_and_metric(tmp_path):
    graphml = tmp_path / "town.graphml"
    ox.save_graphml(town(), graphml)
    cache = tmp_path / "cache"
    opts = RoadOptions(cache_dir=cache)
    first = road_travel_matrix(sites(TOWN), roads=graphml, options=opts)
    again = road_travel_matrix(sites(TOWN), roads=graphml, options=opts)
    assert (first.from_cache, again.from_cache) == (False, True)
    np.testing.assert_allclose(first.travel.km, EXPECTED_KM, atol=1e-3)
    np.testing.assert_array_equal(again.travel.km, first.travel.km)
    assert again.unreachable.equals(first.unreachable)
    assert dict(again.report) == dict(first.report)
    assert len(list(cache.glob("*.npz"))) == 1
    minutes = road_travel_matrix(
        sites(TOWN), roads=graphml, options=RoadOptions(cache_dir=cache, metric="minutes")
    )
    moved = road_travel_matrix(sites(TOWN[:3]), roads=graphml, options=opts)
    assert (minutes.from_cache, moved.from_cache) == (False, False)
    ox.save_graphml(town().reverse(), graphml)  # a different file: one-way F -> B becomes B -> F
    changed = road_travel_matrix(sites(TOWN), roads=graphml, options=opts)
    assert not changed.from_cache
    assert changed.travel.km[0, 2] == pytest.approx(1.05, abs=1e-3)
    (cache / "bad.npz").write_bytes(b"not a zip")
    assert len(list(cache.glob("*.npz"))) == 5


def test_damaged_cache_file_is_ignored(tmp_path):
    graphml = tmp_path / "town.graphml"
    ox.save_graphml(town(), graphml)
    opts = RoadOptions(cache_dir=tmp_path)
    road_travel_matrix(sites(TOWN), roads=graphml, options=opts)
    (target,) = tmp_path.glob("*.npz")
    target.write_bytes(b"damaged")
    again = road_travel_matrix(sites(TOWN), roads=graphml, options=opts)
    assert not again.from_cache
    np.testing.assert_allclose(again.travel.km, EXPECTED_KM, atol=1e-3)


def test_default_cache_dir_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "mcp-geo" / "roads"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "mcp-geo" / "roads"


def test_roads_layer_lines_join_only_at_shared_vertices(tmp_path):
    """Four lines (lon/lat): W-E road P1-P2, an overpass Q1-Q2 over its middle (no shared
    vertex), a two-way link P2-Q2, and a one-way lane drawn P1 -> Q1 with oneway T (traffic
    against the drawing only, Q1 -> P1)::

        Q2 ------ P2          P1 -> Q1 must go round P1-P2-Q2-Q1: neither through the
        |         |           crossing nor down the lane;
        P1 ---+---+           Q1 -> P1 takes the lane
        |  (bridge)
        Q1   (lane P1-Q1 runs straight, beside the overpass)
    """
    p1, p2 = (0.0, 52.0), (0.02, 52.0)
    q1, q2 = (0.01, 51.99), (0.01, 52.01)
    lines = gpd.GeoDataFrame(
        {
            "osm_id": ["1", "2", "3", "4"],
            "fclass": ["residential", "tertiary", "unclassified", "residential"],
            "oneway": ["B", "B", "B", "T"],
            "maxspeed": [0, 48, 0, 0],
            "geometry": [
                LineString([p1, p2]),
                LineString([q1, q2]),
                LineString([p2, q2]),
                LineString([p1, q1]),
            ],
        },
        crs=4326,
    )
    path = tmp_path / "roads.gpkg"
    lines.to_file(path, layer="gis_osm_roads_free_1")
    frame = pd.DataFrame(
        {
            "practice_code": ["P1", "Q1"],
            "patients": 1,
            "latitude": [p1[1], q1[1]],
            "longitude": [p1[0], q1[0]],
        }
    )
    road = road_travel_matrix(frame, roads=path, options=RoadOptions(use_cache=False))
    corners = [p1, p2, q2, q1]
    legs = great_circle_matrix(
        ["P1", "P2", "Q2", "Q1"], [c[1] for c in corners], [c[0] for c in corners]
    )
    expected = legs.km[0, 1] + legs.km[1, 2] + legs.km[2, 3]
    assert road.travel.km[0, 1] == pytest.approx(expected, rel=1e-9)
    assert road.travel.km[1, 0] == pytest.approx(legs.km[0, 3], rel=1e-9)
    assert road.report["format"] == "roads layer (pyogrio)"


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" version="1" lat="52.00" lon="0.00"/>
  <node id="2" version="1" lat="52.00" lon="0.01"/>
  <node id="3" version="1" lat="52.00" lon="0.02"/>
  <node id="4" version="1" lat="52.01" lon="0.02"/>
  <node id="5" version="1" lat="52.01" lon="0.00"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="12" version="1"><nd ref="5"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
  <way id="13" version="1"><nd ref="5"/><nd ref="1"/>
    <tag k="highway" v="unclassified"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="14" version="1"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="15" version="1"><nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="access" v="private"/></way>
</osm>
"""


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_osm_extract_keeps_drivable_ways_and_their_directions(tmp_path, suffix):
    """A square 1-2-3 / 3-4 / 4-5 / 5-1 (lon/lat in OSM_XML) with a footway 1-4 and a private
    road 2-4 (both left out); 3 -> 4 is oneway=yes and 5-4 is oneway=-1 (so 4 -> 5 only)::

        5 <----- 4          P1 -> P4: 1-2-3-4 (no diagonal: footway, private road)
        |        ^          P4 -> P1: 4-5-1
        1 --2--- 3          P4 -> P3: 4-5-1-2-3 (3 -> 4 is one-way)
    """
    osmium = pytest.importorskip("osmium")
    xml = tmp_path / "town.osm"
    xml.write_text(OSM_XML)
    path = xml
    if suffix == ".osm.pbf":
        path = tmp_path / "town.osm.pbf"
        with osmium.SimpleWriter(str(path)) as writer:
            for item in osmium.FileProcessor(str(xml)):
                writer.add(item)
    frame = pd.DataFrame(
        {
            "practice_code": ["P1", "P3", "P4"],
            "patients": 1,
            "latitude": [52.00, 52.00, 52.01],
            "longitude": [0.00, 0.02, 0.02],
        }
    )
    road = road_travel_matrix(frame, roads=path, options=RoadOptions(use_cache=False))
    a = float(great_circle_matrix(["x", "y"], [52.0, 52.0], [0.0, 0.01]).km[0, 1])
    top = float(great_circle_matrix(["x", "y"], [52.01, 52.01], [0.0, 0.02]).km[0, 1])
    b = float(great_circle_matrix(["x", "y"], [52.0, 52.01], [0.02, 0.02]).km[0, 1])
    expected = np.array(
        [
            [0.0, 2 * a, 2 * a + b],
            [2 * a, 0.0, b],
            [top + b, top + b + 2 * a, 0.0],
        ]
    )
    np.testing.assert_allclose(road.travel.km, expected, rtol=1e-5)
    assert road.report["format"].startswith("OpenStreetMap")
    fast = road_travel_matrix(
        frame, roads=path, options=RoadOptions(metric="minutes", use_cache=False)
    )
    assert fast.travel.minutes is not None
    # 5 -> 1 has maxspeed 30 mph; the residential streets take the default 32 km/h
    assert fast.travel.minutes[2, 0] == pytest.approx(
        top / 32 * 60 + b / (30 * 1.60934) * 60, rel=1e-4
    )


def test_osm_extract_without_roads_is_an_error(tmp_path):
    pytest.importorskip("osmium")
    xml = tmp_path / "paths.osm"
    xml.write_text(
        OSM_XML.replace('v="residential"', 'v="footway"')
        .replace('v="unclassified"', 'v="path"')
        .replace('v="primary"', 'v="cycleway"')
    )
    with pytest.raises(ValidationError, match="the OSM file holds no drivable road"):
        road_travel_matrix(sites(TOWN), roads=xml, options=RoadOptions(use_cache=False))


def test_roads_layer_maxspeed_as_osm_text(tmp_path):
    """P1 -> P2 signed "30 mph" (OSM text, not Geofabrik's km/h number), P2 -> P3 unsigned."""
    p1, p2, p3 = (0.0, 52.0), (0.01, 52.0), (0.02, 52.0)
    lines = gpd.GeoDataFrame(
        {
            "highway": ["residential", "residential"],
            "oneway": ["no", "no"],
            "maxspeed": ["30 mph", ""],
            "geometry": [LineString([p1, p2]), LineString([p2, p3])],
        },
        crs=4326,
    )
    path = tmp_path / "roads.gpkg"
    lines.to_file(path)
    frame = pd.DataFrame(
        {"practice_code": ["A", "C"], "patients": 1, "latitude": 52.0, "longitude": [0.0, 0.02]}
    )
    road = road_travel_matrix(
        frame, roads=path, options=RoadOptions(metric="minutes", use_cache=False)
    )
    leg = float(great_circle_matrix(["a", "b"], [52.0, 52.0], [0.0, 0.01]).km[0, 1])
    assert road.travel.minutes[0, 1] == pytest.approx(
        leg / (30 * 1.60934) * 60 + leg / 32 * 60, rel=1e-6
    )


def test_xml_files_are_told_apart_by_their_root(tmp_path):
    graphml = tmp_path / "Cambridge_Graph.xml"  # osmnx GraphML under another name
    ox.save_graphml(town(), graphml)
    road = road_travel_matrix(sites(TOWN), roads=graphml, options=RoadOptions(use_cache=False))
    assert road.report["format"].startswith("osmnx GraphML")
    np.testing.assert_allclose(road.travel.km, EXPECTED_KM, atol=1e-3)
    pytest.importorskip("osmium")
    osm = tmp_path / "town.xml"
    osm.write_text(OSM_XML)
    frame = pd.DataFrame(
        {"practice_code": ["P1"], "patients": 1, "latitude": [52.0], "longitude": [0.0]}
    )
    road = road_travel_matrix(frame, roads=osm, options=RoadOptions(use_cache=False))
    assert road.report["format"].startswith("OpenStreetMap")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("bad.gpkg", "a roads layer"),
        ("bad.osm.pbf", "OpenStreetMap data"),
        ("bad.graphml", "GraphML"),
    ],
)
def test_unreadable_files_are_validation_errors(tmp_path, name, kind):
    pytest.importorskip("osmium")
    path = tmp_path / name
    path.write_bytes(b"this is not a road network\n" * 10)
    with pytest.raises(ValidationError, match=f"cannot read it as {kind}: .*road networks are"):
        road_travel_matrix(sites(TOWN), roads=path, options=RoadOptions(use_cache=False))


def test_missing_extra_names_it(monkeypatch, tmp_path, capsys):
    """The library raises the kind (MissingExtraError, an ImportError naming the extra); the
    CLI tells it as a usage error by its class, not by its words."""
    from mcp_geo._errors import MissingExtraError
    from mcp_geo.cli import main

    graphml = tmp_path / "town.graphml"
    ox.save_graphml(town(), graphml)
    monkeypatch.setitem(sys.modules, "osmnx", None)
    with pytest.raises(
        MissingExtraError, match=r"optional extra 'roads'.*pip install 'mcp-geo\[roads\]'"
    ) as caught:
        road_travel_matrix(sites(TOWN), roads=graphml, options=RoadOptions(use_cache=False))
    assert isinstance(caught.value, ImportError)
    assert caught.value.extra == "roads"
    frame = sites(TOWN)
    frame[["practice_code", "patients", "latitude", "longitude"]].to_csv(
        tmp_path / "town.csv", index=False
    )
    argv = ["plan", str(tmp_path / "town.csv"), "--travel", "road", "--roads", str(graphml)]
    assert main([*argv, "--no-mcps", "--hub-min", "0", "--out", str(tmp_path / "p")]) == 2
    assert "optional extra 'roads'" in capsys.readouterr().err


def test_options_and_inputs_are_validated(tmp_path):
    with pytest.raises(ValidationError, match=r"3 problems") as caught:
        RoadOptions(metric="miles", limit=0, max_snap_km=-1)  # type: ignore[arg-type]
    text = str(caught.value)
    assert "'metric': must be 'km' or 'minutes' (got 'miles')" in text
    assert "'limit': must be > 0 or None (got 0)" in text
    assert "'max_snap_km': must be a number > 0 (got -1)" in text
    with pytest.raises(ValidationError, match=r"'speeds_kmh': every speed must be > 0"):
        RoadOptions(speeds_kmh={"residential": 0})
    with pytest.raises(ValidationError, match="road network file not found"):
        road_travel_matrix(sites(TOWN), roads=tmp_path / "none.osm.pbf")
    frame = sites([*TOWN, ("pB", 0, 0)])
    with pytest.raises(ValidationError, match=r"2 problems") as caught:
        road_travel_matrix(frame, roads=town(), bases=["nope"])
    assert "codes must be unique (got ['pB'])" in str(caught.value)
    with pytest.raises(ValidationError, match=r"bases must be practice codes \(got \['nope'\]\)"):
        road_travel_matrix(sites(TOWN), roads=town(), bases=["nope"])


def test_nearest_base_changes_counts_flipped_pairs():
    codes = ("a", "b", "c")
    gc = TravelMatrix(codes, np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], float), "gc")
    road = TravelMatrix(codes, np.array([[0, 5, 2], [1, 0, 3], [2, 3, 0]], float), "road")
    change = nearest_base_changes(road, gc)
    # only a's order of b and c flips (b nearer by great-circle, c by road)
    assert (change.practices, change.nearest_changed, change.pairs, change.pairs_flipped) == (
        3,
        1,
        3,
        1,
    )
    assert change.share_flipped == pytest.approx(1 / 3)


# ---------------------------------------------------------------- real OpenStreetMap extracts


def extract_box(path: Path, tmp_path: Path) -> Path:
    """The extract's area as a polygon file: the PBF header's box, else the nodes' bounds."""
    if path.suffix == ".pbf":
        osmium = pytest.importorskip("osmium")
        b = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header().box()
        bounds = (b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)
    else:
        nodes = ox.load_graphml(path).nodes(data=True)
        lon = [float(d["lon"]) for _, d in nodes]
        lat = [float(d["lat"]) for _, d in nodes]
        bounds = (min(lon), min(lat), max(lon), max(lat))
    area = tmp_path / f"{path.stem}-area.gpkg"
    gpd.GeoDataFrame({"name": [path.stem]}, geometry=[box(*bounds)], crs=4326).to_file(area)
    return area


OSM = "osm"
RUTLAND_PBF = "rutland-latest_2022-07-20.osm.pbf"
RUTLAND_SHP = "rutland-latest-free_2022-08-18.shp.zip"
CAMBRIDGE = "Cambridge_Graph_2021-04-10.graphml"


@pytest.fixture(scope="module")
def osm_dir(shared_data) -> Path:
    folder = shared_data / OSM
    if not (folder / RUTLAND_PBF).is_file():
        pytest.skip(f"the OSM extracts are not in {folder}")
    pytest.importorskip("osmium")
    return folder


@pytest.fixture(scope="module")
def rutland(osm_dir, bundled_data, tmp_path_factory):
    """The practices whose sites lie in the box of the Rutland PBF's header."""
    from mcp_geo.practices import select_footprint

    area = extract_box(osm_dir / RUTLAND_PBF, tmp_path_factory.mktemp("rutland"))
    return select_footprint(bundled_data, f"polygon:{area}").practices


@pytest.fixture(scope="module")
def rutland_pbf_km(osm_dir, rutland, tmp_path_factory):
    cache = tmp_path_factory.mktemp("road-cache")
    return road_travel_matrix(
        rutland, roads=osm_dir / RUTLAND_PBF, options=RoadOptions(cache_dir=cache)
    ), cache


def great_circle_of(practices: pd.DataFrame, codes: tuple[str, ...]) -> TravelMatrix:
    rows = practices.set_index("practice_code").loc[list(codes)]
    return great_circle_matrix(list(codes), rows["latitude"], rows["longitude"])


def check_against_great_circle(road: TravelMatrix, practices: pd.DataFrame) -> np.ndarray:
    """Every road km is at least the great-circle km; returns the finite off-diagonal ratios."""
    gc = great_circle_of(practices, road.codes)
    finite = np.isfinite(road.km)
    assert (road.km[finite] >= gc.km[finite] - 1e-6).all()
    off = finite & ~np.eye(len(road.codes), dtype=bool) & (gc.km > 0)
    return road.km[off] / gc.km[off]


def test_rutland_box_holds_six_practices_four_in_rutland(rutland):
    assert len(rutland) == 6
    assert int(rutland["patients"].sum()) == pytest.approx(74_000, rel=0.02)
    llr = rutland["icb_name"].str.contains("Rutland", case=False)
    assert int(llr.sum()) == 4


def test_rutland_pbf_road_km_and_a_hub_plan(rutland, rutland_pbf_km, osm_dir):
    from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs

    road, cache = rutland_pbf_km
    assert not road.from_cache
    assert road.unreachable.empty
    assert road.coverage.patients_reached == int(rutland["patients"].sum())
    assert road.report["sha256"] == (
        "85f7540a52772856e61fca49c257ebdf653e62b4a552a9c59fc65b626582e387"
    )
    assert road.report["snap_km_max"] == road.sites["snap_km"].max() < 1.0  # within the limit
    ratios = check_against_great_circle(road.travel, rutland)
    assert 1.05 < float(np.median(ratios)) < 1.8  # roads bend, but not wildly
    again = road_travel_matrix(
        rutland, roads=osm_dir / RUTLAND_PBF, options=RoadOptions(cache_dir=cache)
    )
    assert again.from_cache
    np.testing.assert_array_equal(again.travel.km, road.travel.km)
    rule = HubRule(hub_min=10_000, hub_max=50_000, max_km=25.0)
    plan = solve_hubs(rutland, rule=rule, options=SolveOptions(time_limit=60), travel=road.travel)
    assert plan.certificate.status == "optimal"
    assert sorted(plan.assignment["practice_code"]) == sorted(rutland["practice_code"])
    pos = {c: k for k, c in enumerate(road.travel.codes)}
    for row in plan.assignment.itertuples():
        km = road.travel.km[pos[row.practice_code], pos[row.base_code]]
        assert row.km_to_base == pytest.approx(km, abs=5e-4)
        assert km <= 25.0
    assert "road km" in plan.distance_source


def test_rutland_shapefiles_agree_with_the_pbf(rutland, rutland_pbf_km, osm_dir):
    pbf, _ = rutland_pbf_km
    layer = road_travel_matrix(
        rutland, roads=osm_dir / RUTLAND_SHP, options=RoadOptions(use_cache=False)
    )
    assert layer.unreachable.empty
    assert layer.travel.codes == pbf.travel.codes
    check_against_great_circle(layer.travel, rutland)
    off = ~np.eye(len(pbf.travel.codes), dtype=bool)
    ratio = layer.travel.km[off] / pbf.travel.km[off]
    # the same roads a month apart, one graph from OSM ways and one from the lines' vertices
    assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
    assert ratio.min() > 0.85
    assert ratio.max() < 1.15
    minutes = road_travel_matrix(
        rutland,
        roads=osm_dir / RUTLAND_SHP,
        options=RoadOptions(metric="minutes", use_cache=False),
    )
    assert minutes.travel.minutes is not None
    speed = 60 * minutes.travel.km[off] / minutes.travel.minutes[off]
    assert 30 < float(np.median(speed)) < 100  # km/h over the whole trip


def test_cambridge_graphml(osm_dir, bundled_data, tmp_path):
    from mcp_geo.practices import select_footprint
    from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs

    area = extract_box(osm_dir / CAMBRIDGE, tmp_path)
    practices = select_footprint(bundled_data, f"polygon:{area}").practices
    assert 8 <= len(practices) <= 13
    road = road_travel_matrix(
        practices, roads=osm_dir / CAMBRIDGE, options=RoadOptions(metric="minutes", use_cache=False)
    )
    assert "undirected" in road.report["notes"][0]
    assert road.report["nodes"] == 2588
    assert len(road.travel.codes) + len(road.unreachable) == len(practices)
    assert road.coverage.practices_reached >= len(practices) - 2
    ratios = check_against_great_circle(road.travel, practices)
    assert float(np.median(ratios)) > 1.0
    np.testing.assert_allclose(road.travel.km, road.travel.km.T, atol=1e-6)  # undirected
    reached = practices[practices["practice_code"].isin(road.travel.codes)]
    rule = HubRule(hub_min=20_000, hub_max=60_000, max_km=6.0)
    plan = solve_hubs(reached, rule=rule, options=SolveOptions(time_limit=60), travel=road.travel)
    assert plan.certificate.status == "optimal"
    assert plan.assignment["km_to_base"].max() <= 6.0


@pytest.mark.slow
def test_two_hundred_synthetic_sites_planned_on_rutland_roads(osm_dir):
    from mcp_geo.boundaries.roads.matrix import read_road_network
    from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs

    graph = read_road_network(osm_dir / RUTLAND_PBF)
    frame = synthetic_sites(graph, 200, seed=20221118)
    road = road_travel_matrix(frame, roads=graph, options=RoadOptions(limit=10.0, use_cache=False))
    # every site starts within 150 m of a road; one sampled road is a cut-off fragment
    assert road.coverage.practices_reached >= 195
    assert set(road.unreachable["reason"]) <= {ISLAND}
    ratios = check_against_great_circle(road.travel, frame)
    assert 1.1 < float(np.median(ratios)) < 1.6
    full = road_travel_matrix(frame, roads=graph, options=RoadOptions(use_cache=False))
    change = nearest_base_changes(full.travel, great_circle_of(frame, full.travel.codes))
    # the road changes which base is nearer for a real share of pairs, but not most of them
    assert 0.02 < change.share_flipped < 0.3
    assert 0.1 < change.share_nearest_changed < 0.7
    reached = frame[frame["practice_code"].isin(road.travel.codes)]
    rule = HubRule(hub_min=30_000, hub_max=50_000, max_km=10.0)
    plan = solve_hubs(
        reached, rule=rule, options=SolveOptions(time_limit=10, gap=0.01), travel=road.travel
    )
    assert plan.certificate.status in {"optimal", "feasible"}
    assign = plan.assignment.set_index("practice_code")
    assert sorted(assign.index) == sorted(reached["practice_code"])
    pos = {c: k for k, c in enumerate(road.travel.codes)}
    km = [road.travel.km[pos[c], pos[b]] for c, b in assign["base_code"].items()]
    np.testing.assert_allclose(assign["km_to_base"], km, atol=5e-4)
    assert max(km) <= 10.0
    sizes = reached.set_index("practice_code")["patients"].groupby(assign["hub_id"]).sum()
    hubs = plan.hubs.set_index("hub_id")
    assert (sizes == hubs["patients"]).all()
    assert hubs.loc[hubs["exception"].isna(), "patients"].between(30_000, 50_000).all()


def synthetic_sites(graph: nx.MultiDiGraph, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` sites within about 100 m of distinct random nodes of ``graph`` (lon/lat nodes)."""
    rng = np.random.default_rng(seed)
    ids = list(graph.nodes)
    pick = rng.choice(len(ids), n, replace=False)
    lat = np.array([graph.nodes[ids[i]]["y"] for i in pick]) + rng.uniform(-8e-4, 8e-4, n)
    lon = np.array([graph.nodes[ids[i]]["x"] for i in pick]) + rng.uniform(-1.2e-3, 1.2e-3, n)
    return pd.DataFrame(
        {
            "practice_code": [f"S{i:03d}" for i in range(n)],
            "patients": rng.integers(1_500, 9_000, n),
            "latitude": lat,
            "longitude": lon,
        }
    )


# ---------------------------------------------------------------- the plan command on roads


def test_scenario_travel_options_are_validated():
    from mcp_geo.scenario import Scenario

    with pytest.raises(ValidationError, match="4 problems") as caught:
        Scenario.from_options(
            "x", {"travel": "road", "metric": "hours", "max_minutes": 0, "circuity": 1.2}
        )  # type: ignore[arg-type]
    text = str(caught.value)
    assert "'roads': travel 'road' needs a road network file (roads)" in text
    assert "'metric': must be 'km' or 'minutes' (got 'hours')" in text
    assert "'max_minutes': must be minutes > 0, or none for no limit (got 0)" in text
    assert "'circuity': applies to great-circle travel only (got 1.2)" in text
    with pytest.raises(ValidationError, match="2 problems") as caught:
        Scenario.from_options("x", {"roads": "r.osm.pbf", "metric": "minutes"})
    assert "a road network file needs travel 'road'" in str(caught.value)
    assert "drive minutes need travel 'road'" in str(caught.value)
    with pytest.raises(ValidationError, match="'circuity': must be a factor >= 1"):
        Scenario.from_options("x", {"circuity": 0.9})
    plain = Scenario.from_options("x")
    assert "travel" not in plain.to_toml()  # great-circle scenario files are as before
    road = Scenario.from_options("x", {"travel": "road", "roads": "r.osm.pbf", "max_minutes": None})
    assert 'travel = "road"' in road.to_toml()
    assert 'max_minutes = "none"' in road.to_toml()


def test_plan_command_in_drive_minutes_on_the_rutland_pbf(osm_dir, tmp_path, monkeypatch):
    import json

    from mcp_geo.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    area = extract_box(osm_dir / RUTLAND_PBF, tmp_path)
    args = [
        "plan",
        f"polygon:{area}",
        "--travel",
        "road",
        "--roads",
        str(osm_dir / RUTLAND_PBF),
        "--metric",
        "minutes",
        "--max-minutes",
        "30",
        "--no-mcps",
        "--hub-min",
        "10000",
    ]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0  # from the cache
    for name in ("practices.csv", "hubs.csv", "exclusions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    planned = pd.read_csv(tmp_path / "a" / "practices.csv")
    assert len(planned) == 6
    assert planned["minutes_to_hub_base"].max() <= 30.0
    road = planned[planned["hub_base_code"] != planned["practice_code"]]
    assert len(road) > 0
    bases = planned.set_index("practice_code").loc[road["hub_base_code"]]
    from mcp_geo.boundaries.distances import haversine_km

    gc = haversine_km(
        (road["latitude"], road["longitude"]), (bases["latitude"], bases["longitude"])
    )
    assert (road["km_to_hub_base"].to_numpy() >= np.round(gc, 3) - 1e-3).all()
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["parameters"]["travel"].startswith("drive minutes (fastest paths) on rutland")
    assert report["parameters"]["metric"] == "minutes"
    assert any(n.startswith("roads: the road network reaches 6 of 6") for n in report["notes"])
    assert 'travel = "road"' in (tmp_path / "a" / "scenario.toml").read_text()


def test_plan_command_reports_road_problems_as_usage_errors(tmp_path, monkeypatch, capsys):
    from mcp_geo.cli import main

    graphml = tmp_path / "town.graphml"
    ox.save_graphml(town(), graphml)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    base = ["plan", "practices:C82010,C82044", "--out", str(tmp_path / "out"), "--no-mcps"]
    assert main([*base, "--metric", "minutes"]) == 2
    assert "drive minutes need travel 'road'" in capsys.readouterr().err
    assert main([*base, "--travel", "road", "--roads", str(tmp_path / "none.pbf")]) == 2
    assert "road network file not found" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "osmnx", None)
    assert main([*base, "--travel", "road", "--roads", str(graphml)]) == 2
    assert "pip install 'mcp-geo[roads]'" in capsys.readouterr().err
