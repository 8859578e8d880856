"""Progress records: the best plan so far, the bound, the gap and the time left, at INFO.

Every record of a real solve carries real figures: each best is a plan's value (never below the
proven bound), each bound a valid one (never above the plan found), the gap is theirs, and the
level's last record is its certificate.
"""

from __future__ import annotations

import logging
import math

import pytest

from mcp_geo.solvers import HubRule, SolveOptions, solve_hubs
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.certificate import relative_gap
from mcp_geo.solvers.progress import ATTRIBUTE, SolveProgress, report

from ._helpers import line_instance

LOGGER = "mcp_geo.solvers.progress"


def _figures(caplog: pytest.LogCaptureFixture) -> list[SolveProgress]:
    records = [r for r in caplog.records if r.name == LOGGER]
    for r in records:
        assert r.levelno == logging.INFO
        assert r.getMessage() == getattr(r, ATTRIBUTE).words()
    return [getattr(r, ATTRIBUTE) for r in records]


@pytest.fixture(scope="module")
def north_staffs_hubs():
    """north-staffs, hubs only (one solve shared), with its progress records."""
    import mcp_geo

    handler = _Keep()
    logger = logging.getLogger(LOGGER)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        plan = mcp_geo.plan("north-staffs", no_mcps=True, time_limit=120)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return plan, [getattr(r, ATTRIBUTE) for r in handler.records]


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_real_solve_reports_real_figures(north_staffs_hubs):
    plan, figures = north_staffs_hubs
    cert = plan.certificates.hubs
    assert len(figures) >= 3  # column generation, a first plan, the listing, the level
    assert {f.level for f in figures} == {"hubs"}
    last = figures[-1]
    assert last.phase == "solved"
    assert last.best == pytest.approx(cert.objective, rel=1e-9)
    assert last.bound == pytest.approx(cert.bound, rel=1e-9)
    assert last.gap == pytest.approx(cert.gap, abs=1e-12)
    assert any(f.best is None and f.bound is not None for f in figures)  # before any plan
    lefts = [f.seconds_left for f in figures]
    assert all(0 < s <= 120 for s in lefts)
    assert lefts == sorted(lefts, reverse=True)  # the level's one deadline, counting down
    for f in figures:
        if f.best is not None:
            assert f.best >= cert.bound - 1e-6  # a plan: never below the proven bound
        if f.bound is not None:
            assert f.bound <= cert.objective + 1e-6  # a bound: never above the plan found
        if f.best is not None and f.bound is not None:
            assert f.bound <= f.best
            assert f.gap == pytest.approx(relative_gap(f.best, f.bound), abs=1e-12)
        else:
            assert f.gap is None


