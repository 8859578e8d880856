"""Plan metrics as small pure functions of plain inputs (arrays, Series, one DataFrame).

DESIGN.md, "Metrics every plan reports": list totals of hubs and MCPs against their bounds,
patient-weighted travel to bases (mean, 95th percentile, maximum), the span of each group (its
"local focus"), the areas groups cross, and the adjusted Rand index between a plan and today's
PCNs. A whole grouping's metrics (a plan's hubs or MCPs, or the PCN grouping) are put together
from these in :mod:`mcp_geo.plans.grouping`.

The functions take arrays and Series rather than a Plan so that they can be used on any grouping
(a plan's hubs or MCPs, today's PCNs, a user's own grouping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import haversine_km

__all__ = [
    "DistanceStats",
    "SizeStats",
    "adjusted_rand_index",
    "area_crossings",
    "group_spans_km",
    "size_stats",
    "weighted_distance_stats",
    "weighted_quantile",
]

# Relative slack when comparing a cumulative weight with a share of the total, so that a share
# that is exactly 95% in decimals still counts when float sums of fractional weights round down.
_SHARE_SLACK = 1e-12


def _array(values: ArrayLike, *, name: str, problems: list[Problem]) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        problems.append(Problem("must be numbers", source=name))
        return np.empty(0)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        problems.append(
            Problem(
                f"must be finite numbers >= 0; bad at positions {bad[:10].tolist()}",
                source=name,
                value=array[bad[0]].item(),
            )
        )
    return array


def weighted_quantile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """The smallest value d such that a share of at least ``q`` of the weight lies at <= d.

    This is the lower weighted quantile: no interpolation, always one of ``values``. With
    distances and list sizes, ``weighted_quantile(km, patients, 0.95)`` is the smallest distance
    within which at least 95% of the patients' practices lie. Entries of weight 0 never decide it.

    Parameters
    ----------
    values, weights
        One entry per item, aligned by position; weights >= 0, not all 0.
    q
        The share of the weight, in [0, 1].

    Returns
    -------
    float
        One of ``values`` (the caller checks the inputs: :func:`weighted_distance_stats` does).
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(v, kind="stable")
    cumulative = np.cumsum(w[order])
    target = q * cumulative[-1] * (1.0 - _SHARE_SLACK)
    return float(v[order][np.searchsorted(cumulative, target, side="left")])


@dataclass(frozen=True)
class DistanceStats:
    """Travel from practices to their bases, in km.

    Attributes
    ----------
    mean
        Patient-weighted mean: sum(patients * km) / sum(patients).
    p95
        Patient-weighted 95th percentile: the smallest distance d among the practices' distances
        such that at least 95% of the patients are registered at practices with km <= d (see
        :func:`weighted_quantile`).
    max
        The largest distance of any practice, whatever its list size.
    mean_unweighted, p95_unweighted
        The same with every practice counting once.
    practices, patients
        How many practices and patients the figures cover.
    """

    mean: float
    p95: float
    max: float
    mean_unweighted: float
    p95_unweighted: float
    practices: int
    patients: float

    def __post_init__(self) -> None:
        if not self.practices > 0:
            raise ValidationError(
                [Problem("must be > 0", field="practices", value=self.practices)],
                context="DistanceStats",
            )


def weighted_distance_stats(km: ArrayLike, weights: ArrayLike) -> DistanceStats:
    """Mean, 95th percentile and maximum of ``km``, weighted by ``weights`` (list sizes).

    Parameters
    ----------
    km
        Each practice's distance to its base.
    weights
        Each practice's list size, aligned with ``km``.

    Returns
    -------
    DistanceStats
        Weighted mean and 95th percentile (see :func:`weighted_quantile`), the maximum, and the
        unweighted mean and 95th percentile.

    Raises
    ------
    ValidationError
        No distances, unequal lengths, values that are not numbers >= 0, or weights adding up
        to 0.

    Examples
    --------
    >>> s = weighted_distance_stats([0.0, 2.0, 10.0], [90, 6, 4])
    >>> s.mean, s.p95, s.max
    (0.52, 2.0, 10.0)
    """
    problems: list[Problem] = []
    d = _array(km, name="km", problems=problems)
    w = _array(weights, name="weights", problems=problems)
    if not problems:
        if d.size == 0:
            problems.append(Problem("no distances given", source="km"))
        if d.size != w.size:
            problems.append(Problem(f"{d.size} distances but {w.size} weights", source="weights"))
        elif d.size and not w.sum() > 0:
            problems.append(Problem("the weights add up to 0", source="weights"))
    if problems:
        raise ValidationError(problems, context="weighted_distance_stats")
    ones = np.ones_like(d)
    return DistanceStats(
        mean=float(np.dot(d, w) / w.sum()),
        p95=weighted_quantile(d, w, 0.95),
        max=float(d.max()),
        mean_unweighted=float(d.mean()),
        p95_unweighted=weighted_quantile(d, ones, 0.95),
        practices=int(d.size),
        patients=float(w.sum()),
    )


