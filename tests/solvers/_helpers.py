"""Helpers for the solver tests: hand-drawn instances on a line and a brute-force optimum."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from mcp_geo.boundaries.distances import TravelMatrix
from mcp_geo.solvers._instance import Instance, Part


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


def set_partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """Every set partition of ``items`` (Bell numbers of them: 1, 2, 5, 15, 52, ...)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for sub in set_partitions(rest):
        for k in range(len(sub)):
            yield [*sub[:k], [first, *sub[k]], *sub[k + 1 :]]
        yield [[first], *sub]


def small_instance(
    km: np.ndarray,
    weights: np.ndarray | list[int],
    *,
    max_km: float,
    count: int | None = None,
    digits: int = 2,
) -> Instance:
    """Hubs of 30-50 units over these distances (km) and weights (codes P00, P01, ... with
    ``digits`` digits): a hand-drawn case."""
    return Instance(
        codes=tuple(f"P{k:0{digits}d}" for k in range(len(weights))),
        weights=np.asarray(weights, dtype=np.int64),
        km=km,
        lo=30,
        hi=50,
        max_km=max_km,
        count=count,
        objective="weighted",
        strict=False,
    )


def scattered_instance(
    n: int, seed: int, *, count: int | None = None, side: float = 20.0, max_km: float = 12.0
) -> tuple[Instance, Part]:
    """Items scattered on a square of ``side`` km, 2-16 units each, groups of 30-50."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, (n, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    weights = rng.integers(2, 17, n)
    inst = small_instance(km, weights, max_km=max_km, count=count, digits=3)
    return inst, Part(items=np.arange(n, dtype=np.int64), lo=30, count=count)


def brute_force(
    weights: np.ndarray,
    km: np.ndarray,
    lo: int,
    hi: int,
    max_km: float | None,
    *,
    weighted: bool = True,
    count: int | None = None,
    base_ok: np.ndarray | None = None,
) -> float | None:
    """Optimum by enumeration of base sets and assignments (None if no plan); tiny n only.

    ``base_ok``: the items that may be a base (all when None)."""
    n = len(weights)
    cost = (weights[:, None] * km) if weighted else km
    ok = np.ones_like(km, dtype=bool) if max_km is None else km <= max_km + 1e-9
    best = None
    for k in range(1, n + 1):
        if count is not None and k != count:
            continue
        for bases in itertools.combinations(range(n), k):
            if base_ok is not None and not base_ok[list(bases)].all():
                continue
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


def largest_part(footprint: str) -> tuple[Instance, Part]:
    """The hub instance of a footprint of the real data (30,000-50,000 patients, 15 km) and its
    largest part after the pre-checks."""
    from mcp_geo.practices import open_data, select_footprint
    from mcp_geo.solvers._prechecks import prepare
    from mcp_geo.solvers.hubs import hub_instance
    from mcp_geo.solvers.rules import HubRule

    practices = select_footprint(open_data(), footprint).practices
    inst, _ = hub_instance(practices, rule=HubRule(), travel=None)
    return inst, max(prepare(inst).parts, key=lambda p: len(p.items))


def plan_groups(inst: Instance, part: Part, plan: np.ndarray) -> int:
    """Assert that every item is in one group whose base is one of its items (its own base),
    within reach of it, every group within the part's window; return the number of groups."""
    assert len(plan) == len(part.items)
    bases = sorted(set(plan.tolist()))
    for b in bases:
        members = part.items[plan == b]
        assert b in members.tolist()
        assert plan[part.items.tolist().index(b)] == b
        assert part.lo <= inst.weights[members].sum() <= part.ceiling(inst)
        assert inst.allowed[members, b].all()
    return len(bases)
