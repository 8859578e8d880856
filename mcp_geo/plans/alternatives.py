"""How settled a plan is: its alternatives, their moves against it, and the settled practices.

A plan made with ``alternatives = K`` holds up to K other plans (:class:`Alternative`), each a
whole plan whose travel is within the travel slack of the best plan's
(:mod:`mcp_geo.solvers.alternatives`). Their moves against the best plan are recounted here with
DESIGN's matching definition (:func:`~mcp_geo.plans.continuity.match_groups`, patients kept
together). A practice is *settled* when it moves in no alternative (it stays in the hub that
continues its best-plan hub in every one); otherwise it is *open*.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mcp_geo._errors import Problem, ValidationError
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
            proof = (self.stopped or "").removeprefix("alternative 1: ")
            return proof if proof.endswith(": proven") else head + f" ({self.stopped})"
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


SLACK_SOURCES = ("travel_slack", "gap")


def _whole(value: Any, *, low: int = 0, high: float = math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value: Any, *, low: float = 0.0) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= low
    )


def _entry_problems(entry: Any, *, source: str, practices: int) -> list[Problem]:
    """What is wrong with report.json's ``alternatives`` (range-checked: the file is not
    trusted); nothing means every field :func:`read_alternatives` uses is sound."""
    if not isinstance(entry, dict):
        return [Problem("must be an object", source=source, field="alternatives", value=entry)]
    checks = {
        "asked": (_whole(entry.get("asked"), low=1), "a whole number >= 1"),
        "travel_slack": (_number(entry.get("travel_slack")), "a number >= 0"),
        "slack_source": (entry.get("slack_source") in SLACK_SOURCES, f"one of {SLACK_SOURCES}"),
        "best_travel": (_number(entry.get("best_travel")), "a number >= 0"),
        "stopped": (
            entry.get("stopped") is None or isinstance(entry.get("stopped"), str),
            "text or null",
        ),
        "held_practices": (
            _whole(entry.get("held_practices"), high=practices),
            f"a whole number from 0 to {practices}",
        ),
        "plans": (isinstance(entry.get("plans"), list), "a list"),
    }
    problems = [
        Problem(
            f"must be {allowed}", source=source, field=f"alternatives.{key}", value=entry.get(key)
        )
        for key, (ok, allowed) in checks.items()
        if not ok
    ]
    listed = entry.get("plans")
    plans: list[Any] = listed if isinstance(listed, list) else []
    asked: int = entry["asked"] if _whole(entry.get("asked")) else 0
    if not _whole(entry.get("found"), high=asked) or entry.get("found") != len(plans):
        problems.append(
            Problem(
                f"must be the number of plans listed ({len(plans)}), at most asked",
                source=source,
                field="alternatives.found",
                value=entry.get("found"),
            )
        )
    for i, one in enumerate(plans):
        problems += _plan_problems(one, n=i + 1, source=source, practices=practices)
    return problems


def _plan_problems(one: Any, *, n: int, source: str, practices: int) -> list[Problem]:
    """What is wrong with the entry of alternative n."""
    where = f"alternatives.plans[{n - 1}]"
    if not isinstance(one, dict):
        return [Problem("must be an object", source=source, field=where, value=one)]
    checks = {
        "n": (one.get("n") == n and _whole(one.get("n")), f"{n} (the plans in order)"),
        "folder": (one.get("folder") == f"alternatives/{n}", repr(f"alternatives/{n}")),
        "travel_over_best": (_number(one.get("travel_over_best"), low=-1.0), "a number > -1"),
        "moved_practices": (
            _whole(one.get("moved_practices"), high=practices),
            f"a whole number from 0 to {practices}",
        ),
        "moved_patients": (_whole(one.get("moved_patients")), "a whole number >= 0"),
    }
    return [
        Problem(f"must be {allowed}", source=source, field=f"{where}.{key}", value=one.get(key))
        for key, (ok, allowed) in checks.items()
        if not ok
    ]


def read_alternatives(
    entry: Any, *, best: Plan, folder: Path, read: Callable[[Path], Plan]
) -> Alternatives:
    """The alternatives of a written plan: report.json's ``alternatives`` and each
    ``alternatives/<n>/`` folder, checked against each other.

    Parameters
    ----------
    entry
        report.json's ``alternatives`` (untrusted: every field used is range-checked).
    best
        The plan read from the folder (its practices, ``settled`` among them).
    folder
        The plan folder.
    read
        Reads a plan folder (:func:`~mcp_geo.plans.read.read_plan`).

    Returns
    -------
    Alternatives
        As the plan held them when written (the moves recounted from the folders).

    Raises
    ------
    ValidationError
        A field is missing or out of range, an alternative's folder is missing, or the folders
        disagree with report.json (each problem names the file and the field).
    """
    source = str(folder / "report.json")
    problems = _entry_problems(entry, source=source, practices=len(best.practices))
    if problems:
        raise ValidationError(problems, context="plan folder")
    plans = []
    for one in entry["plans"]:
        inner = folder / one["folder"]
        if not (inner / "report.json").is_file():
            raise ValidationError(
                [Problem("is missing (report.json lists this alternative)", source=str(inner))],
                context="plan folder",
            )
        plans.append(read(inner))
    codes = set(best.practices["practice_code"].astype(str))
    for n, plan in enumerate(plans, start=1):
        if set(plan.practices["practice_code"].astype(str)) != codes:
            problems.append(
                Problem(
                    "does not plan the practices of the best plan",
                    source=str(folder / f"alternatives/{n}/plan.gpkg"),
                )
            )
    if problems:
        raise ValidationError(problems, context="plan folder")
    table = settled_table(best, plans)
    weights = best.practices.set_index(best.practices["practice_code"].astype(str))["patients"]
    found = []
    for n, (one, plan) in enumerate(zip(entry["plans"], plans, strict=True), start=1):
        move = table[f"moved {n}"]
        recount = (int(move.sum()), int(weights[move].sum()))
        if recount != (one["moved_practices"], one["moved_patients"]):
            problems.append(
                Problem(
                    f"disagrees with the alternative's folder (recounted "
                    f"{recount[0]} practices, {recount[1]} patients)",
                    source=source,
                    field=f"alternatives.plans[{n - 1}].moved",
                    value=(one["moved_practices"], one["moved_patients"]),
                )
            )
        found.append(Alternative(n, plan, *recount, float(one["travel_over_best"])))
    problems += _settled_problems(best, table, source=str(folder / "plan.gpkg"))
    if problems:
        raise ValidationError(problems, context="plan folder")
    return Alternatives(
        asked=entry["asked"],
        found=tuple(found),
        travel_slack=float(entry["travel_slack"]),
        slack_source=entry["slack_source"],
        best_travel=float(entry["best_travel"]),
        stopped=entry["stopped"],
        held=entry["held_practices"],
        hubs=table,
    )


def _settled_problems(best: Plan, table: pd.DataFrame, *, source: str) -> list[Problem]:
    """The practices whose written ``settled`` disagrees with the recount."""
    if "settled" not in best.practices.columns:
        return [
            Problem("is missing (a plan with alternatives has it)", source=source, field="settled")
        ]
    written = best.practices.set_index(best.practices["practice_code"].astype(str))["settled"]
    text = written.astype(str).str.strip().str.lower()
    flags = text.map({"true": True, "1": True, "false": False, "0": False})
    wrong = flags.isna() | (flags != table["settled"].reindex(flags.index))
    if not wrong.any():
        return []
    codes = sorted(flags.index[wrong])
    return [
        Problem(
            f"disagrees with the alternatives' folders for {len(codes)} practices",
            source=source,
            field="settled",
            value=codes[:5],
        )
    ]
