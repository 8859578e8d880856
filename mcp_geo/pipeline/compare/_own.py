"""View 4: the footprint's own effect, B re-planned with A's hubs as the reference.

Two equally good plans of B can differ a lot (the solver may pick any of several plans of the
same travel), so the practices that change hub between A and B from scratch mix two things:
changes the footprint's rules force, and ties. :func:`plan_own_effect` re-plans B with A's hubs
as the reference grouping (DESIGN.md, Words: "Reference grouping and moves"; restricted to the
shared practices) and a travel slack of 0 ("Travel slack"): among the plans of B whose travel is
B's least travel, the one that moves the fewest of A's practices (patients, or practices with
``minimise = "practices"``). The practices that change hub even so are the footprint's own
effect; the rest of the from-scratch changes were ties.

Both counts use view 3's matching (A's hubs the reference, ties to the lowest B hub id, then the
lowest A hub id), weighted by A's list sizes (by practices with ``minimise = "practices"``), on
the shared practices. The re-plan has B's options (time limit, gap, threads, engine, hub rules)
but plans no MCPs: the view is about hubs, and in the staged mode MCPs do not change them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mcp_geo.pipeline.compare._model import ComparisonRow, Kind
from mcp_geo.pipeline.compare._sides import Side, shared_codes
from mcp_geo.plans.continuity import group_fates, match_groups, moved
from mcp_geo.plans.plan import Plan

log = logging.getLogger(__name__)

_REPLAN = "B re-planned with A's hubs as the reference and a travel slack of 0"

OWN_EFFECT: dict[str, tuple[Kind, str]] = {
    "practices changing hub, from scratch": (
        "count",
        "B: shared practices not in the hub of B that continues their hub of A (view 3's "
        "matching, A the reference), B planned from scratch",
    ),
    "patients changing hub, from scratch": ("patients", "B: list sizes (A's) of those practices"),
    "practices changing hub even with the fewest moves": (
        "count",
        f"B: the same, {_REPLAN} (the plan of B whose travel is B's least travel and that moves "
        "the fewest of A's patients): the footprint's own effect",
    ),
    "patients changing hub even with the fewest moves": (
        "patients",
        "B: list sizes (A's) of those practices",
    ),
    "practices whose change was a tie": (
        "count",
        "B: shared practices changing hub from scratch but not with the fewest moves (an "
        "equally good plan keeps them)",
    ),
    "practices changing hub only with the fewest moves": (
        "count",
        "B: shared practices changing hub with the fewest moves but not from scratch",
    ),
    "hubs of A kept whole, from scratch": (
        "count",
        "B: hubs of A whose shared practices are all in the hub of B that continues it",
    ),
    "hubs of A kept whole with the fewest moves": ("count", f"B: the same, {_REPLAN}"),
    "km to hub base, patient-weighted mean, whole footprint, from scratch": (
        "km",
        "B: travel of all B's practices, B planned from scratch",
    ),
    "km to hub base, patient-weighted mean, whole footprint, with the fewest moves": (
        "km",
        f"B: the same, {_REPLAN} (equal, up to the solver's tolerance and gap)",
    ),
    "re-plan's status": ("code", f"B: the hub certificate's status of {_REPLAN}"),
    "re-plan's moves stage gap": (
        "fraction",
        "B: the moves stage's gap (0: the fewest moves proven)",
    ),
}
"""View 4's measures: kind and definition (values in B's column: A is the reference)."""


def plan_own_effect(
    b: Plan,
    *,
    a: Plan,
    reference: str,
    data_dir: str | Path | None = None,
    step: Callable[[str], None] | None = None,
) -> Plan:
    """Re-plan B with A's hubs as the reference and a travel slack of 0 (module docstring).

    Parameters
    ----------
    b
        The plan to re-plan, with its own options (its MCPs are left out).
    a
        The plan whose hubs are the reference grouping.
    reference
        Where A's folder is, or will be written (the re-plan's ``reference``, as its
        scenario.toml records it).
    data_dir
        The folder of official files; None for the snapshot shipped with the package.
    step
        Called with a short description as each stage starts (for progress displays).

    Returns
    -------
    Plan
        B's footprint re-planned: hubs only, with ``practices.reference_group`` A's hub.

    Raises
    ------
    ValidationError
        The plans share no practice (checked first); B's footprint or data can no longer be
        read.
    NoPlanError
        No plan was found within B's time limit.
    """
    from mcp_geo.pipeline.footprint import run_scenario

    shared_codes(a, b)  # no shared practice, no reference groups: refused before any solve
    s = b.scenario
    rule = dataclasses.replace(
        s.hub_rule,
        reference=reference,
        minimise=s.hub_rule.minimise if s.reference is not None else "patients",
        whole=False,
        travel_slack=0.0,
    )
    scenario = dataclasses.replace(s, hub_rule=rule, no_mcps=True)
    own = run_scenario(scenario, data_dir=data_dir, step=step, earlier=a)
    _warn_if_travel_not_held(b, own=own)
    return own


def _warn_if_travel_not_held(b: Plan, *, own: Plan) -> None:
    """Warn when the re-plan's least travel is above B's own (its plan from scratch had less
    time than B's whole solve: the view then mixes travel with the footprint's effect)."""
    stages = {stage.name: stage for stage in own.certificates.hubs.stages}
    least, held = stages.get("least_travel"), b.certificates.hubs.objective
    if least is None or least.objective is None or held is None:
        return
    if least.objective > held * (1 + max(b.scenario.gap, 1e-9)) + 1e-6:
        log.warning(
            "B re-planned from A: its least travel %.1f is above B's own plan's %.1f (the "
            "re-plan's plan from scratch has part of the time limit): give a longer time limit",
            least.objective,
            held,
        )


def _moves(new: pd.Series, reference: pd.Series, *, weights: pd.Series) -> pd.Series:
    matching = match_groups(new, reference, weights=weights)
    return moved(new, reference, matching=matching)


def own_effect(
    a: Side, b: Side, *, b_plan: Plan, own: Plan
) -> tuple[list[ComparisonRow], pd.DataFrame]:
    """View 4's rows, and changes.csv's columns :data:`~mcp_geo.pipeline.compare.OWN_CHANGES_COLUMNS`.

    Parameters
    ----------
    a, b
        The sides of the comparison, on the shared practices.
    b_plan
        B as planned from scratch.
    own
        B re-planned (:func:`plan_own_effect`).

    Returns
    -------
    tuple of list of ComparisonRow and pandas.DataFrame
        The measures, and by shared practice its hub in ``own`` and whether it changes hub.
    """
    codes = a.hub.index
    own_hub = own.practices.set_index(own.practices["practice_code"].astype(str))["hub_id"]
    own_hub = own_hub.astype(str).reindex(codes)
    if own_hub.isna().any():
        missing = ", ".join(codes[own_hub.isna().to_numpy()][:5])
        raise ValueError(f"the re-plan of B does not hold every shared practice ({missing})")
    by_practices = own.scenario.minimise == "practices"
    weights = pd.Series(1.0, index=codes) if by_practices else a.patients.loc[codes]
    scratch = _moves(b.hub.loc[codes], a.hub, weights=weights)
    fewest = _moves(own_hub, a.hub, weights=weights)
    kept = [
        group_fates(new, a.hub, matching=match_groups(new, a.hub, weights=weights)).kept
        for new in (b.hub.loc[codes], own_hub)
    ]
    stages = {stage.name: stage for stage in own.certificates.hubs.stages}
    travel = [p.metrics.hubs.travel for p in (b_plan, own)]
    values: list[float | str | None] = [
        int(scratch.sum()),
        float(a.patients[scratch].sum()),
        int(fewest.sum()),
        float(a.patients[fewest].sum()),
        int((scratch & ~fewest).sum()),
        int((fewest & ~scratch).sum()),
        *kept,
        *(None if t is None else t.mean for t in travel),
        own.certificates.hubs.status,
        stages["moves"].gap if "moves" in stages else None,
    ]
    rows = [
        ComparisonRow(measure, None, value, kind, "own_effect", definition)
        for (measure, (kind, definition)), value in zip(OWN_EFFECT.items(), values, strict=True)
    ]
    columns = pd.DataFrame(
        {"b_own_hub": own_hub.to_numpy(), "moved_hub_own": fewest.to_numpy()}, index=codes
    )
    return rows, columns
