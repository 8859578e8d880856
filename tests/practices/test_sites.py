"""The user's own sites file: every value checked, every problem named with its line.

Hand-drawn sites around Stoke-on-Trent (SJ 88 45), one in Edinburgh and one at sea::

    line 2  A   52.90, -2.20   Stoke
    line 3  B   52.91, -2.21   Stoke
    line 4  C   55.95, -3.19   Edinburgh (Scotland)
"""

from __future__ import annotations

import io
import logging
import zipfile

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.cli import main
from mcp_geo.practices.load import EXCLUDED_COLUMNS
from mcp_geo.practices.readers.sites import read_sites

HEADER = "practice_code,patients,latitude,longitude,pcn_code"
A = "A,9000,52.90,-2.20,U1"
B = "B,8000,52.91,-2.21,U1"


def _sites(tmp_path, *rows: str, header: str = HEADER, encoding: str = "utf-8"):
    path = tmp_path / "sites.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


def test_pcn_code_and_names_are_kept(tmp_path):
    footprint = read_sites(_sites(tmp_path, A, B))
    assert footprint.practices["pcn_code"].tolist() == ["U1", "U1"]
    assert footprint.patients == 17_000
    assert footprint.notes == ()
    assert footprint.exclusions.empty


@pytest.mark.parametrize(
    "value", ["-1", "1000001", "99999999999999999999", str(2**63 - 1), "9e18", "12.5", "n/a", ""]
)
def test_patients_out_of_range_name_the_line(tmp_path, value):
    path = _sites(tmp_path, A, f"B,{value},52.91,-2.21,U1")
    with pytest.raises(
        ValidationError,
        match=r"sites\.csv:3, field 'patients': must be a whole number from 0 to 1,000,000",
    ) as caught:
        read_sites(path)
    assert repr(value) in str(caught.value)


def test_patients_at_the_bounds_and_in_thousands(tmp_path):
    footprint = read_sites(_sites(tmp_path, "A,1000000,52.90,-2.20,", 'B,"1,234",52.91,-2.21,'))
    assert footprint.practices["patients"].tolist() == [1_000_000, 1_234]
    assert footprint.patients == 1_001_234  # no overflow to a negative total


def test_zero_patients_is_an_exclusion_with_its_line(tmp_path):
    footprint = read_sites(_sites(tmp_path, A, "B,0,52.91,-2.21,U1"))
    assert footprint.practices["practice_code"].tolist() == ["A"]
    assert list(footprint.exclusions.columns) == list(EXCLUDED_COLUMNS)
    row = footprint.exclusions.iloc[0]
    assert (row["practice_code"], row["reason"], row["source"]) == (
        "B",
        "zero_patients",
        "sites.csv:3",
    )
    with pytest.raises(ValidationError, match="every site has 0 patients: nothing to plan"):
        read_sites(_sites(tmp_path, "B,0,52.91,-2.21,U1"))


def test_duplicate_codes_name_both_lines(tmp_path):
    path = _sites(tmp_path, A, B, "A,100,52.92,-2.22,U1")
    with pytest.raises(
        ValidationError, match=r"field 'practice_code': must be unique: the code is on lines 2, 4"
    ):
        read_sites(path)


def test_a_duplicated_column_is_an_error(tmp_path):
    path = _sites(tmp_path, A + ",7", header=HEADER + ",Patients")
    with pytest.raises(
        ValidationError, match=r"sites\.csv:1: column 'patients' appears twice \(columns 2 and 6\)"
    ):
        read_sites(path)


@pytest.mark.parametrize("code", ["=1+1", "+C", "-C", "@SUM(C1)", "\tC", "\rC", " =C"])
@pytest.mark.parametrize("column", ["practice_code", "pcn_code"])
def test_formula_like_codes_are_refused(tmp_path, code, column):
    quoted = '"' + code.replace('"', '""') + '"'
    row = f"{quoted},100,52.92,-2.22,U1" if column == "practice_code" else f"C,1,52.9,-2.2,{quoted}"
    with pytest.raises(
        ValidationError,
        match=rf"sites\.csv:3, field '{column}': must not start with =, \+, -, @, a tab",
    ):
        read_sites(_sites(tmp_path, A, row))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_encodings_are_read(tmp_path, encoding):
    footprint = read_sites(_sites(tmp_path, "Ä,100,52.9,-2.2,", B, encoding=encoding))
    assert sorted(footprint.practices["practice_code"]) == ["B", "Ä"]


