"""Grouping metrics: the sizes, travel to bases and spans of one grouping of practices.

The grouping can be a plan's hubs or MCPs, today's PCNs (:func:`pcn_grouping_metrics`) or a
user's own; the small metric functions it is built from live in :mod:`mcp_geo.plans.metrics`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import TravelMatrix, haversine_km
from mcp_geo.plans.metrics import (
    DistanceStats,
    SizeStats,
    _array,
    group_spans_km,
    size_stats,
    weighted_distance_stats,
)

log = logging.getLogger(__name__)

__all__ = ["GroupingMetrics", "grouping_metrics", "pcn_grouping_metrics"]


@dataclass(frozen=True)
class GroupingMetrics:
    """The metrics of one grouping of practices (a plan's hubs or MCPs, or today's PCNs).

    Attributes
    ----------
    practices, patients
        What the grouping covers.
    groups
        Number of groups, singletons included.
    singletons
        Groups of one made for practices without a group label (practices with no PCN).
    sizes
        List totals of the groups against ``lower`` / ``upper``.
    distance
        Practice -> base travel (km; see ``distance_source``).
    max_span_km
        The largest span of any group (great-circle km).
    group_of
        Group id (as text) by practice code; singletons get ``"(no group) <code>"``.
    base_of
        Base practice code by group id.
    km_to_base
        Practice -> base km by practice code.
    spans_km
        Span of each group (great-circle km) by group id.
    distance_source
        How the distances were measured, in words.
    """

    practices: int
    patients: int
    groups: int
    singletons: int
    sizes: SizeStats
    distance: DistanceStats
    max_span_km: float
    group_of: pd.Series
    base_of: pd.Series
    km_to_base: pd.Series
    spans_km: pd.Series
    distance_source: str

    def __post_init__(self) -> None:
        if len(self.group_of) != self.practices or len(self.base_of) != self.groups:
            raise ValidationError(
                ["group_of must have one entry per practice and base_of one per group"],
                context="GroupingMetrics",
            )


_COLUMNS = ("practice_code", "patients", "latitude", "longitude")


def _one_median(km: NDArray[np.float64], weights: NDArray[np.float64]) -> int:
    """Position of the member minimising sum_i weights[i] * km[i, j] (first one on a tie)."""
    return int(np.argmin(weights @ km))


def grouping_metrics(
    practices: pd.DataFrame,
    *,
    group_column: str,
    bases: pd.Series | None = None,
    lower: float | None = 30_000,
    upper: float | None = 50_000,
    travel: TravelMatrix | None = None,
) -> GroupingMetrics:
    """Sizes, travel to bases and spans of the grouping in ``practices[group_column]``.

    Parameters
    ----------
    practices
        Columns ``practice_code`` (unique), ``patients``, ``latitude``, ``longitude`` and
        ``group_column``; a missing or blank group makes the practice a group of its own.
    bases
        The base practice code of each group. ``None`` takes each group's 1-median: the member
        minimising the patient-weighted distance from the group's practices
        (sum_i patients_i * km[i, base]); a tie goes to the smallest practice code.
    lower, upper
        Bounds for :class:`SizeStats` (the hub bounds by default).
    travel
        Distances to use (must hold every practice code); ``None`` uses great-circle km
        (haversine). Spans are always great-circle km.
    """
    _check_practices(practices, group_column=group_column, travel=travel)
    problems: list[Problem] = []
    table = practices.sort_values("practice_code").reset_index(drop=True)
    codes = table["practice_code"].astype(str).to_numpy()
    raw = table[group_column]
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    group = raw.astype(str).where(~blank, pd.Series([f"(no group) {c}" for c in codes]))
    weights = _array(table["patients"], name="patients", problems=problems)
    lat = table["latitude"].to_numpy(dtype=float)
    lon = table["longitude"].to_numpy(dtype=float)
    if bases is not None:
        bases = pd.Series(bases.to_numpy(), index=bases.index.astype(str))
        problems += _base_problems(bases, codes=codes, group=group)
    if problems:
        raise ValidationError(problems, context="grouping_metrics")
    km_to_base, base_of = _travel_to_bases(
        table, group=group, weights=weights, bases=bases, travel=travel
    )
    totals = pd.Series(weights).groupby(group.to_numpy(), sort=False).sum()
    spans = group_spans_km(lat, lon, group)
    return GroupingMetrics(
        practices=len(codes),
        patients=round(weights.sum()),
        groups=len(base_of),
        singletons=int(blank.sum()),
        sizes=size_stats(totals.to_numpy(), lower=lower, upper=upper),
        distance=weighted_distance_stats(km_to_base, weights),
        max_span_km=float(spans.max()),
        group_of=pd.Series(group.to_numpy(), index=codes, name="group_id"),
        base_of=pd.Series(base_of, name="base_code").sort_index(),
        km_to_base=pd.Series(km_to_base, index=codes, name="km_to_base"),
        spans_km=spans,
        distance_source=(
            "great-circle km (haversine, R = 6371.0088 km)" if travel is None else travel.source
        ),
    )


def _check_practices(
    practices: pd.DataFrame, *, group_column: str, travel: TravelMatrix | None
) -> None:
    """Raise one ValidationError for missing columns, duplicate codes, codes travel lacks."""
    problems: list[Problem] = []
    missing = [c for c in (*_COLUMNS, group_column) if c not in practices.columns]
    if missing:
        problems.append(Problem("missing columns", source="practices", value=missing))
    elif practices["practice_code"].duplicated().any():
        dup = sorted(practices.loc[practices["practice_code"].duplicated(), "practice_code"])
        problems.append(Problem("practice codes must be unique", source="practices", value=dup))
    if not problems and travel is not None:
        absent = sorted(set(practices["practice_code"].astype(str)) - set(travel.codes))
        if absent:
            problems.append(
                Problem(
                    "practices missing from the travel matrix", source="travel", value=absent[:10]
                )
            )
    if not problems and len(practices) == 0:
        problems.append(Problem("no practices given", source="practices"))
    if problems:
        raise ValidationError(problems, context="grouping_metrics")


def _base_problems(
    bases: pd.Series, *, codes: NDArray[np.object_], group: pd.Series
) -> list[Problem]:
    """Bases that are not practices, and groups without a base."""
    problems = []
    unknown = sorted(set(map(str, bases.to_numpy())) - set(codes))
    if unknown:
        problems.append(Problem("bases that are not practices", source="bases", value=unknown[:10]))
    nobase = sorted(map(str, set(group) - set(bases.index)))
    if nobase:
        problems.append(Problem("groups without a base", source="bases", value=nobase[:10]))
    return problems


def _travel_to_bases(
    table: pd.DataFrame,
    *,
    group: pd.Series,
    weights: NDArray[np.float64],
    bases: pd.Series | None,
    travel: TravelMatrix | None,
) -> tuple[NDArray[np.float64], dict[str, str]]:
    """Each practice's distance to its group's base, and each group's base (its 1-median when
    ``bases`` is None)."""
    codes = table["practice_code"].astype(str).to_numpy()
    lat = table["latitude"].to_numpy(dtype=float)
    lon = table["longitude"].to_numpy(dtype=float)
    position = {c: i for i, c in enumerate(codes)}
    if travel is not None:
        where = {c: i for i, c in enumerate(travel.codes)}
        lookup = np.array([where[c] for c in codes])

    def km_between(rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.float64]:
        if travel is None:
            return haversine_km(
                (lat[rows][:, None], lon[rows][:, None]), (lat[cols][None, :], lon[cols][None, :])
            )
        km: NDArray[np.float64] = travel.km[np.ix_(lookup[rows], lookup[cols])]
        return km

    km_to_base = np.zeros(len(codes))
    base_of = {}
    for gid, members in pd.Series(np.arange(len(codes))).groupby(group.to_numpy(), sort=False):
        rows = members.to_numpy()  # sorted by practice code, so argmin's first is the smallest
        if bases is None:
            base = rows[_one_median(km_between(rows, rows), weights[rows])]
        else:
            base = position[str(bases[gid])]
        base_of[gid] = codes[base]
        km_to_base[rows] = km_between(rows, np.array([base]))[:, 0]
    return km_to_base, base_of


def pcn_grouping_metrics(
    practices: pd.DataFrame,
    *,
    pcn_column: str = "pcn_code",
    lower: float | None = 30_000,
    upper: float | None = 50_000,
    travel: TravelMatrix | None = None,
) -> GroupingMetrics:
    """The plan metrics for today's Primary Care Networks taken as groups.

    A PCN's base is its 1-median practice (the member minimising the patient-weighted distance
    from the PCN's practices), so that mean / p95 / max travel compares with a plan's hubs.
    Practices without a PCN (missing or blank ``pcn_column``) are each a group of their own and
    counted in ``singletons``. See :func:`grouping_metrics` for the inputs and the result.

    Parameters
    ----------
    practices
        As for :func:`grouping_metrics`, with ``pcn_column``.
    pcn_column
        The column of PCN codes.
    lower, upper
        Bounds for the sizes (the hub bounds by default).
    travel
        Distances to use; None for great-circle km.

    Returns
    -------
    GroupingMetrics
        The PCNs' sizes, travel to their bases and spans.
    """
    result = grouping_metrics(
        practices, group_column=pcn_column, lower=lower, upper=upper, travel=travel
    )
    if result.singletons:
        log.info("%d practices have no PCN; each counts as its own group", result.singletons)
    return result
