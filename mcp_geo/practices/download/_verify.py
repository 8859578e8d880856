"""Checks and atomic installs for :mod:`mcp_geo.practices.download.official`.

Everything here works on temporary files beside the destination and raises
:class:`~mcp_geo.practices.download._fetch.FetchError` with a plain description of what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from mcp_geo.practices.download._fetch import CHUNK, FetchError
from mcp_geo.practices.sources import OfficialFile

_HEAD = 1 << 16


def temp_path(target: Path, temps: list[Path], *, folder: bool = False) -> Path:
    """A fresh hidden temporary file (or folder) beside ``target``, removed at the end."""
    prefix, suffix = f".{target.name}.", ".part"
    if folder:
        path = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=target.parent))
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
        os.close(handle)
        path = Path(name)
    temps.append(path)
    return path


def extract_member(item: OfficialFile, *, payload: Path, target: Path, temps: list[Path]) -> Path:
    """Take the CSV out of the publisher's zip into a temporary file (CRC checked)."""
    if item.member is None:
        raise FetchError("the server sent a zip archive where a CSV was expected")
    pattern = re.compile(item.member, re.I)
    try:
        with zipfile.ZipFile(payload) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            found = [i for i in infos if pattern.fullmatch(PurePosixPath(i.filename).name)]
            if len(found) != 1:
                names = ", ".join(i.filename for i in infos[:8]) or "nothing"
                raise FetchError(
                    f"the zip holds {len(found)} members named like {item.member!r}, "
                    f"not 1 (it holds {names})"
                )
            out = temp_path(target, temps)
            with archive.open(found[0]) as source, out.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK)
    except zipfile.BadZipFile as exc:
        raise FetchError(f"the zip archive is damaged ({exc})") from None
    return out


def install_tree(item: OfficialFile, *, payload: Path, target: Path, temps: list[Path]) -> None:
    """Extract the archive into a temporary folder, check it, then swap it in for ``target``."""
    pattern = re.compile(item.member or "", re.I)
    try:
        with zipfile.ZipFile(payload) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            tops = {PurePosixPath(i.filename).parts[0] for i in infos}
            strip = f"{target.name}/" if tops == {target.name} else ""  # codepo_gb/Data/...
            relative = {i.filename: PurePosixPath(i.filename[len(strip) :]) for i in infos}
            data = [i for i in infos if pattern.fullmatch(relative[i.filename].as_posix())]
            if len(data) < item.min_records:
                raise FetchError(
                    f"the zip holds {len(data)} members named like {item.member!r}, fewer than "
                    f"the {item.min_records} expected"
                )
            staging = temp_path(target, temps, folder=True)
            for info in infos:
                rel = relative[info.filename]
                if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                    raise FetchError(f"the zip holds an unsafe member path {info.filename!r}")
                out = staging.joinpath(*rel.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, out.open("wb") as sink:
                    shutil.copyfileobj(source, sink, CHUNK)
    except zipfile.BadZipFile as exc:
        raise FetchError(f"not a readable zip archive ({exc})") from None
    for info in data:
        check_csv_head(item, staging.joinpath(*relative[info.filename].parts), info.filename)
    os.chmod(staging, 0o755)  # temporary folders are created private (0700)
    foreign = _files_under(target) - _files_under(staging)
    if foreign:
        shown = ", ".join(sorted(foreign)[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise FetchError(
            f"{target} holds files that are not in the official archive ({shown}); they were "
            "left as they are and the folder was not replaced: move them away and download again"
        )
    old = None
    if target.exists():
        old = target.with_name(f"{staging.name}.old")
        os.replace(target, old)
        temps.append(old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise


def _files_under(folder: Path) -> set[str]:
    """The paths of the files (and links) under ``folder``, relative to it; empty if missing."""
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def check_csv_head(item: OfficialFile, path: Path, name: str = "") -> None:
    """The first line has the expected columns (or field count), and is not an HTML page."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    where = f"{name}: " if name else ""
    if head.lstrip()[:1] == b"<":
        raise FetchError(f"{where}the server sent an HTML or XML page, not a CSV{snippet(path)}")
    first = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig", errors="replace")
    cells = [c.strip() for c in next(csv.reader([first]), [])]
    if item.header and [c.upper() for c in cells[: len(item.header)]] != list(item.header):
        raise FetchError(
            f"{where}the first line does not start with the columns {','.join(item.header)} "
            f"(got {first[:120]!r})"
        )
    if item.fields is not None and len(cells) != item.fields:
        raise FetchError(
            f"{where}the first line has {len(cells)} fields, not {item.fields} "
            f"(got {first[:120]!r})"
        )


def check_csv(item: OfficialFile, path: Path) -> None:
    check_csv_head(item, path)
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    rows = lines + (last != b"\n") - (1 if item.header else 0)
    if rows < item.min_records:
        raise FetchError(f"only {rows:,} data rows, fewer than the {item.min_records:,} expected")


def check_geojson(item: OfficialFile, path: Path) -> None:
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"not valid JSON ({exc}){snippet(path)}") from None
    if isinstance(document, dict) and "error" in document:  # ArcGIS errors come with HTTP 200
        raise FetchError(f"the service answered with an error: {document['error']!r}"[:300])
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise FetchError(f"not a GeoJSON FeatureCollection{snippet(path)}")
    features = document.get("features")
    properties = document.get("properties")
    if document.get("exceededTransferLimit") or (
        isinstance(properties, dict) and properties.get("exceededTransferLimit")
    ):
        raise FetchError("the service cut the answer short (exceededTransferLimit)")
    if not isinstance(features, list) or len(features) < item.min_records:
        count = len(features) if isinstance(features, list) else 0
        raise FetchError(f"{count} features, fewer than the {item.min_records} expected")
    first = features[0].get("properties") if features and isinstance(features[0], dict) else None
    names = {str(k).upper() for k in first} if isinstance(first, dict) else set()
    missing = [h for h in item.header if h.upper() not in names]
    if missing:
        raise FetchError(f"the features lack the properties {', '.join(missing)}")


def sha256_of(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def snippet(path: Path) -> str:
    """The start of a file, for messages about what the server sent instead."""
    with path.open("rb") as handle:
        text = handle.read(80).decode("utf-8", errors="replace")
    return f" (it starts {text!r})" if text else " (it is empty)"


def remove_temps(temps: list[Path]) -> None:
    """Remove the temporary files and folders of one download, whatever happened."""
    for path in temps:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
