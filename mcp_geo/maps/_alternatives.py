"""A plan's alternatives on its map: which practices are settled and which are open.

A plan made with ``alternatives = K`` (:class:`~mcp_geo.plans.alternatives.Alternatives`) gets
the layer ``Settled / open practices``: a dashed ring round each *open* practice (one that moves
in at least one alternative; settled ones are left unmarked), drawn unlike the reference's moved
rings (solid, magenta) and filled with nothing visible, so that a click anywhere on the practice
opens the ring's popup. The popup says in words where the practice is in the best plan and in
each alternative (``hub H07 (base NAME), with NAME, NAME and 2 more``, and whether it moves
there); the tooltip how often it moves. Every text is data shown as text (:mod:`._text`).
"""

from __future__ import annotations

import folium
import pandas as pd

from mcp_geo.maps._layers import add_rings, pane_style
from mcp_geo.plans.alternatives import Alternatives
from mcp_geo.plans.plan import Plan

OPEN_WEIGHT = 2.6
OPEN_COLOUR = "#0b2e6b"
OPEN_STYLE = {
    "fill": True,
    "fillColor": "#ffffff",
    "fillOpacity": 0.0,
    "color": OPEN_COLOUR,
    "weight": OPEN_WEIGHT,
    "dashArray": "5 3",
}
"""An open practice: a dark blue dashed ring (the reference's moved practices: a solid magenta
one), its inside clickable but see-through."""
OPEN_NAME = "Settled / open practices"
"""The layer's name in the layer control."""
PARTNERS_SHOWN = 3
"""Partners named in a hub's words, the rest counted (``and 2 more``)."""


def hub_words(practices: pd.DataFrame) -> pd.Series:
    """Per practice (by code): its hub in words, ``hub H07 (base NAME), with NAME, NAME, NAME
    and 2 more`` (``its base`` for the base itself; the partners other than the base, the
    largest first).

    Parameters
    ----------
    practices
        A plan's practices: practice_code, practice_name, patients, hub_id, hub_base_code.

    Returns
    -------
    pandas.Series
        The words of each practice.
    """
    rows = practices.assign(
        practice_code=practices["practice_code"].astype(str),
        hub_id=practices["hub_id"].astype(str),
        practice_name=practices["practice_name"].fillna("").astype(str),
    ).sort_values(["hub_id", "patients", "practice_code"], ascending=[True, False, True])
    names = rows.set_index("practice_code")["practice_name"]
    members = rows.groupby("hub_id", sort=False)["practice_code"].agg(list)
    words = {}
    for code, hub, base in zip(rows["practice_code"], rows["hub_id"], rows["hub_base_code"],
                               strict=True):  # fmt: skip
        base = str(base)
        based = "its base" if base == code else f"base {names.get(base) or base}"
        others = [names[c] or c for c in members[hub] if c not in (code, base)]
        shown = ", ".join(others[:PARTNERS_SHOWN])
        more = len(others) - PARTNERS_SHOWN
        partners = f", with {shown} and {more} more" if more > 0 else f", with {shown}"
        words[code] = f"hub {hub} ({based}){partners if others else ''}"
    return pd.Series(words, dtype=object)


def _where(alternatives: Alternatives, best: Plan) -> pd.DataFrame:
    """Per practice: the best plan's words, and per alternative ``moves to ...`` or ``stays
    in ...`` (whether it moves: :attr:`Alternatives.hubs`)."""
    table = pd.DataFrame({"best": hub_words(best.practices)})
    for alt in alternatives.found:
        words = hub_words(alt.plan.practices).reindex(table.index).fillna("not planned")
        move = alternatives.hubs[f"moved {alt.n}"].reindex(table.index).fillna(False)
        table[f"alt_{alt.n}"] = [
            ("moves to " if m else "stays in ") + w for w, m in zip(words, move, strict=True)
        ]
    return table


def open_words(alternatives: Alternatives) -> pd.Series:
    """Per open practice: ``open: moves in alternatives 1 and 3 (of 3)``.

    Parameters
    ----------
    alternatives
        The plan's alternatives.

    Returns
    -------
    pandas.Series
        The words of each open practice (by code, sorted).
    """
    table = alternatives.hubs.sort_index()
    k = len(alternatives.found)
    out = {}
    for code, row in table[~table["settled"].astype(bool)].iterrows():
        ns = [str(a.n) for a in alternatives.found if bool(row[f"moved {a.n}"])]
        listed = ns[0] if len(ns) == 1 else ", ".join(ns[:-1]) + " and " + ns[-1]
        word = "alternative" if len(ns) == 1 else "alternatives"
        out[str(code)] = f"open: moves in {word} {listed} (of {k})"
    return pd.Series(out, dtype=object)


def alternatives_note(alternatives: Alternatives) -> str:
    """The legend's words for the layer (plain text)."""
    slack = f"{100 * alternatives.travel_slack:.2f}%"
    k = len(alternatives.found)
    some = "the alternative" if k == 1 else f"1 or more of the {k} alternatives"
    return (
        f"open practice: moves in {some} (plans within {slack} of the least travel); "
        "no ring: settled"
    )


def add_open_practices(
    target: folium.Map, plan: Plan, *, prefix: str = "", panes: bool = True
) -> folium.GeoJson | None:
    """A dashed ring round each open practice (None: no alternatives were found).

    Parameters
    ----------
    target
        The map.
    plan
        A plan; drawn only with alternatives (:attr:`Plan.alternatives`), one found at least.
    prefix
        Prefix of the layer's name.
    panes
        Whether the map stacks its layers in panes (the rings go above the practices).
    """
    alternatives = plan.alternatives
    if alternatives is None or not alternatives.found:
        return None
    opened = open_words(alternatives)
    rows = plan.practices.set_index(plan.practices["practice_code"].astype(str))
    rows = rows.loc[list(opened.index)]
    where = _where(alternatives, plan).loc[rows.index]
    alts = [f"alt_{a.n}" for a in alternatives.found]
    rows = rows.assign(open=opened.to_numpy(), best=where["best"].to_numpy(),
                       **{c: where[c].to_numpy() for c in alts}).reset_index(drop=True)  # fmt: skip
    fields = ["practice_code", "practice_name", "open", "best", *alts]
    aliases = ["Practice", "Name", "Settled / open", "Best plan",
               *(f"Alternative {a.n}" for a in alternatives.found)]  # fmt: skip
    return add_rings(
        target,
        rows,
        name=prefix + OPEN_NAME,
        fields=fields,
        aliases=aliases,
        tooltip=["practice_name", "open"],
        style=OPEN_STYLE | pane_style("practices", panes=panes),
        margin=3,
    )
