"""Sweeps: a grid of scenarios over varied options, each cell its own certified plan, on Dask.

:func:`sweep` plans every cell of a :class:`~mcp_geo.national._grid.SweepSpec` (footprints x
the varied options' values) as one task on Dask distributed, on the machinery of a national run
(:func:`~mcp_geo.national.cluster.run_on_dask`, :func:`~mcp_geo.national._tasks.solve_footprint`):
each cell is planned exactly as ``plan`` would plan its scenario (one solver thread unless
``threads`` is set; no start from another cell's plan), so a cell whose solves end by proof
gives the same plan however the cells are scheduled.

It writes the sweep folder (DESIGN.md "Outputs"):

- ``cells/<n>/``: each cell's plan folder, as ``plan --out`` writes it (n from 1 in grid order:
  footprints slowest, then the varied options in the order given, values in the order given);
- ``base/`` (``base-<k>/`` with several footprints): the base cell's plan (the options given
  outside ``vary``) when it is not a cell of the grid;
- ``sweep.csv``: one row per cell (:mod:`mcp_geo.national._sweep_rows`), no seconds;
- ``timings.json``: seconds per cell and level, and in total (the only place seconds appear);
- ``scenario.toml``: the sweep as run (the base options and a ``[sweep]`` table).

A cell written by an earlier run with the same inputs (the fingerprint in its report.json) is
reused, so an interrupted sweep resumes where it stopped. A cell whose rules cannot be met (or
that fails for any other reason) keeps its row with the status and reason; the others go on.

Examples
--------
>>> from mcp_geo.national._grid import SweepSpec
>>> from mcp_geo.scenario import Scenario
>>> spec = SweepSpec(
...     base=Scenario.from_options("north-staffs", {"no_mcps": True}),
...     footprints=("north-staffs",),
...     vary=(("hub_max", (45_000, 50_000, 55_000)), ("max_km", (10, 15, 20))),
... )
>>> result = sweep(spec, out="sweeps/ns", workers=2)  # doctest: +SKIP
>>> [row.n_hubs for row in result.rows]  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.national._grid import Cell, SweepSpec
from mcp_geo.national._sweep_rows import SweepRow, option_columns, rows_csv, sweep_rows, timings
from mcp_geo.national._tasks import (
    FootprintJob,
    FootprintResult,
    Progress,
    jobs_to_solve,
    solve_footprint,
)

log = logging.getLogger(__name__)

CELLS = "cells"
"""The folder of a sweep's cells."""
OPTIONS_CONTEXT = "sweep"
"""The context of the ValidationError :func:`sweep` raises for its own options."""


@dataclass(frozen=True, eq=False)
class Sweep:
    """The result of a sweep.

    Attributes
    ----------
    spec
        What was swept.
    rows
        sweep.csv's rows, one per cell of the grid, in order.
    cells
        Every cell's result in order (the grid's, then the bases beside it).
    options
        sweep.csv's option columns.
    out
        The folder written.
    workers
        Dask workers used (0 when every cell was resumed or failed before solving).
    seconds
        Wall time of the whole run.
    solve_seconds
        Wall time of the Dask part.
    """

    spec: SweepSpec
    rows: tuple[SweepRow, ...]
    cells: tuple[FootprintResult, ...]
    options: tuple[str, ...]
    out: Path
    workers: int
    seconds: float
    solve_seconds: float

    @property
    def failed(self) -> tuple[SweepRow, ...]:
        """The rows of the cells without a plan."""
        return tuple(row for row in self.rows if row.reason)

    @property
    def resumed(self) -> tuple[FootprintResult, ...]:
        """The cells an earlier run had written."""
        return tuple(r for r in self.cells if r.resumed)

    def csv(self) -> str:
        """sweep.csv's text."""
        return rows_csv(self.rows, options=self.options)

    def records(self) -> list[dict[str, str]]:
        """sweep.csv's rows as dicts of text (``--json``)."""
        return [row.record(self.options) for row in self.rows]

    def summary(self) -> list[str]:
        """Lines for people: one per cell, then the counts, where and how long."""
        varied = self.spec.varied
        several = len(self.spec.footprints) > 1
        lines = []
        for row in self.rows:
            values = dict(row.options)
            what = ", ".join(f"{k}={_shown(values.get(k))}" for k in varied)
            what = f"{row.footprint}: {what}" if several else what
            if row.reason:
                lines.append(f"cell {row.cell} ({what}): {row.status}: {row.reason}")
                continue
            travel = "" if row.travel_mean_km is None else f", {row.travel_mean_km:.2f} km mean"
            mcps = "" if row.n_mcps is None else f", {row.n_mcps} MCPs"
            gap = 100 * (row.gap or 0)
            lines.append(
                f"cell {row.cell} ({what}): {row.n_hubs} hubs{mcps}{travel}; "
                f"{row.status}, gap {gap:.4f}%"
            )
        resumed = f" ({len(self.resumed)} resumed)" if self.resumed else ""
        lines.append(
            f"{len(self.rows)} cells{resumed}, {len(self.rows) - len(self.failed)} planned, "
            f"{len(self.failed)} without a plan"
        )
        lines.append(
            f"written to {self.out}/ ({self.seconds:.1f} s; solving {self.solve_seconds:.1f} s "
            f"on {self.workers} Dask worker{'s' if self.workers != 1 else ''})"
        )
        return lines


