"""A comparison map's panel for one side: the whole plan, then its part on the shared practices.

The comparison's table (comparison.csv) speaks of the practices both plans hold; a side's plan
may hold many more (staffs-shropshire: 191 practices, 52 hubs, of which 17 hold the 66
north-staffs practices). Each side's panel says both, in plain words: the whole plan in a few
lines, then "On the 66 practices both plans hold" with the three views' key numbers (the same
rules: hubs, MCPs, the widest MCP, travel to the hub base; one provider: its span and the mean
distance to the provider's base; continuity: the partners kept and the practices that change
hub or MCP). The plan's details (patients by area, crossings, exceptions) fold away.
"""

from __future__ import annotations

import html
from typing import Literal

from mcp_geo.maps._panel import (
    _list_sizes,
    _share,
    panel_box,
    paragraphs,
    plain_certificate,
    plain_travel,
    plan_lines,
)
from mcp_geo.pipeline.compare import Comparison
from mcp_geo.plans.plan import Plan

Side = Literal["a", "b"]


def _number(comparison: Comparison, measure: str, side: Side) -> float | None:
    try:
        return comparison.number(measure, side)
    except KeyError:  # a measure this comparison does not have (PCNs have no MCPs)
        return None


def _plural(n: float, word: str) -> str:
    return f"{n:,.0f} {word}{'' if round(n) == 1 else 's'}"


def whole_lines(plan: Plan) -> list[str]:
    """Plain-text lines: the whole plan in three lines (its size, its groups, its proof)."""
    m, s = plan.metrics, plan.scenario
    lines = [f"{m.practices:,} practices, {m.patients:,} patients ({_list_sizes(plan)})"]
    hubs = m.hubs.sizes
    groups = (
        f"{m.hubs.groups} hubs ({_share(hubs.n, hubs.n - hubs.n_below - hubs.n_above)} "
        f"{s.hub_min:,}-{s.hub_max:,} patients)"
    )
    if m.mcps is not None:
        mcps = m.mcps.sizes
        bound = f"{s.mcp_min:,}-{s.mcp_max:,}" if s.mcp_max else f"at least {s.mcp_min:,}"
        groups += (
            f", {m.mcps.groups} MCPs ({_share(mcps.n, mcps.n - mcps.n_below - mcps.n_above)} "
            f"{bound})"
        )
    if m.max_mcp_span_km is not None:
        groups += f"; the widest MCP spans {m.max_mcp_span_km:.1f} km"
    lines.append(groups)
    if m.hubs.travel is not None:
        lines.append(
            f"practices {m.hubs.travel.mean:.1f} km from their hub base on average "
            f"(at most {m.hubs.travel.max:.1f} km; {plain_travel(plan.travel)})"
        )
    proofs = [
        f"{level}: {plain_certificate(certificate)}"
        for level, certificate in (
            ("hubs", plan.certificates.hubs),
            ("MCPs", plan.certificates.mcps),
        )
        if certificate is not None
    ]
    if proofs:
        text = "; ".join(proofs)
        lines.append(text[0].upper() + text[1:])
    return lines


def shared_lines(comparison: Comparison, side: Side) -> list[str]:
    """Plain-text lines: one side's part on the shared practices, view by view."""

    def get(measure: str) -> float | None:
        return _number(comparison, measure, side)

    other = comparison.b_label if side == "a" else comparison.a_label
    lines = []
    hubs, mcps = get("hubs"), get("MCPs")
    parts = [_plural(n, word) for n, word in ((hubs, "hub"), (mcps, "MCP")) if n is not None]
    widest = get("MCP span km, max")
    if widest is not None:
        parts.append(f"the widest of these MCPs spans {widest:.1f} km")
    km = get("km to hub base, patient-weighted mean")
    if km is not None:
        parts.append(f"practices {km:.1f} km from their hub base on average")
    if parts:
        view = "Same rules" if comparison.b is not None else "The plan"
        lines.append(f"{view}: {'; '.join(parts)}.")

    span_all, span_shared = (
        get("provider span km, whole footprint"),
        get("provider span km, shared practices"),
    )
    km_all, km_shared = (
        get("km practice to provider base, mean, whole footprint"),
        get("km practice to provider base, mean, shared practices"),
    )
    if span_shared is not None and km_shared is not None:
        text = f"One provider: spans {span_shared:.1f} km across these practices"
        if span_all is not None and abs(span_all - span_shared) >= 0.05:
            text += f" ({span_all:.1f} km across the whole footprint)"
        text += f"; practices {km_shared:.1f} km from the provider's base on average"
        if km_all is not None and abs(km_all - km_shared) >= 0.05:
            text += f" ({km_all:.1f} km across the whole footprint)"
        lines.append(text + ".")

    kept = [
        f"{100 * share:.0f}% of {level} partners"
        for level in ("hub", "MCP")
        if (share := get(f"{level} partner retention")) is not None
    ]
    moves = [
        f"{n:,.0f} practices ({patients:,.0f} patients) change {level}"
        for level in ("hub", "MCP")
        if (n := get(f"practices moving {level}")) is not None
        and (patients := get(f"patients moving {level}")) is not None
    ]
    if kept or moves:
        text = "Continuity: "
        if kept:
            text += f"{' and '.join(kept)} stay partners in {other}"
        if moves:
            text += ("; " if kept else "") + ", ".join(moves)
        lines.append(text + ".")
    return lines


def side_panel_html(comparison: Comparison, side: Side, *, left: str) -> str:
    """One side's panel on a comparison map (a plan's side; today's PCNs have their own)."""
    plan = comparison.a if side == "a" else comparison.b
    assert plan is not None
    title = comparison.a_label if side == "a" else comparison.b_label
    details = plan_lines(plan)[1]
    shared = len(comparison.shared)
    heading = (
        f"On the {shared:,} practices both plans hold"
        if comparison.b is not None
        else f"Against today's PCNs, on the {shared:,} practices"
    )
    body = (
        "<p><b>Whole plan</b></p>"
        f"{paragraphs([html.escape(line) for line in whole_lines(plan)])}"
        f"<p><b>{heading}</b></p>"
        f"{paragraphs([html.escape(line) for line in shared_lines(comparison, side)])}"
    )
    if details:
        body += (
            '<details class="mcp-geo-data"><summary>More about the whole plan</summary>'
            f"{'<br>'.join(details)}</details>"
        )
    return panel_box(plan, body, left=left, title=title)
