"""Look postcodes up in Ordnance Survey's Code-Point Open: postcode -> easting/northing.

Code-Point Open ships one headerless CSV per postcode area (``codepo_gb/Data/CSV/st.csv`` for
ST, 120 files, about 160 MB) with the columns ``Postcode, Positional_quality_indicator, Eastings,
Northings, Country_code, ...``; coordinates are British National Grid (EPSG:27700). Only the area
files that the wanted postcodes need are read, and only their first five columns.

A postcode with quality 90 or coordinates 0,0 has no position and counts as not found.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)

ENGLAND = "E92000001"
"""Code-Point Open's country code for England."""

NO_POSITION_QUALITY = 90
"""Positional quality meaning "no coordinates"."""

COLUMNS: tuple[str, ...] = ("postcode", "quality", "easting", "northing", "country_code")

_AREA = re.compile(r"^[A-Z]{1,2}")
_AREA_FILE = re.compile(r"(?:^|/)([A-Za-z]{1,2})\.csv$")


def normalise_postcode(value: object) -> str:
    """Return a postcode in matching form: upper case, no spaces.

    Parameters
    ----------
    value
        A postcode as written anywhere; None and NaN give ``""``.

    Examples
    --------
    >>> normalise_postcode(" st4 7 ln")
    'ST47LN'
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", "", str(value)).upper()


def postcode_area(value: str) -> str:
    """Return the postcode area: the leading letters (``ST`` for ``ST4 7LN``, ``B`` for ``B1``).

    Parameters
    ----------
    value
        A postcode, in any case and spacing.

    Examples
    --------
    >>> postcode_area("ST4 7LN"), postcode_area("b1 1aa"), postcode_area("123")
    ('ST', 'B', '')
    """
    match = _AREA.match(normalise_postcode(value))
    return match.group(0) if match else ""


def find_area_files(codepoint: str | Path) -> dict[str, tuple[Path, str | None]]:
    """List the area files of a Code-Point Open copy.

    Parameters
    ----------
    codepoint
        The ``codepo_gb`` folder, its ``Data/CSV`` folder, a folder that holds ``codepo_gb``, or
        the publisher's ``codepo_gb.zip``.

    Returns
    -------
    dict
        Postcode area (upper case) -> (file, zip member or ``None``).

    Raises
    ------
    ValidationError
        If no area file is found there.
    """
    root = Path(codepoint)
    files: dict[str, tuple[Path, str | None]] = {}
    if root.is_file() and root.suffix.lower() == ".zip":
        with zipfile.ZipFile(root) as archive:
            for member in archive.namelist():
                match = _AREA_FILE.search(member)
                if match and "data/csv/" in member.lower():
                    files[match.group(1).upper()] = (root, member)
    else:
        for folder in (root, root / "Data" / "CSV", root / "codepo_gb" / "Data" / "CSV"):
            if folder.is_dir():
                for path in sorted(folder.glob("*.csv")):
                    match = _AREA_FILE.search(path.name)
                    if match:
                        files.setdefault(match.group(1).upper(), (path, None))
            if files:
                break
    if not files:
        raise ValidationError(
            [
                Problem(
                    "no Code-Point Open area files (<area>.csv) found; give the codepo_gb "
                    "folder, its Data/CSV folder or codepo_gb.zip",
                    source=str(root),
                )
            ],
            context="cannot read Code-Point Open",
        )
    return files


def lookup_postcodes(postcodes: Iterable[str], *, codepoint: str | Path) -> pd.DataFrame:
    """Find the position of each postcode in Code-Point Open.

    Parameters
    ----------
    postcodes
        Postcodes in any spelling (case and spaces do not matter).
    codepoint
        Where Code-Point Open is (see :func:`find_area_files`).

    Returns
    -------
    pandas.DataFrame
        Indexed by normalised postcode, one row per postcode found with a position; columns
        ``postcode`` (as Code-Point writes it), ``quality`` (int), ``easting``, ``northing``
        (float, EPSG:27700) and ``country_code``. Postcodes not found, and those with quality 90
        or coordinates 0,0, are absent.

    Raises
    ------
    ValidationError
        If an area file that is needed cannot be read as Code-Point Open.

    Examples
    --------
    >>> found = lookup_postcodes(["ST4 7LN"], codepoint="data/geo/codepo_gb")  # doctest: +SKIP
    >>> found.loc["ST47LN", ["easting", "northing"]].tolist()  # doctest: +SKIP
    [387795.0, 345234.0]
    """
    wanted = {normalise_postcode(p) for p in postcodes} - {""}
    areas = sorted({postcode_area(p) for p in wanted} - {""})
    files = find_area_files(codepoint)
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    missing = [a for a in areas if a not in files]
    if missing:
        log.warning("Code-Point Open has no file for postcode areas %s", ", ".join(missing))
    for area in areas:
        if area not in files:
            continue
        path, member = files[area]
        name = f"{path.name}!{member}" if member else path.name
        try:
            frame = _read_area(path, member)
        except (ValueError, pd.errors.ParserError) as exc:
            problems.append(Problem(f"not a Code-Point Open area file ({exc})", source=name))
            continue
        keys = [text.replace(" ", "").upper() for text in frame["postcode"].tolist()]
        mask = [key in wanted for key in keys]
        frames.append(frame.loc[mask].set_axis([k for k, m in zip(keys, mask, strict=True) if m]))
    if problems:
        raise ValidationError(problems, context="cannot read Code-Point Open")
    if frames:
        found = pd.concat(frames)
    else:
        found = pd.DataFrame(columns=list(COLUMNS)).astype(
            {"quality": "int64", "easting": "float64", "northing": "float64"}
        )
    positioned = (found["quality"] != NO_POSITION_QUALITY) & ~(
        (found["easting"] == 0) & (found["northing"] == 0)
    )
    found = found.loc[positioned]
    found = found.loc[~found.index.duplicated(keep="first")]
    found.index.name = "key"
    log.info(
        "Code-Point Open: %d of %d postcodes found in %d area files",
        len(found),
        len(wanted),
        len([a for a in areas if a in files]),
    )
    return found


def _read_area(path: Path, member: str | None) -> pd.DataFrame:
    if member is None:
        return _read_codepoint_csv(path)
    with zipfile.ZipFile(path) as archive:
        return _read_codepoint_csv(io.BytesIO(archive.read(member)))


def _read_codepoint_csv(source: Path | io.BytesIO) -> pd.DataFrame:
    return pd.read_csv(
        source,
        header=None,
        names=list(COLUMNS),
        usecols=[0, 1, 2, 3, 4],
        dtype={
            "postcode": "str",
            "quality": "int64",
            "easting": "float64",
            "northing": "float64",
            "country_code": "str",
        },
        keep_default_na=False,
        encoding="latin-1",
    )
