"""What a plan kept of its reference grouping: the moves and the groups' fates (DESIGN.md, Words:
"Reference grouping and moves").

A plan made with a reference (``reference = "pcn"``, or an earlier plan's folder) holds each
practice's reference group in ``practices.reference_group`` (missing: no group). The new hubs are
matched one-to-one to the reference groups keeping the most patients together (the most
practices, with ``minimise = "practices"``), ties to the lowest hub id, then the lowest group
code: :func:`~mcp_geo.plans.continuity.match_groups`, the matching every comparison uses. A
practice *moves* unless it is in the hub that continues its group; practices without a group
never move and are left out of the matching. A group is *kept*, *split*, *merged* or *not
continued* as :func:`~mcp_geo.plans.continuity.fate_groups` says.

:func:`reference_outcome` measures it, :func:`moves_table` gives moves.csv's rows; both are pure
functions of the plan's practices, so that a plan read back from its folder says the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mcp_geo.boundaries.distances import haversine_km
from mcp_geo.plans.continuity import fate_groups, match_groups, moved
from mcp_geo.solvers.areas import AREA_LEVELS

MOVE_COLUMNS: tuple[str, ...] = (
    "practice_code",
    "practice_name",
    "patients",
    "reference_group",
    "hub_id",
    "km_to_hub_base",
)
"""Columns of moves.csv (DESIGN.md "Outputs"): one row per moved practice, sorted by code."""

DEFINITION = (
    "new hubs matched one-to-one to the reference groups keeping the most {what} together "
    "(ties: the lowest hub id, then the lowest group code); a practice moves unless it is in "
    "the hub that continues its group; practices without a group never move; a group is kept "
    "when all its practices are in the hub that continues it, split when they are in two or "
    "more hubs, merged when the hub that continues it also holds practices of other groups"
)


@dataclass(frozen=True)
class ReferenceOutcome:
    """The moves out of a reference grouping and what became of its groups.

    Attributes
    ----------
    kind
        ``"pcn"`` (today's PCNs) or ``"plan"`` (the hubs of an earlier plan).
    source
        ``"pcn"``, or the earlier plan folder's name.
    minimise
        What the matching keeps together: ``"patients"`` or ``"practices"``.
    groups
        Reference groups among the plan's practices.
    practices_without_group
        The plan's practices with no reference group (never moves).
    moved
        The codes of the practices that moved, sorted.
    moved_patients
        Their patients.
    matching
        Hub id -> the reference group it continues.
    kept, split, merged, not_continued
        The reference groups of each fate, sorted (a group can be kept and merged).
    why_split
        Each split group's reason, in words (:func:`split_reasons`).
    """

    kind: Literal["pcn", "plan"]
    source: str
    minimise: str
    groups: int
    practices_without_group: int
    moved: tuple[str, ...]
    moved_patients: int
    matching: dict[str, str]
    kept: tuple[str, ...]
    split: tuple[str, ...]
    merged: tuple[str, ...]
    not_continued: tuple[str, ...]
    why_split: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The reference in words: ``today's PCNs`` or ``the hubs of <folder name>``."""
        if self.kind == "pcn":
            return "today's PCNs"
        return f"the hubs of {self.source}"

    @property
    def group_word(self) -> str:
        """What a group is called: ``PCN`` or ``hub``."""
        return "PCN" if self.kind == "pcn" else "hub"

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``reference``."""
        return {
            "kind": self.kind,
            "source": self.source,
            "minimise": self.minimise,
            "groups": self.groups,
            "practices_without_group": self.practices_without_group,
            "moved_practices": len(self.moved),
            "moved_patients": self.moved_patients,
            "groups_kept": len(self.kept),
            "groups_split": len(self.split),
            "groups_merged": len(self.merged),
            "groups_not_continued": len(self.not_continued),
            "split": list(self.split),
            "why_split": {g: self.why_split[g] for g in self.split if g in self.why_split},
            "merged": list(self.merged),
            "definition": DEFINITION.format(what=self.minimise),
        }

    def line(self) -> str:
        """One line for the printed summary (``from today's PCNs: 12 practices (61,234
        patients) moved; 9 of 13 PCNs kept whole, 2 split, 2 merged``)."""
        word = self.group_word + ("s" if self.groups != 1 else "")
        text = (
            f"from {self.title}: {_count(len(self.moved), 'practice')} "
            f"({self.moved_patients:,} patients) moved; {len(self.kept)} of {self.groups} "
            f"{word} kept whole, {len(self.split)} split, {len(self.merged)} merged"
        )
        if self.not_continued:
            text += f", {len(self.not_continued)} not continued"
        if self.practices_without_group:
            alone = _count(self.practices_without_group, "practice")
            text += f"; {alone} without a {self.group_word}"
        return text


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def _blank(value: object) -> bool:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return True
    return not str(value).strip()


def group_labels(values: pd.Series) -> pd.Series:
    """Group labels as stripped text, None where missing or blank (no group).

    Parameters
    ----------
    values
        Labels of any type.

    Returns
    -------
    pandas.Series
        Object dtype, on ``values``' index.

    Examples
    --------
    >>> group_labels(pd.Series([" U1 ", "", None, float("nan")])).tolist()
    ['U1', None, None, None]
    """
    labels = [None if _blank(v) else str(v).strip() for v in values]
    return pd.Series(labels, index=values.index, dtype=object)


def reference_groups(practices: pd.DataFrame) -> pd.Series:
    """Each practice's reference group as text, indexed by practice code (None: no group).

    Parameters
    ----------
    practices
        practice_code and reference_group (missing, NaN or blank: no group).

    Returns
    -------
    pandas.Series
        Object dtype, the practices' order.
    """
    labels = group_labels(practices["reference_group"])
    return pd.Series(
        labels.to_numpy(), index=practices["practice_code"].astype(str).to_numpy(), dtype=object
    )


def reference_outcome(
    practices: pd.DataFrame, *, source: str, minimise: str = "patients"
) -> ReferenceOutcome:
    """The moves and the groups' fates of a plan made with a reference (module docstring).

    Parameters
    ----------
    practices
        One row per planned practice: practice_code, patients, hub_id, reference_group.
    source
        The reference as the scenario gives it: ``"pcn"`` or the earlier plan's folder (the
        outcome names the folder by its name, as given or read back).
    minimise
        ``"patients"`` (the matching keeps the most patients together) or ``"practices"``.

    Returns
    -------
    ReferenceOutcome
        The moved practices and the kept, split, merged and not continued groups.

    Examples
    --------
    >>> practices = pd.DataFrame({"practice_code": ["p", "q", "r", "s"],
    ...     "patients": [10, 20, 30, 40], "hub_id": ["H1", "H1", "H2", "H2"],
    ...     "reference_group": ["G1", "G2", "G2", None]})
    >>> outcome = reference_outcome(practices, source="pcn")
    >>> outcome.moved, outcome.split, outcome.practices_without_group
    (('q',), ('G2',), 1)
    """
    groups = reference_groups(practices)
    has = groups.notna().to_numpy()
    codes = practices["practice_code"].astype(str).to_numpy()[has]
    hub = pd.Series(practices["hub_id"].astype(str).to_numpy()[has], index=codes)
    ref = pd.Series(groups.to_numpy()[has], index=codes, dtype=object)
    patients = pd.Series(practices["patients"].to_numpy()[has], index=codes)
    weights = patients if minimise == "patients" else pd.Series(1, index=codes)
    matching = match_groups(hub, ref, weights=weights) if len(codes) else {}
    away = moved(hub, ref, matching=matching) if len(codes) else pd.Series(dtype=bool)
    fates = fate_groups(hub, ref, matching=matching)
    pcn = source.strip().lower() == "pcn"
    return ReferenceOutcome(
        kind="pcn" if pcn else "plan",
        source="pcn" if pcn else Path(source.strip()).name or source,
        minimise=minimise,
        groups=int(ref.nunique()),
        practices_without_group=int((~has).sum()),
        moved=tuple(sorted(away.index[away.to_numpy()])),
        moved_patients=int(patients[away].sum()) if len(codes) else 0,
        matching=matching,
        kept=fates["kept"],
        split=fates["split"],
        merged=fates["merged"],
        not_continued=fates["not_continued"],
    )


@dataclass(frozen=True)
class SplitRules:
    """What can keep a reference group from being one hub: the plan's hub rules."""

    hub_max: int
    max_km: float | None  # None: no limit, or travel not in great-circle km (not checked)
    hubs_within: str | None
    whole: bool
    sites: bool = False  # hubs based at candidate sites (``bases``): the limit is to a site


