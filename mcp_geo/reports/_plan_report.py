"""The board report of one plan: its sections, from the plan read back from its folder.

Headline in plain words; the static map (and a link to the interactive one); the tables (hubs,
MCPs, areas, exceptions, moves); the charts (hub and MCP sizes against the bounds); the
certificate explained; the exclusions; the data's provenance and licence. Every text comes out as
plain strings for :mod:`mcp_geo.reports._html`, which escapes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mcp_geo.maps._panel import plain_certificate, plain_travel
from mcp_geo.reports._certificate import certificate_texts, solver_line
from mcp_geo.reports._html import (
    Block,
    Bullets,
    Image,
    Link,
    Page,
    Paragraphs,
    Section,
    table_of,
)
from mcp_geo.reports._plan_tables import (
    area_blocks,
    count_text,
    exception_blocks,
    hub_table,
    mcp_table,
    move_blocks,
)
from mcp_geo.reports._provenance import provenance_blocks
from mcp_geo.reports._static_map import plan_map
from mcp_geo.reports.charts import ChartFiles, SizeSeries, size_chart, write_chart
from mcp_geo.solvers.areas import AREA_LEVELS

if TYPE_CHECKING:
    from mcp_geo.plans.plan import Plan

SECTIONS = {
    "headline": "In brief",
    "map": "Map",
    "hubs": "Hubs",
    "mcps": "MCPs",
    "areas": "Areas",
    "exceptions": "Exceptions",
    "moves": "Moves",
    "charts": "Charts",
    "certificate": "Certificate",
    "exclusions": "Exclusions",
    "provenance": "Data and licence",
}
"""The plan report's sections by id, in order (``moves`` only with a reference)."""


def _rules(plan: Plan) -> str:
    s = plan.scenario
    limit = "no distance limit" if s.max_km is None else f"within {s.max_km:g} km of the hub base"
    text = f"hubs of {s.hub_min:,} to {s.hub_max:,} patients, every practice {limit}"
    if s.hubs is not None:
        text += f", {s.hubs} hubs" if s.hubs != "fewest" else ", the fewest hubs the rules allow"
    if not s.no_mcps:
        upper = f" and at most {s.mcp_max:,}" if s.mcp_max else ""
        text += f"; MCPs of at least {s.mcp_min:,}{upper} patients of whole hubs"
    if s.hubs_within:
        text += f"; hubs within one {AREA_LEVELS[s.hubs_within].word}"
    if s.mcps_within:
        text += f"; MCPs within one {AREA_LEVELS[s.mcps_within].word}"
    return f"Rules: {text}; {plain_travel(plan.travel)}."


def headline(plan: Plan) -> tuple[str, ...]:
    """The plan in plain words: footprint, practices, patients, hubs and MCPs with their size
    ranges, the rules, travel, moves (with a reference), the exceptions and exclusions.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    tuple of str
        One sentence each.
    """
    m = plan.metrics
    when = (
        f"list sizes of {plan.extract_date:%-d %B %Y}"
        if plan.extract_date is not None
        else f"list sizes from {Path(plan.footprint).name}"
    )
    lines = [
        f"{plan.footprint_title}: {m.practices:,} practices with {m.patients:,} registered "
        f"patients ({when}).",
        f"{m.hubs.groups} hubs of {m.hubs.sizes.min:,.0f} to {m.hubs.sizes.max:,.0f} patients"
        + (
            f", in {m.mcps.groups} MCPs of {m.mcps.sizes.min:,.0f} to {m.mcps.sizes.max:,.0f} "
            f"patients (the widest spans {m.max_mcp_span_km or 0:.1f} km)."
            if m.mcps is not None
            else " (no MCP level)."
        ),
        _rules(plan),
    ]
    travel = m.hubs.travel
    if travel is not None:
        lines.append(
            f"Patients' practices are {travel.mean:.2f} km from their hub base on average "
            f"(weighted by patients); 95% of patients are within {travel.p95:.2f} km; the "
            f"farthest practice is {travel.max:.2f} km away."
        )
    if plan.reference is not None:
        lines.append(plan.reference.line()[:1].upper() + plan.reference.line()[1:] + ".")
    levels = [("Hubs", plan.certificates.hubs), ("MCPs", plan.certificates.mcps)]
    lines.append(
        " ".join(f"{word}: {plain_certificate(c)}." for word, c in levels if c is not None)
    )
    if plan.exceptions:
        named = "; ".join(e.text for e in plan.exceptions)
        lines.append(f"Exceptions ({len(plan.exceptions)}): {named}.")
    else:
        lines.append("No exceptions: every hub and MCP is within the bounds.")
    excluded = len(plan.exclusions)
    if excluded:
        lines.append(f"{excluded:,} practices of the footprint were excluded (see Exclusions).")
    return tuple(lines)


def size_series(plan: Plan) -> list[SizeSeries]:
    """The hub (and MCP) sizes with their bounds, exceptions marked.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    list of SizeSeries
        Hubs, then MCPs when the plan has them.
    """
    s = plan.scenario
    exceptions = {e.group_id for e in plan.exceptions}
    out = [
        SizeSeries(
            level="hubs",
            ids=tuple(str(h) for h in plan.hubs["hub_id"]),
            patients=tuple(int(p) for p in plan.hubs["patients"]),
            floor=s.hub_min,
            ceiling=s.hub_max,
            exceptions=frozenset(exceptions),
        )
    ]
    if not plan.mcps.empty:
        out.append(
            SizeSeries(
                level="mcps",
                ids=tuple(str(m) for m in plan.mcps["mcp_id"]),
                patients=tuple(int(p) for p in plan.mcps["patients"]),
                floor=s.mcp_min,
                ceiling=s.mcp_max,
                exceptions=frozenset(exceptions),
            )
        )
    return out


