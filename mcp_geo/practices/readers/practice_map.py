"""Read NHS England's practice map: practice -> PCN -> CCG/Sub-ICB -> STP/ICB -> region.

The file is ``gp-reg-pat-prac-map.csv``. CCG-era files name the parents ``CCG_*`` and ``STP_*``;
Sub-ICB-era files name them ``SUB_ICB_LOCATION_*`` and ``ICB_*`` and add ``SUPPLIER_NAME``.
The reader returns one vocabulary for both: ``sub_icb_*`` (the CCG in the CCG era) and ``icb_*``
(the STP in the CCG era). A PCN code ``U`` / name ``Unallocated`` means "no PCN" and is stored
as missing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from mcp_geo.practices.readers._csv import (
    OfficialTable,
    exclusion,
    exclusions_frame,
    extract_date,
    locate_columns,
    read_rows,
    split_duplicates,
)

log = logging.getLogger(__name__)

COLUMNS: dict[str, tuple[str, ...]] = {
    "extract_date": ("EXTRACT_DATE",),
    "practice_code": ("PRACTICE_CODE", "CODE"),
    "practice_name": ("PRACTICE_NAME", "NAME"),
    "postcode": ("PRACTICE_POSTCODE", "POSTCODE"),
    "pcn_code": ("PCN_CODE",),
    "pcn_name": ("PCN_NAME",),
    "sub_icb_ons_code": ("ONS_SUB_ICB_LOCATION_CODE", "ONS_SUB_ICB_CODE", "ONS_CCG_CODE"),
    "sub_icb_code": ("SUB_ICB_LOCATION_CODE", "SUB_ICB_CODE", "CCG_CODE"),
    "sub_icb_name": ("SUB_ICB_LOCATION_NAME", "SUB_ICB_NAME", "CCG_NAME"),
    "icb_ons_code": ("ONS_ICB_CODE", "ONS_STP_CODE"),
    "icb_code": ("ICB_CODE", "STP_CODE"),
    "icb_name": ("ICB_NAME", "STP_NAME"),
    "region_ons_code": ("ONS_COMM_REGION_CODE", "ONS_REGION_CODE", "ONS_NHSER_CODE"),
    "region_code": ("COMM_REGION_CODE", "REGION_CODE", "NHSER_CODE"),
    "region_name": ("COMM_REGION_NAME", "REGION_NAME", "NHSER_NAME"),
}
"""Canonical column -> the names the publisher has used for it."""

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"supplier_name": ("SUPPLIER_NAME",)}

DATA_COLUMNS: tuple[str, ...] = (*(c for c in COLUMNS if c != "extract_date"), "supplier_name")

NO_PCN_CODES = frozenset({"U", "UNALLOCATED", ""})
NO_PCN_NAMES = frozenset({"UNALLOCATED", ""})

_UPPER = ("practice_code", "sub_icb_code", "sub_icb_ons_code", "icb_code", "icb_ons_code")


def read_practice_map(path: str | Path) -> OfficialTable:
    """Read a ``gp-reg-pat-prac-map`` file of either era (``.csv`` or ``.zip``).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OfficialTable
        ``data`` has the columns :data:`DATA_COLUMNS` plus ``line``; ``pcn_code``, ``pcn_name``
        and ``supplier_name`` are ``None`` where missing (``U`` / ``Unallocated`` PCNs included).
        ``exclusions`` holds rows with no practice code (``missing_code``) and repeated codes
        (``duplicate_code``, the first row is kept). ``extract_date`` is the file's EXTRACT_DATE.

    Raises
    ------
    ValidationError
        If the file is empty or truncated, lacks a column, or has unreadable extract dates.
    """
    raw = read_rows(path, has_header=True)
    where = locate_columns(raw, COLUMNS, optional=OPTIONAL_COLUMNS)
    snapshot_date = extract_date(raw, where["extract_date"])
    rows: list[dict[str, object]] = []
    dropped: list[dict[str, str]] = []
    for values, line in zip(raw.rows, raw.lines, strict=True):
        row: dict[str, object] = {"line": line}
        for column in DATA_COLUMNS:
            index = where.get(column)
            text = values[index] if index is not None and index < len(values) else ""
            row[column] = text.upper() if column in _UPPER else text
        if not row["practice_code"]:
            dropped.append(
                exclusion(
                    "",
                    reason="missing_code",
                    source=f"{raw.name}:{line}",
                    detail="field 'PRACTICE_CODE' is empty",
                )
            )
            continue
        if (
            str(row["pcn_code"]).upper() in NO_PCN_CODES
            or str(row["pcn_name"]).upper() in NO_PCN_NAMES
        ):
            row["pcn_code"] = row["pcn_name"] = None
        if not row["supplier_name"]:
            row["supplier_name"] = None
        rows.append(row)
    rows, duplicates = split_duplicates(raw, rows)
    data = pd.DataFrame(rows, columns=[*DATA_COLUMNS, "line"]).astype({"line": "int64"})
    log.info(
        "%s: %d practices, %d PCNs, extract date %s",
        raw.name,
        len(data),
        data["pcn_code"].nunique(),
        snapshot_date,
    )
    return OfficialTable(
        data=data,
        exclusions=exclusions_frame(dropped + duplicates),
        path=raw.path,
        name=raw.name,
        encoding=raw.encoding,
        extract_date=snapshot_date,
        columns_found=raw.header,
    )
