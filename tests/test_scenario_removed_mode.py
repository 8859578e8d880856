"""Joint mode was removed (issue #23, point 5): asking for it is one clear ValidationError,
from the API, the CLI and a scenario file alike, naming the option, the value and why."""

from __future__ import annotations

import pytest

import mcp_geo
from mcp_geo._errors import ValidationError
from mcp_geo.cli import main
from mcp_geo.scenario import MODES, Scenario, read_scenario

WHY = r"joint mode was removed: it proved no plan of a real footprint \(north-staffs: 44\.8% gap"
"""The start of the reason, as every entry point gives it."""


def test_staged_is_the_only_mode():
    assert MODES == ("staged",)
    assert Scenario.from_options("north-staffs", {"mode": "staged"}).mode == "staged"


def test_the_api_refuses_joint_mode_saying_why():
    with pytest.raises(ValidationError, match=rf"keyword 'mode': {WHY}.*\(got 'joint'\)") as caught:
        mcp_geo.plan("north-staffs", mode="joint")  # type: ignore[arg-type]
    assert "plan in staged mode" in str(caught.value)
    assert len(caught.value.problems) == 1
    with pytest.raises(ValidationError, match=rf"keyword 'mode': {WHY}"):
        Scenario.from_options("north-staffs", {"mode": "joint", "no_mcps": True})


def test_a_scenario_file_of_joint_mode_is_refused_saying_why(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('footprint = "north-staffs"\nmode = "joint"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"old\.toml, field 'mode': {WHY}"):
        read_scenario(path)


def test_the_cli_refuses_joint_mode_with_exit_2_saying_why(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["plan", "north-staffs", "--mode", "joint", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--mode: joint mode was removed: it proved no plan of a real footprint" in err
    assert "(got 'joint')" in err
    assert "Traceback" not in err
    assert not out.exists()
    old = tmp_path / "old.toml"
    old.write_text('footprint = "north-staffs"\nmode = "joint"\n', encoding="utf-8")
    assert main(["plan", str(old), "--out", str(out)]) == 2
    assert "old.toml, field 'mode': joint mode was removed" in capsys.readouterr().err
    assert not out.exists()


def test_another_mode_is_refused_as_before(tmp_path, capsys):
    with pytest.raises(ValidationError, match=r"keyword 'mode': must be 'staged' \(got 'both'\)"):
        Scenario.from_options("north-staffs", {"mode": "both"})
    with pytest.raises(ValidationError, match=r"keyword 'mode': must be 'staged' \(got \[\]\)"):
        Scenario.from_options("north-staffs", {"mode": []})
    assert main(["plan", "north-staffs", "--mode", "both", "--out", str(tmp_path / "o")]) == 2
    assert "--mode: must be 'staged' (got 'both')" in capsys.readouterr().err
