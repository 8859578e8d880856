"""The package's error hierarchy.

Every public entry point validates its input, collects every problem it finds and raises one
error that lists them all; each problem names where it was found (file, row, field), the bad
value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was found and what is allowed."""

    message: str
    source: str = ""  # file name (and row) or parameter name
    field: str = ""
    value: object = None

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.source, f"field {self.field!r}" if self.field else "") if part
        )
        value = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}" if where else f"{self.message}{value}"


class McpGeoError(Exception):
    """Base class of every error this package raises on purpose."""


class ValidationError(McpGeoError, ValueError):
    """Input that cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem | str], *, context: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        )
        head = f"{context}: " if context else ""
        if len(self.problems) == 1:
            text = f"{head}{self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            text = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(text)


Level = Literal["hubs", "mcps", "joint"]
"""The level of a plan an error is about (``joint``: hubs and MCPs in one model)."""


class InfeasibleError(McpGeoError):
    """The rules cannot be met, and this is proven; ``diagnosis`` says why, with names and numbers.

    ``level`` is the level whose rules were proven impossible (None when the proof is about the
    whole footprint, or not about one level).
    """

    def __init__(
        self, diagnosis: str, *, causes: Iterable[str] = (), level: Level | None = None
    ) -> None:
        self.diagnosis = diagnosis
        self.causes: tuple[str, ...] = tuple(causes)
        self.level: Level | None = level
        super().__init__(diagnosis)


class NoPlanError(McpGeoError):
    """No plan was found before the time limit; nothing was proven about the rules.

    Unlike :class:`InfeasibleError` this says nothing about whether a plan exists: more time (or
    other solver options) may find one. ``diagnosis`` says what ran out and what to change;
    ``level`` is the level that has no plan.
    """

    def __init__(self, diagnosis: str, *, level: Level | None = None) -> None:
        self.diagnosis = diagnosis
        self.level: Level | None = level
        super().__init__(diagnosis)


class RunFailedError(McpGeoError):
    """A run failed for a reason that is neither bad input nor proven infeasibility (say, every
    footprint of a national run failed, some with errors); the message lists the reasons."""


class SolverError(McpGeoError):
    """The solver failed in a way that says nothing about the model (crash, missing binary)."""


class DownloadError(McpGeoError):
    """An official file could not be fetched or failed its sanity checks."""
