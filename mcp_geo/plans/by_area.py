"""A plan's practices and patients by official area (DESIGN.md, "Metrics every plan reports").

Three levels, each where the snapshot has it: the Sub-ICB location (a CCG before July 2022), the
ICB of the list-size date (an STP before), and the CCG of April 2019 (from the 2019 register, else
the April 2019 boundary that holds the practice). A footprint of the user's own sites has no
official areas, and no breakdown.

The numbers are what a planner checks a footprint against: Central Sussex and East Surrey holds
1,117,425 registered patients in April 2025, and its four 2019 CCGs other than Brighton and Hove
784,044, close to the 778,000 people the Alliance planned for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["AREA_LEVELS", "AreaBreakdown", "AreaCount", "area_breakdown", "combine_breakdowns"]

AREA_LEVELS: dict[str, str] = {
    "sub_icb": "Sub-ICB location (CCG before July 2022)",
    "icb": "ICB (STP before July 2022)",
    "ccg19": "CCG of April 2019",
}
"""The levels, in report order, with their names in words (report.json's keys are the first)."""

_ONS = {"sub_icb": "sub_icb_ons_code", "icb": "icb_ons_code", "ccg19": None}
_PANEL_MOST = 6  # areas a panel's one line can name


@dataclass(frozen=True)
class AreaCount:
    """One area's share of a plan: its codes and name (None where a practice has none)."""

    code: str | None
    ons_code: str | None
    name: str | None
    practices: int
    patients: int

    def to_dict(self) -> dict[str, Any]:
        """One row of report.json's ``metrics.by_area.LEVEL``."""
        return {
            "code": self.code,
            "ons_code": self.ons_code,
            "name": self.name,
            "practices": self.practices,
            "patients": self.patients,
        }


@dataclass(frozen=True)
class AreaBreakdown:
    """The plan's practices and patients by area, level by level.

    Attributes
    ----------
    levels
        (level, areas) in the order of :data:`AREA_LEVELS`; each level's areas sorted by code,
        practices without a code at that level last (code None).
    """

    levels: tuple[tuple[str, tuple[AreaCount, ...]], ...]

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """report.json's ``metrics.by_area``: level -> rows (code, ons_code, name, practices,
        patients)."""
        return {level: [a.to_dict() for a in areas] for level, areas in self.levels}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[Mapping[str, Any]]]) -> AreaBreakdown:
        """The breakdown that :meth:`to_dict` wrote (report.json's ``metrics.by_area``)."""
        levels = []
        for level in AREA_LEVELS:
            if level in data:
                rows = tuple(
                    AreaCount(
                        code=r.get("code"),
                        ons_code=r.get("ons_code"),
                        name=r.get("name"),
                        practices=int(r["practices"]),
                        patients=int(r["patients"]),
                    )
                    for r in data[level]
                )
                levels.append((level, rows))
        return cls(levels=tuple(levels))

    def areas(self, level: str) -> tuple[AreaCount, ...]:
        """The areas of one level (empty when the snapshot does not have it)."""
        return next((areas for name, areas in self.levels if name == level), ())

    def lines(self) -> list[str]:
        """The printed summary's lines: each level, then one indented line per area."""
        out = []
        for level, areas in self.levels:
            out.append(f"by {AREA_LEVELS[level]}:")
            for a in areas:
                code = a.code or "(none)"
                name = f" {a.name}" if a.name and a.name != a.code else ""
                out.append(f"  {code}{name}: {a.practices:,} practices, {a.patients:,} patients")
        return out

    def headline(self) -> str:
        """One short line for a map's panel: the level with the most areas (at most six;
        Sub-ICB, then 2019 CCG, then ICB on a tie), codes and patients."""
        order = ("sub_icb", "ccg19", "icb")
        shown = [(level, self.areas(level)) for level in order if self.areas(level)]
        if not shown:
            return ""
        fitting = [s for s in shown if len(s[1]) <= _PANEL_MOST] or [shown[-1]]
        level, areas = max(fitting, key=lambda s: len(s[1]))
        parts = [f"{a.code or '(none)'} {a.patients:,}" for a in areas[:_PANEL_MOST]]
        more = len(areas) - _PANEL_MOST
        tail = f" and {more} more" if more > 0 else ""
        return f"patients by {AREA_LEVELS[level]}: {', '.join(parts)}{tail}"


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _level(practices: pd.DataFrame, level: str) -> tuple[AreaCount, ...]:
    code = practices[f"{level}_code"].map(_text)
    name_column = f"{level}_name"
    ons_column = _ONS[level]
    frame = pd.DataFrame(
        {
            "code": code.fillna(""),
            "name": practices[name_column].map(_text) if name_column in practices else None,
            "ons": practices[ons_column].map(_text)
            if ons_column is not None and ons_column in practices
            else None,
            "patients": practices["patients"].astype("int64"),
        }
    )
    rows = []
    for key, group in frame.groupby("code", sort=True):
        names = sorted(set(group["name"].dropna()))
        ons = sorted(set(group["ons"].dropna()))
        rows.append(
            AreaCount(
                code=str(key) or None,
                ons_code=ons[0] if ons else None,
                name=names[0] if names else None,
                practices=len(group),
                patients=int(group["patients"].sum()),
            )
        )
    return tuple(sorted(rows, key=lambda a: (a.code is None, a.code or "")))


