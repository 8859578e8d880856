"""Read NHS England's list sizes: *Patients Registered at a GP Practice* (``gp-reg-pat-prac-all``).

Two header layouts are in use::

    PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS
    PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,...

and the extract date has been written ``01JAN2021``, ``01Jan2022`` and ``2025-04-01``. Either
way the reader returns the same canonical columns; the CCG of the CCG era is called
``sub_icb_code`` like the Sub-ICB location that replaced it.
"""

from __future__ import annotations

import logging
import re
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

MAX_LIST_SIZE = 1_000_000
"""A list above this is taken for a data error (the largest practice in England has ~100,000)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "extract_date": ("EXTRACT_DATE",),
    "practice_code": ("CODE", "PRACTICE_CODE", "ORG_CODE"),
    "postcode": ("POSTCODE", "PRACTICE_POSTCODE"),
    "sub_icb_code": ("SUB_ICB_LOCATION_CODE", "SUB_ICB_CODE", "CCG_CODE"),
    "sub_icb_ons_code": ("ONS_SUB_ICB_LOCATION_CODE", "ONS_SUB_ICB_CODE", "ONS_CCG_CODE"),
    "patients": ("NUMBER_OF_PATIENTS", "NUMBER_OF_REGISTERED_PATIENTS"),
}
"""Canonical column -> the names the publisher has used for it."""

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("TYPE", "ORG_TYPE"),
    "sex": ("SEX",),
    "age": ("AGE",),
}

DATA_COLUMNS: tuple[str, ...] = (
    "practice_code",
    "postcode",
    "sub_icb_code",
    "sub_icb_ons_code",
    "patients",
    "line",
)

_INTEGER = re.compile(r"^[+-]?\d+$")


def read_list_sizes(path: str | Path) -> OfficialTable:
    """Read a ``gp-reg-pat-prac-all`` file (``.csv`` or the publisher's ``.zip``).

    Only practice totals are read: rows with ``SEX``/``AGE`` other than ``ALL`` and rows whose
    ``TYPE`` is not ``GP`` are skipped where those columns exist.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OfficialTable
        ``data`` has the columns :data:`DATA_COLUMNS` (``patients`` int64, ``line`` the row's line
        in the file), one row per practice code, in file order. ``exclusions`` lists the practice
        rows that cannot be used: ``invalid_list_size`` (not an integer, negative, or over
        :data:`MAX_LIST_SIZE`), ``zero_patients``, ``missing_code`` and ``duplicate_code`` (the
        first row of a code is kept). ``extract_date`` is the file's EXTRACT_DATE.

    Raises
    ------
    ValidationError
        If the file is empty or truncated, lacks a column (every missing column is named with
        the columns found), or its extract dates are unreadable or disagree.

    Examples
    --------
    >>> table = read_list_sizes("data/nhs/gp-reg-pat-prac-all_2025-04.csv")  # doctest: +SKIP
    >>> table.extract_date, int(table.data.patients.sum())  # doctest: +SKIP
    (datetime.date(2025, 4, 1), 63769849)
    """
    raw = read_rows(path, has_header=True)
    where = locate_columns(raw, COLUMNS, optional=OPTIONAL_COLUMNS)
    snapshot_date = extract_date(raw, where["extract_date"])
    candidates: list[dict[str, object]] = []
    dropped: list[dict[str, str]] = []
    skipped = 0
    for values, line in zip(raw.rows, raw.lines, strict=True):

        def get(column: str, values: list[str] = values) -> str:
            index = where.get(column)
            return values[index] if index is not None and index < len(values) else ""

        if any(
            column in where and get(column).upper() != wanted
            for column, wanted in (("sex", "ALL"), ("age", "ALL"), ("type", "GP"))
        ):
            skipped += 1
            continue
        code = get("practice_code").upper()
        if not code:
            source = f"{raw.name}:{line}"
            dropped.append(
                exclusion("", reason="missing_code", source=source, detail="field 'CODE' is empty")
            )
            continue
        candidates.append(
            {
                "practice_code": code,
                "postcode": get("postcode"),
                "sub_icb_code": get("sub_icb_code").upper(),
                "sub_icb_ons_code": get("sub_icb_ons_code").upper(),
                "patients": get("patients"),
                "line": line,
            }
        )
    if skipped:
        log.debug("%s: skipped %d rows that are not practice totals", raw.name, skipped)
    # duplicates first, so that a code is kept or excluded exactly once whatever its rows hold
    candidates, duplicates = split_duplicates(raw, candidates)
    rows: list[dict[str, object]] = []
    for row in candidates:
        text = str(row["patients"])
        problem = _list_size_problem(text)
        if problem is None:
            rows.append({**row, "patients": int(text)})
            continue
        reason, why = problem
        dropped.append(
            exclusion(
                str(row["practice_code"]),
                reason=reason,
                source=f"{raw.name}:{row['line']}",
                detail=f"field 'NUMBER_OF_PATIENTS' {why}: {text!r}",
            )
        )
    data = pd.DataFrame(rows, columns=list(DATA_COLUMNS)).astype(
        {"patients": "int64", "line": "int64"}
    )
    log.info(
        "%s: %d practices, %d patients, extract date %s; %d rows excluded",
        raw.name,
        len(data),
        int(data["patients"].sum()),
        snapshot_date,
        len(dropped) + len(duplicates),
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


def _list_size_problem(text: str) -> tuple[str, str] | None:
    if not _INTEGER.match(text):
        return "invalid_list_size", "is not a whole number"
    value = int(text)
    if value < 0:
        return "invalid_list_size", "is negative"
    if value > MAX_LIST_SIZE:
        return "invalid_list_size", f"is over {MAX_LIST_SIZE:,}"
    if value == 0:
        return "zero_patients", "is zero"
    return None
