"""Run the footprints of a national plan as Dask tasks, biggest first, reporting each as it ends.

A LocalCluster (processes, one thread per worker) is started and closed here unless the caller
gives the address of a running scheduler. Tasks carry their footprint's practice count as Dask
priority, so the scheduler hands out the biggest footprints first (longest processing time first
balances the workers). A task whose worker dies (killed, out of memory) is started again by the
scheduler on another worker, at most ``distributed.scheduler.allowed-failures`` more times (our
LocalCluster: :data:`ALLOWED_FAILURES`; Dask's default elsewhere: 3); the new start has the full
time limit, since each level's limit is counted in the worker from the level's own start. The
losses are reported (:attr:`FootprintResult.workers_lost`, a warning in the log); a task lost
every time, or lost with the cluster, is a failed footprint; it does not stop the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dask

from mcp_geo.national._tasks import FootprintJob, FootprintResult
from mcp_geo.scenario import Scenario

if TYPE_CHECKING:
    from distributed import Client, LocalCluster, Scheduler

log = logging.getLogger(__name__)

ALLOWED_FAILURES = 2
"""How many times the scheduler of a local cluster starts a task again after its worker died."""


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_cluster(n_workers: int) -> LocalCluster:
    """A LocalCluster of ``n_workers`` processes of one thread, without Dask's malloc setting.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand
    memory back to the system at every free of more than 64 KiB. The columns engine allocates
    and frees such arrays by the thousand (knapsack tables): measured on North West London (QRV,
    one thread, 120 s), 46 s of system time against 7 s, column generation 57 s against 18 s, and
    a 13.6% gap against 4.6% at the time limit. Each task also sets glibc's thresholds itself
    (:mod:`mcp_geo.national._process`), which covers the workers of a cluster the user started.

    Parameters
    ----------
    n_workers
        Worker processes.

    Returns
    -------
    distributed.LocalCluster
        The running cluster (the caller closes it).
    """
    from distributed import LocalCluster

    config = {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    }
    with dask.config.set(config), warnings.catch_warnings():
        # on a shared machine another cluster may hold Dask's default port; any port will do
        warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )


def _stdout_to_stderr() -> None:
    """In a local worker: solver banners go to stderr, so the caller's stdout holds only data."""
    import sys

    sys.stdout.flush()
    os.dup2(2, 1)


@contextlib.contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Dask's INFO chatter (nannies starting and closing) only when mcp_geo logs at DEBUG."""
    import distributed  # noqa: F401 (its first import sets its loggers' levels)

    logger = logging.getLogger("distributed")
    before = logger.level
    if not log.isEnabledFor(logging.DEBUG):
        logger.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(before)


def _times_lost(client: Client, key: object) -> int:
    """How many workers died while they held the task ``key`` (the scheduler's count)."""

    def suspicious(dask_scheduler: Scheduler, key: object) -> int:
        task = dask_scheduler.tasks.get(key)  # type: ignore[call-overload]
        return 0 if task is None else int(task.suspicious)

    try:
        return int(client.run_on_scheduler(suspicious, key=key))  # type: ignore[no-untyped-call]
    except Exception as exc:  # the count is for the report; a scheduler that refuses, no count
        log.debug("no count of lost workers from the scheduler: %s", exc)
        return 0


@_quiet_distributed()
def run_on_dask(
    jobs: Sequence[FootprintJob],
    *,
    solve: Callable[..., FootprintResult],
    scenarios: dict[str, Scenario],
    data_dir: str | None,
    parts: Path,
    scheduler: str | None,
    workers: int | None,
    finished: Callable[[FootprintResult], None],
    quiet: bool = False,
) -> int:
    """Solve ``jobs`` with ``solve`` on Dask, calling ``finished`` as each ends; return the workers.

    ``solve(job, scenario=..., data_dir=..., parts=...)`` runs in a worker process. ``quiet``
    silences the solvers' banners in the workers of a local cluster (the CLI's ``-q``).

    Parameters
    ----------
    jobs
        The footprints to solve.
    solve
        The task (:func:`mcp_geo.national._tasks.solve_footprint`).
    scenarios
        Each footprint's scenario, by code.
    data_dir
        The folder of official files, as the workers see it; None for the shipped snapshot.
    parts
        The folder of the parts.
    scheduler
        The address of a running scheduler; None starts a LocalCluster.
    workers
        Worker processes of the LocalCluster (default: the cores this process may use, at most
        one per footprint).
    finished
        Called with each footprint's result as it ends (a lost task is a failed footprint).
    quiet
        No solver banners in the workers of a local cluster.

    Returns
    -------
    int
        The workers the cluster had.
    """
    from distributed import Client, as_completed

    cluster = None
    if scheduler is None:
        n_workers = min(workers or available_cores(), len(jobs))
        log.info("starting a local Dask cluster of %d worker processes", n_workers)
        cluster = local_cluster(n_workers)
        client = Client(cluster)  # type: ignore[no-untyped-call]
        client.run(_stdout_to_stderr)
        if quiet:
            from mcp_geo.solvers import discard_solver_banners

            client.run(discard_solver_banners)
    else:
        log.info("connecting to the Dask scheduler at %s", scheduler)
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    try:
        used = len(client.scheduler_info().get("workers", {}))
        futures = {
            client.submit(
                solve,
                job,
                scenario=scenarios[job.code],
                data_dir=data_dir,
                parts=parts,
                priority=job.practices,
                pure=False,
            ): job
            for job in jobs
        }
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            job = futures[future]
            lost = _times_lost(client, future.key)
            try:
                result = future.result()
            except Exception as exc:  # a lost task is one failed footprint
                reason = f"the Dask task was lost: {type(exc).__name__}: {exc}"
                log.warning("%s: %s", job.code, reason)
                result = FootprintResult(job=job, status="failed", reason=reason, failure="error")
            finally:
                future.release()
            if lost:
                result = dataclasses.replace(result, workers_lost=lost)
                log.warning(
                    "%s: the worker holding it died (%d time%s); the scheduler gave it to another "
                    "worker, where it started again with the full time limit",
                    job.code, lost, "s" if lost > 1 else "",
                )  # fmt: skip
            finished(result)
        return used
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
