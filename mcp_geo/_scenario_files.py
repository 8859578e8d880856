"""The scenario file's paths and reading: which values are paths, and the TOML text.

A relative path in a scenario file (a sites file, a ``polygon:`` file, ``roads``, ``bases``, a
``reference`` plan folder) is relative to the file's folder: :func:`absolute_paths` makes such
paths absolute on reading, :func:`relative_paths` writes them relative to the folder a file is
written to, and :func:`load_toml` reads the file, every failure a ValidationError naming it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mcp_geo._errors import Problem, ValidationError

PCN_REFERENCE = "pcn"
"""The ``reference`` that means today's Primary Care Networks (anything else is a plan folder)."""


def _path_keys(values: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The path-like values: key -> (prefix, path), for a sites file, polygon:, roads, bases
    and a reference plan's folder."""
    out: dict[str, tuple[str, str]] = {}
    footprint = values.get("footprint")
    if isinstance(footprint, str):
        text = footprint.strip()
        prefix, sep, rest = text.partition(":")
        if sep and prefix.strip().lower() == "polygon" and rest.strip():
            out["footprint"] = ("polygon:", rest.strip())
        elif text.lower().endswith((".csv", ".toml")):
            out["footprint"] = ("", text)
    for key in ("roads", "bases", "reference"):
        path = values.get(key)
        if isinstance(path, str) and path.strip():
            if key == "reference" and path.strip().lower() == PCN_REFERENCE:
                continue
            out[key] = ("", path.strip())
    return out


def _map_paths(values: Mapping[str, Any], change: Callable[[str], str]) -> dict[str, str]:
    return {key: prefix + change(path) for key, (prefix, path) in _path_keys(values).items()}


def _absolute(path: str, folder: Path) -> str:
    return os.path.normpath(os.path.join(folder, os.path.expanduser(path)))


def _relative(path: str, folder: Path) -> str:
    full = os.path.abspath(os.path.expanduser(path))
    try:
        return Path(os.path.relpath(full, os.path.abspath(folder))).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return full


def absolute_paths(values: Mapping[str, Any], *, folder: Path) -> dict[str, str]:
    """The path-like values of ``values`` (footprint files, roads, bases, a reference plan),
    made absolute from ``folder``; the others left out.

    Parameters
    ----------
    values
        Scenario keys and values.
    folder
        The folder relative paths are relative to.

    Returns
    -------
    dict of str to str
        key -> the absolute path (a ``polygon:`` footprint keeps its prefix).
    """
    return _map_paths(values, lambda p: _absolute(p, folder))


def relative_paths(values: Mapping[str, Any], *, folder: Path) -> dict[str, str]:
    """The path-like values of ``values`` written relative to ``folder`` (as :meth:`Scenario.to_toml`
    writes them).

    Parameters
    ----------
    values
        Scenario keys and values.
    folder
        The folder the file is written to.

    Returns
    -------
    dict of str to str
        key -> the relative path.
    """
    return _map_paths(values, lambda p: _relative(p, folder))


def load_toml(path: str | Path) -> dict[str, Any]:
    """The keys and values of a TOML file (UTF-8 or UTF-16), every failure a ValidationError
    naming the file.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict
        The parsed values.

    Raises
    ------
    ValidationError
        The file is missing, a folder, unreadable, not text or not TOML.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError([Problem("scenario file not found", source=str(path))]) from None
    except IsADirectoryError:
        raise ValidationError(
            [Problem("is a folder, not a scenario file", source=str(path))]
        ) from None
    except OSError as exc:
        raise ValidationError(
            [Problem(f"cannot be read: {exc.strerror}", source=str(path))]
        ) from None
    try:
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else None
        values = tomllib.loads(text if text is not None else data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError(
            [Problem("is not a text file (not UTF-8 or UTF-16)", source=str(path))]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            [Problem(f"not a valid TOML file: {exc}", source=str(path))]
        ) from None
    return values
