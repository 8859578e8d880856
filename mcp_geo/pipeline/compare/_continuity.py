"""View 3: continuity on the shared practices, at hub and at MCP level, in both directions.

The measures are those of :mod:`mcp_geo.plans.continuity` (DESIGN.md, Words: "Comparison" and
"Reference grouping and moves"), taken on the shared practices only: a practice's partners are
the other *shared* practices of its group (a group of B that reaches beyond A's footprint keeps
none of its other practices as partners, since A does not hold them).

The matching takes A's groups as the reference and B's as the new groups (ties: lowest B id,
then lowest A id), except against today's PCNs, which are the reference (ties: lowest hub id of
A, then lowest PCN code). The number of practices and patients that move does not depend on
the direction (a practice moves when its pair of groups is not matched); the ties could.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mcp_geo.pipeline.compare._model import ComparisonRow, Kind
from mcp_geo.pipeline.compare._sides import Side
from mcp_geo.plans.continuity import (
    GroupFates,
    group_fates,
    match_groups,
    moved,
    partner_pairs,
    partner_retention,
)
from mcp_geo.plans.metrics import adjusted_rand_index


@dataclass(frozen=True)
class _Level:
    """One level's groupings of the shared practices on both sides (None: no such level)."""

    one: str  # "hub" or "MCP"
    many: str  # "hubs" or "MCPs"
    a: pd.Series | None
    b: pd.Series | None
    crossing: tuple[int | None, int | None]


def _a(word: str) -> str:
    return f"an {word}" if word == "MCP" else f"a {word}"


def _definitions(one: str, many: str, *, reference_is_b: bool) -> dict[str, tuple[Kind, str]]:
    new, ref = ("A", "B") if reference_is_b else ("B", "A")
    return {
        f"{one} partner retention": (
            "fraction",
            f"A: for each shared practice with a partner (another shared practice in its {one}) "
            f"in A, the share of its A-partners' patients that are still its partners in B, "
            f"averaged weighted by list size; B: the same from B to A",
        ),
        f"practices alone in their {one}": (
            "count",
            f"shared practices with no shared partner in their {one} (A: in A, B: in B), left "
            "out of that side's retention",
        ),
        f"{one} partner pairs": ("count", f"pairs of shared practices in one {one} of the side"),
        f"{one} partner pairs in both": (
            "count",
            f"pairs of shared practices in one {one} in A and in one {one} in B",
        ),
        f"{many} matched": (
            "count",
            f"{many} of {new} matched one-to-one to {many} of {ref} (the reference) keeping the "
            f"most patients together; ties to the lowest {new} id, then the lowest {ref} id",
        ),
        f"practices moving {one}": (
            "count",
            f"shared practices not in the {one} that continues their {one} (the matching)",
        ),
        f"patients moving {one}": ("patients", "list sizes (A's) of those practices"),
        f"{many} kept whole": (
            "count",
            f"A: {many} of A whose shared practices are all in the {one} of B that continues "
            f"it; B: {many} of B kept whole in A",
        ),
        f"{many} split": (
            "count",
            f"{many} of the side whose shared practices are in two or more {many} of the other",
        ),
        f"{many} merged": (
            "count",
            f"{many} of the side continued by {_a(one)} of the other that also holds shared "
            f"practices of other {many}",
        ),
        f"{many} not continued": (
            "count",
            f"{many} of the side holding shared practices that no {one} of the other continues",
        ),
        f"{many} crossing the other's footprint": (
            "count",
            f"{many} of the side holding shared practices and practices the other side does not "
            f"hold (A: reaching beyond B's footprint; B: beyond A's)",
        ),
        f"adjusted Rand index, {many}": (
            "fraction",
            "agreement of the two groupings of the shared practices (1 identical, about 0 as "
            "by chance)",
        ),
    }


def _fates(fates: GroupFates) -> dict[str, float]:
    return {
        "kept whole": fates.kept,
        "split": fates.split,
        "merged": fates.merged,
        "not continued": fates.not_continued,
    }


