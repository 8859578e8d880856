r"""A least-exception part planned from a reference: shortfall, then split, moves and travel.

DESIGN "Objective stages": a part whose rules cannot all be met (:mod:`mcp_geo.solvers._shortfall`)
is planned, with a reference, for the least shortfall below the floor (stage ``shortfall``),
then with ``fewest`` the fewest groups (``hubs``), with a travel slack F the least travel
(``least_travel``), with ``whole`` the fewest reference groups split (``split``), then the
fewest moves (``moves``) and the least travel (``travel``); each stage is solved with the
earlier stages' values held and certified. The labelled master (:mod:`._master`) cannot plan
such a part (every column keeps the window), so every stage is the compact model with a
shortfall per floor row ((E1)-(E6), (E4s) and (E9) of :mod:`mcp_geo.solvers._compact`) with
DESIGN's matching of hubs to reference groups as variables, and the groups held whole:

- :math:`z_{jg} \in \{0, 1\}`: the group based at j continues reference group g (g open: not
  claimed outside the part; some member of g within reach of j);
- :math:`k_{ij} \in \{0, 1\}`: item i (of an open group) is kept by its group, based at j
  (0/1 for the solver's sake: at a 0/1 plan and matching the rows make it so anyway);
- :math:`h_{gj} \in [0, 1]`: reference group :math:`g \in W` is held whole at j (W: the groups
  of two items or more, all in the part, that j reaches whole).

With move weights :math:`m_i` (patients, or 1 with ``minimise="practices"``; 0 without a
group) and :math:`x_{jj} = y_j` (E6):

.. math::

    \text{kept} = \sum_{i, j} m_i k_{ij}, \qquad
    \text{moves} = \sum_i m_i - \text{kept}                                          && (M1)

    k_{ij} \le x_{ij} \quad \forall i, j                                              && (M2)

    k_{ij} \le z_{j g(i)} \quad \forall i, j                                          && (M3)

    \sum_{i \in g} w_i k_{ij} \le \min(U, W_{gj})\, z_{jg} \quad \forall j, g
    \text{ (}W_{gj}\text{: g's patients j reaches)}                                   && (M3b)

    \sum_g z_{jg} \le y_j \quad \forall j \text{ (a group continues one at most)}     && (M4)

    \sum_j z_{jg} \le 1 \quad \forall g \text{ (a reference group continues once)}    && (M5)

    h_{gj} \le x_{ij} \quad \forall g \in W,\ i \in g,\ j                             && (M6)

    \sum_j s_j \le S^* + \tfrac12,\ \sum_j y_j \le N^* + \tfrac12,\
    \sum_{g, j} h_{gj} \ge K^* - \tfrac12,\ \text{kept} \ge \text{kept}^* - \tfrac12,\
    (E1) \le T^* (1 + F)                                                              && (M7)

For a plan (x, y), the most (M1)'s kept under (M2)-(M5) is the maximum-weight matching of its
groups to the open reference groups, each pair weighted by what it keeps together (at a
matching's 0/1 point z, :math:`k_{ij} = x_{ij} z_{j g(i)}`): the least moves of the plan, by
DESIGN's definition (:func:`.groups.plan_moves`); (M3b) holds for every plan and matching (no
group holds more than the ceiling) and tightens the relaxation where a reference group is
larger than a group may be (most PCNs). Measured on Shropshire, Telford and Wrekin's part of 49
practices from today's PCNs (60 s, one thread; shortfall proven in 0.6 s): the moves stage's
bound after 18 s was 119,563 without (M3b), 164,112 with it and 165,514 with k whole, for
plans of 167,543; the travel stage's gap after 37 s 11.9% with k continuous, 4.8% whole.
By (M6), :math:`\sum_j h_{gj}` is 1 exactly when g's items all share a group. The stages minimise :math:`\sum_j s_j`, :math:`\sum_j y_j`,
(E1), :math:`-\sum h`, :math:`-\text{kept}` and (E1) in turn, each held by its row of (M7) in
the later ones (the shortfall's is (E9)): the whole-number values within half a unit, the
least travel within the travel slack. Each stage starts from the previous stage's plan. The
first, the least shortfall, is this model's on a small part; on a big one it is found as for a
part without a reference (the whole part's model with re-planning around the undersized groups:
this model alone, 51,094 variables for North East and North Cumbria's part, ended 30 s at
104,111 patients short against a bound of 18,753; the search proves 18,753), and that plan, its
travel lowered, starts the others.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import pulp

from mcp_geo.solvers._compact import (
    PRESOLVE_MAX_VARIABLES,
    build_compact,
    decode,
    model_size,
    objective_name,
)
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, Presolve, RunResult, run_mip
from mcp_geo.solvers._shortfall import SHORTFALL_SHARE, least_shortfall
from mcp_geo.solvers._shortfall_search import plan_shortfall, values_as_start
from mcp_geo.solvers._shortfall_travel import lower_travel
from mcp_geo.solvers._stages import count_words, least_count
from mcp_geo.solvers.certificate import (
    Certificate,
    ModelSize,
    Stage,
    Status,
    relative_gap,
    weakest,
    within_gap,
)
from mcp_geo.solvers.engine import PartResult
from mcp_geo.solvers.rules import SolveOptions

from ._rows import X, add_matching, add_wholes, start_values

log = logging.getLogger(__name__)

MODEL_FIRST_MAX_VARIABLES = PRESOLVE_MAX_VARIABLES  # this model first for its least shortfall
# up to this size, for a share of the part's time: where it proves its plan, that plan starts
# the later stages (Shropshire, Telford and Wrekin's part of 49 practices from its PCNs: proven
# in about a second; from the search's plan instead, the travel stage ended higher in 3
# of 4 runs of 20-60 s, by 19-22%, the moves the same)
MODEL_FIRST_SHARE = 0.25
START_TRAVEL_SHARE = 0.2  # of the part's time left after the shortfall stage: its plan's
# travel lowered, shortfall held (:func:`._shortfall_travel.lower_travel`), before the later
# stages start from it (North East and North Cumbria from its PCNs at 30 s, where those stages
# find little in their time: travel 11.3M -> 6.6M patient-km, moves 1.46M -> 1.16M)


@dataclass(frozen=True)
class Goal:
    """One stage: the expression it minimises, and how its value reads and is held.

    Attributes
    ----------
    name, words
        The stage's name and what it counts (its ``objective_name``).
    expr
        What the solver minimises.
    offset
        The stage's value is ``offset + expr`` (moves: all move weights less the kept).
    whole
        A whole number (solved exactly, its bound rounded up; held within half a unit);
        otherwise travel (solved within the options' gap).
    slack
        A travel stage held within this fraction of its value (the least travel's F); None:
        not held (the last stage).
    """

    name: str
    words: str
    expr: pulp.LpAffineExpression
    offset: float = 0.0
    whole: bool = True
    slack: float | None = None


def _goals(
    inst: Instance, part: Part, prob: pulp.LpProblem, *, y: dict[int, pulp.LpVariable], x: X
) -> list[Goal]:
    """The part's stages in DESIGN's order (the shortfall's expression is the model's)."""
    ref = inst.reference
    assert ref is not None
    travel = pulp.LpAffineExpression(
        [(v, float(inst.cost[part.items[i], part.items[j]])) for (i, j), v in x.items()]
    )
    goals = [Goal("shortfall", f"patients below the {inst.group} floor", prob.objective)]
    if inst.count == "fewest":
        count = pulp.LpAffineExpression([(v, 1.0) for v in y.values()])
        goals.append(Goal(inst.level, count_words(inst), count))
    if ref.travel_slack is not None:
        goals.append(
            Goal("least_travel", objective_name(inst), travel, whole=False, slack=ref.travel_slack)
        )
    if ref.whole:
        held, most = add_wholes(prob, inst, part, y=y, x=x)
        goals.append(Goal("split", "reference groups split", -held, offset=float(most)))
    kept, total = add_matching(prob, inst, part, y=y, x=x)
    unit = "patients" if ref.minimise == "patients" else "practices"
    words = f"{unit} moved out of their reference group"
    goals.append(Goal("moves", words, -kept, offset=float(total)))
    goals.append(Goal("travel", objective_name(inst), travel, whole=False))
    return goals


def _value(expr: pulp.LpAffineExpression, values: dict[str, float]) -> float:
    return float(sum(c * values.get(v.name, 0.0) for v, c in expr.items()))


def _hold(prob: pulp.LpProblem, goal: Goal, value: float) -> None:
    """(M7) (or (E9)): the stage's value held in the later stages."""
    name = "shortfall_cap[E9]" if goal.name == "shortfall" else f"held[M7,{goal.name}]"
    if goal.whole:
        cap = value + 0.5  # whole numbers: exact
    else:
        assert goal.slack is not None
        cap = value * (1.0 + goal.slack) + 1e-9 * abs(value)
    prob += pulp.LpConstraint(goal.expr, pulp.LpConstraintLE, name, cap)


def _stage(goal: Goal, *, value: float, bound: float | None, options: SolveOptions) -> Stage:
    """The stage's certificate: its value against the solver's bound (whole: rounded up)."""
    if bound is not None:
        bound = min(value, math.ceil(bound - 1e-6) if goal.whole else bound)
    objective = goal.offset + value
    full = None if bound is None else max(0.0, goal.offset + bound)  # (never below nothing)
    gap = relative_gap(objective, full)
    ok = within_gap(gap, 0.0 if goal.whole else options.gap) or (goal.whole and value == bound)
    return Stage(goal.name, objective, full, gap, "optimal" if ok else "feasible", goal.words)


def solve_shortfall_reference(
    inst: Instance, part: Part, *, options: SolveOptions, deadline: Deadline
) -> PartResult:
    """The least-exception plan of a part with a reference: least shortfall, then (with
    ``fewest``) fewest groups, (with a travel slack) least travel, (with ``whole``) fewest
    groups split, fewest moves, least travel.

    The shortfall stage is this module's model where it is small and proves its plan, else the
    one a part without a reference has (:func:`mcp_geo.solvers._shortfall.least_shortfall`:
    the whole part's model and the re-planning of neighbourhoods around its undersized groups)
    (see :func:`_least`); the later stages are this module's model with that shortfall held,
    starting from that stage's plan.

    Parameters
    ----------
    inst, part
        The instance (with its reference) and the part (its rules cannot all be met).
    options
        Solver, gap (of the travel stages) and threads.
    deadline
        The part's wall-clock budget, shared by the stages (what one leaves passes on).

    Returns
    -------
    PartResult
        The plan and its certificate with the stages in DESIGN's order (engine ``compact``);
        no plan (``no_solution``, or ``infeasible`` where the solver proved it) when the
        shortfall stage found none. A later stage that finds nothing better in its time keeps
        the plan it started from (its value, and its bound where the solver has one).
    """
    t0 = time.perf_counter()
    prob, y, x = build_compact(inst, part, shortfall="min")
    shortfall, *goals = _goals(inst, part, prob, y=y, x=x)
    size = model_size(prob)
    found = _least(
        inst,
        part,
        prob=prob,
        goal=shortfall,
        y=y,
        x=x,
        model_first=size.variables <= MODEL_FIRST_MAX_VARIABLES,
        options=options,
        deadline=deadline,
    )
    if isinstance(found, RunResult):
        return _no_plan(inst, found)
    least, values, first = found
    stages = [least]
    assert least.objective is not None
    _hold(prob, shortfall, least.objective)
    weights = [1.0 if g.whole else 2.0 for g in goals]  # the travel stages are the hardest
    # HiGHS's presolve does not watch the clock (North East and North Cumbria's part from its
    # PCNs, 51,094 variables: 12-15 s of presolve against a 3 s limit)
    presolve: Presolve = "on" if size.variables <= PRESOLVE_MAX_VARIABLES else "off"
    runs = [first]
    for k, goal in enumerate(goals):
        prob.setObjective(goal.expr)
        values_as_start(prob, values)
        share = weights[k] / sum(weights[k:])
        run = run_mip(
            prob,
            options=replace(options, gap=0.0) if goal.whole else options,
            time_limit=0.95 * share * deadline.remaining(),
            warm=True,
            presolve=presolve,
        )
        runs.append(run)
        log.info("%s: stage %s: %s in %.1fs", inst.level, goal.name, run.status, run.seconds)
        planned = run.status in ("optimal", "feasible")
        if planned and _value(goal.expr, run.values) <= _value(goal.expr, values):
            values = run.values  # (else the start stays: a solver that could not take it)
        value = _value(goal.expr, values)
        value = float(round(value)) if goal.whole else value
        bound = run.bound if run.status != "infeasible" else None
        stages.append(_stage(goal, value=value, bound=bound, options=options))
        if goal.name == inst.level:  # fewest: no fewer groups than the patients allow
            stages[-1] = _counted(stages[-1], least=least_count(inst, part)[0])
        if k < len(goals) - 1:
            _hold(prob, goal, value)
    base_of = decode(part, y=y, x=x, values=values)
    log.info(
        "least-exception part from its reference: %s in %.1fs",
        ", ".join(f"{s.name} {s.objective:,.0f}" for s in stages if s.objective is not None),
        time.perf_counter() - t0,
    )
    return PartResult(base_of=base_of, certificate=_certificate(stages, runs, size=size))


def _least(
    inst: Instance,
    part: Part,
    *,
    prob: pulp.LpProblem,
    goal: Goal,
    y: dict[int, pulp.LpVariable],
    x: X,
    model_first: bool,
    options: SolveOptions,
    deadline: Deadline,
) -> tuple[Stage, dict[str, float], RunResult] | RunResult:
    """The shortfall stage: its certificate, the values that start the later stages, and its
    last run; or that run alone when no plan was found.

    With ``model_first`` (a model of at most MODEL_FIRST_MAX_VARIABLES) the model is solved
    first, as it always was: when it proves its plan, that plan starts the later stages.
    Otherwise (a bigger model, or no proof in its share) the stage is a part's without a
    reference (:func:`mcp_geo.solvers._shortfall.least_shortfall`), and its plan, its travel
    lowered (START_TRAVEL_SHARE), starts them.
    """
    if model_first:
        limit = 0.95 * MODEL_FIRST_SHARE * deadline.remaining()
        run = run_mip(prob, options=replace(options, gap=0.0), time_limit=limit)
        if run.status == "optimal":
            value = float(round(_value(goal.expr, run.values)))
            return _stage(goal, value=value, bound=run.bound, options=options), run.values, run
    until = time.perf_counter() + SHORTFALL_SHARE * deadline.remaining()
    start, bound, run, _ = least_shortfall(inst, part, options=options, until=until)
    if start is None:
        return run
    least = plan_shortfall(inst, part, start)
    until = time.perf_counter() + START_TRAVEL_SHARE * deadline.remaining()
    start = lower_travel(inst, part, start, solve_groups=None, options=options, until=until)
    stage = _stage(goal, value=least, bound=bound, options=options)
    return stage, start_values(inst, part, start, y=y, x=x), run


def _counted(stage: Stage, *, least: int) -> Stage:
    """The count stage with the bound the patients give (a whole number: proven when met)."""
    assert stage.objective is not None
    bound = max(float(least), stage.bound if stage.bound is not None else 0.0)
    bound = min(bound, stage.objective)
    status: Status = "optimal" if stage.objective <= bound else "feasible"
    return replace(stage, bound=bound, gap=relative_gap(stage.objective, bound), status=status)


def _no_plan(inst: Instance, run: RunResult) -> PartResult:
    cert = Certificate(
        engine="compact",
        solver=run.solver,
        solver_version=run.version,
        status="infeasible" if run.status == "infeasible" else "no_solution",
        objective=None,
        objective_name=objective_name(inst),
        bound=None,
        gap=None,
        seconds=run.seconds,
        ended_by=run.ended_by,
    )
    return PartResult(base_of=None, certificate=cert)


def _certificate(stages: list[Stage], runs: list[RunResult], *, size: ModelSize) -> Certificate:
    """The part's certificate: the travel stage's numbers, the weakest stage's status."""
    last = stages[-1]
    ended = next((r.ended_by for r in runs if r.ended_by != "proof"), "proof")
    return Certificate(
        engine="compact",
        solver=runs[-1].solver,
        solver_version=runs[-1].version,
        status=weakest([s.status for s in stages]),
        objective=last.objective,
        objective_name=last.objective_name,
        bound=last.bound,
        gap=last.gap,
        seconds=float(sum(r.seconds for r in runs)),
        ended_by="proof" if all(s.status == "optimal" for s in stages) else ended,
        model_size=size,
        stages=tuple(stages),
    )
