"""The on-disk cache of road travel: one ``.npz`` per (graph file, practices, bases, options).

The key is a sha256 of the road file's own sha256, the practices' codes and positions (6
decimals), the candidate bases and every option that changes the numbers. Files are written to a
temporary name and renamed, so a reader never sees half a file; a damaged file is ignored.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

FORMAT = "mcp-geo road travel cache 1"


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (memoised per path, size and modification time)."""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def cache_key(
    path: Path, *, practices: pd.DataFrame, bases: Sequence[str], options: Mapping[str, Any]
) -> str:
    """The cache key of one road travel computation."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}\n{file_sha256(path)}\n".encode())
    digest.update(json.dumps(dict(options), sort_keys=True).encode())
    table = practices[["practice_code", "latitude", "longitude"]]
    digest.update(table.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    digest.update("\n".join(bases).encode())
    return digest.hexdigest()


def load(folder: Path, key: str) -> dict[str, Any] | None:
    """The cached parts for ``key``, or None."""
    target = folder / f"{key}.npz"
    if not target.is_file():
        return None
    try:
        with np.load(target, allow_pickle=False) as data:
            parts: dict[str, Any] = {
                name: data[name] for name in ("node", "snap_km", "reason", "detail", "km")
            }
            parts["minutes"] = data["minutes"] if bool(data["has_minutes"]) else None
            parts["report"] = json.loads(str(data["report"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("ignoring the damaged road cache file %s: %s", target, exc)
        return None
    return parts


def save(folder: Path, key: str, parts: Mapping[str, Any]) -> None:
    """Write the parts for ``key`` (atomically); a cache that cannot be written is only logged."""
    buffer = io.BytesIO()
    minutes = parts["minutes"]
    np.savez_compressed(
        buffer,
        node=np.asarray(parts["node"], dtype=np.int64),
        snap_km=np.asarray(parts["snap_km"], dtype=float),
        reason=np.asarray(parts["reason"], dtype=str),
        detail=np.asarray(parts["detail"], dtype=str),
        km=np.asarray(parts["km"], dtype=float),
        has_minutes=np.array(minutes is not None),
        minutes=np.zeros((0, 0)) if minutes is None else np.asarray(minutes, dtype=float),
        report=np.array(json.dumps(dict(parts["report"]), sort_keys=True)),
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{key[:12]}-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(temp, folder / f"{key}.npz")
    except OSError as exc:
        log.warning("could not write the road cache in %s: %s", folder, exc)
