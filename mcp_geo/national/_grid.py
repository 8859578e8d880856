"""A sweep's grid: the footprints, the varied options and their values, and the cells they make.

A :class:`SweepSpec` holds the base scenario (every option given outside ``vary``), the
footprints and, for each varied option, its values in the order given. Its cells are the
product of the footprints (slowest) and the varied options (in the order given, each value in
the order given), numbered from 1. Each cell's scenario is the base with its footprint and
values, one solver thread unless ``threads`` is set (as a national run's footprints).

The *base cell* of a footprint is the base scenario on that footprint: a cell of the grid when
the varied options' values there are the base's, else solved beside the grid (``base``, or
``base-<k>`` for the k-th of several footprints).

Every varied value is checked as ``plan`` checks it (all problems in one ValidationError naming
the value where it came from: ``--vary hub-max``, ``vary['hub_max']``, or the scenario file's
``sweep.vary.hub_max``). A cell whose combination of values no plan may use (a floor above the
ceiling) is kept as a cell that failed, with the reason: the others are planned.

A scenario file of a sweep is a plain scenario file with a ``[sweep]`` table::

    hub_min = 30000
    no_mcps = true

    [sweep]
    footprints = ["north-staffs"]
    vary = {hub_max = [45000, 50000, 55000], max_km = [10.0, 15.0, 20.0]}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mcp_geo._errors import Problem, ValidationError
from mcp_geo._scenario_files import absolute_paths, load_toml, relative_paths
from mcp_geo.scenario import (
    NO_LIMIT,
    OPTION_KEYS,
    UNLIMITED_KEYS,
    Scenario,
    scenario_from_values,
)

FIXED_KEYS = ("footprint", "threads")
"""Keys a sweep does not vary: the footprints are their own dimension; threads are per cell."""
FLAG_KEYS = ("no_mcps", "strict", "whole")
"""Options that take no value on the command line (flags): given plainly, never varied."""
FLOAT_KEYS = (
    "max_km",
    "mcp_max_km",
    "max_minutes",
    "mcp_max_minutes",
    "gap",
    "time_limit",
    "circuity",
    "travel_slack",
)
"""Options that are numbers with decimals (written ``10.0`` however they were given)."""
TABLE_KEYS = ("footprints", "vary")
"""The keys of a scenario file's ``[sweep]`` table."""

Where = Callable[[str], str]
"""Names a varied option where its values came from (``--vary hub-max``)."""


def api_where(key: str) -> str:
    """A varied option as the API names it: ``vary['hub_max']``."""
    return f"vary[{key!r}]"


