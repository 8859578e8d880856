"""Helpers for the solver tests: hand-drawn instances on a line and a brute-force optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from mcp_geo.boundaries.distances import TravelMatrix


def line_instance(
    positions: dict[str, float], patients: dict[str, int]
) -> tuple[pd.DataFrame, TravelMatrix]:
    """Practices on a straight road: km = |x_i - x_j|."""
    codes = sorted(positions)
    x = np.array([positions[c] for c in codes], dtype=float)
    km = np.abs(x[:, None] - x[None, :])
    frame = pd.DataFrame({"practice_code": codes, "patients": [patients[c] for c in codes]})
    return frame, TravelMatrix(codes=tuple(codes), km=km, source="test line km")


def plane_instance(
    xy: np.ndarray, patients: np.ndarray, prefix: str = "P"
) -> tuple[pd.DataFrame, TravelMatrix]:
    """Practices in the plane (km coordinates): Euclidean km."""
    n = len(patients)
    codes = [f"{prefix}{k:03d}" for k in range(n)]
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    frame = pd.DataFrame({"practice_code": codes, "patients": patients.astype(int)})
    return frame, TravelMatrix(codes=tuple(codes), km=d, source="test plane km")


def brute_force(
    weights: np.ndarray,
    km: np.ndarray,
    lo: int,
    hi: int,
    max_km: float | None,
    *,
    weighted: bool = True,
    count: int | None = None,
) -> float | None:
    """Optimum by enumeration of base sets and assignments (None if no plan); tiny n only."""
    n = len(weights)
    cost = (weights[:, None] * km) if weighted else km
    ok = np.ones_like(km, dtype=bool) if max_km is None else km <= max_km + 1e-9
    best = None
    for k in range(1, n + 1):
        if count is not None and k != count:
            continue
        for bases in itertools.combinations(range(n), k):
            others = [i for i in range(n) if i not in bases]
            choices = [[b for b in bases if ok[i, b]] for i in others]
            if any(not c for c in choices):
                continue
            for pick in itertools.product(*choices):
                load = {b: int(weights[b]) for b in bases}
                total = 0.0
                for i, b in zip(others, pick, strict=True):
                    load[b] += int(weights[i])
                    total += cost[i, b]
                if all(lo <= v <= hi for v in load.values()) and (best is None or total < best):
                    best = total
    return best
