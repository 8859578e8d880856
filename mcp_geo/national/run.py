"""All England: every footprint of a partition solved as its own task on Dask, merged into one plan.

:func:`plan_england` splits the snapshot's practices by ICB or Sub-ICB (STP or CCG on the 2021
snapshot), solves each footprint as one task on Dask distributed (a ``LocalCluster`` of
``workers`` processes with one thread each by default, or the cluster at ``scheduler``), biggest
footprints first, and writes one national plan to ``out`` with the same files as ``mcp-geo plan``
(DESIGN.md "Outputs", national form): hub and MCP ids are prefixed by the footprint's code, and
report.json's ``footprints`` gives each footprint's status, reason, certificates and timings.

Each footprint's own plan is written, atomically, to ``out/.parts/<code>-<fingerprint>/`` as soon
as it is solved. A re-run with the same inputs and options finds those parts and does not solve
them again, so an interrupted or partly failed run resumes where it stopped. A footprint that fails
(infeasible rules, no plan in time, bad data, a lost worker) is reported with its reason and does
not stop the others; its practices are listed in exclusions.csv.

The workers write the parts themselves, so with ``scheduler`` every worker must see ``out`` on a
shared filesystem.

Examples
--------
>>> from mcp_geo.scenario import Scenario
>>> national = plan_england(Scenario.from_options("england", {"gap": 0.005}), by="icb", out="plans/england")
... # doctest: +SKIP
>>> national.report()["national"]  # doctest: +SKIP
{'footprints': 42, 'solved': 41, 'failed': 1, ...}
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.national._tasks import (
    PARTS,
    FootprintJob,
    FootprintResult,
    Progress,
    jobs_to_solve,
    solve_footprint,
)
from mcp_geo.scenario import Scenario

log = logging.getLogger(__name__)

PARTITIONS: dict[str, dict[str, tuple[str, str]]] = {
    "sub-icb": {
        "icb": ("icb", "icb"),
        "icb-2026": ("icb_2026", "icb-2026"),
        "sub-icb": ("sub_icb", "sub-icb"),
    },
    "ccg": {"stp": ("icb", "stp"), "ccg": ("sub_icb", "ccg")},
}
"""Per snapshot era: partition (``by``) -> (practice column level, footprint syntax prefix)."""

OPTIONS_CONTEXT = "plan_england"
"""The context of the ValidationError :func:`plan_england` raises for its own options (the CLI
names the command instead)."""


@dataclass(frozen=True, eq=False)
class NationalPlan:
    """The result of a national run.

    Attributes
    ----------
    plan
        The merged national plan (as written to ``out``); None when no footprint was solved.
    by
        The partition (``icb``, ``sub-icb``, ``stp`` or ``ccg``).
    footprints
        Every footprint's result, sorted by code.
    out
        The folder written.
    workers
        Dask workers the run used.
    seconds
        Wall time of the whole run, including reading the data and writing the files.
    solve_seconds
        Wall time of the Dask part: starting the cluster and solving every footprint not resumed.
    """

    plan: Any  # mcp_geo.plans.plan.Plan | None (imported lazily)
    by: str
    footprints: tuple[FootprintResult, ...]
    out: Path
    workers: int
    seconds: float
    solve_seconds: float = 0.0

    @property
    def solved(self) -> tuple[FootprintResult, ...]:
        """The footprints solved (now or by an earlier run)."""
        return tuple(r for r in self.footprints if r.status == "solved")

    @property
    def failed(self) -> tuple[FootprintResult, ...]:
        """The footprints that failed."""
        return tuple(r for r in self.footprints if r.status == "failed")

    @property
    def resumed(self) -> tuple[FootprintResult, ...]:
        """The footprints whose parts an earlier run had written."""
        return tuple(r for r in self.footprints if r.resumed)

    def summary(self) -> list[str]:
        """Lines for people: counts, certificates per level, failures, where and how long."""
        lines = [
            f"{self.title}: {len(self.footprints)} footprints, {len(self.solved)} solved"
            + (f" ({len(self.resumed)} resumed)" if self.resumed else "")
            + f", {len(self.failed)} failed"
        ]
        if self.plan is not None:
            m = self.plan.metrics
            lines.append(f"{m.practices:,} practices planned, {m.patients:,} patients")
            levels = [("hubs", m.hubs, self.plan.certificates.hubs)]
            if m.mcps is not None and self.plan.certificates.mcps is not None:
                levels.append(("MCPs", m.mcps, self.plan.certificates.mcps))
            for label, level, cert in levels:
                key = "hubs" if label == "hubs" else "mcps"
                counts: dict[str, int] = {}
                for r in self.solved:
                    status = ((r.certificates or {}).get(key) or {}).get("status", "none")
                    counts[status] = counts.get(status, 0) + 1
                per = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                lines.append(
                    f"{label}: {level.groups:,} ({level.sizes.min:,.0f}-{level.sizes.max:,.0f} "
                    f"patients); national certificate {cert.status}, gap "
                    f"{100 * (cert.gap or 0):.4f}%; footprints: {per}"
                )
            from mcp_geo.national._exceptions import exception_summary, shortfall_bounds

            bounds = {r.code: shortfall_bounds(r) for r in self.solved}
            lines += exception_summary(self.plan.exceptions, by=self.by, bounds=bounds)
            if self.plan.reference is not None:
                lines.append(self.plan.reference.line())
        for r in self.failed:
            lines.append(f"failed: {r.code} ({r.job.name}): {r.reason}")
        again = [f"{r.code} ({r.workers_lost})" for r in self.footprints if r.workers_lost]
        if again:
            lines.append(f"started again after the worker holding them died: {', '.join(again)}")
        lines.append(
            f"written to {self.out}/ ({self.seconds:.1f} s; solving {self.solve_seconds:.1f} s "
            f"on {self.workers} Dask worker{'s' if self.workers != 1 else ''})"
        )
        return lines

    @property
    def title(self) -> str:
        """The national plan's title."""
        return self.plan.footprint_title if self.plan is not None else f"England, by {self.by}"

    def report(self) -> dict[str, Any]:
        """The report.json content."""
        from mcp_geo.national._merge import national_report

        if self.plan is None:
            return {"footprints": {r.code: r.report() for r in self.footprints}}
        return national_report(self.plan, self.footprints, by=self.by)


