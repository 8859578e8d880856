"""Hubs: group practices into hubs of 30,000-50,000 patients around a base practice.

``solve_hubs`` runs the pre-checks, splits the footprint into parts that cannot share a hub
under the distance limit, solves each part exactly with the chosen engine (the contract is
:mod:`mcp_geo.solvers.engine`; the engines :mod:`mcp_geo.solvers._compact` and
:mod:`mcp_geo.solvers.columns`) and combines the parts' certificates.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import SiteTravel, TravelMatrix

from ._core import solve_instance
from ._frames import group_ids, validated_items
from ._instance import Instance, PlanException, site_matrix
from ._prechecks import no_base
from .areas import area_labels
from .certificate import Certificate
from .reference import ReferenceGroups
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
    sites: SiteTravel | None = None,
    reference: pd.Series | None = None,
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
    sites
        Candidate base sites (``rule.bases``) and the km from each practice to each: every
        hub's base is one of them (its code the hub's ``base_code``), each the base of at most
        one hub. None: bases are practices.
    reference
        With ``rule.reference``: each practice's reference group (a Series indexed by
        practice_code; missing or empty: no group, never a move). The plan then moves the
        fewest patients (``rule.minimise``) out of their groups, DESIGN's matching definition.

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
    inst, source = hub_instance(practices, rule=rule, travel=travel, sites=sites)
    if rule.reference is not None:
        if reference is None:
            raise ValidationError(
                [Problem("needs each practice's reference group (reference=...)", key="reference")]
            )
        ref = ReferenceGroups.from_series(
            inst.codes[: inst.real],  # candidate sites and parks: no group, never a move
            reference,
            minimise=rule.minimise,
            travel_slack=rule.travel_slack,
            whole=rule.whole,
        ).padded(inst.n)
        inst = dataclasses.replace(inst, reference=ref)
    core = solve_instance(inst, options=options)
    assignment, hubs = hub_frames(inst, core.base_of, group_exception=core.group_exception)
    log.info("hubs: %d practices, %d hubs, %s", inst.real, len(hubs), core.certificate.status)
    return HubSolution(
        assignment=assignment,
        hubs=hubs,
        certificate=core.certificate,
        exceptions=core.exceptions,
        parts=core.parts,
        distance_source=source,
    )


def hub_instance(
    practices: pd.DataFrame,
    *,
    rule: HubRule,
    travel: TravelMatrix | None,
    sites: SiteTravel | None = None,
) -> tuple[Instance, str]:
    """The hub level's instance of the practices under the rule, and how its km were made.

    Parameters
    ----------
    practices, rule, travel, sites
        As for :func:`solve_hubs`.

    Returns
    -------
    tuple[Instance, str]
        The instance (practices sorted by code) and the distances' source.

    Raises
    ------
    ValidationError
        Unusable input (every problem listed).
    """
    df, km, source = validated_items(
        practices,
        code="practice_code",
        weight="patients",
        travel=None if sites is not None else travel,
        source="practices",
        positions=sites is None,
        within=rule.hubs_within,
    )
    weights = df["patients"].to_numpy(np.int64)
    if sites is not None:
        return _site_instance(df, rule=rule, sites=sites), sites.source
    base_min = rule.base_min_patients
    inst = Instance(
        codes=tuple(df["practice_code"]),
        weights=weights,
        km=km,
        lo=rule.hub_min,
        hi=rule.hub_max,
        max_km=rule.limit("km" if travel is None else travel.metric),
        unit="km" if travel is None else travel.metric,
        count=rule.hubs,
        areas=None if rule.hubs_within is None else area_labels(df, rule.hubs_within),
        area_level=rule.hubs_within or "",
        objective=rule.objective,
        strict=rule.strict,
        base_ok=None if base_min is None else weights >= base_min,
        base_rule="" if base_min is None else f"a practice of at least {base_min:,} patients",
    )
    return inst, source


def _site_instance(df: pd.DataFrame, *, rule: HubRule, sites: SiteTravel) -> Instance:
    """Practices and the candidate sites that any of them reaches, as one instance (see
    :mod:`._instance`)."""
    missing = sorted(set(df["practice_code"]) - set(sites.codes))
    if missing:
        raise ValidationError(
            [Problem("not in the site travel", "practices", "practice_code", c) for c in missing]
        )
    pos = {c: k for k, c in enumerate(sites.codes)}
    km = sites.km[[pos[c] for c in df["practice_code"]]]
    limit = rule.max_km
    reach = np.isfinite(km) if limit is None else km <= limit + 1e-9
    order = sorted((c, s) for s, c in enumerate(sites.sites) if reach[:, s].any())
    keep = [s for _, s in order]
    if rule.hubs is not None:
        raise ValidationError(
            [
                Problem(
                    "a fixed number of hubs with candidate sites is not supported yet", key="hubs"
                )
            ]
        )
    n, m = len(df), len(keep)
    weights = df["patients"].to_numpy(np.int64)
    sites_codes = [c for c, _ in order]
    return Instance(
        codes=(*df["practice_code"], *sites_codes, *(f"park of {c}" for c in sites_codes)),
        weights=np.concatenate(
            [weights, np.zeros(m, dtype=np.int64), np.full(m, rule.hub_min, dtype=np.int64)]
        ),
        km=site_matrix(km[:, keep], limit),
        lo=rule.hub_min,
        hi=rule.hub_max,
        max_km=limit,
        count=None,
        objective=rule.objective,
        strict=rule.strict,
        base_ok=np.arange(n + 2 * m) >= n,
        base_rule="a candidate site",
        sites=m,
        parks=m,
    )


def hub_frames(
    inst: Instance, base_of: NDArray[np.int64], *, group_exception: dict[int, PlanException]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A hub plan's assignment and hub tables, as :class:`HubSolution` holds them.

    Parameters
    ----------
    inst
        The hub level's instance.
    base_of
        Each item's base (instance index; negative: no plan).
    group_exception
        Base index -> the exception its hub is.

    Returns
    -------
    tuple[pandas.DataFrame, pandas.DataFrame]
        The assignment (practice_code, hub_id, base_code, km_to_base) and the hubs (hub_id,
        base_code, patients, practices, exception).
    """
    assignment, hubs = _frames(inst, base_of, group_exception=group_exception, prefix="H")
    assignment = assignment.rename(columns={"code": "practice_code", "group_id": "hub_id"})
    return assignment, hubs.rename(columns={"group_id": "hub_id", "members": "practices"})


