"""Shared fixtures: the real official data, and writers of small hand-made files."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

LIST_HEADER_SUB_ICB = (
    "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,"
    "POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
)
LIST_HEADER_CCG = (
    "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
)
MAP_HEADER_SUB_ICB = (
    "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
    "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,"
    "ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME"
)
MAP_HEADER_CCG = (
    "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
    "ONS_CCG_CODE,CCG_CODE,CCG_NAME,ONS_STP_CODE,STP_CODE,STP_NAME,ONS_COMM_REGION_CODE,"
    "COMM_REGION_CODE,COMM_REGION_NAME"
)


def list_row(code: str, patients: str, postcode: str = "ST4 7LN", sub_icb: str = "05W") -> str:
    """One list-size row of the Sub-ICB layout, extract date 2025-04-01."""
    return (
        f"GP_PRAC_PAT_LIST,2025-04-01,GP,{sub_icb},E38000175,{code},{postcode},ALL,ALL,{patients}"
    )


def register_row(
    code: str,
    *,
    name: str = "A SURGERY",
    postcode: str = "ST4 7LN",
    opened: str = "19740401",
    closed: str = "",
    status: str = "ACTIVE",
    commissioner: str = "05W",
    setting: str = "RO76",
) -> str:
    """One epraccur row: 27 quoted fields, the used ones filled in."""
    fields = [""] * 27
    fields[0], fields[1], fields[9], fields[10], fields[11] = code, name, postcode, opened, closed
    fields[12], fields[14], fields[25] = status, commissioner, setting
    return ",".join(f'"{f}"' for f in fields)


@pytest.fixture
def fmt() -> SimpleNamespace:
    """Headers and row makers of the official layouts, for hand-made files."""
    return SimpleNamespace(
        LIST_HEADER_SUB_ICB=LIST_HEADER_SUB_ICB,
        LIST_HEADER_CCG=LIST_HEADER_CCG,
        MAP_HEADER_SUB_ICB=MAP_HEADER_SUB_ICB,
        MAP_HEADER_CCG=MAP_HEADER_CCG,
        list_row=list_row,
        register_row=register_row,
    )


@pytest.fixture
def write(tmp_path: Path):
    """Write text to a file in tmp_path with the given line ending and encoding."""

    def _write(
        name: str, lines: list[str], *, eol: str = "\r\n", encoding: str = "utf-8", final=True
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = eol.join(lines) + (eol if final else "")
        path.write_bytes(text.encode(encoding))
        return path

    return _write