def split_reasons(
    practices: pd.DataFrame, split: tuple[str, ...], *, rules: SplitRules
) -> dict[str, str]:
    """Why each split reference group could not be one hub, in words.

    The first that applies: over the ceiling; no practice of the group within the distance
    limit of all the others (great-circle km), or with candidate sites two of its practices
    more than twice the limit apart (no site can then be within the limit of both); the area
    rule (``hubs_within``: the area rule
    wins); else the objective (with ``whole``: the split stage proved that keeping it whole
    would split more groups or break a rule; without: the fewest moves split it).

    Parameters
    ----------
    practices
        The plan's practices: practice_code, patients, latitude, longitude, reference_group
        (and the area level's column under an area rule).
    split
        The split groups' codes.
    rules
        The plan's hub rules.

    Returns
    -------
    dict[str, str]
        Group code -> reason.
    """
    groups = reference_groups(practices)
    out = {}
    for code in split:
        members = practices[(groups == code).to_numpy()]
        total = int(members["patients"].sum())
        if total > rules.hub_max:
            out[code] = f"over the ceiling: {total:,} patients > {rules.hub_max:,}"
            continue
        if rules.max_km is not None and len(members) > 1:
            lat, lon = members["latitude"].to_numpy(), members["longitude"].to_numpy()
            km = haversine_km((lat[:, None], lon[:, None]), (lat[None, :], lon[None, :]))
            if rules.sites and km.max() > 2 * rules.max_km + 1e-9:
                out[code] = (
                    f"no candidate site can be within {rules.max_km:g} km of all its practices "
                    f"(two of them are {km.max():.1f} km apart)"
                )
                continue
            if not rules.sites and km.max(axis=0).min() > rules.max_km + 1e-9:
                out[code] = (
                    f"no practice of it is within {rules.max_km:g} km of all the others "
                    f"(the nearest to all is {km.max(axis=0).min():.1f} km from the farthest)"
                )
                continue
        level = rules.hubs_within
        column = None if level is None else AREA_LEVELS[level].column
        if column is not None and column in members and members[column].nunique() > 1:
            out[code] = (
                f"the area rule wins: its practices lie in {members[column].nunique()} {level} areas"
            )
            continue
        out[code] = (
            "keeping it whole would split more groups or break a rule (the split stage's proof)"
            if rules.whole
            else "the fewest moves split it (--whole keeps groups whole where the rules allow)"
        )
    return out


def moves_table(practices: pd.DataFrame, outcome: ReferenceOutcome) -> pd.DataFrame:
    """moves.csv's rows: the moved practices with :data:`MOVE_COLUMNS`, sorted by code.

    Parameters
    ----------
    practices
        The plan's practices (practice_code, practice_name, patients, reference_group, hub_id,
        km_to_hub_base).
    outcome
        Their :func:`reference_outcome`.

    Returns
    -------
    pandas.DataFrame
        One row per moved practice.
    """
    rows = practices[practices["practice_code"].astype(str).isin(set(outcome.moved))]
    table = pd.DataFrame(rows[list(MOVE_COLUMNS)])
    return table.sort_values("practice_code", kind="mergesort").reset_index(drop=True)


__all__ = [
    "MOVE_COLUMNS",
    "ReferenceOutcome",
    "group_labels",
    "moves_table",
    "reference_groups",
    "reference_outcome",
]
