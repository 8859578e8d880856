"""Compare two plans, or a plan with today's PCNs, on the practices they share.

:func:`compare_plans` puts two plans side by side (say ``north-staffs`` against
``staffs-shropshire``: the seed dispute about a "huge and unwieldy" provider), and
:func:`compare_with_pcns` a plan against today's Primary Care Networks. Both look only at the
practices both sides hold and return a :class:`Comparison`: one row per metric (hubs and MCPs
holding the shared practices, their sizes, spans and travel, practices whose partners change,
adjusted Rand index) and one row per shared practice (its hub and MCP on each side).

"Partners" are counted among the shared practices: a practice's MCP partners change when the
shared practices in its MCP under A are not the same set as under B. Hub and MCP sizes and spans
are those of the whole groups (an MCP of staffs-shropshire that reaches beyond north-staffs counts
all its patients), travel is that of the shared practices.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo._folders import write_output_dir
from mcp_geo.pipeline.footprint import is_sites_file
from mcp_geo.plans.metrics import adjusted_rand_index, pcn_grouping_metrics, weighted_distance_stats
from mcp_geo.plans.plan import Plan
from mcp_geo.plans.write import spreadsheet_safe, write_plan_files

log = logging.getLogger(__name__)

Kind = Literal["count", "patients", "km", "fraction"]
MOVES_COLUMNS = ("practice_code", "a_hub", "a_mcp", "b_hub", "b_mcp", "mcp_partners_changed")
PCN_LABEL = "today's PCNs"
PCN_CONTEXT = "compare with today's PCNs"
"""The context of the ValidationError raised when there are no PCNs to compare with (the CLI
names its ``--against pcn`` instead)."""


@dataclass(frozen=True)
class ComparisonRow:
    """One metric for both sides (None where it does not apply, e.g. MCPs of PCNs)."""

    metric: str
    a: float | None
    b: float | None
    kind: Kind = "count"

    def formatted(self, value: float | None) -> str:
        """``value`` as comparison.csv writes it (empty when there is none)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if self.kind in ("count", "patients"):
            return str(round(value))
        return f"{value:.3f}" if self.kind == "km" else f"{value:.6f}"


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two plans (or a plan and today's PCNs) measured on the practices they share.

    Attributes
    ----------
    a, b
        The plans; ``b`` is None when A is compared with today's PCNs.
    a_label, b_label
        Names for tables and maps (the footprints, or "today's PCNs").
    shared
        Codes of the practices both sides hold, sorted.
    rows
        The metrics (see :func:`compare_plans`).
    moves
        One row per shared practice: :data:`MOVES_COLUMNS` (``mcp_partners_changed`` is None
        against PCNs, which have no MCP level).
    """

    a: Plan
    b: Plan | None
    a_label: str
    b_label: str
    shared: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]
    moves: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """comparison.csv: metric, a, b (numbers as text in fixed formats)."""
        return pd.DataFrame(
            {
                "metric": [r.metric for r in self.rows],
                "a": [r.formatted(r.a) for r in self.rows],
                "b": [r.formatted(r.b) for r in self.rows],
            }
        )

    def value(self, metric: str) -> tuple[float | None, float | None]:
        """The (a, b) values of one metric, by its name."""
        for row in self.rows:
            if row.metric == metric:
                return row.a, row.b
        raise KeyError(metric)

    @property
    def mcp_partners_changed(self) -> int:
        """How many shared practices have other MCP partners in B than in A."""
        return int(self.moves["mcp_partners_changed"].fillna(False).astype(bool).sum())


@dataclass(frozen=True)
class _Side:
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


def _plan_side(plan: Plan, shared: pd.Index) -> _Side:
    p = plan.practices.set_index("practice_code").loc[shared]
    hubs = plan.hubs.set_index("hub_id")
    has_mcps = len(plan.mcps) > 0
    mcps = plan.mcps.set_index("mcp_id") if has_mcps else None
    s = plan.scenario
    return _Side(
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
    )


def _pcn_side(plan: Plan, shared: pd.Index) -> _Side:
    s = plan.scenario
    pcns = pcn_grouping_metrics(plan.practices, lower=s.hub_min, upper=s.hub_max)
    p = plan.practices.set_index("practice_code").loc[shared]
    group = pcns.group_of.loc[shared].astype(str)
    totals = plan.practices.set_index("practice_code")["patients"].groupby(pcns.group_of).sum()
    return _Side(
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
    )


def _within(totals: pd.Series, bounds: tuple[float | None, float | None]) -> float:
    low, high = bounds
    ok = pd.Series(True, index=totals.index)
    if low is not None:
        ok &= totals >= low
    if high is not None:
        ok &= totals <= high
    return float(ok.mean()) if len(ok) else float("nan")


def _changed(a: pd.Series, b: pd.Series) -> pd.Series:
    """Per practice: is the set of practices sharing its group different under a and b?"""
    members_a = a.groupby(a).apply(lambda g: frozenset(g.index))
    members_b = b.groupby(b).apply(lambda g: frozenset(g.index))
    return pd.Series(
        [members_a[a[c]] != members_b[b[c]] for c in a.index], index=a.index, dtype=bool
    )


def _side_rows(side: _Side) -> dict[str, tuple[float | None, Kind]]:
    hubs = side.hub_patients.loc[sorted(set(side.hub))]
    travel = weighted_distance_stats(side.km_to_hub_base, side.patients)
    rows: dict[str, tuple[float | None, Kind]] = {
        "hubs": (len(hubs), "count"),
        "share of hubs within bounds": (_within(hubs, side.hub_bounds), "fraction"),
        "patients per hub, median": (float(hubs.median()), "patients"),
        "MCPs": (None, "count"),
        "share of MCPs within bounds": (None, "fraction"),
        "patients per MCP, min": (None, "patients"),
        "patients per MCP, median": (None, "patients"),
        "patients per MCP, max": (None, "patients"),
        "MCP span km, median": (None, "km"),
        "MCP span km, max": (None, "km"),
        "km to hub base, patient-weighted mean": (travel.mean, "km"),
        "km to hub base, patient-weighted p95": (travel.p95, "km"),
        "km to hub base, max": (travel.max, "km"),
        "km hub base to MCP base, patient-weighted mean": (None, "km"),
    }
    if side.mcp is not None and side.mcp_patients is not None and side.mcp_span is not None:
        ids = sorted(set(side.mcp))
        sizes = side.mcp_patients.loc[ids]
        spans = side.mcp_span.loc[ids]
        rows["MCPs"] = (len(ids), "count")
        rows["share of MCPs within bounds"] = (_within(sizes, side.mcp_bounds), "fraction")
        rows["patients per MCP, min"] = (float(sizes.min()), "patients")
        rows["patients per MCP, median"] = (float(sizes.median()), "patients")
        rows["patients per MCP, max"] = (float(sizes.max()), "patients")
        rows["MCP span km, median"] = (float(spans.median()), "km")
        rows["MCP span km, max"] = (float(spans.max()), "km")
    if side.km_hub_to_mcp is not None:
        km = side.km_hub_to_mcp.fillna(0.0)
        rows["km hub base to MCP base, patient-weighted mean"] = (
            float(np.dot(km, side.patients) / side.patients.sum()),
            "km",
        )
    return rows


def plan_label(plan: Plan) -> str:
    """A side's name in tables and maps: the footprint, or a sites file's name (not its path)."""
    footprint = plan.footprint
    return Path(footprint).name if is_sites_file(footprint) else footprint


def _shared(a: Plan, b: Plan) -> pd.Index:
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


def _compare(
    a: Plan,
    b: Plan | None,
    *,
    sides: tuple[_Side, _Side],
    shared: pd.Index,
    only: tuple[int, int],
    labels: tuple[str, str],
) -> Comparison:
    """The comparison of A and B (or today's PCNs), each seen as its side of the shared practices."""
    a_side, b_side = sides
    rows_a, rows_b = _side_rows(a_side), _side_rows(b_side)
    only_a, only_b = only
    rows = [
        ComparisonRow("practices shared", len(shared), len(shared)),
        ComparisonRow("practices in this plan only", only_a, only_b),
        ComparisonRow(
            "patients of the shared practices",
            float(a_side.patients.sum()),
            float(b_side.patients.sum()),
            "patients",
        ),
    ]
    rows += [ComparisonRow(m, rows_a[m][0], rows_b[m][0], rows_a[m][1]) for m in rows_a]
    hub_changed = _changed(a_side.hub, b_side.hub)
    rows.append(ComparisonRow("practices whose hub partners change", *[hub_changed.sum()] * 2))
    mcp_changed = None
    if a_side.mcp is not None and b_side.mcp is not None:
        mcp_changed = _changed(a_side.mcp, b_side.mcp)
        rows.append(ComparisonRow("practices whose MCP partners change", *[mcp_changed.sum()] * 2))
        ari_mcps = adjusted_rand_index(a_side.mcp, b_side.mcp.loc[a_side.mcp.index])
    else:
        rows.append(ComparisonRow("practices whose MCP partners change", None, None))
        ari_mcps = None
    ari_hubs = adjusted_rand_index(a_side.hub, b_side.hub.loc[a_side.hub.index])
    rows.append(ComparisonRow("adjusted Rand index, hubs", ari_hubs, ari_hubs, "fraction"))
    rows.append(ComparisonRow("adjusted Rand index, MCPs", ari_mcps, ari_mcps, "fraction"))
    moves = pd.DataFrame(
        {
            "practice_code": shared,
            "a_hub": a_side.hub.loc[shared].to_numpy(),
            "a_mcp": None if a_side.mcp is None else a_side.mcp.loc[shared].to_numpy(),
            "b_hub": b_side.hub.loc[shared].to_numpy(),
            "b_mcp": None if b_side.mcp is None else b_side.mcp.loc[shared].to_numpy(),
            "mcp_partners_changed": None
            if mcp_changed is None
            else mcp_changed.loc[shared].to_numpy(),
        }
    )
    return Comparison(
        a=a,
        b=b,
        a_label=labels[0],
        b_label=labels[1],
        shared=tuple(shared),
        rows=tuple(rows),
        moves=moves,
    )


def compare_plans(
    a: Plan, b: Plan, *, a_label: str | None = None, b_label: str | None = None
) -> Comparison:
    """Compare two plans on the practices both hold.

    Parameters
    ----------
    a, b
        The plans.
    a_label, b_label
        Their names in tables and maps (default: their footprints; ``(A)`` and ``(B)`` are added
        when the two are the same).

    Returns
    -------
    Comparison
        The metrics of both on the shared practices, and each shared practice's hub and MCP.

    Raises
    ------
    ValidationError
        The plans share no practice.
    """
    shared = _shared(a, b)
    a_codes = pd.Index(a.practices["practice_code"].astype(str))
    b_codes = pd.Index(b.practices["practice_code"].astype(str))
    a_label = a_label or plan_label(a)
    b_label = b_label or plan_label(b)
    if a_label == b_label:
        a_label, b_label = f"{a_label} (A)", f"{b_label} (B)"
    return _compare(
        a,
        b,
        sides=(_plan_side(a, shared), _plan_side(b, shared)),
        shared=shared,
        only=(len(a_codes.difference(shared)), len(b_codes.difference(shared))),
        labels=(a_label, b_label),
    )


def compare_with_pcns(plan: Plan, *, label: str | None = None) -> Comparison:
    """Compare a plan's hubs with today's PCNs (practices without a PCN count alone).

    Parameters
    ----------
    plan
        The plan.
    label
        Its name in tables and maps (default: its footprint).

    Returns
    -------
    Comparison
        With ``b`` None and today's PCNs as B.

    Raises
    ------
    ValidationError
        The plan's practices carry no PCN codes (a sites file without a ``pcn_code`` column, or
        a snapshot without them).
    """
    require_pcn_codes(plan.practices, footprint=plan.footprint)
    shared = pd.Index(plan.practices["practice_code"].astype(str)).sort_values()
    return _compare(
        plan,
        None,
        sides=(_plan_side(plan, shared), _pcn_side(plan, shared)),
        shared=shared,
        only=(0, 0),
        labels=(label or plan_label(plan), PCN_LABEL),
    )


def write_comparison(
    comparison: Comparison,
    out: str | Path,
    *,
    plans: Mapping[str, Plan] | None = None,
    extra: Mapping[str, Callable[[Path], None]] | None = None,
) -> dict[str, Path]:
    """Write comparison.csv and moves.csv into ``out``, with the plans and extra files given.

    The folder is written atomically and, like a plan folder, only a new, empty or earlier
    comparison folder of this tool is replaced.

    Parameters
    ----------
    comparison
        What :func:`compare_plans` or :func:`compare_with_pcns` returned.
    out
        The folder to write.
    plans
        Plan folders to add (name -> plan, e.g. ``{"plan-a": a}``) for the plans the comparison
        made.
    extra
        More entries, name -> writer of that path, written in the same transaction: the CLI
        passes ``{"map.html": ...}`` drawn by :func:`mcp_geo.maps.compare_map.write_comparison_map`
        (maps come after the pipeline, so the pipeline does not draw).

    Returns
    -------
    dict of str to Path
        Each entry written, by name.

    Raises
    ------
    ValidationError
        ``out`` is a folder this tool did not write as a comparison.
    """
    writers: dict[str, Callable[[Path], None]] = {
        "comparison.csv": lambda path: _write_table(comparison, path),
        "moves.csv": lambda path: _write_moves(comparison, path),
        **(extra or {}),
    }
    for name, plan in (plans or {}).items():
        writers[name] = functools.partial(write_plan_files, plan)
    folder = write_output_dir(out, writers, kind="comparison")
    log.info("comparison written to %s", folder)
    return {name: folder / name for name in writers}


def _write_table(comparison: Comparison, path: Path) -> None:
    comparison.table().to_csv(path, index=False, lineterminator="\n")


def _write_moves(comparison: Comparison, path: Path) -> None:
    moves = comparison.moves.copy()
    moves["mcp_partners_changed"] = [
        "" if v is None or pd.isna(v) else str(bool(v)).lower()
        for v in moves["mcp_partners_changed"]
    ]
    moves = spreadsheet_safe(moves.fillna(""))  # its free text (today none: codes and ids)
    moves[list(MOVES_COLUMNS)].to_csv(path, index=False, lineterminator="\n")
