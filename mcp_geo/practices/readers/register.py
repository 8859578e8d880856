"""Read the ODS GP practice register (``epraccur``): names, postcodes, dates, status, commissioner.

The file has no header and 27 quoted fields per row. The fields this package uses (1-based, as
ODS numbers them)::

     1 organisation code        10 postcode             15 commissioner (CCG / Sub-ICB)
     2 name                     11 open date (YYYYMMDD) 26 prescribing setting
     4 high-level health        12 close date
       geography (the ICB)      13 status
     5-8 address lines 1-4 (4: the post town)

Field 8 is the post town in the current layout (every practice of ``epraccur_2026-06`` has one);
older registers fill the address lines from the top, so there field 8 may be a county or empty.
A practice's ``town`` (:func:`place_of`) is the place its address names: the locality of
address line 3 or 2 where one is given (``LONGTON``, ``BIDDULPH``: a line without digits that
is not a street or a building), else the post town; many practices of one city share its post
town, so the locality tells them apart on a map.

Field 4 is the practice's ICB in registers since the ICBs (July 2022); older registers hold
NHS England's local office there (``Q74``), which this package does not use.

Two vocabularies are in use. Until 2025 the status was a letter (``A`` active, ``C`` closed,
``D`` dormant, ``P`` proposed) and the prescribing setting a number (``4`` = GP practice). The
2026 files write words (``ACTIVE``, ``INACTIVE``, ``DORMANT``) and ODS role codes (``RO76`` = GP
practice, sometimes ``RO76|RO268``). The reader maps both to :data:`STATUSES` and a boolean
``is_gp_practice``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem
from mcp_geo.practices.readers._csv import (
    OfficialTable,
    common_width,
    exclusion,
    exclusions_frame,
    parse_date,
    raise_problems,
    read_rows,
    split_duplicates,
)

log = logging.getLogger(__name__)

FIELDS = 27
"""Fields per row of the standard layout."""

# 0-based positions in a row
_CODE, _NAME, _GEOGRAPHY, _TOWN, _POSTCODE, _OPEN, _CLOSE, _STATUS, _COMMISSIONER, _SETTING = (
    0,
    1,
    3,
    7,
    9,
    10,
    11,
    12,
    14,
    25,
)
_MIN_FIELDS = _SETTING + 1

STATUSES: dict[str, str] = {
    "A": "active",
    "ACTIVE": "active",
    "C": "closed",
    "CLOSED": "closed",
    "D": "dormant",
    "DORMANT": "dormant",
    "P": "proposed",
    "PROPOSED": "proposed",
    "I": "inactive",
    "INACTIVE": "inactive",
}
"""The publisher's status values (old letters and 2026 words) -> one vocabulary."""

GP_PRACTICE_SETTINGS = frozenset({"4", "RO76"})
"""Prescribing-setting values that mean "GP practice" (old number, new ODS role code)."""

DATA_COLUMNS: tuple[str, ...] = (
    "practice_code",
    "name",
    "postcode",
    "town",
    "open_date",
    "close_date",
    "status",
    "status_raw",
    "commissioner",
    "icb_code",
    "setting",
    "is_gp_practice",
    "line",
)

_HEADER_FIRST_FIELDS = frozenset(
    {"CODE", "ORGANISATION_CODE", "ORGANISATION CODE", "PRACTICE_CODE"}
)


def normalise_status(value: str) -> str | None:
    """Return the status in :data:`STATUSES`' vocabulary, or ``None`` if it is not one.

    Parameters
    ----------
    value
        The register's status field: a code (``A``, ``C``, ``D``, ``I``, ``P``) or the word, any
        case.

    Examples
    --------
    >>> normalise_status("A"), normalise_status("INACTIVE"), normalise_status("x")
    ('active', 'inactive', None)
    """
    return STATUSES.get(value.strip().upper())


def is_gp_setting(value: str) -> bool:
    """Whether a prescribing-setting value means GP practice (``4``, ``RO76``, ``RO76|RO268``).

    Parameters
    ----------
    value
        The register's prescribing-setting field: a number, or ODS role codes joined by ``|``.

    Examples
    --------
    >>> is_gp_setting("4"), is_gp_setting("RO76|RO268"), is_gp_setting("RO72")
    (True, True, False)
    """
    return any(part.strip().upper() in GP_PRACTICE_SETTINGS for part in value.split("|"))


_NOT_PLACES = frozenset(
    [
        "ROAD",
        "STREET",
        "LANE",
        "AVENUE",
        "DRIVE",
        "WAY",
        "CLOSE",
        "PLACE",
        "SQUARE",
        "CRESCENT",
        "TERRACE",
        "PARADE",
        "GROVE",
        "GARDENS",
        "WALK",
        "ROW",
        "COURT",
        "MEWS",
        "RISE",
        "BOULEVARD",
        "PRECINCT",
        "ARCADE",
        "YARD",
        "CENTRE",
        "CENTER",
        "SURGERY",
        "HOUSE",
        "PRACTICE",
        "HOSPITAL",
        "CLINIC",
        "BUILDING",
        "BUILDINGS",
        "UNIT",
        "FLOOR",
        "SUITE",
        "MEDICAL",
        "HEALTH",
        "ESTATE",
        "OFFICE",
        "OFFICES",
        "CHAMBERS",
        "LODGE",
        "HALL",
        "BLOCK",
        "WING",
        "ST",
        "RD",
    ]
)
_ADDRESS = (4, 5, 6)  # address lines 1-3 (0-based fields)


