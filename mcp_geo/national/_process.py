"""What a solve needs of the process it runs in, set inside each Dask task.

A task may run in any worker: the LocalCluster of a national run, or a cluster the user started
(``dask worker``), whose nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in the worker's environment.
With that variable glibc returns memory to the system at every free above 64 KiB, and, because
any such variable turns off glibc's dynamic thresholds, it serves every allocation above 128 KiB
by a fresh ``mmap`` (zeroed pages, a page fault each) and gives it back by ``munmap``. The columns
engine allocates and frees thousands of such arrays (knapsack tables): measured on North West
London (QRV), 46 s of system time against 7 s, and a wider gap at the time limit.

So each task sets glibc's thresholds itself with ``mallopt``, whatever the environment: memory is
handed back only when more than 128 MiB lies free at the top of the heap, and only allocations
above 32 MiB (glibc's own ceiling for its dynamic threshold) get a mapping of their own. Outside
Linux with glibc (musl, macOS, Windows) nothing is done. The solver's threads are not taken from
the environment: HiGHS gets the scenario's ``threads`` (one per task in a national run).
"""

from __future__ import annotations

import ctypes
import logging
import platform
import threading

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
"""glibc's ``mallopt`` parameter: free memory at the top of the heap kept before trimming."""
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: allocations at least this large get a mapping of their own."""
TRIM_THRESHOLD = 128 * 2**20
MMAP_THRESHOLD = 32 * 2**20

_lock = threading.Lock()
_done: list[bool] = []


def tune_malloc() -> bool:
    """Set glibc's trim and mmap thresholds for a solve in this process (once per process).

    Returns
    -------
    bool
        True when the thresholds are set (now or by an earlier call); False where the C library
        is not glibc or refused them.
    """
    with _lock:
        if not _done:
            _done.append(_set_thresholds())
        return _done[0]


def _set_thresholds() -> bool:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        log.debug("not glibc: malloc's thresholds left as they are")
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError) as exc:
        log.debug("glibc's mallopt not found (%s): thresholds left as they are", exc)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # the mmap threshold first: setting it fixes both (glibc stops adjusting them)
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1)
    ok = bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1) and ok
    log.debug(
        "malloc thresholds set in process: trim %d MiB, mmap %d MiB (%s)",
        TRIM_THRESHOLD >> 20,
        MMAP_THRESHOLD >> 20,
        "done" if ok else "refused",
    )
    return ok
