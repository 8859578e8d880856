"""Running a PuLP model on HiGHS or CBC and reading the solver's own status and bound.

PuLP labels a time-limited incumbent "Optimal"; here the status comes from the solver: HiGHS's
model status and ``info`` (``mip_dual_bound``, ``objective_function_value``,
``primal_solution_status``) read through the ``highspy`` object PuLP keeps, and CBC's own log
("Result - ...", "Objective value", "Lower bound").
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import pulp

from mcp_geo._errors import SolverError

from .rules import SolveOptions

log = logging.getLogger(__name__)

MIN_SOLVER_SECONDS = 0.02  # a run given less does not start (it would overrun)

Presolve = Literal["on", "root", "light", "off"]


class Deadline:
    """Wall-clock budget shared by every part and phase of one solve."""

    def __init__(self, seconds: float) -> None:
        self.start = time.perf_counter()
        self.seconds = seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed())

    def seconds_for(self, share: float, *, at_most: float = math.inf) -> float:
        """The seconds a step gets: ``share`` of the time left, at most ``at_most``."""
        return min(at_most, share * self.remaining())


@dataclass(frozen=True)
class RunResult:
    """What the solver said: status, objective, bound, what ended it, the variables' values."""

    status: str  # optimal / feasible / no_solution / infeasible
    objective: float | None
    bound: float | None
    ended_by: str
    values: dict[str, float]
    solver: str
    version: str
    seconds: float


_scheduler_threads: list[tuple[int, int]] = []


def threads_for(options: SolveOptions) -> int:
    """The thread count, with HiGHS's process-wide scheduler reset when it changes.

    HiGHS refuses to run ("model status Not Set") when ``threads`` differs from the count its
    global scheduler was started with; ``resetGlobalScheduler`` lets the next run start anew.
    """
    return highs_threads(options.threads or os.cpu_count() or 1)


def highs_threads(threads: int) -> int:
    """``threads``, with HiGHS's process-wide scheduler reset when it was started with another
    count (or from another thread): see :func:`threads_for`.

    Parameters
    ----------
    threads
        The thread count the next HiGHS runs of this thread will use.

    Returns
    -------
    int
        ``threads``.
    """
    # the scheduler is also bound to the thread that started it: a run from another thread (the
    # CLI solves in a worker thread) needs a reset too
    key = (threading.get_ident(), threads)
    if _scheduler_threads and _scheduler_threads[-1] != key:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads[:] = [key]
    return threads


@cache
def highs_version() -> str:
    from importlib.metadata import version

    return version("highspy")


_banner_spent = threading.Event()


def quiet_highs_banner() -> None:
    """Let HiGHS print its once-per-process banner to stderr, not stdout (``--json`` output)."""
    _spend_highs_banner(show=True)


def discard_solver_banners() -> None:
    """Print no solver banner in this process (the CLI's ``-q``).

    HiGHS prints its banner to stdout at the first model a process makes, whatever its options:
    here that first model is made with stdout and stderr sent to the null device. (CBC runs with
    its log in a file and prints nothing.) Call it before any solve; afterwards it does nothing.
    """
    _spend_highs_banner(show=False)


def _spend_highs_banner(*, show: bool) -> None:
    if _banner_spent.is_set():
        return
    import sys

    import highspy

    sys.stdout.flush()
    sys.stderr.flush()
    targets = (1,) if show else (1, 2)
    saved = {fd: os.dup(fd) for fd in targets}
    sink = None if show else os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in targets:
            os.dup2(2 if show else sink, fd)  # type: ignore[arg-type]
        highspy.Highs()  # type: ignore[no-untyped-call]
        _banner_spent.set()
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        if sink is not None:
            os.close(sink)


@cache
def _cbc_path() -> str:
    """CBC on the PATH, else the binary PuLP bundles (PULP_CBC_CMD is deprecated in PuLP 3)."""
    import shutil

    from pulp.apis import coin_api

    found = shutil.which("cbc")
    if found:
        return found
    path = os.path.normpath(coin_api.COIN_CMD.executableExtension(coin_api.pulp_cbc_path))
    if not os.path.exists(path):
        raise SolverError("CBC is not installed: put cbc on the PATH (or pip install pulp[cbc])")
    return str(path)


