"""Exit codes and messages: 2 bad input, 3 rules proven impossible, 1 a run that failed otherwise
(no plan in the time limit, every national footprint failed, a disk error), never a traceback;
``-q`` leaves nothing on stderr but errors (no solver banner)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcp_geo._errors import (
    InfeasibleError,
    NoPlanError,
    RunFailedError,
    ValidationError,
)
from mcp_geo.cli import main
from mcp_geo.national._merge import _raise_none_planned
from mcp_geo.national._tasks import FootprintJob, FootprintResult, solve_footprint
from mcp_geo.pipeline.levels import require_plan
from mcp_geo.scenario import Scenario
from mcp_geo.solvers import Certificate


def _scattered_sites(path: Path, n: int = 100, seed: int = 5) -> Path:
    """``n`` sites scattered over a 30 km square near Stoke, 2,000-16,000 patients each."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30_000, (n, 2))
    patients = rng.integers(2_000, 16_000, n)
    rows = [
        f"S{k:03d},{p},{380_000 + x:.0f},{340_000 + y:.0f}"
        for k, (p, (x, y)) in enumerate(zip(patients, xy, strict=True))
    ]
    path.write_text("practice_code,patients,easting,northing\n" + "\n".join(rows) + "\n")
    return path


# hubs of 49,000-50,000 patients out of 100 scattered sites, one second per level (the solver's
# time-out itself is given to the tests, not waited for: it would depend on the machine's speed)
NO_PLAN_IN_TIME = [
    "--hub-min", "49000", "--hub-max", "50000", "--max-km", "none", "--no-mcps",
    "--engine", "compact", "--time-limit", "1", "--threads", "1",
]  # fmt: skip


def _certificate(status: str, objective: float | None = None) -> Certificate:
    gap = None if objective is None else 0.1
    return Certificate(
        "compact", "highs", "1", status, objective, "patient_km", None, gap, 1.0, "time_limit"
    )


# ---------------------------------------------------------------- no plan in time: exit 1


def test_no_plan_in_the_time_limit_exits_1_and_says_nothing_was_proven(
    monkeypatch, tmp_path, capsys
):
    """The hub solver's time-out is given, not waited for: the outcome of a one-second solve
    would depend on the machine's speed."""
    import mcp_geo.pipeline.levels as levels

    def no_hub_plan(practices, **_kwargs):
        return dataclasses.make_dataclass("S", ["certificate"])(_certificate("no_solution"))

    monkeypatch.setattr(levels, "solve_hubs", no_hub_plan)
    sites = _scattered_sites(tmp_path / "sites.csv")
    assert main(["plan", str(sites), "--out", str(tmp_path / "p"), *NO_PLAN_IN_TIME]) == 1
    err = capsys.readouterr().err
    assert "mcp-geo: no plan found: no hub plan was found within the time limit of 1 s" in err
    assert "did not prove that the rules cannot be met" in err
    assert "--time-limit" in err
    assert "mcp-geo: the rules cannot be met" not in err  # the message of a proof (exit 3)
    assert "Traceback" not in err
    assert not (tmp_path / "p" / "report.json").exists()


def test_require_plan_tells_no_plan_from_a_proof():
    scenario = Scenario.from_options("north-staffs", {"time_limit": 7})
    with pytest.raises(NoPlanError, match=r"no MCP plan was found within the time limit of 7 s"):
        require_plan(_certificate("no_solution"), level="mcps", scenario=scenario)
    with pytest.raises(InfeasibleError, match="the solver proved that no hub plan meets"):
        require_plan(_certificate("infeasible"), level="hubs", scenario=scenario)
    require_plan(
        _certificate("feasible", 10.0), level="hubs", scenario=scenario
    )  # a plan: no error


