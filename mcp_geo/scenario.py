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

A :class:`Scenario` is composed of the objects that define those options once, with their
defaults and checks: :class:`~mcp_geo.solvers.rules.HubRule`,
:class:`~mcp_geo.solvers.rules.McpRule`, :class:`~mcp_geo.solvers.rules.SolveOptions` and
:class:`~mcp_geo.boundaries.travel.TravelOptions`; it adds the footprint, the snapshot, the
mode and ``no_mcps``. Its flat properties (``scenario.hub_min``) read through to them.

Each key has one type: booleans are TOML booleans (``no_mcps = true``, never ``"true"``), numbers
are TOML numbers, the optional limits a number or ``"none"``, the enumerations one of their
words; an unknown key is refused by name, with the closest known key. A relative path in the
file (a sites file, a ``polygon:`` file, ``roads``, ``bases``, a ``reference`` plan folder) is relative to the file's folder, and
``plan`` writes the scenario it ran beside its outputs with paths relative to that folder, so
any plan can be run again exactly and a published plan names no one's home folder.

A scenario knows where its values came from only while it is checked: :meth:`Scenario.from_file`
names the file and key, :meth:`Scenario.from_command_line` the option (``--max-km``), and
:meth:`Scenario.from_options` (the Python API) the keyword, in every message.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp_geo._errors import (
    Check,
    Problem,
    ValidationError,
    check_choice,
    check_flag,
    cli_name,
    words,
)
from mcp_geo._scenario_files import PCN_REFERENCE, absolute_paths, load_toml, relative_paths
from mcp_geo.boundaries.travel import TravelOptions
from mcp_geo.solvers.rules import HubRule, McpRule, SolveOptions

DEFAULT_SNAPSHOT = "2025-04"
NO_LIMIT = "none"
Mode = Literal["staged"]
MODES: tuple[Mode, ...] = ("staged",)
REMOVED_MODES = {
    "joint": "joint mode was removed: it proved no plan of a real footprint (north-staffs: "
    "44.8% gap at 60 s; staffs-shropshire: no plan at all in 300 s); plan in staged mode "
    "(README: Why there is no joint mode)",
}
"""Modes of earlier versions, each with why it went (a scenario that asks for one is refused;
a plan folder planned in one still reads: :func:`mcp_geo.plans.read.read_plan`)."""

KEYS: tuple[str, ...] = (
    "footprint", "snapshot", "hub_min", "hub_max", "hubs", "max_km", "mcp_min", "mcp_max",
    "mcps", "mcp_max_km", "no_mcps", "objective", "engine", "solver", "mode", "gap",
    "time_limit", "threads", "strict", "hubs_within", "mcps_within", "travel", "roads",
    "metric", "max_minutes", "mcp_max_minutes", "circuity", "base_min_patients",
    "mcp_base_min_patients", "bases", "reference", "minimise", "whole", "travel_slack",
    "alternatives",
)  # fmt: skip
"""Every scenario key, in the order scenario.toml and report.json write them."""
KNOWN_KEYS = frozenset(KEYS)
OPTION_KEYS: tuple[str, ...] = KEYS[1:]
"""The keys besides the footprint: the options of ``plan`` and of :func:`mcp_geo.plan`."""
UNLIMITED_KEYS = ("max_km", "mcp_max_km", "max_minutes", "mcp_max_minutes")
TRAVEL_KEYS = ("travel", "roads", "metric", "max_minutes", "mcp_max_minutes", "circuity")
"""Keys a plain great-circle plan leaves out of its files (as before road travel existed)."""
BASE_KEYS = ("base_min_patients", "mcp_base_min_patients", "bases")
"""Keys a plan without base rules leaves out of its files (as before they existed)."""
WITHIN_KEYS = ("hubs_within", "mcps_within")
"""The area rules: report.json leaves them out when unset (as before they existed)."""
REFERENCE_KEYS = ("reference", "minimise", "whole", "travel_slack")
"""Planning from a reference grouping (DESIGN.md "Reference grouping and moves"): a plan without
a reference leaves these keys out of its files (as before they existed), and one with a
reference leaves out ``travel_slack`` when unset."""

_PARTS: tuple[tuple[str, type], ...] = (
    ("hub_rule", HubRule),
    ("mcp_rule", McpRule),
    ("solve", SolveOptions),
    ("travel_options", TravelOptions),
)
_PART_KEYS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _PARTS}
_HIDDEN = frozenset({"seed"})  # options of the parts that are not scenario keys
_OWN_KEYS = ("footprint", "snapshot", "no_mcps", "mode")