@cache
def cbc_version() -> str:
    return "CBC (PuLP bundled)"


class _WarmHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's highspy interface, handing the variables' initial values to HiGHS as a start."""

    def __init__(
        self,
        *,
        warm: bool,
        stop_at: float | None = None,
        stop_at_bound: float | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self._warm = warm
        self._stop_at = stop_at
        self._stop_at_bound = stop_at_bound

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if self._warm:
            import highspy

            variables = lp.variables()
            idx = [v.index for v in variables if v.varValue is not None]
            val = [float(v.varValue) for v in variables if v.varValue is not None]
            if idx:
                sol = highspy.HighsSolution()
                n = lp.solverModel.getNumCol()
                col = [0.0] * n
                for k, x in zip(idx, val, strict=True):
                    col[k] = x
                sol.col_value = col
                sol.value_valid = True
                lp.solverModel.setSolution(sol)
        if self._stop_at is not None:  # HiGHS's own limit is checked too rarely on big models
            import highspy

            stop_at = self._stop_at
            enough = math.inf if self._stop_at_bound is None else self._stop_at_bound
            mip = highspy.cb.HighsCallbackType.kCallbackMipInterrupt

            def interrupt(*callback: Any) -> None:
                # highspy's callback: (type, message, data out, data in, user data). A bound
                # of +inf is a proof that no solution exists: HiGHS ends on its own, and an
                # interrupt then would turn that proof into a time limit
                bound = callback[2].mip_dual_bound if callback[0] == mip else -math.inf
                if time.perf_counter() > stop_at or enough <= bound < math.inf:
                    callback[3].user_interrupt = True

            lp.solverModel.setCallback(interrupt, None)
            kinds = highspy.cb.HighsCallbackType
            for kind in (
                kinds.kCallbackMipInterrupt,
                kinds.kCallbackSimplexInterrupt,
                kinds.kCallbackIpmInterrupt,
            ):
                lp.solverModel.startCallback(kind)
        lp.solverModel.run()


def _status(*, has_solution: bool, objective: float | None, bound: float | None, gap: float) -> str:
    if not has_solution:
        return "no_solution"
    from .certificate import relative_gap, within_gap

    return "optimal" if within_gap(relative_gap(objective, bound), gap) else "feasible"


def run_mip(
    prob: pulp.LpProblem,
    *,
    options: SolveOptions,
    time_limit: float,
    warm: bool = False,
    presolve: Presolve = "on",
    stop_at_bound: float | None = None,
    cutoff: float | None = None,
) -> RunResult:
    """Solve ``prob`` with the chosen solver and report the solver's own findings.

    ``warm``: the variables' current values (``setInitialValue``) are a start for the solver.
    ``presolve`` (HiGHS): ``light`` leaves out the reductions that cost most (HiGHS's
    ``presolve_mode`` 2); ``root`` is the full presolve without restarts (HiGHS 1.16's presolve
    on a restart, in ``strengthenInequalities``, ignores the time limit: a listing's MIP of
    8,000 columns with a 23 s limit was still there after 110 s, in the national run). With
    any presolve but ``on``, the sub-MIPs of HiGHS's heuristics run without presolve: theirs
    ignores the time limit in the same place (central-sussex-east-surrey ``--hubs fewest`` at
    60 s: a listing's MIP stuck there for over 8 minutes, inside a RENS sub-MIP three levels
    deep).
    ``stop_at_bound`` (HiGHS): the solve ends (as by its time limit) once its bound reaches this
    value: a plan known outside the model, too big to hand it as a start, is then proven.
    ``cutoff``: only solutions costing less count (HiGHS's ``objective_bound``, CBC's
    ``cutoff``), so every branch whose bound reaches it is pruned at once; none found is
    reported ``infeasible``: no solution costs less than the cutoff.
    """
    t0 = time.perf_counter()
    if time_limit < MIN_SOLVER_SECONDS:  # no time left: do not start a solver that would overrun
        return _no_time(options)
    quiet_highs_banner()
    if options.solver == "highs":
        return _run_highs(
            prob,
            options=options,
            time_limit=time_limit,
            warm=warm,
            t0=t0,
            presolve=presolve,
            stop_at_bound=stop_at_bound,
            cutoff=cutoff,
        )
    return _run_cbc(prob, options=options, time_limit=time_limit, warm=warm, t0=t0, cutoff=cutoff)


def run_lp(prob: pulp.LpProblem, *, options: SolveOptions, time_limit: float) -> RunResult:
    """Solve the LP relaxation of ``prob`` (its integer variables continuous) with the chosen
    solver: status ``optimal`` with its value as objective and bound, ``infeasible``, or
    ``no_solution`` (not solved to the end within ``time_limit``). The variables keep the LP's
    values; their categories are not changed.

    Parameters
    ----------
    prob
        The model.
    options
        Solver and threads.
    time_limit
        Seconds.

    Returns
    -------
    RunResult
        The relaxation's value (``values`` left empty).
    """
    t0 = time.perf_counter()
    if time_limit < MIN_SOLVER_SECONDS:
        return _no_time(options)
    quiet_highs_banner()
    common = {"mip": False, "msg": False, "timeLimit": time_limit, "threads": threads_for(options)}
    if options.solver == "highs":
        import highspy

        prob.solve(pulp.HiGHS(**common))
        model_status = prob.solverModel.getModelStatus()
        optimal = model_status == highspy.HighsModelStatus.kOptimal
        infeasible = model_status == highspy.HighsModelStatus.kInfeasible
    else:
        prob.solve(pulp.COIN_CMD(path=_cbc_path(), keepFiles=False, **common))
        optimal = prob.status == pulp.LpStatusOptimal
        infeasible = prob.status == pulp.LpStatusInfeasible
    value = float(pulp.value(prob.objective) or 0.0) if optimal else None
    return RunResult(
        status="optimal" if optimal else ("infeasible" if infeasible else "no_solution"),
        objective=value,
        bound=value,
        ended_by="proof" if optimal or infeasible else "time_limit",
        values={},
        solver=options.solver,
        version=highs_version() if options.solver == "highs" else cbc_version(),
        seconds=time.perf_counter() - t0,
    )


def _no_time(options: SolveOptions, seconds: float = 0.0) -> RunResult:
    """The result of a run that had no time to start (or to finish its start)."""
    name = options.solver
    return RunResult(
        status="no_solution",
        objective=None,
        bound=None,
        ended_by="time_limit",
        values={},
        solver=name,
        version=highs_version() if name == "highs" else cbc_version(),
        seconds=seconds,
    )


def _values(prob: pulp.LpProblem) -> dict[str, float]:
    return {v.name: (v.varValue or 0.0) for v in prob.variables()}


def _highs_options(
    options: SolveOptions, *, time_limit: float, presolve: Presolve
) -> dict[str, Any]:
    """PuLP's HiGHS settings for a run: quiet, the gap, threads, limit, seed and presolve."""
    return {
        "msg": False,
        "gapRel": options.gap,
        "gapAbs": 1e-6,
        "threads": threads_for(options),
        "timeLimit": time_limit,
        "random_seed": options.seed,
        "mip_feasibility_tolerance": 1e-7,
        "presolve": "off" if presolve == "off" else "on",
        "presolve_mode": 2 if presolve == "light" else 0,
        "mip_allow_restart": presolve != "root",
        # the sub-MIPs of HiGHS's heuristics (RENS, RINS) presolve too, and that presolve does
        # not watch the clock either: wherever the presolve is held back, they run without it
        "mip_root_presolve_only": presolve != "on",
    }


