"""The package's error hierarchy.

Every public entry point validates its input, collects every problem it finds and raises one
error that lists them all; each problem names where it was found (file, row, field), the bad
value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

OptionName = Callable[[str], str]
"""How an option is named to the reader: the API's ``max_km`` (as is), the CLI's ``--max-km``."""


def api_name(option: str) -> str:
    """The option as the API and scenario files name it (``max_km``)."""
    return option


def cli_name(option: str) -> str:
    """The option as the command line names it (``--max-km``)."""
    return "--" + option.replace("_", "-")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was found and what is allowed."""

    message: str
    source: str = ""  # file name (and row) or parameter name
    field: str = ""
    value: object = None
    key: str = ""  # the option it is about, by its public name (``hub_min``), when it is one
    others: tuple[str, ...] = ()  # options the message names, one ``{}`` each

    def __str__(self) -> str:
        return self.text()

    def text(self, name: OptionName | None = None) -> str:
        """The problem in words; an option's problem without a source names the option (and
        the ``others`` its message names) by ``name`` (default: ``keyword 'hub_min'``, as the
        API reads; the CLI passes ``--hub-min``)."""

        def named(option: str) -> str:
            return name(option) if name is not None else f"keyword {option!r}"

        source = self.source
        if not source and self.key:
            source = named(self.key)
        message = self.message.format(*map(named, self.others)) if self.others else self.message
        where = ", ".join(
            part for part in (source, f"field {self.field!r}" if self.field else "") if part
        )
        value = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {message}{value}" if where else f"{message}{value}"


class McpGeoError(Exception):
    """Base class of every error this package raises on purpose."""