def partition_jobs(
    data: Any, *, by: str, scenario: Scenario, codes: Sequence[str] | None = None
) -> tuple[list[FootprintJob], list[Problem]]:
    """The footprints of ``data`` (a PracticeData) split by ``by``, each with its fingerprint.

    Returns the jobs, biggest first (most practices: longest processing time first), and the
    problems found (an unknown partition for the snapshot's era, codes not in the data).

    Parameters
    ----------
    data
        The snapshot's practices (a PracticeData).
    by
        The partition: ``icb`` or ``sub-icb`` (2025-04), ``stp`` or ``ccg`` (2021-01).
    scenario
        The national scenario (each job's fingerprint is of its footprint's scenario).
    codes
        Only these footprints; None for all.

    Returns
    -------
    tuple of (list of FootprintJob, list of Problem)
        The jobs, biggest first, and the problems found.
    """
    from mcp_geo.boundaries.distances import great_circle_matrix
    from mcp_geo.pipeline._reference import fingerprint_groups
    from mcp_geo.pipeline.footprint import fingerprint

    era = data.snapshot.era
    problems: list[Problem] = []
    if by not in PARTITIONS[era]:
        names = tuple(PARTITIONS[era])
        allowed = f"{', '.join(names[:-1])} or {names[-1]}"
        problems.append(
            Problem(
                f"the {data.snapshot.name} snapshot's footprints are split by {allowed}",
                key="by",
                value=by,
            )
        )
        return [], problems
    level, prefix = PARTITIONS[era][by]
    practices = data.practices
    column, name_column = f"{level}_code", f"{level}_name"
    found = practices[column].dropna().astype(str)
    found = found[found != ""]
    wanted = sorted(found.unique()) if codes is None else [c.strip().upper() for c in codes]
    problems += [
        Problem(f"no practice of this snapshot has this {by} code", source="footprints", value=c)
        for c in wanted
        if c not in set(found)
    ]
    travel_source = great_circle_matrix(
        practices["practice_code"][:1], practices["latitude"][:1], practices["longitude"][:1]
    ).source
    jobs = []
    for code in wanted:
        if code not in set(found):
            continue
        rows = practices.loc[practices[column].astype("string") == code]
        rows = rows.sort_values("practice_code").reset_index(drop=True)
        spec = f"{prefix}:{code}"
        jobs.append(
            FootprintJob(
                code=code,
                spec=spec,
                name=str(rows[name_column].iloc[0]) if name_column in rows else code,
                practices=len(rows),
                patients=int(rows["patients"].sum()),
                fingerprint=fingerprint(
                    rows,
                    scenario=footprint_scenario(scenario, spec),
                    travel_source=travel_source,
                    reference=fingerprint_groups(rows, scenario=footprint_scenario(scenario, spec)),
                ),
            )
        )
    jobs.sort(key=lambda j: (-j.practices, -j.patients, j.code))
    return jobs, problems


