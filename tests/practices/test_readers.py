"""The official-file readers: real files, publisher variants and every kind of bad input."""

from __future__ import annotations

import logging
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from mcp_geo._errors import ValidationError
from mcp_geo.practices.areas import (
    ccg19_for_points,
    read_boundaries,
    read_ccg_2019,
    read_england,
    read_icb_2023,
    read_sub_icb_2023,
)
from mcp_geo.practices.readers import postcodes as postcodes_module
from mcp_geo.practices.readers.list_sizes import read_list_sizes
from mcp_geo.practices.readers.postcodes import lookup_postcodes, normalise_postcode, postcode_area
from mcp_geo.practices.readers.practice_map import read_practice_map
from mcp_geo.practices.readers.register import read_register
from mcp_geo.practices.snapshots import (
    SNAPSHOTS,
    FileSpec,
    Snapshot,
    get_snapshot,
    locate_files,
)

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
NHS = DATA_DIR / "nhs"
GEO = DATA_DIR / "geo"
needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason="needs the shared real data")

# ---------------------------------------------------------------- real files


@needs_data
@pytest.mark.parametrize(
    ("period", "extract", "practices", "patients", "over_50k"),
    [
        ("2025-04", date(2025, 4, 1), 6_239, 63_769_849, 20),
        ("2021-01", date(2021, 1, 1), 6_658, 60_606_345, 11),
        ("2022-01", date(2022, 1, 1), 6_527, 61_469_262, 16),
    ],
)
def test_real_list_sizes(period, extract, practices, patients, over_50k):
    table = read_list_sizes(NHS / f"gp-reg-pat-prac-all_{period}.csv")
    assert table.extract_date == extract
    assert len(table.data) == practices
    assert int(table.data["patients"].sum()) == patients
    assert int((table.data["patients"] > 50_000).sum()) == over_50k
    assert table.exclusions.empty
    assert table.data["practice_code"].is_unique
    assert int(table.data["patients"].min()) == 1  # lists of 1 are kept
    assert str(table.data["patients"].dtype) == "int64"


@needs_data
def test_real_list_sizes_2025_facts():
    data = read_list_sizes(NHS / "gp-reg-pat-prac-all_2025-04.csv").data.set_index("practice_code")
    assert data.loc["Y01929", "patients"] == 52_556
    north_staffs = data[data["sub_icb_code"].isin(["05G", "05W"])]
    assert (len(north_staffs), int(north_staffs["patients"].sum())) == (66, 531_633)
    assert data.loc["A81001", "line"] == 2  # first data row is line 2 of the file


@needs_data
@pytest.mark.parametrize(
    ("period", "extract", "practices", "no_pcn", "suppliers"),
    [
        ("2020-09", date(2020, 9, 1), 6_708, 131, 0),
        ("2022-01", date(2022, 1, 1), 6_527, 68, 0),
        ("2025-10", date(2025, 10, 1), 6_202, 71, 6_202),
    ],
)
def test_real_practice_maps(period, extract, practices, no_pcn, suppliers):
    table = read_practice_map(NHS / f"gp-reg-pat-prac-map_{period}.csv")
    assert table.extract_date == extract
    assert len(table.data) == practices
    assert int(table.data["pcn_code"].isna().sum()) == no_pcn
    assert not table.data["pcn_code"].isin(["U", "Unallocated"]).any()
    assert int(table.data["supplier_name"].notna().sum()) == suppliers
    qnc = table.data[table.data["icb_code"] == "QNC"]
    assert set(qnc["sub_icb_code"]) == {"04Y", "05D", "05G", "05Q", "05V", "05W"}


