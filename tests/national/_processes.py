"""A Dask cluster started the way a user starts one: ``dask scheduler`` and ``dask worker`` as
separate processes on 127.0.0.1, with the nanny's own environment (``MALLOC_TRIM_THRESHOLD_``).

The scheduler picks a free port and writes it to a scheduler file, so runs in parallel never
collide; every process is started in a session of its own and killed with its children on exit,
even when the test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DASK = str(Path(sys.executable).with_name("dask"))
SCHEDULER = ("--no-dashboard", "--scheduler-file")
WORKER = ("--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1", "--no-dashboard")


@dataclass
class UserCluster:
    """The running processes and the scheduler's address."""

    address: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client(self) -> Any:
        """A new client of the scheduler (the caller closes it)."""
        from distributed import Client

        return Client(self.address)

    def executing(self, client: Any) -> dict[str, tuple[int, list[Any]]]:
        """Per worker address: its process id and the priorities of the tasks it runs now."""

        def running(dask_worker: Any) -> tuple[int, list[Any]]:
            tasks = dask_worker.state.executing
            return os.getpid(), [ts.priority for ts in tasks]

        return dict(client.run(running))


def _wait_for(path: Path, *, seconds: float) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        with contextlib.suppress(OSError, ValueError):
            info: dict[str, Any] = json.loads(path.read_text())
            if info.get("address"):
                return info
        time.sleep(0.1)
    raise TimeoutError(f"no scheduler address in {path} after {seconds} s")


@contextlib.contextmanager
def user_cluster(
    folder: Path, *, workers: int, env: dict[str, str] | None = None
) -> Iterator[UserCluster]:
    """``dask scheduler`` and ``workers`` x ``dask worker --nworkers 1 --nthreads 1``.

    Parameters
    ----------
    folder
        Where the scheduler file and the processes' logs go (made if need be).
    workers
        Worker commands started (each one nanny and its worker process).
    env
        Added to the environment of the workers (the scheduler gets the caller's).

    Yields
    ------
    UserCluster
        The scheduler's address and the processes, its workers connected.
    """
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "scheduler.json"
    cluster = UserCluster(address="")
    common = {"start_new_session": True, "stdout": subprocess.DEVNULL}
    try:
        with (folder / "scheduler.log").open("wb") as log:
            cluster.processes.append(
                subprocess.Popen(
                    [
                        DASK,
                        "scheduler",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        "0",
                        *SCHEDULER,
                        str(file),
                    ],
                    stderr=log,
                    **common,  # type: ignore[call-overload]
                )
            )
        cluster.address = _wait_for(file, seconds=60)["address"]
        for n in range(workers):
            with (folder / f"worker-{n}.log").open("wb") as log:
                cluster.processes.append(
                    subprocess.Popen(
                        [DASK, "worker", "--scheduler-file", str(file), *WORKER],
                        stderr=log,
                        env={**os.environ, **(env or {})},
                        **common,  # type: ignore[call-overload]
                    )
                )
        with cluster.client() as client:
            client.wait_for_workers(workers, timeout=120)
        yield cluster
    finally:
        for process in reversed(cluster.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the command and the processes it started
            process.wait(30)