def _level_values(
    level: _Level, *, w_a: pd.Series, w_b: pd.Series, reference_is_b: bool
) -> tuple[dict[str, tuple[float | None, float | None]], pd.Series | None]:
    """The values of one level's measures (a, b), and which practices move."""
    one, many, a, b = level.one, level.many, level.a, level.b
    values: dict[str, tuple[float | None, float | None]] = {}
    values[f"{many} crossing the other's footprint"] = level.crossing
    if a is None or b is None:
        return values, None
    to_b = partner_retention(a, b, weights=w_a)
    to_a = partner_retention(b, a, weights=w_b)
    if reference_is_b:  # A's hubs continue today's PCNs
        a_to_b = match_groups(a, b, weights=w_a)
    else:  # B's groups continue A's
        a_to_b = {ref: new for new, ref in match_groups(b, a, weights=w_a).items()}
    b_to_a = {new: ref for ref, new in a_to_b.items()}
    fates_a = group_fates(b, a, matching=b_to_a)  # A's groups, as B continues them
    fates_b = group_fates(a, b, matching=a_to_b)  # B's groups, as A continues them
    moves = moved(b, a, matching=b_to_a)
    matching = a_to_b
    both = partner_pairs(a, other=b)
    values[f"{one} partner retention"] = (to_b.share, to_a.share)
    values[f"practices alone in their {one}"] = (to_b.alone, to_a.alone)
    values[f"{one} partner pairs"] = (partner_pairs(a), partner_pairs(b))
    values[f"{one} partner pairs in both"] = (both, both)
    values[f"{many} matched"] = (len(matching), len(matching))
    count, patients = int(moves.sum()), float(w_a[moves.index[moves]].sum())
    values[f"practices moving {one}"] = (count, count)
    values[f"patients moving {one}"] = (patients, patients)
    for name, value in _fates(fates_a).items():
        values[f"{many} {name}"] = (value, _fates(fates_b)[name])
    ari = adjusted_rand_index(a, b.loc[a.index])
    values[f"adjusted Rand index, {many}"] = (ari, ari)
    return values, moves


def continuity(
    a: Side, b: Side, *, reference_is_b: bool
) -> tuple[list[ComparisonRow], pd.DataFrame]:
    """View 3's rows, and changes.csv: one row per shared practice.

    Parameters
    ----------
    a, b
        The sides, on the same shared practices (``b`` today's PCNs when ``reference_is_b``).
    reference_is_b
        B is the reference grouping of the matching (today's PCNs); else A is.

    Returns
    -------
    tuple of list of ComparisonRow and pandas.DataFrame
        The measures, and the changes table (:data:`~mcp_geo.pipeline.compare.CHANGES_COLUMNS`).
    """
    codes = a.hub.index
    w_a, w_b = a.patients.loc[codes], b.patients.loc[codes]
    rows: list[ComparisonRow] = []
    moves: dict[str, pd.Series | None] = {}
    for level in (
        _Level("hub", "hubs", a.hub, b.hub.loc[codes], (a.crossing_hubs, b.crossing_hubs)),
        _Level(
            "MCP",
            "MCPs",
            a.mcp,
            None if b.mcp is None else b.mcp.loc[codes],
            (a.crossing_mcps, b.crossing_mcps),
        ),
    ):
        values, moves[level.one] = _level_values(
            level, w_a=w_a, w_b=w_b, reference_is_b=reference_is_b
        )
        for measure, (kind, definition) in _definitions(
            level.one, level.many, reference_is_b=reference_is_b
        ).items():
            va, vb = values.get(measure, (None, None))
            rows.append(ComparisonRow(measure, va, vb, kind, "continuity", definition))
    return rows, _changes(a, b, moves=moves)


def _changes(a: Side, b: Side, *, moves: dict[str, pd.Series | None]) -> pd.DataFrame:
    codes = a.hub.index
    names = a.names.where(a.names != "", b.names.loc[codes])
    hub_moves, mcp_moves = moves["hub"], moves["MCP"]
    return pd.DataFrame(
        {
            "practice_code": codes,
            "practice_name": names.to_numpy(),
            "patients": a.patients.round().astype("int64").to_numpy(),
            "a_hub": a.hub.to_numpy(),
            "a_mcp": None if a.mcp is None else a.mcp.loc[codes].to_numpy(),
            "b_hub": b.hub.loc[codes].to_numpy(),
            "b_mcp": None if b.mcp is None else b.mcp.loc[codes].to_numpy(),
            "moved_hub": None if hub_moves is None else hub_moves.loc[codes].to_numpy(),
            "moved_mcp": None if mcp_moves is None else mcp_moves.loc[codes].to_numpy(),
        }
    )
