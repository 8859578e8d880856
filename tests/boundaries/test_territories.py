"""Territories: outlines, Voronoi practice cells and dissolved hub / MCP territories.

Fixtures are drawn in a 100 m x 100 m square outline in British National Grid metres, with the
origin at (400000, 300000) so the points are real English coordinates (the conversion tests
need that); coordinates below are relative to that origin.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from mcp_geo._errors import ValidationError
from mcp_geo.boundaries.territories import (
    Outline,
    footprint_outline,
    merge_territories,
    practice_cells,
    territories,
    to_wgs84,
)
from mcp_geo.boundaries.tiling import territory_facts

X0, Y0 = 400_000.0, 300_000.0
SQUARE = box(X0, Y0, X0 + 100, Y0 + 100)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def square_outline() -> Outline:
    return Outline(geometry=SQUARE, source="official", description="test square")


def sites(**where: tuple[float, float]) -> gpd.GeoDataFrame:
    """Practices at relative coordinates, e.g. ``sites(A=(25, 25), B=(75, 25))``."""
    return gpd.GeoDataFrame(
        {"practice_code": list(where)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in where.values()],
        crs="EPSG:27700",
    )


def rel_box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def assert_tiles(parts: gpd.GeoSeries, outline: shapely.Geometry) -> None:
    """The non-empty parts are valid polygons, cover ``outline`` and do not overlap."""
    geoms = [g for g in parts if not g.is_empty]
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    union = shapely.union_all(geoms)
    assert math.isclose(union.area, outline.area, rel_tol=1e-6)
    assert shapely.symmetric_difference(union, outline).area <= 1e-6 * outline.area
    assert math.isclose(sum(g.area for g in geoms), outline.area, rel_tol=1e-6)  # no overlaps
    for a, b in itertools.combinations(geoms, 2):
        assert shapely.intersection(a, b).area <= 1e-6 * outline.area


# --- cells ---------------------------------------------------------------------------------


def test_four_corner_sites_give_four_equal_quarters() -> None:
    """Layout (square 0..100; sites at the quarter points)::

        C(25,75)   D(75,75)
        A(25,25)   B(75,25)

    Each cell is the quarter square around its site: 50 x 50 = 2,500 m².
    """
    cells = practice_cells(
        sites(A=(25, 25), B=(75, 25), C=(25, 75), D=(75, 75)), outline=square_outline()
    )
    assert list(cells["practice_code"]) == ["A", "B", "C", "D"]
    assert list(cells["cell_id"]) == [0, 1, 2, 3]
    assert cells.crs.to_epsg() == 27700
    expected = [
        rel_box(0, 0, 50, 50),
        rel_box(50, 0, 100, 50),
        rel_box(0, 50, 50, 100),
        rel_box(50, 50, 100, 100),
    ]
    for cell, want in zip(cells.geometry, expected, strict=True):
        assert cell.area == pytest.approx(2_500.0)
        assert shapely.symmetric_difference(cell, want).area < 1e-6
    assert_tiles(cells.geometry, SQUARE)


def test_co_located_practices_share_one_cell() -> None:
    """A and B at (25, 25), C at (75, 75): the bisector x + y = 100 cuts the square into two
    right triangles of 100 * 100 / 2 = 5,000 m²; A and B share the lower-left one."""
    cells = practice_cells(sites(A=(25, 25), B=(25, 25), C=(75, 75)), outline=square_outline())
    assert list(cells["cell_id"]) == [0, 0, 1]
    a, b, c = cells.geometry
    assert a.equals(b)
    assert a.area == pytest.approx(5_000.0)
    assert c.area == pytest.approx(5_000.0)
    assert a.contains(Point(X0 + 10, Y0 + 10))
    assert_tiles(gpd.GeoSeries([a, c]), SQUARE)


def test_collinear_sites_give_strips() -> None:
    """Sites on one line y = 50 at x = 10, 50, 90: bisectors x = 30 and x = 70, so strips of
    30, 40 and 30 m by 100 m: 3,000, 4,000 and 3,000 m²."""
    cells = practice_cells(sites(A=(10, 50), B=(50, 50), C=(90, 50)), outline=square_outline())
    assert [round(g.area, 6) for g in cells.geometry] == [3_000.0, 4_000.0, 3_000.0]
    assert shapely.symmetric_difference(cells.geometry[1], rel_box(30, 0, 70, 100)).area < 1e-6


def test_one_site_owns_the_outline_and_two_sites_split_it() -> None:
    one = practice_cells(sites(A=(10, 10)), outline=square_outline())
    assert one.geometry[0].equals(SQUARE)
    two = practice_cells(sites(A=(20, 50), B=(80, 50)), outline=square_outline())
    assert [round(g.area, 6) for g in two.geometry] == [5_000.0, 5_000.0]
    assert shapely.symmetric_difference(two.geometry[0], rel_box(0, 0, 50, 100)).area < 1e-6


def test_cells_from_wgs84_input_match_cells_from_bng() -> None:
    bng = sites(A=(25, 25), B=(75, 25), C=(25, 75), D=(75, 75))
    from_wgs84 = practice_cells(bng.to_crs(4326), outline=square_outline())
    assert from_wgs84.crs.to_epsg() == 27700
    for got, want in zip(
        from_wgs84.geometry, practice_cells(bng, outline=square_outline()).geometry, strict=True
    ):
        assert shapely.hausdorff_distance(got, want) < 0.01  # the round trip moves ~1 mm


def test_bad_practices_are_all_reported_at_once() -> None:
    bad = gpd.GeoDataFrame(
        {"practice_code": ["A", "A", " "]},
        geometry=[Point(X0, Y0), Point(X0 + 1, Y0), Point(X0 + 2, Y0)],
        crs="EPSG:27700",
    )
    with pytest.raises(ValidationError, match="2 problems") as info:
        practice_cells(bad, outline=square_outline())
    text = str(info.value)
    assert "practice codes must be unique" in text
    assert "practices row 2" in text


def test_sites_outside_the_outline_are_named() -> None:
    with pytest.raises(ValidationError, match=r"practice B.*lies 50 m outside the outline"):
        practice_cells(sites(A=(50, 50), B=(150, 50)), outline=square_outline())


def test_missing_crs_is_an_error() -> None:
    naive = gpd.GeoDataFrame({"practice_code": ["A"]}, geometry=[Point(X0 + 1, Y0 + 1)])
    with pytest.raises(ValidationError, match="has no CRS"):
        practice_cells(naive, outline=square_outline())


# --- outlines ------------------------------------------------------------------------------


def test_buffered_hull_without_official_boundary() -> None:
    """Hull of (0,0), (100,0), (0,100): a triangle of 5,000 m² and perimeter
    200 + 100 * sqrt(2); buffered by 10 m its area is 5,000 + 10 * perimeter + pi * 10²
    (less a little, as the round corners are polygons of 64 sides)."""
    outline = footprint_outline(sites(A=(0, 0), B=(100, 0), C=(0, 100)), hull_buffer_m=10)
    assert outline.source == "buffered hull"
    assert "buffered by 10 m" in outline.description
    expected = 5_000 + 10 * (200 + 100 * math.sqrt(2)) + math.pi * 100
    assert outline.geometry.area == pytest.approx(expected, rel=1e-3)


def test_official_outline_reaches_a_site_outside_it() -> None:
    """Square 0..100 and a practice P at (150, 50), 50 m east of it; with reach 10 m the outline
    gains a 50 x 20 m corridor and a half disc of radius 10 m round P: 10,000 + 1,000 + 50 pi."""
    points = sites(A=(50, 50), P=(150, 50))
    outline = footprint_outline(points, official=SQUARE, reach_m=10)
    assert outline.source == "official"
    assert outline.extended_to == ("P",)
    assert "up to 50 m away: P" in outline.description
    assert outline.geometry.geom_type == "Polygon"  # still connected
    assert outline.geometry.area == pytest.approx(11_000 + 50 * math.pi, rel=1e-3)
    assert outline.geometry.covers(points.geometry).all()


def test_a_corridor_across_an_estuary_fills_the_water_it_encloses() -> None:
    """The official area is the square with an estuary: 40..60 x 50..100 cut from the top,
    and a lake, 10..20 x 10..20. P at (50, 104) lies 4 m beyond the estuary's mouth::

                  P
        +-------+   +-------+    With reach 15 m, the disc round P closes the mouth and
        |       |   |       |    encloses the estuary below it: that water is filled (it
        |       | e |       |    would be a hole in no territory). The lake, a hole of the
        |       +---+       |    official area, stays.
        |  []               |
        +-------------------+
    """
    official = SQUARE.difference(rel_box(40, 50, 60, 100)).difference(rel_box(10, 10, 20, 20))
    points = sites(A=(80, 30), P=(50, 104))
    outline = footprint_outline(points, official=official, reach_m=15)
    assert outline.extended_to == ("P",)
    assert outline.geometry.geom_type == "Polygon"
    assert outline.geometry.covers(rel_box(40, 50, 60, 90))  # the estuary, filled
    assert [shapely.Polygon(r).area for r in outline.geometry.interiors] == [
        pytest.approx(100.0)
    ]  # the lake


def test_official_outline_from_a_geoseries_in_another_crs() -> None:
    halves = gpd.GeoSeries([rel_box(0, 0, 50, 100), rel_box(50, 0, 100, 100)], crs=27700)
    outline = footprint_outline(sites(A=(50, 50)), official=halves.to_crs(4326))
    assert outline.description == "official boundary (2 polygons)"
    assert outline.extended_to == ()
    assert outline.geometry.area == pytest.approx(10_000, rel=1e-6)


def test_outline_and_options_are_validated() -> None:
    with pytest.raises(ValidationError, match="must be 'official' or 'buffered hull'"):
        Outline(geometry=SQUARE, source="guess", description="")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="non-empty Polygon or MultiPolygon"):
        Outline(geometry=shapely.Polygon(), source="official", description="")
    with pytest.raises(ValidationError, match=r"hull_buffer_m: must be a positive number"):
        footprint_outline(sites(A=(0, 0)), hull_buffer_m=-1)
    with pytest.raises(ValidationError, match="has no polygon area"):
        footprint_outline(sites(A=(0, 0)), official=shapely.LineString([(0, 0), (1, 1)]))


# --- territories ---------------------------------------------------------------------------


def quarters() -> gpd.GeoDataFrame:
    return practice_cells(
        sites(A=(25, 25), B=(75, 25), C=(25, 75), D=(75, 75)), outline=square_outline()
    )


def test_territories_dissolve_cells_per_group() -> None:
    """A, B (bottom row) form hub h1 and C, D (top row) hub h2: two 100 x 50 halves."""
    out = territories(quarters(), {"A": "h1", "B": "h1", "C": "h2", "D": "h2"})
    assert list(out["group_id"]) == ["h1", "h2"]
    assert list(out["practices"]) == [2, 2]
    assert list(out["cells"]) == [2, 2]
    assert list(out["note"]) == ["", ""]
    assert shapely.symmetric_difference(out.geometry[0], rel_box(0, 0, 100, 50)).area < 1e-6
    assert out.geometry[0].geom_type == "Polygon"
    assert_tiles(out.geometry, SQUARE)


def test_group_ids_sort_numerically() -> None:
    out = territories(quarters(), pd.Series({"A": 10, "B": 2, "C": 2, "D": 10}))
    assert list(out["group_id"]) == [2, 10]


def test_a_site_shared_by_two_hubs_is_cut_into_sectors_by_patients() -> None:
    """A (h1, 3,000 patients) and B (h2, 1,000) share the one site, the centre (50, 50)::

    +---------+---------+
    |   h1    |   h1    |     sectors anticlockwise from due east, in id order:
    |         |         |     h1 from 0 to 270 degrees (75% of the area),
    +-------(A,B)-------+     h2 from 270 to 360 degrees (25%): the lower-right
    |   h1    |   h2    |     quarter, 50 x 50 = 2,500 m²
    |         |         |
    +---------+---------+
    """
    cells = practice_cells(sites(A=(50, 50), B=(50, 50)), outline=square_outline())
    out = territories(
        cells, {"A": "h1", "B": "h2"}, patients={"A": 3_000, "B": 1_000}, min_piece_m2=1.0
    ).set_index("group_id")
    assert (
        shapely.symmetric_difference(out.loc["h2", "geometry"], rel_box(50, 0, 100, 50)).area < 1e-6
    )
    assert out.loc["h1", "geometry"].area == pytest.approx(7_500.0)
    assert list(out["pieces"]) == [1, 1]
    assert "cell 0 (A) is shared with h2: a sector of 75% of it" in out.loc["h1", "note"]
    assert "cell 0 (B) is shared with h1: a sector of 25% of it" in out.loc["h2", "note"]
    assert_tiles(out.geometry, SQUARE)


def test_a_hub_whose_only_practice_shares_a_site_gets_a_sector() -> None:
    """A (h1) and B (h2) share site S (25, 50), equal lists; C (h1) is at (75, 50)::

    +---------+---------+
    |   h1    |         |     S's cell is the left half; S is its centre. Half the cell
    |         |         |     each: h1 from 0 to 180 degrees (the upper-left quarter),
    S(A,B)----+    C    |     h2 from 180 to 360 (the lower-left quarter): h2 has a
    |   h2    |   h1    |     territory though its only practice shares a site.
    |         |         |
    +---------+---------+
    """
    cells = practice_cells(sites(A=(25, 50), B=(25, 50), C=(75, 50)), outline=square_outline())
    out = territories(
        cells,
        {"A": "h1", "B": "h2", "C": "h1"},
        patients={"A": 4_000, "B": 4_000, "C": 9_000},
        min_piece_m2=1.0,
    ).set_index("group_id")
    assert (
        shapely.symmetric_difference(out.loc["h2", "geometry"], rel_box(0, 0, 50, 50)).area < 1e-6
    )
    expected_h1 = shapely.union(rel_box(0, 50, 50, 100), rel_box(50, 0, 100, 100))
    assert shapely.symmetric_difference(out.loc["h1", "geometry"], expected_h1).area < 1e-6
    assert out.loc["h1", "cells"] == 2
    assert out.loc["h2", "cells"] == 1
    assert_tiles(out.geometry, SQUARE)


def test_sectors_follow_the_practices_when_a_list_is_zero() -> None:
    """A (h1, 0 patients) and B (h2, 5,000) share the centre: shares by practices, half each."""
    cells = practice_cells(sites(A=(50, 50), B=(50, 50)), outline=square_outline())
    out = territories(
        cells, {"A": "h1", "B": "h2"}, patients={"A": 0, "B": 5_000}, min_piece_m2=1.0
    ).set_index("group_id")
    assert (
        shapely.symmetric_difference(out.loc["h1", "geometry"], rel_box(0, 50, 100, 100)).area
        < 1e-6
    )
    assert "share of the site's practices" in out.loc["h1", "note"]


def c_outline() -> Outline:
    """The square with a notch cut from the right: box (20, 40)-(100, 60) removed."""
    return Outline(
        geometry=SQUARE.difference(rel_box(20, 40, 100, 60)), source="official", description="C"
    )


def test_an_enclave_piece_goes_to_the_neighbour_it_touches() -> None:
    """A (h1) at (90, 30) in the lower arm, B (h2) at (10, 70) in the upper arm of a C shape::

    +-----------------+        A's Voronoi cell (right of the bisector y - 50 = 2 (x - 50))
    |  B      /  e    |        crosses the notch: its piece e in the upper arm, a
    |        /        |        trapezoid (55, 60)-(100, 60)-(100, 100)-(75, 100) of
    |   +-------------+        1,400 m², holds no practice of h1, so it goes to h2, the
    |   |   (notch)            only territory it touches. h1 keeps the trapezoid
    |   +-------------+        (25, 0)-(100, 0)-(100, 40)-(45, 40) of 2,600 m².
    |    /        A   |
    +-----------------+
    """
    outline = c_outline()
    cells = practice_cells(sites(A=(90, 30), B=(10, 70)), outline=outline)
    out = territories(cells, {"A": "h1", "B": "h2"}, min_piece_m2=1.0).set_index("group_id")
    h1 = shapely.Polygon([(X0 + 25, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 40), (X0 + 45, Y0 + 40)])
    assert shapely.symmetric_difference(out.loc["h1", "geometry"], h1).area < 1e-6
    assert out.loc["h2", "geometry"].area == pytest.approx(8_400 - 2_600)
    assert list(out["pieces"]) == [1, 1]
    assert list(out["absorbed"]) == [0, 1]
    assert "gave a piece of 0.0014 km² (holds none of its practices) to h2" in out.loc["h1", "note"]
    assert_tiles(out.geometry, outline.geometry)


def corner_sites() -> gpd.GeoDataFrame:
    """A, B, C, D at the quarter points and S at (99, 99), next to D::

    +---------+------/--+     S's cell is the corner triangle beyond the bisector
    |    C    |    D/ S |     x + y = 174 of D and S: (74, 100)-(100, 100)-(100, 74),
    |         |    /    |     338 m².
    +---------+---------+
    |    A    |    B    |
    |         |         |
    +---------+---------+
    """
    return sites(A=(25, 25), B=(75, 25), C=(25, 75), D=(75, 75), S=(99, 99))


def test_a_sliver_holding_a_practice_goes_to_its_neighbour() -> None:
    """h1 = A and S, h2 = B, C, D. S's 338 m² triangle is a second piece of h1: below 500 m², it
    goes to h2 (D's cell is its only neighbour) and h1 is A's quarter; below 100 m² it stays."""
    labels = {"A": "h1", "S": "h1", "B": "h2", "C": "h2", "D": "h2"}
    cells = practice_cells(corner_sites(), outline=square_outline())
    out = territories(cells, labels, min_piece_m2=500.0).set_index("group_id")
    assert (
        shapely.symmetric_difference(out.loc["h1", "geometry"], rel_box(0, 0, 50, 50)).area < 1e-6
    )
    assert list(out["pieces"]) == [1, 1]
    assert "gave a piece of 0.0003 km² (a sliver) to h2" in out.loc["h1", "note"]
    assert_tiles(out.geometry, SQUARE)

    kept = territories(cells, labels, min_piece_m2=100.0).set_index("group_id")
    assert list(kept["pieces"]) == [2, 1]
    assert kept.loc["h1", "geometry"].area == pytest.approx(2_500 + 338)
    facts = territory_facts(kept.reset_index(), id_column="group_id")
    assert facts.in_pieces == ("h1",)
    assert facts.pieces == 3
    assert facts.smallest_piece_km2 == 0.0003


def test_a_hub_keeps_its_only_piece_however_small() -> None:
    """S alone in h3: its 338 m² triangle is below 500 m² but all h3 has, so it stays."""
    labels = {"A": "h1", "B": "h2", "C": "h2", "D": "h2", "S": "h3"}
    cells = practice_cells(corner_sites(), outline=square_outline())
    out = territories(cells, labels, min_piece_m2=500.0).set_index("group_id")
    assert out.loc["h3", "geometry"].area == pytest.approx(338)
    assert list(out["absorbed"]) == [0, 0, 0]
    facts = territory_facts(out.reset_index(), id_column="group_id")
    assert facts.territories == 3
    assert facts.without_territory == ()
    assert facts.smallest_km2 == 0.0003
    assert facts.slivers_merged == 0
    assert_tiles(out.geometry, SQUARE)


def test_labels_must_match_the_cells() -> None:
    with pytest.raises(ValidationError, match="2 problems") as info:
        territories(quarters(), {"A": 1, "B": 1, "C": 2, "Z": 3})
    assert "no group label (got ['D'])" in str(info.value)
    assert "have no cell (got ['Z'])" in str(info.value)
    with pytest.raises(ValidationError, match="patient counts must be numbers >= 0"):
        territories(
            quarters(), {"A": 1, "B": 1, "C": 2, "D": 2}, patients={"A": -1, "B": 1, "C": 1, "D": 1}
        )


def test_mcp_territories_are_unions_of_hub_territories() -> None:
    hubs = territories(quarters(), {"A": "h1", "B": "h2", "C": "h3", "D": "h3"})
    mcps = merge_territories(hubs, {"h1": "m1", "h2": "m1", "h3": "m2"})
    assert list(mcps["group_id"]) == ["m1", "m2"]
    assert list(mcps["members"]) == [2, 1]
    assert shapely.symmetric_difference(mcps.geometry[0], rel_box(0, 0, 100, 50)).area < 1e-6
    assert_tiles(mcps.geometry, SQUARE)
    with pytest.raises(ValidationError, match="groups without a parent"):
        merge_territories(hubs, {"h1": "m1"})


def test_to_wgs84() -> None:
    out = to_wgs84(territories(quarters(), dict.fromkeys("ABCD", "h")))
    assert out.crs.to_epsg() == 4326
    minx, miny, _, _ = out.total_bounds
    assert -3 < minx < -1
    assert 52 < miny < 53


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=25),
    st.integers(1, 4),
)
def test_random_sites_tile_the_outline(grid: list[tuple[int, int]], groups: int) -> None:
    """Sites on a 5 m grid (so duplicates and collinear runs are common) in random groups."""
    points = sites(**{f"P{i}": (x * 5, y * 5) for i, (x, y) in enumerate(grid)})
    cells = practice_cells(points, outline=square_outline())
    assert all(c.covers(p) for c, p in zip(cells.geometry, points.geometry, strict=True))
    assert_tiles(cells.drop_duplicates("cell_id").geometry, SQUARE)
    labels = {code: i % groups for i, code in enumerate(points["practice_code"])}
    patients = {code: 1_000 + 7 * i for i, code in enumerate(points["practice_code"])}
    assert_tiles(territories(cells, labels, patients=patients).geometry, SQUARE)


# --- real data -----------------------------------------------------------------------------


def practices_of(*sub_icbs: str) -> gpd.GeoDataFrame:
    """April 2025 practices of some sub-ICB locations, at their Code-Point Open points."""
    lists = pd.read_csv(DATA / "nhs" / "gp-reg-pat-prac-all_2025-04.csv")
    lists = lists[lists["SUB_ICB_LOCATION_CODE"].isin(sub_icbs)]
    areas = sorted({re.match("[A-Z]+", pc).group().lower() for pc in lists["POSTCODE"]})
    points = pd.concat(
        pd.read_csv(
            DATA / "geo" / "codepo_gb" / "Data" / "CSV" / f"{area}.csv",
            header=None,
            usecols=[0, 2, 3],
            names=["POSTCODE", "easting", "northing"],
        )
        for area in areas
    )
    found = lists.merge(points, on="POSTCODE", how="inner", validate="many_to_one")
    return gpd.GeoDataFrame(
        {
            "practice_code": found["CODE"],
            "patients": found["NUMBER_OF_PATIENTS"],
            "sub_icb": found["SUB_ICB_LOCATION_CODE"],
        },
        geometry=gpd.points_from_xy(found["easting"], found["northing"]),
        crs="EPSG:27700",
    )


@pytest.mark.skipif(not DATA.is_dir(), reason="needs the shared real data")
def test_north_staffs_cells_tile_the_official_outline() -> None:
    practices = practices_of("05G", "05W")
    assert len(practices) == 66
    sub_icbs = gpd.read_file(DATA / "geo" / "SubICB_April_2023_EN_BSC.geojson")
    official = sub_icbs[sub_icbs["SICBL23CD"].isin(["E38000126", "E38000175"])]
    outline = footprint_outline(practices, official=official)
    assert outline.source == "official"
    assert outline.extended_to == ()  # every site lies inside the two sub-ICB polygons
    assert outline.geometry.area / 1e6 == pytest.approx(740.103 + 141.425, abs=0.01)

    cells = practice_cells(practices, outline=outline)
    assert len(cells) == 66
    assert cells["cell_id"].nunique() == 61  # 9 practices at 4 shared postcodes
    assert all(c.covers(p) for c, p in zip(cells.geometry, practices.geometry, strict=True))
    assert_tiles(cells.drop_duplicates("cell_id").geometry, outline.geometry)

    # each practice of a shared site in its own group: every shared cell is contested
    patients = practices.set_index("practice_code")["patients"]
    solo = territories(
        cells, {code: code for code in practices["practice_code"]}, patients=patients
    )
    assert not solo.geometry.is_empty.any()  # the shared cells are cut into sectors
    assert_tiles(solo.geometry, outline.geometry)
    by_sub_icb = territories(cells, practices.set_index("practice_code")["sub_icb"])
    assert list(by_sub_icb["practices"]) == [30, 36]
    assert_tiles(by_sub_icb.geometry, outline.geometry)


@pytest.mark.skipif(not DATA.is_dir(), reason="needs the shared real data")
def test_cornwall_outline_reaches_the_practice_beyond_the_generalised_coast() -> None:
    """L82022 (PL13 1HA, Looe) lies just outside the super-generalised Cornwall sub-ICB polygon
    (11N, E38000089): the outline is extended to it and its cell is not empty."""
    practices = practices_of("11N")
    sub_icbs = gpd.read_file(DATA / "geo" / "SubICB_April_2023_EN_BSC.geojson")
    official = sub_icbs[sub_icbs["SICBL23CD"] == "E38000089"]
    outline = footprint_outline(practices, official=official)
    assert outline.extended_to == ("L82022",)
    assert "500 m corridors to 1 practice site outside it" in outline.description
    assert outline.geometry.area > official.geometry.iloc[0].area
    cells = practice_cells(practices, outline=outline)
    looe = cells.set_index("practice_code").geometry["L82022"]
    assert looe.covers(practices.set_index("practice_code").geometry["L82022"])
    assert_tiles(cells.drop_duplicates("cell_id").geometry, outline.geometry)