@needs_data
def test_real_registers_old_and_new_vocabulary():
    old = read_register(NHS / "epraccur_2019-11.csv").data
    assert len(old) == 14_357
    assert old["status"].value_counts().to_dict() == {
        "active": 11_474,
        "closed": 2_427,
        "dormant": 451,
        "proposed": 5,
    }
    assert int(((old["status"] == "active") & old["is_gp_practice"]).sum()) == 6_830
    assert max(old["close_date"].dropna()) == date(2019, 7, 31)

    new = read_register(NHS / "epraccur_2026-06.csv").data
    assert len(new) == 15_559
    assert new["status"].value_counts().to_dict() == {
        "active": 12_579,
        "inactive": 2_753,
        "dormant": 227,
    }
    gp = new[new["is_gp_practice"]]
    assert set(gp["setting"]) == {"RO76", "RO76|RO268"}
    # SOURCES.md counts 6,574 with setting exactly RO76; the 5 active RO76|RO268 are GP practices too
    assert int((gp["status"] == "active").sum()) == 6_574 + 5
    north_staffs = gp[(gp["status"] == "active") & gp["commissioner"].isin(["05G", "05W"])]
    assert north_staffs["commissioner"].value_counts().to_dict() == {"05W": 36, "05G": 29}


@needs_data
def test_real_codepoint_missing_postcodes():
    """The facts of DESIGN.md: 5 postcodes of 2025-04 and 30 of 2021-01 are not in Code-Point."""
    for period, missing in (("2025-04", 5), ("2021-01", 30)):
        lists = read_list_sizes(NHS / f"gp-reg-pat-prac-all_{period}.csv").data
        found = lookup_postcodes(lists["postcode"], codepoint=GEO / "codepo_gb")
        keys = lists["postcode"].map(normalise_postcode)
        assert int((~keys.isin(found.index)).sum()) == missing
        assert set(found["country_code"]) == {"E92000001"}
    assert "CA93QX" not in found.index
    st = found.loc["ST47LN"] if "ST47LN" in found.index else None
    assert st is None or st["quality"] != 90


@needs_data
def test_codepoint_reads_only_the_needed_area_files(monkeypatch):
    read: list[str] = []
    original = postcodes_module._read_area

    def spy(path, member):
        read.append(path.name)
        return original(path, member)

    monkeypatch.setattr(postcodes_module, "_read_area", spy)
    found = lookup_postcodes(["st4 7ln", "ST1 1AF", "WS11 5XY", "B1 1AY"], codepoint=GEO)
    assert sorted(read) == ["b.csv", "st.csv", "ws.csv"]
    assert found.loc["ST11AF", ["easting", "northing"]].tolist() == [388405.0, 347542.0]
    assert found.loc["B11AY", "postcode"] == "B1 1AY"


@needs_data
def test_real_boundaries():
    ccg = read_ccg_2019(GEO / "CCG_April_2019_EN_BUC.geojson")
    sub = read_sub_icb_2023(GEO / "SubICB_April_2023_EN_BSC.geojson")
    icb = read_icb_2023(GEO / "ICB_April_2023_EN_BSC.geojson")
    england = read_england(GEO / "Countries_December_2022_UK_BUC" / "CTRY_DEC_2022_UK_BUC.shp")
    for frame, count in ((ccg, 191), (sub, 106), (icb, 42), (england, 1)):
        assert list(frame.columns) == ["code", "name", "ods_code", "geometry"]
        assert len(frame) == count
        assert frame.crs.to_epsg() == 27700
        assert frame.geometry.is_valid.all()  # E38000154 is repaired
    assert ccg.set_index("code").loc["E38000126", "name"] == "NHS North Staffordshire CCG"
    assert sub.set_index("code").loc["E38000126", "ods_code"] == "05G"
    assert icb.set_index("code").loc["E54000010", "name"].startswith("NHS Staffordshire")
    assert england.loc[0, "code"] == "E92000001"
    assert 130_000 < england.area.sum() / 1e6 < 131_000
    points = gpd.GeoSeries.from_xy([388405, 0], [347542, 0], crs=27700, index=["st", "sea"])
    found = ccg19_for_points(points, ccg19=ccg)
    assert found.loc["st", "code"] == "E38000175"  # NHS Stoke on Trent CCG
    assert found.loc["st", "distance_m"] == 0
    assert found.loc["sea"].isna().all()


