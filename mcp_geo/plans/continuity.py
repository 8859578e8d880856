"""How much of one grouping of practices another keeps: partner retention, partner pairs, and the
one-to-one matching of groups that decides which practices move (DESIGN.md, Words: "Comparison"
and "Reference grouping and moves").

Every function takes groupings as Series indexed by practice code (one group label per practice)
and list sizes as a Series on the same codes, so that they serve any two groupings: two plans'
hubs or MCPs, a plan and today's PCNs, a sweep's cells, alternatives.

- *Partner retention* from grouping F to grouping T: for each practice with at least one partner
  (another practice of its group) in F, the share of its F-partners' patients that are still its
  partners in T; averaged over those practices weighted by list size. Practices alone in their F
  group are left out and counted.
- *Matching*: new groups are matched one-to-one to reference groups so as to keep the most
  patients together (the weight of a pair is the patients of the practices in both); each new
  group continues at most one reference group and each reference group at most one new group;
  among matchings that keep the most patients, the lowest new group id is matched first, to the
  lowest reference code it can be (the matching whose pairs, sorted, come first). A practice
  *moves* unless it is in the new group that continues its reference group.
- A reference group is *kept* when all its practices are in the group that continues it, *split*
  when they are in two or more new groups, *merged* when the group that continues it also holds
  practices of other reference groups, and *not continued* when no group continues it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mcp_geo._errors import Problem, ValidationError

__all__ = [
    "GroupFates",
    "Retention",
    "fate_groups",
    "group_fates",
    "match_groups",
    "moved",
    "partner_pairs",
    "partner_retention",
]


@dataclass(frozen=True)
class Retention:
    """Partner retention from one grouping to another.

    Attributes
    ----------
    share
        The list-size weighted mean share of partners' patients kept, in [0, 1]; None when no
        practice has a partner.
    practices
        Practices with at least one partner (those averaged).
    alone
        Practices alone in their group, left out.
    """

    share: float | None
    practices: int
    alone: int


def _aligned(
    first: pd.Series, second: pd.Series, weights: pd.Series, *, context: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The three Series on one index (the first's), as text labels and integer weights."""
    problems = []
    if set(first.index) != set(second.index) or first.index.has_duplicates:
        problems.append(Problem("the groupings must hold the same practices, once each"))
    elif not set(first.index) <= set(weights.index):
        problems.append(Problem("every practice needs a list size", source="weights"))
    elif first.isna().any() or second.isna().any():
        problems.append(Problem("every practice needs a group in both groupings"))
    if problems:
        raise ValidationError(problems, context=context)
    index = first.index
    w = weights.loc[index].astype(float).round().astype("int64")
    return first.astype(str), second.loc[index].astype(str), w


def partner_retention(
    groups_from: pd.Series, groups_to: pd.Series, *, weights: pd.Series
) -> Retention:
    """Partner retention from ``groups_from`` to ``groups_to`` (see the module's docstring).

    Parameters
    ----------
    groups_from, groups_to
        Group label by practice code, on the same practices.
    weights
        List size by practice code.

    Returns
    -------
    Retention
        The weighted share, and how many practices it averages and leaves out.

    Examples
    --------
    >>> a = pd.Series({"p": "A1", "q": "A1", "r": "A1", "s": "A2"})
    >>> b = pd.Series({"p": "B1", "q": "B1", "r": "B2", "s": "B2"})
    >>> w = pd.Series({"p": 10, "q": 20, "r": 30, "s": 40})
    >>> r = partner_retention(a, b, weights=w)
    >>> round(r.share, 6), r.practices, r.alone
    (0.15, 3, 1)

    p keeps q of its partners q and r (20 of 50 patients), q keeps p of p and r (10 of 40),
    r keeps none; s is alone: (10 * 0.4 + 20 * 0.25 + 30 * 0) / 60 = 0.15.
    """
    f, t, w = _aligned(groups_from, groups_to, weights, context="partner_retention")
    group_total = w.groupby(f).transform("sum")
    group_size = f.map(f.value_counts())
    both_total = w.groupby([f, t]).transform("sum")
    partners = group_total - w
    kept = both_total - w
    counted = (group_size > 1) & (partners > 0)
    if not counted.any():
        return Retention(share=None, practices=0, alone=int((~counted).sum()))
    share = (kept[counted] / partners[counted]).astype(float)
    mean = float(np.dot(share, w[counted]) / w[counted].sum())
    return Retention(share=mean, practices=int(counted.sum()), alone=int((~counted).sum()))


