"""How settled a plan is: its alternatives, their moves against it, and the settled practices.

A plan made with ``alternatives = K`` holds up to K other plans (:class:`Alternative`), each a
whole plan whose travel is within the travel slack of the best plan's
(:mod:`mcp_geo.solvers.alternatives`). Their moves against the best plan are recounted here with
DESIGN's matching definition (:func:`~mcp_geo.plans.continuity.match_groups`, patients kept
together). A practice is *settled* when it moves in no alternative (it stays in the hub that
continues its best-plan hub in every one); otherwise it is *open*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from mcp_geo.plans.continuity import match_groups, moved

if TYPE_CHECKING:
    from mcp_geo.plans.plan import Plan
    from mcp_geo.solvers.alternatives import AlternativesSolution

SETTLED_DEFINITION = (
    "a practice is settled when it moves in no alternative: in every alternative it is in the "
    "hub that continues its hub of the best plan (DESIGN's matching definition: hubs matched "
    "one-to-one to keep the most patients together); otherwise it is open"
)


@dataclass(frozen=True)
class Alternative:
    """One alternative plan and how far it is from the best plan.

    Attributes
    ----------
    n
        Its number (1..K), and its folder ``alternatives/<n>/``.
    plan
        The whole plan (hubs, MCPs unless there are none, territories, metrics, certificates;
        its hub certificate's stage ``alternative`` is the search's record).
    moved_practices, moved_patients
        Practices (patients) that move against the best plan (the matching definition).
    travel_over_best
        Its travel over the best plan's, less one (0.01 = 1% more).
    """

    n: int
    plan: Plan
    moved_practices: int
    moved_patients: int
    travel_over_best: float

    def to_dict(self) -> dict[str, Any]:
        """The alternative's entry of report.json's ``alternatives.plans``."""
        cert = self.plan.certificates.hubs
        travel = self.plan.metrics.hubs.travel
        record = next((s for s in cert.stages if s.name == "alternative"), None)
        return {
            "n": self.n,
            "travel": {
                "objective": None if cert.objective is None else round(cert.objective, 6),
                "objective_name": cert.objective_name,
                "weighted_mean_km": None if travel is None else round(travel.mean, 3),
            },
            "travel_over_best": round(self.travel_over_best, 9),
            "moved_practices": self.moved_practices,
            "moved_patients": self.moved_patients,
            "solve": None if record is None else {**record.to_dict(), "ended_by": cert.ended_by},
            "folder": f"alternatives/{self.n}",
        }


@dataclass(frozen=True)
class Alternatives:
    """The alternatives of a plan and the practices they leave settled.

    Attributes
    ----------
    asked
        K, how many were asked for.
    found
        The alternatives found, in order.
    travel_slack, slack_source
        The slack F that bounded them and where it came from (``travel_slack``: the option;
        ``gap``: the best plan's certified gap, at least the gap tolerance).
    best_travel
        The best plan's travel (its hub objective).
    stopped
        Why fewer than K were found (None: K were).
    held
        Practices held as in the best plan (fixed groups and least-exception parts).
    hubs
        One row per practice of the best plan (index practice_code): ``settled`` (bool), and per
        alternative n the column ``n`` with its hub there (``hub_id (base code)``) and the column
        ``moved n`` (bool: whether it moves there, against the best plan).
    """

    asked: int
    found: tuple[Alternative, ...]
    travel_slack: float
    slack_source: str
    best_travel: float
    stopped: str | None
    held: int
    hubs: pd.DataFrame

    @property
    def settled(self) -> pd.Series:
        """Whether each practice (by code) is settled."""
        return self.hubs["settled"]

    def line(self) -> str:
        """The summary line ``plan`` prints."""
        k = len(self.found)
        head = f"{k} alternative{'s' if k != 1 else ''} within {100 * self.travel_slack:.2f}% "
        head += "of the least travel"
        if not k:
            return head + f" ({self.stopped})"
        settled = int(self.settled.sum())
        more = "" if self.stopped is None else f" (fewer than {self.asked}: {self.stopped})"
        return f"{head}: {settled} of {len(self.settled)} practices settled{more}"

    def to_dict(self) -> dict[str, Any]:
        """report.json's ``alternatives``."""
        return {
            "asked": self.asked,
            "found": len(self.found),
            "travel_slack": round(self.travel_slack, 9),
            "slack_source": self.slack_source,
            "best_travel": round(self.best_travel, 6),
            "stopped": self.stopped,
            "held_practices": self.held,
            "plans": [a.to_dict() for a in self.found],
            "settled_practices": int(self.settled.sum()),
            "open_practices": int((~self.settled).sum()),
            "settled_definition": SETTLED_DEFINITION,
        }


def settled_table(best: Plan, plans: list[Plan]) -> pd.DataFrame:
    """Per practice of ``best``: its hub in each alternative, whether it moves there (DESIGN's
    matching definition, patients kept together) and whether it is settled.

    Parameters
    ----------
    best
        The best plan.
    plans
        The alternatives as whole plans, in order (numbered from 1).

    Returns
    -------
    pandas.DataFrame
        :attr:`Alternatives.hubs`.
    """
    practices = best.practices.set_index(best.practices["practice_code"].astype(str))
    weights = practices["patients"]
    best_hub = practices["hub_id"].astype(str)
    table = pd.DataFrame({"settled": True}, index=best_hub.index)
    for n, plan in enumerate(plans, start=1):
        other = plan.practices.set_index(plan.practices["practice_code"].astype(str))
        hub = other["hub_id"].astype(str).reindex(best_hub.index)
        move = moved(hub, best_hub, matching=match_groups(hub, best_hub, weights=weights))
        table["settled"] &= ~move
        table[str(n)] = hub + " (" + other["hub_base_code"].astype(str).reindex(hub.index) + ")"
        table[f"moved {n}"] = move.astype(bool)
    return table


def alternatives_outcome(
    best: Plan, *, plans: list[Plan], search: AlternativesSolution, asked: int
) -> Alternatives:
    """The alternatives of ``best`` with their moves recounted, and the settled practices.

    Parameters
    ----------
    best
        The best plan.
    plans
        The alternatives as whole plans, in order.
    search
        The search's account (slack, travel, why it stopped).
    asked
        K.

    Returns
    -------
    Alternatives
        What report.json, practices.csv and the map say about them.
    """
    table = settled_table(best, plans)
    weights = best.practices.set_index(best.practices["practice_code"].astype(str))["patients"]
    found = []
    for n, plan in enumerate(plans, start=1):
        move = table[f"moved {n}"]
        travel = plan.certificates.hubs.objective or 0.0
        over = travel / search.best_travel - 1.0 if search.best_travel else 0.0
        found.append(Alternative(n, plan, int(move.sum()), int(weights[move].sum()), float(over)))
    return Alternatives(
        asked=asked, found=tuple(found), travel_slack=search.travel_slack,
        slack_source=search.slack_source, best_travel=search.best_travel,
        stopped=search.stopped, held=search.held, hubs=table,
    )  # fmt: skip
