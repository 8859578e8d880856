"""The result of a comparison: its measures, view by view, and one row per shared practice."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from mcp_geo.plans.plan import Plan

Kind = Literal["count", "patients", "km", "fraction", "code"]
View = Literal["same_rules", "one_provider", "continuity", "own_effect"]

VIEWS: dict[View, str] = {
    "same_rules": "the same rules on both",
    "one_provider": "one provider per footprint (each footprint one MCP of all its hubs)",
    "continuity": "continuity on the shared practices",
    "own_effect": "the footprint's own effect (B re-planned with A's hubs as the reference, "
    "travel slack 0)",
}
"""The views of a comparison (DESIGN.md, Words: "Comparison"), in order, with their titles: the
fourth only when B was re-planned from A (issue 20)."""

CHANGES_COLUMNS = (
    "practice_code",
    "practice_name",
    "patients",
    "a_hub",
    "a_mcp",
    "b_hub",
    "b_mcp",
    "moved_hub",
    "moved_mcp",
)
"""Columns of changes.csv: one row per shared practice (DESIGN.md, "Outputs")."""

OWN_CHANGES_COLUMNS = ("b_own_hub", "moved_hub_own")
"""Columns changes.csv adds with view 4: each shared practice's hub in B re-planned with A's hubs
as the reference, and whether it changes hub even so."""


@dataclass(frozen=True)
class ComparisonRow:
    """One measure for both sides (None where it does not apply, e.g. MCPs of PCNs).

    Attributes
    ----------
    measure
        Its name, unique in the comparison.
    a, b
        The values for A and for B (numbers; a practice code for ``kind`` "code").
    kind
        How the values are written: counts and patients as integers, km with 3 decimals,
        fractions with 6, codes as they are.
    view
        The view it belongs to (:data:`VIEWS`).
    definition
        What it measures, in words (comparison.csv's ``definition``).
    """

    measure: str
    a: float | str | None
    b: float | str | None
    kind: Kind = "count"
    view: View = "same_rules"
    definition: str = ""

    def formatted(self, value: float | str | None) -> str:
        """``value`` as comparison.csv writes it (empty when there is none)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, str):
            return value
        if self.kind in ("count", "patients"):
            return str(round(value))
        return f"{value:.3f}" if self.kind == "km" else f"{value:.6f}"

    def json_value(self, value: float | str | None) -> float | int | str | None:
        """``value`` as comparison.json writes it (rounded as comparison.csv)."""
        text = self.formatted(value)
        if text == "" or self.kind == "code":
            return text or None
        return int(text) if self.kind in ("count", "patients") else float(text)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two plans (or a plan and today's PCNs) measured on the practices they share.

    Attributes
    ----------
    a, b
        The plans; ``b`` is None when A is compared with today's PCNs.
    a_label, b_label
        Names for tables and maps (the footprints, or "today's PCNs").
    shared
        Codes of the practices both sides hold, sorted.
    rows
        The measures, view by view (see :func:`mcp_geo.pipeline.compare.compare_plans`).
    changes
        One row per shared practice, sorted by code: :data:`CHANGES_COLUMNS` (MCP columns None
        against PCNs, which have no MCP level), and with ``own`` ``b_own_hub`` and
        ``moved_hub_own``.
    own
        B re-planned with A's hubs as the reference and a travel slack of 0 (view 4), or None.
    """

    a: Plan
    b: Plan | None
    a_label: str
    b_label: str
    shared: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]
    changes: pd.DataFrame
    own: Plan | None = None

    def table(self) -> pd.DataFrame:
        """comparison.csv: measure, a, b, definition (numbers as text in fixed formats)."""
        return pd.DataFrame(
            {
                "measure": [r.measure for r in self.rows],
                "a": [r.formatted(r.a) for r in self.rows],
                "b": [r.formatted(r.b) for r in self.rows],
                "definition": [r.definition for r in self.rows],
            }
        )

    def to_json(self) -> dict[str, Any]:
        """comparison.json: the sides, then the measures nested by view."""
        views: dict[str, Any] = {}
        for view, title in VIEWS.items():
            rows = self.view(view)
            if rows:
                views[view] = {
                    "title": title,
                    "measures": [
                        {
                            "measure": r.measure,
                            "a": r.json_value(r.a),
                            "b": r.json_value(r.b),
                            "definition": r.definition,
                        }
                        for r in rows
                    ],
                }
        return {
            "a": self.a_label,
            "b": self.b_label,
            "practices_shared": len(self.shared),
            "views": views,
        }

    def view(self, name: View) -> tuple[ComparisonRow, ...]:
        """The rows of one view, in order."""
        return tuple(r for r in self.rows if r.view == name)

    def value(self, measure: str) -> tuple[float | str | None, float | str | None]:
        """The (a, b) values of one measure, by its name."""
        for row in self.rows:
            if row.measure == measure:
                return row.a, row.b
        raise KeyError(measure)

    def number(self, measure: str, side: Literal["a", "b"]) -> float | None:
        """One side's value of a numeric measure (None where it does not apply)."""
        value = self.value(measure)[0 if side == "a" else 1]
        return None if value is None or isinstance(value, str) else float(value)

    def panel_lines(self, side: Literal["a", "b"]) -> list[str]:
        """Plain-text lines for a side's panel on the comparison map: the footprint as one
        provider, and how many of its partners the other side keeps."""
        lines = []
        span = self.number("provider span km, whole footprint", side)
        hub_km = self.number("km hub base to provider base, mean, whole footprint", side)
        if span is not None and hub_km is not None:
            lines.append(
                f"as one provider: spans {span:.1f} km; hub base to the provider's base "
                f"{hub_km:.1f} km on average"
            )
        other = self.b_label if side == "a" else self.a_label
        kept = [
            f"{level} partners {100 * share:.0f}%"
            for level in ("hub", "MCP")
            if (share := self.number(f"{level} partner retention", side)) is not None
        ]
        if kept:
            lines.append(f"kept in {other}: {', '.join(kept)}")
        return lines
