"""Output folders and files: the tool replaces or deletes only what it made itself.

Every folder the tool writes (a plan, a comparison, a national run; later sweeps and reports)
holds a marker file, :data:`MARKER`, written when the folder is made and listing every entry
the tool put in it. An existing ``--out`` folder may be replaced only when

- it is empty, or
- its marker says the tool wrote it and it holds nothing the marker does not list, or
- it is a plan folder of an earlier version (no marker, but its report.json and plan.gpkg) that
  holds only the files a plan writes.

Anything else is refused before any solving, naming up to five of the entries that are not the
tool's. So are the root, the home folder, the current folder and any folder holding it or the
home folder. A symbolic link is written through to the folder it points to, never replaced.

While a run writes ``out`` it holds an exclusive lock (``flock``) on ``.<name>.lock`` beside it,
so a second run writing the same folder stops at once; the lock dies with its process, so a
killed run never blocks the next one. Folders are written into a staging folder beside ``out``
and swapped into place by renames (:func:`write_output_dir`); staging folders a killed run left
are removed by the next run that holds the lock, and only when they carry the marker.

Files outside the tool's folders (``mcp-geo map DIR --out FILE``) are overwritten only when they
are the tool's own HTML, recognised by :data:`GENERATOR`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)

MARKER = ".mcp-geo.json"
"""The marker file of every folder the tool writes: ``{"written_by": "mcp-geo", "kind": ...,
"entries": [...]}``."""

GENERATOR = '<meta name="generator" content="mcp-geo">'
"""The tag every HTML page the tool writes carries near its start."""

Kind = Literal["plan", "comparison", "national", "sweep", "report"]

PLAN_ENTRIES = frozenset(
    {
        "practices.csv",
        "hubs.csv",
        "mcps.csv",
        "exclusions.csv",
        "report.json",
        "scenario.toml",
        "plan.gpkg",
        "map.html",
        ".parts",
    }
)
"""What a plan folder of an earlier version (without a marker) may hold: the files versions
before the marker wrote, fixed here (not ``exports.PLAN_FILES``, which later versions extend)."""

COMPARISON_ENTRIES = frozenset(
    {
        "comparison.csv",
        "comparison.json",
        "changes.csv",
        "moves.csv",
        "map.html",
        "plan-a",
        "plan-b",
    }
)
"""What a comparison folder of an earlier version (without a marker) may hold."""

_SHOWN = 5
_held: dict[Path, OutputFolder] = {}
_held_lock = threading.Lock()


@dataclass(frozen=True)
class OutputFolder:
    """A folder this run may write: ``path`` is where (a symbolic link resolved), ``given``
    what the user typed."""

    path: Path
    given: Path
    kind: Kind


def _listing(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


@dataclass(frozen=True)
class _Marker:
    """What a readable marker says: the kind of folder and the entries the tool put in it."""

    kind: str
    entries: frozenset[str]


def _marker(folder: Path) -> _Marker | None:
    """The tool's marker in ``folder``, or None without a readable one."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("written_by") != "mcp-geo":
        return None
    entries = marker.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    kind = marker.get("kind", "plan")
    return _Marker(kind=kind if isinstance(kind, str) else "plan", entries=frozenset(entries))


def read_marker(folder: Path) -> set[str] | None:
    """The entries the tool's marker lists in ``folder``, or None without a readable marker."""
    marker = _marker(folder)
    return None if marker is None else set(marker.entries)


def marker_kind(folder: Path) -> str | None:
    """The kind of tool folder ``folder``'s marker names (``plan``, ``sweep``, ...), or None
    without a readable marker."""
    marker = _marker(folder)
    return None if marker is None else marker.kind


def write_marker(folder: Path, *, kind: Kind, entries: Iterable[str]) -> None:
    """Write (or rewrite) the marker of ``folder`` listing ``entries``."""
    _write_marker(folder, kind=kind, entries=entries)