def test_cp1252_is_read_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        footprint = read_sites(_sites(tmp_path, "É,100,52.9,-2.2,", B, encoding="cp1252"))
    assert "É" in set(footprint.practices["practice_code"])
    assert "sites.csv is not valid UTF-8" in caplog.text


def test_zip_binary_and_folder_are_named(tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sites.csv", f"{HEADER}\n{A}\n")
    path = tmp_path / "sites.csv"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValidationError, match=r"sites\.csv: is a zip archive, not a CSV"):
        read_sites(path)
    path.write_bytes(b"\x00\x01\x02\x03 not text")
    with pytest.raises(ValidationError, match=r"sites\.csv: is a binary file"):
        read_sites(path)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(ValidationError, match=r"folder\.csv: is a folder, not a file"):
        read_sites(folder)
    assert main(["plan", str(folder), "--out", str(tmp_path / "p")]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


def test_sites_far_outside_the_uk_are_refused_with_their_lines(tmp_path):
    path = _sites(tmp_path, A, "SEA,100,50.0,-10.0,", "PARIS,100,48.85,2.35,")
    with pytest.raises(ValidationError, match="2 problems") as caught:
        read_sites(path)
    text = str(caught.value)
    assert "sites.csv:3, field 'longitude, latitude': the site is" in text
    assert "km outside the UK (sites must lie within 5 km of it) (got '-10.0, 50.0')" in text
    assert "sites.csv:4" in text


def test_sites_on_the_coast_and_in_scotland_are_planned_with_a_note(tmp_path, caplog):
    # Bamburgh, on the coast; Edinburgh; Belfast; Cardiff (easting/northing this time)
    header = "practice_code,patients,easting,northing"
    rows = ["COAST,100,419000,635000", "EDI,100,325000,673000", "BEL,100,146000,530000",
            "CDF,100,318000,176000", "SEA,100,425000,635000"]  # fmt: skip
    with caplog.at_level(logging.WARNING):
        footprint = read_sites(_sites(tmp_path, *rows, header=header))
    assert len(footprint.practices) == 5  # SEA is 4-5 km off the coast: still planned
    notes = "\n".join(footprint.notes)
    assert "EDI (sites.csv:3) is in Scotland, outside England" in notes
    assert "BEL (sites.csv:4) is in Northern Ireland" in notes
    assert "CDF (sites.csv:5) is in Wales" in notes
    assert "COAST" not in notes
    assert "EDI (sites.csv:3) is in Scotland" in caplog.text


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("C,100,95.0,-2.2,", r"sites\.csv:3, field 'latitude': must be a number in \[-90, 90\]"),
        ("C,100,52.9,,", r"sites\.csv:3, field 'longitude': must be a number in \[-180, 180\]"),
        ("C,100,nan,-2.2,", r"field 'latitude': must be a number in \[-90, 90\] \(got 'nan'\)"),
        ("C,100,52.9,-2.2,U1,extra", r"sites\.csv:3: has 6 fields, the header 5"),
    ],
)
def test_bad_coordinates_and_rows(tmp_path, row, message):
    """Lines are where each row starts, blank lines and quoted line breaks counted."""
    with pytest.raises(ValidationError, match=message):
        read_sites(_sites(tmp_path, A, row))


def test_infinite_easting_is_refused(tmp_path):
    path = _sites(tmp_path, "A,100,inf,300000", header="practice_code,patients,easting,northing")
    with pytest.raises(ValidationError, match=r"field 'easting': must be a number in metres"):
        read_sites(path)


def test_empty_and_header_only_files(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("\n\n")
    with pytest.raises(ValidationError, match=r"sites\.csv: the file is empty"):
        read_sites(path)
    path.write_text(HEADER + "\n")
    with pytest.raises(ValidationError, match=r"sites\.csv: has no rows"):
        read_sites(path)
    path.write_text('practice_code,patients\n"A,1\n')
    with pytest.raises(ValidationError, match=r"needs latitude and longitude"):
        read_sites(path)
