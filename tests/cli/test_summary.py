"""The printed summary of a plan: each objective stage of a level with several."""

from __future__ import annotations

from pathlib import Path

import pytest

import mcp_geo
from mcp_geo.cli._print import _print_summary, _stages_lines
from mcp_geo.solvers.certificate import Certificate, Stage


def _cert(stages: tuple[Stage, ...]) -> Certificate:
    last = stages[-1]
    return Certificate(
        engine="columns",
        solver="highs",
        solver_version="1.16.0",
        status="feasible",
        objective=last.objective,
        objective_name=last.objective_name,
        bound=last.bound,
        gap=last.gap,
        seconds=60.0,
        ended_by="time_limit",
        stages=stages,
    )


def test_a_count_not_proven_is_said_beside_the_travels_gap() -> None:
    """staffs-shropshire with --hubs fewest at 60 s: 38 hubs against a proven 36, the travel
    2.8% above its bound. The level's gap (the last stage's) alone would hide the count's."""
    cert = _cert(
        (
            Stage("hubs", 38.0, 36.0, 2 / 38, "feasible", "number of hubs"),
            Stage("travel", 4_626_032.5, 4_497_312.7, 0.027825, "feasible", "patient-weighted km"),
        )
    )
    assert _stages_lines("hubs", cert) == [
        "  hubs stages: hubs 38 (feasible, bound 36, gap 5.2632%); "
        "travel 4,626,032 (feasible, bound 4,497,313, gap 2.7825%)"
    ]
    one = _cert((Stage("travel", 10.0, 9.0, 0.1, "feasible", "km"),))
    assert _stages_lines("hubs", one) == []


@pytest.mark.slow
def test_a_fewest_plan_prints_its_stages(capsys: pytest.CaptureFixture[str]) -> None:
    """north-staffs with the fewest hubs: the summary gives the count stage and the travel's."""
    plan = mcp_geo.plan("north-staffs", hubs="fewest", no_mcps=True, time_limit=10, threads=2)
    _print_summary(plan, Path("out"))
    out = capsys.readouterr().out
    hubs = plan.certificates.hubs
    count = hubs.stages[0]
    assert count.name == "hubs"
    assert count.objective == plan.metrics.hubs.groups
    assert f"  hubs stages: hubs {plan.metrics.hubs.groups} ({count.status}, bound " in out
    assert "; travel " in out