def _run_highs(
    prob: pulp.LpProblem,
    *,
    options: SolveOptions,
    time_limit: float,
    warm: bool,
    t0: float,
    presolve: Presolve = "on",
    stop_at_bound: float | None = None,
    cutoff: float | None = None,
) -> RunResult:
    solver = _WarmHiGHS(
        warm=warm,
        stop_at=time.perf_counter() + time_limit,
        stop_at_bound=stop_at_bound,
        **_highs_options(options, time_limit=time_limit, presolve=presolve),
        **({} if cutoff is None else {"objective_bound": cutoff}),
    )
    try:
        prob.solve(solver)
    except pulp.PulpSolverError as exc:  # pragma: no cover - depends on the installation
        raise SolverError(f"HiGHS failed: {exc}") from exc
    h = prob.solverModel
    info = h.getInfo()
    has_solution = int(info.primal_solution_status) == 2
    objective = float(info.objective_function_value) if has_solution else None
    if warm and objective is not None and presolve != "off":
        recomputed = float(pulp.value(prob.objective) or 0.0)  # of the values PuLP read back
        if abs(recomputed - objective) > 1e-7 * max(1.0, abs(recomputed)):
            # HiGHS 1.16 can misvalue a start after presolve (measured on set partitioning:
            # 1,662,183 for a plan of 1,810,635) and prune with it: its bound and status are
            # then wrong. Again with the start and no presolve (the start stays valid).
            log.warning(
                "HiGHS valued its solution at %.6g, which costs %.6g: solving again without"
                " presolve",
                objective,
                recomputed,
            )
            left = time_limit - (time.perf_counter() - t0)
            return _run_highs(
                prob,
                options=options,
                time_limit=left,
                warm=True,
                t0=t0,
                presolve="off",
                stop_at_bound=stop_at_bound,
                cutoff=cutoff,
            )
    status, ended, objective, bound = _highs_outcome(
        h, objective, bound=float(info.mip_dual_bound), gap=options.gap, cutoff=cutoff
    )
    return RunResult(
        status=status,
        objective=objective,
        bound=bound,
        ended_by=ended,
        values=_values(prob) if has_solution else {},
        solver="highs",
        version=highs_version(),
        seconds=time.perf_counter() - t0,
    )


