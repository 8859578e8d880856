"""Travel on roads: road km or drive minutes between practice sites, on a network the user supplies.

A road distance from site i to base j is the snap leg from i to its nearest node of the main
network (great-circle), the network path, and the snap leg from j's node to j. Networks come from
an OpenStreetMap extract (PBF or XML), an osmnx GraphML file or a roads layer (see
:mod:`mcp_geo.boundaries.roads._readers`). Drive minutes use each edge's ``maxspeed`` where present
and a default by road class otherwise (:data:`DEFAULT_SPEEDS_KMH`); snap legs at
``snap_speed_kmh``. Paths run only from the candidate bases and stop at the limit; results are
cached on disk, keyed by the file's sha256, the practices, the metric and every option.

Practices that cannot be placed on the network (outside the extract, too far from any road, or by
a road island not joined to the main network) are returned with a reason, never dropped silently.

Examples
--------
>>> road = road_travel_matrix(practices, roads="rutland.osm.pbf",
...                           options=RoadOptions(metric="minutes", limit=30))  # doctest: +SKIP
>>> road.travel.minutes.shape, road.unreachable  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import TravelMatrix
from mcp_geo.boundaries.roads import _cache as cache
from mcp_geo.boundaries.roads._compare import NearestBaseChanges, nearest_base_changes
from mcp_geo.boundaries.roads._graph import add_speeds, network_arrays
from mcp_geo.boundaries.roads._readers import RoadFile, read_road_file
from mcp_geo.boundaries.roads._travel import ISLAND, OUTSIDE, TOO_FAR, compute, report

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "ISLAND",
    "OUTSIDE",
    "TOO_FAR",
    "NearestBaseChanges",
    "RoadCoverage",
    "RoadOptions",
    "RoadTravel",
    "default_cache_dir",
    "nearest_base_changes",
    "read_road_network",
    "road_travel_matrix",
    "search_limit",
    "travel_to_base",
]

Metric = Literal["km", "minutes"]

#: Drive speeds (km/h) by OSM highway class where an edge has no usable ``maxspeed``: the UK
#: national limits (70 mph motorways, 60 mph single carriageways) lowered for junctions and bends
#: on the lesser classes, 20 mph-ish for estates.
DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 112.0,
        "motorway_link": 64.0,
        "trunk": 96.0,
        "trunk_link": 56.0,
        "primary": 80.0,
        "primary_link": 48.0,
        "secondary": 72.0,
        "secondary_link": 48.0,
        "tertiary": 64.0,
        "tertiary_link": 40.0,
        "unclassified": 48.0,
        "residential": 32.0,
        "living_street": 16.0,
        "service": 16.0,
        "road": 40.0,
    }
)
FALLBACK_SPEED_KMH = 40.0


@dataclass(frozen=True)
class RoadOptions:
    """How road travel is measured.

    Parameters
    ----------
    metric
        ``"km"`` (shortest road distance) or ``"minutes"`` (fastest drive time; ``km`` then holds
        the length of that fastest path).
    limit
        Paths longer than this (in the metric's unit) are not searched and come out as ``inf``;
        None searches the whole network. Pass the largest limit any level of the plan uses.
    max_snap_km
        A practice further than this from the main network is reported as unreachable.
    snap_speed_kmh
        The speed of the snap legs for drive minutes.
    speeds_kmh, fallback_speed_kmh
        Speeds by OSM highway class for edges without ``maxspeed``, and for other classes.
    cache_dir
        Where results are cached; None is ``$XDG_CACHE_HOME/mcp-geo/roads`` (or
        ``~/.cache/mcp-geo/roads``). ``use_cache=False`` neither reads nor writes it.
    """

    metric: Metric = "km"
    limit: float | None = None
    max_snap_km: float = 1.0
    snap_speed_kmh: float = 20.0
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    fallback_speed_kmh: float = FALLBACK_SPEED_KMH
    cache_dir: str | Path | None = None
    use_cache: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.metric not in ("km", "minutes"):
            problems.append(
                Problem(
                    "must be 'km' or 'minutes'", source="roads", field="metric", value=self.metric
                )
            )
        if self.limit is not None and not self.limit > 0:
            problems.append(
                Problem("must be > 0 or None", source="roads", field="limit", value=self.limit)
            )
        for name in ("max_snap_km", "snap_speed_kmh", "fallback_speed_kmh"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                problems.append(
                    Problem("must be a number > 0", source="roads", field=name, value=value)
                )
        bad = {
            k: v for k, v in self.speeds_kmh.items() if not (isinstance(v, int | float) and v > 0)
        }
        if bad:
            problems.append(
                Problem(
                    "every speed must be > 0 km/h", source="roads", field="speeds_kmh", value=bad
                )
            )
        if problems:
            raise ValidationError(problems, context="road options")
        object.__setattr__(self, "speeds_kmh", MappingProxyType(dict(self.speeds_kmh)))

    def key(self) -> dict[str, Any]:
        """Everything that changes the numbers (the cache key and the report hold it)."""
        return {
            "metric": self.metric,
            "limit": self.limit,
            "max_snap_km": self.max_snap_km,
            "snap_speed_kmh": self.snap_speed_kmh,
            "speeds_kmh": dict(sorted(self.speeds_kmh.items())),
            "fallback_speed_kmh": self.fallback_speed_kmh,
        }


@dataclass(frozen=True)
class RoadCoverage:
    """How much of the footprint the network reaches."""

    practices: int
    practices_reached: int
    patients: int
    patients_reached: int

    @property
    def share_of_patients(self) -> float:
        return self.patients_reached / self.patients if self.patients else 1.0

    def describe(self) -> str:
        return (
            f"the road network reaches {self.practices_reached} of {self.practices} practices "
            f"({self.patients_reached:,} of {self.patients:,} patients, "
            f"{100 * self.share_of_patients:.1f}%)"
        )


@dataclass(frozen=True)
class RoadTravel:
    """Road travel for the practices the network reaches, and the reasons for the others.

    ``travel`` covers the reached practices in input order: ``km`` road km (``inf`` beyond the
    limit or without a path) and, for drive minutes, ``minutes``. ``sites`` has one row per input
    practice: practice_code, node, snap_km, reached. ``unreachable``: practice_code, reason,
    detail, source (ready for a plan's exclusions). ``report`` is what report.json states.
    """

    travel: TravelMatrix
    metric: Metric
    sites: pd.DataFrame
    unreachable: pd.DataFrame
    coverage: RoadCoverage
    report: Mapping[str, Any]
    from_cache: bool = False

    @property
    def values(self) -> np.ndarray:
        """The chosen metric's matrix (km or minutes)."""
        return self.travel.values

    def notes(self) -> tuple[str, ...]:
        """Sentences for a plan's notes: coverage, speeds, snapping, and the graph's caveats."""
        r = self.report
        lines = [f"roads: {self.coverage.describe()}"]
        if len(self.unreachable):
            counts = ", ".join(f"{n} {reason}" for reason, n in r["unreachable"].items())
            lines.append(f"roads: practices left out: {counts}")
        lines.append(
            f"roads: {r['file'] or 'in-memory graph'} ({r['format']}), {r['nodes']:,} nodes, "
            f"{r['edges']:,} edges; snap legs up to {r['max_snap_km']:g} km "
            f"(largest used {r['snap_km_max']} km, mean {r['snap_km_mean']} km)"
        )
        if self.metric == "minutes":
            speeds = ", ".join(f"{k} {v:g}" for k, v in sorted(r["speeds_kmh"].items()))
            lines.append(
                "roads: drive minutes from each edge's maxspeed where present, else by road "
                f"class (km/h: {speeds}; other classes {r['fallback_speed_kmh']:g}); snap legs "
                f"at {r['snap_speed_kmh']:g} km/h"
            )
        lines.extend(f"roads: {note}" for note in r["notes"])
        return tuple(lines)


def search_limit(*limits: float | None) -> float | None:
    """The limit to search paths to when several levels use one matrix.

    Parameters
    ----------
    *limits
        Each level's limit (km or minutes), None for a level without one.

    Returns
    -------
    float or None
        The largest limit, or None (search everything) when any level has no limit.
    """
    if not limits or any(limit is None for limit in limits):
        return None
    return max(float(limit) for limit in limits if limit is not None)


def travel_to_base(
    travel: TravelMatrix, codes: Sequence[str], base_codes: Sequence[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Road km (and minutes, when measured) from each code to its base, rounded to 3 decimals.

    For a plan in drive minutes the solvers report the minutes; this gives the km of the same
    (fastest) paths for ``km_to_hub_base`` and the minutes for ``minutes_to_hub_base``.

    Parameters
    ----------
    travel
        The road travel matrix the plan was made with.
    codes
        The practices' codes.
    base_codes
        Each practice's base, in the order of ``codes``; a missing base (NaN / None) gives NaN.

    Returns
    -------
    tuple of numpy.ndarray
        The km, and the minutes (None when the matrix has no minutes).
    """
    position = {c: k for k, c in enumerate(travel.codes)}
    rows = np.array([position.get(str(c), -1) for c in codes])
    cols = np.array([position.get(str(b), -1) if isinstance(b, str) else -1 for b in base_codes])
    known = (rows >= 0) & (cols >= 0)

    def pick(matrix: np.ndarray) -> np.ndarray:
        out = np.full(len(rows), np.nan)
        out[known] = np.round(matrix[rows[known], cols[known]], 3)
        return out

    return pick(travel.km), None if travel.minutes is None else pick(travel.minutes)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mcp-geo/roads``, else ``~/.cache/mcp-geo/roads``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mcp-geo" / "roads"


def read_road_network(roads: str | os.PathLike[str], *, options: RoadOptions | None = None) -> Any:
    """The drivable road graph of a file, with osmnx ``speed_kph`` and ``travel_time`` on edges.

    Parameters
    ----------
    roads
        A road network file: OSM PBF or XML, osmnx GraphML, or a roads layer
        (:mod:`mcp_geo.boundaries.roads._readers`).
    options
        The speeds to use where an edge has none; :class:`RoadOptions`' defaults without it.

    Returns
    -------
    networkx.MultiDiGraph
        The drivable roads.
    """
    options = options or RoadOptions()
    read = read_road_file(Path(roads))
    return add_speeds(read.graph, options.speeds_kmh, options.fallback_speed_kmh)


def road_travel_matrix(
    practices: pd.DataFrame,
    *,
    roads: str | os.PathLike[str] | Any,
    options: RoadOptions | None = None,
    bases: Sequence[str] | None = None,
) -> RoadTravel:
    """Road km or drive minutes between practices, from each practice to each candidate base.

    Parameters
    ----------
    practices
        practice_code (unique), patients, latitude and longitude (degrees).
    roads
        A road network file (OSM PBF / XML, osmnx GraphML, roads layer), or an osmnx-style
        ``networkx.MultiDiGraph`` (node ``x``/``y`` in ``graph.graph["crs"]``, edge ``length`` in
        metres; in-memory graphs are not cached).
    options
        The metric, the limit, snapping and speeds; see :class:`RoadOptions`.
    bases
        The candidate bases (practice codes); every practice when None. Columns of other
        practices are ``inf``.

    Raises
    ------
    ValidationError
        Bad practices or bases, a missing or unreadable file, or no practice on the network.
    ImportError
        The optional extra ``roads`` is not installed.
    """
    options = options or RoadOptions()
    frame = _validated(practices, bases)
    codes = frame["practice_code"].tolist()
    base_codes = codes if bases is None else [str(b) for b in bases]
    is_file = isinstance(roads, str | os.PathLike)
    path = Path(roads) if is_file else None
    key = ""
    folder = Path(options.cache_dir) if options.cache_dir is not None else default_cache_dir()
    if path is not None and options.use_cache:
        if not path.is_file():
            raise ValidationError(
                [Problem("road network file not found", source="roads", value=str(path))]
            )
        key = cache.cache_key(path, practices=frame, bases=base_codes, options=options.key())
        hit = cache.load(folder, key)
        if hit is not None:
            log.info("road travel for %d practices from the cache (%s)", len(codes), key[:12])
            return _assemble(frame, hit, options, from_cache=True)
    if path is not None:
        read = read_road_file(path)
    else:
        graph_in: Any = roads
        read = RoadFile(graph=graph_in.copy(), format="networkx graph (in memory)")
    graph = add_speeds(read.graph, options.speeds_kmh, options.fallback_speed_kmh)
    network = network_arrays(graph)
    parts = compute(frame, network=network, base_codes=base_codes, options=options)
    parts["report"] = report(path, read=read, network=network, options=options, parts=parts)
    if key:
        cache.save(folder, key, parts)
    return _assemble(frame, parts, options, from_cache=False)


def _validated(practices: pd.DataFrame, bases: Sequence[str] | None) -> pd.DataFrame:
    problems = []
    missing = [c for c in ("practice_code", "latitude", "longitude") if c not in practices]
    if missing:
        raise ValidationError(
            [Problem("missing columns", source="practices", value=missing)], context="road travel"
        )
    frame = practices.reset_index(drop=True).copy()
    frame["practice_code"] = frame["practice_code"].astype(str)
    if "patients" not in frame:
        frame["patients"] = 0
    duplicated = frame["practice_code"][frame["practice_code"].duplicated()].tolist()
    if duplicated:
        problems.append(Problem("codes must be unique", source="practices", value=duplicated))
    bad = frame.loc[
        ~(
            np.isfinite(frame["latitude"].astype(float))
            & np.isfinite(frame["longitude"].astype(float))
        ),
        "practice_code",
    ].tolist()
    if bad:
        problems.append(Problem("latitude/longitude must be finite", source="practices", value=bad))
    if bases is not None:
        unknown = sorted(set(map(str, bases)) - set(frame["practice_code"]))
        if unknown:
            problems.append(Problem("bases must be practice codes", source="bases", value=unknown))
    if len(frame) == 0:
        problems.append(Problem("no practices", source="practices"))
    if problems:
        raise ValidationError(problems, context="road travel")
    return frame


def _assemble(
    frame: pd.DataFrame, parts: Mapping[str, Any], options: RoadOptions, *, from_cache: bool
) -> RoadTravel:
    reason = np.asarray(parts["reason"]).astype(str)
    reached = reason == ""
    codes = frame["practice_code"].to_numpy()
    patients = frame["patients"].fillna(0).astype(int).to_numpy()
    report = dict(parts["report"])
    source_name = report.get("file") or "an in-memory graph"
    unreachable = pd.DataFrame(  # the columns of a plan's exclusions
        {
            "practice_code": codes[~reached],
            "reason": reason[~reached],
            "source": f"roads {source_name}",
            "detail": np.asarray(parts["detail"]).astype(str)[~reached],
        }
    )
    coverage = RoadCoverage(
        practices=len(frame),
        practices_reached=int(reached.sum()),
        patients=int(patients.sum()),
        patients_reached=int(patients[reached].sum()),
    )
    report["coverage"] = coverage.describe()
    report["unreachable"] = {
        str(k): int(v) for k, v in unreachable["reason"].value_counts().sort_index().items()
    }
    if not reached.any():
        raise ValidationError(
            [
                Problem(
                    f"no practice can be placed on the road network: {report['unreachable']}",
                    source=str(source_name),
                )
            ],
            context="road travel",
        )
    what = "road km (shortest paths)" if options.metric == "km" else "drive minutes (fastest paths)"
    limit = "" if options.limit is None else f", searched to {options.limit:g} {options.metric}"
    digest = f" (sha256 {report['sha256'][:12]})" if report.get("sha256") else ""
    source = (
        f"{what} on {source_name}{digest}{limit}; snap legs great-circle, "
        f"up to {options.max_snap_km:g} km"
    )
    travel = TravelMatrix(
        codes=tuple(str(c) for c in codes[reached]),
        km=np.asarray(parts["km"], dtype=float),
        source=source,
        minutes=None if parts["minutes"] is None else np.asarray(parts["minutes"], dtype=float),
        metric=options.metric,
    )
    sites = pd.DataFrame(
        {
            "practice_code": codes,
            "node": np.asarray(parts["node"], dtype=np.int64),
            "snap_km": np.round(np.asarray(parts["snap_km"], dtype=float), 3),
            "reached": reached,
        }
    )
    return RoadTravel(
        travel=travel,
        metric=options.metric,
        sites=sites,
        unreachable=unreachable,
        coverage=coverage,
        report=MappingProxyType(report),
        from_cache=from_cache,
    )
