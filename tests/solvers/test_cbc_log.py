"""Reading CBC's log: what CBC 2.10 prints when its time limit cuts pre-processing short."""

from __future__ import annotations

from mcp_geo.solvers._run import read_cbc_log
from mcp_geo.solvers.rules import SolveOptions

# the end of a real log (tests/solvers/test_contract.py's no-solution instance, 0.47 s limit)
CUT_SHORT = """\
seconds was changed from 1e+100 to 0.473389
Continuous objective value is 1.79477e+06 - 0.46 seconds
Cgl0000I Cut generators found to be infeasible! (or unbounded)
Pre-processing says infeasible or unbounded
Option for printingOptions changed from normal to all
Total time (CPU seconds):       0.50   (Wallclock seconds):       0.52
"""


def test_infeasibility_said_at_the_time_limit_is_no_proof() -> None:
    options = SolveOptions(solver="cbc")
    assert read_cbc_log(CUT_SHORT, options=options, time_limit=0.473389) == (
        "no_solution",
        "time_limit",
        None,
        None,
    )


def test_infeasibility_said_well_within_the_limit_is_a_proof() -> None:
    options = SolveOptions(solver="cbc")
    assert read_cbc_log(CUT_SHORT, options=options, time_limit=10.0) == (
        "infeasible",
        "proof",
        None,
        None,
    )
    proven = "Result - Problem proven infeasible\n" + CUT_SHORT
    assert read_cbc_log(proven, options=options, time_limit=0.473389)[0] == "infeasible"