def _write_marker(folder: Path, *, kind: str, entries: Iterable[str]) -> None:
    marker = {"written_by": "mcp-geo", "kind": kind, "entries": sorted(set(entries) - {MARKER})}
    (folder / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


def owned_entries(folder: Path) -> set[str] | None:
    """What of ``folder`` the tool wrote: its marker's entries, a legacy plan's files, or None."""
    listed = read_marker(folder)
    if listed is not None:
        return listed | {MARKER}
    if (folder / "report.json").is_file() and (folder / "plan.gpkg").is_file():
        return set(PLAN_ENTRIES)
    if (folder / "comparison.csv").is_file():
        return set(COMPARISON_ENTRIES)
    return None


def _path_problems(given: Path, text: str) -> tuple[Path, list[Problem]]:
    """Where ``given`` leads, and why it may not be an output folder at all."""
    if not text.strip():
        return given, [Problem("is empty: name a folder to write", source=repr(text))]
    source = str(given)
    target = given
    if given.is_symlink():
        target = given.resolve()
        if not target.exists():
            return given, [
                Problem(f"is a symbolic link to {target}, which does not exist", source=source)
            ]
    resolved = target.resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    why = None
    if resolved == Path(resolved.anchor):
        why = "is the root of the file system"
    elif resolved == home:
        why = "is your home folder"
    elif home.is_relative_to(resolved):
        why = "holds your home folder"
    elif cwd.is_relative_to(resolved):
        why = "is or holds the current folder"
    if why is not None:
        return target, [Problem(f"{why}; write the output to a new folder", source=source)]
    return target, []


def check_output_dir(out: str | Path, *, kind: Kind) -> OutputFolder:
    """Check that ``out`` may be created or replaced by this tool; nothing is written.

    Raises
    ------
    ValidationError
        ``out`` is a file, a folder the tool did not write (or one holding entries it did not
        write), a dangerous place (root, home, the current folder), or cannot be created.
    """
    text = str(out)
    given = Path(out)
    target, problems = _path_problems(given, text)
    if not problems:
        problems = _content_problems(target, given)
    if not problems:
        problems = _parent_problems(target, given)
    if problems:
        raise ValidationError(problems, context="output folder")
    return OutputFolder(path=target, given=given, kind=kind)


def _content_problems(target: Path, given: Path) -> list[Problem]:
    source = str(given)
    if target.exists() and not target.is_dir():
        return [Problem("exists and is not a folder", source=source)]
    if not target.is_dir():
        return []
    try:
        entries = {p.name for p in target.iterdir()}
    except OSError as exc:
        return [Problem(f"cannot be read ({exc.strerror})", source=source)]
    if not entries:
        return []
    owned = owned_entries(target)
    if owned is None:
        return [
            Problem(
                f"is a folder mcp-geo did not write (it holds {_listing(entries)}); nothing in "
                "it was changed: choose a new or empty folder",
                source=source,
            )
        ]
    foreign = entries - owned
    if foreign:
        return [
            Problem(
                f"holds entries mcp-geo did not write ({_listing(foreign)}); nothing in it was "
                "changed: move them away or choose another folder",
                source=source,
            )
        ]
    return []


def _parent_problems(target: Path, given: Path) -> list[Problem]:
    parent = target.parent if str(target.parent) else Path(".")
    blocker = next((p for p in [parent, *parent.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        return [Problem(f"cannot be created: {blocker} is a file, not a folder", source=str(given))]
    if blocker is not None and not os.access(blocker, os.W_OK | os.X_OK):
        return [Problem(f"cannot be created: {blocker} is not writable", source=str(given))]
    return []


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _acquire(lock: Path, given: Path) -> int:
    """An exclusive lock on ``lock`` (created if missing); raises if another run holds it."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise ValidationError(
                    [
                        Problem(
                            f"another run is writing {given}; wait for it to end or choose "
                            "another folder",
                            source=str(given),
                        )
                    ],
                    context="output folder",
                ) from None
            raise
        try:  # the file may have been removed by the run that just released it
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def claim_output_dir(out: str | Path, *, kind: Kind) -> Iterator[OutputFolder]:
    """Check ``out`` and hold its lock for the block: the folder is this run's to write.

    A run may claim a folder it already holds (the command line claims ``--out`` before
    solving, and the writer claims it again): the inner claim shares the outer one.
    """
    folder = check_output_dir(out, kind=kind)
    key = folder.path.resolve()
    with _held_lock:
        outer = _held.get(key)
    if outer is not None:
        yield outer
        return
    folder.path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_path(folder.path)
    fd = _acquire(lock, folder.given)
    try:
        folder = check_output_dir(out, kind=kind)  # again, now that no other run can write it
        with _held_lock:
            _held[key] = folder
        try:
            yield folder
        finally:
            with _held_lock:
                _held.pop(key, None)
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def open_output_dir(folder: OutputFolder, *, entries: Iterable[str] = ()) -> Path:
    """Create the claimed folder (if missing) with its marker, adding ``entries`` to the list.

    For runs that write into the folder while they work (a national run's ``.parts``).
    """
    path = folder.path
    path.mkdir(parents=True, exist_ok=True)
    owned = read_marker(path)
    if owned is None:  # new, empty, or a plan of an earlier version
        owned = (owned_entries(path) or set()) & {p.name for p in path.iterdir()}
    write_marker(path, kind=folder.kind, entries={*owned, *entries})
    return path


def write_output_dir(
    out: str | Path, writers: dict[str, Callable[[Path], None]], *, kind: Kind
) -> Path:
    """Write a folder of the tool atomically: every entry appears, or nothing changes.

    ``writers`` maps each entry's name to a function that writes that path (a file, or a
    folder it creates). The entries and the marker are written into a staging folder beside
    ``out``, which then replaces ``out`` by renames.
    """
    with claim_output_dir(out, kind=kind) as folder:
        target = folder.path
        _remove_leftovers(target)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        )
        try:
            write_marker(staging, kind=kind, entries=())  # a killed run's staging is ours
            for name, writer in writers.items():
                writer(staging / name)
            write_marker(staging, kind=kind, entries=(p.name for p in staging.iterdir()))
            os.chmod(staging, 0o755)
            _swap_into_place(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def _remove_leftovers(target: Path) -> None:
    """Remove the staging and retired folders a killed run left beside ``target``."""
    for pattern in (f".{target.name}.*.partial", f".{target.name}.*.old"):
        for leftover in target.parent.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink() and owned_entries(leftover):
                log.info("removing %s, left by an interrupted run", leftover)
                shutil.rmtree(leftover, ignore_errors=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames (atomic on one file system)."""
    if not target.exists():
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(retired)
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def check_output_file(path: str | Path) -> Path:
    """Where a single output file may be written: new, or one the tool wrote; never a folder.

    A symbolic link is written through to its target. Returns the path to write.

    Raises
    ------
    ValidationError
        The file exists and the tool did not write it, or it is a folder.
    """
    given = Path(path)
    target = given.resolve() if given.is_symlink() else given
    problems: list[Problem] = []
    if target.is_dir():
        problems.append(Problem("is a folder, not a file", source=str(given)))
    elif target.exists() and not _written_by_tool(target):
        problems.append(
            Problem(
                "exists and was not written by mcp-geo; it was left as it is: choose another "
                "file name",
                source=str(given),
            )
        )
    if problems:
        raise ValidationError(problems, context="output file")
    return target


def _written_by_tool(path: Path) -> bool:
    owned = owned_entries(path.parent)
    if owned is not None and path.name in owned:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return GENERATOR.encode() in head


def record_entry(folder: Path, name: str) -> None:
    """Add ``name`` to the marker of a tool folder that has one (``mcp-geo map DIR``)."""
    marker = _marker(folder)
    if marker is not None:
        # the kind is written back as the marker gave it, even one a later version added
        _write_marker(folder, kind=marker.kind, entries={*marker.entries, name})


__all__ = [
    "GENERATOR",
    "MARKER",
    "OutputFolder",
    "check_output_dir",
    "check_output_file",
    "claim_output_dir",
    "marker_kind",
    "open_output_dir",
    "owned_entries",
    "read_marker",
    "record_entry",
    "write_output_dir",
]
