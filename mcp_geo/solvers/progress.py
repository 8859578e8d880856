"""How a long solve is going: the best plan so far, the bound, the gap and the time left.

Wherever a solver learns a new bound or a new best plan it calls :func:`report`. The figures go
to the logger ``mcp_geo.solvers.progress`` at INFO, one record each: the message gives them in
words (``hubs, part 2 of 3: best 658,120, bound 657,145, gap 0.15%, 18 s left (listing 465
columns)``) and the record carries them as a :class:`SolveProgress` in its attribute
``mcp_geo_progress``, for whoever shows them (the CLI's status line). Reporting decides
nothing: a solve runs the same with or without a listener.

Which level (and which of its parts) a record belongs to, and the level's time left, come from
:func:`level_progress`, which :func:`mcp_geo.solvers._core.solve_instance` holds around a
level's solve (a context variable: a national run's workers and a CLI's solver thread each have
their own). Outside one, the record names no level and the time left is the deadline's given.

Examples
--------
>>> SolveProgress(level="hubs", phase="column generation", best=None, bound=652675.3,
...               gap=None, seconds_left=17.6, elapsed=0.4).words()
'hubs: no plan yet, bound 652,675, 18 s left (column generation)'
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ._run import Deadline
from .certificate import relative_gap

log = logging.getLogger(__name__)

ATTRIBUTE = "mcp_geo_progress"
"""The name of the :class:`logging.LogRecord` attribute that carries a record's figures."""


@dataclass(frozen=True)
class SolveProgress:
    """What a solve has found so far, as one progress record carries it.

    Attributes
    ----------
    level
        ``hubs`` or ``MCPs`` (empty outside a level's solve).
    phase
        What the solver is doing ("column generation", "listing 465 columns", "local search").
    best
        The best plan's value so far (the stage's objective), None without a plan.
    bound
        A proven lower bound on it, None if none is known yet.
    gap
        ``(best - bound) / best`` as a fraction, None without both.
    seconds_left
        The level's time left (of its time limit) when the record was made.
    elapsed
        Seconds since the level's solve began.
    part, parts
        Which of the level's independent parts is being solved (1-based) and how many there
        are; None outside a level's loop over its parts.
    """

    level: str
    phase: str
    best: float | None
    bound: float | None
    gap: float | None
    seconds_left: float | None
    elapsed: float
    part: int | None = None
    parts: int | None = None

    def where(self) -> str:
        """The level and, of several, the part (``hubs, part 2 of 3``)."""
        words = [self.level] if self.level else []
        if self.part is not None and self.parts is not None and self.parts > 1:
            words.append(f"part {self.part} of {self.parts}")
        return ", ".join(words)

    def figures(self, *, seconds_left: float | None = None) -> str:
        """Best, bound, gap and time left in words (``seconds_left``: a later count of it)."""
        left = self.seconds_left if seconds_left is None else seconds_left
        words = ["no plan yet" if self.best is None else f"best {_number(self.best)}"]
        if self.bound is not None:
            words.append(f"bound {_number(self.bound)}")
        if self.gap is not None:
            words.append(f"gap {100 * self.gap:.2f}%" if math.isfinite(self.gap) else "gap -")
        if left is not None:
            words.append(f"{max(0.0, left):.0f} s left")
        return ", ".join(words)

    def words(self, *, seconds_left: float | None = None) -> str:
        """Where, the figures, then the phase: the record's message (and the CLI's line)."""
        where = self.where()
        figures = self.figures(seconds_left=seconds_left)
        return f"{where + ': ' if where else ''}{figures} ({self.phase})"


def _number(value: float) -> str:
    whole = abs(value) >= 100 or value == round(value)  # patient-km, or moves and patients
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


@dataclass
class _Level:
    """The level being solved: its name, its deadline, and the part under way."""

    name: str
    deadline: Deadline
    part: int | None = None
    parts: int | None = None


_level: contextvars.ContextVar[_Level | None] = contextvars.ContextVar(
    "mcp_geo_progress_level", default=None
)
_muted: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "mcp_geo_progress_muted", default=False
)


class _QuietFilter(logging.Filter):
    """Drops the solver modules' records below WARNING inside :func:`muted`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not _muted.get()


_QUIET = _QuietFilter()


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """Inside: no progress records, and no records below WARNING from the solver modules.

    For a sub-problem solved as a part of a larger one (a neighbourhood of a plan): its
    figures are not the level's, and a hundred of them would bury the level's own records.
    Only the calling thread's context is muted (a context variable).

    Yields
    ------
    None
    """
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger) or not name.startswith("mcp_geo.solvers"):
            continue
        if _QUIET not in logger.filters:
            logger.addFilter(_QUIET)
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


@contextlib.contextmanager
def level_progress(level: str, *, deadline: Deadline) -> Iterator[None]:
    """Name the level (``hubs``, ``MCPs``) and its deadline in every record made inside.

    Parameters
    ----------
    level
        The level's name in words.
    deadline
        The level's wall-clock budget (the records' time left).

    Yields
    ------
    None
    """
    token = _level.set(_Level(name=level, deadline=deadline))
    try:
        yield
    finally:
        _level.reset(token)


def at_part(part: int | None, *, parts: int) -> None:
    """Name the part under way (1-based, of ``parts``) in the level's next records.

    Parameters
    ----------
    part
        The part's number, from 1 (None: the records are the whole level's).
    parts
        How many parts the level has.
    """
    current = _level.get()
    if current is not None:
        current.part, current.parts = part, parts


def report(
    phase: str,
    *,
    best: float | None,
    bound: float | None,
    deadline: Deadline | None = None,
) -> None:
    """Log what the solver knows now at INFO, the figures attached (see the module docstring).

    Parameters
    ----------
    phase
        What the solver is doing, in a few words.
    best
        The best plan's value so far (None, or infinite, without a plan).
    bound
        The best proven lower bound (None, or -inf, without one); reported no higher than
        ``best``.
    deadline
        The time left outside a level's solve (inside one, the level's deadline is used).
    """
    if _muted.get() or not log.isEnabledFor(logging.INFO):
        return
    best = best if best is not None and math.isfinite(best) else None
    bound = bound if bound is not None and math.isfinite(bound) else None
    if best is not None and bound is not None:
        bound = min(bound, best)
    current = _level.get()
    clock = deadline if current is None else current.deadline
    progress = SolveProgress(
        level="" if current is None else current.name,
        phase=phase,
        best=best,
        bound=bound,
        gap=relative_gap(best, bound),
        seconds_left=None if clock is None else clock.remaining(),
        elapsed=(time.perf_counter() - clock.start) if clock is not None else 0.0,
        part=None if current is None else current.part,
        parts=None if current is None else current.parts,
    )
    log.info("%s", progress.words(), extra={ATTRIBUTE: progress})