def _nearest_site(inst: Instance, i: int, *, sites: SiteTravel) -> str:
    km = sites.km[sites.codes.index(inst.codes[i])]
    s = int(np.argmin(km))
    limit = "no distance limit" if inst.max_km is None else f"{inst.max_km:g} km"
    head = f"no allowed base within {limit} ({inst.base_rule})"
    return f"{head}: nearest candidate {sites.sites[s]} at {km[s]:.1f} km"


def practices_without_base(
    practices: pd.DataFrame,
    *,
    rule: HubRule,
    travel: TravelMatrix | None = None,
    sites: SiteTravel | None = None,
) -> pd.DataFrame:
    """The practices no allowed base serves within the distance limit (the base rules).

    A plan leaves them out (exclusions.csv names the reason); a strict plan is refused
    (:func:`solve_hubs` raises, naming them).

    Parameters
    ----------
    practices, rule, travel, sites
        As for :func:`solve_hubs`.

    Returns
    -------
    pandas.DataFrame
        practice_code and reason (``no allowed base within 15 km (...): nearest candidate
        M83001 (12,345 patients) at 18.2 km``), in code order; empty without a base rule.

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"practice_code": ["A", "B"], "patients": [40_000, 5_000],
    ...                       "latitude": [52.0, 53.0], "longitude": [-2.0, -2.0]})
    >>> practices_without_base(sites, rule=HubRule(base_min_patients=10_000)).iloc[0, 1]
    'no allowed base within 15 km (a practice of at least 10,000 patients): nearest candidate A (40,000 patients) at 111.2 km'
    """
    if rule.base_min_patients is None and sites is None:
        return pd.DataFrame({"practice_code": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    inst, _ = hub_instance(practices, rule=rule, travel=travel, sites=sites)
    found = no_base(inst)
    if sites is not None:  # the nearest site may be one no practice reaches (not in inst)
        found = [(i, _nearest_site(inst, i, sites=sites)) for i, _ in found]
    return pd.DataFrame(
        {
            "practice_code": pd.Series([inst.codes[i] for i, _ in found], dtype=str),
            "reason": pd.Series([reason for _, reason in found], dtype=str),
        }
    )


def _frames(
    inst: Instance,
    base_of: NDArray[np.int64],
    *,
    group_exception: dict[int, PlanException],
    prefix: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The assignment of the items to be planned (candidate sites left out) and the groups."""
    real = inst.real
    base_of = base_of[:real]
    solved = base_of >= 0
    base_index = {inst.codes[b]: int(b) for b in base_of[solved]}  # base codes are unique
    bases = sorted(base_index)
    ids = group_ids(prefix, bases)
    base_code = [inst.codes[b] if b >= 0 else None for b in base_of]
    km = [round(float(inst.km[i, b]), 3) if b >= 0 else np.nan for i, b in enumerate(base_of)]
    assignment = pd.DataFrame(
        {
            "code": list(inst.codes[:real]),
            "group_id": [ids[c] if c else None for c in base_code],
            "base_code": base_code,
            "km_to_base": km,
        }
    )
    rows = []
    for b in bases:
        members = base_of == base_index[b]
        exc = group_exception.get(base_index[b])
        rows.append(
            {
                "group_id": ids[b],
                "base_code": b,
                "patients": int(inst.weights[:real][members].sum()),
                "members": int(members.sum()),
                "exception": None if exc is None else exc.reason,
            }
        )
    hubs = pd.DataFrame(rows, columns=["group_id", "base_code", "patients", "members", "exception"])
    return assignment, hubs.sort_values("group_id").reset_index(drop=True)
