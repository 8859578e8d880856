"""Scenario files: one TOML file that records a footprint and every option of a run.

The keys are the CLI's option names with underscores (DESIGN.md, "Footprint syntax")::

    footprint = "north-staffs"
    snapshot = "2025-04"
    hub_min = 30000
    hub_max = 50000
    max_km = 15            # or "none" for no limit
    mcp_min = 100000
    mode = "staged"
    engine = "auto"
    gap = 0.0001
    time_limit = 600

Each key has one type: booleans are TOML booleans (``no_mcps = true``, never ``"true"``), numbers
are TOML numbers, the optional limits a number or ``"none"``, the enumerations one of their
words; an unknown key is refused by name. A relative path in the file (a sites file, a
``polygon:`` file, ``roads``) is relative to the file's folder, and ``plan`` writes the scenario
it ran beside its outputs with paths relative to that folder, so any plan can be run again
exactly and a published plan names no one's home folder.

A scenario knows where its values came from only while it is checked: :meth:`Scenario.from_file`
names the file and key, :meth:`Scenario.from_command_line` the option (``--max-km``), and the
constructor the keyword, in every message.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from mcp_geo._errors import Problem, ValidationError

DEFAULT_SNAPSHOT = "2025-04"
NO_LIMIT = "none"


@dataclass(frozen=True)
class Scenario:
    """A footprint and every option of a plan run, with the defaults of DESIGN.md.

    Examples
    --------
    >>> Scenario("north-staffs", hub_min=25_000).hub_max
    50000
    >>> try:
    ...     Scenario("north-staffs", no_mcps="false")
    ... except ValueError as error:
    ...     print(error)
    keyword 'no_mcps': must be true or false, not a string or a number (got 'false')
    """

    footprint: str
    snapshot: str = DEFAULT_SNAPSHOT
    hub_min: int = 30_000
    hub_max: int = 50_000
    hubs: int | None = None
    max_km: float | None = 15.0
    mcp_min: int = 100_000
    mcp_max: int | None = None
    mcps: int | None = None
    mcp_max_km: float | None = None
    no_mcps: bool = False
    objective: Literal["weighted", "distance"] = "weighted"
    engine: Literal["auto", "compact", "columns"] = "auto"
    solver: Literal["highs", "cbc"] = "highs"
    mode: Literal["staged", "joint"] = "staged"
    gap: float = 1e-4
    time_limit: float = 600.0
    threads: int | None = None
    strict: bool = False
    travel: Literal["great-circle", "road"] = "great-circle"
    roads: str | None = None
    metric: Literal["km", "minutes"] = "km"
    max_minutes: float | None = 20.0
    mcp_max_minutes: float | None = None
    circuity: float = 1.0

    def __post_init__(self) -> None:
        values = asdict(self)
        _raise(values, check_values(values), _keyword)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read a scenario TOML file; relative paths in it are relative to its folder.

        Raises
        ------
        ValidationError
            Naming the file and every unknown key or bad value (``scenario.toml, field
            'max_km': ...``).
        """
        return read_scenario(path)

    @classmethod
    def from_command_line(cls, footprint: str, options: Mapping[str, Any]) -> Scenario:
        """The scenario of a command line: FOOTPRINT (or a scenario file) and the options given.

        ``options`` maps keys to the values parsed (``None``: not given, the file's or the
        default value stays; ``"none"``: no limit). Messages name the option (``--max-km``),
        or the scenario file and key for values that came from the file.
        """
        unknown = sorted(set(options) - KNOWN_KEYS)
        if unknown:
            raise ValueError(f"not scenario options: {unknown}")  # a programming error
        given = {k: v for k, v in options.items() if v is not None}
        for key in UNLIMITED_KEYS:
            if isinstance(given.get(key), str) and given[key].strip().lower() == NO_LIMIT:
                given[key] = None
        if footprint.strip().lower().endswith(".toml"):
            base = asdict(read_scenario(footprint))
            file_name = footprint
        else:
            base = {"footprint": footprint}
            file_name = None

        def where(key: str) -> Problem:
            if key in given or file_name is None or key not in base:
                return Problem("", source="FOOTPRINT" if key == "footprint" else _option(key))
            return Problem("", source=file_name, field=key)

        values = {**_defaults(), **base, **given}
        _raise(values, check_values(values), where)
        return cls(**values)

    def to_toml(self, *, relative_to: str | Path | None = None) -> str:
        """The scenario as TOML text (options at their defaults are written too).

        With ``relative_to`` (the folder the file is written to), file paths are written relative
        to that folder, as :meth:`from_file` reads them.
        """
        import tomli_w

        values: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in TRAVEL_DEFAULTS and self.travel == "great-circle" and self.circuity == 1.0:
                continue  # great-circle plans write the files they wrote before road travel
            if key in UNLIMITED_KEYS and value is None:
                values[key] = NO_LIMIT
            elif value is not None:
                values[key] = value
        if relative_to is not None:
            values.update(_map_paths(values, lambda p: _relative(p, Path(relative_to))))
        return (
            "# mcp-geo scenario: run it again with `mcp-geo plan scenario.toml --out DIR`\n"
            + tomli_w.dumps(values)
        )

    def report_dict(self) -> dict[str, Any]:
        """Every option, for report.json (``None`` where unset or unlimited)."""
        values = asdict(self)
        if self.travel == "great-circle" and self.circuity == 1.0:
            values = {k: v for k, v in values.items() if k not in TRAVEL_DEFAULTS}
        return values

    def with_options(self, **changes: Any) -> Scenario:
        """A copy with the given options replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


KNOWN_KEYS = frozenset(f.name for f in fields(Scenario))
UNLIMITED_KEYS = ("max_km", "mcp_max_km", "max_minutes", "mcp_max_minutes")
TRAVEL_DEFAULTS = ("travel", "roads", "metric", "max_minutes", "mcp_max_minutes", "circuity")
CHOICES: dict[str, tuple[str, ...]] = {
    "objective": ("weighted", "distance"),
    "engine": ("auto", "compact", "columns"),
    "solver": ("highs", "cbc"),
    "mode": ("staged", "joint"),
    "travel": ("great-circle", "road"),
    "metric": ("km", "minutes"),
}
"""The keys that take one word of a set, and the set."""
_BOOLEANS = ("no_mcps", "strict")
_PATIENTS = ("hub_min", "hub_max", "mcp_min")
_COUNTS = ("hubs", "mcps", "mcp_max", "threads")
_LIMIT_UNITS = {
    "max_km": "a distance in km",
    "mcp_max_km": "a distance in km",
    "max_minutes": "minutes",
    "mcp_max_minutes": "minutes",
}

# ---------------------------------------------------------------- checks


def _defaults() -> dict[str, Any]:
    return {f.name: f.default for f in fields(Scenario) if f.default is not MISSING}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_values(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a complete set of scenario values, as (key, what is allowed).

    Types are checked strictly: a string is never a number or a boolean, a boolean never a
    number, ``nan`` and ``inf`` are refused.
    """
    bad: list[tuple[str, str]] = []
    v = values
    footprint = v["footprint"]
    if not isinstance(footprint, str) or not footprint.strip():
        bad.append(("footprint", "a footprint name or spec is required"))
    snapshot = v["snapshot"]
    from mcp_geo.practices.snapshots import SNAPSHOTS

    if not isinstance(snapshot, str) or snapshot not in SNAPSHOTS:
        bad.append(("snapshot", f"must be {_words(tuple(SNAPSHOTS))}"))
    for key in _PATIENTS:
        if not _is_int(v[key]) or v[key] < 0:
            bad.append((key, "must be a whole number of patients >= 0"))
    for key in _COUNTS:
        if v[key] is not None and (not _is_int(v[key]) or v[key] < 1):
            bad.append((key, "must be a whole number >= 1, or left out"))
    if _is_int(v["hub_min"]) and _is_int(v["hub_max"]) and v["hub_max"] < max(v["hub_min"], 1):
        bad.append(("hub_max", f"must be >= hub_min ({v['hub_min']}) and >= 1"))
    if _is_int(v["mcp_max"]) and _is_int(v["mcp_min"]) and v["mcp_max"] < v["mcp_min"]:
        bad.append(("mcp_max", f"must be >= mcp_min ({v['mcp_min']})"))
    for key, unit in _LIMIT_UNITS.items():
        if v[key] is not None and (not _is_number(v[key]) or v[key] <= 0):
            bad.append((key, f"must be {unit} > 0, or none for no limit"))
    for key in _BOOLEANS:
        if not isinstance(v[key], bool):
            bad.append((key, "must be true or false, not a string or a number"))
    for key, words in CHOICES.items():
        if not isinstance(v[key], str) or v[key] not in words:
            bad.append((key, f"must be {_words(words)}"))
    if not _is_number(v["gap"]) or not 0 <= v["gap"] < 1:
        bad.append(("gap", "must be a fraction in [0, 1) (0.0001 = 0.01%)"))
    if not _is_number(v["time_limit"]) or v["time_limit"] <= 0:
        bad.append(("time_limit", "must be seconds > 0"))
    roads = v["roads"]
    if roads is not None and not (isinstance(roads, str) and roads.strip()):
        bad.append(("roads", "must be the path of a road network file"))
    elif v["travel"] == "road" and roads is None:
        bad.append(("roads", "travel 'road' needs a road network file (--roads FILE)"))
    elif v["travel"] == "great-circle" and roads is not None:
        bad.append(("roads", "a road network file needs travel 'road' (--travel road)"))
    if v["metric"] == "minutes" and v["travel"] != "road":
        bad.append(("metric", "drive minutes need travel 'road' (--travel road --roads FILE)"))
    if not _is_number(v["circuity"]) or v["circuity"] < 1:
        bad.append(("circuity", "must be a factor >= 1"))
    elif v["circuity"] != 1 and v["travel"] == "road":
        bad.append(("circuity", "applies to great-circle travel only"))
    return bad