# ---------------------------------------------------------------- list sizes: variants


def test_list_sizes_ccg_era_header_and_date_formats(fmt, write):
    path = write(
        "gp-reg-pat-prac-all.csv",
        [
            fmt.LIST_HEADER_CCG,
            "GP_PRAC_PAT_LIST,01JAN2021,GP,05G,E38000126,M83001,ST5 1AA,ALL,ALL,100",
            "GP_PRAC_PAT_LIST,01JAN2021,GP,05G,E38000126,M83001,ST5 1AA,MALE,ALL,50",
        ],
    )
    table = read_list_sizes(path)
    assert table.extract_date == date(2021, 1, 1)
    assert table.data[["practice_code", "sub_icb_code", "patients"]].values.tolist() == [
        ["M83001", "05G", 100]
    ]
    for text, expected in (("01Jan2022", date(2022, 1, 1)), ("2025-04-01", date(2025, 4, 1))):
        path = write(
            "x.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("A1", "5").replace("2025-04-01", text)]
        )
        assert read_list_sizes(path).extract_date == expected


def test_list_sizes_crlf_lf_bom_quotes_give_the_same_table(fmt, write):
    rows = [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("M83001", "100"), fmt.list_row("M83002", "200")]
    quoted = [",".join(f'"{v}"' for v in row.split(",")) for row in rows]
    tables = [
        read_list_sizes(write("crlf.csv", rows, eol="\r\n")),
        read_list_sizes(write("lf.csv", rows, eol="\n")),
        read_list_sizes(write("bom.csv", rows, encoding="utf-8-sig")),
        read_list_sizes(write("quoted.csv", quoted)),
        read_list_sizes(write("no_final_newline.csv", rows, final=False)),
    ]
    for table in tables:
        assert table.data.drop(columns="line").equals(tables[0].data.drop(columns="line"))
        assert table.data["line"].tolist() == [2, 3]
    assert tables[2].encoding == "utf-8"


