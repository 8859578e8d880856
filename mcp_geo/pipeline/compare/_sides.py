"""Each side of a comparison seen on the shared practices, and view 1: the same rules on both.

A side is a plan's hubs and MCPs (or today's PCNs, as hubs without MCPs) restricted to the
practices both sides hold. Hub and MCP sizes and spans are those of the whole groups (an MCP of
staffs-shropshire that reaches beyond north-staffs counts all its patients); travel is that of
the shared practices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.pipeline.compare._model import ComparisonRow, Kind
from mcp_geo.pipeline.footprint import is_sites_file
from mcp_geo.plans.grouping import pcn_grouping_metrics
from mcp_geo.plans.metrics import weighted_distance_stats
from mcp_geo.plans.plan import Plan

PCN_LABEL = "today's PCNs"
PCN_CONTEXT = "compare with today's PCNs"
"""The context of the ValidationError raised when there are no PCNs to compare with (the CLI
names its ``--against pcn`` instead)."""


@dataclass(frozen=True)
class Side:
    """One side's grouping of the shared practices, with its groups' sizes and spans."""

    hub: pd.Series  # practice code -> hub (or PCN)
    mcp: pd.Series | None
    hub_patients: pd.Series  # hub -> patients (whole hub)
    hub_bounds: tuple[float | None, float | None]
    mcp_patients: pd.Series | None
    mcp_bounds: tuple[float | None, float | None]
    mcp_span: pd.Series | None
    km_to_hub_base: pd.Series  # practice code -> km
    km_hub_to_mcp: pd.Series | None  # practice code -> km from its hub base to its MCP base
    patients: pd.Series  # practice code -> patients
    names: pd.Series  # practice code -> name ("" when the side has none)
    crossing_hubs: int  # hubs holding shared practices and practices the other side lacks
    crossing_mcps: int | None


def _crossing(groups: pd.Series, shared: pd.Index) -> int:
    """Groups (of every practice of the plan) holding shared and other practices both."""
    inside = groups.index.isin(shared)
    with_shared = set(groups[inside])
    with_other = set(groups[~inside])
    return len(with_shared & with_other)


def plan_side(plan: Plan, shared: pd.Index) -> Side:
    """A plan's side of the comparison."""
    everyone = plan.practices.set_index("practice_code")
    everyone.index = everyone.index.astype(str)
    p = everyone.loc[shared]
    hubs = plan.hubs.set_index("hub_id")
    has_mcps = len(plan.mcps) > 0
    mcps = plan.mcps.set_index("mcp_id") if has_mcps else None
    s = plan.scenario
    names = p["practice_name"] if "practice_name" in p else pd.Series("", index=p.index)
    return Side(
        hub=p["hub_id"].astype(str),
        mcp=p["mcp_id"].astype(str) if has_mcps else None,
        hub_patients=hubs["patients"].astype(float),
        hub_bounds=(s.hub_min, s.hub_max),
        mcp_patients=None if mcps is None else mcps["patients"].astype(float),
        mcp_bounds=(s.mcp_min, s.mcp_max),
        mcp_span=None if mcps is None else mcps["span_km"].astype(float),
        km_to_hub_base=p["km_to_hub_base"].astype(float),
        km_hub_to_mcp=p["hub_id"].map(hubs["km_to_mcp_base"]).astype(float) if has_mcps else None,
        patients=p["patients"].astype(float),
        names=names.fillna("").astype(str),
        crossing_hubs=_crossing(everyone["hub_id"].astype(str), shared),
        crossing_mcps=_crossing(everyone["mcp_id"].astype(str), shared) if has_mcps else None,
    )


