"""What ended a MIP run: a proof that no solution exists is reported as such."""

from __future__ import annotations

import itertools

import pulp

from mcp_geo.solvers._run import run_mip
from mcp_geo.solvers.rules import SolveOptions

# Ten weights (one odd) and a weight no subset makes: HiGHS's presolve does not see it, its
# tree proves it
WEIGHTS = (3_731, 2_788, 3_552, 3_822, 2_860, 2_082, 2_530, 3_976, 3_046, 2_994)
TARGET = 15_690


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
