"""The file of candidate base sites (``--bases``): CSV or GeoPackage, validated like a sites CSV."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from mcp_geo._errors import ValidationError
from mcp_geo.practices.readers.bases import read_bases


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bases.csv"
    path.write_text(text)
    return path


def test_csv_with_grid_references_or_degrees(tmp_path: Path) -> None:
    grid = _csv(
        tmp_path,
        "base_code,base_name,easting,northing\n"
        "HC2,,389000,348000\n"
        "HC1,Health centre,388000,347000\n",
    )
    table = read_bases(grid)
    assert table.columns.tolist() == ["base_code", "base_name", "latitude", "longitude"]
    assert table["base_code"].tolist() == ["HC1", "HC2"]
    assert table["base_name"].tolist() == ["Health centre", "HC2"]  # no name: the code
    assert table.loc[0, ["latitude", "longitude"]].tolist() == pytest.approx([53.02016, -2.180338])
    degrees = _csv(tmp_path, "BASE_CODE,Base_Name,Latitude,Longitude\nH 1,Clinic,53.0,-2.18\n")
    assert read_bases(degrees).values.tolist() == [["H 1", "Clinic", 53.0, -2.18]]


def test_every_problem_named_with_its_row_and_field(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "base_code,base_name,latitude,longitude\n"
        "HC1,A,53.0,-2.1\n"
        "HC1,B,abc,-2.1\n"
        "=X,C,53,-2\n"
        ",D,53,500\n",
    )
    with pytest.raises(ValidationError) as info:
        read_bases(path)
    text = str(info.value)
    assert text.startswith("bases file: 5 problems:")
    assert "bases.csv:3, field 'latitude': must be a number in [-90, 90] (got 'abc')" in text
    assert "bases.csv:5, field 'longitude': must be a number in [-180, 180] (got '500')" in text
    assert "bases.csv:4, field 'base_code': must not start with =" in text
    assert "bases.csv:5, field 'base_code': must not be empty" in text
    assert "field 'base_code': must be unique: the code is on rows 2, 3 (got 'HC1')" in text


def test_missing_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "code,name,latitude\nHC1,A,53.0\n")
    with pytest.raises(ValidationError, match=r"missing column 'base_code'") as info:
        read_bases(path)
    assert "missing column 'base_name'" in str(info.value)
    assert "needs latitude and longitude, or easting and northing" in str(info.value)


def test_site_outside_the_uk_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "base_code,base_name,latitude,longitude\nP,Paris,48.86,2.35\n")
    with pytest.raises(ValidationError, match=r"bases.csv:2.*km outside the UK"):
        read_bases(path)


def test_geopackage_points_in_any_crs(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"base_code": ["G2", "G1"], "base_name": ["Hospital", "Clinic"]},
        geometry=[shapely.Point(389000, 348000), shapely.Point(388000, 347000)],
        crs=27700,
    )
    layer.to_file(tmp_path / "bases.gpkg")
    table = read_bases(tmp_path / "bases.gpkg")
    assert table["base_code"].tolist() == ["G1", "G2"]
    assert table.loc[0, ["latitude", "longitude"]].tolist() == pytest.approx([53.02016, -2.180338])


def test_geopackage_problems_name_the_feature(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"base_code": ["G1", "G2", "G1"], "base_name": ["a", "b", "c"]},
        geometry=[
            shapely.Point(388000, 347000),
            shapely.LineString([(388000, 347000), (389000, 348000)]),
            shapely.Point(389000, 348000),
        ],
        crs=27700,
    )
    layer.to_file(tmp_path / "bases.gpkg")
    with pytest.raises(ValidationError) as info:
        read_bases(tmp_path / "bases.gpkg")
    text = str(info.value)
    assert "bases.gpkg: feature 2, field 'geometry': must be a point (got 'LineString')" in text
    assert "must be unique: the code is on rows feature 1, feature 3 (got 'G1')" in text
    layer[["base_name", "geometry"]].to_file(tmp_path / "nocode.gpkg")
    with pytest.raises(ValidationError, match=r"nocode.gpkg: missing column 'base_code'"):
        read_bases(tmp_path / "nocode.gpkg")
