"""View 2: one provider per footprint, each footprint one MCP of all its hubs.

The two seed proposals were of this kind: the North Staffordshire GPs' alliance wanted one MCP
for North Staffordshire and Stoke-on-Trent, the STP one community and mental health provider for
all of Staffordshire and Shropshire. Each side's hubs stay as planned; the provider's base is the
hub base that minimises the patient-weighted great-circle km from the hub bases to it
(sum over hubs of patients x km), found exactly by trying every hub base (a tie goes to the
lowest base practice code). This is the base the MCP solver chooses for one MCP
(``--mcps 1``) when travel is great-circle km, ties aside: the same objective over the same
candidates.

Distances here are great-circle km (haversine, R = 6371.0088 km), whatever the plans' travel
measure; spans too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcp_geo.boundaries.distances import haversine_km
from mcp_geo.pipeline.compare._model import ComparisonRow, Kind
from mcp_geo.plans.metrics import DistanceStats, group_spans_km, weighted_distance_stats
from mcp_geo.plans.plan import Plan


@dataclass(frozen=True)
class OneProvider:
    """A plan's footprint as one provider of all its hubs.

    Attributes
    ----------
    base_code, base_hub_id
        The provider's base: a hub base practice, and its hub.
    hubs, patients
        What the provider holds (the whole footprint).
    span_km, span_shared_km
        Largest great-circle km between two practices: of the footprint, of the shared ones.
    to_base, to_base_shared
        km from each practice to the provider's base (patient-weighted), whole and shared.
    hub_to_base, hub_to_base_shared
        km from each practice's hub base to the provider's base, weighted by the practice's
        patients (so by the hubs' patients), whole and shared.
    """

    base_code: str
    base_hub_id: str
    hubs: int
    patients: int
    span_km: float
    span_shared_km: float
    to_base: DistanceStats
    to_base_shared: DistanceStats
    hub_to_base: DistanceStats
    hub_to_base_shared: DistanceStats


def provider_base(
    latitude: np.ndarray, longitude: np.ndarray, *, patients: np.ndarray
) -> tuple[int, np.ndarray]:
    """The position of the site minimising sum_h patients[h] * km(site h, site j) over j (the
    first on a tie), and each site's km to it.

    Parameters
    ----------
    latitude, longitude
        The candidate sites (the hub bases), in the order that breaks ties.
    patients
        Each site's weight (its hub's patients).

    Returns
    -------
    tuple of int and numpy.ndarray
        The chosen position, and every site's km to it.
    """
    km = haversine_km(
        (latitude[:, None], longitude[:, None]), (latitude[None, :], longitude[None, :])
    )
    best = int(np.argmin(patients @ km))
    return best, km[:, best]


def one_provider(plan: Plan, *, shared: pd.Index) -> OneProvider:
    """The footprint of ``plan`` as one provider of all its hubs (see the module's docstring).

    Parameters
    ----------
    plan
        The plan (its hubs and their bases as planned).
    shared
        The practices it shares with the other side.

    Returns
    -------
    OneProvider
        The base, spans and travel, whole and on the shared practices.
    """
    practices = plan.practices.set_index(plan.practices["practice_code"].astype(str))
    hubs = plan.hubs.sort_values("base_code", kind="mergesort").reset_index(drop=True)
    site = practices.loc[hubs["base_code"].astype(str), ["latitude", "longitude"]]
    best, km = provider_base(
        site["latitude"].to_numpy(dtype=float),
        site["longitude"].to_numpy(dtype=float),
        patients=hubs["patients"].to_numpy(dtype=float),
    )
    base = str(hubs.at[best, "base_code"])
    lat0, lon0 = practices.at[base, "latitude"], practices.at[base, "longitude"]
    to_base = pd.Series(
        haversine_km(
            (
                practices["latitude"].to_numpy(dtype=float),
                practices["longitude"].to_numpy(dtype=float),
            ),
            (lat0, lon0),
        ),
        index=practices.index,
    )
    hub_km = pd.Series(km, index=hubs["hub_id"].astype(str))
    hub_to_base = practices["hub_id"].astype(str).map(hub_km)
    weights = practices["patients"].astype(float)
    one = pd.Series("provider", index=practices.index)
    span = group_spans_km(practices["latitude"], practices["longitude"], one)
    inside = practices.loc[shared]
    span_shared = group_spans_km(inside["latitude"], inside["longitude"], one.loc[shared])
    return OneProvider(
        base_code=base,
        base_hub_id=str(hubs.at[best, "hub_id"]),
        hubs=len(hubs),
        patients=int(weights.sum()),
        span_km=float(span.iloc[0]),
        span_shared_km=float(span_shared.iloc[0]),
        to_base=weighted_distance_stats(to_base, weights),
        to_base_shared=weighted_distance_stats(to_base.loc[shared], weights.loc[shared]),
        hub_to_base=weighted_distance_stats(hub_to_base, weights),
        hub_to_base_shared=weighted_distance_stats(hub_to_base.loc[shared], weights.loc[shared]),
    )


_TRAVEL = (
    ("km practice to provider base", "to_base", "each practice's km to the provider's base"),
    (
        "km hub base to provider base",
        "hub_to_base",
        "km from each practice's hub base to the provider's base (so each hub counts by its "
        "patients)",
    ),
)
_STATS = (
    ("mean", "mean", "mean weighted by list size"),
    ("p95", "p95", "smallest km within which at least 95% of the patients lie"),
    ("max", "max", "the largest, whatever the list size"),
)


def _stat(provider: OneProvider, *, attribute: str, stat: str) -> float:
    return float(getattr(getattr(provider, attribute), stat))


def _travel_rows(a: OneProvider, b: OneProvider | None) -> list[ComparisonRow]:
    rows = []
    for scope, suffix, whose in (
        (", whole footprint", "", "of the whole footprint"),
        (", shared practices", "_shared", "of the shared practices"),
    ):
        for name, attribute, words in _TRAVEL:
            for stat_name, stat, stat_words in _STATS:
                rows.append(
                    _row(
                        f"{name}, {stat_name}{scope}",
                        a,
                        b,
                        value=functools.partial(_stat, attribute=attribute + suffix, stat=stat),
                        kind="km",
                        definition=f"{words} {whose}, great-circle km: {stat_words}",
                    )
                )
    return rows


def _row(
    measure: str,
    a: OneProvider,
    b: OneProvider | None,
    *,
    value: Callable[[OneProvider], float | str],
    kind: Kind,
    definition: str,
) -> ComparisonRow:
    return ComparisonRow(
        measure, value(a), None if b is None else value(b), kind, "one_provider", definition
    )


def provider_rows(a: OneProvider, b: OneProvider | None) -> list[ComparisonRow]:
    """View 2's measures: each side's footprint as one provider (B None: A only)."""
    rows = [
        _row(
            "provider base",
            a,
            b,
            value=lambda p: p.base_code,
            kind="code",
            definition="the hub base with the least patient-weighted great-circle km from all "
            "the hub bases (hub patients x km), found by trying every hub base",
        ),
        _row(
            "provider hubs",
            a,
            b,
            value=lambda p: p.hubs,
            kind="count",
            definition="hubs of the whole footprint, all in the one provider",
        ),
        _row(
            "provider patients",
            a,
            b,
            value=lambda p: p.patients,
            kind="patients",
            definition="patients of the whole footprint",
        ),
        _row(
            "provider span km, whole footprint",
            a,
            b,
            value=lambda p: p.span_km,
            kind="km",
            definition="largest great-circle km between two practices of the footprint",
        ),
        _row(
            "provider span km, shared practices",
            a,
            b,
            value=lambda p: p.span_shared_km,
            kind="km",
            definition="largest great-circle km between two shared practices",
        ),
    ]
    return rows + _travel_rows(a, b)