def pcn_side(plan: Plan, shared: pd.Index) -> Side:
    """Today's PCNs of the plan's practices as the other side (hubs, no MCPs)."""
    s = plan.scenario
    pcns = pcn_grouping_metrics(plan.practices, lower=s.hub_min, upper=s.hub_max)
    p = plan.practices.set_index("practice_code").loc[shared]
    group = pcns.group_of.loc[shared].astype(str)
    totals = plan.practices.set_index("practice_code")["patients"].groupby(pcns.group_of).sum()
    return Side(
        hub=group,
        mcp=None,
        hub_patients=totals.astype(float),
        hub_bounds=(s.hub_min, s.hub_max),
        mcp_patients=None,
        mcp_bounds=(None, None),
        mcp_span=None,
        km_to_hub_base=pcns.km_to_base.loc[shared].astype(float),
        km_hub_to_mcp=None,
        patients=p["patients"].astype(float),
        names=p["practice_name"].fillna("").astype(str),
        crossing_hubs=0,  # the PCNs of the plan's own practices
        crossing_mcps=None,
    )


def _within(totals: pd.Series, bounds: tuple[float | None, float | None]) -> float:
    low, high = bounds
    ok = pd.Series(True, index=totals.index)
    if low is not None:
        ok &= totals >= low
    if high is not None:
        ok &= totals <= high
    return float(ok.mean()) if len(ok) else float("nan")


SAME_RULES: dict[str, tuple[Kind, str]] = {
    "hubs": ("count", "hubs holding shared practices"),
    "share of hubs within bounds": (
        "fraction",
        "share of those hubs whose whole list total is within the hub bounds",
    ),
    "patients per hub, median": ("patients", "median whole list total of those hubs"),
    "MCPs": ("count", "MCPs holding shared practices"),
    "share of MCPs within bounds": (
        "fraction",
        "share of those MCPs whose whole list total is within the MCP bounds",
    ),
    "patients per MCP, min": ("patients", "smallest whole list total of those MCPs"),
    "patients per MCP, median": ("patients", "median whole list total of those MCPs"),
    "patients per MCP, max": ("patients", "largest whole list total of those MCPs"),
    "MCP span km, median": (
        "km",
        "median span of those MCPs (largest great-circle km between two of all their practices)",
    ),
    "MCP span km, max": ("km", "largest span of those MCPs"),
    "km to hub base, patient-weighted mean": (
        "km",
        "shared practices' km to their hub base (the plan's travel), mean weighted by list size",
    ),
    "km to hub base, patient-weighted p95": (
        "km",
        "smallest km within which at least 95% of the shared practices' patients lie",
    ),
    "km to hub base, max": ("km", "largest km of a shared practice to its hub base"),
    "km hub base to MCP base, patient-weighted mean": (
        "km",
        "km from each shared practice's hub base to its MCP base, mean weighted by list size",
    ),
    "km hub base to MCP base, patient-weighted p95": (
        "km",
        "smallest km within which the hub bases of at least 95% of the shared patients lie",
    ),
    "km hub base to MCP base, max": ("km", "largest km from a shared practice's hub base"),
}
"""View 1's measures of each side: kind and definition."""


def same_rules_values(side: Side) -> dict[str, float | None]:
    """View 1 for one side: the values of :data:`SAME_RULES` (None where it does not apply)."""
    hubs = side.hub_patients.loc[sorted(set(side.hub))]
    travel = weighted_distance_stats(side.km_to_hub_base, side.patients)
    values: dict[str, float | None] = dict.fromkeys(SAME_RULES)
    values["hubs"] = len(hubs)
    values["share of hubs within bounds"] = _within(hubs, side.hub_bounds)
    values["patients per hub, median"] = float(hubs.median())
    values["km to hub base, patient-weighted mean"] = travel.mean
    values["km to hub base, patient-weighted p95"] = travel.p95
    values["km to hub base, max"] = travel.max
    if side.mcp is not None and side.mcp_patients is not None and side.mcp_span is not None:
        ids = sorted(set(side.mcp))
        sizes = side.mcp_patients.loc[ids]
        spans = side.mcp_span.loc[ids]
        values["MCPs"] = len(ids)
        values["share of MCPs within bounds"] = _within(sizes, side.mcp_bounds)
        values["patients per MCP, min"] = float(sizes.min())
        values["patients per MCP, median"] = float(sizes.median())
        values["patients per MCP, max"] = float(sizes.max())
        values["MCP span km, median"] = float(spans.median())
        values["MCP span km, max"] = float(spans.max())
    if side.km_hub_to_mcp is not None:
        up = weighted_distance_stats(side.km_hub_to_mcp.fillna(0.0), side.patients)
        values["km hub base to MCP base, patient-weighted mean"] = up.mean
        values["km hub base to MCP base, patient-weighted p95"] = up.p95
        values["km hub base to MCP base, max"] = up.max
    return values


