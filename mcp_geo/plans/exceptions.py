"""The named exceptions of a plan: the hubs and MCPs allowed outside the bounds, as data.

DESIGN.md ("Hub": unavoidable exceptions; "Outputs"): a practice larger than the ceiling is a hub
on its own (``over_ceiling``); a group that cannot reach the floor with anyone within the distance
limit is an undersized hub (``isolated``); where the rules cannot all be met in part of a
footprint, each hub of the least-exception plan under the floor is an ``under_floor`` exception
with its shortfall, the total proven least by the certificate's ``shortfall`` stage. The same
words one level up for MCPs. One vocabulary everywhere: report.json's ``exceptions``, the
``exception`` and ``shortfall`` columns of hubs.csv and mcps.csv (written when the file has an
exception), the GeoPackage's layers and the national report's counts.

The solvers name an isolated group ``island_under_floor``
(:class:`mcp_geo.solvers._instance.PlanException`); :data:`SOLVER_KINDS` turns their kinds into
these words where the pipeline makes a plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import pandas as pd

ExceptionKind = Literal["over_ceiling", "isolated", "under_floor"]
ExceptionLevel = Literal["hubs", "mcps"]

KINDS: tuple[ExceptionKind, ...] = ("over_ceiling", "isolated", "under_floor")
"""The kinds of exception, in the order the national counts list them."""

SOLVER_KINDS: dict[str, ExceptionKind] = {
    "over_ceiling": "over_ceiling",
    "island_under_floor": "isolated",
    "under_floor": "under_floor",
}
"""The solvers' kinds -> the plan's (DESIGN.md "Outputs")."""

EXCEPTION_COLUMNS: tuple[str, ...] = ("exception", "shortfall")
"""The columns hubs.csv (mcps.csv) gains when one of its hubs (MCPs) is an exception."""

_ID = {"hubs": "hub_id", "mcps": "mcp_id"}


@dataclass(frozen=True)
class NamedException:
    """A hub (or MCP) allowed outside the bounds, and why.

    Attributes
    ----------
    level
        ``hubs`` or ``mcps``.
    group_id
        The hub's (MCP's) id (``H07``; ``QOC-H07`` in a national plan).
    kind
        ``over_ceiling``, ``isolated`` or ``under_floor``.
    patients
        The group's registered patients.
    shortfall
        Patients below the floor (floor - patients) for an undersized group (``isolated``,
        ``under_floor``); None for ``over_ceiling``.
    practices
        The group's practices, by code.
    hubs
        An MCP's hubs, by id (empty for a hub).
    reason
        Why, in words (``under the floor by 1,263 patients: no plan of these 49 practices
        within 15 km reaches 30,000 everywhere``).
    """

    level: ExceptionLevel
    group_id: str
    kind: ExceptionKind
    patients: int
    shortfall: int | None
    practices: tuple[str, ...]
    reason: str
    hubs: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The exception for people: ``H07 (Y01929; 52,556 patients): why``."""
        members = ", ".join(self.hubs if self.level == "mcps" else self.practices)
        return f"{self.group_id} ({members}; {self.patients:,} patients): {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """The exception's entry in report.json's ``exceptions``."""
        out: dict[str, Any] = {
            "level": self.level,
            _ID[self.level]: self.group_id,
            "kind": self.kind,
            "patients": self.patients,
            "shortfall": self.shortfall,
        }
        if self.level == "mcps":
            out["hubs"] = list(self.hubs)
        out["practices"] = list(self.practices)
        out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, entry: dict[str, Any] | str) -> NamedException:
        """The exception as report.json holds it (:meth:`to_dict`; a text of an earlier version
        is read by :func:`from_text`)."""
        if isinstance(entry, str):
            return from_text(entry)
        level = cast(ExceptionLevel, entry.get("level", "mcps" if "mcp_id" in entry else "hubs"))
        shortfall = entry.get("shortfall")
        return cls(
            level=level,
            group_id=str(entry[_ID[level]]),
            kind=cast(ExceptionKind, entry["kind"]),
            patients=int(entry["patients"]),
            shortfall=None if shortfall is None else int(shortfall),
            practices=tuple(str(c) for c in entry.get("practices", ())),
            reason=str(entry.get("reason", "")),
            hubs=tuple(str(h) for h in entry.get("hubs", ())),
        )

    def prefixed(self, code: str) -> NamedException:
        """The exception with its ids prefixed by a footprint's code (a national plan's)."""
        return NamedException(
            level=self.level,
            group_id=f"{code}-{self.group_id}",
            kind=self.kind,
            patients=self.patients,
            shortfall=self.shortfall,
            practices=self.practices,
            reason=self.reason,
            hubs=tuple(f"{code}-{h}" for h in self.hubs),
        )


_TEXT = re.compile(r"^(?P<id>\S+) \((?P<members>.*); (?P<patients>[\d,]+) patients\): (?P<why>.*)$")


def from_text(text: str) -> NamedException:
    """An exception as report.json of an earlier version wrote it (one line of text).

    Parameters
    ----------
    text
        ``H07 (Y01929; 52,556 patients): practice over the ceiling (...)``.

    Returns
    -------
    NamedException
        Its group, kind (read from the reason's words), patients and members; the shortfall is
        read from ``under the floor by N patients`` and otherwise left out.

    Raises
    ------
    ValueError
        ``text`` is not an exception as this tool wrote it.

    Examples
    --------
    >>> old = from_text("M02 (H05, H06; 90,000 patients): isolated group under the floor: ...")
    >>> old.level, old.group_id, old.kind, old.hubs
    ('mcps', 'M02', 'isolated', ('H05', 'H06'))
    """
    found = _TEXT.match(text)
    if found is None:
        raise ValueError(f"not an exception as mcp-geo writes it: {text!r}")
    why = found["why"]
    kind: ExceptionKind = "over_ceiling" if "over the ceiling" in why else "isolated"
    short = re.match(r"under the floor by ([\d,]+) patients", why)
    if short is not None:
        kind = "under_floor"
    members = tuple(m.strip() for m in found["members"].split(","))
    level: ExceptionLevel = "mcps" if re.match(r"^(\w+-)?M\d+$", found["id"]) else "hubs"
    return NamedException(
        level=level,
        group_id=found["id"],
        kind=kind,
        patients=int(found["patients"].replace(",", "")),
        shortfall=None if short is None else int(short[1].replace(",", "")),
        practices=() if level == "mcps" else members,
        reason=why,
        hubs=members if level == "mcps" else (),
    )


def sorted_exceptions(exceptions: Iterable[NamedException]) -> tuple[NamedException, ...]:
    """The exceptions in report.json's order: hubs first, then MCPs, each by id, then kind."""
    order = {"hubs": 0, "mcps": 1}
    return tuple(sorted(exceptions, key=lambda e: (order[e.level], e.group_id, e.kind)))


def with_exception_columns(
    table: pd.DataFrame, exceptions: Sequence[NamedException], *, level: ExceptionLevel
) -> pd.DataFrame:
    """``table`` (hubs or MCPs) with its ``exception`` (kind) and ``shortfall`` columns.

    Parameters
    ----------
    table
        The hub (MCP) table, with ``hub_id`` (``mcp_id``).
    exceptions
        The plan's exceptions (those of the other level are left aside).
    level
        Which table it is.

    Returns
    -------
    pandas.DataFrame
        A copy; the columns are empty (None) for a group within the bounds.
    """
    mine = {e.group_id: e for e in exceptions if e.level == level}
    ids = table[_ID[level]] if len(table) else pd.Series(dtype=object)
    kinds = [mine[g].kind if g in mine else None for g in ids]
    short = [mine[g].shortfall if g in mine else None for g in ids]
    return table.assign(
        exception=pd.Series(kinds, index=table.index, dtype=object),
        shortfall=pd.Series(short, index=table.index, dtype="Int64"),
    )