@dataclass(frozen=True)
class SizeStats:
    """List totals of groups (hubs, MCPs, PCNs) against their bounds.

    ``median`` is the middle total, or the mean of the two middle totals when ``n`` is even.
    ``n_below`` counts totals < ``lower`` and ``n_above`` totals > ``upper`` (a bound of
    ``None`` counts nothing).
    """

    n: int
    min: float
    median: float
    max: float
    n_below: int
    n_above: int
    lower: float | None
    upper: float | None

    def __post_init__(self) -> None:
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValidationError(
                [Problem("lower bound exceeds upper bound", field="lower", value=self.lower)],
                context="SizeStats",
            )


def size_stats(totals: ArrayLike, *, lower: float | None, upper: float | None) -> SizeStats:
    """Minimum, median and maximum of group totals and how many lie outside [lower, upper].

    Parameters
    ----------
    totals
        Each group's patients.
    lower, upper
        The bounds (None: unbounded on that side).

    Returns
    -------
    SizeStats
        The statistics and counts below and above.

    Raises
    ------
    ValidationError
        No totals, a total that is not a number, or a bound that is not a finite number.

    Examples
    --------
    >>> size_stats([28_000, 40_000, 45_000, 52_000], lower=30_000, upper=50_000)
    SizeStats(n=4, min=28000.0, median=42500.0, max=52000.0, n_below=1, n_above=1, lower=30000, upper=50000)
    """
    problems: list[Problem] = []
    t = _array(totals, name="totals", problems=problems)
    if not problems and t.size == 0:
        problems.append(Problem("no group totals given", source="totals"))
    for name, bound in (("lower", lower), ("upper", upper)):
        if bound is not None and not (isinstance(bound, int | float) and math.isfinite(bound)):
            problems.append(Problem("must be a finite number or None", source=name, value=bound))
    if problems:
        raise ValidationError(problems, context="size_stats")
    return SizeStats(
        n=int(t.size),
        min=float(t.min()),
        median=float(np.median(t)),
        max=float(t.max()),
        n_below=int((t < lower).sum()) if lower is not None else 0,
        n_above=int((t > upper).sum()) if upper is not None else 0,
        lower=lower,
        upper=upper,
    )


def _labels(values: ArrayLike | pd.Series, *, name: str, problems: list[Problem]) -> pd.Series:
    series = (
        values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    )
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        problems.append(
            Problem(f"labels missing at positions {missing[:10].tolist()}", source=name)
        )
    return series


def group_spans_km(
    latitude: ArrayLike, longitude: ArrayLike, labels: ArrayLike | pd.Series
) -> pd.Series:
    """The span of each group: the largest great-circle distance (km) between two of its practices.

    The three inputs are aligned by position, one entry per practice. A group of one practice (or
    of practices at one site) spans 0 km. Distances are haversine km
    (:func:`mcp_geo.boundaries.distances.haversine_km`).

    Parameters
    ----------
    latitude, longitude
        Each practice's site.
    labels
        Each practice's group.

    Returns
    -------
    pandas.Series
        Indexed by group label (sorted), named ``span_km``.
    """
    problems: list[Problem] = []
    lat = np.asarray(latitude, dtype=float).reshape(-1)
    lon = np.asarray(longitude, dtype=float).reshape(-1)
    groups = _labels(labels, name="labels", problems=problems)
    if not (lat.size == lon.size == len(groups)):
        problems.append(
            Problem(
                f"lengths differ: {lat.size} latitudes, {lon.size} longitudes, "
                f"{len(groups)} labels",
                source="labels",
            )
        )
    elif not (np.isfinite(lat).all() and np.isfinite(lon).all() and (np.abs(lat) <= 90).all()):
        problems.append(Problem("coordinates must be finite degrees", source="latitude"))
    if problems:
        raise ValidationError(problems, context="group_spans_km")
    spans = {}
    for group, rows in pd.Series(np.arange(lat.size)).groupby(groups.to_numpy(), sort=True):
        i = rows.to_numpy()
        km = haversine_km((lat[i][:, None], lon[i][:, None]), (lat[i][None, :], lon[i][None, :]))
        spans[group] = float(km.max())
    return pd.Series(spans, name="span_km", dtype=float)


