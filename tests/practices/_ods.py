"""A hand-made ODS organisation file (``eauth``) in the official layout, for the tests.

No copy of the publisher's file is at hand, so this one is written from what is known: the
layout is ODS's standard one (27 quoted fields, no header; code, name, national grouping,
high-level geography, five address lines, postcode, open date, close date, ...); the codes are
the real ones of the June 2026 register (field 4) and of NHS England's regions; the names of
the ICBs that did not change are the October 2025 practice map's, in the capitals ODS writes.
The addresses, the dates (QNC closing on 31 March 2027 among them) and the name of S9B9J are
made up for the tests. The file leaves out
five of the six ICBs of April 2026 (their names are not known here), so that a loader test sees
current ICBs the file does not name.
"""

from __future__ import annotations

from collections.abc import Iterable

REGIONS = {
    "Y56": "LONDON COMMISSIONING REGION",
    "Y58": "SOUTH WEST COMMISSIONING REGION",
    "Y59": "SOUTH EAST COMMISSIONING REGION",
    "Y60": "MIDLANDS COMMISSIONING REGION",
    "Y61": "EAST OF ENGLAND COMMISSIONING REGION",
    "Y62": "NORTH WEST COMMISSIONING REGION",
    "Y63": "NORTH EAST AND YORKSHIRE COMMISSIONING REGION",
}

UNCHANGED = {
    "QE1": "LANCASHIRE AND SOUTH CUMBRIA",
    "QF7": "SOUTH YORKSHIRE",
    "QGH": "HEREFORDSHIRE AND WORCESTERSHIRE",
    "QHL": "BIRMINGHAM AND SOLIHULL",
    "QHM": "NORTH EAST AND NORTH CUMBRIA",
    "QJ2": "DERBY AND DERBYSHIRE",
    "QJK": "DEVON",
    "QJM": "LINCOLNSHIRE",
    "QK1": "LEICESTER, LEICESTERSHIRE AND RUTLAND",
    "QKK": "SOUTH EAST LONDON",
    "QKS": "KENT AND MEDWAY",
    "QMF": "NORTH EAST LONDON",
    # as the 2020 practice maps wrote it, so that a test can tell the file's name from the map's
    "QNC": "STAFFORDSHIRE AND STOKE ON TRENT",
    "QOC": "SHROPSHIRE, TELFORD AND WREKIN",
    "QOP": "GREATER MANCHESTER",
    "QOQ": "HUMBER AND NORTH YORKSHIRE",
    "QOX": "BATH AND NORTH EAST SOMERSET, SWINDON AND WILTSHIRE",
    "QPM": "NORTHAMPTONSHIRE",
    "QR1": "GLOUCESTERSHIRE",
    "QRL": "HAMPSHIRE AND ISLE OF WIGHT",
    "QSL": "SOMERSET",
    "QT1": "NOTTINGHAM AND NOTTINGHAMSHIRE",
    "QT6": "CORNWALL AND THE ISLES OF SCILLY",
    "QUA": "BLACK COUNTRY",
    "QUY": "BRISTOL, NORTH SOMERSET AND SOUTH GLOUCESTERSHIRE",
    "QVV": "DORSET",
    "QWE": "SOUTH WEST LONDON",
    "QWO": "WEST YORKSHIRE",
    "QWU": "COVENTRY AND WARWICKSHIRE",
    "QYG": "CHESHIRE AND MERSEYSIDE",
}
"""The 30 ICBs of April 2025 that are still current in June 2026 (without ``NHS``, ``ICB``)."""

MERGED = {
    "QNX": "SUSSEX",
    "QXU": "SURREY HEARTLANDS",
    "QNQ": "FRIMLEY",
    "QRV": "NORTH WEST LONDON",
    "QMJ": "NORTH CENTRAL LONDON",
}
"""Some of the ICBs closed on 31 March 2026."""


def icb_name(place: str) -> str:
    return f"NHS {place} INTEGRATED CARE BOARD"


def organisation_row(
    code: str,
    name: str,
    *,
    opened: str = "20220701",
    closed: str = "",
    grouping: str = "Y60",
    postcode: str = "B1 1AA",
) -> str:
    """One row of the ODS standard layout: 27 quoted fields, the used ones filled in."""
    fields = [""] * 27
    fields[:3] = [code, name, grouping]
    fields[4:6] = ["1 HIGH STREET", "ANYTOWN"]
    fields[9:12] = [postcode, opened, closed]
    fields[21] = "0"
    return ",".join(f'"{f}"' for f in fields)


def eauth_lines(*, extra: Iterable[str] = ()) -> list[str]:
    """The hand-made ``eauth``: regions, the merged ICBs (closed), the unchanged ICBs, S9B9J."""
    lines = [organisation_row(c, n, opened="20180401", grouping=c) for c, n in REGIONS.items()]
    lines += [
        organisation_row(c, icb_name(n), closed="20260331", grouping="Y59")
        for c, n in MERGED.items()
    ]
    # QNC with a close date after the register's: the merger with QOC announced for 2027
    lines += [
        organisation_row(c, icb_name(n), closed="20270331" if c == "QNC" else "")
        for c, n in UNCHANGED.items()
    ]
    lines.append(
        organisation_row("S9B9J", icb_name("SURREY AND SUSSEX"), opened="20260401", grouping="Y59")
    )
    return [*lines, *extra]
