"""A national run on a cluster the user starts: ``dask scheduler`` and ``dask worker`` processes.

Their nanny puts ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers' environment; each task sets the
malloc thresholds the solver needs itself. A worker killed mid-run (SIGKILL) loses its task; Dask
starts it again elsewhere, with its full time limit, and the footprint that ends by proof gets the
same plan and certificates as in a run where no worker died.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from mcp_geo.scenario import Scenario
from tests.national._processes import user_cluster

pytestmark = pytest.mark.slow

TRIM = {"MALLOC_TRIM_THRESHOLD_": "65536"}


def _mapped(size: int) -> int:
    """In a worker: the bytes glibc maps for an array of ``size`` bytes (0: from the heap)."""

    def probe() -> int:
        import ctypes

        import numpy as np

        names = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks")
        names += ("uordblks", "fordblks", "keepcost")

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in names]

        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        before = libc.mallinfo2().hblkhd
        held = np.empty(size, dtype=np.uint8)
        mapped = int(libc.mallinfo2().hblkhd - before)
        del held
        return mapped

    return probe  # type: ignore[return-value]


def test_a_task_sets_the_malloc_thresholds_on_a_worker_the_user_started(tmp_path: Path) -> None:
    """A 4 MiB array is mapped on its own under the nanny's setting, and from the heap once a task
    of the run has set the thresholds (128 MiB trim, 32 MiB mmap) in that worker process."""
    from mcp_geo.national._tasks import FootprintJob, solve_footprint
    from mcp_geo.national.cluster import run_on_dask

    size = 4 * 2**20
    job = FootprintJob("X", "practices:X0", "none", practices=1, patients=1, fingerprint="0" * 64)
    scenario = Scenario.from_options("practices:X0", {"threads": 1})
    with user_cluster(tmp_path, workers=1, env=TRIM) as cluster, cluster.client() as client:
        environ = client.run(Path("/proc/self/environ").read_bytes)  # as glibc read it
        assert all(b"MALLOC_TRIM_THRESHOLD_=65536" in e.split(b"\0") for e in environ.values())
        assert list(client.run(_mapped(size)).values()) >= [size]  # the nanny's setting
        ended: list[Any] = []
        run_on_dask(
            [job],
            solve=solve_footprint,
            scenarios={"X": scenario},
            data_dir=None,
            parts=tmp_path / "parts",
            scheduler=cluster.address,
            workers=None,
            finished=ended.append,
        )
        assert [r.status for r in ended] == ["failed"]  # no such practice: only the task ran
        assert list(client.run(_mapped(size)).values()) == [0]


CODES = ("QT6", "QSL", "QOC")
SCENARIO = Scenario.from_options("england", {"gap": 0.005, "time_limit": 60})
FILES = ("practices.csv", "hubs.csv", "mcps.csv", "exclusions.csv")


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "timings"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _kill_a_running_worker(cluster: Any, *, stop: threading.Event) -> dict[str, Any]:
    """Start a thread that SIGKILLs, once, the first worker process found running a task."""
    killed: dict[str, Any] = {}

    def watch() -> None:
        with cluster.client() as client:
            while not stop.is_set():
                for address, (pid, running) in cluster.executing(client).items():
                    if running:
                        os.kill(pid, signal.SIGKILL)
                        killed.update(worker=address, practices=-running[0][0])
                        return
                stop.wait(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    killed["thread"] = thread
    return killed


def test_a_worker_killed_mid_run_changes_no_plan(tmp_path: Path) -> None:
    """Three ICBs that end by proof, on two workers: once undisturbed, once with the worker
    running a footprint killed (SIGKILL). The lost footprints are started again and planned; every
    file of the national plan and of each footprint's part is the same (report.json without its
    timings), and the run says which footprint was started again."""
    from mcp_geo.national.run import plan_england

    def run(name: str, cluster: Any) -> Any:
        return plan_england(
            SCENARIO,
            by="icb",
            out=tmp_path / name,
            scheduler=cluster.address,
            codes=CODES,
            resume=False,
            map_html=False,
        )

    with user_cluster(tmp_path / "cluster", workers=2, env=TRIM) as cluster:
        calm = run("calm", cluster)
        stop = threading.Event()
        killed = _kill_a_running_worker(cluster, stop=stop)
        try:
            shaken = run("killed", cluster)
        finally:
            stop.set()
            killed.pop("thread").join()
    assert killed, "no worker was killed"
    for national in (calm, shaken):
        assert [r.status for r in national.footprints] == ["solved"] * len(CODES)
        for r in national.footprints:
            assert {c["ended_by"] for c in r.certificates.values() if c} == {"proof"}, r.code
    assert [r.workers_lost for r in calm.footprints] == [0, 0, 0]
    # the killed worker's running task, and the one it held next in line if any
    again = [r for r in shaken.footprints if r.workers_lost]
    assert killed["practices"] in [r.job.practices for r in again]
    assert {r.workers_lost for r in again} == {1}
    listed = ", ".join(f"{r.code} (1)" for r in again)
    assert f"started again after the worker holding them died: {listed}" in shaken.summary()
    folders = [(calm.out, shaken.out)]
    folders += [(a.part, b.part) for a, b in zip(calm.footprints, shaken.footprints, strict=True)]
    for a, b in folders:
        for name in FILES:
            assert (a / name).read_bytes() == (b / name).read_bytes(), (a, name)
        reports = [json.loads((f / "report.json").read_text()) for f in (a, b)]
        assert _without_timings(reports[0]) == _without_timings(reports[1]), a