def _highs_outcome(
    h: Any, objective: float | None, *, bound: float, gap: float, cutoff: float | None
) -> tuple[str, str, float | None, float | None]:
    """A HiGHS run's status, what ended it, its objective and its bound (``bound``: HiGHS's)."""
    import highspy

    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        return "infeasible", "proof", None, None
    ended = _highs_ended(h, h.getModelStatus())
    best: float | None = bound if math.isfinite(bound) else None
    if ended == "proof" and best is None and objective is not None:
        best = objective
    if cutoff is not None and (objective is None or objective >= cutoff):
        # HiGHS may return a solution its heuristics found above the cutoff, and with a proof
        # call it optimal, its bound that solution's cost (measured: 15,706 "optimal" for a
        # least cost of 15,695, cutoff 15,694.5): the proof is that none costs less than the
        # cutoff, and the bound is the cutoff
        if ended == "proof" and objective is None:
            return "infeasible", "proof", None, None
        best = cutoff if ended == "proof" else (None if best is None else min(best, cutoff))
    status = _status(has_solution=objective is not None, objective=objective, bound=best, gap=gap)
    if best is not None and objective is not None:
        best = min(best, objective)
    return status, ended, objective, best


def _highs_ended(h: Any, ms: Any) -> str:
    """What ended a HiGHS solve that did not prove infeasibility (its model status ``ms``)."""
    import highspy

    MS = highspy.HighsModelStatus
    if ms == MS.kOptimal:
        return "proof"
    if ms in (MS.kTimeLimit, MS.kInterrupt):
        return "time_limit"
    if ms in (MS.kIterationLimit, MS.kSolutionLimit):
        return "work_limit"
    raise SolverError(f"HiGHS ended with model status {h.modelStatusToString(ms)!r}")


_NUM = r"(-?[0-9.eE+-]+|inf|-inf|nan)"


