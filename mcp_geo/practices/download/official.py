"""Fetch the official files into a folder (``mcp-geo data download DIR``).

Each file of :data:`~mcp_geo.practices.sources.OFFICIAL_FILES` is streamed into a temporary
file beside its destination, checked, and only then moved into place with :func:`os.replace`,
so a folder never holds a partial or unchecked file. The checks:

- the HTTP status, and the body's length against ``Content-Length`` when the server sends it;
- the size against :attr:`~mcp_geo.practices.sources.OfficialFile.min_bytes`;
- a zip opens, holds the expected member, and its CRC checks pass;
- a CSV's first line starts with the expected columns (or has the expected number of fields),
  it is not an HTML page, and it has enough rows; a GeoJSON parses as a FeatureCollection with
  the expected properties and enough features, not cut short by the service;
- the sha256 of the file written, where the source pins one (dated releases only).

Any failure raises :class:`~mcp_geo._errors.DownloadError` naming the file, the URL and what
was wrong, after removing every temporary file; for an optional file
(:attr:`~mcp_geo.practices.sources.OfficialFile.optional`, the ODS ``eauth`` names) the failure
is logged and reported instead (status ``failed``, any older copy left in place) and the other
files are fetched. Files already present are skipped when their
checksum matches the pin, and kept when nothing is pinned (pass ``refresh=True`` to fetch the
"latest" files again). Connection errors and HTTP 408/429/5xx are retried with backoff.

The publishers' URLs have not been tried from the machine this was written on (see
:mod:`mcp_geo.practices.sources`); the tests run everything against a local HTTP server.
"""

from __future__ import annotations

import logging
import os
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from mcp_geo._errors import DownloadError, Problem, ValidationError
from mcp_geo.practices.download._fetch import (
    Fetcher,
    FetchError,
    Progress,
    RewritingRedirects,
    follow_link,
    rewriter,
)
from mcp_geo.practices.download._verify import (
    check_csv,
    check_geojson,
    extract_member,
    install_tree,
    remove_temps,
    sha256_of,
    snippet,
    temp_path,
)
from mcp_geo.practices.sources import OFFICIAL_FILES, OfficialFile

log = logging.getLogger(__name__)

__all__ = ["DownloadReport", "DownloadedFile", "Progress", "download_official_files"]

Status = Literal["downloaded", "verified", "kept", "failed"]


@dataclass(frozen=True)
class DownloadedFile:
    """What happened to one official file.

    Attributes
    ----------
    key
        The :attr:`~mcp_geo.practices.sources.OfficialFile.key`.
    path
        The file (or, for Code-Point Open, the folder) in the destination.
    url
        The URL the bytes came from (after following a publication page), "" if not fetched.
    bytes
        Size of what was written (a folder: the sum of its files; fetched: of the download).
    sha256
        Digest of the file written (a folder: of the archive it came from; None when kept).
    status
        ``downloaded``; ``verified`` (present, matches the pinned checksum); ``kept`` (present,
        nothing pinned, not refreshed); ``failed`` (an optional file that could not be fetched
        or failed a check: nothing was written).
    error
        Why a ``failed`` file failed (the message of its DownloadError); "" otherwise.
    """

    key: str
    path: Path
    url: str
    bytes: int
    sha256: str | None
    status: Status
    error: str = ""


@dataclass(frozen=True)
class DownloadReport:
    """Every file of one :func:`download_official_files` call, in the order given."""

    dest: Path
    files: tuple[DownloadedFile, ...]

    @property
    def downloaded(self) -> tuple[DownloadedFile, ...]:
        """The files fetched by this call."""
        return tuple(f for f in self.files if f.status == "downloaded")

    def __str__(self) -> str:
        lines = [f"{len(self.files)} official files in {self.dest}:"]
        for f in self.files:
            digest = f.sha256[:12] if f.sha256 else "-"
            why = f"  (optional, not fetched: {f.error})" if f.status == "failed" else ""
            lines.append(
                f"  {f.status:<10} {f.bytes:>13,} B  sha256 {digest:<12}  "
                f"{f.path.relative_to(self.dest).as_posix()}{why}"
            )
        return "\n".join(lines)


