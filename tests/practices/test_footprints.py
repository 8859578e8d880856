"""Footprints: the syntax, the built-ins resolved on both snapshots, and the errors."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from mcp_geo._errors import ValidationError
from mcp_geo.practices import footprint_summary, parse_footprint, select_footprint

# Kept practices and patients per built-in footprint, measured on the official files and checked
# against the list-size files' own totals (the issue's orientation numbers, before exclusions).
KEPT_2025 = {
    "north-staffs": (66, 531_633),
    "staffs-stoke": (141, 1_207_013),
    "staffs-shropshire": (191, 1_743_667),
    "sussex-east-surrey": (169, 2_058_751),
    "central-sussex-east-surrey": (91, 1_117_425),
}
KEPT_2021 = {
    "north-staffs": (69, 514_094),
    "staffs-stoke": (146, 1_155_055),
    "staffs-shropshire": (200, 1_666_287),
    "sussex-east-surrey": (186, 1_978_052),
    "central-sussex-east-surrey": (100, 1_064_584),
}


@pytest.mark.parametrize(("name", "expected"), KEPT_2025.items())
def test_builtin_footprints_2025(data_2025, name, expected):
    fp = select_footprint(data_2025, name)
    assert (len(fp.practices), fp.patients) == expected
    assert fp.practices["practice_code"].is_unique


EXCLUDED_2021 = {
    "north-staffs": 1,
    "staffs-stoke": 3,
    "staffs-shropshire": 3,
    "sussex-east-surrey": 6,
    "central-sussex-east-surrey": 2,
}


@pytest.mark.parametrize(("name", "expected"), KEPT_2021.items())
def test_builtin_footprints_2021(data_2021, name, expected):
    fp = select_footprint(data_2021, name)
    assert (len(fp.practices), fp.patients) == expected
    assert len(fp.exclusions) == EXCLUDED_2021[name]
    assert set(fp.exclusions["reason"]) <= {"no_list_size", "postcode_not_found"}


def test_central_sussex_lost_one_practice_to_an_unknown_postcode(data_2021):
    fp = select_footprint(data_2021, "central-sussex-east-surrey")
    lost = fp.exclusions[fp.exclusions["reason"] == "postcode_not_found"]
    assert len(lost) == 1
    # 101 practices and 1,069,902 patients in the list-size file, one of them not geocodable
    assert len(fp.practices) + len(lost) == 101


def test_north_staffs_is_the_two_ccgs_on_both_snapshots(data_2025, data_2021):
    for data in (data_2025, data_2021):
        fp = select_footprint(data, "north-staffs")
        assert set(fp.practices["sub_icb_code"]) == {"05G", "05W"}
        assert set(fp.area_codes) == {"E38000126", "E38000175"}


def test_staffs_shropshire_holds_the_large_shropshire_practice(data_2025):
    fp = select_footprint(data_2025, "staffs-shropshire")
    big = fp.practices.set_index("practice_code").loc["Y01929", "patients"]
    assert big == 52_556
    assert (fp.practices["patients"] > 50_000).sum() == 1


def test_sussex_footprints_use_the_2019_ccgs(data_2025):
    whole = select_footprint(data_2025, "sussex-east-surrey")
    central = select_footprint(data_2025, "central-sussex-east-surrey")
    assert set(central.practices["practice_code"]) < set(whole.practices["practice_code"])
    assert set(central.practices["ccg19_code"]) == {"09D", "99K", "09X", "09H", "09L"}
    # East Surrey's practices are in Surrey Heartlands today, not in Sussex
    surrey = central.practices[central.practices["ccg19_code"] == "09L"]
    assert len(surrey) > 0
    assert set(surrey["icb_code"]) == {"QXU"}
    # central Sussex and East Surrey holds more people than 20 hubs of 50,000 can
    assert central.patients > 20 * 50_000


def test_organisation_codes_ods_and_ons_give_the_same_practices(data_2025):
    by_ods = select_footprint(data_2025, "icb:QNC")
    by_ons = select_footprint(data_2025, "icb:E54000010")
    by_stp = select_footprint(data_2025, "stp:qnc")
    assert list(by_ods.practices["practice_code"]) == list(by_ons.practices["practice_code"])
    assert list(by_ods.practices["practice_code"]) == list(by_stp.practices["practice_code"])
    ccg = select_footprint(data_2025, "ccg:05G,05W")
    assert len(ccg.practices) == 66


def test_ccg_codes_of_2019_resolve_on_the_sub_icb_snapshot(data_2025):
    fp = select_footprint(data_2025, "ccg:09H")  # Crawley CCG merged into West Sussex in 2020
    assert len(fp.practices) > 0
    assert set(fp.practices["ccg19_code"]) == {"09H"}


def test_practice_codes(data_2025):
    fp = select_footprint(data_2025, "practices:M83001, Y01929")
    assert sorted(fp.practices["practice_code"]) == ["M83001", "Y01929"]
    with pytest.raises(
        ValidationError, match=r"practice code not in this snapshot \(got 'ZZZ999'\)"
    ):
        select_footprint(data_2025, "practices:M83001,ZZZ999")


def test_polygon_footprint(data_2025, tmp_path):
    stoke = select_footprint(data_2025, "sub-icb:05W").practices.to_crs(27700)
    xmin, ymin, xmax, ymax = stoke.total_bounds
    area = gpd.GeoDataFrame(geometry=[box(xmin - 1, ymin - 1, xmax + 1, ymax + 1)], crs=27700)
    path = tmp_path / "area.gpkg"
    area.to_file(path)
    fp = select_footprint(data_2025, f"polygon:{path}")
    assert set(stoke["practice_code"]) <= set(fp.practices["practice_code"])
    inside = fp.practices.to_crs(27700).within(area.geometry.iloc[0].buffer(1))
    assert inside.all()


def test_england_is_every_kept_practice(data_2025):
    fp = select_footprint(data_2025, "england")
    assert len(fp.practices) == len(data_2025.practices)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValidationError, match=r"did you mean north-staffs"):
        parse_footprint("north-staf")


def test_unknown_codes_are_all_named(data_2025):
    with pytest.raises(ValidationError, match=r"2 problems") as info:
        select_footprint(data_2025, "sub-icb:05G,XXX,YYY")
    assert "'XXX'" in str(info.value)
    assert "'YYY'" in str(info.value)


def test_empty_footprint_is_an_error(data_2025, tmp_path):
    sea = gpd.GeoDataFrame(geometry=[box(-10.0, 45.0, -9.0, 46.0)], crs=4326)
    path = tmp_path / "sea.geojson"
    sea.to_file(path)
    with pytest.raises(ValidationError, match="no practices after exclusions"):
        select_footprint(data_2025, f"polygon:{path}")


def test_missing_polygon_file():
    with pytest.raises(ValidationError, match="polygon file not found"):
        parse_footprint("polygon:/nonexistent/area.gpkg")


def test_summary_lists_every_builtin(data_2025):
    table = footprint_summary(data_2025)
    assert list(table["name"]) == list(KEPT_2025)
    assert (table["practices"] > 0).all()


def test_sussex_boundary_fallback_on_a_synthetic_practice(data_folder):
    """A Brighton practice the 2019 register does not hold: its 2019 CCG comes from the CCG
    April 2019 boundary, and it belongs to the Sussex footprints."""
    from mcp_geo.practices import load_practices

    new = "GP_PRAC_PAT_LIST,2025-04-01,GP,09D,E38000021,Y99996,BN1 1AA,ALL,ALL,7000"
    root = data_folder(
        {"nhs/gp-reg-pat-prac-all_2025-04.csv": lambda t: t.rstrip("\r\n") + "\r\n" + new + "\r\n"}
    )
    data = load_practices(root)
    practice = data.practices.set_index("practice_code").loc["Y99996"]
    assert practice["ccg19_source"] == "boundary"
    assert practice["ccg19_code"] == "09D"
    assert practice["ccg19_name"] == "NHS Brighton and Hove CCG"
    for footprint in ("central-sussex-east-surrey", "sussex-east-surrey"):
        assert "Y99996" in set(select_footprint(data, footprint).practices["practice_code"])
