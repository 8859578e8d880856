"""The compact snapshot shipped in the package: rebuilt from the official files, it is identical."""

from __future__ import annotations

import json

import pandas as pd

from mcp_geo.practices import open_areas, select_footprint
from mcp_geo.practices.bundled import BUNDLE_FILES, build_bundle, bundle_dir


def test_rebuilding_the_snapshot_gives_identical_files(shared_data, tmp_path):
    build_bundle(shared_data, tmp_path)
    for name in BUNDLE_FILES:
        assert (tmp_path / name).read_bytes() == (bundle_dir() / name).read_bytes(), name


def test_snapshot_is_compact_and_licensed():
    total = sum((bundle_dir() / name).stat().st_size for name in BUNDLE_FILES)
    assert total < 5_000_000
    provenance = (bundle_dir() / "PROVENANCE.md").read_text(encoding="utf-8")
    for phrase in (
        "Open Government Licence v3.0",
        "Contains OS data © Crown copyright and database right",
        "Contains Royal Mail data © Royal Mail copyright and database right",
        "Contains National Statistics data © Crown copyright and database right",
    ):
        assert phrase in provenance
    meta = json.loads((bundle_dir() / "meta.json").read_text(encoding="utf-8"))
    assert {s["file"] for s in meta["sources"]} >= {
        "gp-reg-pat-prac-all_2025-04.csv",
        "gp-reg-pat-prac-map_2025-10.csv",
        "epraccur_2026-06.csv",
        "epraccur_2019-11.csv",
    }


def test_bundled_practices_equal_the_official_load(bundled_data, data_2025):
    ours = pd.DataFrame(bundled_data.practices.drop(columns="geometry"))
    theirs = pd.DataFrame(data_2025.practices.drop(columns="geometry"))
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    assert bundled_data.rows_read == data_2025.rows_read
    assert len(bundled_data.exclusions) == len(data_2025.exclusions)
    assert bundled_data.extract_date == data_2025.extract_date
    distance = bundled_data.practices.to_crs(27700).distance(data_2025.practices.to_crs(27700))
    assert distance.max() < 0.2  # metres: latitude/longitude kept to 6 decimals


def test_bundled_areas_outline_the_footprints(bundled_data):
    from mcp_geo.practices.outlines import official_outline

    areas = open_areas()
    fp = select_footprint(bundled_data, "north-staffs")
    outline = official_outline(fp, areas, era="sub-icb")
    assert outline.geometry is not None
    assert 850e6 < outline.geometry.area < 900e6  # m²: 881.5 km² in the official file
    inside = fp.practices.to_crs(27700).within(outline.geometry.buffer(500))
    assert inside.all()
    sussex = official_outline(
        select_footprint(bundled_data, "sussex-east-surrey"), areas, era="sub-icb"
    )
    assert "CCG April 2019" in sussex.description


def test_bundled_countries_are_small_and_place_the_practices(bundled_data):
    """The UK outline a sites file is checked against: four countries, under 100 KB, rebuilt
    byte for byte by the test above, and every English practice of the snapshot in England."""
    import geopandas as gpd

    from mcp_geo.practices.bundled import load_bundled_countries

    assert "countries.geojson" in BUNDLE_FILES
    assert (bundle_dir() / "countries.geojson").stat().st_size < 100_000
    countries = load_bundled_countries()
    assert countries.crs.to_epsg() == 27700
    assert sorted(countries["name"]) == ["England", "Northern Ireland", "Scotland", "Wales"]
    points = bundled_data.practices.to_crs(27700)[["practice_code", "geometry"]]
    nearest = gpd.sjoin_nearest(points, countries, distance_col="metres")
    assert set(nearest["name"]) == {"England"}
    assert nearest["metres"].max() < 500  # a few coastal sites sit just outside the outline
    provenance = (bundle_dir() / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "`countries.geojson` is the ONS Countries (December 2022) UK BUC file" in provenance
