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

``plan`` writes the scenario it ran beside its outputs, so any plan can be run again exactly.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from mcp_geo._errors import Problem, ValidationError

DEFAULT_SNAPSHOT = "2025-04"


@dataclass(frozen=True)
class Scenario:
    """A footprint and every option of a plan run, with the defaults of DESIGN.md."""

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
        problems: list[Problem] = []

        def bad(name: str, allowed: str) -> None:
            problems.append(
                Problem(allowed, source="scenario", field=name, value=getattr(self, name))
            )

        if not isinstance(self.footprint, str) or not self.footprint.strip():
            bad("footprint", "a footprint name or spec is required")
        for name in ("hub_min", "hub_max", "mcp_min"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                bad(name, "must be a whole number of patients >= 0")
        for name in ("hubs", "mcps", "mcp_max", "threads"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                bad(name, "must be a whole number >= 1, or left out")
        if (
            isinstance(self.hub_min, int)
            and isinstance(self.hub_max, int)
            and self.hub_max < max(self.hub_min, 1)
        ):
            bad("hub_max", f"must be >= hub_min ({self.hub_min}) and >= 1")
        if (
            isinstance(self.mcp_max, int)
            and isinstance(self.mcp_min, int)
            and self.mcp_max < self.mcp_min
        ):
            bad("mcp_max", f"must be >= mcp_min ({self.mcp_min})")
        for name in ("max_km", "mcp_max_km"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                bad(name, "must be a distance in km > 0, or none for no limit")
        if self.objective not in ("weighted", "distance"):
            bad("objective", "must be 'weighted' or 'distance'")
        if self.engine not in ("auto", "compact", "columns"):
            bad("engine", "must be 'auto', 'compact' or 'columns'")
        if self.solver not in ("highs", "cbc"):
            bad("solver", "must be 'highs' or 'cbc'")
        if self.mode not in ("staged", "joint"):
            bad("mode", "must be 'staged' or 'joint'")
        if (
            isinstance(self.gap, bool)
            or not isinstance(self.gap, int | float)
            or not 0 <= self.gap < 1
        ):
            bad("gap", "must be a fraction in [0, 1) (0.0001 = 0.01%)")
        if (
            isinstance(self.time_limit, bool)
            or not isinstance(self.time_limit, int | float)
            or self.time_limit <= 0
        ):
            bad("time_limit", "must be seconds > 0")
        _check_travel(self, bad)
        if problems:
            raise ValidationError(problems, context="scenario")

    def to_toml(self) -> str:
        """The scenario as TOML text (options at their defaults are written too)."""
        import tomli_w

        values: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in TRAVEL_DEFAULTS and self.travel == "great-circle" and self.circuity == 1.0:
                continue  # great-circle plans write the files they wrote before road travel
            if key in UNLIMITED_KEYS and value is None:
                values[key] = "none"
            elif value is not None:
                values[key] = value
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


_KNOWN = {f.name for f in fields(Scenario)}
UNLIMITED_KEYS = ("max_km", "mcp_max_km", "max_minutes", "mcp_max_minutes")
TRAVEL_DEFAULTS = ("travel", "roads", "metric", "max_minutes", "mcp_max_minutes", "circuity")


def _check_travel(s: Scenario, bad: Any) -> None:
    """The travel options: great-circle (with circuity) or a road network (km or drive minutes)."""
    if s.travel not in ("great-circle", "road"):
        bad("travel", "must be 'great-circle' or 'road'")
    if s.travel == "road" and not (isinstance(s.roads, str) and s.roads.strip()):
        bad("roads", "travel 'road' needs a road network file (--roads FILE)")
    if s.travel == "great-circle" and s.roads is not None:
        bad("roads", "a road network file needs travel 'road' (--travel road)")
    if s.metric not in ("km", "minutes"):
        bad("metric", "must be 'km' or 'minutes'")
    elif s.metric == "minutes" and s.travel != "road":
        bad("metric", "drive minutes need travel 'road' (--travel road --roads FILE)")
    for name in ("max_minutes", "mcp_max_minutes"):
        value = getattr(s, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            bad(name, "must be minutes > 0, or none for no limit")
    if isinstance(s.circuity, bool) or not isinstance(s.circuity, int | float) or s.circuity < 1:
        bad("circuity", "must be a factor >= 1")
    elif s.circuity != 1 and s.travel == "road":
        bad("circuity", "applies to great-circle travel only")


def scenario_from_mapping(values: dict[str, Any], *, source: str = "scenario") -> Scenario:
    """Build a scenario from parsed TOML values, naming every unknown key or bad value."""
    unknown = sorted(set(values) - _KNOWN)
    if unknown:
        raise ValidationError(
            [
                Problem(
                    f"unknown key; allowed: {', '.join(sorted(_KNOWN))}", source=source, field=k
                )
                for k in unknown
            ]
        )
    cleaned = dict(values)
    for key in UNLIMITED_KEYS:
        if isinstance(cleaned.get(key), str) and cleaned[key].lower() == "none":
            cleaned[key] = None
    if "footprint" not in cleaned:
        raise ValidationError([Problem("the key 'footprint' is required", source=source)])
    try:
        return Scenario(**cleaned)
    except ValidationError as exc:
        raise ValidationError(exc.problems, context=source) from None


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValidationError([Problem("scenario file not found", source=str(path))]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            [Problem(f"not a valid TOML file: {exc}", source=str(path))]
        ) from None
    return scenario_from_mapping(values, source=str(path))