class ValidationError(McpGeoError, ValueError):
    """Input that cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem | str], *, context: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        )
        self.context = context
        super().__init__(self.message())

    def message(self, name: OptionName | None = None) -> str:
        """Every problem, options named by ``name`` (the CLI passes :func:`cli_name`)."""
        head = f"{self.context}: " if self.context else ""
        if len(self.problems) == 1:
            return f"{head}{self.problems[0].text(name)}"
        lines = "\n".join(f"  - {p.text(name)}" for p in self.problems)
        return f"{head}{len(self.problems)} problems:\n{lines}"


class UnknownKeywordError(ValidationError, TypeError):
    """A keyword argument a function does not take: a TypeError, as Python raises for one, and
    a ValidationError whose problem names the keyword and the closest valid one."""


Level = Literal["hubs", "mcps"]
"""The level of a plan an error is about."""


@dataclass(frozen=True)
class Relaxation:
    """One change of an option that would allow a plan, as data.

    ``option`` is the public name (``hub_min``, ``max_km``, ``time_limit``, ``hubs``,
    ``no_mcps``); ``action`` is ``lower``, ``raise`` or ``set``; ``value`` the value that would
    allow a plan (None when it is not known, or for a flag such as ``no_mcps``).

    Examples
    --------
    >>> Relaxation("hub_min", "lower", 25_000).text()
    'lower hub_min to 25,000'
    >>> Relaxation("hubs", "set", 12).text(cli_name)
    'set --hubs 12'
    """

    option: str
    action: Literal["lower", "raise", "set"]
    value: object = None

    def text(self, name: OptionName = api_name) -> str:
        """The change in words, with the option named by ``name``."""
        option = name(self.option)
        if self.value is None:
            return f"{self.action} {option}" if self.action != "set" else f"use {option}"
        value = f"{self.value:,}" if isinstance(self.value, int) else f"{self.value}"
        if self.action == "set":
            return f"set {option} {value}" if option.startswith("--") else f"set {option}={value!r}"
        return f"{self.action} {option} to {value}"


def _advice(relax: tuple[Relaxation, ...], name: OptionName) -> str:
    return " or ".join(r.text(name) for r in relax)


class InfeasibleError(McpGeoError):
    """The rules cannot be met, and this is proven; ``diagnosis`` says why, with names and numbers.

    ``level`` is the level whose rules were proven impossible (None when the proof is about the
    whole footprint, or not about one level).
    """

    def __init__(
        self,
        diagnosis: str,
        *,
        causes: Iterable[str] = (),
        level: Level | None = None,
        relax: Iterable[Relaxation] = (),
    ) -> None:
        self.diagnosis = diagnosis
        self.causes: tuple[str, ...] = tuple(causes)
        self.level: Level | None = level
        self.relax: tuple[Relaxation, ...] = tuple(relax)
        super().__init__(self.message())

    def message(self, name: OptionName = api_name) -> str:
        """The diagnosis and what to relax, options named by ``name`` (the CLI: ``--max-km``)."""
        return f"{self.diagnosis}: {_advice(self.relax, name)}" if self.relax else self.diagnosis


class NoPlanError(McpGeoError):
    """No plan was found before the time limit; nothing was proven about the rules.

    Unlike :class:`InfeasibleError` this says nothing about whether a plan exists: more time (or
    other solver options) may find one. ``diagnosis`` says what ran out and what to change;
    ``level`` is the level that has no plan.
    """

    def __init__(
        self, diagnosis: str, *, level: Level | None = None, relax: Iterable[Relaxation] = ()
    ) -> None:
        self.diagnosis = diagnosis
        self.level: Level | None = level
        self.relax: tuple[Relaxation, ...] = tuple(relax)
        super().__init__(self.message())

    def message(self, name: OptionName = api_name) -> str:
        """The diagnosis and what to change, options named by ``name``."""
        return f"{self.diagnosis}: {_advice(self.relax, name)}" if self.relax else self.diagnosis


class RunFailedError(McpGeoError):
    """A run failed for a reason that is neither bad input nor proven infeasibility (say, every
    footprint of a national run failed, some with errors); the message lists the reasons."""


class MissingExtraError(McpGeoError, ImportError):
    """An optional part of the package is not installed; ``extra`` names the pip extra
    (``pip install 'mcp-geo[roads]'``) and the message says how to get it."""

    def __init__(self, message: str, *, extra: str) -> None:
        self.extra = extra
        super().__init__(message)


class SolverError(McpGeoError):
    """The solver failed in a way that says nothing about the model (crash, missing binary)."""


class DownloadError(McpGeoError):
    """An official file could not be fetched or failed its sanity checks."""


# ---------------------------------------------------------------- checks
# Small checks shared by the option classes (rules, solve and travel options, the scenario);
# each appends (option, what is allowed) to a list, so every problem is collected.

Check = tuple[str, str]
"""One problem as (the option's public name, what is allowed)."""


def is_whole(value: object) -> bool:
    """A whole number (an int, never a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A finite int or float (never a bool, nan or inf)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def words(choices: tuple[str, ...]) -> str:
    """``'a', 'b' or 'c'``."""
    quoted = [repr(w) for w in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def check_patients(bad: list[Check], key: str, value: object) -> None:
    if not is_whole(value) or value < 0:  # type: ignore[operator]
        bad.append((key, "must be a whole number of patients >= 0"))


def check_count(bad: list[Check], key: str, value: object) -> None:
    if value is not None and (not is_whole(value) or value < 1):  # type: ignore[operator]
        bad.append((key, "must be a whole number >= 1, or left out"))


def check_group_count(bad: list[Check], key: str, value: object) -> None:
    """A hub (MCP) count: left out, a whole number >= 1, or ``"fewest"``."""
    if value != "fewest" and value is not None and (not is_whole(value) or value < 1):  # type: ignore[operator]
        bad.append((key, "must be a whole number >= 1, 'fewest', or left out"))


def check_limit(bad: list[Check], key: str, value: object, *, unit: str) -> None:
    if value is not None and (not is_number(value) or value <= 0):  # type: ignore[operator]
        bad.append((key, f"must be {unit} > 0, or none for no limit"))


def check_flag(bad: list[Check], key: str, value: object) -> None:
    if not isinstance(value, bool):
        bad.append((key, "must be true or false, not a string or a number"))


def check_choice(bad: list[Check], key: str, value: object, *, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        bad.append((key, f"must be {words(choices)}"))


def raise_problems(owner: object, bad: list[Check], *, context: str) -> None:
    """Raise one ValidationError for ``bad``, each problem naming the keyword and its value."""
    if bad:
        raise ValidationError(
            [Problem(allowed, value=getattr(owner, key), key=key) for key, allowed in bad],
            context=context,
        )