def download_official_files(
    dest: Path | str,
    *,
    files: Iterable[OfficialFile] = OFFICIAL_FILES,
    base_url: str | Mapping[str, str] | None = None,
    progress: Progress | None = None,
    timeout: float = 60,
    retries: int = 2,
    backoff_s: float = 1.0,
    refresh: bool = False,
) -> DownloadReport:
    """Fetch the official files into ``dest``, check them, and write them atomically.

    Parameters
    ----------
    dest
        The data folder (created if missing); files go to their ``filename`` inside it.
    files
        The files to fetch (default: every file of every snapshot; see
        :func:`~mcp_geo.practices.sources.official_files` for one snapshot).
    base_url
        Fetch from a mirror: a URL such as ``"http://127.0.0.1:8000"`` replaces the scheme and
        host of every URL (links found on pages and redirects included); a mapping
        ``{"https://files.digital.nhs.uk": "http://mirror/nhs-files", ...}`` replaces only the
        origins it names.
    progress
        Called as ``progress(key, bytes_so_far, total_or_None)`` while each file arrives.
    timeout
        Seconds to wait for a connection or for data before giving up on an attempt.
    retries
        Further attempts after a connection error, a truncated body or HTTP 408/429/5xx.
    backoff_s
        Wait before the first retry; it doubles for each further one.
    refresh
        Fetch again files that are present but have no pinned checksum ("latest" files).

    Returns
    -------
    DownloadReport
        Path, size, sha256 and status of every file.

    Raises
    ------
    ValidationError
        If the arguments are unusable (every problem listed).
    DownloadError
        At the first file that cannot be fetched or fails a check, unless it is optional (then
        its status is ``failed`` and the others are fetched); files finished before it stay in
        place, and no partial or temporary file is left behind.

    Examples
    --------
    >>> from mcp_geo.practices.sources import official_files
    >>> report = download_official_files("data", files=official_files("2025-04"))  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    """
    dest = Path(dest)
    files = tuple(files)
    _validate(
        dest,
        files=files,
        base_url=base_url,
        progress=progress,
        timeout=timeout,
        retries=retries,
        backoff_s=backoff_s,
    )
    rewrite = rewriter(base_url)
    fetch = Fetcher(
        urllib.request.build_opener(RewritingRedirects(rewrite)),
        rewrite,
        timeout,
        retries,
        backoff_s,
        progress,
    )
    results: list[DownloadedFile] = []
    for item in files:
        target = _target(dest, item)
        present = None if refresh and item.sha256 is None else _present(item, target)
        if present is not None:
            log.info("%s: %s already present (%s)", item.key, target, present.status)
            results.append(present)
            continue
        try:
            results.append(_fetch_one(item, target, fetch))
        except DownloadError as exc:
            if not item.optional:
                raise
            log.warning("%s (an optional file: the others are fetched)", exc)
            url = fetch.rewrite(item.url)
            results.append(DownloadedFile(item.key, target, url, 0, None, "failed", str(exc)))
    return DownloadReport(dest, tuple(results))


