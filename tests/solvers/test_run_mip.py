"""What ended a MIP run: a proof that no solution exists is reported as such, a cutoff too;
CBC dying on its start runs again without it."""

from __future__ import annotations

import itertools
import subprocess

import pulp
import pytest
from pulp.apis import coin_api

from mcp_geo._errors import SolverError
from mcp_geo.solvers._run import run_lp, run_mip
from mcp_geo.solvers.rules import SolveOptions

# Ten weights (one odd) and a weight no subset makes: HiGHS's presolve does not see it, its
# tree proves it
WEIGHTS = (3_731, 2_788, 3_552, 3_822, 2_860, 2_082, 2_530, 3_976, 3_046, 2_994)
TARGET = 15_690
CBC = SolveOptions(threads=1, solver="cbc")


def _subset_of_weight() -> pulp.LpProblem:
    prob = pulp.LpProblem("subset", pulp.LpMinimize)
    x = [prob.add_variable(f"x{k}", 0, 1, cat=pulp.LpInteger) for k in range(len(WEIGHTS))]
    prob += pulp.lpSum(x)
    prob += pulp.lpSum(w * v for w, v in zip(WEIGHTS, x, strict=True)) == TARGET, "weight"
    return prob


def test_a_proof_of_no_solution_in_the_tree_is_infeasible_not_a_time_limit() -> None:
    """HiGHS's bound becomes +inf when its tree proves that no solution exists; the run's
    interrupt (its own clock, or a bound to stop at, here above any solution) must not stop it
    there and turn the proof into a time limit (it did: ``no_solution``, ``time_limit`` after
    0.02 s)."""
    sums = {sum(c) for r in range(len(WEIGHTS) + 1) for c in itertools.combinations(WEIGHTS, r)}
    assert TARGET not in sums  # no solution, by enumeration
    run = run_mip(_subset_of_weight(), options=SolveOptions(threads=1), time_limit=30)
    assert (run.status, run.ended_by) == ("infeasible", "proof")
    assert run.seconds < 30
    stopping = run_mip(
        _subset_of_weight(), options=SolveOptions(threads=1), time_limit=30, stop_at_bound=11.0
    )
    assert (stopping.status, stopping.ended_by) == ("infeasible", "proof")


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_cutoff_counts_only_solutions_that_cost_less(solver: str) -> None:
    """With a cutoff (HiGHS's ``objective_bound``) the least weight of at least TARGET, found by
    enumeration, comes out when it costs less than the cutoff; when it does not, the run proves
    that no solution costs less: ``infeasible``, or a solution above the cutoff that HiGHS's
    heuristics found, with the cutoff as its bound (HiGHS itself calls such a solution optimal,
    its cost the bound: 15,706 for a least weight of 15,695). CBC's cutoff says ``infeasible``."""
    sums = {sum(c) for r in range(len(WEIGHTS) + 1) for c in itertools.combinations(WEIGHTS, r)}
    least = min(w for w in sums if w >= TARGET)
    options = SolveOptions(threads=1, gap=0.0, solver=solver)

    def run(cutoff: float) -> tuple[str, str, float | None, float | None]:
        prob = pulp.LpProblem("least_weight", pulp.LpMinimize)
        x = [prob.add_variable(f"x{k}", 0, 1, cat=pulp.LpInteger) for k in range(len(WEIGHTS))]
        weight = pulp.lpSum(w * v for w, v in zip(WEIGHTS, x, strict=True))
        prob += weight
        prob += weight >= TARGET, "weight"
        r = run_mip(prob, options=options, time_limit=30, cutoff=cutoff)
        return r.status, r.ended_by, r.objective, r.bound

    assert run(least + 0.5) == ("optimal", "proof", pytest.approx(least), pytest.approx(least))
    for below in (0.5, 5.0, 20.0):  # 20: below the LP bound (15,690)
        status, ended_by, objective, bound = run(least - below)
        assert ended_by == "proof"
        if objective is None:
            assert (status, bound) == ("infeasible", None)
        else:
            assert (status, bound) == ("feasible", least - below)
            assert objective >= least  # a plan above the cutoff, never below the least


def _knapsack() -> pulp.LpProblem:
    """Most weight up to 20,000 from the ten weights (3,822 + 3,976 + 3,731 + 3,552 + 2,860 +
    2,082 = 20,023 is over; the optimum is below)."""
    prob = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [prob.add_variable(f"x{k}", 0, 1, cat=pulp.LpInteger) for k in range(len(WEIGHTS))]
    prob += pulp.lpSum(w * v for w, v in zip(WEIGHTS, x, strict=True))
    prob += pulp.lpSum(w * v for w, v in zip(WEIGHTS, x, strict=True)) <= 20_000, "room"
    for v in x:
        v.setInitialValue(0)  # a start: nothing taken
    return prob


def _crashing_cbc(monkeypatch: pytest.MonkeyPatch, *, on_a_start_only: bool) -> None:
    """CBC 2.10.3 dies (SIGSEGV, no output) when its time limit falls while it reads a MIP start
    (a 0.1 s limit on a compact model of 4,700 variables): runs die so here (those given a
    start, or every run)."""
    popen = subprocess.Popen

    def crashing(args: list[str], **kw: object) -> subprocess.Popen[bytes]:
        if "-mips" in args or not on_a_start_only:
            args = ["sh", "-c", "kill -SEGV $$"]
        return popen(args, **kw)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(coin_api.subprocess, "Popen", crashing)


def test_cbc_dying_on_its_start_runs_again_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _crashing_cbc(monkeypatch, on_a_start_only=True)
    run = run_mip(_knapsack(), options=CBC, time_limit=30, warm=True)
    sums = {sum(c) for r in range(len(WEIGHTS) + 1) for c in itertools.combinations(WEIGHTS, r)}
    assert run.status == "optimal"
    assert run.objective == pytest.approx(max(s for s in sums if s <= 20_000))


def test_cbc_dying_without_a_start_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _crashing_cbc(monkeypatch, on_a_start_only=False)
    for warm in (False, True):
        with pytest.raises(SolverError, match="CBC failed"):
            run_mip(_knapsack(), options=CBC, time_limit=30, warm=warm)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_lp_relaxation_is_solved_and_the_model_left_a_mip(solver: str) -> None:
    """min -x - y with 2x + 2y <= 3, x and y binary: the relaxation's value is -1.5, the MIP's
    -1; the variables stay integer. With x + y >= 3 the relaxation is infeasible."""
    options = SolveOptions(threads=1, solver=solver)  # type: ignore[arg-type]
    prob = pulp.LpProblem("half", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 1, cat=pulp.LpInteger)
    y = prob.add_variable("y", 0, 1, cat=pulp.LpInteger)
    prob += -x - y
    prob += 2 * x + 2 * y <= 3, "room"
    relaxed = run_lp(prob, options=options, time_limit=30)
    assert (relaxed.status, relaxed.ended_by) == ("optimal", "proof")
    assert relaxed.objective == pytest.approx(-1.5)
    assert relaxed.bound == pytest.approx(-1.5)
    assert relaxed.solver == solver
    assert x.cat == y.cat == pulp.LpInteger
    assert run_mip(prob, options=options, time_limit=30).objective == pytest.approx(-1.0)

    prob += x + y >= 3, "too_much"
    assert run_lp(prob, options=options, time_limit=30).status == "infeasible"