def footprint_scenario(scenario: Scenario, spec: str) -> Scenario:
    """The scenario one footprint's task runs: its footprint, one solver thread unless set.

    Parameters
    ----------
    scenario
        The national scenario.
    spec
        The footprint, in the footprint syntax (``icb:QOC``).

    Returns
    -------
    Scenario
        The footprint's scenario.
    """
    return scenario.with_options({"footprint": spec, "threads": scenario.threads or 1})


def plan_england(
    scenario: Scenario,
    *,
    by: str,
    out: str | Path,
    data_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    codes: Sequence[str] | None = None,
    resume: bool = True,
    map_html: bool = True,
    quiet: bool = False,
) -> NationalPlan:
    """Plan every footprint of the partition ``by`` on Dask and write the national plan to ``out``.

    Parameters
    ----------
    scenario
        The options of every footprint (its ``footprint`` is ignored; each task gets its own,
        with one solver thread unless ``threads`` is set).
    by
        ``icb`` or ``sub-icb`` (2025-04 snapshot), ``stp`` or ``ccg`` (2021-01).
    out
        The folder to write (replaced atomically; its ``.parts`` are kept).
    data_dir
        Folder of the official files; None for the snapshot shipped with the package.
    scheduler
        Address of a running Dask scheduler; None starts a LocalCluster.
    workers
        Worker processes of the LocalCluster (default: the cores this process may use).
    progress
        Called as each footprint ends (see :data:`Progress`), also for resumed ones.
    codes
        Only these footprints of the partition (a subset of England).
    resume
        Reuse the parts of an earlier run with the same fingerprint.
    map_html
        Also write ``map.html`` (the national map).
    quiet
        No solver banners from the workers of a local cluster (the CLI's ``-q``).

    Raises
    ------
    ValidationError
        A partition the snapshot does not have, unknown codes, bad ``workers``, a bad ``out``.
    InfeasibleError
        When no footprint at all could be planned and each was proven impossible (each
        footprint's reason is listed).
    NoPlanError, RunFailedError
        When no footprint at all could be planned, and not every failure is such a proof.
    """
    from mcp_geo._folders import check_output_dir, claim_output_dir, open_output_dir
    from mcp_geo.practices import open_data

    started = time.perf_counter()
    problems = _option_problems(workers=workers, scheduler=scheduler)
    problems += _count_problems(scenario)
    check_output_dir(out, kind="national")  # refused before the data is read
    data = open_data(data_dir, snapshot=scenario.snapshot)
    jobs, found = partition_jobs(data, by=by, scenario=scenario, codes=codes)
    problems += found
    if not problems and not jobs:
        problems.append(Problem("no footprint to plan", source="footprints", value=codes))
    if problems:
        raise ValidationError(problems, context=OPTIONS_CONTEXT)

    with claim_output_dir(out, kind="national") as folder:
        out = folder.path
        parts = open_output_dir(folder, entries=[PARTS]) / PARTS
        parts.mkdir(exist_ok=True)
        data_key = None if data_dir is None else str(Path(data_dir).resolve())
        total = len(jobs)
        results: list[FootprintResult] = []

        def finished(result: FootprintResult) -> None:
            results.append(result)
            if progress is not None:
                progress(result, len(results), total)

        todo = jobs_to_solve(jobs, parts=parts, resume=resume, finished=finished)
        log.info(
            "%d footprints by %s: %d to solve, %d resumed", total, by, len(todo), total - len(todo)
        )
        used_workers = 0
        solve_started = time.perf_counter()
        if todo:
            from mcp_geo.national.cluster import run_on_dask

            used_workers = run_on_dask(
                todo,
                solve=solve_footprint,
                scenarios={j.code: footprint_scenario(scenario, j.spec) for j in todo},
                data_dir=data_key,
                parts=parts,
                scheduler=scheduler,
                workers=workers,
                finished=finished,
                quiet=quiet,
            )
        solve_seconds = time.perf_counter() - solve_started
        results.sort(key=lambda r: r.code)
        plan = _write_england(
            results,
            data=data,
            jobs=jobs,
            scenario=scenario,
            by=by,
            part_only=codes is not None,
            out=out,
            started=started,
            map_html=map_html,
        )
        return NationalPlan(
            plan=plan,
            by=by,
            footprints=tuple(results),
            out=out,
            workers=used_workers,
            seconds=time.perf_counter() - started,
            solve_seconds=solve_seconds,
        )