def _validate(
    dest: Path,
    *,
    files: tuple[object, ...],
    base_url: object,
    progress: object,
    timeout: float,
    retries: int,
    backoff_s: float,
) -> None:
    problems: list[Problem] = []
    if dest.exists() and not dest.is_dir():
        problems.append(Problem("must be a folder", source="dest", value=str(dest)))
    seen: dict[str, str] = {}
    for item in files:
        if not isinstance(item, OfficialFile):
            problems.append(Problem("must hold OfficialFile items", source="files", value=item))
            continue
        for name in (item.key, item.filename):
            if name in seen:
                problems.append(Problem("appears twice", source="files", value=name))
            seen[name] = item.key
    if isinstance(base_url, str):
        bases: list[object] = [base_url]
    elif isinstance(base_url, Mapping):
        bases = [*base_url.keys(), *base_url.values()]
    else:
        bases = [] if base_url is None else [base_url]
    for base in bases:
        parts = urlsplit(base) if isinstance(base, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem("must be an http(s) URL", source="base_url", value=base))
        elif parts.query or parts.fragment:
            problems.append(
                Problem("must have no query or fragment", source="base_url", value=base)
            )
    for item in files:
        if not isinstance(item, OfficialFile):
            continue
        target = _target(dest, item)
        if item.kind == "tree" and target.exists() and not target.is_dir():
            problems.append(
                Problem(f"is a file where the folder of {item.key} goes", source=str(target))
            )
        elif item.kind != "tree" and target.is_dir():
            problems.append(
                Problem(f"is a folder where the file of {item.key} goes", source=str(target))
            )
    if progress is not None and not callable(progress):
        problems.append(Problem("must be callable or None", source="progress", value=progress))
    if not timeout > 0:
        problems.append(Problem("must be > 0 seconds", source="timeout", value=timeout))
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        problems.append(Problem("must be an integer >= 0", source="retries", value=retries))
    if not backoff_s >= 0:
        problems.append(Problem("must be >= 0 seconds", source="backoff_s", value=backoff_s))
    if problems:
        raise ValidationError(problems, context="download_official_files")


def _target(dest: Path, item: OfficialFile) -> Path:
    """Where ``item`` goes in ``dest``; a symbolic link there is written through, not replaced."""
    target = dest.joinpath(*PurePosixPath(item.filename).parts)
    return target.resolve() if target.is_symlink() else target


def _present(item: OfficialFile, target: Path) -> DownloadedFile | None:
    """The report line of a file already in place, or None when it must be fetched."""
    if not target.exists():
        return None
    if item.kind == "tree":
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        return DownloadedFile(item.key, target, "", size, None, "kept")
    size, digest = sha256_of(target)
    if item.sha256 is None:
        return DownloadedFile(item.key, target, "", size, digest, "kept")
    if digest == item.sha256:
        return DownloadedFile(item.key, target, "", size, digest, "verified")
    log.warning("%s: %s does not match its pinned sha256; fetching it again", item.key, target)
    return None


def _fetch_one(item: OfficialFile, target: Path, fetch: Fetcher) -> DownloadedFile:
    url = fetch.rewrite(item.url)
    temps: list[Path] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.link is not None:
            url = follow_link(item, url, fetch)
        log.info("%s: fetching %s", item.key, url)
        payload = temp_path(target, temps)
        with payload.open("wb") as sink:
            size, digest = fetch.fetch(url, sink, key=item.key)
        written = payload
        if item.kind == "csv" and zipfile.is_zipfile(payload):
            written = extract_member(item, payload=payload, target=target, temps=temps)
            size, digest = sha256_of(written)
        if size < item.min_bytes:
            raise FetchError(
                f"only {size:,} bytes, fewer than the {item.min_bytes:,} expected{snippet(written)}"
            )
        if item.kind == "tree":
            install_tree(item, payload=payload, target=target, temps=temps)
            return DownloadedFile(item.key, target, url, size, digest, "downloaded")
        if item.kind == "csv":
            check_csv(item, written)
        else:
            check_geojson(item, written)
        if item.sha256 is not None and digest != item.sha256:
            raise FetchError(f"sha256 {digest} differs from the pinned {item.sha256}")
        os.chmod(written, 0o644)  # temporary files are created private (0600)
        os.replace(written, target)
        log.info("%s: wrote %s (%s bytes)", item.key, target, f"{size:,}")
        return DownloadedFile(item.key, target, url, size, digest, "downloaded")
    except FetchError as exc:
        raise DownloadError(f"{item.key}: {url} -> {target}: {exc}") from None
    except OSError as exc:
        raise DownloadError(f"{item.key}: {url} -> {target}: cannot write ({exc})") from None
    finally:
        remove_temps(temps)
