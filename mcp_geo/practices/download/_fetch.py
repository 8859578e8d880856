"""HTTP for :mod:`mcp_geo.practices.download.official`: mirrors, redirects, retries, publication pages."""

from __future__ import annotations

import hashlib
import html
import http.client
import io
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, BinaryIO
from urllib.parse import unquote, urljoin, urlsplit

from mcp_geo import __version__
from mcp_geo.practices.sources import OfficialFile

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
"""``progress(key, bytes_so_far, total_bytes_or_None)``, called as each chunk arrives."""

CHUNK = 1 << 16
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_USER_AGENT = f"mcp-geo/{__version__} (Python urllib; official open data download)"


class FetchError(Exception):
    """What is wrong with one file; turned into a DownloadError with the URL and the path."""


class TransientError(FetchError):
    """A failure worth another attempt (connection error, truncation, HTTP 5xx)."""


def rewriter(base_url: str | Mapping[str, str] | None) -> Callable[[str], str]:
    """A function that points publisher URLs at the mirror (identity without one)."""
    if base_url is None:
        return lambda url: url

    def rest(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    if isinstance(base_url, str):
        base = base_url.rstrip("/")
        return lambda url: url if url.startswith(base + "/") else base + rest(url)
    table = {key.rstrip("/").lower(): value.rstrip("/") for key, value in base_url.items()}

    def rewrite(url: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        return table[origin] + rest(url) if origin in table else url

    return rewrite


class RewritingRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects (the OS Downloads API answers with one) through the mirror too."""

    def __init__(self, rewrite: Callable[[str], str]) -> None:
        self._rewrite = rewrite

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return super().redirect_request(req, fp, code, msg, headers, self._rewrite(newurl))


@dataclass(frozen=True)
class Fetcher:
    """Streams URLs through one opener, with retries, backoff and progress reports."""

    opener: urllib.request.OpenerDirector
    rewrite: Callable[[str], str]
    timeout: float
    retries: int
    backoff_s: float
    progress: Progress | None

    def fetch(self, url: str, sink: BinaryIO, *, key: str | None) -> tuple[int, str]:
        """Stream ``url`` into ``sink`` with retries; return its size and sha256."""
        for attempt in range(self.retries + 1):
            sink.seek(0)
            sink.truncate()
            try:
                return self._once(url, sink, key)
            except TransientError as exc:
                if attempt == self.retries:
                    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise FetchError(f"{exc} (gave up after {tries})") from None
                wait = self.backoff_s * 2**attempt
                log.warning("%s: %s; trying again in %.1f s", url, exc, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, sink: BinaryIO, key: str | None) -> tuple[int, str]:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        digest, size, total = hashlib.sha256(), 0, None
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                while chunk := response.read(CHUNK):
                    try:
                        sink.write(chunk)
                    except OSError as exc:  # the disk, not the network: no retry
                        raise FetchError(f"cannot write the download ({exc})") from None
                    digest.update(chunk)
                    size += len(chunk)
                    if self.progress is not None and key is not None:
                        self.progress(key, size, total)
        except urllib.error.HTTPError as exc:
            exc.close()
            message = f"HTTP {exc.code} {exc.reason}"
            raise (TransientError if exc.code in _RETRY_STATUS else FetchError)(message) from None
        except http.client.IncompleteRead as exc:
            got = size + len(exc.partial)
            raise TransientError(f"truncated: the connection closed after {got:,} bytes") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TransientError(f"connection failed: {reason}") from None
        if total is not None and size != total:
            raise TransientError(
                f"truncated: received {size:,} of the {total:,} bytes in Content-Length"
            )
        return size, digest.hexdigest()


def follow_link(item: OfficialFile, page_url: str, fetch: Fetcher) -> str:
    """The URL of the file that the publication page at ``page_url`` links to."""
    buffer = io.BytesIO()
    fetch.fetch(page_url, buffer, key=None)
    text = buffer.getvalue().decode("utf-8", errors="replace")
    hrefs = [
        html.unescape(h).strip()
        for h in re.findall(r"""href\s*=\s*["']([^"']+)""", text, flags=re.I)
    ]
    pattern = re.compile(item.link or "", re.I)
    for href in hrefs:
        if pattern.fullmatch(PurePosixPath(unquote(urlsplit(href).path)).name):
            return fetch.rewrite(urljoin(item.url, href))
    raise FetchError(f"the page links to no file named like {item.link!r} ({len(hrefs)} links)")
