"""Outlines of the current ICBs: whole April 2023 Sub-ICB polygons, and practice cells where a
Sub-ICB's practices were split between current ICBs.

The hand-drawn fixture is two 100 m squares side by side, in British National Grid metres with the
origin at (400000, 300000) (coordinates below are relative to it)::

    y=100 +-------------------+-------------------+
          |                   |        c, d       |   c (ICB Y, 5,000 patients) and
          |                   |      (150, 75)  e |   d (ICB X, 1,000) share a site;
          |   a (30, 50)      |- - - - - - - - - -|   e (no current ICB) at (190, 90)
          |   f (70, 50)      |                   |
          |                   |      b (150, 25)  |   b (ICB X)
      y=0 +-------------------+-------------------+
         x=0     S1A (E1)   x=100    S2B (E2)    x=200

S1A's practices a and f are both in ICB X, so X takes S1A whole. S2B is split (b, d in X; c in
Y; e ignored): its sites are cut at y = 50 (the dashed line), the upper cell's site has more
patients of Y than of X, so X gets the lower half and Y the upper half.
"""

from __future__ import annotations

import math
import re
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from mcp_geo._errors import ValidationError
from mcp_geo.boundaries.icb_outlines import (
    OUTLINE_COLUMNS,
    current_icb_outline,
    current_icb_outlines,
)
from mcp_geo.practices import OfficialAreas, open_areas

X0, Y0 = 400_000.0, 300_000.0


def rel_box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


S1 = rel_box(0, 0, 100, 100)
S2 = rel_box(100, 0, 200, 100)


def squares(*, drop: str | None = None) -> OfficialAreas:
    rows = [("sub_icb", "E1", "Sub-ICB one", S1), ("sub_icb", "E2", "Sub-ICB two", S2)]
    rows = [r for r in rows if r[1] != drop]
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["level", "code", "name", "geometry"]),
        geometry="geometry",
        crs="EPSG:27700",
    )
    return OfficialAreas(areas=frame, description="two test squares")


def practices(*, d_patients: int = 1_000) -> gpd.GeoDataFrame:
    """The practices of the drawing, in EPSG:4326 with easting / northing, as open_data has them."""
    rows = [
        # code, patients, sub-ICB ODS, ONS, current ICB, x, y
        ("a", 8_000, "S1A", "E1", "X", 30, 50),
        ("f", 6_000, "S1A", "E1", "X", 70, 50),
        ("b", 7_000, "S2B", "E2", "X", 150, 25),
        ("c", 5_000, "S2B", "E2", "Y", 150, 75),
        ("d", d_patients, "S2B", "E2", "X", 150, 75),
        ("e", 9_000, "S2B", "E2", "", 190, 90),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["practice_code", "patients", "sub_icb_code", "sub_icb_ons_code",
                 "icb_2026_code", "x", "y"],
    )  # fmt: skip
    frame["icb_2026_name"] = frame["icb_2026_code"].map({"X": "ICB X", "Y": "ICB Y", "": ""})
    frame["easting"] = X0 + frame.pop("x")
    frame["northing"] = Y0 + frame.pop("y")
    points = gpd.points_from_xy(frame["easting"], frame["northing"], crs="EPSG:27700")
    return gpd.GeoDataFrame(frame, geometry=points.to_crs("EPSG:4326"), crs="EPSG:4326")


def same(a: shapely.Geometry, b: shapely.Geometry, *, m2: float = 1e-6) -> bool:
    return bool(a.symmetric_difference(b).area < m2)


# ---------------------------------------------------------------- the hand-drawn squares


def test_a_whole_sub_icb_and_a_split_one_go_where_the_drawing_says() -> None:
    out = current_icb_outlines(practices(), squares())
    assert list(out.columns) == list(OUTLINE_COLUMNS)
    assert out.crs.equals("EPSG:27700")
    assert out["icb_2026_code"].tolist() == ["X", "Y"]
    x, y = out.geometry
    assert same(x, shapely.union_all([S1, rel_box(100, 0, 200, 50)]))
    assert same(y, rel_box(100, 50, 200, 100))
    assert (x.area, y.area) == pytest.approx((15_000, 5_000))
    assert x.intersection(y).area == pytest.approx(0, abs=1e-9)
    assert same(shapely.union_all([x, y]), shapely.union_all([S1, S2]))
    assert out.geometry.is_valid.all()
    assert out[["icb_2026_name", "whole", "split"]].values.tolist() == [
        ["ICB X", "S1A", "S2B 2/3"],  # b and d of the 3 practices with a current ICB (not e)
        ["ICB Y", "", "S2B 1/3"],
    ]
    assert re.fullmatch(r"d \(S2B\) shares its site with practices of Y, .*", out.at[0, "notes"])
    assert out.at[1, "notes"] == ""