@dataclass(frozen=True)
class Scenario:
    """A footprint and every option of a plan run, with the defaults of DESIGN.md.

    Build one from keywords with :meth:`from_options`, from a file with :meth:`from_file`.

    Examples
    --------
    >>> Scenario.from_options("north-staffs", {"hub_min": 25_000}).hub_max
    50000
    >>> Scenario("north-staffs", hub_rule=HubRule(hub_min=25_000)).hub_min
    25000
    >>> try:
    ...     Scenario.from_options("north-staffs", {"no_mcps": "false"})
    ... except ValueError as error:
    ...     print(error)
    keyword 'no_mcps': must be true or false, not a string or a number (got 'false')
    """

    footprint: str
    snapshot: str = DEFAULT_SNAPSHOT
    hub_rule: HubRule = field(default_factory=HubRule)
    mcp_rule: McpRule = field(default_factory=McpRule)
    no_mcps: bool = False
    mode: Mode = "staged"
    solve: SolveOptions = field(default_factory=SolveOptions)
    travel_options: TravelOptions = field(default_factory=TravelOptions)

    def __post_init__(self) -> None:
        _raise(self.options(), self._problems(), _keyword)

    def _problems(self) -> list[Check]:
        bad = _own_problems({key: getattr(self, key) for key in _OWN_KEYS})
        for name, cls in _PARTS:
            if not isinstance(getattr(self, name), cls):
                bad.append((name, f"must be a {cls.__name__}"))
        if not bad:
            for key in ("objective", "strict"):
                if getattr(self.hub_rule, key) != getattr(self.mcp_rule, key):
                    bad.append((key, "the hub and MCP rules of a scenario share one value"))
            if self.hub_rule.bases is not None:
                if self.travel != "great-circle":
                    bad.append(
                        ("bases", "needs travel 'great-circle' (road travel to sites: to do)")
                    )
                if self.hub_rule.hubs is not None:
                    bad.append(("hubs", "a hub count (N or fewest) with bases: not supported yet"))
                for key in WITHIN_KEYS:
                    if self.options()[key] is not None:
                        bad.append((key, "cannot be combined with bases yet (sites have no area)"))
                if self.mcp_rule.mcp_base_min_patients is not None:
                    bad.append(
                        (
                            "mcp_base_min_patients",
                            "cannot be combined with bases (sites have no patients)",
                        )
                    )
            bad += _within_problems(self)
            if self.reference is None and self.minimise != "patients":
                bad.append(
                    ("minimise", "needs a reference (reference='pcn' or an earlier plan's folder)")
                )
            bad += _alternatives_problems(self)
        return bad

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_options(
        cls,
        footprint: str,
        options: Mapping[str, Any] | None = None,
        *,
        base: Scenario | None = None,
    ) -> Scenario:
        """The scenario of ``footprint`` and the options given by their public names.

        ``footprint`` may be a scenario file: its values are the base, the options given
        override them. ``options`` maps keys (``hub_min``, ``max_km``, ...) to values; ``None`` (or a key left
        out) keeps the value of ``base``, or the default. ``"none"`` means no limit for the
        distance limits. Problems name the keyword; an unknown keyword names the closest known
        one.

        Raises
        ------
        ValidationError
            Every unknown keyword and every bad value, each named.
        """
        given = _given(options or {}, where=lambda key: f"keyword {key!r}")
        if footprint.strip().lower().endswith(".toml"):
            base = read_scenario(footprint)
            footprint = base.footprint
        values = {**(base.options() if base is not None else {}), **given, "footprint": footprint}
        return _build(values, _keyword)

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
    def from_command_line(
        cls,
        footprint: str,
        options: Mapping[str, Any],
        *,
        file: tuple[str, Scenario] | None = None,
    ) -> Scenario:
        """The scenario of a command line: FOOTPRINT (or a scenario file) and the options given.

        ``options`` maps keys to the values parsed (``None``: not given, the file's or the
        default value stays; ``"none"``: no limit). Messages name the option (``--max-km``),
        or the scenario file and key for values that came from the file. ``file`` is a
        scenario file already read (its name and scenario; ``sweep --scenario``), the base
        of FOOTPRINT and the options.
        """
        unknown = sorted(set(options) - KNOWN_KEYS)
        if unknown:
            raise ValueError(f"not scenario options: {unknown}")  # a programming error
        given = _given(options, where=cli_name)
        file_name: str | None
        if file is not None:
            file_name, base = file[0], {**file[1].options(), "footprint": footprint}
        elif footprint.strip().lower().endswith(".toml"):
            base = read_scenario(footprint).options()
            file_name = footprint
        else:
            base = {"footprint": footprint}
            file_name = None

        def where(key: str) -> Problem:
            if key in given or file_name is None or key not in base:
                return Problem("", source="FOOTPRINT" if key == "footprint" else cli_name(key))
            return Problem("", source=file_name, field=key)

        return _build({**base, **given}, where)

    def with_options(self, options: Mapping[str, Any]) -> Scenario:
        """A copy with the given keys (``footprint`` too) changed; ``None`` keeps a value."""
        rest = {k: v for k, v in options.items() if k != "footprint"}
        return Scenario.from_options(options.get("footprint") or self.footprint, rest, base=self)

    # ------------------------------------------------------------ views

    def options(self) -> dict[str, Any]:
        """Every key and its value, in :data:`KEYS` order (None where unset or unlimited)."""
        values: dict[str, Any] = {"footprint": self.footprint, "snapshot": self.snapshot}
        for name, _cls in _PARTS:
            part = getattr(self, name)
            values.update({k: getattr(part, k) for k in _PART_KEYS[name] if k not in _HIDDEN})
        values.update(no_mcps=self.no_mcps, mode=self.mode)
        return {key: values[key] for key in KEYS}

    def to_toml(self, *, relative_to: str | Path | None = None) -> str:
        """The scenario as TOML text (options at their defaults are written too).

        With ``relative_to`` (the folder the file is written to), file paths are written relative
        to that folder, as :meth:`from_file` reads them.
        """
        import tomli_w

        values: dict[str, Any] = {}
        for key, value in self.report_dict().items():
            if key in UNLIMITED_KEYS and value is None:
                values[key] = NO_LIMIT
            elif value is not None:
                values[key] = value
        if relative_to is not None:
            values.update(relative_paths(values, folder=Path(relative_to)))
        return (
            "# mcp-geo scenario: run it again with `mcp-geo plan scenario.toml --out DIR`\n"
            + tomli_w.dumps(values)
        )

    def report_dict(self) -> dict[str, Any]:
        """Every option, for report.json (``None`` where unset or unlimited); a plain
        great-circle plan leaves the travel keys out, a plan without base or area rules their
        keys."""
        values = self.options()
        if self.travel_options.is_default:
            values = {k: v for k, v in values.items() if k not in TRAVEL_KEYS}
        if self.reference is None:
            kept = ("travel_slack",) if self.alternatives else ()
            values = {k: v for k, v in values.items() if k not in REFERENCE_KEYS or k in kept}
        if not self.alternatives:  # left out unless asked for (as before they existed)
            values.pop("alternatives")
        optional = (*BASE_KEYS, *WITHIN_KEYS, "travel_slack")
        return {k: v for k, v in values.items() if k not in optional or v is not None}

    @property
    def reference_is_pcn(self) -> bool:
        """True when the reference grouping is today's PCNs (``reference = "pcn"``)."""
        ref = self.reference
        return isinstance(ref, str) and ref.strip().lower() == PCN_REFERENCE

    # ------------------------------------------------------------ flat properties

    hub_min = property(lambda self: self.hub_rule.hub_min, doc="HubRule.hub_min")
    hub_max = property(lambda self: self.hub_rule.hub_max, doc="HubRule.hub_max")
    hubs = property(lambda self: self.hub_rule.hubs, doc="HubRule.hubs")
    max_km = property(lambda self: self.hub_rule.max_km, doc="HubRule.max_km")
    max_minutes = property(lambda self: self.hub_rule.max_minutes, doc="HubRule.max_minutes")
    objective = property(lambda self: self.hub_rule.objective, doc="HubRule.objective")
    strict = property(lambda self: self.hub_rule.strict, doc="HubRule.strict")
    hubs_within = property(lambda self: self.hub_rule.hubs_within, doc="HubRule.hubs_within")
    mcps_within = property(lambda self: self.mcp_rule.mcps_within, doc="McpRule.mcps_within")
    base_min_patients = property(
        lambda self: self.hub_rule.base_min_patients, doc="HubRule.base_min_patients"
    )
    mcp_base_min_patients = property(
        lambda self: self.mcp_rule.mcp_base_min_patients, doc="McpRule.mcp_base_min_patients"
    )
    bases = property(lambda self: self.hub_rule.bases, doc="HubRule.bases")
    reference = property(lambda self: self.hub_rule.reference, doc="HubRule.reference")
    minimise = property(lambda self: self.hub_rule.minimise, doc="HubRule.minimise")
    whole = property(lambda self: self.hub_rule.whole, doc="HubRule.whole")
    travel_slack = property(lambda self: self.hub_rule.travel_slack, doc="HubRule.travel_slack")
    alternatives = property(lambda self: self.hub_rule.alternatives, doc="HubRule.alternatives")
    mcp_min = property(lambda self: self.mcp_rule.mcp_min, doc="McpRule.mcp_min")
    mcp_max = property(lambda self: self.mcp_rule.mcp_max, doc="McpRule.mcp_max")
    mcps = property(lambda self: self.mcp_rule.mcps, doc="McpRule.mcps")
    mcp_max_km = property(lambda self: self.mcp_rule.mcp_max_km, doc="McpRule.mcp_max_km")
    mcp_max_minutes = property(
        lambda self: self.mcp_rule.mcp_max_minutes, doc="McpRule.mcp_max_minutes"
    )
    engine = property(lambda self: self.solve.engine, doc="SolveOptions.engine")
    solver = property(lambda self: self.solve.solver, doc="SolveOptions.solver")
    gap = property(lambda self: self.solve.gap, doc="SolveOptions.gap")
    time_limit = property(lambda self: self.solve.time_limit, doc="SolveOptions.time_limit")
    threads = property(lambda self: self.solve.threads, doc="SolveOptions.threads")
    travel = property(lambda self: self.travel_options.travel, doc="TravelOptions.travel")
    roads = property(lambda self: self.travel_options.roads, doc="TravelOptions.roads")
    metric = property(lambda self: self.travel_options.metric, doc="TravelOptions.metric")
    circuity = property(lambda self: self.travel_options.circuity, doc="TravelOptions.circuity")