def _shown(value: Any) -> str:
    return "none" if value is None else str(value)


def sweep(
    spec: SweepSpec,
    *,
    out: str | Path,
    data_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    resume: bool = True,
    quiet: bool = False,
) -> Sweep:
    """Plan every cell of ``spec`` on Dask and write the sweep folder ``out``.

    Parameters
    ----------
    spec
        The base options, the footprints and the varied options.
    out
        The folder to write (replaced atomically; the cells an earlier run wrote with the same
        inputs are reused).
    data_dir
        Folder of the official files; None for the snapshot shipped with the package.
    scheduler
        Address of a running Dask scheduler; None starts a LocalCluster.
    workers
        Worker processes of the LocalCluster (default: the cores this process may use).
    progress
        Called as each cell ends (see :data:`Progress`), also for resumed ones.
    resume
        Reuse the cells of an earlier run with the same inputs.
    quiet
        No solver banners from the workers of a local cluster (the CLI's ``-q``).

    Returns
    -------
    Sweep
        The rows, each cell's result, where and how long.

    Raises
    ------
    ValidationError
        Bad ``workers``, a footprint the data does not have, a bad ``out``.
    """
    from mcp_geo._folders import check_output_dir, claim_output_dir, open_output_dir
    from mcp_geo.national.run import _option_problems

    started = time.perf_counter()
    problems = _option_problems(workers=workers, scheduler=scheduler)
    check_output_dir(out, kind="sweep")  # refused before the data is read
    grid, beside = spec.cells()
    cells = [*grid, *beside]
    jobs, found = cell_jobs(cells, data_dir=data_dir)
    if problems or found:
        raise ValidationError([*problems, *found], context=OPTIONS_CONTEXT)

    with claim_output_dir(out, kind="sweep") as folder:
        out = folder.path
        open_output_dir(folder, entries=[CELLS, *(c.folder for c in beside)])
        (out / CELLS).mkdir(exist_ok=True)
        results: dict[str, FootprintResult] = {}

        def finished(result: FootprintResult) -> None:
            results[result.code] = result
            if progress is not None:
                progress(result, len(results), len(cells))

        for cell in cells:
            if cell.problem is not None:
                finished(_refused(cell))
        todo = jobs_to_solve(jobs, parts=out, resume=resume, finished=finished)
        log.info("%d cells: %d to solve", len(cells), len(todo))
        used, solve_started = 0, time.perf_counter()
        if todo:
            from mcp_geo.national.cluster import run_on_dask

            scenarios = {c.label: c.scenario for c in cells if c.scenario is not None}
            used = run_on_dask(
                todo,
                solve=solve_footprint,
                scenarios=scenarios,
                data_dir=None if data_dir is None else str(Path(data_dir).resolve()),
                parts=out,
                scheduler=scheduler,
                workers=workers,
                finished=finished,
                quiet=quiet,
            )
        solve_seconds = time.perf_counter() - solve_started
        ordered = {c.label: results[c.label] for c in cells}
        rows = sweep_rows(grid, ordered)
        options = option_columns(grid, varied=spec.varied)
        _write(
            spec,
            out=out,
            rows=rows,
            options=options,
            results=ordered,
            beside=beside,
            times=(used, solve_seconds, started),
        )
        return Sweep(
            spec=spec,
            rows=tuple(rows),
            cells=tuple(ordered.values()),
            options=options,
            out=out,
            workers=used,
            seconds=time.perf_counter() - started,
            solve_seconds=solve_seconds,
        )


