"""Shared helpers for reading the publishers' CSV files.

The NHS and ODS files have been published with CRLF or LF line endings, with or without a UTF-8
byte-order mark, now and then re-saved in Windows-1252 (or, from a spreadsheet, UTF-16), quoted or
not, and with column names that changed between the CCG era and the Sub-ICB era. The helpers here
take those variants in their stride and turn everything else (a zip archive or another binary file
given for a CSV is named as such) into one :class:`~mcp_geo._errors.ValidationError` that lists
every structural problem, or into row-level exclusions that name file, line, field and value.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem, ValidationError

log = logging.getLogger(__name__)

EXCLUSION_COLUMNS: tuple[str, ...] = ("practice_code", "reason", "source", "detail")
"""Columns of every exclusions table."""

NOTE_COLUMNS: tuple[str, ...] = ("practice_code", "note", "source")
"""Columns of every notes table."""

_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",  # 2025-04-01
    "%d%b%Y",  # 01JAN2021, 01Jan2022, 01Oct2025 (%b ignores case)
    "%d-%b-%y",  # 01-Sep-20 (a re-saved file)
    "%d-%b-%Y",
    "%d/%m/%Y",
    "%Y%m%d",  # the ODS register's own format
)


@dataclass(frozen=True, eq=False)
class RawRows:
    """The decoded rows of one CSV file, with the 1-based line number of each row.

    Attributes
    ----------
    path
        The file on disk (a ``.csv`` or the ``.zip`` that holds it).
    name
        Name used in messages and ``source`` columns (``file.csv`` or ``file.zip!member.csv``).
    header
        Normalised column names (upper case, ``_`` for spaces), empty for headerless files.
    rows
        Data rows as lists of stripped strings.
    lines
        The line in the file where each row ends (1-based, counting the header).
    encoding
        The encoding that decoded the file.
    problems
        Structural problems found while reading (a truncated last line), raised by
        :func:`locate_columns` or :func:`raise_problems` together with any others.
    """

    path: Path
    name: str
    header: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]
    encoding: str
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, eq=False)
class OfficialTable:
    """What a reader returns: the rows it kept, and the rows it could not use.

    Attributes
    ----------
    data
        One row per usable record, with canonical column names and a ``line`` column.
    exclusions
        Rows that could not be used (columns :data:`EXCLUSION_COLUMNS`).
    path
        The file read.
    name
        The file's name as written in ``source`` columns.
    encoding
        The encoding that decoded the file.
    extract_date
        The publisher's extract date, where the file has one.
    """

    data: pd.DataFrame
    exclusions: pd.DataFrame
    path: Path
    name: str
    encoding: str
    extract_date: date | None = None
    columns_found: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        missing = [c for c in EXCLUSION_COLUMNS if c not in self.exclusions.columns]
        if missing:
            raise ValueError(f"exclusions table lacks columns {missing}")


def normalise_header(name: str) -> str:
    """Return a column name in the canonical spelling: upper case, ``_`` between words.

    Examples
    --------
    >>> normalise_header('\\ufeff"Sub ICB Location Code" ')
    'SUB_ICB_LOCATION_CODE'
    """
    text = name.replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"[^0-9A-Z]+", "_", text.upper()).strip("_")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"):
codes starting so are refused in a user's files, names starting so are quoted in the CSVs the
tool writes."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook or other OLE file"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3", "an SQLite database (a GeoPackage?)"),
)
"""Signatures of the binary files most often given where a CSV is expected."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def read_bytes(path: Path) -> tuple[bytes, str]:
    """Return the bytes of a CSV file, or of the one CSV inside a publisher's ``.zip``.

    Returns
    -------
    tuple of bytes and str
        The content and the name to use in messages.

    Raises
    ------
    ValidationError
        If ``path`` is a folder, cannot be read, or is a zip without exactly one CSV.
    """
    if path.is_dir():
        raise ValidationError(
            [Problem("is a folder, not a file", source=str(path))], context="cannot read file"
        )
    if path.suffix.lower() != ".zip":
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError:
            raise ValidationError(
                [Problem("file not found", source=str(path))], context="cannot read file"
            ) from None
        except OSError as exc:
            raise ValidationError(
                [Problem(f"cannot be read ({exc.strerror})", source=str(path))],
                context="cannot read file",
            ) from None
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise ValidationError(
                    [
                        Problem(
                            f"expected exactly one .csv member in the zip, found {len(members)}",
                            source=path.name,
                            value=members,
                        )
                    ],
                    context="cannot read zip file",
                )
            return archive.read(members[0]), f"{path.name}!{Path(members[0]).name}"
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            [Problem(f"not a valid zip file ({exc})", source=path.name)],
            context="cannot read zip file",
        ) from exc


