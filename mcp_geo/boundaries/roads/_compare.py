"""Compare two travel measures: how often road travel changes which base is nearer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcp_geo.boundaries.distances import TravelMatrix


@dataclass(frozen=True)
class NearestBaseChanges:
    """How often road travel changes which of two bases is nearer, against another measure.

    For every practice i and every pair of other sites {j, k} both reachable by each measure, the
    pair is *flipped* when one measure puts j nearer and the other k. ``nearest_changed`` counts
    the practices whose single nearest other site differs.
    """

    practices: int
    nearest_changed: int
    pairs: int
    pairs_flipped: int

    @property
    def share_flipped(self) -> float:
        return self.pairs_flipped / self.pairs if self.pairs else 0.0

    @property
    def share_nearest_changed(self) -> float:
        return self.nearest_changed / self.practices if self.practices else 0.0


def nearest_base_changes(road: TravelMatrix, reference: TravelMatrix) -> NearestBaseChanges:
    """Compare the base orderings of ``road`` and ``reference`` (say great-circle) on shared codes."""
    position = {c: k for k, c in enumerate(reference.codes)}
    shared = [c for c in road.codes if c in position]
    mine = {c: k for k, c in enumerate(road.codes)}
    a_idx = np.array([mine[c] for c in shared], dtype=np.int64)
    b_idx = np.array([position[c] for c in shared], dtype=np.int64)
    a = road.km[np.ix_(a_idx, a_idx)].astype(float)
    b = reference.km[np.ix_(b_idx, b_idx)].astype(float)
    n = len(shared)
    off = ~np.eye(n, dtype=bool)
    pairs = flipped = changed = compared = 0
    for i in range(n):
        ok = off[i] & np.isfinite(a[i]) & np.isfinite(b[i])
        if ok.sum() < 2:
            continue
        ra, rb = a[i, ok], b[i, ok]
        compared += 1
        changed += int(np.argmin(ra) != np.argmin(rb))
        da = np.sign(ra[:, None] - ra[None, :])
        db = np.sign(rb[:, None] - rb[None, :])
        upper = np.triu(np.ones(da.shape, dtype=bool), k=1)
        pairs += int(upper.sum())
        flipped += int((upper & (da * db < 0)).sum())
    return NearestBaseChanges(
        practices=compared, nearest_changed=changed, pairs=pairs, pairs_flipped=flipped
    )
