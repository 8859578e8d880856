"""load_practices: the join rules on a hand-made data folder, and the pinned facts of the real data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from mcp_geo._errors import ValidationError
from mcp_geo.practices.load import PRACTICE_COLUMNS, PracticeData, load_practices

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason="needs the shared real data")

# ---------------------------------------------------------------- a hand-made data folder
#
#   Code-Point: ST4 7LN (387795, 345234) E; ST4 7ZZ quality 90; CH5 1AA Welsh.
#   CCG 2019: one square 380000-400000 x 340000-360000 = E38000175 NHS Stoke on Trent CCG.
#
#   list file line  code    patients  postcode   what happens
#   2               A1      40000     ST4 7LN    kept; PCN "U" in the map -> none
#   3               A2      0                    zero_patients
#   4               A3      x                    invalid_list_size
#   5               A4      5000      ST4 7ZZ    kept at the register's postcode ST4 7LN (note)
#   6               A5      5000      XX1 1XX    postcode_not_found (register has XX1 1XY)
#   7               A6      5000      CH5 1AA    outside_england
#   8               A7      5000      ST4 7LN    register closed 2025-01-01: closed_before_snapshot
#   9               A8      5000      ST4 7LN    DORMANT, no close date: kept (note)
#   10              A9      5000      ST4 7LN    not in the map: parents from A1's Sub-ICB (note)
#   11              A1      99                   duplicate_code
#   12              B1      5000      ST4 7LN    not in the 2019 register: CCG 2019 by boundary
#   map only: M1 -> no_list_size


def _build(write, fmt, tmp_path: Path, *, register_2019_closure: str = "") -> Path:
    lr = fmt.list_row
    write(
        "gp-reg-pat-prac-all_2025-04.csv",
        [
            fmt.LIST_HEADER_SUB_ICB,
            lr("A1", "40000"),
            lr("A2", "0"),
            lr("A3", "x"),
            lr("A4", "5000", "ST4 7ZZ"),
            lr("A5", "5000", "XX1 1XX"),
            lr("A6", "5000", "CH5 1AA"),
            lr("A7", "5000"),
            lr("A8", "5000"),
            lr("A9", "5000"),
            lr("A1", "99"),
            lr("B1", "5000"),
        ],
    )
    parents = "E38000175,05W,NHS Stoke - 05W,E54000010,QNC,NHS Staffs ICB,E40000011,Y60,Midlands"
    write(
        "gp-reg-pat-prac-map_2025-10.csv",
        [
            fmt.MAP_HEADER_SUB_ICB,
            f"P,01Oct2025,A1,FIRST SURGERY,ST4 7LN,U,Unallocated,{parents},EMIS",
            *(
                f"P,01Oct2025,{c},SURGERY {c},ST4 7LN,U00001,STOKE PCN,{parents},TPP"
                for c in ("A2", "A4", "A5", "A6", "A7", "A8", "B1", "M1")
            ),
        ],
    )
    rr = fmt.register_row
    write(
        "epraccur_2026-06.csv",
        [
            rr("A1"),
            rr("A4", postcode="ST4 7LN"),
            rr("A5", postcode="XX1 1XY"),
            rr("A6", postcode="CH5 1AA"),
            rr("A7", status="INACTIVE", closed="20250101"),
            rr("A8", status="DORMANT"),
            rr("A9", name="NINTH SURGERY"),
            rr("B1"),
        ],
    )
    write(
        "epraccur_2019-11.csv",
        [
            rr(c, status="A", setting="4", commissioner="05W", closed=register_2019_closure)
            for c in ("A1", "A4", "A8", "A9")
        ],
    )
    write(
        "codepo_gb/Data/CSV/st.csv",
        [
            '"ST4 7LN",10,387795,345234,"E92000001","E19000001","E18000005","","E06000021","E1"',
            '"ST4 7ZZ",90,0,0,"E92000001","","","","",""',
        ],
    )
    write("codepo_gb/Data/CSV/ch.csv", ['"CH5 1AA",10,330000,365000,"W92000004","","","","",""'])
    gpd.GeoDataFrame(
        {"CCG19CD": ["E38000175"], "CCG19NM": ["NHS Stoke on Trent CCG"]},
        geometry=[box(380000, 340000, 400000, 360000)],
        crs=27700,
    ).to_file(tmp_path / "CCG_April_2019_EN_BUC.geojson")
    return tmp_path


def test_join_rules_on_a_hand_made_folder(write, fmt, tmp_path):
    data = load_practices(_build(write, fmt, tmp_path), snapshot="2025-04")
    assert isinstance(data, PracticeData)
    assert data.extract_date == date(2025, 4, 1)
    assert data.rows_read == 12 == len(data.practices) + len(data.exclusions)
    practices = data.practices.set_index("practice_code")
    assert list(practices.index) == ["A1", "A4", "A8", "A9", "B1"]
    reasons = data.exclusions.set_index("source")[["practice_code", "reason"]]
    assert reasons.to_dict("index") == {
        "gp-reg-pat-prac-all_2025-04.csv:3": {"practice_code": "A2", "reason": "zero_patients"},
        "gp-reg-pat-prac-all_2025-04.csv:4": {"practice_code": "A3", "reason": "invalid_list_size"},
        "gp-reg-pat-prac-all_2025-04.csv:11": {"practice_code": "A1", "reason": "duplicate_code"},
        "gp-reg-pat-prac-map_2025-10.csv:10": {"practice_code": "M1", "reason": "no_list_size"},
        "epraccur_2026-06.csv:5": {"practice_code": "A7", "reason": "closed_before_snapshot"},
        "gp-reg-pat-prac-all_2025-04.csv:6": {
            "practice_code": "A5",
            "reason": "postcode_not_found",
        },
        "gp-reg-pat-prac-all_2025-04.csv:7": {"practice_code": "A6", "reason": "outside_england"},
    }
    detail = data.exclusions.set_index("practice_code")["detail"]
    assert "2025-01-01 is before the extract date 2025-04-01" in detail["A7"]
    assert "'XX1 1XX' or the register's 'XX1 1XY'" in detail["A5"]
    assert "W92000004" in detail["A6"]

    assert pd.isna(practices.loc["A1", "pcn_code"])
    assert pd.isna(practices.loc["A1", "pcn_name"])
    assert practices.loc["A4", "pcn_code"] == "U00001"
    assert practices.loc["A4", "postcode"] == "ST4 7ZZ"  # as the list-size file writes it
    assert practices.loc["A4", "easting"] == 387795.0
    assert practices.loc["A9", "practice_name"] == "NINTH SURGERY"  # register fallback
    assert practices.loc["A9", "icb_code"] == "QNC"
    assert practices.loc["A9", "sub_icb_name"] == "NHS Stoke - 05W"
    assert practices.loc["A8", "status"] == "dormant"
    assert practices.loc["A1", "ccg19_code"] == "05W"
    assert practices.loc["A1", "ccg19_name"] == "NHS Stoke on Trent CCG"
    assert practices.loc["A1", "ccg19_source"] == "register"
    assert practices.loc["B1", "ccg19_source"] == "boundary"
    assert practices.loc["B1", "ccg19_code"] == "05W"  # ONS E38000175 -> ODS via the register

    notes = data.notes.groupby("practice_code")["note"].apply(" | ".join)
    assert "placed at the register's postcode 'ST4 7LN'" in notes["A4"]
    assert "status DORMANT without a close date; kept" in notes["A8"]
    assert "not in gp-reg-pat-prac-map_2025-10.csv" in notes["A9"]
    assert "2019 CCG from the CCG April 2019 boundary" in notes["B1"]
    assert set(notes.index) == {"A4", "A8", "A9", "B1"}


def test_register_2019_must_predate_the_mergers(write, fmt, tmp_path):
    folder = _build(write, fmt, tmp_path, register_2019_closure="20230101")
    with pytest.raises(ValidationError, match=r"epraccur_2019-11\.csv.*before April 2020"):
        load_practices(folder)


def test_missing_files_and_unknown_snapshot(tmp_path):
    with pytest.raises(ValidationError, match=r"(?s)6 problems.*gp-reg-pat-prac-all_2021-01"):
        load_practices(tmp_path, snapshot="2021-01")
    with pytest.raises(ValidationError, match="unknown snapshot"):
        load_practices(tmp_path, snapshot="2030-01")


def test_practice_data_checks_its_invariant(write, fmt, tmp_path):
    data = load_practices(_build(write, fmt, tmp_path))
    with pytest.raises(ValidationError, match="12 rows read but 4 kept and 7 excluded"):
        PracticeData(
            practices=data.practices.iloc[1:],
            exclusions=data.exclusions,
            notes=data.notes,
            snapshot=data.snapshot,
            extract_date=data.extract_date,
            rows_read=data.rows_read,
            files=data.files,
        )


# ---------------------------------------------------------------- the real data


@pytest.fixture(scope="module")
def real_2025() -> PracticeData:
    return load_practices(DATA_DIR, snapshot="2025-04")


@pytest.fixture(scope="module")
def real_2021() -> PracticeData:
    return load_practices(DATA_DIR, snapshot="2021-01")


@needs_data
def test_real_2025_every_practice_once(real_2025):
    data = real_2025
    practices = data.practices
    assert data.rows_read == 6_239 == len(practices) + len(data.exclusions)
    assert len(practices) == 6_239  # nothing excluded: the 5 unknown postcodes fall back
    assert data.exclusions.empty
    assert int(practices["patients"].sum()) == 63_769_849
    assert practices["practice_code"].is_unique
    assert practices["practice_code"].is_monotonic_increasing
    assert tuple(practices.columns) == PRACTICE_COLUMNS
    assert str(practices["patients"].dtype) == "int64"
    assert data.extract_date == date(2025, 4, 1)
    assert {p.name for p in data.files} == {
        "gp-reg-pat-prac-all_2025-04.csv",
        "gp-reg-pat-prac-map_2025-10.csv",
        "epraccur_2026-06.csv",
        "epraccur_2019-11.csv",
        "codepo_gb",
        "CCG_April_2019_EN_BUC.geojson",
    }


@needs_data
def test_real_2025_facts(real_2025):
    data = real_2025
    p = data.practices.set_index("practice_code")
    assert p.loc["Y01929", "patients"] == 52_556
    assert p.loc["Y01929", "icb_code"] == "QOC"
    assert int((p["patients"] > 50_000).sum()) == 20
    assert int((p["patients"] == 1).sum()) >= 1
    ns = p[p["sub_icb_code"].isin(["05G", "05W"])]
    assert (len(ns), int(ns["patients"].sum())) == (66, 531_633)
    qnc = p[p["icb_code"] == "QNC"]
    assert (len(qnc), int(qnc["patients"].sum())) == (141, 1_207_013)
    for code, name in (("05G", "NHS North Staffordshire CCG"), ("05W", "NHS Stoke on Trent CCG")):
        rows = p[p["sub_icb_code"] == code]
        assert set(
            zip(rows["ccg19_code"], rows["ccg19_name"], rows["ccg19_source"], strict=True)
        ) == {(code, name, "register")}
    sussex = p[p["ccg19_code"].isin(["09D", "09F", "09G", "09H", "09P", "99K", "09X", "09L"])]
    assert set(sussex["ccg19_name"]) == {
        "NHS Brighton and Hove CCG",
        "NHS Eastbourne, Hailsham and Seaford CCG",
        "NHS Coastal West Sussex CCG",
        "NHS Crawley CCG",
        "NHS Hastings and Rother CCG",
        "NHS High Weald Lewes Havens CCG",
        "NHS Horsham and Mid Sussex CCG",
        "NHS East Surrey CCG",
    }
    assert p["ccg19_source"].value_counts().to_dict() == {"register": 6_216, "boundary": 23}
    assert p["ccg19_code"].notna().all()
    assert p["ccg19_name"].notna().all()
    assert p["icb_code"].notna().all()
    assert p["region_name"].notna().all()
    assert int(p["pcn_code"].isna().sum()) == 71 + 37  # unallocated in the map + not in the map
    assert p["status"].value_counts().to_dict() == {"active": 6_155, "dormant": 53, "inactive": 31}


@needs_data
def test_real_2025_notes(real_2025):
    data = real_2025
    notes = data.notes
    fallback = notes[notes["note"].str.contains("placed at the register's postcode")]
    assert sorted(fallback["practice_code"]) == ["A82004", "M89009", "N81050", "N81119", "N83018"]
    assert notes["note"].str.startswith("not in gp-reg-pat-prac-map_2025-10.csv").sum() == 37
    assert notes["note"].str.contains("DORMANT without a close date").sum() == 53
    assert notes["note"].str.contains("after the extract date").sum() == 31
    assert notes["note"].str.contains("CCG April 2019 boundary").sum() == 23
    assert notes["practice_code"].isin(data.practices["practice_code"]).all()


@needs_data
def test_real_2025_coordinates(real_2025):
    data = real_2025
    p = data.practices
    assert p.crs.to_epsg() == 4326
    to_wgs84 = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(p["easting"].to_numpy(), p["northing"].to_numpy())
    assert abs(lon - p["longitude"].to_numpy()).max() < 1e-6
    assert abs(lat - p["latitude"].to_numpy()).max() < 1e-6
    assert (p.geometry.x == p["longitude"]).all()
    back = p.to_crs(27700)
    assert (abs(back.geometry.x - p["easting"]) < 0.2).all()
    assert (abs(back.geometry.y - p["northing"]) < 0.2).all()
    assert p["latitude"].between(49.8, 55.9).all()


@needs_data
def test_real_2021(real_2021):
    data = real_2021
    p = data.practices.set_index("practice_code")
    assert data.extract_date == date(2021, 1, 1)
    assert data.rows_read == 6_658 + 53 == len(p) + len(data.exclusions)
    assert len(p) == 6_628
    assert int(p["patients"].sum()) == 60_334_269
    assert data.exclusions["reason"].value_counts().to_dict() == {
        "no_list_size": 53,
        "postcode_not_found": 30,
    }
    lost = data.exclusions[data.exclusions["reason"] == "postcode_not_found"]
    assert lost["source"].str.startswith("gp-reg-pat-prac-all_2021-01.csv:").all()
    ns = p[p["sub_icb_code"].isin(["05G", "05W"])]
    assert (len(ns), int(ns["patients"].sum())) == (69, 514_094)
    assert set(p.loc[p["sub_icb_code"] == "05G", "sub_icb_name"]) == {"NHS North Staffordshire CCG"}
    assert int((p["patients"] > 50_000).sum()) == 11
    assert p["ccg19_source"].value_counts().to_dict() == {"register": 6_624, "boundary": 4}