def test_staged_mcps_without_a_plan_in_time_are_not_called_infeasible(monkeypatch):
    """MCPs without a plan in time are a time-out (raise the time limit), never a proof."""
    import mcp_geo.pipeline.levels as levels
    from mcp_geo.pipeline.footprint import run_scenario

    def no_mcp_plan(hubs, **_kwargs):
        return dataclasses.make_dataclass("S", ["certificate"])(_certificate("no_solution"))

    monkeypatch.setattr(levels, "solve_mcps", no_mcp_plan)
    scenario = Scenario.from_options(
        "north-staffs", {"engine": "compact", "threads": 1, "time_limit": 5}
    )
    with pytest.raises(NoPlanError, match="no MCP plan was found") as caught:
        run_scenario(scenario)
    assert caught.value.level == "mcps"
    assert [r.option for r in caught.value.relax] == ["time_limit"]


# ---------------------------------------------------------------- proven impossible: exit 3


def test_rules_proven_impossible_exit_3(tmp_path, capsys):
    sites = tmp_path / "small.csv"
    sites.write_text("practice_code,patients,easting,northing\nA,1000,380000,340000\n")
    assert main(["plan", str(sites), "--out", str(tmp_path / "p")]) == 3
    err = capsys.readouterr().err
    assert f"mcp-geo: the rules cannot be met: {sites} has 1,000 patients" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- national runs


def _job(code: str = "X") -> FootprintJob:
    return FootprintJob(code, "north-staffs", "North", 66, 531_633, "0" * 64)


def _failed(code: str, failure: str) -> FootprintResult:
    return FootprintResult(
        job=_job(code), status="failed", reason=f"{failure} here", failure=failure
    )


@pytest.mark.parametrize(
    ("failures", "error"),
    [
        (("infeasible", "infeasible"), InfeasibleError),
        (("infeasible", "no_solution"), NoPlanError),
        (("no_solution",), NoPlanError),
        (("infeasible", "error"), RunFailedError),
    ],
)
def test_no_footprint_planned_is_infeasible_only_when_each_was_proven_so(failures, error):
    results = [_failed(f"F{k}", kind) for k, kind in enumerate(failures)]
    with pytest.raises(error, match=rf"no footprint of the {len(failures)} could be planned: F0"):
        _raise_none_planned(results)


@pytest.mark.parametrize(
    ("raised", "failure", "levels"),
    [
        (NoPlanError("no MCP plan in time", level="mcps"), "no_solution", {"mcps"}),
        (InfeasibleError("the MCPs cannot", level="mcps"), "infeasible", {"mcps"}),
        (InfeasibleError("too small (an MCP word in the text)"), "infeasible", {"hubs"}),
    ],
)
def test_a_failed_footprint_keeps_the_kind_and_level_of_its_error(
    monkeypatch, tmp_path, raised, failure, levels
):
    import mcp_geo.pipeline.footprint as planning

    def fail(*_args, **_kwargs):
        raise raised

    monkeypatch.setattr(planning, "plan_footprint", fail)
    result = solve_footprint(
        _job(), scenario=Scenario.from_options("north-staffs"), data_dir=None, parts=tmp_path
    )
    assert (result.status, result.failure, result.reason) == ("failed", failure, str(raised))
    certificates = result.certificates or {}
    assert {k for k, v in certificates.items() if v is not None} == levels
    for level in levels:
        assert certificates[level]["status"] == failure