# ---------------------------------------------------------------- building and checking


def _given(options: Mapping[str, Any], *, where: Callable[[str], str]) -> dict[str, Any]:
    """The options given (None dropped, ``"none"`` limits as None); unknown keys refused."""
    unknown = sorted(set(options) - KNOWN_KEYS)
    if unknown:
        raise ValidationError([_unknown(key, source=where(key)) for key in unknown])
    given = {k: v for k, v in options.items() if v is not None}
    for key in UNLIMITED_KEYS:
        if isinstance(given.get(key), str) and given[key].strip().lower() == NO_LIMIT:
            given[key] = None
    return given


def _unknown(key: str, *, source: str, field_name: str = "") -> Problem:
    close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        f"unknown key; {hint}allowed: {', '.join(sorted(KNOWN_KEYS))}",
        source=source,
        field=field_name,
    )


def _build(values: Mapping[str, Any], where: Callable[[str], Problem]) -> Scenario:
    """A scenario from flat values (missing keys take their defaults), every problem named."""
    bad: list[tuple[str, str, object]] = []
    parts: dict[str, Any] = {}
    for name, cls in _PARTS:
        kwargs = {k: values[k] for k in _PART_KEYS[name] if k in values}
        try:
            parts[name] = cls(**kwargs)
        except ValidationError as exc:
            bad += [(p.key, p.message, p.value) for p in exc.problems]
    own = {k: values[k] for k in _OWN_KEYS if k in values}
    if not bad:
        try:
            return Scenario(**own, **parts)
        except ValidationError as exc:
            bad += [(p.key, p.message, p.value) for p in exc.problems]
    else:  # the parts failed: check the scenario's own keys too, to name every problem
        own_values = {**_OWN_DEFAULTS, **own}
        bad += [(k, a, own_values[k]) for k, a in _own_problems(own_values)]
    seen: set[tuple[str, str]] = set()
    problems = []
    for key, message, value in bad:
        if (key, message) not in seen:  # objective and strict are checked by both rules
            seen.add((key, message))
            problems.append(dataclasses.replace(where(key), message=message, value=value, key=key))
    raise ValidationError(problems)


