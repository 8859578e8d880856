"""What one Dask task of a national run does: plan one footprint and write it as a part.

A task is a plain function of picklable values (:class:`FootprintJob`, the footprint's
:class:`~mcp_geo.scenario.Scenario`, the data folder and the part folder), so any Dask worker can
run it. Each worker process reads the practice data and the official areas once (cached per
process) and keeps them for every footprint it is given. A footprint that cannot be planned
(infeasible rules, no plan in time, bad data) comes back as a ``failed`` result with its reason;
it never raises, so one footprint cannot stop the others.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp_geo._errors import InfeasibleError, Level, McpGeoError, NoPlanError
from mcp_geo.national._process import tune_malloc
from mcp_geo.pipeline.footprint import plan_from_data
from mcp_geo.plans.write import write_plan
from mcp_geo.practices import PracticeData, open_areas, open_data
from mcp_geo.practices.outlines import OfficialAreas
from mcp_geo.scenario import Scenario

log = logging.getLogger(__name__)

PARTS = ".parts"
"""The folder inside a national run's ``out`` holding each footprint's written plan."""

Status = Literal["solved", "failed"]
Failure = Literal["infeasible", "no_solution", "error"]
"""Why a footprint failed: rules proven impossible, no plan within the time limit, or an error."""


@dataclass(frozen=True)
class FootprintJob:
    """One footprint of a national partition, as the caller resolved it.

    Attributes
    ----------
    code
        The organisation's ODS code (``QOC``, ``05G``): the prefix of its hub and MCP ids.
    spec
        The footprint in the footprint syntax (``icb:QOC``).
    name
        The organisation's name.
    practices, patients
        Its kept practices and their registered patients (practices order the work: the
        biggest footprints are scheduled first).
    fingerprint
        :func:`mcp_geo.pipeline.footprint.fingerprint` of its practices, scenario and travel measure; a part
        written with the same fingerprint is reused on a re-run.
    folder
        Where the plan is written, relative to the run's folder of parts (a sweep's
        ``cells/3``); empty for a national part, named by its code and fingerprint.
    """

    code: str
    spec: str
    name: str
    practices: int
    patients: int
    fingerprint: str
    folder: str = ""

    @property
    def part_name(self) -> str:
        """The folder of this job's plan: ``folder``, or for a national part
        ``<code>-<first 16 hex of fingerprint>``."""
        return self.folder or f"{self.code}-{self.fingerprint[:16]}"


@dataclass(frozen=True)
class FootprintResult:
    """How one footprint of a national run ended.

    ``certificates`` and ``timings`` are in their report.json form; ``part`` is the folder of the
    written plan (None when the footprint failed); ``resumed`` says the part was found from an
    earlier run with the same fingerprint and not solved again; ``workers_lost`` counts the workers
    that died while they held the task (running it, or holding it next in line), each time
    followed by a fresh start elsewhere: the run, not the plan, says so.
    """

    job: FootprintJob
    status: Status
    reason: str | None = None
    certificates: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    part: Path | None = None
    resumed: bool = False
    worker: str = ""
    failure: Failure | None = None
    workers_lost: int = 0

    def __post_init__(self) -> None:
        if self.status not in ("solved", "failed"):
            raise ValueError(f"status must be 'solved' or 'failed' (got {self.status!r})")
        if (self.status == "failed") == (self.reason is None):
            raise ValueError("a failed footprint needs a reason, and only a failed one")
        if (self.status == "failed") == (self.failure is None):
            raise ValueError("a failed footprint needs a failure kind, and only a failed one")

    @property
    def code(self) -> str:
        """The footprint's code (``job.code``)."""
        return self.job.code

    def report(self) -> dict[str, Any]:
        """The footprint's entry of report.json's ``footprints``."""
        return {
            "name": self.job.name,
            "footprint": self.job.spec,
            "status": self.status,
            "reason": self.reason,
            "failure": self.failure,
            "practices": self.job.practices,
            "patients": self.job.patients,
            "certificates": self.certificates,
            "timings": self.timings,
        }


Progress = Callable[[FootprintResult, int, int], None]
"""Called as each task of a run ends (a national run's footprint, a sweep's cell): its result,
tasks done, tasks in all."""


@functools.lru_cache(maxsize=2)
def _data(data_dir: str | None, snapshot: str) -> PracticeData:
    """The snapshot's practice data, read once per worker process."""
    log.info("worker %d reads the %s data", os.getpid(), snapshot)
    return open_data(data_dir, snapshot=snapshot)


@functools.lru_cache(maxsize=2)
def _areas(data_dir: str | None) -> OfficialAreas:
    """The official areas, read once per worker process."""
    return open_areas(data_dir)


