"""Current ICBs (the June 2026 register's, after the April 2026 mergers) on the real data."""

from __future__ import annotations

import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.practices import current_icbs, icb_constituents, load_practices, select_footprint
from mcp_geo.practices.current_icbs import CURRENT_ICB_COLUMNS, current_icb_names
from mcp_geo.practices.load import EXCLUDED_COLUMNS, PRACTICE_COLUMNS

# The new ICBs of 1 April 2026 and their constituents (practices per old ICB), measured on the
# official files: the 154/96 for S9B9J and 515 for Z9B2Z are not what the files say.
NEW_ICBS = {
    "S9B9J": ({"QNX": 156, "QXU": 99, "QNQ": 12}, 3_175_136),
    "Z9B2Z": ({"QRV": 342, "QMJ": 174, "QHG": 1, "QT1": 1}, 4_726_536),
    "D7T5G": ({"QH8": 144, "QJG": 32, "QM7": 29}, 2_001_660),
    "S0E4D": ({"QU9": 154, "QNQ": 41}, 2_504_990),
    "S1Y5D": ({"QM7": 98, "QHG": 85, "QUE": 85}, 3_521_793),
    "T6Y0W": ({"QMM": 105, "QJG": 59}, 1_799_389),
}


def _register_icbs(shared_data) -> pd.Series:
    """practice_code -> field 4 (0-based 3) of the June 2026 register, read independently."""
    raw = pd.read_csv(
        shared_data / "nhs" / "epraccur_2026-06.csv", header=None, dtype=str, keep_default_na=False
    )
    return raw.set_index(0)[3]


def test_columns_are_there():
    assert PRACTICE_COLUMNS[PRACTICE_COLUMNS.index("icb_name") + 1 :][:2] == (
        "icb_2026_code",
        "icb_2026_name",
    )
    assert "icb_2026_code" in EXCLUDED_COLUMNS


def test_36_current_icbs_every_practice_in_exactly_one(data_2025, shared_data):
    practices = data_2025.practices
    assert (practices["icb_2026_code"] != "").all()
    icbs = current_icbs(data_2025)
    assert tuple(icbs.columns) == CURRENT_ICB_COLUMNS
    assert len(icbs) == 36
    assert icbs["icb_2026_code"].is_unique
    assert icbs["practices"].sum() == len(practices)
    assert icbs["patients"].sum() == practices["patients"].sum()
    # the counts equal a count made from the register itself
    register = _register_icbs(shared_data)
    assert practices["practice_code"].isin(register.index).all()
    expected = register.reindex(practices["practice_code"]).value_counts().sort_index()
    assert icbs.set_index("icb_2026_code")["practices"].to_dict() == expected.to_dict()
    assert sorted(icbs.loc[icbs["new"], "icb_2026_code"]) == sorted(NEW_ICBS)


@pytest.mark.parametrize(("code", "expected"), NEW_ICBS.items())
def test_new_icb_constituents(data_2025, code, expected):
    parts, patients = expected
    rows = icb_constituents(data_2025).query("icb_2026_code == @code")
    assert dict(zip(rows["icb_code"], rows["practices"], strict=True)) == parts
    assert rows["patients"].sum() == patients
    fp = select_footprint(data_2025, f"icb:{code}")
    assert (len(fp.practices), fp.patients) == (sum(parts.values()), patients)


def test_names_are_made_from_the_constituents(data_2025):
    names = current_icbs(data_2025).set_index("icb_2026_code")["icb_2026_name"]
    assert names["S9B9J"] == (
        "NHS Sussex ICB, NHS Surrey Heartlands ICB and 12 practices of NHS Frimley ICB"
    )
    assert names["Z9B2Z"] == (
        "NHS North West London ICB, NHS North Central London ICB and 2 other practices"
    )
    assert names["QNC"] == "NHS Staffordshire and Stoke-on-Trent Integrated Care Board"


def test_icb_resolves_old_and_new_codes(data_2025):
    s9 = select_footprint(data_2025, "icb:S9B9J")
    assert (len(s9.practices), s9.patients) == (267, 3_175_136)
    assert (s9.area_level, s9.area_codes, s9.notes) == ("icb_2026", ("S9B9J",), ())
    sussex = select_footprint(data_2025, "icb:QNX")
    assert len(sussex.practices) == 156
    assert sussex.notes == ()
    assert set(sussex.practices["icb_code"]) == {"QNX"}
    assert set(sussex.practices["practice_code"]) < set(s9.practices["practice_code"])
    both = select_footprint(data_2025, "icb:S9B9J,QNC")
    assert len(both.practices) == 267 + 141
    assert both.area_level is None  # two kinds of ICB: no one kind of official area
    assert both.notes[0].startswith("S9B9J: current ICB")
    assert "icb-2026:" in both.notes[0]


