"""ODS's organisation file (``eauth``): the reader, and the names of the current ICBs it gives.

The files are hand-made in the official layout (:mod:`tests.practices._ods`): no copy of the
publisher's file is at hand.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.practices import current_icbs, load_practices
from mcp_geo.practices.load import period_start
from mcp_geo.practices.readers.organisations import (
    MAX_NAME,
    MAX_PROBLEMS,
    read_organisations,
    readable_name,
)
from mcp_geo.practices.snapshots import SNAPSHOTS
from tests.practices._ods import UNCHANGED, eauth_lines, icb_name, organisation_row

JUNE_2026 = date(2026, 6, 1)
REGIONS_AND_MERGED = 7 + 5  # the lines of eauth_lines() before the unchanged ICBs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS SUSSEX INTEGRATED CARE BOARD", "NHS Sussex Integrated Care Board"),
        (
            "NHS STAFFORDSHIRE AND STOKE-ON-TRENT INTEGRATED CARE BOARD",
            "NHS Staffordshire and Stoke-on-Trent Integrated Care Board",
        ),
        (
            "NHS BATH AND NORTH EAST SOMERSET, SWINDON AND WILTSHIRE INTEGRATED CARE BOARD",
            "NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board",
        ),
        (
            "NHS CORNWALL AND THE ISLES OF SCILLY INTEGRATED CARE BOARD",
            "NHS Cornwall and the Isles of Scilly Integrated Care Board",
        ),
        ("THE KING'S FUND", "The King's Fund"),
        ("O'NEILL\u2019S SURGERY", "O'Neill\u2019s Surgery"),
        ("WESTON-SUPER-MARE AND ASHBY-DE-LA-ZOUCH", "Weston-super-Mare and Ashby-de-la-Zouch"),
        ("NEWCASTLE UPON TYNE", "Newcastle upon Tyne"),
        (
            "NHS ENGLAND (NORTH EAST AND YORKSHIRE) - ICB",
            "NHS England (North East and Yorkshire) - ICB",
        ),
        ("2ND FLOOR, CAFÉ ROYAL", "2nd Floor, Café Royal"),
        ("AND OF THE", "And of the"),  # only the first word is capitalised
        ("  NHS   KENT\tAND MEDWAY ", "NHS Kent and Medway"),
        ("NHS Sussex ICB", "NHS Sussex ICB"),  # cased already: left as it is
        ("", ""),
    ],
)
def test_readable_name(text: str, expected: str) -> None:
    assert readable_name(text) == expected


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


def test_reader_keeps_the_organisations_open_on_the_day(tmp_path: Path) -> None:
    path = _write(tmp_path / "eauth.csv", eauth_lines())
    names = read_organisations(path, open_on=JUNE_2026)
    assert names["S9B9J"] == "NHS Surrey and Sussex Integrated Care Board"
    assert names["QNC"] == "NHS Staffordshire and Stoke on Trent Integrated Care Board"
    assert names["QT6"] == "NHS Cornwall and the Isles of Scilly Integrated Care Board"
    assert names["Y63"] == "North East and Yorkshire Commissioning Region"
    # closed on 31 March 2026: not open in June; QNC closes in 2027, so it still is
    assert "QNX" not in names
    assert "QRV" not in names
    assert len(names) == 7 + len(UNCHANGED) + 1
    # without a day, only what has no close date at all
    assert set(read_organisations(path)) == set(names) - {"QNC"}
    # on the day of a closure the organisation is still open, the next day not
    assert "QNX" in read_organisations(path, open_on=date(2026, 3, 31))
    assert "QNX" not in read_organisations(path, open_on=date(2026, 4, 1))


def test_reader_takes_the_zip_and_skips_a_header_line(tmp_path: Path) -> None:
    lines = ["Organisation Code,Name,National Grouping", *eauth_lines()]
    with zipfile.ZipFile(tmp_path / "eauth.zip", "w") as archive:
        archive.writestr("eauth.csv", "\n".join(lines) + "\n")
    names = read_organisations(tmp_path / "eauth.zip", open_on=JUNE_2026)
    assert names == read_organisations(_write(tmp_path / "e.csv", eauth_lines()), open_on=JUNE_2026)


def test_bad_rows_are_named_with_file_line_field_and_value(tmp_path: Path) -> None:
    good = eauth_lines()
    bad = [
        organisation_row("Q-1", icb_name("BAD CODE")),
        organisation_row("QZZ", ""),
        organisation_row("QZY", icb_name("BAD DATE"), closed="2026-03-31"),
        organisation_row("QZX", icb_name("BAD OPEN"), opened="20261399"),
        organisation_row("QNC", icb_name("TWICE")),
        '"QZW","NHS SHORT ROW","Y60","","1 HIGH STREET"',
        organisation_row("QZV", "NHS \x07BELL"),
        organisation_row("QZU", "N" * (MAX_NAME + 1)),
    ]
    path = _write(tmp_path / "eauth.csv", [*good, *bad])
    first = len(good) + 1
    qnc = REGIONS_AND_MERGED + list(UNCHANGED).index("QNC") + 1
    with pytest.raises(ValidationError, match=rf"eauth\.csv:{first}, field 'code'.*'Q-1'") as err:
        read_organisations(path, open_on=JUNE_2026)
    text = str(err.value)
    assert text.startswith("cannot read eauth.csv: 8 problems")
    for expected in (
        f"eauth.csv:{first + 1}, field 'name': is empty",
        f"eauth.csv:{first + 2}, field 'close_date': must be a date written YYYYMMDD "
        "(got '2026-03-31')",
        f"eauth.csv:{first + 3}, field 'open_date': must be a date written YYYYMMDD "
        "(got '20261399')",
        f"eauth.csv:{first + 4}, field 'code': code already given at line {qnc} (got 'QNC')",
        f"eauth.csv:{first + 5}: the row has 5 fields; the ODS standard layout has 27",
        f"eauth.csv:{first + 6}, field 'name': holds control characters (got 'NHS \\x07BELL')",
        f"eauth.csv:{first + 7}, field 'name': is longer than {MAX_NAME} characters",
    ):
        assert expected in text


def test_many_bad_rows_are_counted_not_all_listed(tmp_path: Path) -> None:
    bad = [organisation_row(f"Q{i:02d}", icb_name("X"), closed="31/03/2026") for i in range(30)]
    path = _write(tmp_path / "eauth.csv", [*eauth_lines(), *bad])
    with pytest.raises(
        ValidationError, match=rf"eauth\.csv: and {30 - MAX_PROBLEMS} more bad rows"
    ):
        read_organisations(path)


@pytest.mark.parametrize(
    ("lines", "match"),
    [
        (["CODE,NAME", "QNC,NHS STAFFORDSHIRE"], r"expected the ODS standard layout of 27 fields"),
        ([], r"eauth\.csv: the file is empty"),
    ],
)
def test_a_file_of_another_layout_is_refused(tmp_path: Path, lines: list[str], match: str) -> None:
    path = tmp_path / "eauth.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(ValidationError, match=match):
        read_organisations(path)


def test_the_register_date_is_the_first_of_its_month() -> None:
    assert period_start(SNAPSHOTS["2025-04"].register) == JUNE_2026
    assert SNAPSHOTS["2021-01"].organisations is None  # the CCG era has no current ICBs


def test_names_come_from_the_file_where_it_has_them(data_folder, data_2025) -> None:
    """The real data plus the hand-made eauth: 31 of the 36 current ICBs named by the file."""
    root = data_folder({})
    _write(root / "nhs" / "eauth.csv", eauth_lines())
    data = load_practices(root, snapshot="2025-04")
    assert root / "nhs" / "eauth.csv" in data.files
    names = current_icbs(data).set_index("icb_2026_code")["icb_2026_name"]
    assert names["S9B9J"] == "NHS Surrey and Sussex Integrated Care Board"
    # an unchanged code takes the file's name too, not the practice map's
    assert names["QNC"] == "NHS Staffordshire and Stoke on Trent Integrated Care Board"
    before = current_icbs(data_2025).set_index("icb_2026_code")["icb_2026_name"]
    assert before["QNC"] == "NHS Staffordshire and Stoke-on-Trent Integrated Care Board"
    for code, place in UNCHANGED.items():
        assert names[code] == readable_name(icb_name(place))
    # the codes the file lacks keep the names made from their constituents, with a note on
    # each of their practices saying so
    lacking = ["D7T5G", "S0E4D", "S1Y5D", "T6Y0W", "Z9B2Z"]
    assert names[lacking].to_dict() == before[lacking].to_dict()
    assert names["Z9B2Z"] == (
        "NHS North West London ICB, NHS North Central London ICB and 2 other practices"
    )
    new = data.notes.iloc[len(data_2025.notes) :]
    pd.testing.assert_frame_equal(data.notes.iloc[: len(data_2025.notes)], data_2025.notes)
    assert (new["source"] == "eauth.csv").all()
    practices = data.practices.set_index("practice_code")["icb_2026_code"]
    assert sorted(new["practice_code"]) == sorted(practices[practices.isin(lacking)].index)
    z9 = new.loc[new["practice_code"].map(practices) == "Z9B2Z", "note"]
    assert z9.iloc[0] == (
        "the name of its current ICB Z9B2Z is made from the ICBs its practices came from: "
        "eauth.csv has no open organisation Z9B2Z"
    )
    # nothing else changes
    left = data.practices.drop(columns="icb_2026_name")
    pd.testing.assert_frame_equal(left, data_2025.practices.drop(columns="icb_2026_name"))
    pd.testing.assert_frame_equal(data.exclusions, data_2025.exclusions)


def test_a_bad_organisation_file_stops_the_load(data_folder) -> None:
    root = data_folder({})
    lines = [*eauth_lines(), organisation_row("QZZ", "")]
    _write(root / "nhs" / "eauth.csv", lines)
    with pytest.raises(ValidationError, match=rf"eauth\.csv:{len(lines)}, field 'name': is empty"):
        load_practices(root, snapshot="2025-04")
