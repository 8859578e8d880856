"""A national run on a cluster the user starts: ``dask scheduler`` and ``dask worker`` processes.

Their nanny puts ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers' environment; each task sets the
malloc thresholds the solver needs itself. A worker killed mid-run (SIGKILL) loses its task; Dask
starts it again elsewhere, with its full time limit, and the footprint that ends by proof gets the
same plan and certificates as in a run where no worker died.
"""

from __future__ import annotations

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
