"""Scenario inputs are checked evenly: each key has one type, wherever the value comes from.

A scenario comes from a file (messages name the file and key), the command line (the option,
``--max-km``) or the Python API (the keyword); relative paths in a file are relative to its folder,
and the scenario a plan writes holds paths relative to the plan folder.
"""

from __future__ import annotations

import os
import re
import tomllib

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.cli import main
from mcp_geo.scenario import UNLIMITED_KEYS, Scenario, read_scenario


def _toml(tmp_path, text: str, name: str = "scenario.toml"):
    path = tmp_path / name
    path.write_text('footprint = "north-staffs"\n' + text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- scenario files: types


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('no_mcps = "false"', r"field 'no_mcps': must be true or false.*\(got 'false'\)"),
        ('strict = "no"', r"field 'strict': must be true or false.*\(got 'no'\)"),
        ("strict = 1", r"field 'strict': must be true or false.*\(got 1\)"),
        ('max_km = "15"', r"field 'max_km': must be a distance in km > 0.*\(got '15'\)"),
        ("max_km = true", r"field 'max_km': must be a distance in km > 0.*\(got True\)"),
        ("max_km = nan", r"field 'max_km': must be a distance in km > 0.*\(got nan\)"),
        ("mcp_max_km = inf", r"field 'mcp_max_km': must be a distance.*\(got inf\)"),
        ("max_minutes = 0", r"field 'max_minutes': must be minutes > 0.*\(got 0\)"),
        ('hub_min = "30000"', r"field 'hub_min': must be a whole number.*\(got '30000'\)"),
        ("hub_min = 30000.0", r"field 'hub_min': must be a whole number.*\(got 30000.0\)"),
        ("hubs = true", r"field 'hubs': must be a whole number >= 1.*\(got True\)"),
        ("threads = 0", r"field 'threads': must be a whole number >= 1.*\(got 0\)"),
        ('gap = "0.01"', r"field 'gap': must be a fraction in \[0, 1\).*\(got '0.01'\)"),
        ("time_limit = false", r"field 'time_limit': must be seconds > 0.*\(got False\)"),
        ("circuity = nan", r"field 'circuity': must be a factor >= 1.*\(got nan\)"),
        ('engine = "fast"', r"field 'engine': must be 'auto', 'compact' or 'columns'"),
        ("mode = 1", r"field 'mode': must be 'staged' \(got 1\)"),
        ('objective = ["weighted"]', r"field 'objective': must be 'weighted' or 'distance'"),
        ('solver = "gurobi"', r"field 'solver': must be 'highs' or 'cbc'"),
        ('travel = "drive"', r"field 'travel': must be 'great-circle' or 'road'"),
        ('snapshot = "2030-01"', r"field 'snapshot': must be '2025-04' or '2021-01'"),
        ("snapshot = 2025", r"field 'snapshot': must be '2025-04' or '2021-01' \(got 2025\)"),
        ("roads = 3", r"field 'roads': must be the path of a road network file \(got 3\)"),
    ],
)
def test_each_key_has_its_type_in_a_scenario_file(tmp_path, line, message):
    path = _toml(tmp_path, line + "\n")
    with pytest.raises(ValidationError, match=r"scenario\.toml, " + message) as caught:
        read_scenario(path)
    assert "scenario: scenario" not in str(caught.value)


def test_booleans_and_limits_that_are_right_are_read(tmp_path):
    path = _toml(tmp_path, 'no_mcps = true\nstrict = false\nmax_km = "None"\ngap = 0\n')
    scenario = read_scenario(path)
    assert scenario.no_mcps is True
    assert scenario.strict is False
    assert scenario.max_km is None
    assert scenario.gap == 0


