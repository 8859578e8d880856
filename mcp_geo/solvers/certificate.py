"""Certificates: what the solver proved about a plan, read from the solver itself.

A certificate says which engine and solver produced the plan, the solver's own status, the plan's
objective, the best proven lower bound, the relative gap between them, what ended the solve and
how big the model was. ``status`` is one of

- ``optimal``: an incumbent whose gap to the bound is within the requested tolerance;
- ``feasible``: an incumbent, but the gap is larger (a time or work limit stopped the solve);
- ``no_solution``: no plan was found before the limit;
- ``infeasible``: the solver proved that no plan satisfies the rules.

A level that optimises several objectives in order (DESIGN "Objective stages": ``shortfall`` ->
``hubs`` / ``mcps`` (the fewest groups) -> ``travel``) certifies each in :attr:`Certificate.stages`,
each solved with the earlier stages' values held; the level's status is its weakest stage's, and
its objective, bound and gap are the last stage's (the travel).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

Status = Literal["optimal", "feasible", "no_solution", "infeasible"]
STATUSES: tuple[str, ...] = ("optimal", "feasible", "no_solution", "infeasible")
_WORST = {s: k for k, s in enumerate(STATUSES)}
STATUS_OF: dict[str, Status] = {
    "optimal": "optimal",
    "feasible": "feasible",
    "no_solution": "no_solution",
    "infeasible": "infeasible",
}
ENDED_BY: tuple[str, ...] = ("proof", "time_limit", "work_limit", "infeasible", "no_model")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / |objective|``, 0 when both are 0, None without an objective.

    Parameters
    ----------
    objective
        The plan's value (None without a plan).
    bound
        A proven lower bound (None if nothing is known).

    Returns
    -------
    float | None
        The relative gap as a fraction (``inf`` for a zero objective above its bound).
    """
    if (
        objective is None
        or bound is None
        or not (math.isfinite(bound) and math.isfinite(objective))
    ):
        return None  # no plan (an infinite cost), or no bound
    diff = max(0.0, objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


def within_gap(gap: float | None, tolerance: float) -> bool:
    """Whether a relative gap meets the tolerance (rounding aside: a bound set to
    ``objective * (1 - tolerance)`` meets it).

    Parameters
    ----------
    gap
        A relative gap (None: no plan or no bound, never within).
    tolerance
        The gap tolerance as a fraction.

    Returns
    -------
    bool
        True when the gap is known and at most the tolerance.
    """
    return gap is not None and gap <= tolerance + 1e-12


STAGE_ORDER: tuple[str, ...] = (
    "shortfall", "hubs", "mcps", "least_travel", "split", "moves", "travel"
)  # fmt: skip


@dataclass(frozen=True)
class Stage:
    """One objective stage of a level: its name, value, proven bound, gap and status.

    ``name`` is ``shortfall`` (patients below the floor), ``hubs`` or ``mcps`` (the number of
    groups) or ``travel``; the bound is a proven lower bound on the stage's objective given the
    earlier stages' values.
    """

    name: str
    objective: float | None
    bound: float | None
    gap: float | None
    status: Status
    objective_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The report.json form of the stage.

        Returns
        -------
        dict[str, Any]
            name, objective_name, objective, bound, gap and status.
        """
        return {
            "name": self.name,
            "objective_name": self.objective_name,
            "objective": None if self.objective is None else round(self.objective, 6),
            "bound": None if self.bound is None else round(self.bound, 6),
            "gap": None if self.gap is None else round(self.gap, 9),
            "status": self.status,
        }


def weakest(statuses: Sequence[str]) -> Status:
    """The weakest of some statuses (``optimal`` < ``feasible`` < ``no_solution`` <
    ``infeasible``).

    Parameters
    ----------
    statuses
        At least one status.

    Returns
    -------
    Status
        The weakest.
    """
    worst = max(statuses, key=lambda s: _WORST[s])
    return STATUS_OF[worst]


def combine_stages(stages: Sequence[Sequence[Stage]], *, gap_tolerance: float) -> tuple[Stage, ...]:
    """The stages of independent parts added up by name, in :data:`STAGE_ORDER`.

    Objectives and bounds add up (None if any part lacks one); the status is the weakest, made
    ``optimal`` again when the summed gap meets the tolerance (a counted stage: when it is 0).

    Parameters
    ----------
    stages
        Each part's stages (parts without stages are left out).
    gap_tolerance
        The travel stage's tolerance (the other stages are whole numbers: exact).

    Returns
    -------
    tuple[Stage, ...]
        One stage per name.
    """
    out = []
    for name in STAGE_ORDER:
        same = [st for part in stages for st in part if st.name == name]
        if not same:
            continue
        objective = (
            None
            if any(st.objective is None for st in same)
            else float(
                sum(st.objective for st in same)  # type: ignore[misc]
            )
        )
        bound = (
            None
            if any(st.bound is None for st in same)
            else float(
                sum(st.bound for st in same)  # type: ignore[misc]
            )
        )
        gap = relative_gap(objective, bound)
        status = weakest([st.status for st in same])
        if status in ("optimal", "feasible"):
            tol = gap_tolerance if name in ("travel", "least_travel") else 0.0
            status = "optimal" if within_gap(gap, tol) else "feasible"
        out.append(Stage(name, objective, bound, gap, status, same[0].objective_name))
    return tuple(out)


@dataclass(frozen=True)
class ModelSize:
    """Size of what was solved (summed over parts and phases that built a model)."""

    variables: int = 0
    constraints: int = 0
    nonzeros: int = 0
    columns_generated: int = 0
    cuts: int = 0  # subset-row cuts added to the columns engine's master
    parts: int = 1

    def __add__(self, other: ModelSize) -> ModelSize:
        return ModelSize(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, int]:
        """Every count by name, for report.json.

        Returns
        -------
        dict[str, int]
            The counts by field name.
        """
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Certificate:
    """The solver's own account of a solve (see the module docstring for ``status``).

    ``objective`` is the plan's value (None without a plan), ``bound`` a proven lower bound on
    every plan's value (None if nothing is known), ``gap`` the relative gap as a fraction.
    ``ended_by`` says what stopped the solve: ``proof`` (optimality or infeasibility proven),
    ``time_limit``, ``work_limit``, ``infeasible`` (found by the pre-checks) or ``no_model``
    (nothing left to optimise).
    """

    engine: str
    solver: str
    solver_version: str
    status: Status
    objective: float | None
    objective_name: str
    bound: float | None
    gap: float | None
    seconds: float
    ended_by: str
    model_size: ModelSize = ModelSize()
    stages: tuple[Stage, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES} (got {self.status!r})")
        if self.status in ("optimal", "feasible") and self.objective is None:
            raise ValueError(f"a {self.status!r} certificate needs an objective")
        if self.gap is not None and self.gap < 0:
            raise ValueError(f"gap must be >= 0 (got {self.gap!r})")

    def to_dict(self) -> dict[str, Any]:
        """The report.json form (DESIGN "Outputs"); seconds go under ``timings``, not here.

        Returns
        -------
        dict[str, Any]
            The fields by name, numbers rounded for the report.
        """
        return {
            "engine": self.engine,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "status": self.status,
            "objective": None if self.objective is None else round(self.objective, 6),
            "objective_name": self.objective_name,
            "bound": None if self.bound is None else round(self.bound, 6),
            "gap": None if self.gap is None else round(self.gap, 9),
            "ended_by": self.ended_by,
            "model_size": self.model_size.to_dict(),
        } | ({"stages": [st.to_dict() for st in self.stages]} if self.stages else {})


def combine_certificates(
    certificates: Sequence[Certificate], *, gap_tolerance: float, seconds: float | None = None
) -> Certificate:
    """One certificate for independent parts solved separately.

    The objective is the sum of the parts' objectives (None if any part has no plan), the bound
    the sum of their bounds, the status the worst of theirs (re-derived from the combined gap:
    a sum of parts each within the tolerance is within it), engines and solvers listed once each.

    Parameters
    ----------
    certificates
        The parts' certificates (at least one).
    gap_tolerance
        The tolerance that makes the combined status ``optimal``.
    seconds
        The combined wall-clock time; the sum of the parts' when None.

    Returns
    -------
    Certificate
        The combined certificate (the only one, unchanged, when there is one and no ``seconds``).

    Raises
    ------
    ValueError
        When there are no certificates.
    """
    if not certificates:
        raise ValueError("no certificates to combine")
    if len(certificates) == 1 and seconds is None:
        return certificates[0]
    worst = max(certificates, key=lambda c: _WORST[c.status])
    objective: float | None = None
    if all(c.objective is not None for c in certificates):
        objective = float(sum(c.objective for c in certificates))  # type: ignore[misc]
    bound: float | None = None
    if all(c.bound is not None for c in certificates):
        bound = float(sum(c.bound for c in certificates))  # type: ignore[misc]
    gap = relative_gap(objective, bound)
    status: Status = worst.status
    if status in ("optimal", "feasible"):
        status = "optimal" if within_gap(gap, gap_tolerance) else "feasible"
    ended = [c.ended_by for c in certificates]
    ended_by = next((e for e in ("infeasible", "time_limit", "work_limit") if e in ended), "proof")
    if all(e == "no_model" for e in ended):
        ended_by = "no_model"

    def _join(values: Sequence[str]) -> str:
        return "+".join(sorted({v for v in values if v}))

    size = ModelSize(parts=0)
    for c in certificates:
        size = size + c.model_size
    stages = combine_stages([c.stages for c in certificates], gap_tolerance=gap_tolerance)
    if stages:
        status = weakest([status, *(st.status for st in stages)])
    return Certificate(
        engine=_join([c.engine for c in certificates]),
        solver=_join([c.solver for c in certificates]),
        solver_version=_join([c.solver_version for c in certificates]),
        status=status,
        objective=objective,
        objective_name=certificates[0].objective_name,
        bound=bound,
        gap=gap,
        seconds=float(sum(c.seconds for c in certificates)) if seconds is None else seconds,
        ended_by=ended_by,
        model_size=size,
        stages=stages,
    )
