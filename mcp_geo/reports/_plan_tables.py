"""The plan report's tables: hubs, MCPs, areas, exceptions and moves, as plain-text cells."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_geo.maps._panel import crossing_lines
from mcp_geo.plans.by_area import AREA_LEVELS as AREA_NAMES
from mcp_geo.reports._html import Block, Bullets, Paragraphs, table_of
from mcp_geo.solvers.areas import AREA_LEVELS

if TYPE_CHECKING:
    from mcp_geo.plans.plan import Plan


def count_text(value: object) -> str:
    """A count as ``12,345`` (empty when missing)."""
    try:
        return f"{int(float(str(value))):,}"
    except ValueError:
        return ""


def _km(value: object) -> str:
    try:
        return f"{float(str(value)):.2f}"
    except ValueError:
        return ""


def hub_table(plan: Plan) -> Block:
    """hubs.csv as a table (base names as text)."""
    hubs = plan.hubs
    rows = [
        (
            r["hub_id"],
            r["base_code"],
            r["base_name"],
            count_text(r["patients"]),
            count_text(r["practices"]),
            r.get("mcp_id") or "",
            _km(r.get("km_to_mcp_base")),
            r.get("exception") or "",
        )
        for _, r in hubs.iterrows()
    ]
    columns = ("hub", "base", "base name", "patients", "practices", "MCP", "km to MCP base")
    return table_of(
        f"{len(rows)} hubs",
        (*columns, "exception"),
        rows,
        numeric=(3, 4, 6),
    )


def mcp_table(plan: Plan) -> Block:
    """mcps.csv as a table."""
    names = dict(zip(plan.hubs["hub_id"], plan.hubs["base_name"], strict=True))
    rows = [
        (
            r["mcp_id"],
            r["base_hub_id"],
            names.get(r["base_hub_id"], ""),
            count_text(r["patients"]),
            count_text(r["hubs"]),
            count_text(r["practices"]),
            _km(r["span_km"]),
        )
        for _, r in plan.mcps.iterrows()
    ]
    columns = ("MCP", "base hub", "base name", "patients", "hubs", "practices", "span km")
    return table_of(f"{len(rows)} MCPs", columns, rows, numeric=(3, 4, 5, 6))


def area_blocks(plan: Plan) -> tuple[Block, ...]:
    """Patients by official area, and the hubs and MCPs that cross each level's areas."""
    blocks: list[Block] = []
    if plan.metrics.by_area is not None:
        for level, areas in plan.metrics.by_area.levels:
            rows = [
                (a.code or "(none)", a.name or "", count_text(a.practices), count_text(a.patients))
                for a in areas
            ]
            caption = f"by {AREA_NAMES.get(level, level)}"
            blocks.append(
                table_of(caption, ("code", "name", "practices", "patients"), rows, numeric=(2, 3))
            )
    crossing = []
    for c in plan.metrics.crossings:
        word = AREA_LEVELS[c.level].word
        for level, spans in (("hub", c.hubs), ("MCP", c.mcps or {})):
            for group, spanned in spans.items():
                named = ", ".join(a or "(none)" for a in spanned)
                crossing.append((word, level, group, named))
    if crossing:
        blocks.append(
            table_of(
                "Hubs and MCPs that cross area boundaries (whatever the rules)",
                ("level", "kind", "id", "areas it spans"),
                crossing,
            )
        )
    blocks.append(
        Paragraphs(tuple(line[:1].upper() + line[1:] + "." for line in crossing_lines(plan)))
    )
    return tuple(blocks)


def exception_blocks(plan: Plan) -> tuple[Block, ...]:
    """The named exceptions (or a line saying there are none)."""
    if not plan.exceptions:
        return (Paragraphs(("None: every hub and MCP is within the bounds.",)),)
    rows = [
        (
            e.group_id,
            e.kind.replace("_", " "),
            count_text(e.patients),
            "" if e.shortfall is None else count_text(e.shortfall),
            ", ".join(e.hubs if e.level == "mcps" else e.practices),
            e.reason,
        )
        for e in plan.exceptions
    ]
    columns = ("id", "kind", "patients", "shortfall", "members", "why")
    return (table_of("Hubs and MCPs allowed outside the bounds", columns, rows, numeric=(2, 3)),)


def move_blocks(plan: Plan) -> tuple[Block, ...]:
    """The moves out of the reference grouping, and why each split group was split."""
    from mcp_geo.plans.reference import moves_table

    outcome = plan.reference
    if outcome is None:
        return ()
    table = moves_table(plan.practices, outcome)
    rows = [
        (
            r.practice_code,
            r.practice_name,
            count_text(r.patients),
            r.reference_group,
            r.hub_id,
            _km(r.km_to_hub_base),
        )
        for r in table.itertuples()
    ]
    word = outcome.group_word
    columns = ("practice", "name", "patients", f"from {word}", "to hub", "km to hub base")
    blocks: list[Block] = [
        Paragraphs((outcome.line()[:1].upper() + outcome.line()[1:] + ".",)),
        table_of(
            f"{len(rows)} {'practice' if len(rows) == 1 else 'practices'} moved out of "
            f"{outcome.title}",
            columns,
            rows,
            numeric=(2, 5),
        ),
    ]
    if outcome.why_split:
        blocks.append(Bullets(tuple((g, why) for g, why in sorted(outcome.why_split.items()))))
    return tuple(blocks)