def area_breakdown(practices: pd.DataFrame) -> AreaBreakdown | None:
    """Practices and patients of ``practices`` by Sub-ICB location, ICB and 2019 CCG.

    Parameters
    ----------
    practices
        One row per planned practice: ``patients`` and, where the snapshot has them,
        ``LEVEL_code`` and ``LEVEL_name`` for each level of :data:`AREA_LEVELS` (and the ONS
        codes ``sub_icb_ons_code``, ``icb_ons_code``).

    Returns
    -------
    AreaBreakdown or None
        Each level whose code column is present and not empty; None when no level is (a
        footprint of the user's own sites). The totals of each level are the plan's.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"patients": [10, 20, 5], "icb_code": ["QNC", "QNC", "QOC"],
    ...      "icb_name": ["Staffs", "Staffs", "Shrops"]}
    ... )
    >>> [(a.code, a.practices, a.patients) for a in area_breakdown(frame).areas("icb")]
    [('QNC', 2, 30), ('QOC', 1, 5)]
    """
    levels = []
    for level in AREA_LEVELS:
        column = f"{level}_code"
        if column in practices.columns and practices[column].map(_text).notna().any():
            levels.append((level, _level(practices, level)))
    return AreaBreakdown(levels=tuple(levels)) if levels else None


def combine_breakdowns(breakdowns: Sequence[AreaBreakdown | None]) -> AreaBreakdown | None:
    """The breakdown of several plans together (a national plan of its footprints): each
    level's areas summed by code (an area split between footprints counts once).

    Parameters
    ----------
    breakdowns
        The plans' breakdowns; None (a plan without official areas) adds nothing.

    Returns
    -------
    AreaBreakdown or None
        None when no plan has a breakdown.
    """
    given = [b for b in breakdowns if b is not None]
    if not given:
        return None
    levels = []
    for level in AREA_LEVELS:
        merged: dict[str | None, AreaCount] = {}
        for breakdown in given:
            for a in breakdown.areas(level):
                seen = merged.get(a.code)
                merged[a.code] = (
                    a
                    if seen is None
                    else AreaCount(
                        code=a.code,
                        ons_code=seen.ons_code or a.ons_code,
                        name=seen.name or a.name,
                        practices=seen.practices + a.practices,
                        patients=seen.patients + a.patients,
                    )
                )
        if merged:
            rows = sorted(merged.values(), key=lambda a: (a.code is None, a.code or ""))
            levels.append((level, tuple(rows)))
    return AreaBreakdown(levels=tuple(levels))