def test_records_name_the_part_of_a_level_with_several(caplog):
    """Two parts, 100 km apart (15,000 patients each, hubs of 30-50k within 15 km)::

        A---B---C  . . . 100 km . . .  D---E---F
        0   2   4                      100 102 104

    Each part is one hub based at its middle practice: 2 x (15,000 x 2 + 15,000 x 2) = 120,000.
    """
    frame, travel = line_instance(
        {"A": 0, "B": 2, "C": 4, "D": 100, "E": 102, "F": 104},
        dict.fromkeys("ABCDEF", 15_000),
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        sol = solve_hubs(frame, rule=HubRule(max_km=15), options=SolveOptions(), travel=travel)
    figures = _figures(caplog)
    assert sol.certificate.objective == pytest.approx(120_000)
    parts = [(f.part, f.parts) for f in figures[:-1]]
    assert set(parts) == {(1, 2), (2, 2)}
    assert parts == sorted(parts)  # part 1's records, then part 2's
    for k in (1, 2):  # the part's start (the greedy plan, 90,000), then its optimum
        bests = [(f.best, f.bound) for f in figures if f.part == k]
        assert all(best >= 60_000 - 1e-6 for best, _ in bests)
        assert bests[-1] == (pytest.approx(60_000), pytest.approx(60_000))
    assert (figures[-1].part, figures[-1].best) == (None, pytest.approx(120_000))
    assert figures[-1].words().startswith("hubs: best 120,000, bound 120,000, gap 0.00%, ")
    assert "hubs, part 2 of 2: best 60,000" in caplog.text


def test_a_record_outside_a_level_takes_the_deadline_given(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        report("listing 465 columns", best=663_068.4, bound=float("-inf"), deadline=Deadline(30))
        report("first plan", best=float("inf"), bound=658_459.2)
    first, second = _figures(caplog)
    assert (first.level, first.bound, first.gap) == ("", None, None)
    assert 29 < first.seconds_left <= 30
    assert first.words() == "best 663,068, 30 s left (listing 465 columns)"
    assert (second.best, second.seconds_left) == (None, None)
    assert second.words() == "no plan yet, bound 658,459 (first plan)"


def test_a_plan_from_today_s_pcns_reports_each_stage(caplog):
    """north-staffs from its PCNs: the fewest moves, then the least travel with them held;
    each stage's last record is the certificate's stage."""
    import mcp_geo

    with caplog.at_level(logging.INFO, logger=LOGGER):
        plan = mcp_geo.plan("north-staffs", no_mcps=True, reference="pcn", time_limit=120)
    figures = _figures(caplog)
    stages = {s.name: s for s in plan.certificates.hubs.stages}
    ends = {}
    for phase, name in (("fewest moves", "moves"), ("travel", "travel")):
        mine = [f for f in figures if f.phase == phase]
        assert mine[0].bound is None  # the stage's start: the plan it begins from
        assert mine[0].best >= mine[-1].best
        assert mine[-1].best == pytest.approx(stages[name].objective, rel=1e-9)
        ends[name] = mine[-1].bound
    assert math.ceil(ends["moves"] - 1e-6) == stages["moves"].bound  # moves: whole ones
    assert ends["travel"] == pytest.approx(stages["travel"].bound, rel=1e-9)
    assert f"best {stages['moves'].objective:,.0f}, bound " in caplog.text


def test_a_least_exception_part_reports_its_own_travel(caplog):
    """Practices on a road (thousands of patients above their km), hubs of 30,000-50,000 within
    12 km::

        A 20 ... B 20 ...... C1 10  C2 10 ....... X 45
        0        9           20     21            30

    No plan keeps the floor everywhere: the least shortfall is 10,000 (A, or C1 and C2, short).
    The shortfall stage's plan, {B, C1, C2} at C1 (230,000 patient-km) and A alone, is re-planned
    for travel: {A, B} at A (180,000) and {C1, C2} at C1 (10,000). The engine plans the hubs
    that keep the floor again as a part of their own; its figures are not the part's (its
    "bound" of 230,000 is above the part's optimum, 190,000): no record after the shortfall
    stage shows a bound above the part's plan, nor a plan below its bound."""
    at = {"A": 0.0, "B": 9.0, "C1": 20.0, "C2": 21.0, "X": 30.0}
    size = {"A": 20_000, "B": 20_000, "C1": 10_000, "C2": 10_000, "X": 45_000}
    frame, travel = line_instance(at, size)
    rule = HubRule(max_km=12.0)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        options = SolveOptions(time_limit=20, engine="columns")
        sol = solve_hubs(frame, rule=rule, options=options, travel=travel)
    stages = {s.name: s for s in sol.certificate.stages}
    assert stages["shortfall"].objective == 10_000
    assert stages["travel"].objective == pytest.approx(190_000)
    figures = _figures(caplog)
    shortfall = [f for f in figures if f.phase == "least shortfall"]
    later = figures[figures.index(shortfall[-1]) + 1 :]
    assert later
    assert all(f.bound is None or f.bound <= 190_000 + 1e-6 for f in later)
    assert all(f.best is None or f.best >= 190_000 - 1e-6 for f in later)