def cli_where(key: str) -> str:
    """A varied option as the command line names it: ``--vary hub-max``."""
    return f"--vary {key.replace('_', '-')}"


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: a footprint and a scenario (None when its values cannot be used).

    Attributes
    ----------
    label
        ``1``, ``2``, ... in grid order, or ``base`` (``base-<k>``) for a base beside the grid.
    folder
        Its plan folder, relative to the sweep's folder (``cells/3``, ``base``).
    footprint
        The footprint, in the footprint syntax.
    values
        The varied options' values, in the order varied.
    options
        Every option of the cell (the scenario's, or the values as given when invalid).
    scenario
        The scenario to plan; None when ``problem`` says why none can be.
    problem
        Why the cell's values cannot be planned together; None when they can.
    base
        The label of this footprint's base cell.
    """

    label: str
    folder: str
    footprint: str
    values: tuple[tuple[str, Any], ...]
    options: Mapping[str, Any]
    scenario: Scenario | None
    problem: str | None
    base: str


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep plans: the base scenario, the footprints and the varied options.

    Attributes
    ----------
    base
        Every option given outside ``vary`` (its footprint is the first footprint).
    footprints
        The footprints, in order (the slowest dimension of the grid).
    vary
        Each varied option (by its public name) and its values, in the order given.
    """

    base: Scenario
    footprints: tuple[str, ...]
    vary: tuple[tuple[str, tuple[Any, ...]], ...]

    def __post_init__(self) -> None:
        problems = spec_problems(self.base, self.footprints, self.vary, where=api_where)
        if problems:
            raise ValidationError(problems, context="sweep")

    @property
    def varied(self) -> tuple[str, ...]:
        """The varied options, in order."""
        return tuple(key for key, _values in self.vary)

    def cells(self) -> tuple[list[Cell], list[Cell]]:
        """The grid's cells in order, and the base cells that are not in it.

        Returns
        -------
        tuple of (list of Cell, list of Cell)
            The grid (labels 1, 2, ...), and the bases beside it (``base``, ``base-<k>``).
        """
        grid: list[Cell] = []
        beside: list[Cell] = []
        several = len(self.footprints) > 1
        for k, footprint in enumerate(self.footprints, start=1):
            base = self._cell("", folder="", footprint=footprint, values={})
            base_label = ""
            first = len(grid)
            for combo in itertools.product(*(values for _key, values in self.vary)):
                label = str(len(grid) + 1)
                values = dict(zip(self.varied, combo, strict=True))
                cell = self._cell(
                    label, folder=f"cells/{label}", footprint=footprint, values=values
                )
                if not base_label and cell.scenario is not None and cell.options == base.options:
                    base_label = label
                grid.append(cell)
            if not base_label:
                base_label = f"base-{k}" if several else "base"
                values = {key: base.options[key] for key in self.varied}
                beside.append(
                    replace(base, label=base_label, folder=base_label, values=tuple(values.items()))
                )
            for i in range(first, len(grid)):
                grid[i] = replace(grid[i], base=base_label)
            if beside and beside[-1].footprint == footprint:
                beside[-1] = replace(beside[-1], base=base_label)
        return grid, beside

    def _cell(self, label: str, *, folder: str, footprint: str, values: Mapping[str, Any]) -> Cell:
        """A cell: its scenario, or the reason its values cannot go together."""
        merged = {**self.base.options(), **values}
        floats = {  # 10 and 10.0 are one value: one scenario text, one fingerprint
            k: float(v)
            for k, v in merged.items()
            if k in FLOAT_KEYS and isinstance(v, int) and not isinstance(v, bool)
        }
        given = {**values, **floats, "threads": self.base.threads or 1}
        try:
            scenario = Scenario.from_options(footprint, given, base=self.base)
        except ValidationError as exc:
            options = {**self.base.options(), **given, "footprint": footprint}
            reason = "; ".join(p.text() for p in exc.problems)
            return Cell(label, folder, footprint, tuple(values.items()), options, None, reason, "")
        options = scenario.options()
        shown = tuple((key, options[key]) for key in values)
        return Cell(label, folder, footprint, shown, options, scenario, None, "")

    def to_toml(self, *, relative_to: Path) -> str:
        """The sweep as a scenario file: the base options and the ``[sweep]`` table.

        Parameters
        ----------
        relative_to
            The folder the file is written to (paths are written relative to it).

        Returns
        -------
        str
            TOML text that :func:`read_sweep_file` reads back to this spec.
        """
        head = self.base.to_toml(relative_to=relative_to).split("\n", 1)[1]
        footprints = [
            relative_paths({"footprint": f}, folder=relative_to).get("footprint", f)
            for f in self.footprints
        ]
        vary = ", ".join(
            f"{key} = {_toml_list([_toml_value(key, v, relative_to=relative_to) for v in values])}"
            for key, values in self.vary
        )
        return (
            "# mcp-geo sweep: run it again with `mcp-geo sweep --scenario scenario.toml --out DIR`\n"
            + head
            + f"\n[sweep]\nfootprints = {_toml_list(footprints)}\nvary = {{{vary}}}\n"
        )


def _toml_list(values: Sequence[Any]) -> str:
    """A TOML array on one line (an inline table may not span lines)."""
    import json

    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value)
        return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string

    return "[" + ", ".join(scalar(v) for v in values) + "]"


def _toml_value(key: str, value: Any, *, relative_to: Path) -> Any:
    if value is None and key in UNLIMITED_KEYS:
        return NO_LIMIT
    if key in FLOAT_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return relative_paths({key: value}, folder=relative_to).get(key, value)
    return value


def spec_problems(
    base: Scenario,
    footprints: Sequence[str],
    vary: Sequence[tuple[str, Sequence[Any]]],
    *,
    where: Where,
) -> list[Problem]:
    """What is wrong with the footprints and the varied options (each value checked alone on
    the base, as ``plan`` checks it).

    Parameters
    ----------
    base
        The options given outside ``vary``.
    footprints
        The footprints.
    vary
        Each varied option and its values.
    where
        Names a varied option where it came from (:func:`cli_where`, :func:`api_where`).

    Returns
    -------
    list of Problem
        Every problem found (none: the grid may be planned).
    """
    problems: list[Problem] = []
    if not footprints:
        problems.append(Problem("give at least one footprint", source="footprints"))
    problems += [
        Problem("is given twice", source="footprints", value=f)
        for f in sorted({f for f in footprints if list(footprints).count(f) > 1})
    ]
    if any(f.strip().lower() == "england" for f in footprints):
        problems.append(
            Problem(
                "a sweep plans footprints, not the nation (give ICB codes, icb:QNC,QSL)",
                source="footprints",
                value="england",
            )
        )
    seen: set[str] = set()
    for key, values in vary:
        problems += _vary_problems(base, key, values, where=where, seen=seen)
        seen.add(key)
    named = [
        (key, values) for key, values in vary if not any(p.source == where(key) for p in problems)
    ]
    return problems + _value_problems(base, named, where=where)


def _vary_problems(
    base: Scenario, key: str, values: Sequence[Any], *, where: Where, seen: set[str]
) -> list[Problem]:
    """The problems of one varied option's name and list (its values are checked by
    :func:`_value_problems`)."""
    source = where(key)
    if key in seen:
        return [Problem("is varied twice: give its values once", source=source)]
    if key not in OPTION_KEYS or key in FIXED_KEYS or key in FLAG_KEYS:
        return [Problem(_not_varied(key), source=source)]
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        return [Problem("needs a list of one or more values", source=source, value=values)]
    if any(value is None for value in values):
        return [Problem("a value cannot be left empty", source=source, value=list(values))]
    return []