def plan_charts(plan: Plan, folder: Path, *, prefix: str = "") -> list[ChartFiles]:
    """Draw the plan's map and size charts into ``folder`` (PNG and SVG each).

    Parameters
    ----------
    plan
        The plan.
    folder
        The charts folder.
    prefix
        Put before each file's name (``a-`` for a comparison's side A).

    Returns
    -------
    list of ChartFiles
        The map first, then hub sizes and MCP sizes.
    """
    charts = [
        write_chart(
            plan_map(plan),
            folder,
            name=f"{prefix}map",
            description=f"Map of the {plan.metrics.hubs.groups} hubs of {plan.footprint_title}",
        )
    ]
    for series in size_series(plan):
        word = "hub" if series.level == "hubs" else "MCP"
        charts.append(
            write_chart(
                size_chart(series),
                folder,
                name=f"{prefix}{word.lower()}-sizes",
                description=f"Each {word}'s registered patients against the floor and ceiling",
            )
        )
    return charts


def image(chart: ChartFiles, *, caption: str = "") -> Image:
    """A chart as an inline SVG image of the page."""
    return Image(
        data=chart.svg.read_bytes(), mime="image/svg+xml", alt=chart.description, caption=caption
    )


def certificate_blocks(plan: Plan) -> tuple[Block, ...]:
    """Each level's certificate, stage by stage, in plain words."""
    blocks: list[Block] = [
        Paragraphs(
            (
                "The plan is found by an integer program; the certificate is what the solver "
                "proved about it. The bound is a value no plan that meets the rules can beat; "
                "the gap is how far the plan is from it (0%: nothing better exists).",
            )
        )
    ]
    for word, certificate in (("Hubs", plan.certificates.hubs), ("MCPs", plan.certificates.mcps)):
        if certificate is None:
            continue
        texts = certificate_texts(certificate, patients=plan.metrics.patients)
        items = tuple((t.name, f"{t.meaning}. {t.numbers}.") for t in texts)
        blocks.append(Paragraphs((f"{word}: {plain_certificate(certificate)}.",), lead=True))
        blocks.append(Bullets(items))
        blocks.append(Paragraphs((f"Solved by {solver_line(certificate)}.",)))
    return tuple(blocks)


def exclusion_blocks(plan: Plan) -> tuple[Block, ...]:
    """The footprint's practices the data excluded, counted by reason."""
    if plan.exclusions.empty:
        return (Paragraphs(("None: every practice of the footprint is planned.",)),)
    reasons = plan.exclusions.groupby("reason").size().sort_index()
    rows = [(str(reason), count_text(count)) for reason, count in reasons.items()]
    return (table_of("Practices excluded, by reason", ("reason", "practices"), rows, numeric=(1,)),)


def map_link(folder: Path) -> Block:
    """The link to the interactive map beside the report, or how to make it."""
    if (folder / "map.html").is_file():
        return Link(
            href="map.html",
            text="map.html",
            before="The interactive map (hub territories, practices, today's PCNs): ",
            after=" in this folder.",
        )
    return Paragraphs(
        (
            "The interactive map: run `mcp-geo map DIR` on this folder to write map.html "
            "beside this report.",
        )
    )


def plan_sections(plan: Plan, *, folder: Path, charts: list[ChartFiles]) -> tuple[Section, ...]:
    """The sections of a plan's report.

    Parameters
    ----------
    plan
        The plan.
    folder
        Its folder (for the link to map.html).
    charts
        :func:`plan_charts`'s charts.

    Returns
    -------
    tuple of Section
        In the order of :data:`SECTIONS`.
    """
    size_images = tuple(image(c) for c in charts[1:])
    sections = [
        Section("headline", SECTIONS["headline"], (Paragraphs(headline(plan), lead=True),)),
        Section("map", SECTIONS["map"], (image(charts[0]), map_link(folder)), new_page=True),
        Section("hubs", SECTIONS["hubs"], (hub_table(plan),), new_page=True),
    ]
    if not plan.mcps.empty:
        sections.append(Section("mcps", SECTIONS["mcps"], (mcp_table(plan),)))
    sections += [
        Section("areas", SECTIONS["areas"], area_blocks(plan)),
        Section("exceptions", SECTIONS["exceptions"], exception_blocks(plan)),
    ]
    if plan.reference is not None:
        sections.append(Section("moves", SECTIONS["moves"], move_blocks(plan)))
    sections += [
        Section("charts", SECTIONS["charts"], size_images, new_page=True),
        Section("certificate", SECTIONS["certificate"], certificate_blocks(plan), new_page=True),
        Section("exclusions", SECTIONS["exclusions"], exclusion_blocks(plan)),
        Section("provenance", SECTIONS["provenance"], provenance_blocks(plan)),
    ]
    return tuple(sections)


def plan_page(folder: Path, *, charts: Path) -> tuple[Page, list[ChartFiles]]:
    """The report page of the plan folder ``folder``, its charts drawn into ``charts``.

    Parameters
    ----------
    folder
        A plan folder.
    charts
        Where the charts go.

    Returns
    -------
    tuple
        The page, and the charts written.
    """
    from mcp_geo import ATTRIBUTION
    from mcp_geo.plans.read import read_plan

    plan = read_plan(folder)
    drawn = plan_charts(plan, charts)
    page = Page(
        title=f"{plan.footprint_title}: hubs and MCPs",
        subtitle=f"A plan made by mcp-geo {plan.version} for the footprint {plan.footprint}.",
        sections=plan_sections(plan, folder=folder, charts=drawn),
        footer=(ATTRIBUTION, f"Made by mcp-geo {plan.version}."),
    )
    return page, drawn