def same_rules_rows(a: Side, b: Side, *, shared: int, only: tuple[int, int]) -> list[ComparisonRow]:
    """View 1: each side planned with its own footprint's rules, measured on the shared
    practices."""
    rows = [
        ComparisonRow("practices shared", shared, shared, definition="practices both sides hold"),
        ComparisonRow(
            "practices in this plan only",
            only[0],
            only[1],
            definition="practices of this side that the other does not hold",
        ),
        ComparisonRow(
            "patients of the shared practices",
            float(a.patients.sum()),
            float(b.patients.sum()),
            "patients",
            definition="list sizes of the shared practices, as each side has them",
        ),
    ]
    values_a, values_b = same_rules_values(a), same_rules_values(b)
    for measure, (kind, definition) in SAME_RULES.items():
        rows.append(
            ComparisonRow(
                measure, values_a[measure], values_b[measure], kind, "same_rules", definition
            )
        )
    return rows


def plan_label(plan: Plan) -> str:
    """A side's name in tables and maps: the footprint, or a sites file's name (not its path)."""
    footprint = plan.footprint
    return Path(footprint).name if is_sites_file(footprint) else footprint


def shared_codes(a: Plan, b: Plan) -> pd.Index:
    """The practices both plans hold, sorted (raise when none)."""
    codes_a = pd.Index(a.practices["practice_code"].astype(str))
    codes_b = pd.Index(b.practices["practice_code"].astype(str))
    shared = codes_a.intersection(codes_b).sort_values()
    if len(shared) == 0:
        sites = [plan_label(p) for p in (a, b) if is_sites_file(p.footprint)]
        hint = (
            f" (the practice_code of {' and '.join(sites)} must hold the practices' ODS codes, "
            "such as M83001, for its sites to be matched)"
            if sites
            else ""
        )
        raise ValidationError(
            [
                Problem(
                    f"the plans share no practice ({plan_label(a)} and {plan_label(b)}){hint}",
                    source="compare",
                )
            ],
        )
    return shared


def _has_pcn_codes(practices: pd.DataFrame) -> bool:
    if "pcn_code" not in practices.columns:
        return False
    codes = practices["pcn_code"]
    return bool((codes.notna() & (codes.astype(str).str.strip() != "")).any())


def require_pcn_codes(practices: pd.DataFrame, *, footprint: str) -> None:
    """Raise unless some practice of ``footprint`` has a PCN code (there is something to compare
    against); a sites file is told so in its own words.

    Parameters
    ----------
    practices
        The practices (a ``pcn_code`` column, perhaps).
    footprint
        Their footprint, for the message.

    Raises
    ------
    ValidationError
        No practice has a PCN code.
    """
    if _has_pcn_codes(practices):
        return
    if is_sites_file(footprint):
        name = Path(footprint).name
        problem = Problem(
            f"the sites of {name} have no pcn_code column (or no value in it), so there are no "
            "PCNs to compare against: add each site's PCN code in a pcn_code column, or compare "
            "with another plan"
        )
    else:
        problem = Problem("no practice of the plan has a PCN code", source=footprint)
    raise ValidationError([problem], context=PCN_CONTEXT)


def check_sites_for_pcns(footprint: str) -> None:
    """Before a sites file is planned to be compared with PCNs: raise if no site has a PCN code
    (other footprints are official practices, which have them; a plan is checked when read).

    Parameters
    ----------
    footprint
        The footprint to be planned.

    Raises
    ------
    ValidationError
        The sites file cannot be read, or no site has a PCN code.
    """
    if is_sites_file(footprint):
        from mcp_geo.practices.readers.sites import read_sites

        require_pcn_codes(read_sites(footprint).practices, footprint=footprint)