def test_a_tie_at_a_shared_site_goes_to_the_smallest_code() -> None:
    out = current_icb_outlines(practices(d_patients=5_000), squares())
    x, y = out.geometry
    assert same(x, S1.union(S2))
    assert y.is_empty
    assert out.at[1, "notes"].startswith("c (S2B) shares its site with practices of X")


def test_practices_without_easting_northing_are_placed_by_their_geometry() -> None:
    moved = practices()
    moved.loc[moved["practice_code"] == "b", ["easting", "northing"]] = np.nan
    out = current_icb_outlines(moved, squares())
    assert same(out.geometry[0], shapely.union_all([S1, rel_box(100, 0, 200, 50)]), m2=1.0)


def test_a_practice_far_outside_its_sub_icb_gets_no_cell_and_a_note() -> None:
    """g (ICB Z, in S2B) sits 700 m north of the squares: the bisector of c and g, y = 437.5,
    misses S2B, so g's cell there is empty."""
    far = practices()
    g = far.iloc[[2]].assign(practice_code="g", icb_2026_code="Z", icb_2026_name="ICB Z")
    g["northing"] = Y0 + 800
    g = g.set_geometry(gpd.points_from_xy(g["easting"], g["northing"], crs="EPSG:27700"))
    far = pd.concat([far, g.to_crs("EPSG:4326")], ignore_index=True)
    out = current_icb_outlines(far, squares()).set_index("icb_2026_code")
    assert out.geometry["Z"].is_empty
    assert out.at["Z", "split"] == "S2B 1/4"
    assert out.at["Z", "notes"] == (
        "g (S2B) lies 0.7 km outside S2B's polygon: its site's cell there is 0.00 km²"
    )
    assert same(shapely.union_all(out.geometry.to_numpy()), S1.union(S2))


def test_a_practice_without_a_location_gets_no_cell_and_a_note() -> None:
    lost = practices()
    lost.loc[lost["practice_code"] == "d", ["easting", "northing", "geometry"]] = [
        np.nan, np.nan, None,
    ]  # fmt: skip
    out = current_icb_outlines(lost, squares())
    assert out.at[0, "notes"] == "d (S2B) has no location: no cell"
    assert out.at[0, "split"] == "S2B 2/3"  # d still counts
    assert same(out.geometry[1], rel_box(100, 50, 200, 100))


def test_codes_limit_the_outlines_to_those_icbs() -> None:
    out = current_icb_outlines(practices(), squares(), codes=["Y"])
    assert out["icb_2026_code"].tolist() == ["Y"]
    assert same(out.geometry[0], rel_box(100, 50, 200, 100))


def test_one_outline_for_a_footprint_of_current_icbs() -> None:
    y = current_icb_outline(practices(), squares(), codes="Y")
    assert y.geometry is not None
    assert same(y.geometry, rel_box(100, 50, 200, 100))
    assert y.description == (
        "current ICB outline (April 2026): the cells of 1 practice of S2B "
        "(split between current ICBs)"
    )
    both = current_icb_outline(practices(), squares(), codes=["Y", "X"])
    assert both.geometry is not None
    assert same(both.geometry, S1.union(S2))
    # S2B is split only between ICBs of the footprint: it counts whole, and d's note is moot
    assert both.description == (
        "current ICB outline (April 2026): Sub-ICB April 2023 boundaries of S1A, S2B"
    )
    x = current_icb_outline(practices(), squares(), codes=["X"])
    assert x.description.startswith(
        "current ICB outline (April 2026): Sub-ICB April 2023 boundaries of S1A and the cells of "
        "2 practices of S2B (split between current ICBs); d (S2B) shares its site"
    )


def test_a_sub_icb_without_a_polygon_gives_no_outline() -> None:
    choice = current_icb_outline(practices(), squares(drop="E2"), codes=["X"])
    assert choice.geometry is None
    assert choice.description == (
        "no current ICB outline: no April 2023 Sub-ICB polygon for E2 (S2B)"
    )
    with pytest.raises(ValidationError, match=r"no April 2023 Sub-ICB polygon for E2 \(S2B\)"):
        current_icb_outlines(practices(), squares(drop="E2"))
    # a footprint that does not need the missing polygon is fine
    assert current_icb_outlines(practices(), squares(drop="E1"), codes=["Y"]).shape[0] == 1