def area_crossings(
    areas: ArrayLike | pd.Series, groups: ArrayLike | pd.Series
) -> dict[str, tuple[str | None, ...]]:
    """The groups whose practices lie in more than one official area, and those areas.

    Parameters
    ----------
    areas
        Each practice's area code; None (or NaN, or blank) where it has none, which counts as
        an area of its own (a group of practices with and without an area crosses).
    groups
        Each practice's group (hub or MCP id), aligned with ``areas`` by position; practices
        with no group are left out.

    Returns
    -------
    dict
        Group id (as text, sorted) -> the areas it spans, sorted, None (no area) last; only the
        groups that cross.

    Examples
    --------
    >>> area_crossings(["05G", "05W", "05W", None], ["H01", "H01", "H02", "H02"])
    {'H01': ('05G', '05W'), 'H02': ('05W', None)}
    """
    area = pd.Series(np.asarray(areas, dtype=object))
    group = pd.Series(np.asarray(groups, dtype=object))
    if len(area) != len(group):
        raise ValidationError(
            [Problem(f"{len(area)} areas against {len(group)} groups", source="groups")],
            context="area_crossings",
        )
    code = pd.Series(
        [None if pd.isna(a) or not str(a).strip() else str(a).strip() for a in area],
        dtype=object,
    )
    keep = group.notna().to_numpy()
    crossing: dict[str, tuple[str | None, ...]] = {}
    for gid, members in code[keep].groupby(group[keep].astype(str).to_numpy(), sort=True):
        found = sorted({a for a in members if a is not None})
        spans = (*found, *((None,) if any(a is None for a in members) else ()))
        if len(spans) > 1:
            crossing[str(gid)] = spans
    return crossing


def _comb2(counts: NDArray[np.int64]) -> float:
    """Sum over ``counts`` of n choose 2 (pairs within each count), exact in float64 here."""
    c = counts.astype(np.float64)
    return float((c * (c - 1.0) / 2.0).sum())


def adjusted_rand_index(labels_a: ArrayLike | pd.Series, labels_b: ArrayLike | pd.Series) -> float:
    """Adjusted Rand index (Hubert and Arabie, 1985) between two groupings of the same practices.

    1 for identical groupings (up to renaming the groups), about 0 for chance agreement, negative
    below chance. Two Series are aligned on their index (practice codes), which must hold the
    same codes; anything else is aligned by position.

    With n_ij the practices in group i of ``a`` and group j of ``b``, a_i and b_j the group
    sizes, and C(k) = k (k - 1) / 2::

        index    = sum_ij C(n_ij)
        expected = sum_i C(a_i) * sum_j C(b_j) / C(n)
        maximum  = (sum_i C(a_i) + sum_j C(b_j)) / 2
        ARI      = (index - expected) / (maximum - expected)

    The denominator is 0 only when both groupings are all singletons or both are one group,
    that is when they are identical: the result is then 1.0 (as in scikit-learn).

    Parameters
    ----------
    labels_a, labels_b
        The two groupings: one label per practice.

    Returns
    -------
    float
        The index, at most 1.

    Raises
    ------
    ValidationError
        No labels, or groupings of different lengths or (Series) different practices.

    Examples
    --------
    >>> round(adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]), 12)
    -0.5
    """
    problems: list[Problem] = []
    a = _labels(labels_a, name="labels_a", problems=problems)
    b = _labels(labels_b, name="labels_b", problems=problems)
    if isinstance(labels_a, pd.Series) and isinstance(labels_b, pd.Series):
        if set(a.index) != set(b.index) or a.index.has_duplicates:
            only = sorted(map(str, set(a.index) ^ set(b.index)))[:10]
            problems.append(
                Problem(
                    f"the two Series must share one unique index (differ on {only})",
                    source="labels_b",
                )
            )
        else:
            b = b.reindex(a.index)
    elif len(a) != len(b):
        problems.append(Problem(f"{len(a)} labels against {len(b)}", source="labels_b"))
    if not problems and len(a) == 0:
        problems.append(Problem("no labels given", source="labels_a"))
    if problems:
        raise ValidationError(problems, context="adjusted_rand_index")
    codes_a = pd.factorize(a.to_numpy())[0]
    codes_b = pd.factorize(b.to_numpy())[0]
    _, n_ij = np.unique(np.stack([codes_a, codes_b]), axis=1, return_counts=True)
    index = _comb2(n_ij)
    sum_a = _comb2(np.bincount(codes_a))
    sum_b = _comb2(np.bincount(codes_b))
    pairs = _comb2(np.array([len(a)]))
    expected = sum_a * sum_b / pairs if pairs else 0.0
    maximum = (sum_a + sum_b) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))