def solve_footprint(
    job: FootprintJob, *, scenario: Scenario, data_dir: str | None, parts: Path
) -> FootprintResult:
    """Plan ``job``'s footprint with ``scenario`` and write it to ``parts / job.part_name``.

    The plan is made by :func:`mcp_geo.pipeline.footprint.plan_from_data`, the path of a single
    run; this task adds the data kept per worker, the fingerprint check and the written part.

    Parameters
    ----------
    job
        The footprint.
    scenario
        Its scenario (its ``footprint`` is ``job.spec``).
    data_dir
        The folder of official files; None for the snapshot shipped with the package.
    parts
        The folder of the national run's parts.

    Returns
    -------
    FootprintResult
        ``solved`` with the written part, or ``failed`` with the reason, the kind of failure
        (from the type of the error) and, for a proof or a time-out, the certificate of the
        level that failed (from the error's ``level``). Never raises for a footprint that
        cannot be planned.
    """
    worker = f"pid {os.getpid()}"
    started = time.perf_counter()
    tune_malloc()  # whatever the worker's environment (a user's `dask worker`: see _process)
    try:
        data = _data(data_dir, scenario.snapshot)
        opened = time.perf_counter() - started
        plan = plan_from_data(data, scenario=scenario, areas=functools.partial(_areas, data_dir))
        if scenario.travel != "road":  # road travel leaves out practices the caller counted
            _check_fingerprint(job, plan.fingerprint)
        part = write_plan(plan, parts / job.part_name)
    except InfeasibleError as exc:
        return _failed(job, reason=str(exc), kind="infeasible", level=exc.level, started=started)
    except NoPlanError as exc:
        return _failed(job, reason=str(exc), kind="no_solution", level=exc.level, started=started)
    except McpGeoError as exc:  # its message is written for people: no class name
        return _failed(job, reason=str(exc), kind="error", started=started)
    except Exception as exc:  # bad data or a crash in one footprint must not stop the others
        log.debug("%s failed:\n%s", job.code, traceback.format_exc())
        return _failed(job, reason=f"{type(exc).__name__}: {exc}", kind="error", started=started)
    timings = plan.timings.to_dict()
    timings["load"] = round(plan.timings.load + opened, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    return FootprintResult(
        job=job,
        status="solved",
        certificates=plan.certificates.to_dict(),
        timings=timings,
        part=part,
        worker=worker,
    )


def _check_fingerprint(job: FootprintJob, fingerprint: str) -> None:
    """Warn when the worker planned other practices than the caller keyed the part by."""
    if fingerprint != job.fingerprint:
        log.warning(
            "%s: the plan's fingerprint %s differs from the one the run keys its part by "
            "(%s): the caller and the worker read different practices",
            job.code,
            fingerprint[:16],
            job.fingerprint[:16],
        )


def _failed(
    job: FootprintJob,
    *,
    reason: str,
    kind: Failure,
    started: float,
    level: Level | None = None,
) -> FootprintResult:
    """The failed result of ``job``: ``kind`` and ``level`` come from the error's type and data."""
    log.warning("%s (%s) failed: %s", job.code, job.name, reason)
    certificates = None
    if kind in ("infeasible", "no_solution"):
        # what the solver (or the pre-checks) found, as the certificate of the level that failed
        # (a proof about the whole footprint, with no level, is the hubs' certificate)
        proof = {
            "status": kind,
            "ended_by": "proof" if kind == "infeasible" else "time_limit",
            "objective": None,
            "bound": None,
            "gap": None,
            "diagnosis": reason,
        }
        certificates = {"hubs": None, "mcps": None} | {level or "hubs": proof}
    return FootprintResult(
        job=job,
        status="failed",
        reason=reason,
        failure=kind,
        certificates=certificates,
        timings={"total": round(time.perf_counter() - started, 3)},
        worker=f"pid {os.getpid()}",
    )


def jobs_to_solve(
    jobs: Sequence[FootprintJob],
    *,
    parts: Path,
    resume: bool,
    finished: Callable[[FootprintResult], None],
) -> list[FootprintJob]:
    """The jobs to solve; each one an earlier run wrote (when resuming) is ``finished`` now.

    A part is reused when it is a complete plan folder; a job with a ``folder`` of its own (not
    named by its fingerprint) also needs the fingerprint in its report.json to be the job's.

    Parameters
    ----------
    jobs
        Every job of the run.
    parts
        The folder the parts are written in.
    resume
        Reuse the parts an earlier run wrote (False: solve every job).
    finished
        Called with the result of each job reused.

    Returns
    -------
    list of FootprintJob
        The jobs to solve, in ``jobs``' order.
    """
    todo = []
    for job in jobs:
        part = parts / job.part_name
        reused = reusable_part(part) if resume else None
        if reused is not None and job.folder and reused.get("fingerprint") != job.fingerprint:
            reused = None
        if reused is not None:
            finished(resumed_result(job, part, reused))
        else:
            todo.append(job)
    return todo


def reusable_part(part: Path) -> dict[str, Any] | None:
    """The report of a complete part folder, or None.

    Parameters
    ----------
    part
        A folder a task writes.

    Returns
    -------
    dict or None
        Its report.json, when it is a complete plan folder.
    """
    import json

    from mcp_geo.plans.read import is_plan_dir

    if not is_plan_dir(part):
        return None
    try:
        report: dict[str, Any] = json.loads((part / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def resumed_result(job: FootprintJob, part: Path, report: dict[str, Any]) -> FootprintResult:
    """The result of a job whose part an earlier run wrote.

    Parameters
    ----------
    job
        The job.
    part
        Its folder.
    report
        Its report.json.

    Returns
    -------
    FootprintResult
        Solved and resumed, with the part's certificates and timings.
    """
    log.info("%s: reusing %s", job.code, part)
    return FootprintResult(
        job=job,
        status="solved",
        certificates=report.get("certificates"),
        timings=report.get("timings", {}),
        part=part,
        resumed=True,
    )