_OWN_DEFAULTS = {"footprint": "", "snapshot": DEFAULT_SNAPSHOT, "no_mcps": False, "mode": "staged"}


def _own_problems(values: Mapping[str, Any]) -> list[Check]:
    """Problems of the keys a scenario holds itself: footprint, snapshot, no_mcps, mode."""
    from mcp_geo.practices.snapshots import SNAPSHOTS

    bad: list[Check] = []
    footprint = values["footprint"]
    if not isinstance(footprint, str) or not footprint.strip():
        bad.append(("footprint", "a footprint name or spec is required"))
    snapshot = values["snapshot"]
    if not isinstance(snapshot, str) or snapshot not in SNAPSHOTS:
        bad.append(("snapshot", f"must be {words(tuple(SNAPSHOTS))}"))
    check_flag(bad, "no_mcps", values["no_mcps"])
    if isinstance(values["mode"], str) and values["mode"] in REMOVED_MODES:
        bad.append(("mode", REMOVED_MODES[values["mode"]]))
    else:
        check_choice(bad, "mode", values["mode"], choices=MODES)
    return bad


def _within_problems(scenario: Scenario) -> list[Check]:
    """The area rules against the data and each other (DESIGN.md "Area rules").

    A level must be one the snapshot holds (a sites file's areas are the shipped outlines':
    ``sub-icb``, ``icb``, ``ccg19``); with both rules, the hubs' level must be the MCPs' or one
    that nests in it, since a hub that crossed an MCP area could be in no MCP; ``mcps_within``
    needs MCPs.
    """
    from mcp_geo.practices.snapshots import SNAPSHOTS
    from mcp_geo.solvers.areas import ERA_LEVELS, NESTS_IN, nests

    bad: list[Check] = []
    hubs, mcps = scenario.hubs_within, scenario.mcps_within
    if scenario.footprint.strip().lower().endswith(".csv"):
        levels, holder = ERA_LEVELS["sites"], "a sites file's areas (the shipped outlines) are"
    else:
        levels = ERA_LEVELS[SNAPSHOTS[scenario.snapshot].era]
        holder = f"the {scenario.snapshot} snapshot holds"
    for key, level in (("hubs_within", hubs), ("mcps_within", mcps)):
        if level is not None and level not in levels:
            bad.append((key, f"must be a level {holder}: {words(levels)}"))
    if hubs is not None and mcps is not None and not bad and not nests(hubs, mcps):
        finer = [inner for inner, outer in NESTS_IN.items() if outer == mcps]
        allowed = words((mcps, *finer))
        bad.append(
            (
                "hubs_within",
                f"must be {allowed} (the MCPs' area level {mcps!r}, or one within it): a hub "
                "that crossed an MCP's area could be in no MCP",
            )
        )
    if mcps is not None and scenario.no_mcps:
        bad.append(("mcps_within", "needs an MCP level: it cannot go with no MCPs"))
    return bad


