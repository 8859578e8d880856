"""The status line of a solve: on a terminal, after 2 s, the best plan, bound, gap and time left.

Read as a person sees it: what the stderr console drew (a rich console forced to be a terminal,
or not, or quiet with ``-q``), and stdout, which holds the plan's summary and nothing else.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import re

import pytest
from rich.console import Console

from mcp_geo.cli import _status, main
from mcp_geo.cli._status import SolveLine
from mcp_geo.solvers.progress import ATTRIBUTE, SolveProgress

LOGGER = "mcp_geo.solvers.progress"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(figures: SolveProgress) -> logging.LogRecord:
    return logging.makeLogRecord({"name": LOGGER, "msg": figures.words(), ATTRIBUTE: figures})


def test_the_line_shows_the_figures_after_two_seconds_and_counts_down():
    clock = _Clock()
    line = SolveLine("hubs for 407 practices", clock=clock)
    line.emit(logging.makeLogRecord({"msg": "a record without figures"}))
    early = SolveProgress(
        level="hubs", phase="column generation", best=None, bound=2_263_068.2, gap=None,
        seconds_left=29.0, elapsed=1.0, part=1, parts=3,
    )  # fmt: skip
    line.emit(_record(early))
    assert line.text() == "hubs for 407 practices"  # the level has run 1 s
    clock.now += 0.5
    assert line.text() == "hubs for 407 practices"
    clock.now += 0.7  # 2.2 s into the level
    assert line.text() == (
        "hubs, part 1 of 3: no plan yet, bound 2,263,068, 28 s left (column generation)"
    )
    later = SolveProgress(
        level="hubs", phase="listing 23,384 columns", best=2_284_120.0, bound=2_263_068.2,
        gap=0.0092, seconds_left=18.4, elapsed=11.6, part=3, parts=3,
    )  # fmt: skip
    line.emit(_record(later))
    drawn = io.StringIO()
    Console(file=drawn, force_terminal=True, width=200).print(line)
    assert ANSI.sub("", drawn.getvalue()).strip() == (
        "hubs, part 3 of 3: best 2,284,120, bound 2,263,068, gap 0.92%, 18 s left "
        "(listing 23,384 columns)"
    )
    clock.now += 5.0  # no record for 5 s: the time left counts down
    assert "13 s left" in line.text()
    clock.now += 60.0
    assert "0 s left" in line.text()
    line.step("territories")  # the next step: no figures until its records
    assert line.text() == "territories"


class _SlowLine(SolveLine):
    """Each record held 0.15 s, so that the spinner (12.5 frames a second) draws it (a
    north-staffs solve takes well under a second)."""

    def emit(self, record: logging.LogRecord) -> None:
        import time

        super().emit(record)
        if hasattr(record, ATTRIBUTE):
            time.sleep(0.15)


@pytest.mark.parametrize("kind", ["terminal", "not a terminal", "quiet"])
def test_plan_draws_the_line_on_a_terminal_only(kind, tmp_path, monkeypatch, capsys):
    drawn = io.StringIO()

    def stderr(args):
        return Console(
            file=drawn, force_terminal=kind != "not a terminal", quiet=args.quiet, width=200
        )

    monkeypatch.setattr(importlib.import_module("mcp_geo.cli.main"), "_stderr", stderr)
    monkeypatch.setattr(_status, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(_status, "SolveLine", _SlowLine)
    out = tmp_path / "plan"
    argv = ["plan", "north-staffs", "--no-mcps", "--out", str(out)]
    assert main([*(["-q"] if kind == "quiet" else []), *argv]) == 0
    seen = ANSI.sub("", drawn.getvalue())
    stdout = capsys.readouterr().out
    cert = json.loads((out / "report.json").read_text())["certificates"]["hubs"]
    figures = f"best {cert['objective']:,.0f}, bound {cert['bound']:,.0f}, gap "
    if kind == "terminal":
        assert figures in seen
        assert re.search(r"hubs: best [0-9,]+, bound [0-9,]+, gap [0-9.]+%, \d+ s left", seen)
    elif kind == "quiet":
        assert seen == ""
    else:
        assert "bound" not in seen
    assert "bound" not in stdout  # stdout: the summary alone
    assert "s left" not in stdout
    assert stdout.startswith("North Staffordshire and Stoke-on-Trent: 66 practices")
    logger = logging.getLogger(LOGGER)  # the solvers' logger as it was
    assert (logger.handlers, logger.propagate, logger.level) == ([], True, logging.NOTSET)
