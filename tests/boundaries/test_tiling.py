"""Footprints' territories joined into one tiling (national plans), and the facts report.json gives.

Hand-drawn layouts in British National Grid metres; one real case: the two north-staffs
sub-ICBs as two footprints, each tiled in its own official outline, published and read back.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from mcp_geo.boundaries.territories import footprint_outline, practice_cells, territories
from mcp_geo.boundaries.tiling import join_footprints, territory_facts

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def assert_coverage(layer: gpd.GeoDataFrame, area: shapely.Geometry) -> None:
    """The polygons are a valid coverage (no overlaps, noded) whose union is ``area``."""
    shapes = layer.geometry.to_numpy()
    assert shapely.coverage_is_valid(shapes)
    union = shapely.coverage_union_all(shapes)
    assert math.isclose(union.area, area.area, rel_tol=1e-9)
    assert shapely.symmetric_difference(union, area).area <= 1e-9 * area.area


def test_join_footprints_fills_a_thin_gap_and_keeps_a_wide_hole() -> None:
    """Footprint A (two hubs) and footprint B (one hub), side by side::

    0        500       1000      2000
    +---------+---------+---------+ 1000   A-H02 reaches 2 m into B at the bottom
    |         |         |         |        (1000..1002 x 0..100: an outline extended to
    |  A-H01  |  A-H02  |n  B-H01 |        a practice): A-H02 is first, it keeps it.
    |         |         |n  [ ]   |        n: B's edge is 0.4 m short (1000..1000.4 x
    |         |         +-+       |        200..800): a gap of 240 m², 600 m along A-H02
    +---------+-----------+-------+ 0      and 600.8 m along B-H01: B-H01 gets it.
                                           [ ]: 1400..1600 x 400..600, a 200 m hole (an
                                           unplanned footprint) stays a hole.
    """
    b_outline = Polygon(
        [
            *[(1000, 0), (2000, 0), (2000, 1000), (1000, 1000)],
            *[(1000, 800), (1000.4, 800), (1000.4, 200), (1000, 200)],
        ]
    )
    hole = box(1400, 400, 1600, 600)
    layer = gpd.GeoDataFrame(
        {"hub_id": ["A-H01", "A-H02", "B-H01"], "absorbed": [0, 0, 0]},
        geometry=[
            box(0, 0, 500, 1000),
            shapely.union(box(500, 0, 1000, 1000), box(1000, 0, 1002, 100)),
            b_outline.difference(hole),
        ],
        crs=27700,
    )
    joined = join_footprints(layer)
    assert list(joined["hub_id"]) == ["A-H01", "A-H02", "B-H01"]
    assert list(joined["absorbed"]) == [0, 0, 1]
    assert list(joined["pieces"]) == [1, 1, 1]
    expected_b = box(1000, 0, 2000, 1000).difference(box(1000, 0, 1002, 100)).difference(hole)
    assert shapely.symmetric_difference(joined.geometry[2], expected_b).area < 1e-6
    assert joined.geometry[1].area == pytest.approx(500_000 + 200)
    assert_coverage(joined, box(0, 0, 2000, 1000).difference(hole))
    facts = territory_facts(joined)
    assert facts.territories == 3
    assert facts.slivers_merged == 1
    assert facts.in_pieces == ()


def test_territory_facts_report_hubs_without_territory_and_in_pieces() -> None:
    """H1: two squares of 1 km² apart; H2: nothing; H3: 0.25 km²."""
    layer = gpd.GeoDataFrame(
        {"hub_id": ["H1", "H2", "H3"], "absorbed": [2, 0, 1]},
        geometry=[
            shapely.union(box(0, 0, 1000, 1000), box(3000, 0, 4000, 1000)),
            Polygon(),
            box(1000, 0, 1500, 500),
        ],
        crs=27700,
    )
    assert territory_facts(layer).to_dict() == {
        "territories": 2,
        "without_territory": ["H2"],
        "in_pieces": 1,
        "hubs_in_pieces": ["H1"],
        "pieces": 3,
        "slivers_merged": 3,
        "smallest_km2": 0.25,
        "smallest_piece_km2": 0.25,
        "min_piece_km2": 0.01,
    }


@pytest.mark.skipif(not DATA.is_dir(), reason="needs the shared real data")
def test_two_real_footprints_published_and_joined_tile_their_outlines() -> None:
    """The north-staffs sub-ICBs (05G, 05W) as two footprints: each one's PCN territories tile
    its own official outline (extended to a few practices outside it); published in EPSG:4326 and read back, as a national run reads
    its parts, they are joined into one tiling of both outlines, every PCN keeping a
    territory and no piece below 0.01 km²."""
    from mcp_geo.practices import open_data, select_footprint

    subs = gpd.read_file(DATA / "geo" / "SubICB_April_2023_EN_BSC.geojson").to_crs(27700)
    data = open_data(DATA)
    layers, outlines = [], []
    for ccg, ons in (("05G", "E38000126"), ("05W", "E38000175")):
        practices = select_footprint(data, f"ccg:{ccg}").practices
        points = gpd.GeoDataFrame(
            practices[["practice_code"]], geometry=practices.geometry, crs=4326
        )
        outline = footprint_outline(points, official=subs[subs["SICBL23CD"] == ons])
        outlines.append(outline.geometry)
        cells = practice_cells(points, outline=outline)
        pcn = practices.set_index("practice_code")["pcn_code"].fillna("none")
        drawn = territories(cells, pcn, patients=practices.set_index("practice_code")["patients"])
        drawn["group_id"] = [f"{ccg}-{g}" for g in drawn["group_id"]]
        layers.append(drawn.to_crs(4326))
    stacked = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=4326).to_crs(27700)
    with pytest.raises(shapely.errors.GEOSException):
        shapely.coverage_union_all(stacked.geometry.to_numpy())  # not noded together
    joined = join_footprints(stacked)
    both = shapely.union_all(outlines)  # extended to reach practices outside their own
    shapes = joined.geometry.to_numpy()
    assert shapely.coverage_is_valid(shapes)
    union = shapely.coverage_union_all(shapes)
    assert math.isclose(union.area, both.area, rel_tol=1e-6)
    assert not any(p.interiors for p in shapely.get_parts(union))
    assert not joined.geometry.is_empty.any()
    facts = territory_facts(joined, id_column="group_id")
    assert facts.smallest_piece_km2 is not None
    assert facts.smallest_piece_km2 >= facts.min_piece_km2