def _alternatives_problems(scenario: Scenario) -> list[Check]:
    """``alternatives`` plans one footprint (not england)."""
    if not scenario.alternatives:
        return []
    bad: list[Check] = []
    if scenario.footprint.strip().lower() == "england":
        bad.append(("alternatives", "plans one footprint at a time: not with england"))
    return bad


def _keyword(key: str) -> Problem:
    return Problem("", source=f"keyword {key!r}")


def _raise(values: Mapping[str, Any], bad: list[Check], where: Callable[[str], Problem]) -> None:
    """Raise one ValidationError naming each key where it came from, with its value."""
    if bad:
        raise ValidationError(
            [
                dataclasses.replace(where(key), message=allowed, value=values.get(key), key=key)
                for key, allowed in bad
            ]
        )


# ---------------------------------------------------------------- files


def _from_file_values(values: Mapping[str, Any], *, source: str) -> Scenario:
    """Build a scenario from parsed TOML values, naming ``source`` and every bad key or value."""
    problems = [
        _unknown(key, source=source, field_name=key) for key in sorted(set(values) - KNOWN_KEYS)
    ]
    if "footprint" not in values:
        problems.append(Problem("the key 'footprint' is required", source=source))
    footprint = values.get("footprint", "")
    if isinstance(footprint, str) and footprint.strip().lower().endswith(".toml"):
        problems.append(
            Problem(
                "a scenario file cannot name another scenario file",
                source=source,
                field="footprint",
                value=footprint,
            )
        )
    known = {k: v for k, v in values.items() if k in KNOWN_KEYS}
    cleaned = _given(known, where=str)
    cleaned.setdefault("footprint", "")

    def where(key: str) -> Problem:
        return Problem("", source=source, field=key)

    try:
        scenario = _build(cleaned, where)
    except ValidationError as exc:
        problems += [p for p in exc.problems if p.key != "footprint" or "footprint" in values]
    if problems:
        raise ValidationError(problems)
    return scenario


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file; relative paths in it are relative to the file's folder."""
    values = load_toml(path)
    return scenario_from_values(values, folder=Path(path).absolute().parent, source=str(path))


def scenario_from_values(values: dict[str, Any], *, folder: Path, source: str) -> Scenario:
    """The scenario of a scenario file's values (:func:`load_toml`), its relative paths taken
    from ``folder``; problems name ``source`` and the key.

    Parameters
    ----------
    values
        The file's keys and values (changed in place: paths made absolute).
    folder
        The file's folder.
    source
        The file, as messages name it.

    Returns
    -------
    Scenario
        The scenario.

    Raises
    ------
    ValidationError
        Every unknown key and bad value, each named.
    """
    values.update(absolute_paths(values, folder=folder))
    return _from_file_values(values, source=source)
