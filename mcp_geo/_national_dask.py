"""Run the footprints of a national plan as Dask tasks, biggest first, reporting each as it ends.

A LocalCluster (processes, one thread per worker) is started and closed here unless the caller
gives the address of a running scheduler. Tasks carry their footprint's practice count as Dask
priority, so the scheduler hands out the biggest footprints first (longest processing time first
balances the workers). A task that is lost (a worker killed, the cluster gone) is reported as a
failed footprint; it does not stop the others.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mcp_geo._national_tasks import FootprintJob, FootprintResult
from mcp_geo.scenario import Scenario

log = logging.getLogger(__name__)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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
) -> int:
    """Solve ``jobs`` with ``solve`` on Dask, calling ``finished`` as each ends; return the workers.

    ``solve(job, scenario=..., data_dir=..., parts=...)`` runs in a worker process.
    """
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        n_workers = min(workers or available_cores(), len(jobs))
        log.info("starting a local Dask cluster of %d worker processes", n_workers)
        with warnings.catch_warnings():
            # on a shared machine another cluster may hold Dask's default port; any port will do
            warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        client = Client(cluster)
        client.run(_stdout_to_stderr)
    else:
        log.info("connecting to the Dask scheduler at %s", scheduler)
        client = Client(scheduler)
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
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a lost task is one failed footprint
                reason = f"the Dask task was lost: {type(exc).__name__}: {exc}"
                log.warning("%s: %s", job.code, reason)
                result = FootprintResult(job=job, status="failed", reason=reason, failure="error")
            finally:
                future.release()
            finished(result)
        return used
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