def _words(words: tuple[str, ...]) -> str:
    quoted = [repr(w) for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _keyword(key: str) -> Problem:
    return Problem("", source=f"keyword {key!r}")


def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


def _raise(
    values: Mapping[str, Any], bad: list[tuple[str, str]], where: Callable[[str], Problem]
) -> None:
    """Raise one ValidationError naming each key where it came from, with its value."""
    if bad:
        raise ValidationError(
            [replace(where(key), message=allowed, value=values.get(key)) for key, allowed in bad]
        )


# ---------------------------------------------------------------- paths


def _path_keys(values: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The path-like values: key -> (prefix, path), for a sites file, polygon: and roads."""
    out: dict[str, tuple[str, str]] = {}
    footprint = values.get("footprint")
    if isinstance(footprint, str):
        text = footprint.strip()
        prefix, sep, rest = text.partition(":")
        if sep and prefix.strip().lower() == "polygon" and rest.strip():
            out["footprint"] = ("polygon:", rest.strip())
        elif text.lower().endswith((".csv", ".toml")):
            out["footprint"] = ("", text)
    roads = values.get("roads")
    if isinstance(roads, str) and roads.strip():
        out["roads"] = ("", roads.strip())
    return out


def _map_paths(values: Mapping[str, Any], change: Callable[[str], str]) -> dict[str, str]:
    return {key: prefix + change(path) for key, (prefix, path) in _path_keys(values).items()}


def _absolute(path: str, folder: Path) -> str:
    return os.path.normpath(os.path.join(folder, os.path.expanduser(path)))


def _relative(path: str, folder: Path) -> str:
    full = os.path.abspath(os.path.expanduser(path))
    try:
        return Path(os.path.relpath(full, os.path.abspath(folder))).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return full


# ---------------------------------------------------------------- files


def scenario_from_mapping(values: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
    """Build a scenario from parsed TOML values, naming ``source`` and every bad key or value."""
    problems = []
    for key in sorted(set(values) - KNOWN_KEYS):
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            Problem(
                f"unknown key; {hint}allowed: {', '.join(sorted(KNOWN_KEYS))}",
                source=source,
                field=key,
            )
        )
    if "footprint" not in values:
        problems.append(Problem("the key 'footprint' is required", source=source))
    cleaned = {k: v for k, v in values.items() if k in KNOWN_KEYS}
    for key in UNLIMITED_KEYS:
        if isinstance(cleaned.get(key), str) and cleaned[key].strip().lower() == NO_LIMIT:
            cleaned[key] = None
    merged = {**_defaults(), "footprint": "", **cleaned}
    bad = [(k, a) for k, a in check_values(merged) if k != "footprint" or "footprint" in values]
    footprint = merged["footprint"]
    if isinstance(footprint, str) and footprint.strip().lower().endswith(".toml"):
        bad.append(("footprint", "a scenario file cannot name another scenario file"))
    problems += [Problem(a, source=source, field=k, value=merged[k]) for k, a in bad]
    if problems:
        raise ValidationError(problems)
    return Scenario(**merged)


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file; relative paths in it are relative to the file's folder."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError([Problem("scenario file not found", source=str(path))]) from None
    except IsADirectoryError:
        raise ValidationError(
            [Problem("is a folder, not a scenario file", source=str(path))]
        ) from None
    except OSError as exc:
        raise ValidationError(
            [Problem(f"cannot be read: {exc.strerror}", source=str(path))]
        ) from None
    try:
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else None
        values = tomllib.loads(text if text is not None else data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError(
            [Problem("is not a text file (not UTF-8 or UTF-16)", source=str(path))]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            [Problem(f"not a valid TOML file: {exc}", source=str(path))]
        ) from None
    folder = path.absolute().parent
    values.update(_map_paths(values, lambda p: _absolute(p, folder)))
    return scenario_from_mapping(values, source=str(path))
