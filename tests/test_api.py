"""The Python API: mcp_geo.plan and friends take the CLI's options by the same names, check them
the same way, and name what to relax as the API names it (the CLI as flags)."""

from __future__ import annotations

import inspect

import pytest

import mcp_geo
from mcp_geo.cli import main
from mcp_geo.cli._parser import SCENARIO_OPTIONS
from mcp_geo.scenario import OPTION_KEYS

QUICK = {"threads": 1}


def _keywords(function) -> list[str]:
    return [
        name
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def test_every_option_has_one_name_in_the_api_the_cli_and_scenario_files():
    assert _keywords(mcp_geo.plan) == [*OPTION_KEYS, "data"]
    assert set(OPTION_KEYS) <= set(_keywords(mcp_geo.plan_england))
    assert set(SCENARIO_OPTIONS) == set(OPTION_KEYS)
    for function in (mcp_geo.plan, mcp_geo.plan_england, mcp_geo.footprints, mcp_geo.map):
        kinds = {p.kind for p in inspect.signature(function).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, function.__name__


def test_no_module_shadows_the_api_functions():
    for name in ("plan", "compare", "map", "read_plan", "footprints", "plan_england"):
        assert inspect.isfunction(getattr(mcp_geo, name)), name


@pytest.mark.parametrize(
    ("call", "typo", "closest"),
    [
        (lambda: mcp_geo.plan("north-staffs", hub_mni=25_000), "hub_mni", "hub_min"),
        (lambda: mcp_geo.plan("north-staffs", max_kms=10), "max_kms", "max_km"),
        (lambda: mcp_geo.plan("north-staffs", timelimit=5), "timelimit", "time_limit"),
        (lambda: mcp_geo.footprints(snapshots="2025-04"), "snapshots", "snapshot"),
    ],
)
def test_a_misspelt_keyword_names_the_closest_valid_one(call, typo, closest):
    """A TypeError, as Python raises, and the tool's ValidationError (DESIGN's Python API)."""
    with pytest.raises(TypeError, match=rf"keyword argument {typo!r}; did you mean {closest!r}"):
        call()
    with pytest.raises(mcp_geo.ValidationError, match=rf"{typo!r}; did you mean {closest!r}"):
        call()


def test_a_bad_value_names_the_keyword_and_the_cli_names_the_option(capsys):
    with pytest.raises(mcp_geo.ValidationError, match=r"keyword 'max_km': must be a distance"):
        mcp_geo.plan("north-staffs", max_km=-1)
    assert main(["plan", "north-staffs", "--hub-min", "-5", "--out", "unused"]) == 2
    assert "--hub-min: must be a whole number of patients >= 0" in capsys.readouterr().err


def test_what_to_relax_is_data_named_as_the_api_names_it_and_as_the_cli_does(tmp_path, capsys):
    with pytest.raises(mcp_geo.InfeasibleError) as caught:
        mcp_geo.plan("north-staffs", mcp_min=600_000, **QUICK)
    error = caught.value
    assert error.level == "mcps"
    assert error.relax == (
        mcp_geo.Relaxation("mcp_min", "lower", 531_633),
        mcp_geo.Relaxation("no_mcps", "set"),
    )
    assert str(error).endswith("lower mcp_min to 531,633 or use no_mcps")
    code = main(["plan", "north-staffs", "--mcp-min", "600000", "--out", str(tmp_path / "p")])
    assert code == 3
    assert "lower --mcp-min to 531,633 or use --no-mcps" in capsys.readouterr().err


@pytest.mark.slow
def test_the_api_plan_is_the_cli_plan(tmp_path):
    """mcp_geo.plan(...).write(d) writes what `mcp-geo plan ... --out d` writes."""
    plan = mcp_geo.plan("north-staffs", hub_min=25_000, no_mcps=True, **QUICK)
    assert plan.certificates.hubs.status == "optimal"
    assert plan.mcps.empty
    hubs = plan.hubs
    assert hubs["patients"].between(25_000, 50_000).all()
    assert sorted(plan.practices["practice_code"]) == list(plan.practices["practice_code"])
    assert plan.practices["hub_id"].notna().all()
    assert plan.practices.crs.to_epsg() == 4326
    from mcp_geo.plans.plan import HUB_COLUMNS, MCP_COLUMNS, PRACTICE_COLUMNS

    for frame, columns in ((plan.practices, PRACTICE_COLUMNS), (plan.hubs, HUB_COLUMNS)):
        assert tuple(frame.columns[: len(columns)]) == columns  # in the order of the files
        assert frame.columns[-1] == "geometry"
    assert tuple(plan.mcps.columns[: len(MCP_COLUMNS)]) == MCP_COLUMNS
    written = plan.write(tmp_path / "api")
    argv = ["plan", "north-staffs", "--hub-min", "25000", "--no-mcps"]
    assert main([*argv, "--threads", "1", "--out", str(tmp_path / "cli"), "-q"]) == 0
    for name in ("practices.csv", "hubs.csv", "mcps.csv", "exclusions.csv", "scenario.toml"):
        assert (written / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    again = mcp_geo.read_plan(written)
    assert again.scenario == plan.scenario
    assert again.certificates.hubs.status == "optimal"


def test_a_scenario_file_with_keywords_that_override_it(tmp_path):
    """plan("scenario.toml", ...) plans the file's footprint and options; a keyword given
    overrides the file's value, and the plan's scenario says so."""
    path = tmp_path / "scenario.toml"
    path.write_text(
        'footprint = "north-staffs"\nhub_min = 25000\nno_mcps = true\nengine = "compact"\n',
        encoding="utf-8",
    )
    plan = mcp_geo.plan(str(path), hub_max=45_000, threads=1)
    assert plan.footprint == "north-staffs"
    assert (plan.scenario.hub_min, plan.scenario.hub_max, plan.scenario.no_mcps) == (
        25_000,
        45_000,
        True,
    )
    assert plan.hubs["patients"].between(25_000, 45_000).all()
    assert plan.mcps.empty