def partner_pairs(groups: pd.Series, *, other: pd.Series | None = None) -> int:
    """Pairs of practices in one group of ``groups`` (and, given ``other``, in one of it too).

    Parameters
    ----------
    groups
        Group label by practice code.
    other
        Another grouping of the same practices; None counts the pairs of ``groups`` alone.

    Returns
    -------
    int
        The number of pairs.
    """
    keys = [groups.astype(str)] if other is None else [groups.astype(str), other.astype(str)]
    sizes = groups.groupby(keys).size().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _best(weight: NDArray[np.int64]) -> int:
    """The most weight a one-to-one matching of rows to columns keeps."""
    if weight.size == 0:
        return 0
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return int(weight[rows, cols].sum())


def _match_component(weight: NDArray[np.int64]) -> list[tuple[int, int]]:
    """The best matching of one block, ties to the lowest row, then the lowest column.

    The cells of positive weight are taken in (row, column) order; each is fixed when a matching
    holding it (with the cells fixed before, without those ruled out) still keeps the most
    weight, and ruled out otherwise. This gives the lexicographically first of the best
    matchings, exactly (integer weights, one assignment problem per cell).
    """
    work = weight.copy()
    best = _best(work)
    fixed: list[tuple[int, int]] = []
    kept = 0
    free_rows = np.ones(work.shape[0], dtype=bool)
    free_cols = np.ones(work.shape[1], dtype=bool)
    for i, j in zip(*np.nonzero(weight > 0), strict=True):
        if not (free_rows[i] and free_cols[j]) or work[i, j] <= 0:
            continue
        rows, cols = free_rows.copy(), free_cols.copy()
        rows[i], cols[j] = False, False
        rest = _best(work[np.ix_(rows, cols)])
        if kept + int(work[i, j]) + rest == best:
            fixed.append((int(i), int(j)))
            kept += int(work[i, j])
            free_rows, free_cols = rows, cols
        else:
            work[i, j] = 0
    return fixed


