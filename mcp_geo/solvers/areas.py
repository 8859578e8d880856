"""Official area levels: the ``hubs_within`` / ``mcps_within`` rules and the crossing counts.

A level is named as in the footprint syntax (DESIGN.md "Area rules"): ``sub-icb``, ``icb`` and
``ccg19`` on the 2025-04 snapshot (and for a sites file, whose areas come from the shipped
outlines), ``ccg`` and ``stp`` on 2021-01. Each level reads one column of the practices; the
CCG-era files put a practice's CCG where the Sub-ICB-era files put its Sub-ICB, and its STP where
they put its ICB::

    level    column        word in messages
    sub-icb  sub_icb_code  sub-ICB
    icb      icb_code      ICB
    ccg19    ccg19_code    2019 CCG
    ccg      sub_icb_code  CCG
    stp      icb_code      STP

A practice with no area at the level (a site outside every outline) is in no area: under a
within rule it may share a hub only with practices that have none either (they are, for the rule,
one area of their own, named "outside every sub-ICB").

Examples
--------
>>> import pandas as pd
>>> area_labels(pd.DataFrame({"sub_icb_code": ["05G", None, " 05W "]}), "sub-icb")
('05G', None, '05W')
>>> area_name("icb", None)
'outside every ICB'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class AreaLevel:
    """One official level: its public name, the practices' column, and its word in messages."""

    name: str
    column: str
    word: str


AREA_LEVELS: dict[str, AreaLevel] = {
    level.name: level
    for level in (
        AreaLevel("sub-icb", "sub_icb_code", "sub-ICB"),
        AreaLevel("icb", "icb_code", "ICB"),
        AreaLevel("ccg19", "ccg19_code", "2019 CCG"),
        AreaLevel("ccg", "sub_icb_code", "CCG"),
        AreaLevel("stp", "icb_code", "STP"),
    )
}
"""Every level a within rule may name, by name."""

LEVEL_NAMES: tuple[str, ...] = tuple(AREA_LEVELS)

ERA_LEVELS: dict[str, tuple[str, ...]] = {
    "sub-icb": ("sub-icb", "icb", "ccg19"),
    "ccg": ("ccg", "stp"),
    "sites": ("sub-icb", "icb", "ccg19"),
}
"""The levels the data holds, by snapshot era (``Snapshot.era``), and for a sites file."""

NESTS_IN: dict[str, str] = {"sub-icb": "icb", "ccg": "stp"}
"""Level -> the level each of its areas lies within (Sub-ICB locations nest in ICBs, CCGs in
STPs). A 2019 CCG nests in neither: some practices changed ICB since 2019."""


def area_labels(frame: pd.DataFrame, level: str) -> tuple[str | None, ...]:
    """Each row's area code at ``level`` (None where the row has none).

    Parameters
    ----------
    frame
        Practices (or hubs) with the level's column (:data:`AREA_LEVELS`).
    level
        A name of :data:`LEVEL_NAMES`.

    Returns
    -------
    tuple[str | None, ...]
        One code per row, stripped; None for a missing or blank value.

    Raises
    ------
    KeyError
        If ``frame`` has no column for the level.
    """
    column = AREA_LEVELS[level].column
    values = frame[column]
    return tuple(
        None if pd.isna(v) or not str(v).strip() else str(v).strip() for v in values.tolist()
    )


def area_name(level: str, code: str | None) -> str:
    """An area in words: ``sub-ICB 05G``, or ``outside every sub-ICB`` for no area.

    Parameters
    ----------
    level
        A name of :data:`LEVEL_NAMES`.
    code
        The area's code, or None.

    Returns
    -------
    str
        The words.
    """
    word = AREA_LEVELS[level].word
    return f"outside every {word}" if code is None else f"{word} {code}"


def area_place(level: str, code: str | None) -> str:
    """Where, in words: ``in sub-ICB 05G``, or ``outside every sub-ICB`` for no area.

    Parameters
    ----------
    level
        A name of :data:`LEVEL_NAMES`.
    code
        The area's code, or None.

    Returns
    -------
    str
        The words.
    """
    return area_name(level, code) if code is None else f"in {area_name(level, code)}"


def nests(inner: str, outer: str) -> bool:
    """Whether every area of ``inner`` lies within one area of ``outer`` (or they are one level).

    Parameters
    ----------
    inner, outer
        Names of :data:`LEVEL_NAMES`.

    Returns
    -------
    bool
        True for the same level, or a level that nests in the other (:data:`NESTS_IN`).
    """
    return inner == outer or NESTS_IN.get(inner) == outer