def binary_kind(data: bytes) -> str | None:
    r"""What a file is when it is not text: ``"a zip archive"``, ``"a binary file"``, or None.

    A file that starts with a UTF-16 or UTF-32 byte-order mark is text.

    Examples
    --------
    >>> binary_kind(b"PK\x03\x04..."), binary_kind(b"a,b\x00c"), binary_kind(b"a,b\n")
    ('a zip archive', 'a binary file', None)
    """
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if b"\x00" in data[:65536]:
        return "a binary file"
    return None


def decode(data: bytes, *, name: str) -> tuple[str, str]:
    """Decode a file's bytes as text.

    UTF-16 or UTF-32 with a byte-order mark, else UTF-8 (with or without BOM), else Windows-1252
    (with a warning, as the publishers have re-saved files), else Latin-1.

    Returns
    -------
    tuple of str and str
        The text and the encoding used.

    Raises
    ------
    ValidationError
        If the bytes are a zip archive or another binary file (named as such), or a file with a
        UTF-16 byte-order mark that is not UTF-16.
    """
    kind = binary_kind(data)
    if kind is not None:
        raise ValidationError(
            [Problem(f"is {kind}, not a CSV text file", source=name)], context="cannot read file"
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    [
                        Problem(
                            f"starts with a {encoding.upper()} byte-order mark but is not "
                            f"{encoding.upper()} text (byte {exc.start})",
                            source=name,
                        )
                    ],
                    context="cannot read file",
                ) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        where = exc.start
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        log.warning("%s is not valid UTF-8 (byte %d); read it as %s instead", name, where, encoding)
        return text, encoding
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover


def read_rows(path: str | Path, *, has_header: bool = True) -> RawRows:
    """Read a CSV file (or zipped CSV) into rows, checking it is neither empty nor truncated.

    Parameters
    ----------
    path
        The file to read.
    has_header
        Whether the first line holds column names.

    Returns
    -------
    RawRows

    Raises
    ------
    ValidationError
        If the file is empty or holds a header but no data. A last line that is cut short is
        recorded in ``problems``, to be raised with the other structural problems.
    """
    path = Path(path)
    data, name = read_bytes(path)
    text, encoding = decode(data, name=name)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=False)
    header: tuple[str, ...] = ()
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            if not record or all(not value.strip() for value in record):
                continue  # blank line
            if has_header and not header:
                header = tuple(normalise_header(value) for value in record)
                continue
            rows.append([value.strip() for value in record])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ValidationError(
            [Problem(f"not a readable CSV file ({exc})", source=f"{name}:{reader.line_num}")],
            context="cannot read file",
        ) from exc
    if not header and not rows:
        raise ValidationError(
            [Problem("the file is empty", source=name)], context="cannot read file"
        )
    if not rows:
        raise ValidationError(
            [Problem("the file has a header but no data rows", source=name)],
            context="cannot read file",
        )
    problems: list[Problem] = []
    width = len(header) if header else common_width(rows)
    if len(rows[-1]) < width:
        ending = "" if text.endswith(("\n", "\r")) else " and no line ending"
        problems.append(
            Problem(
                f"the file looks truncated: its last line has {len(rows[-1])} of "
                f"{width} fields{ending}",
                source=f"{name}:{lines[-1]}",
                value=",".join(rows[-1]),
            )
        )
    return RawRows(path, name, header, rows, lines, encoding, tuple(problems))


def raise_problems(raw: RawRows, problems: Iterable[Problem] = ()) -> None:
    """Raise the structural problems of a file, with ``problems`` found by the caller."""
    every = [*raw.problems, *problems]
    if every:
        raise ValidationError(every, context=f"cannot read {raw.name}")


def common_width(rows: Sequence[Sequence[str]]) -> int:
    counts: dict[int, int] = {}
    for row in rows:
        counts[len(row)] = counts.get(len(row), 0) + 1
    return max(counts, key=lambda k: (counts[k], k))


