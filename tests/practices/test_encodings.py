"""Official files in any encoding a spreadsheet writes are read; a zip or binary file is named.

A list-size file re-saved as UTF-16 used to give seven misleading "missing column" lines.
"""

from __future__ import annotations

import io
import logging
import zipfile

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.practices.readers._csv import binary_kind, decode
from mcp_geo.practices.readers.list_sizes import read_list_sizes
from mcp_geo.practices.readers.register import read_register


def _lines(fmt) -> list[str]:
    return [fmt.LIST_HEADER_SUB_ICB, fmt.list_row("M83001", "9000"), fmt.list_row("M83002", "0")]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"),
     ("utf-32", "utf-32"), ("utf-8-sig", "utf-8"), ("utf-8", "utf-8")],
)  # fmt: skip
def test_list_sizes_in_unicode_encodings_with_a_byte_order_mark(write, fmt, encoding, label):
    lines = _lines(fmt)
    if encoding in ("utf-16-le", "utf-16-be"):  # a BOM written by hand, as spreadsheets do
        lines[0] = "\ufeff" + lines[0]
    table = read_list_sizes(write("lists.csv", lines, encoding=encoding))
    assert table.encoding == label
    assert table.data["practice_code"].tolist() == ["M83001"]
    assert table.data["patients"].tolist() == [9000]
    assert table.exclusions["reason"].tolist() == ["zero_patients"]


def test_cp1252_is_read_with_a_warning(write, fmt, caplog):
    lines = [*_lines(fmt)]
    lines[1] = lines[1].replace("ST4 7LN", "ST4 7LN\u00a0")  # a non-breaking space
    with caplog.at_level(logging.WARNING):
        table = read_list_sizes(write("lists.csv", lines, encoding="cp1252"))
    assert table.encoding == "cp1252"
    assert "lists.csv is not valid UTF-8" in caplog.text


def test_headerless_register_in_utf16(write, fmt):
    table = read_register(write("epraccur.csv", [fmt.register_row("M83001")], encoding="utf-16"))
    assert table.data["practice_code"].tolist() == ["M83001"]


def test_zip_given_as_a_csv_is_named_as_such(tmp_path, fmt):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lists.csv", "\r\n".join(_lines(fmt)))
    path = tmp_path / "gp-reg-pat-prac-all_2025-04.csv"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(
        ValidationError,
        match=r"^cannot read file: gp-reg-pat-prac-all_2025-04\.csv: is a zip archive, not a CSV",
    ) as caught:
        read_list_sizes(path)
    assert "missing column" not in str(caught.value)
    assert len(caught.value.problems) == 1


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x00\x01\x02binary\x00", "a binary file"),
        (b"a,b\r\n1,\x002\r\n", "a binary file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "an Excel 97-2003 workbook"),
        (b"\x1f\x8b\x08\x00rest", "a gzip archive"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"PAR1rest", "a Parquet file"),
        (b"SQLite format 3\x00", "an SQLite database"),
    ],
)
def test_binary_files_are_named_as_such(tmp_path, data, kind):
    path = tmp_path / "lists.csv"
    path.write_bytes(data)
    with pytest.raises(ValidationError, match=rf"lists\.csv: is {kind}") as caught:
        read_list_sizes(path)
    assert "missing column" not in str(caught.value)


def test_byte_order_mark_of_a_file_that_is_not_utf16(tmp_path):
    with pytest.raises(
        ValidationError, match=r"x\.csv: starts with a UTF-16 byte-order mark but is not UTF-16"
    ):
        decode(b"\xff\xfea\x00\x00\xd8", name="x.csv")  # a lone surrogate


def test_a_folder_or_a_missing_file_where_a_file_is_expected(tmp_path):
    folder = tmp_path / "lists.csv"
    folder.mkdir()
    with pytest.raises(ValidationError, match=r"lists\.csv: is a folder, not a file"):
        read_list_sizes(folder)
    with pytest.raises(ValidationError, match=r"gone\.csv: file not found"):
        read_list_sizes(tmp_path / "gone.csv")


def test_text_is_not_binary():
    assert binary_kind("a,b\r\n".encode("utf-16")) is None
    assert binary_kind(b"PK,patients\n") is None
