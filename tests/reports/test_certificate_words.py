"""A certificate in words where the count of ``fewest`` is not proven the fewest."""

from __future__ import annotations

from mcp_geo.maps._panel import plain_certificate
from mcp_geo.reports._certificate import stage_text
from mcp_geo.solvers.certificate import Certificate, Stage

COUNT = Stage("hubs", 38.0, 36.0, 2 / 38, "feasible", "number of hubs")
TRAVEL = Stage("travel", 4_626_032.5, 4_494_708.0, 0.028388, "feasible", "patient-weighted km")


def _cert(stages: tuple[Stage, ...]) -> Certificate:
    last = stages[-1]
    return Certificate(
        "columns", "highs", "1.16.0", "feasible", last.objective, last.objective_name,
        last.bound, last.gap, 60.0, "time_limit", stages=stages,
    )  # fmt: skip


def test_a_count_stage_says_its_bound_as_a_count() -> None:
    """staffs-shropshire --hubs fewest at 60 s: 38 hubs, at least 36 (before: '36.000')."""
    text = stage_text(COUNT)
    assert text.meaning == ("within 5.3% of the best possible: no plan can have fewer hubs than 36")
    assert text.numbers == "Number of hubs: 38; proven bound 36; gap 5.3%"


def test_the_headline_says_a_count_not_proven_before_the_travel() -> None:
    """The level's gap is its travel's (2.8%); the board reads first that 38 hubs are not
    proven the fewest, and a level without such a stage reads as before."""
    assert plain_certificate(_cert((COUNT, TRAVEL))) == (
        "38 hubs where 36 may do (the fewest not proven); travel within 2.8% of the best possible"
    )
    proven = Stage("hubs", 36.0, 36.0, 0.0, "optimal", "number of hubs")
    assert plain_certificate(_cert((proven, TRAVEL))) == "within 2.8% of the best possible"
    assert plain_certificate(_cert((TRAVEL,))) == "within 2.8% of the best possible"