def _write(
    spec: SweepSpec,
    *,
    out: Path,
    rows: Sequence[SweepRow],
    options: Sequence[str],
    results: dict[str, FootprintResult],
    beside: Sequence[Cell],
    times: tuple[int, float, float],
) -> None:
    """Write the sweep folder atomically, carrying the cells' plan folders over."""
    from mcp_geo._folders import write_output_dir
    from mcp_geo.national._merge import _link_parts

    used, solve_seconds, started = times
    cells = {
        r.part.name for r in results.values() if r.part is not None and r.part.parent == out / CELLS
    }

    def timings_file(path: Path) -> None:
        total = time.perf_counter() - started
        content = timings(results, workers=used, solve=solve_seconds, total=total)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")

    def text(content: str) -> Callable[[Path], None]:
        return lambda path: _write_text(path, content)

    writers: dict[str, Callable[[Path], None]] = {
        "sweep.csv": text(rows_csv(rows, options=options)),
        "scenario.toml": text(spec.to_toml(relative_to=out)),
        CELLS: functools.partial(_link_parts, out / CELLS, keep=cells),
        "timings.json": timings_file,
    }
    for cell in beside:
        if results[cell.label].part is not None:
            writers[cell.folder] = functools.partial(_link_folder, out / cell.folder)
    write_output_dir(out, writers, kind="sweep")


def _write_text(path: Path, content: str) -> None:
    path.write_text(content, encoding="utf-8")


def _link_folder(source: Path, target: Path) -> None:
    """Carry one plan folder into the staged folder (hard links where the disk allows)."""
    import os
    import shutil

    try:
        shutil.copytree(source, target, copy_function=os.link)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def _refused(cell: Cell) -> FootprintResult:
    """The failed result of a cell whose values cannot be planned together."""
    job = FootprintJob(cell.label, cell.footprint, cell.footprint, 0, 0, "", folder=cell.folder)
    return FootprintResult(
        job=job, status="failed", reason=cell.problem, failure="error", timings={"total": 0.0}
    )


def cell_jobs(
    cells: Sequence[Cell], *, data_dir: str | Path | None
) -> tuple[list[FootprintJob], list[Problem]]:
    """The jobs of the cells that can be planned, each with its fingerprint, and the problems
    found (a footprint the data does not have, a sites file that cannot be read).

    Parameters
    ----------
    cells
        The cells (those with a ``problem`` get no job).
    data_dir
        Folder of the official files; None for the shipped snapshot.

    Returns
    -------
    tuple of (list of FootprintJob, list of Problem)
        The jobs in the cells' order, and the problems found.
    """
    from mcp_geo.pipeline.footprint import is_sites_file
    from mcp_geo.practices import open_data, select_footprint
    from mcp_geo.practices.readers.sites import read_sites

    footprints: dict[tuple[str, str], Any] = {}
    problems: list[Problem] = []
    jobs = []
    for cell in cells:
        scenario = cell.scenario
        if scenario is None:
            continue
        key = (cell.footprint, scenario.snapshot)
        if key not in footprints:
            try:
                if is_sites_file(cell.footprint):
                    footprints[key] = read_sites(cell.footprint)
                else:
                    data = open_data(data_dir, snapshot=scenario.snapshot)
                    footprints[key] = select_footprint(data, cell.footprint)
            except ValidationError as exc:
                footprints[key] = None
                problems += exc.problems
        footprint = footprints[key]
        if footprint is not None:
            jobs.append(_job(cell, footprint))
    return jobs, problems


def _job(cell: Cell, footprint: Any) -> FootprintJob:
    """A cell's job: its footprint's size (the Dask priority) and the fingerprint its plan will
    have (a plan written with it is reused)."""
    from mcp_geo.boundaries.distances import great_circle_matrix
    from mcp_geo.pipeline._reference import fingerprint_groups
    from mcp_geo.pipeline.footprint import fingerprint
    from mcp_geo.practices.readers.bases import read_bases

    scenario = cell.scenario
    assert scenario is not None
    rows = footprint.practices.sort_values("practice_code").reset_index(drop=True)
    source = great_circle_matrix(
        rows["practice_code"][:1],
        rows["latitude"][:1],
        rows["longitude"][:1],
        circuity=scenario.circuity,
    ).source
    try:
        bases = None if scenario.bases is None else read_bases(scenario.bases)
    except ValidationError:
        bases = None  # the cell's plan will say why
    key = fingerprint(
        rows,
        scenario=scenario,
        travel_source=source,
        bases=bases,
        reference=fingerprint_groups(rows, scenario=scenario),
    )
    if scenario.travel == "road":  # measured on the roads by the task: never reused
        key = "road:" + key
    return FootprintJob(
        code=cell.label,
        spec=cell.footprint,
        name=footprint.title,
        practices=len(rows),
        patients=int(rows["patients"].sum()),
        fingerprint=key,
        folder=cell.folder,
    )


__all__ = ["CELLS", "OPTIONS_CONTEXT", "Progress", "Sweep", "cell_jobs", "sweep"]