def test_unknown_keys_are_named_with_the_closest_and_every_problem_at_once(tmp_path):
    path = _toml(tmp_path, 'max_kms = 3\nno_mcps = "false"\n[rules]\nhub_min = 1\n')
    with pytest.raises(ValidationError, match="3 problems") as caught:
        Scenario.from_file(path)
    text = str(caught.value)
    assert "field 'max_kms': unknown key; did you mean 'max_km'?" in text
    assert "field 'rules': unknown key" in text
    assert "field 'no_mcps': must be true or false" in text


def test_a_scenario_file_needs_a_footprint_and_names_no_other_scenario(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("hub_min = 1\n")
    with pytest.raises(ValidationError, match=r"s\.toml: the key 'footprint' is required"):
        read_scenario(path)
    path.write_text('footprint = "other.toml"\n')
    with pytest.raises(
        ValidationError, match="field 'footprint': a scenario file cannot name another"
    ):
        read_scenario(path)
    path.write_text("footprint = 3\n")
    with pytest.raises(ValidationError, match="field 'footprint': a footprint name or spec"):
        read_scenario(path)


def test_scenario_files_that_cannot_be_read(tmp_path):
    with pytest.raises(ValidationError, match="scenario file not found"):
        read_scenario(tmp_path / "missing.toml")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ValidationError, match=r"folder\.toml: is a folder, not a scenario file"):
        read_scenario(folder)
    binary = tmp_path / "zip.toml"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x81")
    with pytest.raises(ValidationError, match=r"zip\.toml: is not a text file"):
        read_scenario(binary)
    broken = tmp_path / "broken.toml"
    broken.write_text("footprint = \n")
    with pytest.raises(ValidationError, match=r"broken\.toml: not a valid TOML file"):
        read_scenario(broken)
    if os.geteuid() != 0:  # root reads any file
        locked = _toml(tmp_path, "", name="locked.toml")
        locked.chmod(0)
        with pytest.raises(ValidationError, match=r"locked\.toml: cannot be read"):
            read_scenario(locked)


def test_utf16_scenario_file_is_read(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes('footprint = "north-staffs"\nhub_min = 25000\n'.encode("utf-16"))
    assert read_scenario(path).hub_min == 25_000


# ---------------------------------------------------------------- paths


def test_relative_paths_are_relative_to_the_scenario_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "scenario.toml").write_text(
        'footprint = "data/sites.csv"\ntravel = "road"\nroads = "../roads/r.osm.pbf"\n'
    )
    (folder / "area.toml").write_text('footprint = "polygon:shapes/area.gpkg"\n')
    monkeypatch.chdir(tmp_path)  # the working folder is not the file's
    scenario = read_scenario("project/scenario.toml")
    assert scenario.footprint == str(folder / "data" / "sites.csv")
    assert scenario.roads == str(tmp_path / "roads" / "r.osm.pbf")
    area = read_scenario("project/area.toml")
    assert area.footprint == f"polygon:{folder / 'shapes' / 'area.gpkg'}"
    absolute = tmp_path / "elsewhere.csv"
    (folder / "abs.toml").write_text(f'footprint = "{absolute}"\n')
    assert read_scenario(folder / "abs.toml").footprint == str(absolute)
    (folder / "named.toml").write_text('footprint = "north-staffs"\n')
    assert read_scenario(folder / "named.toml").footprint == "north-staffs"


