"""MCPs: group whole hubs into providers of at least 100,000 patients around a base hub.

The same capacitated p-median as the hubs, one level up (DESIGN.md "Model"): the items are hubs
(weight = the hub's patients, position = its base practice), the candidate bases are the hubs'
bases, and the cost is the hub's patients x km from its base to the MCP's base hub (or km alone
for the ``distance`` objective). A hub is never split: it is one item. Without a maximum, an MCP
may be as large as the footprint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import TravelMatrix

from ._core import solve_instance
from ._frames import validated_items
from ._instance import Instance, PlanException
from .certificate import Certificate
from .hubs import _frames
from .rules import McpRule, SolveOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class McpSolution:
    """An MCP plan and its certificate.

    Attributes
    ----------
    assignment
        One row per hub, sorted by hub_id: hub_id, mcp_id, base_hub_id, km_to_base (hub base ->
        MCP base).
    mcps
        One row per MCP, by mcp_id: mcp_id, base_hub_id, patients, hubs (a count), exception.
    certificate, exceptions, parts, distance_source
        As for :class:`~mcp_geo.solvers.hubs.HubSolution`.
    """

    assignment: pd.DataFrame
    mcps: pd.DataFrame
    certificate: Certificate
    exceptions: tuple[PlanException, ...]
    parts: int
    distance_source: str = ""


def solve_mcps(
    hubs: pd.DataFrame,
    *,
    rule: McpRule = McpRule(),  # noqa: B008 (frozen, immutable default)
    options: SolveOptions = SolveOptions(),  # noqa: B008
    travel: TravelMatrix | None = None,
) -> McpSolution:
    """Group whole hubs into MCPs within the rule, with a certificate.

    Parameters
    ----------
    hubs
        DataFrame with hub_id (unique), patients, base_code and, without ``travel``, the base's
        latitude and longitude; with ``rule.mcp_base_min_patients``, base_patients (the base
        practice's patients).
    travel
        Distances indexed by practice code (the hubs' base codes); great-circle km if None.

    Returns
    -------
    McpSolution
        The plan (assignment of hubs, MCPs, exceptions) and its certificate.

    Raises
    ------
    ValidationError
        Unusable input (every problem listed).
    InfeasibleError
        No plan can satisfy the rule; ``relax`` names the MCP options that would allow one.
    """
    df, km, source = validated_items(
        hubs,
        code="hub_id",
        weight="patients",
        travel=travel,
        source="hubs",
        travel_codes="base_code" if travel is not None else None,
    )
    weights = df["patients"].to_numpy(np.int64)
    ceiling = rule.mcp_max if rule.mcp_max is not None else int(max(weights.sum(), 1))
    base_min = rule.mcp_base_min_patients
    base_ok = None
    if base_min is not None:
        if "base_patients" not in df.columns:
            raise ValidationError(
                [Problem("missing column 'base_patients' (needed by mcp_base_min_patients)",
                         "hubs", "base_patients")],
                context="hubs cannot be planned",
            )  # fmt: skip
        base_ok = (
            pd.to_numeric(df["base_patients"], errors="coerce").fillna(0).to_numpy() >= base_min
        )
    inst = Instance(
        codes=tuple(df["hub_id"]),
        weights=weights,
        km=km,
        lo=rule.mcp_min,
        hi=ceiling,
        max_km=rule.limit("km" if travel is None else travel.metric),
        unit="km" if travel is None else travel.metric,
        count=rule.mcps,
        objective=rule.objective,
        strict=rule.strict,
        item="hub",
        group="MCP",
        base_ok=base_ok,
        base_rule=""
        if base_min is None
        else f"a hub whose base practice has at least {base_min:,} patients",
    )
    core = solve_instance(inst, options=options)
    assignment, mcps = _frames(inst, core.base_of, group_exception=core.group_exception, prefix="M")
    assignment = assignment.rename(
        columns={"code": "hub_id", "group_id": "mcp_id", "base_code": "base_hub_id"}
    )
    mcps = mcps.rename(
        columns={"group_id": "mcp_id", "base_code": "base_hub_id", "members": "hubs"}
    )
    log.info("MCPs: %d hubs, %d MCPs, %s", inst.n, len(mcps), core.certificate.status)
    return McpSolution(
        assignment=assignment,
        mcps=mcps,
        certificate=core.certificate,
        exceptions=core.exceptions,
        parts=core.parts,
        distance_source=source,
    )