def _run_cbc(
    prob: pulp.LpProblem,
    *,
    options: SolveOptions,
    time_limit: float,
    warm: bool,
    t0: float,
    cutoff: float | None = None,
) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="mcp-geo-cbc-") as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        solver = pulp.COIN_CMD(
            path=_cbc_path(),
            msg=False,
            timeLimit=time_limit,
            gapRel=options.gap,
            threads=threads_for(options),
            logPath=log_path,
            warmStart=warm,
            keepFiles=False,
            options=[f"randomCbcSeed {options.seed + 1}"]
            + ([] if cutoff is None else [f"cutoff {cutoff!r}"]),
        )
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            if not warm:
                raise SolverError(f"CBC failed: {exc}") from exc
            # CBC 2.10.3 crashes (SIGSEGV, no output) when its time limit falls while it
            # reads a MIP start (measured: a 0.1 s limit on a columns engine's compact model
            # of 4,700 variables; 0.2 s was enough): the run goes on without the start
            left = time_limit - (time.perf_counter() - t0)
            log.warning("CBC stopped while reading its start (%.2fs); again without it", left)
            if left < MIN_SOLVER_SECONDS:
                return _no_time(options, time.perf_counter() - t0)
            return _run_cbc(
                prob, options=options, time_limit=left, warm=False, t0=t0, cutoff=cutoff
            )
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    status, ended, objective, bound = read_cbc_log(text, options=options, time_limit=time_limit)
    version = re.search(r"Version:\s*(\S+)", text)
    return RunResult(
        status=status,
        objective=objective,
        bound=bound,
        ended_by=ended,
        values=_values(prob) if status in ("optimal", "feasible") else {},
        solver="cbc",
        version=(version.group(1) if version else cbc_version()),
        seconds=time.perf_counter() - t0,
    )


def read_cbc_log(
    text: str, *, options: SolveOptions, time_limit: float
) -> tuple[str, str, float | None, float | None]:
    """Status, what ended the run, objective and bound from CBC's log."""
    result = re.search(r"Result - (.*)", text)
    verdict = result.group(1).strip() if result else ""
    obj_m = re.search(r"Objective value:\s*" + _NUM, text)
    low_m = re.search(r"Lower bound:\s*" + _NUM, text)
    wall_m = re.search(r"Wallclock seconds\):\s*" + _NUM, text)
    objective = float(obj_m.group(1)) if obj_m else None
    if objective is not None and (not math.isfinite(objective) or abs(objective) > 1e49):
        objective = None
    says_infeasible = "infeasible" in verdict.lower() or re.search(
        r"Problem (is|proven) infeasible|Pre-processing says infeasible", text
    )
    # CBC 2.10 says "Pre-processing says infeasible" when its time limit interrupts the cut
    # generators (measured: a feasible-or-not instance at 0.52 s of a 0.47 s limit): at the
    # limit, that is no proof
    cut_short = wall_m is not None and float(wall_m.group(1)) >= 0.9 * time_limit
    if says_infeasible and cut_short and not result:
        status, ended, objective, bound = "no_solution", "time_limit", None, None
    elif says_infeasible:
        status, ended, objective, bound = "infeasible", "proof", None, None
    else:
        has_solution = objective is not None and "No feasible solution" not in text
        if verdict.startswith("Optimal solution found"):
            ended = "proof"  # possibly "within gap tolerance": then CBC prints its bound
            bound = float(low_m.group(1)) if low_m else objective
        elif "time limit" in verdict.lower():
            ended = "time_limit"
            bound = float(low_m.group(1)) if low_m else None
        elif verdict:
            ended = "work_limit"
            bound = float(low_m.group(1)) if low_m else None
        else:
            raise SolverError("CBC gave no result line; its log:\n" + text[-2000:])
        if bound is not None and not math.isfinite(bound):
            bound = None
        if not has_solution:
            objective = None
        status = _status(
            has_solution=has_solution, objective=objective, bound=bound, gap=options.gap
        )
        if ended == "proof" and status == "feasible":  # CBC stopped on its own gap
            status = "optimal"
    if bound is not None and objective is not None:
        bound = min(bound, objective)
    return status, ended, objective, bound
