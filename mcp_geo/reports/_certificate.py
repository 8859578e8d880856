"""The certificate in plain words: what the solver proved, level by level and stage by stage.

A level that optimises one objective has one stage (the travel); a level with several objectives
(DESIGN "Objective stages") certifies each in order, the later ones with the earlier ones'
values held. Each stage is said as: what was minimised, the plan's value, the proven bound, the
gap, and what that means (``proven optimal: no plan that meets the rules has less travel``, or
``within 0.4% of the best possible: no plan has less than ...``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_geo.solvers.certificate import Certificate, Stage

STAGE_WORDS = {
    "shortfall": ("patients below the floor", "fewer patients below the floor"),
    "hubs": ("the number of hubs", "fewer hubs"),
    "mcps": ("the number of MCPs", "fewer MCPs"),
    "least_travel": ("the least travel the rules allow", "less travel"),
    "split": ("reference groups split", "fewer groups split"),
    "moves": ("moves out of the reference grouping", "fewer moves"),
    "travel": ("travel", "less travel"),
}
"""Each stage: what it minimises, and what no better plan could have (in words)."""

ENDED_WORDS = {
    "proof": "the solver's proof",
    "time_limit": "the time limit",
    "work_limit": "a work limit",
    "infeasible": "the checks before solving",
    "no_model": "nothing left to choose",
}


@dataclass(frozen=True)
class StageText:
    """One stage in words: its name, the numbers, and what they mean."""

    name: str
    numbers: str
    meaning: str


def _percent(gap: float) -> str:
    return f"{100 * gap:.1f}%" if gap >= 0.001 else f"{100 * gap:.2f}%"


def _value(value: float | None, *, counted: bool) -> str:
    if value is None:
        return "none"
    return f"{value:,.0f}" if counted or abs(value) >= 1000 else f"{value:,.3f}"


def stage_text(stage: Stage, *, patients: int | None = None) -> StageText:
    """One stage in words.

    Parameters
    ----------
    stage
        The stage (its name, objective, bound, gap and status).
    patients
        The footprint's patients: a patient-weighted travel objective is also said per patient.

    Returns
    -------
    StageText
        The stage's name, its numbers and their meaning.
    """
    what, better = STAGE_WORDS.get(stage.name, (stage.name, "a better value"))
    counted = stage.name in ("shortfall", "hubs", "mcps", "split", "moves")
    numbers = f"{stage.objective_name or what}: {_value(stage.objective, counted=counted)}"
    per_patient = (
        stage.objective is not None
        and patients
        and stage.objective_name.startswith("patient-weighted")
    )
    if per_patient:
        numbers += f" ({stage.objective / patients:.2f} km per patient)"  # type: ignore[operator]
    if stage.bound is not None and stage.status in ("optimal", "feasible"):
        numbers += f"; proven bound {_value(stage.bound, counted=counted)}"
    if stage.gap is not None and stage.status in ("optimal", "feasible"):
        numbers += f"; gap {_percent(stage.gap)}"
    return StageText(
        name=what[:1].upper() + what[1:],
        numbers=numbers[:1].upper() + numbers[1:],
        meaning=_meaning(stage, better, counted=counted),
    )


def _meaning(stage: Stage, better: str, *, counted: bool) -> str:
    gap = stage.gap
    if stage.status == "optimal":
        if gap is None or gap < 0.00005:
            return f"proven optimal: no plan that meets the rules has {better}"
        return (
            f"proven optimal within the tolerance asked for: no plan has {better} than "
            f"{_value(stage.bound, counted=False)}, {_percent(gap)} below this plan"
        )
    if stage.status == "feasible":
        if gap is None:
            return "a plan that meets the rules, not proven the best (no bound was found)"
        return (
            f"within {_percent(gap)} of the best possible: no plan can have {better} than "
            f"{_value(stage.bound, counted=counted)}"
        )
    if stage.status == "no_solution":
        return "no plan was found in the time allowed"
    return "the rules cannot all be met"


def certificate_texts(certificate: Certificate, *, patients: int | None = None) -> list[StageText]:
    """Each stage of a level's certificate in words (a level without stages: one, its own).

    Parameters
    ----------
    certificate
        One level's certificate.
    patients
        The footprint's patients (for travel per patient).

    Returns
    -------
    list of StageText
        In the order the stages were solved.
    """
    stages = certificate.stages or (
        Stage(
            name="travel",
            objective=certificate.objective,
            bound=certificate.bound,
            gap=certificate.gap,
            status=certificate.status,
            objective_name=certificate.objective_name,
        ),
    )
    return [stage_text(stage, patients=patients) for stage in stages]


def solver_line(certificate: Certificate) -> str:
    """How the level was solved: engine, solver and version, what ended the solve, model size.

    Parameters
    ----------
    certificate
        One level's certificate.

    Returns
    -------
    str
        ``the columns engine with highs 1.16.0; ended by the solver's proof; 465 variables``.
    """
    size = certificate.model_size
    ended = ENDED_WORDS.get(certificate.ended_by, certificate.ended_by)
    parts = [
        f"the {certificate.engine} engine with {certificate.solver} {certificate.solver_version}",
        f"ended by {ended}",
        f"status {certificate.status}",
    ]
    if size.variables:
        parts.append(f"{size.variables:,} variables, {size.constraints:,} constraints")
    if size.columns_generated:
        parts.append(f"{size.columns_generated:,} columns (candidate groups) generated")
    if size.parts > 1:
        parts.append(f"{size.parts} independent parts")
    return "; ".join(parts)