def test_an_unchanged_code_means_the_icb_of_the_list_size_date(data_2025):
    """QNC is an ICB before and after April 2026; one practice moved from QNC to QOC since."""
    qnc = select_footprint(data_2025, "icb:QNC")
    assert len(qnc.practices) == 141
    assert set(qnc.practices["icb_code"]) == {"QNC"}
    now = data_2025.practices.query("icb_2026_code == 'QNC'")
    assert len(now) == 140
    moved = qnc.practices.query("icb_2026_code != 'QNC'")
    assert moved["icb_2026_code"].tolist() == ["QOC"]


def test_icb_2026_selects_the_current_membership(data_2025):
    """icb-2026:QNC is QNC as the newest register has it: 140 practices, without M83125."""
    qnc = select_footprint(data_2025, "icb-2026:QNC")
    assert len(qnc.practices) == 140
    assert set(qnc.practices["icb_2026_code"]) == {"QNC"}
    assert "M83125" not in set(qnc.practices["practice_code"])
    assert (qnc.area_level, qnc.area_codes) == ("icb_2026", ("QNC",))
    two = select_footprint(data_2025, "icb-2026:s9b9j, QOC")
    assert len(two.practices) == 267 + len(data_2025.practices.query("icb_2026_code == 'QOC'"))
    assert two.area_codes == ("QOC", "S9B9J")
    with pytest.raises(ValidationError, match=r"has this current ICB .*'QNX'"):
        select_footprint(data_2025, "icb-2026:QNX")  # merged into S9B9J


def test_bundled_snapshot_has_the_current_icbs(bundled_data, data_2025):
    columns = ["practice_code", "icb_2026_code", "icb_2026_name"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(bundled_data.practices[columns]), pd.DataFrame(data_2025.practices[columns])
    )


def test_ccg_era_snapshot_has_no_current_icb(data_2021):
    """The 2021-01 snapshot's newest register is of 2019, before the ICBs: the columns are empty."""
    assert (data_2021.practices["icb_2026_code"] == "").all()
    assert (data_2021.practices["icb_2026_name"] == "").all()
    assert (data_2021.exclusions["icb_2026_code"] == "").all()
    assert current_icbs(data_2021).empty
    assert len(select_footprint(data_2021, "icb:QNC").practices) == 146
    with pytest.raises(ValidationError, match=r"no practice of this snapshot .* current ICB"):
        select_footprint(data_2021, "icb-2026:QNC")


def test_practices_not_in_the_register_go_where_their_old_icb_went(data_folder):
    """G81001 (QNX) and H81013 (QNQ, whose practices went three ways) left out of the register."""
    gone = ('"G81001"', '"H81013"')

    def drop(text: str) -> str:
        return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(gone))

    data = load_practices(data_folder({"nhs/epraccur_2026-06.csv": drop}), snapshot="2025-04")
    now = data.practices.set_index("practice_code")["icb_2026_code"]
    assert now["G81001"] == "S9B9J"
    assert now["H81013"] == "S0E4D"  # 41 of QNQ's 67 practices, the most
    notes = data.notes.loc[data.notes["practice_code"].isin(["G81001", "H81013"])]
    texts = notes.groupby("practice_code")["note"].agg(" | ".join)
    assert "not in epraccur_2026-06.csv; current ICB" in texts["G81001"]
    assert "current ICB S9B9J, where most practices of its ICB QNX moved" in texts["G81001"]
    assert "current ICB S0E4D, where most practices of its ICB QNQ moved" in texts["H81013"]
    assert len(current_icbs(data)) == 36


def test_names_of_a_hand_drawn_merger():
    """Old A (3 practices) all to N; B (2) all to B; C (2): one to N, one to B; D (1) to M.

    N = A whole + 1 practice of C (too small to be named); M = D whole.
    """
    old = pd.Series(["A", "A", "A", "B", "B", "C", "C", "D"])
    new = pd.Series(["N", "N", "N", "B", "B", "N", "B", "M"])
    names = pd.Series(["NHS A Integrated Care Board", "", "", "NHS B ICB", "", "NHS C", "", "D"])
    assert current_icb_names(old, new, names) == {
        "B": "NHS B ICB",
        "M": "D",
        "N": "NHS A ICB and 1 other practice",
    }