def test_a_failed_footprint_reason_names_no_internal_class(monkeypatch, tmp_path):
    import mcp_geo.pipeline.footprint as planning

    def fail(*_args, **_kwargs):
        raise ValidationError(["roads: the OSM file holds no drivable road"])

    monkeypatch.setattr(planning, "plan_footprint", fail)
    result = solve_footprint(
        _job(), scenario=Scenario.from_options("north-staffs"), data_dir=None, parts=tmp_path
    )
    assert result.failure == "error"
    assert result.reason == "roads: the OSM file holds no drivable road"


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (NoPlanError("QOC: no hub plan in time"), 1, "mcp-geo: no plan found: QOC: no hub plan"),
        (RunFailedError("no footprint of the 2 could be planned"), 1, "mcp-geo: no footprint"),
        (InfeasibleError("no footprint of the 1 could be planned"), 3, "cannot be met: no foot"),
    ],
)
def test_national_runs_that_plan_nothing_exit_by_kind(
    monkeypatch, tmp_path, capsys, error, code, message
):
    import mcp_geo.national.run as national

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(national, "plan_england", fail)
    assert main(["plan", "england", "--by", "icb", "--out", str(tmp_path / "e")]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- disk errors: exit 1


def test_a_disk_error_is_a_message_and_exit_1(monkeypatch, tmp_path, capsys):
    import mcp_geo.plans.write as exports

    def disk_full(_plan, out, **_kwargs):
        raise OSError(28, "No space left on device", str(Path(out) / "plan.gpkg"))

    monkeypatch.setattr(exports, "write_plan", disk_full)
    sites = _scattered_sites(tmp_path / "sites.csv", n=6)
    argv = ["plan", str(sites), "--out", str(tmp_path / "p"), "--hub-min", "0", "--no-mcps"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"mcp-geo: No space left on device: {tmp_path / 'p' / 'plan.gpkg'}" in err
    assert "Errno" not in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- -q


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """A real process: the HiGHS banner is printed once per process, by compiled code."""
    return subprocess.run(
        [sys.executable, "-m", "mcp_geo", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_leaves_stderr_empty(tmp_path, where):
    sites = _scattered_sites(tmp_path / "sites.csv", n=12)
    options = ["plan", str(sites), "--out", str(tmp_path / "p"), "--hub-min", "10000"]
    options += ["--hub-max", "30000", "--no-mcps"]
    done = _run("-q", *options) if where == "before" else _run(*options, "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "12 practices" in done.stdout


def test_without_quiet_the_solver_banner_stays_on_stderr(tmp_path):
    sites = _scattered_sites(tmp_path / "sites.csv", n=12)
    done = _run("plan", str(sites), "--out", str(tmp_path / "p"), "--hub-min", "10000", "--no-mcps")
    assert done.returncode == 0, done.stderr
    assert "Running HiGHS" in done.stderr
    assert "Running HiGHS" not in done.stdout


@pytest.mark.slow
def test_quiet_national_run_leaves_stderr_empty(tmp_path):
    """The workers of the local Dask cluster print no solver banner either."""
    out = str(tmp_path / "england")
    options = ["--only", "05V", "--workers", "1", "--no-mcps", "--time-limit", "30"]
    done = _run("plan", "england", "--by", "sub-icb", "--out", out, *options, "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_quiet_still_shows_errors(tmp_path):
    """-q silences progress and the solver's banner, never the error. The error comes after
    HiGHS has solved the hubs (strict MCPs of hubs 1 km apart are proven impossible), so the
    outcome does not depend on the machine's speed."""
    argv = ["plan", "north-staffs", "--strict", "--mcp-max-km", "1", "--engine", "compact"]
    done = _run(*argv, "--threads", "1", "--out", str(tmp_path / "p"), "-q")
    assert done.returncode == 3
    assert done.stderr.startswith("mcp-geo: the rules cannot be met: no plan satisfies the rules")
    assert done.stderr.rstrip().endswith("cannot reach 100,000 with anyone within 1 km")
    assert "Running HiGHS" not in done.stderr + done.stdout
    assert done.stdout == ""


# ---------------------------------------------------------------- names the user typed


def test_a_national_run_with_failed_footprints_exits_1_and_says_so_on_stderr(
    monkeypatch, tmp_path, capsys
):
    import types

    import mcp_geo.national.run as national

    solved = FootprintResult(job=_job("QNC"), status="solved")
    failed = _failed("QOC", "no_solution")

    def partly(*_args, **_kwargs):
        return types.SimpleNamespace(
            footprints=(solved, failed),
            failed=(failed,),
            summary=lambda: ["England: 2 footprints, 1 solved, 1 failed"],
        )

    monkeypatch.setattr(national, "plan_england", partly)
    argv = ["plan", "england", "--by", "icb", "--out", str(tmp_path / "e"), "-q"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "1 failed" in captured.out
    assert captured.err == (
        "mcp-geo: 1 of 2 footprints failed (QOC); their practices are not in the plan "
        "(see report.json)\n"
    )
