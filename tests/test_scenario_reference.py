"""The reference keys of scenario files: one set of names, a round trip through the file, left
out of the files without a reference, a plan folder written relative to the scenario's folder."""

from __future__ import annotations

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.scenario import KEYS, REFERENCE_KEYS, Scenario, read_scenario


def test_the_keys_are_scenario_keys():
    assert set(REFERENCE_KEYS) <= set(KEYS)
    assert KEYS[-5:] == ("reference", "minimise", "whole", "travel_slack", "alternatives")


def test_left_out_of_the_files_without_a_reference():
    plain = Scenario.from_options("north-staffs")
    for key in REFERENCE_KEYS:
        assert key not in plain.report_dict()
        assert f"{key} =" not in plain.to_toml()
    ruled = Scenario.from_options("north-staffs", {"reference": "pcn"})
    assert {k: ruled.report_dict().get(k, "-") for k in REFERENCE_KEYS} == {
        "reference": "pcn",
        "minimise": "patients",
        "whole": False,
        "travel_slack": "-",  # unset: left out
    }


def test_round_trip_through_the_file(tmp_path):
    options = {"reference": "pcn", "minimise": "practices", "whole": True, "travel_slack": 0.02}
    scenario = Scenario.from_options("north-staffs", options)
    path = tmp_path / "scenario.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    for line in ('reference = "pcn"', 'minimise = "practices"', "whole = true",
                 "travel_slack = 0.02"):  # fmt: skip
        assert line in text
    assert read_scenario(path) == scenario


def test_a_plan_folder_is_relative_to_the_scenario_file(tmp_path):
    earlier = tmp_path / "plans" / "earlier"
    earlier.mkdir(parents=True)
    scenario = Scenario.from_options("north-staffs", {"reference": str(earlier)})
    out = tmp_path / "plans" / "again"
    out.mkdir()
    text = scenario.to_toml(relative_to=out)
    assert 'reference = "../earlier"' in text
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    assert read_scenario(out / "scenario.toml").reference == str(earlier)
    pcn = Scenario.from_options("north-staffs", {"reference": "pcn"})
    assert 'reference = "pcn"' in pcn.to_toml(relative_to=out)  # a word, not a path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"whole": True}, r"keyword 'whole': needs a reference"),
        ({"minimise": "practices"}, r"keyword 'minimise': needs a reference"),
        ({"reference": "pcn", "minimise": "lists"}, r"keyword 'minimise': must be"),
        ({"reference": "pcn", "travel_slack": 1}, r"keyword 'travel_slack': must be a fraction"),
        ({"referance": "pcn"}, r"did you mean 'reference'\?"),
    ],
)
def test_bad_values_name_the_keyword(options, message):
    with pytest.raises(ValidationError, match=message):
        Scenario.from_options("north-staffs", options)


def test_a_scenario_file_names_the_file_and_key(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text('footprint = "north-staffs"\nwhole = true\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"scenario.toml, field 'whole': needs a reference"):
        read_scenario(path)


def test_a_scenario_file_with_a_reference_and_candidate_sites(tmp_path):
    """Issue 20 with issue 18's sites: one scenario holds both, and reads back the same."""
    scenario = Scenario.from_options(
        "north-staffs", {"reference": "pcn", "bases": str(tmp_path / "sites.csv")}
    )
    path = tmp_path / "scenario.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert 'reference = "pcn"' in text
    assert "bases = " in text
    back = read_scenario(path)
    assert (back.reference, back.bases) == ("pcn", str(tmp_path / "sites.csv"))