def test_list_sizes_from_the_publishers_zip(fmt, write, tmp_path):
    csv_path = write("inner.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("M83001", "100")])
    archive = tmp_path / "gp-reg-pat-prac-all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(csv_path, "gp-reg-pat-prac-all.csv")
    table = read_list_sizes(archive)
    assert table.name == "gp-reg-pat-prac-all.zip!gp-reg-pat-prac-all.csv"
    assert table.data["patients"].tolist() == [100]


def test_list_sizes_bad_values_become_exclusions(fmt, write):
    path = write(
        "gp-reg-pat-prac-all_2025-04.csv",
        [
            fmt.LIST_HEADER_SUB_ICB,
            fmt.list_row("A00001", "1"),  # line 2: kept, a list of 1
            fmt.list_row("A00002", "abc"),  # 3
            fmt.list_row("A00003", "-5"),  # 4
            fmt.list_row("A00004", "1000001"),  # 5
            fmt.list_row("A00005", "0"),  # 6
            fmt.list_row("A00001", "70"),  # 7: duplicate of line 2
            fmt.list_row("A00006", "12.5"),  # 8
            fmt.list_row("A00007", "60000"),  # 9: kept, over 50,000
        ],
    )
    table = read_list_sizes(path)
    assert table.data["practice_code"].tolist() == ["A00001", "A00007"]
    assert table.data["patients"].tolist() == [1, 60_000]
    got = {row.practice_code: row for row in table.exclusions.itertuples()}
    assert {code: row.reason for code, row in got.items()} == {
        "A00001": "duplicate_code",
        "A00002": "invalid_list_size",
        "A00003": "invalid_list_size",
        "A00004": "invalid_list_size",
        "A00005": "zero_patients",
        "A00006": "invalid_list_size",
    }
    assert got["A00002"].source == "gp-reg-pat-prac-all_2025-04.csv:3"
    assert "NUMBER_OF_PATIENTS" in got["A00002"].detail
    assert "'abc'" in got["A00002"].detail
    assert "negative" in got["A00003"].detail
    assert "over 1,000,000" in got["A00004"].detail
    assert got["A00001"].source.endswith(":7")
    assert "line 2" in got["A00001"].detail


def test_list_sizes_duplicate_of_an_invalid_row_is_excluded_once(fmt, write):
    path = write(
        "x.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("A1", "x"), fmt.list_row("A1", "50")]
    )
    table = read_list_sizes(path)
    assert table.data.empty
    assert table.exclusions["reason"].tolist() == ["invalid_list_size", "duplicate_code"]


def test_list_sizes_missing_columns_named_with_columns_found(fmt, write):
    header = fmt.LIST_HEADER_SUB_ICB.replace(",POSTCODE", "").replace("NUMBER_OF_PATIENTS", "PATS")
    path = write("gp-reg-pat-prac-all.csv", [header, "a,2025-04-01,GP,05W,E38000175,A1,ALL,ALL,5"])
    with pytest.raises(ValidationError, match=r"2 problems") as info:
        read_list_sizes(path)
    text = str(info.value)
    assert "gp-reg-pat-prac-all.csv" in text
    assert "missing column 'postcode'" in text
    assert "missing column 'patients' (accepted names: NUMBER_OF_PATIENTS" in text
    assert "columns found: PUBLICATION, EXTRACT_DATE" in text
    assert "PATS" in text


def test_renamed_column_is_reported(fmt, write):
    """A renamed column and a truncated last line: both reported by one error."""
    path = write("m.csv", [fmt.MAP_HEADER_CCG.replace("PCN_CODE", "PCN_ID"), "x"])
    with pytest.raises(ValidationError, match=r"(?s)2 problems.*m\.csv:2.*truncated") as info:
        read_practice_map(path)
    assert "missing column 'pcn_code' (accepted names: PCN_CODE)" in str(info.value)
    assert "PCN_ID" in str(info.value)


def test_empty_file(write):
    with pytest.raises(ValidationError, match=r"x\.csv: the file is empty"):
        read_list_sizes(write("x.csv", [], final=False))
    with pytest.raises(ValidationError, match=r"x\.csv: the file is empty"):
        read_register(write("x.csv", ["", ""]))


def test_header_only_file(fmt, write):
    with pytest.raises(ValidationError, match="header but no data rows"):
        read_list_sizes(write("x.csv", [fmt.LIST_HEADER_SUB_ICB]))


def test_truncated_last_line(fmt, write):
    rows = [
        fmt.LIST_HEADER_SUB_ICB,
        fmt.list_row("A1", "5"),
        "GP_PRAC_PAT_LIST,2025-04-01,GP,05W,E38",
    ]
    with pytest.raises(
        ValidationError, match=r"x\.csv:3.*truncated.*5 of 10 fields and no line ending"
    ):
        read_list_sizes(write("x.csv", rows, final=False))


def test_bad_and_mixed_extract_dates(fmt, write):
    bad = fmt.list_row("A2", "5").replace("2025-04-01", "April 2025")
    path = write("x.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("A1", "5"), bad])
    with pytest.raises(ValidationError, match=r"x\.csv:3.*EXTRACT_DATE.*'April 2025'"):
        read_list_sizes(path)
    other = fmt.list_row("A2", "5").replace("2025-04-01", "01MAY2025")
    path = write("x.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("A1", "5"), other])
    with pytest.raises(ValidationError, match="more than one extract date"):
        read_list_sizes(path)


# ---------------------------------------------------------------- practice map


def test_practice_map_eras_dates_and_unallocated_pcn(fmt, write):
    ccg = write(
        "gp-reg-pat-prac-map.csv",
        [
            fmt.MAP_HEADER_CCG,
            'P,01-Sep-20,m83001,"SURGERY, THE",ST5 1AA,U,Unallocated,E38000126,05G,'
            "NHS North Staffordshire CCG,E54000010,QNC,Staffs,E40000008,Y60,Midlands",
        ],
    )
    table = read_practice_map(ccg)
    assert table.extract_date == date(2020, 9, 1)
    row = table.data.iloc[0]
    assert (row.practice_code, row.practice_name, row.sub_icb_code, row.icb_code) == (
        "M83001",
        "SURGERY, THE",
        "05G",
        "QNC",
    )
    assert row.pcn_code is None
    assert row.pcn_name is None
    assert row.supplier_name is None

    sub = write(
        "map2.csv",
        [
            fmt.MAP_HEADER_SUB_ICB,
            "P,01Oct2025,M83001,S,ST5 1AA,U12345,A PCN,E38000126,05G,X - 05G,E54000010,QNC,"
            "ICB,E40000011,Y60,Midlands,EMIS",
        ],
        eol="\n",
    )
    table = read_practice_map(sub)
    assert table.extract_date == date(2025, 10, 1)
    assert table.data.iloc[0][["pcn_code", "supplier_name"]].tolist() == ["U12345", "EMIS"]


def test_cp1252_file_is_read_with_a_note(fmt, write, caplog):
    row = (
        "P,01Oct2025,M83001,CAFÉ SURGERY,ST5 1AA,U1,PCN,E38000126,05G,X,E54000010,QNC,ICB,"
        "E40000011,Y60,Midlands,EMIS"
    )
    path = write("map.csv", [fmt.MAP_HEADER_SUB_ICB, row], encoding="cp1252")
    with caplog.at_level(logging.WARNING):
        table = read_practice_map(path)
    assert table.encoding == "cp1252"
    assert table.data.iloc[0]["practice_name"] == "CAFÉ SURGERY"
    assert "map.csv is not valid UTF-8" in caplog.text
    assert "cp1252" in caplog.text


def test_practice_map_duplicate_code(fmt, write):
    row = "P,01Oct2025,{},S,ST5 1AA,U1,PCN,E38000126,05G,X,E54000010,QNC,ICB,E4,Y60,Midlands,"
    path = write("map.csv", [fmt.MAP_HEADER_SUB_ICB, row.format("A1"), row.format("A1")])
    table = read_practice_map(path)
    assert len(table.data) == 1
    assert table.exclusions[["practice_code", "reason", "source"]].values.tolist() == [
        ["A1", "duplicate_code", "map.csv:3"]
    ]


# ---------------------------------------------------------------- register


def test_register_vocabularies_and_row_problems(fmt, write):
    path = write(
        "epraccur.csv",
        [
            fmt.register_row("A1", status="A", setting="4", closed=""),
            fmt.register_row("A2", status="C", setting="4", closed="20190731"),
            fmt.register_row("A3", status="DORMANT", setting="RO76|RO268"),
            fmt.register_row("A4", status="INACTIVE", setting="RO72", closed="20260531"),
            fmt.register_row("A5", status="P"),
            fmt.register_row("B1", status="WHATEVER"),  # line 6
            fmt.register_row("B2", closed="2019-07-31"),  # line 7: not YYYYMMDD
            '"B3","SHORT ROW"',  # line 8
            fmt.register_row("A1", status="D"),  # line 9: duplicate
            fmt.register_row("A6"),
        ],
    )
    table = read_register(path)
    data = table.data.set_index("practice_code")
    assert data["status"].to_dict() == {
        "A1": "active",
        "A2": "closed",
        "A3": "dormant",
        "A4": "inactive",
        "A5": "proposed",
        "A6": "active",
    }
    assert data["is_gp_practice"].to_dict() == {
        "A1": True,
        "A2": True,
        "A3": True,
        "A4": False,
        "A5": True,
        "A6": True,
    }
    assert data.loc["A4", "close_date"] == date(2026, 5, 31)
    assert data.loc["A1", "close_date"] is None
    assert table.exclusions[["practice_code", "reason", "source"]].values.tolist() == [
        ["B1", "invalid_status", "epraccur.csv:6"],
        ["B2", "invalid_date", "epraccur.csv:7"],
        ["B3", "malformed_row", "epraccur.csv:8"],
        ["A1", "duplicate_code", "epraccur.csv:9"],
    ]
    assert "'2019-07-31'" in table.exclusions.iloc[1]["detail"]


def test_register_with_the_wrong_layout(fmt, write):
    path = write("epraccur.csv", [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("A1", "5")])
    with pytest.raises(ValidationError, match=r"epraccur\.csv: expected the ODS register layout"):
        read_register(path)


def test_register_truncated(fmt, write):
    path = write("epraccur.csv", [fmt.register_row("A1"), fmt.register_row("A2")[:40]], final=False)
    with pytest.raises(ValidationError, match="truncated"):
        read_register(path)


# ---------------------------------------------------------------- Code-Point Open


def _codepoint(write) -> Path:
    write(
        "codepo_gb/Data/CSV/st.csv",
        [
            '"ST4 7LN",10,387795,345234,"E92000001","E19000001","E18000005","","E06000021","E1"',
            '"ST4 7ZZ",90,0,0,"E92000001","","","","",""',
            '"ST5 0ZZ",10,0,0,"E92000001","","","","",""',
        ],
    )
    write(
        "codepo_gb/Data/CSV/ch.csv",
        ['"CH5 1AA",10,330000,365000,"W92000004","","","","W06000005","W1"'],
    )
    return write("codepo_gb/Doc/readme.txt", ["x"]).parents[1]


def test_codepoint_lookup_normalises_and_drops_positionless(write):
    root = _codepoint(write)
    found = lookup_postcodes(
        ["st47ln", " ST4 7ZZ", "ST5 0ZZ", "CH5 1AA", "XX1 1XX", ""], codepoint=root
    )
    assert sorted(found.index) == ["CH51AA", "ST47LN"]
    assert found.loc["ST47LN", ["easting", "northing"]].tolist() == [387795.0, 345234.0]
    assert found.loc["CH51AA", "country_code"] == "W92000004"
    # the same via the Data/CSV folder, the parent folder and the publisher's zip
    assert lookup_postcodes(["ST4 7LN"], codepoint=root / "Data" / "CSV").index.tolist() == [
        "ST47LN"
    ]
    assert lookup_postcodes(["ST4 7LN"], codepoint=root.parent).index.tolist() == ["ST47LN"]
    archive = root.parent / "codepo_gb.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(root / "Data" / "CSV" / "st.csv", "Data/CSV/st.csv")
    assert lookup_postcodes(["ST4 7LN"], codepoint=archive).index.tolist() == ["ST47LN"]


def test_codepoint_missing_folder(tmp_path):
    with pytest.raises(ValidationError, match="no Code-Point Open area files"):
        lookup_postcodes(["ST4 7LN"], codepoint=tmp_path)


def test_postcode_helpers():
    assert normalise_postcode(" st4  7ln ") == "ST47LN"
    assert normalise_postcode(None) == ""
    assert (postcode_area("SW1A 1AA"), postcode_area("b1 1aa"), postcode_area("1AA")) == (
        "SW",
        "B",
        "",
    )


# ---------------------------------------------------------------- boundaries (hand-drawn)


def test_boundaries_bad_file(tmp_path):
    """Two squares without CD/NM fields, and a file of the wrong kind of code."""
    frame = gpd.GeoDataFrame(
        {"id": [1, 2]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700
    )
    frame.to_file(tmp_path / "a.geojson")
    with pytest.raises(ValidationError, match=r"(?s)2 problems.*no code.*no name"):
        read_boundaries(tmp_path / "a.geojson")
    frame = frame.assign(ICB23CD=["E54000001", "X"], ICB23NM=["a", "b"])
    frame.to_file(tmp_path / "b.geojson")
    with pytest.raises(ValidationError, match=r"code does not start with 'E54'.*'X'"):
        read_icb_2023(tmp_path / "b.geojson")


def test_boundaries_repair_and_reproject(tmp_path):
    """A bow-tie (self-intersecting) polygon is repaired; a WGS84 file comes back in 27700."""
    from shapely.geometry import Polygon

    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    frame = gpd.GeoDataFrame(
        {"CCG19CD": ["E38000001"], "CCG19NM": ["NHS X CCG"]}, geometry=[bowtie], crs=27700
    )
    frame.to_crs(4326).to_file(tmp_path / "c.geojson")
    out = read_ccg_2019(tmp_path / "c.geojson")
    assert out.crs.to_epsg() == 27700
    assert out.geometry.is_valid.all()
    assert out.area.iloc[0] == pytest.approx(50, rel=1e-3)


# ---------------------------------------------------------------- snapshots and file lookup


def test_snapshots_defined():
    assert set(SNAPSHOTS) == {"2025-04", "2021-01"}
    assert SNAPSHOTS["2025-04"].list_sizes.stem == "gp-reg-pat-prac-all_2025-04"
    assert SNAPSHOTS["2025-04"].practice_map.stem == "gp-reg-pat-prac-map_2025-10"
    assert SNAPSHOTS["2021-01"].register.stem == "epraccur_2019-11"
    assert get_snapshot("2021-01").era == "ccg"
    with pytest.raises(ValidationError, match=r"unknown snapshot; known: 2025-04, 2021-01"):
        get_snapshot("2019-04")
    with pytest.raises(ValidationError, match=r"(?s)2 problems.*YYYY-MM.*'sub-icb' or 'ccg'"):
        Snapshot(
            name="April",
            list_sizes=FileSpec("a", "nhs"),
            practice_map=FileSpec("b", "nhs"),
            register=FileSpec("c", "nhs"),
            register_2019=FileSpec("d", "nhs"),
            outlines=(FileSpec("e", "geo"),),
            era="stp",
        )


@needs_data
def test_locate_files_in_the_shared_layout():
    paths = locate_files(DATA_DIR, SNAPSHOTS["2025-04"].load_specs())
    assert paths["list_sizes"] == NHS / "gp-reg-pat-prac-all_2025-04.csv"
    assert paths["codepoint"] == GEO / "codepo_gb"
    assert paths["ccg19"] == GEO / "CCG_April_2019_EN_BUC.geojson"


def test_locate_files_flat_layout_with_publisher_names(tmp_path):
    for name in ("gp-reg-pat-prac-all.zip", "gp-reg-pat-prac-map.csv", "epraccur_2019-11.csv"):
        (tmp_path / name).write_text("x")
    (tmp_path / "Data" / "CSV").mkdir(parents=True)
    (tmp_path / "Data" / "CSV" / "st.csv").write_text("x")
    specs = SNAPSHOTS["2021-01"].load_specs()
    del specs["ccg19"], specs["register"]
    paths = locate_files(tmp_path, specs)
    assert paths["list_sizes"] == tmp_path / "gp-reg-pat-prac-all.zip"
    assert paths["practice_map"] == tmp_path / "gp-reg-pat-prac-map.csv"
    assert paths["codepoint"] == tmp_path


def test_locate_files_names_every_missing_file(tmp_path):
    with pytest.raises(ValidationError, match=r"6 problems") as info:
        locate_files(tmp_path, SNAPSHOTS["2025-04"].load_specs())
    text = str(info.value)
    for stem in ("gp-reg-pat-prac-all_2025-04", "epraccur_2026-06", "codepo_gb", "CCG_April_2019"):
        assert stem in text
    assert str(tmp_path / "nhs" / "gp-reg-pat-prac-all.csv") in text
    with pytest.raises(ValidationError, match="is not a folder"):
        locate_files(tmp_path / "nowhere", {})