def _value_problems(
    base: Scenario, vary: Sequence[tuple[str, Sequence[Any]]], *, where: Where
) -> list[Problem]:
    """Each varied value checked as ``plan`` checks it: a value is bad when no cell that holds
    it can be planned (checked alone on the base first; a value that only some combinations
    refuse makes those cells fail, with their reason)."""
    problems = []
    for key, values in vary:
        others = [(k, v) for k, v in vary if k != key]
        normal: list[Any] = []
        for value in values:
            found = _check(base, {key: value})
            if isinstance(found, ValidationError) and not any(
                isinstance(
                    _check(
                        base, {key: value, **dict(zip([k for k, _ in others], combo, strict=True))}
                    ),
                    Scenario,
                )
                for combo in itertools.product(*(v for _k, v in others))
            ):
                problems += [
                    Problem(
                        p.message if p.key in ("", key) else p.text(),
                        source=where(key),
                        value=value,
                    )
                    for p in found.problems
                ]
                continue
            shown = found.options()[key] if isinstance(found, Scenario) else value
            if shown in normal:
                problems.append(Problem("is given twice", source=where(key), value=value))
            normal.append(shown)
    return problems


def _check(base: Scenario, values: Mapping[str, Any]) -> Scenario | ValidationError:
    try:
        return base.with_options(values)
    except ValidationError as exc:
        return exc


def _not_varied(key: str) -> str:
    if key in FLAG_KEYS:
        return "is a flag: give it as a plain option, it takes no values to vary"
    if key in FIXED_KEYS:
        return "cannot be varied (footprints are their own dimension; threads are per cell)"
    import difflib

    allowed = [k for k in OPTION_KEYS if k not in FIXED_KEYS and k not in FLAG_KEYS]
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"not an option to vary; {hint}allowed: {', '.join(allowed)}"


@dataclass(frozen=True)
class SweepFile:
    """A sweep's scenario file, read: the base options, the footprints and the varied values
    (paths made absolute), and where each varied option was found.

    Attributes
    ----------
    name
        The file, as messages name it.
    base
        The file's options (its ``footprint``, or the first of ``[sweep] footprints``).
    footprints
        ``[sweep] footprints``, or the file's ``footprint``.
    vary
        ``[sweep] vary``: each option and its values, in the file's order.
    """

    name: str
    base: Scenario
    footprints: tuple[str, ...]
    vary: tuple[tuple[str, tuple[Any, ...]], ...]

    def where(self, key: str) -> str:
        """A varied option of the file, named: ``FILE, field 'sweep.vary.hub_max'``."""
        return f"{self.name}, field 'sweep.vary.{key}'"


def read_sweep_file(path: str | Path) -> SweepFile:
    """Read a scenario file with (or without) a ``[sweep]`` table (module docstring).

    Parameters
    ----------
    path
        The file; relative paths in it are relative to its folder.

    Returns
    -------
    SweepFile
        The base scenario, the footprints and the varied values (not yet checked: see
        :func:`spec_problems`).

    Raises
    ------
    ValidationError
        The file cannot be read, or a key or value is unknown or bad (each named).
    """
    source = str(path)
    folder = Path(path).absolute().parent
    values = load_toml(path)
    table = values.pop("sweep", {})
    problems: list[Problem] = []
    if not isinstance(table, dict):
        problems.append(Problem("must be a table ([sweep])", source=source, field="sweep"))
        table = {}
    problems += [
        Problem(f"unknown key; allowed: {', '.join(TABLE_KEYS)}", source=source, field=f"sweep.{k}")
        for k in sorted(set(table) - set(TABLE_KEYS))
    ]
    footprints = table.get("footprints", [])
    if not isinstance(footprints, list) or not all(
        isinstance(f, str) and f.strip() for f in footprints
    ):
        problems.append(
            Problem(
                "must be a list of footprints (text)",
                source=source,
                field="sweep.footprints",
                value=footprints,
            )
        )
        footprints = []
    footprints = [
        absolute_paths({"footprint": f}, folder=folder).get("footprint", f) for f in footprints
    ]
    vary = table.get("vary", {})
    if not isinstance(vary, dict):
        problems.append(Problem("must be a table of lists", source=source, field="sweep.vary"))
        vary = {}
    if footprints and "footprint" not in values:
        values["footprint"] = footprints[0]
    try:
        base = scenario_from_values(values, folder=folder, source=source)
    except ValidationError as exc:
        raise ValidationError([*exc.problems, *problems]) from None
    if problems:
        raise ValidationError(problems)
    varied = tuple(
        (
            key,
            tuple(_absolute_value(key, v, folder=folder) for v in given)
            if isinstance(given, list)
            else given,
        )
        for key, given in vary.items()
    )
    return SweepFile(
        name=source, base=base, footprints=tuple(footprints) or (base.footprint,), vary=varied
    )


def _absolute_value(key: str, value: Any, *, folder: Path) -> Any:
    if isinstance(value, str):
        return absolute_paths({key: value}, folder=folder).get(key, value)
    return value
