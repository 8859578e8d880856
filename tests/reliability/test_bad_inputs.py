"""The named suite of bad inputs: each gives a clear error naming file, row and field, or an
exclusion with its reason, and nothing is lost (practices read = kept + excluded).

The data cases inject one defect into a copy of the real April 2025 files; the planning cases use
small footprints or a sites CSV so they run in seconds.
"""

from __future__ import annotations

import json

import pytest

from mcp_geo.cli import main
from tests.reliability.conftest import LIST_2025, MAP_2025, check_json

STOKE_ROW = "GP_PRAC_PAT_LIST,2025-04-01,GP,05W,E38000175,M83004,ST3 4DW,ALL,ALL,9159"


def _replace(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


def _append(row: str):
    return lambda text: text.rstrip("\r\n") + "\r\n" + row + "\r\n"


def _exclusions(folder) -> dict[str, str]:
    from mcp_geo.practices import load_practices

    data = load_practices(folder)
    assert data.rows_read == len(data.practices) + len(data.exclusions)  # nothing lost
    return dict(zip(data.exclusions["practice_code"], data.exclusions["reason"], strict=True))


def test_missing_column_names_file_and_column(data_folder, capsys):
    folder = data_folder({LIST_2025: _replace("NUMBER_OF_PATIENTS", "PATIENTS")})
    assert main(["data", "check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "gp-reg-pat-prac-all_2025-04.csv" in err
    assert "NUMBER_OF_PATIENTS" in err


def test_duplicate_practice_code_is_excluded_once(data_folder, capsys):
    folder = data_folder({LIST_2025: _append(STOKE_ROW)})
    assert _exclusions(folder) == {"M83004": "duplicate_code"}
    summary = check_json(main, capsys, folder)
    assert summary["rows_read"] == 6_240  # every row read: 6,239 kept, the repeat excluded
    assert summary["kept"] == 6_239
    assert summary["excluded"] == {"duplicate_code": 1}


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0", "zero_patients"), ("-12", "invalid_list_size"), ("n/a", "invalid_list_size"),
     ("99999999", "invalid_list_size")],
)  # fmt: skip
def test_bad_list_sizes_are_excluded_with_a_reason(data_folder, value, reason):
    folder = data_folder({LIST_2025: _replace(STOKE_ROW, STOKE_ROW[: -len("9159")] + value)})
    excluded = _exclusions(folder)
    assert excluded == {"M83004": reason}


def test_code_only_in_the_map_and_only_in_the_list_file(data_folder, shared_data):
    new_practice = "GP_PRAC_PAT_LIST,2025-04-01,GP,05W,E38000175,Y99991,ST4 5NX,ALL,ALL,4000"
    lines = (shared_data / MAP_2025).read_text().splitlines()
    map_row = next(line for line in lines if ",M83004," in line)
    folder = data_folder(
        {
            LIST_2025: _append(new_practice),
            MAP_2025: _append(map_row.replace("M83004", "Y99992")),
        }
    )
    from mcp_geo.practices import load_practices

    data = load_practices(folder)
    kept = data.practices.set_index("practice_code")
    assert kept.loc["Y99991", "icb_code"] == "QNC"  # kept; parents from its Sub-ICB's rows
    assert any(
        "not in gp-reg-pat-prac-map" in n
        for n in data.notes.loc[data.notes["practice_code"] == "Y99991", "note"]
    )
    excluded = dict(zip(data.exclusions["practice_code"], data.exclusions["reason"], strict=True))
    assert excluded == {"Y99992": "no_list_size"}
    assert data.rows_read == len(data.practices) + len(data.exclusions)


@pytest.mark.parametrize("postcode", ["ZZ9 9ZZ", "NOT A POSTCODE", ""])
def test_unknown_or_malformed_postcode(data_folder, postcode):
    row = f"GP_PRAC_PAT_LIST,2025-04-01,GP,05W,E38000175,Y99993,{postcode},ALL,ALL,4000"
    excluded = _exclusions(data_folder({LIST_2025: _append(row)}))
    assert excluded == {"Y99993": "postcode_not_found"}


def test_point_outside_england(data_folder):
    row = "GP_PRAC_PAT_LIST,2025-04-01,GP,05W,E38000175,Y99994,CH1 4QL,ALL,ALL,4000"  # Wales
    assert _exclusions(data_folder({LIST_2025: _append(row)})) == {"Y99994": "outside_england"}


def test_truncated_csv(data_folder, capsys):
    folder = data_folder({LIST_2025: lambda text: text[: len(text) // 2]})
    code = main(["data", "check", str(folder)])
    err = capsys.readouterr().err
    if code == 0:  # cut at a line end: the rows before it are read, nothing else
        pytest.fail("a file cut mid-row must be reported")
    assert code == 2
    assert "gp-reg-pat-prac-all_2025-04.csv" in err
    assert "truncated" in err.lower() or "last line" in err.lower()


def test_file_in_another_encoding_or_a_zip(data_folder, capsys):
    folder = data_folder({LIST_2025: lambda text: text.encode("utf-16")})
    assert main(["data", "check", str(folder), "--json"]) == 0  # UTF-16 with its BOM is read
    assert json.loads(capsys.readouterr().out)["kept"] == 6239


def test_a_zip_archive_is_named_as_such(data_folder, capsys):
    folder = data_folder({LIST_2025: lambda text: b"PK\x03\x04" + text.encode()[:200]})
    assert main(["data", "check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "gp-reg-pat-prac-all_2025-04.csv: is a zip archive" in err
    assert "Traceback" not in err


def test_unknown_footprint_suggests_the_closest(capsys):
    assert main(["footprints", "--json"]) == 0
    capsys.readouterr()
    assert main(["plan", "staffs-shropshir", "--out", "/tmp/never-written"]) == 2
    err = capsys.readouterr().err
    assert "did you mean staffs-shropshire" in err


def test_empty_footprint(tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    sea = tmp_path / "sea.geojson"
    gpd.GeoDataFrame(geometry=[box(-10.0, 45.0, -9.0, 46.0)], crs=4326).to_file(sea)
    assert main(["plan", f"polygon:{sea}", "--out", str(tmp_path / "p")]) == 2
    assert "no practices" in capsys.readouterr().err


def test_output_folder_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["plan", "north-staffs", "--out", str(blocker / "sub" / "plan")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


SITES_HEADER = "practice_code,patients,easting,northing\n"


def _sites(tmp_path, rows: str):
    path = tmp_path / "sites.csv"
    path.write_text(SITES_HEADER + rows)
    return path


def test_practice_larger_than_the_ceiling_is_a_named_exception(tmp_path):
    sites = _sites(
        tmp_path, "BIG,62000,400000,300000\nA,30000,401000,300000\nB,20000,401500,300000\n"
    )
    out = tmp_path / "plan"
    assert main(["plan", str(sites), "--no-mcps", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    [big] = report["exceptions"]
    assert (big["kind"], big["patients"], big["practices"]) == ("over_ceiling", 62_000, ["BIG"])
    assert "BIG has 62,000 patients" in big["reason"]


def test_practice_larger_than_the_ceiling_is_an_error_when_strict(tmp_path, capsys):
    sites = _sites(
        tmp_path, "BIG,62000,400000,300000\nA,30000,401000,300000\nB,20000,401500,300000\n"
    )
    assert main(["plan", str(sites), "--no-mcps", "--strict", "--out", str(tmp_path / "p")]) == 3
    err = capsys.readouterr().err
    assert "BIG" in err
    assert "62,000" in err


def test_distance_limit_that_leaves_a_practice_unreachable(tmp_path, capsys):
    rows = "A,30000,400000,300000\nB,20000,401000,300000\nFAR,10000,460000,300000\n"
    sites = _sites(tmp_path, rows)
    assert main(["plan", str(sites), "--no-mcps", "--strict", "--out", str(tmp_path / "p")]) == 3
    err = capsys.readouterr().err
    assert "FAR" in err
    assert "15 km" in err


def test_bounds_that_make_the_problem_infeasible(tmp_path, capsys):
    """90,000 patients in hubs of 70,000-80,000: one hub is too big, two too small. By default
    the least-exception plan (two hubs, 50,000 below the floor in all, each named); strict
    rules refuse it with the numbers."""
    rows = "A,30000,400000,300000\nB,30000,401000,300000\nC,30000,402000,300000\n"
    sites = _sites(tmp_path, rows)
    argv = ["plan", str(sites), "--no-mcps", "--hub-min", "70000", "--hub-max", "80000"]
    assert main([*argv, "--out", str(tmp_path / "p")]) == 0
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert [(e["kind"], e["shortfall"]) for e in report["exceptions"]] == [
        ("under_floor", 10_000),
        ("under_floor", 40_000),
    ]
    assert "under the floor by 10,000 patients" in capsys.readouterr().out
    assert main([*argv, "--strict", "--out", str(tmp_path / "q")]) == 3
    assert "90,000" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("A,30000,400000\n", "field 'northing'"),
        (",30000,400000,300000\n", "must not be empty"),
        ("A,30000,400000,300000\nA,20000,401000,300000\n", "must be unique"),
        ("A,-5,400000,300000\n", "whole number"),
        ("A,30000,9400000,300000\n", "outside the UK"),
    ],
)
def test_bad_sites_files(tmp_path, capsys, rows, message):
    sites = _sites(tmp_path, rows)
    assert main(["plan", str(sites), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "sites.csv" in err
    assert not (tmp_path / "p").exists()


def test_invalid_options_are_listed_together(capsys, tmp_path):
    code = main(
        ["plan", "north-staffs", "--hub-min", "-1", "--gap", "2", "--out", str(tmp_path / "p")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--hub-min" in err
    assert "--gap" in err
