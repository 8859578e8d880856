"""The exceptions of a national plan counted by footprint, and said in words.

Each footprint's named exceptions (hubs and MCPs outside the bounds, DESIGN "Hub") are counted by
kind and level, with the ``under_floor`` shortfall and the least shortfall its certificate proved
(``shortfall_bound``); the printed summary names the footprints planned under the floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mcp_geo.national._tasks import FootprintResult
from mcp_geo.plans.exceptions import KINDS, NamedException
from mcp_geo.plans.plan import Plan


def exception_counts(plan: Plan, ordered: Sequence[FootprintResult]) -> dict[str, Any]:
    """The named exceptions counted by footprint (those with any) and in total.

    Each count: ``exceptions`` (hubs and MCPs named), then per level (``hubs``, ``mcps``) how
    many of each kind, ``shortfall``: the patients below the floor over the level's
    ``under_floor`` groups (the least-exception plans' total), and ``shortfall_bound``: the
    least total any plan can have, as the certificates' ``shortfall`` stages proved it (equal
    to ``shortfall`` when proven; None without least-exception plans).
    """
    by_code = footprint_exceptions(plan.exceptions)
    counts = {
        r.code: _counts(by_code[r.code], bounds=shortfall_bounds(r))
        for r in ordered
        if by_code.get(r.code)
    }
    total = _counts([e for found in by_code.values() for e in found], bounds={})
    for level in ("hubs", "mcps"):
        found = [c[level]["shortfall_bound"] for c in counts.values()]
        known = [b for b in found if b is not None]
        total[level]["shortfall_bound"] = sum(known) if known else None
    return {"by_footprint": counts, "total": {"footprints": len(by_code), **total}}


def shortfall_bounds(result: FootprintResult) -> dict[str, int]:
    """The proven least shortfall of each level of a footprint with a ``shortfall`` stage.

    Parameters
    ----------
    result
        A solved footprint.

    Returns
    -------
    dict
        Level (``hubs``, ``mcps``) -> the stage's bound, rounded up to whole patients.
    """
    bounds = {}
    for level, cert in (result.certificates or {}).items():
        for stage in (cert or {}).get("stages", ()):
            if stage.get("name") == "shortfall" and stage.get("bound") is not None:
                bounds[level] = math.ceil(stage["bound"] - 1e-6)
    return bounds


def footprint_exceptions(
    exceptions: Sequence[NamedException],
) -> dict[str, list[NamedException]]:
    """A national plan's exceptions by footprint code (the prefix of their ids).

    Parameters
    ----------
    exceptions
        The national plan's exceptions (ids ``QOC-H05``).

    Returns
    -------
    dict
        Footprint code -> its exceptions, in the plan's order; codes sorted.
    """
    found: dict[str, list[NamedException]] = {}
    for e in exceptions:
        found.setdefault(e.group_id.split("-", 1)[0], []).append(e)
    return dict(sorted(found.items()))


def _counts(exceptions: Sequence[NamedException], *, bounds: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"exceptions": len(exceptions)}
    for level in ("hubs", "mcps"):
        mine = [e for e in exceptions if e.level == level]
        counts: dict[str, int | None] = {kind: sum(e.kind == kind for e in mine) for kind in KINDS}
        counts["shortfall"] = sum(e.shortfall or 0 for e in mine if e.kind == "under_floor")
        counts["shortfall_bound"] = bounds.get(level)
        out[level] = counts
    return out


_FOOTPRINT_WORDS = {
    "icb": "ICB",
    "icb-2026": "ICB",
    "sub-icb": "sub-ICB",
    "stp": "STP",
    "ccg": "CCG",
}


def exception_summary(
    exceptions: Sequence[NamedException],
    *,
    by: str,
    bounds: dict[str, dict[str, int]] | None = None,
) -> list[str]:
    """Lines for people on a national plan's exceptions: the footprints planned with groups
    under the floor (least-exception plans) and their shortfalls, then the other kinds.

    Parameters
    ----------
    exceptions
        The national plan's exceptions.
    by
        The partition (its footprints' word: ``ICB``...).
    bounds
        Footprint code -> :func:`shortfall_bounds`: a shortfall above its proven bound is said
        to be "not proven least".

    Returns
    -------
    list of str
        ``4 ICBs planned with exceptions under the floor: QOC (1 hub 1,263 under the floor),
        ...``; no line when there is nothing to say.
    """
    word = _FOOTPRINT_WORDS.get(by, by)
    under: list[str] = []
    for code, found in footprint_exceptions(exceptions).items():
        parts = []
        for level, noun in (("hubs", "hub"), ("mcps", "MCP")):
            mine = [e for e in found if e.level == level and e.kind == "under_floor"]
            if mine:
                short = sum(e.shortfall or 0 for e in mine)
                plural = "s" if len(mine) != 1 else ""
                bound = (bounds or {}).get(code, {}).get(level)
                proof = "" if bound is None or bound >= short else f", least >= {bound:,}"
                parts.append(f"{len(mine)} {noun}{plural} {short:,} under the floor{proof}")
        if parts:
            under.append(f"{code} ({'; '.join(parts)})")
    lines = []
    if under:
        plural = "s" if len(under) != 1 else ""
        lines.append(
            f"{len(under)} {word}{plural} planned with exceptions under the floor (least-"
            f"exception plans): {', '.join(under)}"
        )
    others = []
    for level, kind, words in (
        ("hubs", "over_ceiling", "hub(s) of one practice over the ceiling"),
        ("hubs", "isolated", "isolated hub(s) under the floor"),
        ("mcps", "over_ceiling", "MCP(s) of one hub over the ceiling"),
        ("mcps", "isolated", "isolated MCP(s) under the floor"),
    ):
        codes = [
            e.group_id.split("-", 1)[0] for e in exceptions if (e.level, e.kind) == (level, kind)
        ]
        if codes:
            plural = "s" if len(set(codes)) != 1 else ""
            others.append(f"{len(codes)} {words} in {len(set(codes))} {word}{plural}")
    if others:
        lines.append("other exceptions: " + "; ".join(others))
    return lines