def match_groups(new: pd.Series, reference: pd.Series, *, weights: pd.Series) -> dict[str, str]:
    """The one-to-one matching of ``new`` groups to ``reference`` groups that keeps the most
    patients together (see the module's docstring; ties to the lowest new id, then the lowest
    reference code, as text).

    Parameters
    ----------
    new, reference
        Group label by practice code, on the same practices.
    weights
        List size by practice code.

    Returns
    -------
    dict of str to str
        Each matched new group -> the reference group it continues (pairs that keep no patient
        are never matched), sorted by new group.

    Examples
    --------
    A tie: H1 keeps 10 patients of G1 or 10 of G2, and H2 the other 10; H1 goes to G1.

    >>> new = pd.Series({"p": "H1", "q": "H1", "r": "H2", "s": "H2"})
    >>> ref = pd.Series({"p": "G1", "q": "G2", "r": "G1", "s": "G2"})
    >>> match_groups(new, ref, weights=pd.Series({"p": 10, "q": 10, "r": 10, "s": 10}))
    {'H1': 'G1', 'H2': 'G2'}
    """
    n, r, w = _aligned(new, reference, weights, context="match_groups")
    cells = w.groupby([n, r]).sum()
    cells = cells[cells > 0]
    hubs = sorted(set(n))
    groups = sorted(set(r))
    row = {h: k for k, h in enumerate(hubs)}
    col = {g: k for k, g in enumerate(groups)}
    i = np.array([row[h] for h, _ in cells.index], dtype=np.int64)
    j = np.array([col[g] for _, g in cells.index], dtype=np.int64)
    full = np.zeros((len(hubs), len(groups)), dtype=np.int64)
    full[i, j] = cells.to_numpy(dtype=np.int64)
    size = len(hubs) + len(groups)
    graph = coo_matrix((np.ones(len(i)), (i, len(hubs) + j)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    matched: dict[str, str] = {}
    for component in np.unique(label[: len(hubs)]):
        rows = np.flatnonzero(label[: len(hubs)] == component)
        cols = np.flatnonzero(label[len(hubs) :] == component)
        for a, b in _match_component(full[np.ix_(rows, cols)]):
            matched[hubs[rows[a]]] = groups[cols[b]]
    return dict(sorted(matched.items()))


def moved(new: pd.Series, reference: pd.Series, *, matching: dict[str, str]) -> pd.Series:
    """Per practice: True unless its new group is the one that continues its reference group.

    Parameters
    ----------
    new, reference
        Group label by practice code, on the same practices.
    matching
        New group -> reference group, as :func:`match_groups` returns.

    Returns
    -------
    pandas.Series
        Booleans by practice code (``new``'s order).
    """
    continued_by = {g: h for h, g in matching.items()}
    ref = reference.loc[new.index].astype(str)
    return pd.Series(
        [continued_by.get(g) != h for h, g in zip(new.astype(str), ref, strict=True)],
        index=new.index,
        dtype=bool,
    )


@dataclass(frozen=True)
class GroupFates:
    """What became of each reference group (counts; a group can be kept and merged)."""

    groups: int
    kept: int
    split: int
    merged: int
    not_continued: int


def group_fates(new: pd.Series, reference: pd.Series, *, matching: dict[str, str]) -> GroupFates:
    """How many reference groups are kept, split, merged or not continued by ``new``.

    Parameters
    ----------
    new, reference
        Group label by practice code, on the same practices.
    matching
        New group -> reference group, as :func:`match_groups` returns.

    Returns
    -------
    GroupFates
        The counts over the reference groups.
    """
    fates = fate_groups(new, reference, matching=matching)
    groups = reference.loc[new.index].astype(str).nunique()
    return GroupFates(
        groups=groups,
        kept=len(fates["kept"]),
        split=len(fates["split"]),
        merged=len(fates["merged"]),
        not_continued=len(fates["not_continued"]),
    )


def fate_groups(
    new: pd.Series, reference: pd.Series, *, matching: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    """Which reference groups are kept, split, merged or not continued by ``new`` (the module's
    definitions; a group can be kept and merged, or split and merged).

    Parameters
    ----------
    new, reference
        Group label by practice code, on the same practices.
    matching
        New group -> reference group, as :func:`match_groups` returns.

    Returns
    -------
    dict of str to tuple of str
        ``kept``, ``split``, ``merged`` and ``not_continued``: the reference groups' labels
        (as text), sorted.

    Examples
    --------
    >>> new = pd.Series({"p": "H1", "q": "H1", "r": "H1", "s": "H2"})
    >>> ref = pd.Series({"p": "G1", "q": "G1", "r": "G2", "s": "G2"})
    >>> fate_groups(new, ref, matching={"H1": "G1", "H2": "G2"})["merged"]
    ('G1',)
    """
    n = new.astype(str)
    r = reference.loc[n.index].astype(str)
    continued_by = {g: h for h, g in matching.items()}
    found: dict[str, list[str]] = {"kept": [], "split": [], "merged": [], "not_continued": []}
    for group, members in n.groupby(r, sort=True):
        hub = continued_by.get(str(group))
        if members.nunique() > 1:
            found["split"].append(str(group))
        if hub is None:
            found["not_continued"].append(str(group))
            continue
        if bool((members == hub).all()):
            found["kept"].append(str(group))
        if bool((r[n == hub] != group).any()):
            found["merged"].append(str(group))
    return {fate: tuple(groups) for fate, groups in found.items()}
