"""Read an ODS organisation file (``eauth``: the ICBs and NHS England's regions) for their names.

The Organisation Data Service (ODS, NHS England) publishes each kind of organisation as a CSV
file in its standard layout: no header, 27 quoted fields per row, the same layout as the GP
register ``epraccur`` (:mod:`mcp_geo.practices.readers.register`). The fields this reader uses
(1-based, as ODS numbers them)::

     1 organisation code     11 open date (YYYYMMDD)
     2 name (upper case)     12 close date (YYYYMMDD, empty while open)

The ICBs (the "high-level health geography" that field 4 of ``epraccur`` names; Sustainability
and Transformation Partnerships until July 2022, with the same codes) are published in ODS's
higher-level health authorities file, ``eauth`` ("Health authorities and support agencies"),
beside NHS England's regions and other national bodies. ODS Data Search and Export serves it as
the predefined report ``eauth`` at ``https://www.odsdatasearchandexport.nhs.uk/api/getReport?
report=eauth`` (see :mod:`mcp_geo.practices.sources`).

.. warning::

   The report name ``eauth`` and its URL are documented by ODS as a permitted report of the
   Data Search and Export API, and its rows are documented to use the standard layout; that
   this file (rather than another ODS file) holds the ICBs of 2026 with these fields has not
   been checked against a downloaded copy: **neither the URL nor the file was tried from the
   machine this was written on**, and the project's data folder holds no copy. The reader
   checks what it relies on (fields 1, 2, 11 and 12) and refuses any other layout.

The file is untrusted text: every row is validated (a code of 2-10 letters and digits, a
non-empty name of at most :data:`MAX_NAME` characters without control characters, dates as
YYYYMMDD, no code twice) and every problem is raised at once, naming file, line, field and value.
Names are returned in readable case (:func:`readable_name`).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.readers._csv import common_width, parse_date, raise_problems, read_rows

log = logging.getLogger(__name__)

FIELDS = 27
"""Fields per row of the ODS standard layout."""
MAX_NAME = 200
"""The longest organisation name accepted, in characters (ODS names are at most 100)."""
MAX_PROBLEMS = 20
"""Bad rows listed in one error; the rest are counted."""

# 0-based positions in a row
_CODE, _NAME, _OPEN, _CLOSE = 0, 1, 10, 11
_MIN_FIELDS = _CLOSE + 1
_CODE_PATTERN = re.compile(r"[A-Z0-9]{2,10}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HEADER_FIRST_FIELDS = frozenset({"CODE", "ORGANISATION_CODE", "ORGANISATION CODE"})

ACRONYMS = frozenset(
    {"NHS", "ICB", "ICS", "CCG", "STP", "PCN", "GP", "UK", "CSU", "CIC", "LLP", "PLC", "HQ"}
)
"""Words kept in capitals by :func:`readable_name`."""
MINOR_WORDS = frozenset({"and", "of", "the", "in", "on", "upon", "at", "by", "for", "to", "with"})
"""Words written in lower case by :func:`readable_name`, except as the first word."""
HYPHEN_WORDS = MINOR_WORDS | {"under", "super", "le", "la", "de", "en", "sur"}
"""Words written in lower case inside a hyphenated place name (Stoke-on-Trent, Weston-super-Mare,
Ashby-de-la-Zouch), except as its first part."""

_EDGES = re.compile(r"([\W_]*)(.*?)([\W_]*)")


def readable_name(text: str) -> str:
    """An organisation name written in capitals, in readable case; other text as it is.

    Words are capitalised (``SUSSEX`` -> ``Sussex``; ``2ND`` -> ``2nd``), :data:`ACRONYMS` stay in
    capitals, :data:`MINOR_WORDS` are lower case except at the start, and so are
    :data:`HYPHEN_WORDS` inside a hyphenated name. After an apostrophe a single letter is lower
    case (``KING'S`` -> ``King's``) and a longer part capitalised (``O'NEILL`` -> ``O'Neill``).
    Runs of white space become one space. A name holding any lower-case letter is taken to be
    cased already and only has its spaces tidied. Names such as ``McDonald`` come out as
    ``Mcdonald``: capitals inside a word cannot be recovered.

    Parameters
    ----------
    text
        The name as the publisher wrote it.

    Returns
    -------
    str

    Examples
    --------
    >>> readable_name("NHS SUSSEX INTEGRATED CARE BOARD")
    'NHS Sussex Integrated Care Board'
    >>> readable_name("NHS STAFFORDSHIRE AND STOKE-ON-TRENT INTEGRATED CARE BOARD")
    'NHS Staffordshire and Stoke-on-Trent Integrated Care Board'
    >>> readable_name("THE KING'S FUND")
    "The King's Fund"
    """
    plain = " ".join(text.split())
    if any(c.islower() for c in plain):
        return plain
    words = []
    for i, word in enumerate(plain.split(" ")):
        parts = word.split("-")
        words.append(
            "-".join(
                _case_part(part, first=i == 0 and j == 0, inner=j > 0)
                for j, part in enumerate(parts)
            )
        )
    return " ".join(words)


def _case_part(part: str, *, first: bool, inner: bool) -> str:
    match = _EDGES.fullmatch(part)
    assert match is not None  # the pattern matches any string
    head, core, tail = match.groups()
    if core.upper() in ACRONYMS:
        core = core.upper()
    elif not first and core.lower() in (HYPHEN_WORDS if inner else MINOR_WORDS):
        core = core.lower()
    else:
        pieces = re.split(r"(['\u2019])", core)
        cased = [_capitalise(pieces[0])]
        for mark, piece in zip(pieces[1::2], pieces[2::2], strict=True):
            cased.append(mark + (piece.lower() if len(piece) == 1 else _capitalise(piece)))
        core = "".join(cased)
    return head + core + tail


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def read_organisations(path: str | Path, *, open_on: date | None = None) -> dict[str, str]:
    """Read an ODS organisation file (``eauth``, ``.csv`` or ``.zip``): code -> name.

    Parameters
    ----------
    path
        The file, in the ODS standard layout (no header; a header line is skipped if present).
    open_on
        Keep the organisations still open on this day: no close date, or a close date on or
        after it (so a newer file still names an ICB that has closed since). None keeps only
        the organisations without a close date.

    Returns
    -------
    dict
        Organisation code (upper case) -> its name in readable case (:func:`readable_name`),
        for the open organisations, in the file's order.

    Raises
    ------
    ValidationError
        If the file is empty, truncated or not in the standard layout, or if any row is bad:
        too few fields, a missing or malformed code, an empty, over-long or control-character
        name, a date that is not YYYYMMDD, or a code given twice. Every problem is listed (up
        to :data:`MAX_PROBLEMS`), each naming the file and line, the field and the value.

    Examples
    --------
    >>> from datetime import date
    >>> names = read_organisations("data/nhs/eauth.csv", open_on=date(2026, 6, 1))  # doctest: +SKIP
    >>> names["S9B9J"]  # doctest: +SKIP
    'NHS Surrey and Sussex Integrated Care Board'
    """
    raw = read_rows(path, has_header=False)
    if raw.rows and raw.rows[0] and raw.rows[0][0].upper() in _HEADER_FIRST_FIELDS:
        raw.rows.pop(0)
        raw.lines.pop(0)
    width = common_width(raw.rows) if raw.rows else 0
    if width < _MIN_FIELDS:
        raise_problems(
            raw,
            [
                Problem(
                    f"expected the ODS standard layout of {FIELDS} fields per row without a "
                    f"header (code, name, ..., open date, close date, ...); most rows have {width}",
                    source=raw.name,
                    value=",".join(raw.rows[0][:4]) if raw.rows else None,
                )
            ],
        )
    raise_problems(raw)
    problems: list[Problem] = []
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    closed = 0
    for values, line in zip(raw.rows, raw.lines, strict=True):
        where = f"{raw.name}:{line}"
        if len(values) < _MIN_FIELDS:
            problems.append(
                Problem(
                    f"the row has {len(values)} fields; the ODS standard layout has {FIELDS} "
                    f"(at least {_MIN_FIELDS}: code to close date)",
                    source=where,
                    value=",".join(values[:4]),
                )
            )
            continue
        row = _check_row(values, where=where)
        if isinstance(row, list):
            problems += row
            continue
        code, name, close = row
        if code in seen:
            problems.append(
                Problem(f"code already given at line {seen[code]}", where, "code", code)
            )
            continue
        seen[code] = line
        if close is not None and (open_on is None or close < open_on):
            closed += 1
            continue
        names[code] = name
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem(f"and {len(problems) - MAX_PROBLEMS} more bad rows", raw.name))
        raise ValidationError(shown, context=f"cannot read {raw.name}")
    log.info(
        "%s: %d open organisations, %d closed%s",
        raw.name,
        len(names),
        closed,
        f" before {open_on.isoformat()}" if open_on else "",
    )
    return names


def _check_row(values: list[str], *, where: str) -> tuple[str, str, date | None] | list[Problem]:
    """The code, readable name and close date of one row, or its problems."""
    problems: list[Problem] = []
    code = values[_CODE].upper()
    if not _CODE_PATTERN.fullmatch(code):
        problems.append(
            Problem("must be an ODS code of 2-10 letters and digits", where, "code", values[_CODE])
        )
    name = values[_NAME]
    if not name:
        problems.append(Problem("is empty", where, "name"))
    elif len(name) > MAX_NAME:
        problems.append(
            Problem(f"is longer than {MAX_NAME} characters ({len(name)})", where, "name", name[:40])
        )
    elif _CONTROL.search(name):
        problems.append(Problem("holds control characters", where, "name", name))
    dates: dict[str, date | None] = {}
    for index, label in ((_OPEN, "open_date"), (_CLOSE, "close_date")):
        text = values[index]
        parsed = parse_date(text) if len(text) == 8 and text.isdigit() else None
        if text and parsed is None:
            problems.append(Problem("must be a date written YYYYMMDD", where, label, text))
        dates[label] = parsed
    if problems:
        return problems
    return code, readable_name(name), dates["close_date"]
