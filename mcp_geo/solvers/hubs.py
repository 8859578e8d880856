"""Hubs: group practices into hubs of 30,000-50,000 patients around a base practice.

``solve_hubs`` runs the pre-checks, splits the footprint into parts that cannot share a hub
under the distance limit, solves each part exactly with the chosen engine (the contract is
:mod:`mcp_geo.solvers.engine`; the engines :mod:`mcp_geo.solvers._compact` and
:mod:`mcp_geo.solvers.columns`) and combines the parts' certificates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo.boundaries.distances import TravelMatrix

from ._core import solve_instance
from ._frames import group_ids, validated_items
from ._instance import Instance, PlanException
from .areas import area_labels
from .certificate import Certificate
from .rules import HubRule, SolveOptions

log = logging.getLogger(__name__)

HubException = PlanException


@dataclass(frozen=True)
class HubSolution:
    """A hub plan and its certificate.

    Attributes
    ----------
    assignment
        One row per practice, sorted by code: practice_code, hub_id, base_code, km_to_base
        (hub_id and base_code are missing where no plan was found in time).
    hubs
        One row per hub, by hub_id: hub_id, base_code, patients, practices (a count), exception
        (None, or why the hub may lie outside the bounds).
    certificate
        What the solver proved (combined over the independent parts).
    exceptions
        The named, unavoidable exceptions.
    parts
        How many independent parts were optimised.
    distance_source
        How the km were made.
    """

    assignment: pd.DataFrame
    hubs: pd.DataFrame
    certificate: Certificate
    exceptions: tuple[HubException, ...]
    parts: int
    distance_source: str = ""


def solve_hubs(
    practices: pd.DataFrame,
    *,
    rule: HubRule = HubRule(),  # noqa: B008 (frozen, immutable default)
    options: SolveOptions = SolveOptions(),  # noqa: B008
    travel: TravelMatrix | None = None,
) -> HubSolution:
    """Group practices into hubs within the rule, with a certificate.

    Parameters
    ----------
    practices
        (Geo)DataFrame with practice_code (unique), patients (whole numbers), without
        ``travel`` latitude and longitude (degrees), and with ``rule.hubs_within`` the level's
        column (``sub_icb_code``...; :mod:`mcp_geo.solvers.areas`).
    rule
        Hub bounds, distance limit, count and objective.
    options
        Engine, solver, gap, time limit, threads, seed.
    travel
        Distances between the practices (by practice code); great-circle km if None.

    Raises
    ------
    ValidationError
        Unusable input (every problem listed).
    InfeasibleError
        No plan can satisfy the rule (or, when strict, an exception would be needed).

    Returns
    -------
    HubSolution
        The plan (assignment, hubs, exceptions) and its certificate.
    """
    df, km, source = validated_items(
        practices,
        code="practice_code",
        weight="patients",
        travel=travel,
        source="practices",
        within=rule.hubs_within,
    )
    inst = Instance(
        codes=tuple(df["practice_code"]),
        weights=df["patients"].to_numpy(np.int64),
        km=km,
        lo=rule.hub_min,
        hi=rule.hub_max,
        max_km=rule.limit("km" if travel is None else travel.metric),
        unit="km" if travel is None else travel.metric,
        count=rule.hubs,
        objective=rule.objective,
        strict=rule.strict,
        areas=None if rule.hubs_within is None else area_labels(df, rule.hubs_within),
        area_level=rule.hubs_within or "",
    )
    core = solve_instance(inst, options=options)
    assignment, hubs = _frames(inst, core.base_of, group_exception=core.group_exception, prefix="H")
    assignment = assignment.rename(columns={"code": "practice_code", "group_id": "hub_id"})
    hubs = hubs.rename(columns={"group_id": "hub_id", "members": "practices"})
    log.info("hubs: %d practices, %d hubs, %s", inst.n, len(hubs), core.certificate.status)
    return HubSolution(
        assignment=assignment,
        hubs=hubs,
        certificate=core.certificate,
        exceptions=core.exceptions,
        parts=core.parts,
        distance_source=source,
    )


def _frames(
    inst: Instance,
    base_of: NDArray[np.int64],
    *,
    group_exception: dict[int, PlanException],
    prefix: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    solved = base_of >= 0
    bases = sorted({inst.codes[b] for b in base_of[solved]})
    ids = group_ids(prefix, bases)
    base_code = [inst.codes[b] if b >= 0 else None for b in base_of]
    km = [round(float(inst.km[i, b]), 3) if b >= 0 else np.nan for i, b in enumerate(base_of)]
    assignment = pd.DataFrame(
        {
            "code": list(inst.codes),
            "group_id": [ids[c] if c else None for c in base_code],
            "base_code": base_code,
            "km_to_base": km,
        }
    )
    pos = {c: k for k, c in enumerate(inst.codes)}
    rows = []
    for b in bases:
        members = base_of == pos[b]
        exc = group_exception.get(pos[b])
        rows.append(
            {
                "group_id": ids[b],
                "base_code": b,
                "patients": int(inst.weights[members].sum()),
                "members": int(members.sum()),
                "exception": None if exc is None else exc.reason,
            }
        )
    hubs = pd.DataFrame(rows, columns=["group_id", "base_code", "patients", "members", "exception"])
    return assignment, hubs.sort_values("group_id").reset_index(drop=True)