def test_practices_without_current_icbs_give_no_outline() -> None:
    """The 2021-01 snapshot: its newest register predates the ICBs, so the column is empty."""
    old = practices().assign(icb_2026_code="", icb_2026_name="")
    choice = current_icb_outline(old, squares(), codes=["X"])
    assert choice.geometry is None
    assert "icb_2026_code is empty" in choice.description
    empty = current_icb_outlines(old, squares())
    assert empty.empty
    assert list(empty.columns) == list(OUTLINE_COLUMNS)
    with pytest.raises(ValidationError, match="no practice has a current ICB"):
        current_icb_outlines(old, squares(), codes=["X"])


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidationError, match=r"codes: not a current ICB .*\(got \['Q99'\]\)"):
        current_icb_outlines(practices(), squares(), codes=["X", "Q99"])
    with pytest.raises(ValidationError, match="give at least one current ICB code"):
        current_icb_outline(practices(), squares(), codes=[])
    with pytest.raises(
        ValidationError, match=r"needs the columns .*\(got \['sub_icb_ons_code'\]\)"
    ):
        current_icb_outlines(practices().drop(columns="sub_icb_ons_code"), squares())


# ---------------------------------------------------------------- the real data (2025-04)


@pytest.fixture(scope="module")
def real(bundled_data):
    """The shipped 2025-04 snapshot and polygons, and every current ICB's outline (about 2 s)."""
    areas = open_areas()
    start = time.perf_counter()
    outlines = current_icb_outlines(bundled_data.practices, areas)
    seconds = time.perf_counter() - start
    subs = areas.areas.loc[areas.areas["level"] == "sub_icb"].set_index("code").geometry
    return bundled_data.practices, areas, outlines.set_index("icb_2026_code"), subs, seconds


def _sub(subs: gpd.GeoSeries, practices: pd.DataFrame, ods: str) -> shapely.Geometry:
    ons = practices.loc[practices["sub_icb_code"] == ods, "sub_icb_ons_code"].iloc[0]
    return subs[ons]


def test_real_outlines_are_36_valid_polygons_that_tile_the_sub_icbs(real) -> None:
    _, _, out, subs, seconds = real
    assert len(out) == 36
    assert seconds < 20  # measured: about 2 s
    assert out.geometry.is_valid.all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not out.geometry.is_empty.any()
    # the official (generalised) Sub-ICB polygons do not overlap: their areas add up to their
    # union's, so any overlap between outlines would be our doing
    assert subs.area.sum() == pytest.approx(subs.union_all().area, rel=1e-9)
    assert out.union_all().area == pytest.approx(subs.union_all().area, rel=1e-4)
    assert out.area.sum() == pytest.approx(subs.union_all().area, rel=1e-4)
    geoms = out.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    overlaps = {
        (out.index[i], out.index[j]): shapely.intersection(geoms[i], geoms[j]).area
        for i, j in zip(left, right, strict=True)
        if i < j
    }
    assert len(overlaps) > 36  # neighbours touch along their borders
    assert max(overlaps.values()) < 10_000  # m², i.e. 0.01 km² (measured: below 1e-6 m²)


def test_surrey_and_sussex_is_four_sub_icbs_and_part_of_frimley(real) -> None:
    practices, _, out, subs, _ = real
    s9 = out.geometry["S9B9J"]
    whole = shapely.union_all([_sub(subs, practices, c) for c in ("09D", "70F", "97R", "92A")])
    frimley = _sub(subs, practices, "D4U1Y")
    assert out.at["S9B9J", "whole"] == "09D; 70F; 92A; 97R"
    assert out.at["S9B9J", "split"] == "D4U1Y 12/67"
    assert whole.difference(s9).area < 1
    part = s9.intersection(frimley).area
    assert 0.1 * frimley.area < part < 0.5 * frimley.area  # measured: 143 of 601 km²
    assert s9.difference(whole.union(frimley)).area < 1  # nothing from anywhere else
    # Frimley's three parts tile it
    parts = [out.geometry[c].intersection(frimley).area for c in ("S9B9J", "QRL", "S0E4D")]
    assert sum(parts) == pytest.approx(frimley.area, rel=1e-9)
    assert all(p > 0.1 * frimley.area for p in parts)


