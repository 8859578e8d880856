"""Distances between practice sites.

The default travel measure is the great-circle distance by the haversine formula on a sphere of
the mean Earth radius (IUGG R1 = 6371.0088 km), optionally multiplied by a circuity factor that the
plan states in its output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(
    origin: tuple[ArrayLike, ArrayLike], destination: tuple[ArrayLike, ArrayLike]
) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees (broadcasts like numpy).

    Parameters
    ----------
    origin, destination
        Each a pair (latitudes, longitudes) of numbers or arrays.

    Returns
    -------
    numpy.ndarray
        The distances, broadcast over the two.

    Examples
    --------
    >>> round(float(haversine_km((0.0, 0.0), (0.0, 1.0))), 3)
    111.195
    """
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (*origin, *destination)
    )
    h = (
        np.sin((phi2 - phi1) / 2.0) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    )
    # numpy's ufuncs are typed to return Any on arrays of unknown dtype: name what they give
    km: NDArray[np.float64] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


@dataclass(frozen=True)
class TravelMatrix:
    """Travel between every pair of sites, in the order of ``codes``.

    ``km[i, j]`` is the travel distance from site i to site j (a base); ``inf`` where there is no
    way (or none within the limit the source searched to). ``minutes`` is set when the source
    measures drive time; ``km`` then holds the length of the same (fastest) path. ``metric`` says
    which of the two the solvers limit and minimise (:attr:`values`). ``source`` says in words how
    the numbers were made, for reports.
    """

    codes: tuple[str, ...]
    km: NDArray[np.float64]
    source: str
    minutes: NDArray[np.float64] | None = None
    metric: Literal["km", "minutes"] = "km"

    def __post_init__(self) -> None:
        n = len(self.codes)
        if self.km.shape != (n, n):
            raise ValueError(f"km matrix has shape {self.km.shape}, expected ({n}, {n})")
        if self.minutes is not None and self.minutes.shape != (n, n):
            raise ValueError(f"minutes matrix has shape {self.minutes.shape}, expected ({n}, {n})")
        if self.metric not in ("km", "minutes"):
            raise ValueError(f"metric must be 'km' or 'minutes' (got {self.metric!r})")
        if self.metric == "minutes" and self.minutes is None:
            raise ValueError("metric 'minutes' needs a minutes matrix")

    @property
    def values(self) -> NDArray[np.float64]:
        """The matrix of the chosen metric: ``km``, or ``minutes`` for drive time."""
        if self.metric == "minutes":
            assert self.minutes is not None
            return self.minutes
        return self.km

    @property
    def unit(self) -> str:
        """``"km"`` or ``"minutes"``: the unit of :attr:`values` (and of the solvers' limits)."""
        return self.metric


def great_circle_matrix(
    codes: ArrayLike,
    latitude: ArrayLike,
    longitude: ArrayLike,
    *,
    circuity: float = 1.0,
) -> TravelMatrix:
    """Haversine distances (km) between all pairs of sites, times ``circuity`` (>= 1).

    Parameters
    ----------
    codes
        The sites' codes, naming the matrix's rows and columns.
    latitude, longitude
        The sites' coordinates in degrees, in the order of ``codes``.
    circuity
        A factor (>= 1) for roads being longer than straight lines; the matrix's source says it.

    Returns
    -------
    TravelMatrix
        The km between every pair of sites (0 on the diagonal).
    """
    if not circuity >= 1.0:
        raise ValueError(f"circuity must be >= 1 (got {circuity!r})")
    lat = np.asarray(latitude, dtype=float)
    lon = np.asarray(longitude, dtype=float)
    km = haversine_km((lat[:, None], lon[:, None]), (lat[None, :], lon[None, :])) * circuity
    np.fill_diagonal(km, 0.0)
    source = "great-circle km (haversine, R = 6371.0088 km)"
    if circuity != 1.0:
        source += f" x circuity {circuity:g}"
    return TravelMatrix(codes=tuple(str(c) for c in np.asarray(codes)), km=km, source=source)


@dataclass(frozen=True)
class SiteTravel:
    """Travel from practices (rows) to candidate base sites (columns), for ``--bases``.

    ``km[i, s]`` is the travel distance from practice ``codes[i]`` to site ``sites[s]``;
    ``source`` says in words how the numbers were made, for reports.
    """

    codes: tuple[str, ...]
    sites: tuple[str, ...]
    km: NDArray[np.float64]
    source: str

    def __post_init__(self) -> None:
        shape = (len(self.codes), len(self.sites))
        if self.km.shape != shape:
            raise ValueError(f"km matrix has shape {self.km.shape}, expected {shape}")


def great_circle_to_sites(
    practices: tuple[ArrayLike, ArrayLike, ArrayLike],
    sites: tuple[ArrayLike, ArrayLike, ArrayLike],
    *,
    circuity: float = 1.0,
) -> SiteTravel:
    """Haversine km from every practice to every site, times ``circuity`` (>= 1).

    Parameters
    ----------
    practices, sites
        Each (codes, latitudes, longitudes), coordinates in degrees.
    circuity
        As for :func:`great_circle_matrix`.

    Returns
    -------
    SiteTravel
        The practices x sites km.

    Examples
    --------
    >>> t = great_circle_to_sites((["A"], [0.0], [0.0]), (["S"], [0.0], [1.0]))
    >>> round(float(t.km[0, 0]), 3)
    111.195
    """
    if not circuity >= 1.0:
        raise ValueError(f"circuity must be >= 1 (got {circuity!r})")
    codes, lat, lon = (np.asarray(a) for a in practices)
    site_codes, site_lat, site_lon = (np.asarray(a) for a in sites)
    km = haversine_km(
        (lat.astype(float)[:, None], lon.astype(float)[:, None]),
        (site_lat.astype(float)[None, :], site_lon.astype(float)[None, :]),
    )
    source = "great-circle km (haversine, R = 6371.0088 km)"
    if circuity != 1.0:
        source += f" x circuity {circuity:g}"
    return SiteTravel(
        codes=tuple(str(c) for c in codes),
        sites=tuple(str(c) for c in site_codes),
        km=km * circuity,
        source=source,
    )
