"""Partner retention, partner pairs and the one-to-one matching of groups, on hand-drawn groupings
whose numbers are worked out in the docstrings (DESIGN.md, Words: "Comparison", "Reference
grouping and moves")."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.plans.continuity import (
    group_fates,
    match_groups,
    moved,
    partner_pairs,
    partner_retention,
)


def _six():
    """Six practices, grouped by A and by B::

        practice  patients  A   B
        p1        10        A1  B1
        p2        20        A1  B1
        p3        30        A1  B2
        p4        40        A2  B2
        p5        50        A2  B2
        p6        60        A3  B3

    Retention A -> B (partners in A, the share of their patients still partners in B):
    p1 keeps p2 of p2, p3: 20/50 = 0.4; p2 keeps p1 of p1, p3: 10/40 = 0.25; p3 keeps none: 0;
    p4 keeps p5: 1; p5 keeps p4: 1; p6 is alone (left out). Weighted by list size:
    (10 * 0.4 + 20 * 0.25 + 30 * 0 + 40 + 50) / 150 = 99 / 150 = 0.66.

    Retention B -> A: p1 and p2 keep each other: 1, 1; p3 keeps none of p4, p5: 0; p4 keeps p5
    of p3, p5: 50/80 = 0.625; p5 keeps p4 of p3, p4: 40/70 = 4/7; p6 alone.
    (10 + 20 + 0 + 40 * 0.625 + 50 * 4/7) / 150 = (55 + 200/7) / 150 = 585 / 1050.

    Pairs: A has 3 (A1) + 1 (A2) = 4, B has 1 (B1) + 3 (B2) = 4, both 2 (p1-p2, p4-p5).

    Matching B to A (the reference): cells B1-A1 30, B2-A1 30, B2-A2 90, B3-A3 60; the best keeps
    180: B1-A1, B2-A2, B3-A3. p3 (A1, continued by B1, but in B2) moves: 1 practice, 30 patients.
    A's groups: A1 split (B1, B2), not kept; A2 kept whole and merged (B2 holds p3 of A1); A3 kept.
    B's groups, continued by A: B1 kept and merged (A1 holds p3 of B2); B2 split; B3 kept.
    """
    a = pd.Series({"p1": "A1", "p2": "A1", "p3": "A1", "p4": "A2", "p5": "A2", "p6": "A3"})
    b = pd.Series({"p1": "B1", "p2": "B1", "p3": "B2", "p4": "B2", "p5": "B2", "p6": "B3"})
    w = pd.Series({"p1": 10, "p2": 20, "p3": 30, "p4": 40, "p5": 50, "p6": 60})
    return a, b, w


def test_retention_both_ways():
    a, b, w = _six()
    to_b = partner_retention(a, b, weights=w)
    assert to_b.share == pytest.approx(0.66)
    assert (to_b.practices, to_b.alone) == (5, 1)
    to_a = partner_retention(b, a, weights=w)
    assert to_a.share == pytest.approx(585 / 1050)
    assert (to_a.practices, to_a.alone) == (5, 1)
    assert partner_retention(a, a, weights=w).share == 1.0


def test_pairs():
    a, b, _ = _six()
    assert (partner_pairs(a), partner_pairs(b), partner_pairs(a, other=b)) == (4, 4, 2)


def test_matching_moves_and_fates():
    a, b, w = _six()
    matching = match_groups(b, a, weights=w)
    assert matching == {"B1": "A1", "B2": "A2", "B3": "A3"}
    moves = moved(b, a, matching=matching)
    assert list(moves.index[moves]) == ["p3"]
    fates_a = group_fates(b, a, matching=matching)
    assert (fates_a.groups, fates_a.kept, fates_a.split, fates_a.merged) == (3, 2, 1, 1)
    assert fates_a.not_continued == 0
    back = {ref: new for new, ref in matching.items()}
    fates_b = group_fates(a, b, matching=back)
    assert (fates_b.kept, fates_b.split, fates_b.merged, fates_b.not_continued) == (2, 1, 1, 0)


def test_a_tie_goes_to_the_lowest_hub_then_the_lowest_group():
    """Four practices of 10 patients; hubs H1 = {q1, q2}, H2 = {q3, q4}; groups G1 = {q1, q3},
    G2 = {q2, q4}. Every cell keeps 10: H1-G1 + H2-G2 and H1-G2 + H2-G1 both keep 20. The tie
    goes to the lowest hub, H1, with the lowest group it can take, G1; so H2-G2. q2 (G2,
    continued by H2, but in H1) and q3 move: 2 practices, 20 patients. Listing the practices in
    another order changes nothing."""
    hubs = pd.Series({"q1": "H1", "q2": "H1", "q3": "H2", "q4": "H2"})
    groups = pd.Series({"q1": "G1", "q2": "G2", "q3": "G1", "q4": "G2"})
    w = pd.Series(10, index=hubs.index)
    assert match_groups(hubs, groups, weights=w) == {"H1": "G1", "H2": "G2"}
    order = ["q4", "q2", "q3", "q1"]
    assert match_groups(hubs[order], groups[order], weights=w) == {"H1": "G1", "H2": "G2"}
    moves = moved(hubs, groups, matching={"H1": "G1", "H2": "G2"})
    assert list(moves.index[moves]) == ["q2", "q3"]


def test_a_tie_for_one_group():
    """G1 = {r1, r2} of 10 patients each, r1 in H1 and r2 in H2: either hub keeps 10 of G1.
    H1 (the lowest) continues G1; H2 continues nothing, and r2 moves."""
    hubs = pd.Series({"r1": "H1", "r2": "H2"})
    groups = pd.Series({"r1": "G1", "r2": "G1"})
    w = pd.Series({"r1": 10, "r2": 10})
    assert match_groups(hubs, groups, weights=w) == {"H1": "G1"}
    fates = group_fates(hubs, groups, matching={"H1": "G1"})
    assert (fates.kept, fates.split, fates.merged, fates.not_continued) == (0, 1, 0, 0)


def test_the_lowest_hub_does_not_take_what_costs_patients():
    """H1 keeps 5 of G1 or 5 of G2, H2 keeps 10 of G1 and nothing else. H1-G1 would leave H2
    nothing (5 in all); H1-G2 + H2-G1 keep 15: H1 continues G2."""
    hubs = pd.Series({"s1": "H1", "s2": "H1", "s3": "H2"})
    groups = pd.Series({"s1": "G1", "s2": "G2", "s3": "G1"})
    w = pd.Series({"s1": 5, "s2": 5, "s3": 10})
    assert match_groups(hubs, groups, weights=w) == {"H1": "G2", "H2": "G1"}


def _brute_force(weight: np.ndarray) -> list[tuple[int, int]]:
    """The best matching by enumeration, ties to the lexicographically first sorted pairs."""
    rows, cols = weight.shape
    best: tuple[int, list[tuple[int, int]]] | None = None
    cells = [(i, j) for i in range(rows) for j in range(cols) if weight[i, j] > 0]
    for k in range(min(rows, cols) + 1):
        for pairs in itertools.combinations(cells, k):
            if len({i for i, _ in pairs}) < k or len({j for _, j in pairs}) < k:
                continue
            kept = sum(int(weight[i, j]) for i, j in pairs)
            key = sorted(pairs)
            if best is None or kept > best[0] or (kept == best[0] and key < best[1]):
                best = (kept, key)
    assert best is not None
    return best[1]


def test_matching_equals_brute_force_on_random_groupings():
    """Random groupings of 12 practices of 1-3 patients (ties are common), against every
    matching enumerated."""
    rng = np.random.default_rng(20261202)
    for _ in range(60):
        codes = [f"x{k:02d}" for k in range(12)]
        hubs = pd.Series([f"H{v}" for v in rng.integers(1, 5, 12)], index=codes)
        groups = pd.Series([f"G{v}" for v in rng.integers(1, 5, 12)], index=codes)
        w = pd.Series(rng.integers(1, 4, 12), index=codes)
        h_ids, g_ids = sorted(set(hubs)), sorted(set(groups))
        weight = np.zeros((len(h_ids), len(g_ids)), dtype=np.int64)
        for code in codes:
            weight[h_ids.index(hubs[code]), g_ids.index(groups[code])] += w[code]
        expected = {h_ids[i]: g_ids[j] for i, j in _brute_force(weight)}
        assert match_groups(hubs, groups, weights=w) == expected


def test_groupings_of_other_practices_are_refused():
    a, b, w = _six()
    with pytest.raises(ValidationError, match="the groupings must hold the same practices"):
        match_groups(a.iloc[:5], b, weights=w)
    with pytest.raises(ValidationError, match="every practice needs a list size"):
        partner_retention(a, b, weights=w.iloc[:5])
