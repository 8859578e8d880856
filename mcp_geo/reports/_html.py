"""The report page: typed blocks in, one self-contained HTML page out, every text escaped.

A page is a title and sections; a section holds blocks (paragraphs, lists, tables, images,
links). :func:`render_page` writes them with :func:`html.escape` applied to every string, so
text from a file (a practice's name, a footprint's title) is always shown as text. Images are
inlined as ``data:`` URIs (SVG for sharp print), so the page opens offline; it has no script at
all, and its Content-Security-Policy allows none. A print stylesheet lays it out on A4 with page
breaks before the sections that ask for one, table headers repeated and rows kept whole.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from mcp_geo._folders import GENERATOR

esc = html.escape


@dataclass(frozen=True)
class Paragraphs:
    """Plain-text paragraphs (``lead`` ones in larger type)."""

    texts: tuple[str, ...]
    lead: bool = False


@dataclass(frozen=True)
class Bullets:
    """A plain-text list; each item may start with a bold ``term`` (``term: text``)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells; ``numeric`` columns (by index) are right-aligned."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    note: str = ""


@dataclass(frozen=True)
class Image:
    """An image inlined in the page: its bytes, type, ``alt`` text and caption."""

    data: bytes
    mime: str
    alt: str
    caption: str = ""
    wide: bool = True


@dataclass(frozen=True)
class Link:
    """A link (to a file beside the report): text before, the link's text, text after."""

    href: str
    text: str
    before: str = ""
    after: str = ""


Block = Paragraphs | Bullets | Table | Image | Link


@dataclass(frozen=True)
class Section:
    """A section of the page: an anchor id, its heading and blocks; ``new_page`` in print."""

    id: str
    title: str
    blocks: tuple[Block, ...]
    new_page: bool = False


@dataclass(frozen=True)
class Page:
    """The whole report: title, a line under it, the sections and the footer's lines."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: tuple[str, ...] = field(default_factory=tuple)


CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""No scripts, no requests: only inline styles and inlined images."""

STYLE = """
:root { --ink: #1d1d1d; --muted: #555; --line: #d0d0d0; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; color: var(--ink); margin: 0;
  background: #f4f5f7; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header p { color: var(--muted); margin: 0 0 12px; }
nav { font-size: 13px; border-bottom: 1px solid var(--line); padding-bottom: 8px; }
nav a { margin-right: 12px; color: var(--accent); }
section { margin-top: 28px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 3px; }
p.lead { font-size: 17px; }
ul { padding-left: 20px; }
li { margin: 3px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px 3px 0; text-align: left;
  vertical-align: top; }
th { border-bottom: 2px solid #999; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
p.note { font-size: 12px; color: var(--muted); margin-top: 2px; }
figure { margin: 12px 0; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); }
footer { margin-top: 32px; font-size: 11px; color: var(--muted); border-top: 1px solid var(--line); }
@page { size: A4; margin: 14mm 13mm 16mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { margin-top: 14px; }
  section.new-page { break-before: page; }
  h2 { break-after: avoid; font-size: 15pt; }
  table { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, figure, li { break-inside: avoid; }
  figure img { max-height: 235mm; }
  a { color: var(--ink); }
}
"""


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``: an image the page carries inside itself."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _block(block: Block) -> str:
    if isinstance(block, Paragraphs):
        cls = ' class="lead"' if block.lead else ""
        return "".join(f"<p{cls}>{esc(t)}</p>" for t in block.texts)
    if isinstance(block, Bullets):
        items = (
            f"<li><b>{esc(term)}</b>{': ' if term and text else ''}{esc(text)}</li>"
            for term, text in block.items
        )
        return f"<ul>{''.join(items)}</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        caption = f"<figcaption>{esc(block.caption)}</figcaption>" if block.caption else ""
        return (
            f'<figure><img src="{data_uri(block.data, block.mime)}" alt="{esc(block.alt)}">'
            f"{caption}</figure>"
        )
    return (
        f'<p>{esc(block.before)}<a href="{esc(block.href)}">{esc(block.text)}</a>'
        f"{esc(block.after)}</p>"
    )


def _table(table: Table) -> str:
    def cls(k: int) -> str:
        return ' class="n"' if k in table.numeric else ""

    head = "".join(f"<th{cls(k)}>{esc(c)}</th>" for k, c in enumerate(table.columns))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(k)}>{esc(v)}</td>" for k, v in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{esc(table.note)}</p>' if table.note else ""
    return (
        f"<table><caption>{esc(table.caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>{note}"
    )


def _section(section: Section) -> str:
    cls = ' class="new-page"' if section.new_page else ""
    blocks = "".join(_block(b) for b in section.blocks)
    return f'<section id="{esc(section.id)}"{cls}><h2>{esc(section.title)}</h2>{blocks}</section>'


def render_page(page: Page) -> str:
    """The page as one HTML document (UTF-8), every string escaped, images inlined.

    Parameters
    ----------
    page
        The report's title, sections and footer.

    Returns
    -------
    str
        The document, starting with ``<!DOCTYPE html>`` and the tool's generator tag.
    """
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in page.sections)
    footer = "".join(f"<p>{esc(line)}</p>" for line in page.footer)
    sections = "\n".join(_section(s) for s in page.sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en-GB"><head><meta charset="utf-8">\n{GENERATOR}\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(page.title)}</title><style>{STYLE}</style></head>\n"
        f"<body><main><header><h1>{esc(page.title)}</h1><p>{esc(page.subtitle)}</p>"
        f"<nav>{nav}</nav></header>\n{sections}\n<footer>{footer}</footer></main></body></html>\n"
    )


def table_of(
    caption: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric: Sequence[int] = (),
    note: str = "",
) -> Table:
    """A :class:`Table` from any cells (shown with ``str``; None and NaN shown empty).

    Parameters
    ----------
    caption
        The table's caption.
    columns
        Its column headings.
    rows
        Its rows, one cell per column.
    numeric
        The columns to right-align.
    note
        A line under the table.

    Returns
    -------
    Table
        Cells as text.
    """
    return Table(
        caption=caption,
        columns=tuple(columns),
        rows=tuple(tuple(_cell(v) for v in row) for row in rows),
        numeric=frozenset(numeric),
        note=note,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return str(value)
