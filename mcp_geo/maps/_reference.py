"""The reference grouping on a plan map: its groups' outlines and the practices that moved.

A plan made with a reference (``reference = "pcn"`` or an earlier plan's folder; DESIGN.md
"Reference grouping and moves") gets two layers: ``Reference groups: today's PCNs`` (or ``: the
hubs of <folder>``), each group drawn as the outline of its practices' cells like today's PCNs
(:func:`~mcp_geo.maps._geometry.group_territories`), with what became of it (kept whole, split,
merged; the hub that continues it); and ``Moved practices``, a ring round each practice that
moved (moves.csv), whose popup says where from and where to (``moved from PCN U12345 (NAME) to
hub H03``). Every text is data shown as text (:mod:`mcp_geo.maps._text`).
"""

from __future__ import annotations

import folium
import pandas as pd

from mcp_geo.maps._geometry import for_display, group_territories, simplified_coverage
from mcp_geo.maps._layers import (
    _json_frame,
    _thousands,
    add_layer,
    add_rings,
    pane_of,
    pane_style,
)
from mcp_geo.maps._text import TextPopup, TextTooltip, layer_name
from mcp_geo.plans.plan import Plan
from mcp_geo.plans.reference import ReferenceOutcome

REFERENCE_WEIGHT = 2.2
MOVED_WEIGHT = 3.5
REFERENCE_COLOUR = "#6a3d9a"
MOVED_COLOUR = "#e6007e"
REFERENCE_STYLE = {
    "fill": False,
    "color": REFERENCE_COLOUR,
    "weight": REFERENCE_WEIGHT,
    "dashArray": "6 4",
}
"""A reference group: a purple dashed line (today's PCNs alone are black and dotted)."""
REFERENCE_NAMES = {"reference": "Reference groups", "moved": "Moved practices"}
"""The layers' names in the layer control (the groups' layer adds what the reference is)."""


def _fates(outcome: ReferenceOutcome) -> dict[str, str]:
    """Each group's fate in words (``kept whole``, ``split, merged``...)."""
    words: dict[str, list[str]] = {}
    for fate, groups in (
        ("kept whole", outcome.kept),
        ("split", outcome.split),
        ("merged", outcome.merged),
        ("not continued", outcome.not_continued),
    ):
        for group in groups:
            words.setdefault(group, []).append(fate)
    return {group: ", ".join(fates) for group, fates in words.items()}


def add_reference_groups(
    target: folium.Map, plan: Plan, *, simplify_m: float, prefix: str = "", panes: bool = True
) -> folium.GeoJson | None:
    """The reference groups' outlines (None without a reference, or when none can be drawn).

    Parameters
    ----------
    target
        The map.
    plan
        A plan; drawn only with a reference (:attr:`Plan.reference`).
    simplify_m
        Display simplification, as for the hubs.
    prefix
        Prefix of the layer's name (a comparison side's label).
    panes
        Whether the map stacks its layers in panes (SVG maps).
    """
    outcome = plan.reference
    if outcome is None:
        return None
    drawn = group_territories(
        plan.practices, plan.outline.geometry, column="reference_group", only_groups=True
    )
    if drawn is None or not len(drawn):
        return None
    practices = plan.practices.assign(reference_group=plan.practices["reference_group"].astype(str))
    counts = practices.groupby("reference_group")["patients"].agg(["size", "sum"])
    names = _group_names(plan)
    continued_by = {group: hub for hub, group in outcome.matching.items()}
    group = drawn["reference_group"].astype(str)
    drawn["name"] = [names.get(g, "") for g in group]
    drawn["practices"] = group.map(counts["size"]).map(_thousands)
    drawn["patients"] = group.map(counts["sum"]).map(_thousands)
    fates = _fates(outcome)
    drawn["fate"] = [fates.get(g, "") for g in group]
    drawn["hub"] = [continued_by.get(g, "none") for g in group]
    fields = ["reference_group", "name", "practices", "patients", "fate", "hub"]
    word = outcome.group_word
    aliases = [word, "Name", "Practices", "Patients", "Became", "Continued by hub"]
    shown = for_display(simplified_coverage(drawn, tolerance_m=simplify_m))
    return add_layer(
        target,
        folium.GeoJson(
            _json_frame(shown, fields),
            name=prefix + layer_name(f"{REFERENCE_NAMES['reference']}: {outcome.title}"),
            style_function=lambda f: REFERENCE_STYLE,
            tooltip=TextTooltip(["reference_group", "name"], aliases=[word, "Name"]),
            popup=TextPopup(fields, aliases=aliases),
        ),
        pane=pane_of("pcns", panes=panes),
    )


def _group_names(plan: Plan) -> dict[str, str]:
    """Each reference group's name where known (its first practice's ``reference_name``)."""
    names: dict[str, str] = {}
    if "reference_name" not in plan.practices.columns:
        return names
    for group, name in zip(
        plan.practices["reference_group"], plan.practices["reference_name"], strict=True
    ):
        if isinstance(group, str) and isinstance(name, str) and name.strip():
            names.setdefault(group, name)
    return names


def moved_text(plan: Plan) -> pd.Series:
    """Per moved practice (by code, sorted): ``moved from PCN U12345 (NAME) to hub H03``.

    Parameters
    ----------
    plan
        A plan made with a reference.

    Returns
    -------
    pandas.Series
        The text of each moved practice; empty without a reference.
    """
    outcome = plan.reference
    if outcome is None or not outcome.moved:
        return pd.Series(dtype=object)
    rows = plan.practices.set_index(plan.practices["practice_code"].astype(str))
    rows = rows.loc[list(outcome.moved)]
    names = (
        rows["reference_name"] if "reference_name" in rows else pd.Series(None, index=rows.index)
    )
    where = "" if outcome.kind == "pcn" else f" of {outcome.source}"
    texts = []
    for group, name, hub in zip(rows["reference_group"], names, rows["hub_id"], strict=True):
        known = isinstance(name, str) and name.strip()
        named = (
            "" if not known else f" ({name})" if outcome.kind == "pcn" else f" (based at {name})"
        )
        texts.append(f"moved from {outcome.group_word} {group}{where}{named} to hub {hub}")
    return pd.Series(texts, index=rows.index, dtype=object)


def add_moved_practices(
    target: folium.Map, plan: Plan, *, prefix: str = "", panes: bool = True
) -> folium.GeoJson | None:
    """A ring round each practice that moved out of its reference group (None: none moved).

    Parameters
    ----------
    target
        The map.
    plan
        A plan; drawn only with a reference and moves.
    prefix
        Prefix of the layer's name.
    panes
        Whether the map stacks its layers in panes (the rings go above the practices).
    """
    texts = moved_text(plan)
    if texts.empty:
        return None
    rows = plan.practices.set_index(plan.practices["practice_code"].astype(str)).loc[texts.index]
    rows = rows.assign(moved=texts.to_numpy()).reset_index(drop=True)
    style = {"fill": False, "color": MOVED_COLOUR, "weight": MOVED_WEIGHT}
    return add_rings(
        target,
        rows,
        name=prefix + REFERENCE_NAMES["moved"],
        fields=["practice_code", "practice_name", "moved"],
        aliases=["Practice", "Name", "Moved"],
        tooltip=["moved"],
        style=style | pane_style("practices", panes=panes),
        margin=4,
    )
