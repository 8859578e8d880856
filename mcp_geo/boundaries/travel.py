"""How travel between practices is measured: the options of a plan's distance matrix.

Great-circle km (optionally times a circuity factor), or shortest paths on a road network the
user supplies, in km or drive minutes (:mod:`mcp_geo.boundaries.roads.matrix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcp_geo._errors import Check, check_choice, is_number, raise_problems

TravelKind = Literal["great-circle", "road"]
Metric = Literal["km", "minutes"]
TRAVEL_KINDS: tuple[TravelKind, ...] = ("great-circle", "road")
METRICS: tuple[Metric, ...] = ("km", "minutes")


@dataclass(frozen=True)
class TravelOptions:
    """How travel is measured.

    Parameters
    ----------
    travel
        ``"great-circle"`` (haversine km) or ``"road"`` (shortest paths on ``roads``).
    roads
        The road network file (OpenStreetMap PBF, .osm, GraphML or a roads layer); road only.
    metric
        ``"km"``, or ``"minutes"`` of driving (road only).
    circuity
        A factor >= 1 applied to great-circle km.

    Examples
    --------
    >>> TravelOptions().is_default
    True
    """

    travel: TravelKind = "great-circle"
    roads: str | None = None
    metric: Metric = "km"
    circuity: float = 1.0

    def __post_init__(self) -> None:
        raise_problems(self, self.problems(), context="invalid travel options")

    def problems(self) -> list[Check]:
        """Every problem of these values, as (option, what is allowed)."""
        bad: list[Check] = []
        check_choice(bad, "travel", self.travel, choices=TRAVEL_KINDS)
        check_choice(bad, "metric", self.metric, choices=METRICS)
        roads = self.roads
        if roads is not None and not (isinstance(roads, str) and roads.strip()):
            bad.append(("roads", "must be the path of a road network file"))
        elif self.travel == "road" and roads is None:
            bad.append(("roads", "travel 'road' needs a road network file (roads)"))
        elif self.travel == "great-circle" and roads is not None:
            bad.append(("roads", "a road network file needs travel 'road'"))
        if self.metric == "minutes" and self.travel != "road":
            bad.append(("metric", "drive minutes need travel 'road' and a roads file"))
        if not is_number(self.circuity) or self.circuity < 1:
            bad.append(("circuity", "must be a factor >= 1"))
        elif self.circuity != 1 and self.travel == "road":
            bad.append(("circuity", "applies to great-circle travel only"))
        return bad

    @property
    def is_default(self) -> bool:
        """Plain great-circle km (plans of this kind write no travel keys)."""
        return self.travel == "great-circle" and self.circuity == 1.0
