"""Rules of a hub or MCP plan and options of a solve, as frozen, validated dataclasses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from mcp_geo._errors import Problem, ValidationError

Objective = Literal["weighted", "distance"]
Engine = Literal["auto", "compact", "columns"]
SolverName = Literal["highs", "cbc"]


def _check_window(
    problems: list[Problem],
    source: str,
    min_patients: object,
    max_patients: object,
    max_km: object,
    count: object,
    count_name: str,
    objective: object,
) -> None:
    if isinstance(min_patients, bool) or not isinstance(min_patients, int) or min_patients < 0:
        problems.append(
            Problem("must be a whole number >= 0", source, "min_patients", min_patients)
        )
    if max_patients is not None and (
        isinstance(max_patients, bool) or not isinstance(max_patients, int) or max_patients < 1
    ):
        problems.append(
            Problem("must be a whole number >= 1 or None", source, "max_patients", max_patients)
        )
    if (
        isinstance(min_patients, int)
        and isinstance(max_patients, int)
        and not isinstance(max_patients, bool)
        and max_patients < min_patients
    ):
        problems.append(
            Problem(
                f"must be >= min_patients ({min_patients})", source, "max_patients", max_patients
            )
        )
    if max_km is not None and (
        isinstance(max_km, bool)
        or not isinstance(max_km, int | float)
        or not math.isfinite(max_km)
        or max_km < 0
    ):
        problems.append(Problem("must be a finite number >= 0 or None", source, "max_km", max_km))
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        problems.append(Problem("must be a whole number >= 1 or None", source, count_name, count))
    if objective not in ("weighted", "distance"):
        problems.append(Problem("must be 'weighted' or 'distance'", source, "objective", objective))


@dataclass(frozen=True)
class HubRule:
    """What a hub plan must satisfy.

    Parameters
    ----------
    min_patients, max_patients
        The window of a hub's registered patients (a floor of 0 is valid).
    max_km
        Largest distance from a practice to its hub's base; None for no limit.
    n_hubs
        A fixed number of hubs, or None to let the solver choose.
    objective
        ``"weighted"``: minimise the sum of patients x km to the base; ``"distance"``: the sum of km.
    strict
        If True, unavoidable exceptions (a practice over the ceiling, an isolated group under the
        floor) raise :class:`~mcp_geo._errors.InfeasibleError` instead of being named exceptions.
    """

    min_patients: int = 30_000
    max_patients: int = 50_000
    max_km: float | None = 15.0
    n_hubs: int | None = None
    objective: Objective = "weighted"
    strict: bool = False

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        _check_window(
            problems,
            "HubRule",
            self.min_patients,
            self.max_patients,
            self.max_km,
            self.n_hubs,
            "n_hubs",
            self.objective,
        )
        if self.max_patients is None:
            problems.append(Problem("a hub needs a ceiling", "HubRule", "max_patients", None))
        if not isinstance(self.strict, bool):
            problems.append(Problem("must be True or False", "HubRule", "strict", self.strict))
        if problems:
            raise ValidationError(problems, context="invalid hub rule")


@dataclass(frozen=True)
class McpRule:
    """What an MCP plan (groups of whole hubs) must satisfy; see :class:`HubRule`."""

    min_patients: int = 100_000
    max_patients: int | None = None
    max_km: float | None = None
    n_mcps: int | None = None
    objective: Objective = "weighted"
    strict: bool = False

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        _check_window(
            problems,
            "McpRule",
            self.min_patients,
            self.max_patients,
            self.max_km,
            self.n_mcps,
            "n_mcps",
            self.objective,
        )
        if not isinstance(self.strict, bool):
            problems.append(Problem("must be True or False", "McpRule", "strict", self.strict))
        if problems:
            raise ValidationError(problems, context="invalid MCP rule")


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    Parameters
    ----------
    engine
        ``"compact"`` (the textbook model), ``"columns"`` (column generation with reduced-cost
        fixing) or ``"auto"`` (chosen per independent part; the certificate names the one used).
    solver
        The MIP solver behind PuLP: ``"highs"`` (default) or ``"cbc"``.
    gap
        Relative gap (a fraction) at which a plan counts as proven optimal.
    time_limit_s
        Wall-clock limit for the whole solve, all parts and phases included.
    threads
        Solver threads; None uses every core.
    seed
        Random seed handed to the solvers (ties are also broken by practice code).
    """

    engine: Engine = "auto"
    solver: SolverName = "highs"
    gap: float = 1e-4
    time_limit_s: float = 600.0
    threads: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        src = "SolveOptions"
        if self.engine not in ("auto", "compact", "columns"):
            problems.append(
                Problem("must be 'auto', 'compact' or 'columns'", src, "engine", self.engine)
            )
        if self.solver not in ("highs", "cbc"):
            problems.append(Problem("must be 'highs' or 'cbc'", src, "solver", self.solver))
        if (
            isinstance(self.gap, bool)
            or not isinstance(self.gap, int | float)
            or not 0 <= self.gap < 1
        ):
            problems.append(Problem("must be a fraction in [0, 1)", src, "gap", self.gap))
        if (
            isinstance(self.time_limit_s, bool)
            or not isinstance(self.time_limit_s, int | float)
            or not self.time_limit_s > 0
            or not math.isfinite(self.time_limit_s)
        ):
            problems.append(
                Problem(
                    "must be a finite number of seconds > 0", src, "time_limit_s", self.time_limit_s
                )
            )
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            problems.append(
                Problem("must be a whole number >= 1 or None", src, "threads", self.threads)
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            problems.append(Problem("must be a whole number >= 0", src, "seed", self.seed))
        if problems:
            raise ValidationError(problems, context="invalid solve options")
