"""The reference grouping of a level's items, and the moves of a plan against it.

DESIGN "Reference grouping and moves": new groups (hubs) are matched one-to-one to reference
groups (today's PCNs, or an earlier plan's hubs) so as to keep the most patients (practices,
when practices are minimised) together; an item *moves* unless it is in the group that
continues its reference group; items without a reference group never move. The least moves
of a plan is therefore a maximum-weight bipartite matching between its groups and the
reference groups, weighted by what each pair keeps together (:func:`plan_moves`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import NDArray

Minimise = Literal["patients", "practices"]


@dataclass(frozen=True)
class ReferenceGroups:
    """Each item's reference group and what a move counts.

    Attributes
    ----------
    labels
        Per instance item, the index of its group in ``names`` (-1: no group, never a move).
    names
        The groups' codes (PCN codes, or an earlier plan's hub ids), sorted.
    minimise
        ``"patients"``: a move counts the item's weight; ``"practices"``: one.
    travel_slack
        None: the moves come first; a fraction F: only plans within F of the least travel.
    whole
        First split as few groups as the rules allow (stage ``split``), then the moves.
    claimed
        Groups already continued by a group outside the part being solved (a practice over
        the ceiling on its own, or a part solved before): no other group may continue them.
    """

    labels: NDArray[np.int64]
    names: tuple[str, ...]
    minimise: Minimise = "patients"
    travel_slack: float | None = None
    whole: bool = False
    claimed: frozenset[int] = frozenset()

    @classmethod
    def from_series(
        cls,
        codes: tuple[str, ...],
        groups: pd.Series,
        *,
        minimise: Minimise = "patients",
        travel_slack: float | None = None,
        whole: bool = False,
    ) -> ReferenceGroups:
        """The reference groups of items given by code (missing or empty: no group).

        Parameters
        ----------
        codes
            The instance's item codes (items not in ``groups`` have no group).
        groups
            Each item's group, indexed by item code.
        minimise, travel_slack, whole
            As the attributes.

        Returns
        -------
        ReferenceGroups
            The labels, in the order of ``codes``.
        """
        raw = groups.reindex(list(codes))
        text = [
            "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            for v in raw.tolist()
        ]
        names = tuple(sorted({t for t in text if t}))
        pos = {name: k for k, name in enumerate(names)}
        labels = np.array([pos.get(t, -1) for t in text], dtype=np.int64)
        return cls(labels, names, minimise=minimise, travel_slack=travel_slack, whole=whole)

    def padded(self, n: int) -> ReferenceGroups:
        """These groups over ``n`` items, the items after the labelled ones without a group
        (candidate base sites and their parks, whose codes may repeat a practice's).

        Parameters
        ----------
        n
            The instance's item count (at least the labels').

        Returns
        -------
        ReferenceGroups
            The same groups, ``labels`` extended with -1.
        """
        extra = np.full(n - len(self.labels), -1, dtype=np.int64)
        return dataclasses.replace(self, labels=np.concatenate([self.labels, extra]))

    def move_weights(self, weights: NDArray[np.int64]) -> NDArray[np.int64]:
        """What moving each item counts: its weight or one, and 0 without a group.

        Parameters
        ----------
        weights
            The items' weights (patients).

        Returns
        -------
        NDArray[np.int64]
            One whole number per item.
        """
        each = weights if self.minimise == "patients" else np.ones_like(weights)
        return np.where(self.labels >= 0, each, 0).astype(np.int64)


def _matching(
    ref: ReferenceGroups, base_of: NDArray[np.int64], *, weights: NDArray[np.int64]
) -> tuple[int, int, dict[int, int]]:
    """The best matching of a plan's groups to the reference groups: the move weight of the
    planned items with a group, what the matching keeps, and base -> continued group."""
    mw = ref.move_weights(weights)
    planned = (base_of >= 0) & (ref.labels >= 0)
    frame = pd.DataFrame(
        {"hub": base_of[planned], "group": ref.labels[planned], "kept": mw[planned]}
    )
    pairs = frame.groupby(["hub", "group"])["kept"].sum()
    graph = nx.Graph()
    for (hub, group), kept in pairs.items():
        graph.add_edge(("h", int(hub)), ("g", int(group)), weight=int(kept))
    continued = {}
    kept_total = 0
    for a, b in nx.max_weight_matching(graph):
        hub, group = (a, b) if a[0] == "h" else (b, a)
        continued[hub[1]] = group[1]
        kept_total += graph.edges[a, b]["weight"]
    return int(mw[planned].sum()), int(kept_total), continued


def matched_groups(
    ref: ReferenceGroups, base_of: NDArray[np.int64], *, weights: NDArray[np.int64]
) -> dict[int, int]:
    """Which reference group each of a plan's groups continues (by the best matching).

    Parameters
    ----------
    ref
        The reference groups.
    base_of
        Each item's base; negative: not in this plan (left out).
    weights
        The items' weights.

    Returns
    -------
    dict[int, int]
        Base -> continued group's index, for the groups that continue one.
    """
    return _matching(ref, base_of, weights=weights)[2]


def continued_groups(
    ref: ReferenceGroups, base_of: NDArray[np.int64], *, weights: NDArray[np.int64]
) -> frozenset[int]:
    """The reference groups a plan's groups continue (by the best matching).

    Parameters
    ----------
    ref
        The reference groups.
    base_of
        Each item's base; negative: not in this plan (left out).
    weights
        The items' weights.

    Returns
    -------
    frozenset[int]
        The continued groups' indices.
    """
    return frozenset(matched_groups(ref, base_of, weights=weights).values())


def plan_moves(
    ref: ReferenceGroups,
    base_of: NDArray[np.int64],
    *,
    weights: NDArray[np.int64],
) -> int:
    """The moves of a plan: what is counted out of the groups the matching keeps.

    Parameters
    ----------
    ref
        The reference groups (``labels`` per item).
    base_of
        Each item's base (its group); items with a negative base are left out.
    weights
        The items' weights (patients).

    Returns
    -------
    int
        The total move weight of the items that move under the best matching.
    """
    total, kept, _ = _matching(ref, base_of, weights=weights)
    return total - kept


def whole_groups(
    ref: ReferenceGroups, items: NDArray[np.int64]
) -> tuple[list[NDArray[np.int64]], int]:
    """The reference groups a plan of some items may hold whole, and those it splits anyway.

    A group counts (DESIGN "split") when it has two items or more: it is *whole* when they all
    share one group of the plan, *split* when they are in two or more.

    Parameters
    ----------
    ref
        The reference groups.
    items
        The items planned together (instance indices: a part).

    Returns
    -------
    tuple[list[NDArray[np.int64]], int]
        Each group of two items or more, all among ``items``, as positions in ``items`` (by
        group index); and how many groups of two or more have items both among ``items`` and
        outside (split whatever the plan of these items).
    """
    labels = ref.labels[items]
    every = np.bincount(ref.labels[ref.labels >= 0], minlength=len(ref.names))
    here = np.bincount(labels[labels >= 0], minlength=len(ref.names))
    wholes: list[NDArray[np.int64]] = []
    anyway = 0
    for code in np.unique(labels[labels >= 0]).tolist():
        if every[code] >= 2 and here[code] == every[code]:
            wholes.append(np.flatnonzero(labels == code))
        elif every[code] >= 2:
            anyway += 1
    return wholes, anyway
