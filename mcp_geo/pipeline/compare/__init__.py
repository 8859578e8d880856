"""Compare two plans, or a plan with today's PCNs, on the practices they share.

:func:`compare_plans` puts two plans side by side (say ``north-staffs`` against
``staffs-shropshire``: the seed dispute about a "huge and unwieldy" provider), and
:func:`compare_with_pcns` a plan against today's Primary Care Networks. Both look only at the
practices both sides hold and return a :class:`Comparison` in three views (DESIGN.md, Words:
"Comparison"), and two plans in a fourth when B was re-planned from A (issue 20):

1. the same rules on both (each plan as planned: ``_sides``);
2. one provider per footprint, each footprint one MCP of all its hubs (``_provider``);
3. continuity on the shared practices: partner retention both ways, the practices that move
   under the one-to-one matching of groups, groups kept whole, split, merged or crossing the
   other's footprint (``_continuity``, on :mod:`mcp_geo.plans.continuity`);
4. the footprint's own effect: B re-planned with A's hubs as the reference and a travel slack of
   0 (:func:`plan_own_effect`), and the practices that change hub even so (``_own``).

Every measure carries its definition; :func:`write_comparison` writes comparison.csv (measure,
a, b, definition), comparison.json (the same, nested by view) and changes.csv (one row per
shared practice).
"""

from __future__ import annotations

from mcp_geo.pipeline.compare._build import compare_plans, compare_with_pcns
from mcp_geo.pipeline.compare._model import (
    CHANGES_COLUMNS,
    OWN_CHANGES_COLUMNS,
    VIEWS,
    Comparison,
    ComparisonRow,
)
from mcp_geo.pipeline.compare._own import plan_own_effect
from mcp_geo.pipeline.compare._sides import (
    PCN_CONTEXT,
    PCN_LABEL,
    check_sites_for_pcns,
    plan_label,
    require_pcn_codes,
)
from mcp_geo.pipeline.compare._write import write_comparison

__all__ = [
    "CHANGES_COLUMNS",
    "OWN_CHANGES_COLUMNS",
    "PCN_CONTEXT",
    "PCN_LABEL",
    "VIEWS",
    "Comparison",
    "ComparisonRow",
    "check_sites_for_pcns",
    "compare_plans",
    "compare_with_pcns",
    "plan_label",
    "plan_own_effect",
    "require_pcn_codes",
    "write_comparison",
]