def place_of(values: list[str]) -> str:
    """The place a register row's address names: a locality line, else the post town.

    Parameters
    ----------
    values
        The row's fields (0-based; address lines 1-4 are fields 4-7).

    Examples
    --------
    >>> place_of(["", "", "", "", "54 TRENTHAM ROAD", "LONGTON", "", "STOKE-ON-TRENT"])
    'LONGTON'
    >>> place_of(["", "", "", "", "CHELL HEATH ROAD", "", "", "STOKE-ON-TRENT"])
    'STOKE-ON-TRENT'
    """
    town = values[_TOWN].strip() if len(values) > _TOWN else ""
    for index in reversed(_ADDRESS[1:]):
        line = values[index].strip().upper() if len(values) > index else ""
        words = set(line.replace(",", " ").replace(".", " ").split())
        if (
            line
            and line != town
            and not any(c.isdigit() for c in line)
            and not (words & _NOT_PLACES)
        ):
            return line
    return town


def read_register(path: str | Path) -> OfficialTable:
    """Read an ``epraccur`` file (``.csv`` or the ODS ``.zip``).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OfficialTable
        ``data`` has the columns :data:`DATA_COLUMNS`: dates as ``datetime.date`` or ``None``,
        ``status`` normalised, ``status_raw`` as written, ``icb_code`` field 4 as written
        (upper case; an ICB only in registers since 2022), ``is_gp_practice`` from the
        prescribing setting. Every organisation row is kept, GP practice or not (a list-size
        file, not this register, says which practices a snapshot plans). ``exclusions`` holds
        rows that cannot be used: too few fields (``malformed_row``), a date that is not
        YYYYMMDD (``invalid_date``), an unknown status (``invalid_status``), a missing or
        repeated code (``missing_code``, ``duplicate_code``).

    Raises
    ------
    ValidationError
        If the file is empty or truncated, or its rows do not have the register's layout.
    """
    raw = read_rows(path, has_header=False)
    if raw.rows and raw.rows[0] and raw.rows[0][0].upper() in _HEADER_FIRST_FIELDS:
        raw.rows.pop(0)
        raw.lines.pop(0)
    width = common_width(raw.rows) if raw.rows else 0
    layout = []
    if width < _MIN_FIELDS:
        layout.append(
            Problem(
                f"expected the ODS register layout of {FIELDS} fields per row without a "
                f"header; most rows have {width}",
                source=raw.name,
                value=",".join(raw.rows[0][:6]) if raw.rows else None,
            )
        )
    raise_problems(raw, layout)
    rows: list[dict[str, object]] = []
    dropped: list[dict[str, str]] = []
    for values, line in zip(raw.rows, raw.lines, strict=True):
        source = f"{raw.name}:{line}"
        code = values[_CODE].upper() if values else ""
        if len(values) < _MIN_FIELDS:
            dropped.append(
                exclusion(
                    code,
                    reason="malformed_row",
                    source=source,
                    detail=f"row has {len(values)} fields, expected {FIELDS}",
                )
            )
            continue
        if not code:
            dropped.append(
                exclusion(
                    "", reason="missing_code", source=source, detail="field 1 (code) is empty"
                )
            )
            continue
        problems: list[tuple[str, str]] = []
        dates = {}
        for index, label in ((_OPEN, "open_date"), (_CLOSE, "close_date")):
            text = values[index]
            dates[label] = parse_date(text) if text else None
            if text and (dates[label] is None or not text.isdigit()):
                problems.append(("invalid_date", f"field {label!r} is not YYYYMMDD: {text!r}"))
        status = normalise_status(values[_STATUS])
        if status is None:
            problems.append(
                (
                    "invalid_status",
                    f"field 'status' is not one of {sorted(STATUSES)}: {values[_STATUS]!r}",
                )
            )
        if problems:
            dropped.append(
                exclusion(
                    code,
                    reason=problems[0][0],
                    source=source,
                    detail="; ".join(p[1] for p in problems),
                )
            )
            continue
        rows.append(
            {
                "practice_code": code,
                "name": values[_NAME],
                "postcode": values[_POSTCODE],
                "town": place_of(values),
                "open_date": dates["open_date"],
                "close_date": dates["close_date"],
                "status": status,
                "status_raw": values[_STATUS],
                "commissioner": values[_COMMISSIONER].upper(),
                "icb_code": values[_GEOGRAPHY].strip().upper(),
                "setting": values[_SETTING],
                "is_gp_practice": is_gp_setting(values[_SETTING]),
                "line": line,
            }
        )
    rows, duplicates = split_duplicates(raw, rows)
    data = pd.DataFrame(rows, columns=list(DATA_COLUMNS)).astype(
        {"line": "int64", "is_gp_practice": "bool"}
    )
    log.info(
        "%s: %d organisations (%d GP practices), %d rows excluded",
        raw.name,
        len(data),
        int(data["is_gp_practice"].sum()),
        len(dropped) + len(duplicates),
    )
    return OfficialTable(
        data=data,
        exclusions=exclusions_frame(dropped + duplicates),
        path=raw.path,
        name=raw.name,
        encoding=raw.encoding,
    )
