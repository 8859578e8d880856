"""Build a comparison: two plans, or a plan and today's PCNs, in the three views."""

from __future__ import annotations

import pandas as pd

from mcp_geo.pipeline.compare._continuity import continuity
from mcp_geo.pipeline.compare._model import Comparison
from mcp_geo.pipeline.compare._own import own_effect
from mcp_geo.pipeline.compare._provider import one_provider, provider_rows
from mcp_geo.pipeline.compare._sides import (
    PCN_LABEL,
    Side,
    pcn_side,
    plan_label,
    plan_side,
    require_pcn_codes,
    same_rules_rows,
    shared_codes,
)
from mcp_geo.plans.plan import Plan


def _compare(
    a: Plan,
    b: Plan | None,
    *,
    sides: tuple[Side, Side],
    shared: pd.Index,
    only: tuple[int, int],
    labels: tuple[str, str],
    own: Plan | None = None,
) -> Comparison:
    """The comparison of A and B (or today's PCNs), each seen as its side of the shared
    practices (and B re-planned from A: ``own``)."""
    a_side, b_side = sides
    rows = same_rules_rows(a_side, b_side, shared=len(shared), only=only)
    rows += provider_rows(
        one_provider(a, shared=shared), None if b is None else one_provider(b, shared=shared)
    )
    view3, changes = continuity(a_side, b_side, reference_is_b=b is None)
    if own is not None and b is not None:
        view4, columns = own_effect(a_side, b_side, b_plan=b, own=own)
        view3 += view4
        changes = changes.join(columns, on="practice_code")
    return Comparison(
        a=a,
        b=b,
        a_label=labels[0],
        b_label=labels[1],
        shared=tuple(shared),
        rows=(*rows, *view3),
        changes=changes,
        own=own if b is not None else None,
    )


def compare_plans(
    a: Plan,
    b: Plan,
    *,
    a_label: str | None = None,
    b_label: str | None = None,
    own: Plan | None = None,
) -> Comparison:
    """Compare two plans on the practices both hold, in three views (four with ``own``).

    1. The same rules on both: each plan as planned (hubs and MCPs, sizes, spans, travel),
       measured on the shared practices.
    2. One provider per footprint: each footprint one MCP of all its hubs, its base the hub
       base with the least patient-weighted km from the others; span and travel, whole and on
       the shared practices.
    3. Continuity on the shared practices: partner retention A->B and B->A, partner pairs,
       practices and patients that move under the one-to-one matching of groups (A's groups
       the reference), groups kept whole, split, merged, and groups that cross the other's
       footprint; at hub and at MCP level.
    4. With ``own``, the footprint's own effect: the practices that change hub from scratch,
       and those that change hub even in the plan of B that keeps B's least travel and moves
       the fewest of A's practices (:func:`plan_own_effect`); the rest were ties.

    Parameters
    ----------
    a, b
        The plans.
    a_label, b_label
        Their names in tables and maps (default: their footprints; ``(A)`` and ``(B)`` are added
        when the two are the same).
    own
        B re-planned with A's hubs as the reference and a travel slack of 0
        (:func:`plan_own_effect`); None: no fourth view.

    Returns
    -------
    Comparison
        The measures with their definitions, and each shared practice's hub and MCP on both
        sides and whether it moves.

    Raises
    ------
    ValidationError
        The plans share no practice.
    """
    shared = shared_codes(a, b)
    a_codes = pd.Index(a.practices["practice_code"].astype(str))
    b_codes = pd.Index(b.practices["practice_code"].astype(str))
    a_label = a_label or plan_label(a)
    b_label = b_label or plan_label(b)
    if a_label == b_label:
        a_label, b_label = f"{a_label} (A)", f"{b_label} (B)"
    return _compare(
        a,
        b,
        sides=(plan_side(a, shared), plan_side(b, shared)),
        shared=shared,
        only=(len(a_codes.difference(shared)), len(b_codes.difference(shared))),
        labels=(a_label, b_label),
        own=own,
    )


def compare_with_pcns(plan: Plan, *, label: str | None = None) -> Comparison:
    """Compare a plan's hubs with today's PCNs (practices without a PCN count alone).

    Today's PCNs are B, a grouping of the same practices with no MCP level: view 1 compares
    the plan's hubs with them; view 2 gives the plan's footprint as one provider (A only: the
    PCNs cover the same practices); view 3 is measured at hub level, with the PCNs as the
    reference of the matching (DESIGN.md, "Reference grouping and moves").

    Parameters
    ----------
    plan
        The plan.
    label
        Its name in tables and maps (default: its footprint).

    Returns
    -------
    Comparison
        With ``b`` None and today's PCNs as B.

    Raises
    ------
    ValidationError
        The plan's practices carry no PCN codes (a sites file without a ``pcn_code`` column, or
        a snapshot without them).
    """
    require_pcn_codes(plan.practices, footprint=plan.footprint)
    shared = pd.Index(plan.practices["practice_code"].astype(str)).sort_values()
    return _compare(
        plan,
        None,
        sides=(plan_side(plan, shared), pcn_side(plan, shared)),
        shared=shared,
        only=(0, 0),
        labels=(label or plan_label(plan), PCN_LABEL),
    )