def test_written_scenario_holds_paths_relative_to_its_folder(tmp_path, monkeypatch):
    home = tmp_path / "home" / "someone"
    (home / "plans").mkdir(parents=True)
    monkeypatch.chdir(home)
    scenario = Scenario.from_options(
        "sites.csv", {"travel": "road", "roads": str(home / "maps" / "r.osm.pbf")}
    )
    text = scenario.to_toml(relative_to=home / "plans" / "p1")
    values = tomllib.loads(text)
    assert values["footprint"] == "../../sites.csv"
    assert values["roads"] == "../../maps/r.osm.pbf"
    assert str(home) not in text
    written = home / "plans" / "p1" / "scenario.toml"
    written.parent.mkdir()
    written.write_text(text)
    again = read_scenario(written)  # read back from anywhere: the same files
    monkeypatch.chdir(tmp_path)
    assert again.footprint == str(home / "sites.csv")
    assert again.roads == str(home / "maps" / "r.osm.pbf")
    polygon = Scenario.from_options(f"polygon:{home / 'area.gpkg'}")
    assert 'footprint = "polygon:../../area.gpkg"' in polygon.to_toml(relative_to=written.parent)
    assert (
        Scenario.from_options("north-staffs").to_toml(relative_to=home)
        == Scenario.from_options("north-staffs").to_toml()
    )
    assert f'footprint = "{home / "sites.csv"}"' in again.to_toml()  # as given without a folder


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("options", "messages"),
    [
        (["--gap", "2"], ["--gap: must be a fraction in [0, 1)"]),
        (["--hub-min", "-1"], ["--hub-min: must be a whole number of patients >= 0 (got -1)"]),
        (["--max-km", "nan"], ["--max-km: must be a distance in km > 0"]),
        (["--circuity", "inf"], ["--circuity: must be a factor >= 1 (got inf)"]),
        (["--time-limit", "0"], ["--time-limit: must be seconds > 0 (got 0.0)"]),
        (["--hub-max", "10"], ["--hub-max: must be >= hub_min (30000) and >= 1 (got 10)"]),
        (["--roads", "r.pbf"], ["--roads: a road network file needs travel 'road'"]),
        (["--snapshot", "2030"], ["--snapshot: must be '2025-04' or '2021-01' (got '2030')"]),
    ],
)
def test_command_line_messages_name_the_option(tmp_path, capsys, options, messages):
    assert main(["plan", "north-staffs", *options, "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    for message in messages:
        assert message in err
    assert "scenario: scenario" not in err
    assert "keyword" not in err


def test_empty_footprint_on_the_command_line_is_named(tmp_path, capsys):
    assert main(["plan", " ", "--out", str(tmp_path / "p")]) == 2
    assert "FOOTPRINT: a footprint name or spec is required" in capsys.readouterr().err


def test_options_over_a_scenario_file_name_where_each_value_came_from(tmp_path):
    path = _toml(tmp_path, "hub_min = 40000\nmax_km = 20\n")
    options = {"hub_max": 35_000, "gap": None, "max_km": "none"}
    with pytest.raises(ValidationError, match="must be >= hub_min") as caught:
        Scenario.from_command_line(str(path), options)
    assert "--hub-max: must be >= hub_min (40000) and >= 1 (got 35000)" in str(caught.value)
    scenario = Scenario.from_command_line(str(path), {"hub_max": 45_000, "max_km": "none"})
    assert (scenario.hub_min, scenario.hub_max, scenario.max_km) == (40_000, 45_000, None)
    with pytest.raises(ValidationError) as caught:
        Scenario.from_command_line(str(path), {"hub_min": 60_000})
    assert "scenario.toml, field 'hub_max': must be >= hub_min (60000)" in str(caught.value)
    with pytest.raises(ValueError, match="not scenario options"):
        Scenario.from_command_line("north-staffs", {"nonsense": 1})


def test_a_bad_scenario_file_on_the_command_line_is_a_usage_error(tmp_path, capsys):
    path = _toml(tmp_path, 'no_mcps = "false"\n')
    assert main(["plan", str(path), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "scenario.toml, field 'no_mcps': must be true or false" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- the Python API


def test_api_messages_name_the_keyword():
    with pytest.raises(ValidationError, match="3 problems") as caught:
        Scenario.from_options(
            "north-staffs", {"no_mcps": "false", "max_km": "15", "engine": "fast"}
        )  # type: ignore[arg-type]
    text = str(caught.value)
    assert (
        "keyword 'no_mcps': must be true or false, not a string or a number (got 'false')" in text
    )
    assert "keyword 'max_km': must be a distance in km > 0, or none for no limit" in text
    assert "keyword 'engine': must be 'auto', 'compact' or 'columns' (got 'fast')" in text
    assert "scenario" not in text.lower()
    with pytest.raises(ValidationError, match="keyword 'strict': must be true or false"):
        Scenario.from_options("north-staffs", {"strict": "no"})  # type: ignore[arg-type]
    assert Scenario.from_options("north-staffs", {"no_mcps": True, "max_km": None}).no_mcps


def test_a_published_plan_holds_no_home_folder_and_runs_again(tmp_path, monkeypatch):
    """A plan of a sites file written under the user's home: its scenario.toml names the sites
    relative to the plan folder, and that scenario plans the same practices again."""
    from mcp_geo.practices import open_data, select_footprint

    home = tmp_path / "home" / "planner"
    (home / "inputs").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    practices = select_footprint(open_data(None), "north-staffs").practices.head(12)
    sites = home / "inputs" / "sites.csv"
    sites.write_text(
        "practice_code,patients,latitude,longitude\n"
        + "".join(
            f"{r.practice_code},{r.patients},{r.latitude},{r.longitude}\n"
            for r in practices.itertuples()
        )
    )
    out = home / "plans" / "mine"
    args = ["--hub-min", "10000", "--no-mcps", "--time-limit", "30", "-q"]
    assert main(["plan", str(sites), "--out", str(out), *args]) == 0
    written = (out / "scenario.toml").read_text(encoding="utf-8")
    assert str(tmp_path) not in written
    assert 'footprint = "../../inputs/sites.csv"' in written
    again = tmp_path / "again"
    assert main(["plan", str(out / "scenario.toml"), "--out", str(again), "-q"]) == 0
    assert (again / "practices.csv").read_text() == (out / "practices.csv").read_text()


# ---------------------------------------------------------------- one definition of each option


def test_a_scenario_is_composed_of_the_rule_and_option_objects():
    from mcp_geo.boundaries.travel import TravelOptions
    from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

    default = Scenario.from_options("north-staffs")
    assert default.hub_rule == HubRule()
    assert default.mcp_rule == McpRule()
    assert default.solve == SolveOptions()
    assert default.travel_options == TravelOptions()
    changed = Scenario.from_options(
        "north-staffs", {"hub_min": 25_000, "mcps": 3, "time_limit": 60, "objective": "distance"}
    )
    assert changed.hub_rule == HubRule(hub_min=25_000, objective="distance")
    assert changed.mcp_rule == McpRule(mcps=3, objective="distance")
    assert changed.solve == SolveOptions(time_limit=60)
    assert changed.with_options({"hub_min": None, "hubs": 12}).hub_rule == HubRule(
        hub_min=25_000, hubs=12, objective="distance"
    )


@pytest.mark.parametrize(
    ("cls", "key", "value"),
    [
        ("HubRule", "hub_min", -1),
        ("HubRule", "max_km", 0),
        ("HubRule", "hubs", True),
        ("McpRule", "mcp_max_km", float("nan")),
        ("McpRule", "mcps", 0),
        ("SolveOptions", "gap", 1.5),
        ("SolveOptions", "time_limit", "60"),
        ("TravelOptions", "circuity", 0.5),
    ],
)
def test_one_check_per_option_wherever_the_value_comes_from(tmp_path, capsys, cls, key, value):
    """The rule object's check is the scenario's: the same words from the object, the API's
    keywords, a scenario file and the command line; only the name of the option differs."""
    import mcp_geo.boundaries.travel as travel
    import mcp_geo.solvers.rules as rules

    owner = getattr(rules, cls, None) or getattr(travel, cls)
    with pytest.raises(ValidationError) as direct:
        owner(**{key: value})
    (problem,) = direct.value.problems
    assert problem.key == key
    with pytest.raises(ValidationError) as keyword:
        Scenario.from_options("north-staffs", {key: value})
    assert str(keyword.value) == f"keyword {key!r}: {problem.message} (got {value!r})"
    path = _toml(tmp_path, f"{key} = {value!r}\n".replace("nan", "nan").replace("True", "true"))
    with pytest.raises(ValidationError, match=re.escape(f"field {key!r}: {problem.message}")):
        read_scenario(path)


def test_a_scenario_round_trips_to_the_same_file(tmp_path):
    scenario = Scenario.from_options(
        "north-staffs",
        {"hub_min": 25_000, "max_km": "none", "mcps": 3, "gap": 0.01, "threads": 2},
    )
    text = scenario.to_toml()
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    again = read_scenario(path)
    assert again == scenario
    assert again.to_toml() == text
    assert 'max_km = "none"' in text
    keys = [line.split(" = ")[0] for line in text.splitlines() if " = " in line]
    values = scenario.report_dict()
    assert keys == [k for k, v in values.items() if v is not None or k in UNLIMITED_KEYS]


# ---------------------------------------------------------------- area rules


def test_area_rules_are_levels_the_snapshot_holds():
    assert (
        Scenario.from_options("north-staffs", {"hubs_within": "sub-icb"}).hubs_within == "sub-icb"
    )
    old = Scenario.from_options("north-staffs", {"snapshot": "2021-01", "mcps_within": "stp"})
    assert old.mcps_within == "stp"
    with pytest.raises(
        ValidationError,
        match=r"keyword 'hubs_within': must be a level the 2025-04 snapshot holds: 'sub-icb', "
        r"'icb' or 'ccg19' \(got 'ccg'\)",
    ):
        Scenario.from_options("north-staffs", {"hubs_within": "ccg"})
    with pytest.raises(ValidationError, match=r"2021-01 snapshot holds: 'ccg' or 'stp'"):
        Scenario.from_options("north-staffs", {"snapshot": "2021-01", "mcps_within": "icb"})
    with pytest.raises(ValidationError, match=r"a sites file's areas \(the shipped outlines\)"):
        Scenario.from_options("sites.csv", {"snapshot": "2021-01", "hubs_within": "stp"})


def test_hubs_within_must_nest_in_mcps_within_and_mcps_within_needs_mcps():
    nested = Scenario.from_options("north-staffs", {"hubs_within": "sub-icb", "mcps_within": "icb"})
    assert (nested.hubs_within, nested.mcps_within) == ("sub-icb", "icb")
    with pytest.raises(
        ValidationError,
        match=r"keyword 'hubs_within': must be 'sub-icb' \(the MCPs' area level 'sub-icb', or one "
        r"within it\): a hub that crossed an MCP's area could be in no MCP \(got 'icb'\)",
    ):
        Scenario.from_options("north-staffs", {"hubs_within": "icb", "mcps_within": "sub-icb"})
    with pytest.raises(ValidationError, match=r"must be 'icb' or 'sub-icb' \(the MCPs' area"):
        Scenario.from_options("north-staffs", {"hubs_within": "ccg19", "mcps_within": "icb"})
    with pytest.raises(
        ValidationError, match=r"keyword 'mcps_within': needs an MCP level: it cannot go with no"
    ):
        Scenario.from_options("north-staffs", {"mcps_within": "icb", "no_mcps": True})


def test_area_rules_round_trip_and_stay_out_of_the_files_when_unset(tmp_path):
    plain = Scenario.from_options("north-staffs")
    assert "hubs_within" not in plain.to_toml()
    assert "hubs_within" not in plain.report_dict()
    ruled = Scenario.from_options("north-staffs", {"mcps_within": "sub-icb"})
    assert ruled.report_dict()["mcps_within"] == "sub-icb"
    path = tmp_path / "scenario.toml"
    path.write_text(ruled.to_toml(), encoding="utf-8")
    assert 'mcps_within = "sub-icb"' in path.read_text(encoding="utf-8")
    assert read_scenario(path) == ruled
    path.write_text('footprint = "north-staffs"\nhubs_within = "county"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"scenario.toml, field 'hubs_within': must be"):
        read_scenario(path)
