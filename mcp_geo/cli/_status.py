"""The status line of a solve on a terminal: the step, then how the level's solve is going.

``plan`` (and ``compare``, for the plans it makes) shows a spinner with the step under way
("hubs for 407 practices"). Once a level has run :data:`SHOW_AFTER` seconds, the line adds the
solver's last progress record (:mod:`mcp_geo.solvers.progress`): what it is doing, the best
plan so far, the bound, the gap and the time left, counting down between records. Only on a
terminal and never with ``-q``: elsewhere no handler is attached and the line stays the step.
Everything goes to the console's stream (stderr), nothing to stdout.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from mcp_geo.solvers.progress import ATTRIBUTE, SolveProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

SHOW_AFTER = 2.0  # seconds a level runs before its figures join the line

Clock = Callable[[], float]


class SolveLine(logging.Handler):
    """A logging handler that keeps the last progress record, and the line that shows it.

    Parameters
    ----------
    step
        The step's text to begin with.
    clock
        Seconds, monotonic (the time left counts down by it between records).
    """

    def __init__(self, step: str, *, clock: Clock = time.monotonic) -> None:
        super().__init__(level=logging.INFO)
        self._step = step
        self._clock = clock
        self._last: tuple[SolveProgress, float] | None = None

    def step(self, text: str) -> None:
        """A new step: the line shows its text, and no figures until the next record."""
        self._step, self._last = text, None

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's figures (records without any are ignored)."""
        figures = getattr(record, ATTRIBUTE, None)
        if isinstance(figures, SolveProgress):
            self._last = (figures, self._clock())

    def text(self) -> str:
        """The line now: the step, or the figures once the level has run long enough."""
        last = self._last
        if last is None:
            return self._step
        figures, at = last
        since = self._clock() - at
        if figures.elapsed + since < SHOW_AFTER:
            return self._step
        left = None if figures.seconds_left is None else figures.seconds_left - since
        return figures.words(seconds_left=left)

    def __rich__(self) -> Text:
        from rich.text import Text

        return Text(self.text(), no_wrap=True, overflow="ellipsis")


@contextlib.contextmanager
def solve_status(console: Console, *, first: str) -> Iterator[Callable[[str], None]]:
    """A spinner on ``console`` with the solve's status line; yields the callback of steps.

    On a terminal (and not quiet) a :class:`SolveLine` listens to the solvers' progress records
    while the block runs; otherwise the line is the step alone.

    Parameters
    ----------
    console
        The stderr console (quiet with ``-q``).
    first
        The step to show first.

    Yields
    ------
    Callable[[str], None]
        Shows a new step.
    """
    from mcp_geo.solvers import progress

    line = SolveLine(first)
    logger = logging.getLogger(progress.__name__)
    saved = (logger.level, logger.propagate)
    listen = console.is_terminal and not console.quiet
    with console.status(line, spinner="dots"):
        if listen:
            if not logger.isEnabledFor(logging.INFO):  # not logged at -v: the line alone
                logger.setLevel(logging.INFO)
                logger.propagate = False
            logger.addHandler(line)
        try:
            yield line.step
        finally:
            logger.removeHandler(line)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]
