"""The package's error hierarchy.

Every public entry point validates its input, collects every problem it finds and raises one
error that lists them all; each problem names where it was found (file, row, field), the bad
value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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


class InfeasibleError(McpGeoError):
    """The rules cannot be met; ``diagnosis`` says why, with names and numbers."""

    def __init__(self, diagnosis: str, *, causes: Iterable[str] = ()) -> None:
        self.diagnosis = diagnosis
        self.causes: tuple[str, ...] = tuple(causes)
        super().__init__(diagnosis)


class SolverError(McpGeoError):
    """The solver failed in a way that says nothing about the model (crash, missing binary)."""


class DownloadError(McpGeoError):
    """An official file could not be fetched or failed its sanity checks."""