def test_north_and_central_london_keep_all_but_their_border_practices_cells(real) -> None:
    practices, _, out, subs, _ = real
    z9 = out.geometry["Z9B2Z"]
    for ods, other, codes in (
        ("W2U3Z", "QWE", {"E85007", "E85045"}),
        ("93C", "QMF", {"F83053"}),
    ):
        old = _sub(subs, practices, ods)
        lost = out.geometry[other].intersection(old)
        assert 0 < lost.area < 0.01 * old.area
        assert z9.intersection(old).area == pytest.approx(old.area - lost.area, rel=1e-9)
        here = practices.loc[practices["sub_icb_code"] == ods]
        assert set(here.loc[here["icb_2026_code"] != "Z9B2Z", "practice_code"]) == codes
        mine = here.loc[here["icb_2026_code"] == "Z9B2Z"]
        sites = shapely.points(mine[["easting", "northing"]].to_numpy())
        inside = shapely.covers(old, sites)
        assert shapely.covers(z9, sites[inside]).all()


def test_staffordshire_loses_the_cell_of_claverley_to_shropshire(real) -> None:
    practices, _, out, subs, _ = real
    seisdon = _sub(subs, practices, "05Q")
    here = practices.loc[practices["sub_icb_code"] == "05Q"]
    xy = here[["easting", "northing"]].to_numpy()
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=seisdon))
    claverley = Point(*xy[here["practice_code"].to_numpy() == "M83125"][0])
    cell = next(c for c in cells if c.covers(claverley)).intersection(seisdon)
    assert out.at["QNC", "split"] == "05Q 20/21"
    others = ("04Y", "05D", "05G", "05V", "05W")
    expected = shapely.union_all(
        [seisdon.difference(cell), *(_sub(subs, practices, c) for c in others)]
    )
    assert out.geometry["QNC"].symmetric_difference(expected).area < 1
    shropshire = _sub(subs, practices, "M2L0M").union(cell)
    assert out.geometry["QOC"].symmetric_difference(shropshire).area < 1
    assert cell.area > 1e6  # measured: 30 km²


def test_practices_lie_in_their_current_icbs_outline(real) -> None:
    practices, _, out, _, _ = real
    points = shapely.points(practices[["easting", "northing"]].to_numpy())
    outline = out.geometry.reindex(practices["icb_2026_code"]).to_numpy()
    far = pd.Series(shapely.distance(outline, points), index=practices["practice_code"])
    outside = far[far > 50]
    # two coastal practices just beyond the generalised (BSC) coastline, and a dormant SAS practice
    # of Z9B2Z registered at a Retford site of two QT1 practices, which keep the site's cell
    assert sorted(outside.index) == ["L82022", "L83106", "Y08082"]
    assert "Y08082 (02Q) shares its site with practices of QT1" in out.at["Z9B2Z", "notes"]
    # at least 99% of each ICB's practices, or all but one of a small ICB's (QT6: 55 of 56)
    beyond = (far > 50).groupby(practices["icb_2026_code"].to_numpy()).agg(["sum", "size"])
    assert (beyond["sum"] <= np.maximum(1, 0.01 * beyond["size"])).all()


def test_one_real_footprint_is_fast_and_described(real) -> None:
    practices, areas, out, _, _ = real
    start = time.perf_counter()
    choice = current_icb_outline(practices, areas, codes="S9B9J")
    assert time.perf_counter() - start < 5  # measured: 0.1 s (only 5 Sub-ICBs are read)
    assert choice.description == (
        "current ICB outline (April 2026): Sub-ICB April 2023 boundaries of 09D, 70F, 92A, 97R "
        "and the cells of 12 practices of D4U1Y (split between current ICBs)"
    )
    assert choice.geometry is not None
    assert choice.geometry.symmetric_difference(out.geometry["S9B9J"]).area < 1
    pair = current_icb_outline(practices, areas, codes=["QNC", "QOC"])
    assert pair.description == (
        "current ICB outline (April 2026): Sub-ICB April 2023 boundaries of 04Y, 05D, 05G, 05Q, "
        "05V, 05W, M2L0M"
    )
    assert math.isclose(
        pair.geometry.area, out.geometry["QNC"].area + out.geometry["QOC"].area, rel_tol=1e-9
    )