def _write_england(
    results: list[FootprintResult],
    *,
    data: Any,
    jobs: Sequence[FootprintJob],
    scenario: Scenario,
    by: str,
    part_only: bool,
    out: Path,
    started: float,
    map_html: bool,
) -> Any:  # Plan
    """Merge the solved footprints and write the national plan (the failed ones excluded)."""
    from mcp_geo.national._merge import unplanned_practices, write_national
    from mcp_geo.practices import select_footprint

    national = scenario.with_options({"footprint": "england", "threads": scenario.threads or 1})
    failed_codes = {r.code: r.job.spec for r in results if r.status == "failed"}
    england = select_footprint(data, "england")
    title = f"England (part: {', '.join(j.code for j in jobs)})" if part_only else "England"
    return write_national(
        results,
        scenario=national,
        by=by,
        title=f"{title}, by {by}",
        data=data,
        exclusions=england.exclusions,
        unplanned=unplanned_practices(data, jobs, failed_codes),
        out=out,
        started=started,
        map_html=map_html,
    )


def _count_problems(scenario: Scenario) -> list[Problem]:
    """A fixed hub (MCP) count means nothing for every footprint at once: ``fewest`` does; nor
    does an earlier plan's folder as the reference (each footprint takes its own PCNs)."""
    problems = [
        Problem(
            "must be 'fewest' or left out for england: a fixed count is one footprint's "
            "(plan the footprint alone)",
            key=key,
            value=value,
        )
        for key, value in (("hubs", scenario.hubs), ("mcps", scenario.mcps))
        if isinstance(value, int)
    ]
    if scenario.reference is not None and not scenario.reference_is_pcn:
        problems.append(
            Problem(
                "must be 'pcn' or left out for england (each footprint from its own practices' "
                "PCNs); plan from an earlier plan's folder one footprint at a time",
                key="reference",
                value=scenario.reference,
            )
        )
    return problems


def _option_problems(*, workers: object, scheduler: str | None) -> list[Problem]:
    """What is wrong with ``workers`` (and ``scheduler`` beside it)."""
    problems: list[Problem] = []
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        problems.append(Problem("must be a whole number >= 1", key="workers", value=workers))
    if workers is not None and scheduler is not None:
        problems.append(
            Problem(
                "sets the size of the local cluster; leave it out with {}",
                key="workers",
                value=workers,
                others=("scheduler",),
            )
        )
    return problems


__all__ = [
    "OPTIONS_CONTEXT",
    "PARTITIONS",
    "PARTS",
    "FootprintJob",
    "FootprintResult",
    "NationalPlan",
    "Progress",
    "footprint_scenario",
    "partition_jobs",
    "plan_england",
]