def locate_columns(
    raw: RawRows,
    spec: Mapping[str, Sequence[str]],
    *,
    optional: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """Find each wanted column by any of its known names; report every missing one at once.

    Parameters
    ----------
    raw
        The rows read, with their header.
    spec
        Canonical name -> the header spellings the publisher has used (normalised).
    optional
        Like ``spec`` for columns that may be absent.

    Returns
    -------
    dict
        Canonical name -> column index, for every column found.

    Raises
    ------
    ValidationError
        Naming the file, each missing column with its accepted names, and the columns found.
    """
    where: dict[str, int] = {}
    problems: list[Problem] = list(raw.problems)
    found = ", ".join(raw.header)
    for canonical, names in spec.items():
        index = _find(raw.header, names)
        if index is None:
            accepted = " or ".join(names)
            problems.append(
                Problem(
                    f"missing column {canonical!r} (accepted names: {accepted}); "
                    f"columns found: {found}",
                    source=raw.name,
                    field=canonical,
                )
            )
        else:
            where[canonical] = index
    if problems:
        raise ValidationError(problems, context=f"cannot read {raw.name}")
    for canonical, names in (optional or {}).items():
        index = _find(raw.header, names)
        if index is not None:
            where[canonical] = index
    return where


def _find(header: Sequence[str], names: Iterable[str]) -> int | None:
    for candidate in names:
        if candidate in header:
            return header.index(candidate)
    return None


def parse_date(value: str) -> date | None:
    """Parse a date written in any of the publishers' formats; ``None`` if it is not one.

    Examples
    --------
    >>> parse_date("01JAN2021"), parse_date("01-Sep-20"), parse_date("20190731")
    (datetime.date(2021, 1, 1), datetime.date(2020, 9, 1), datetime.date(2019, 7, 31))
    """
    text = value.strip()
    if len(text) == 8 and text.isdigit():  # the register's YYYYMMDD, by far the most common
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def extract_date(raw: RawRows, column: int) -> date:
    """Return the one extract date a file's rows carry.

    Raises
    ------
    ValidationError
        If a value is not a date in a known format, or the rows carry more than one date.
    """
    values: dict[str, int] = {}
    for row, line in zip(raw.rows, raw.lines, strict=True):
        if column < len(row):
            values.setdefault(row[column], line)
    problems: list[Problem] = []
    dates: set[date] = set()
    for text, line in values.items():
        parsed = parse_date(text)
        if parsed is None:
            problems.append(
                Problem(
                    "EXTRACT_DATE is not a date like 01JAN2021, 01-Sep-20 or 2025-04-01",
                    source=f"{raw.name}:{line}",
                    field="EXTRACT_DATE",
                    value=text,
                )
            )
        else:
            dates.add(parsed)
    if len(dates) > 1:
        problems.append(
            Problem(
                "the rows carry more than one extract date",
                source=raw.name,
                field="EXTRACT_DATE",
                value=sorted(d.isoformat() for d in dates),
            )
        )
    if problems:
        raise ValidationError(problems, context=f"bad extract date in {raw.name}")
    return dates.pop()


def exclusions_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build an exclusions table with exactly :data:`EXCLUSION_COLUMNS`."""
    return pd.DataFrame(list(rows), columns=list(EXCLUSION_COLUMNS)).astype(str)


def notes_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build a notes table with exactly :data:`NOTE_COLUMNS`."""
    return pd.DataFrame(list(rows), columns=list(NOTE_COLUMNS)).astype(str)


def exclusion(code: str, *, reason: str, source: str, detail: str) -> dict[str, str]:
    """One exclusion row."""
    return {"practice_code": code, "reason": reason, "source": source, "detail": detail}


def split_duplicates(
    raw: RawRows, rows: list[dict[str, object]], *, key: str = "practice_code"
) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """Keep the first row of each code; turn later ones into ``duplicate_code`` exclusions.

    Each row must carry ``line`` (its line in the file).
    """
    first: dict[object, object] = {}
    kept: list[dict[str, object]] = []
    dropped: list[dict[str, str]] = []
    for row in rows:
        code = row[key]
        if code in first:
            dropped.append(
                exclusion(
                    str(code),
                    reason="duplicate_code",
                    source=f"{raw.name}:{row['line']}",
                    detail=f"field {key!r}: code {code!r} already read at line {first[code]}; "
                    "the first row is kept",
                )
            )
        else:
            first[code] = row["line"]
            kept.append(row)
    return kept, dropped
