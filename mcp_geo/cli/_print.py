"""Tables and summaries the command line prints for the user (rich tables, plain lines)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from mcp_geo.pipeline.compare import Comparison
    from mcp_geo.plans.plan import Plan
    from mcp_geo.practices import PracticeData
    from mcp_geo.solvers.certificate import Certificate


def _table(title: str, *, left: Sequence[str], right: Sequence[str], last: str = "") -> Table:
    """A rich table: text columns, then number columns, then an optional text column."""
    from rich.table import Table

    out = Table(title=title)
    for column in left:
        out.add_column(column)
    for column in right:
        out.add_column(column, justify="right")
    if last:
        out.add_column(last)
    return out


def _print_current_icbs(data: PracticeData, *, as_json: bool) -> int:
    """`footprints --icbs`: the current ICBs, their practices and patients, and where from."""
    from mcp_geo.practices import current_icbs

    table = current_icbs(data)
    if as_json:
        records = [
            {
                "code": r.icb_2026_code,
                "name": r.icb_2026_name,
                "practices": int(r.practices),
                "patients": int(r.patients),
                "new": bool(r.new),
                "from": r.constituents,
            }
            for r in table.itertuples()
        ]
        print(json.dumps(records, indent=2))
        return 0
    from rich.console import Console

    out = _table(
        f"ICBs of the newest register, practices of the {data.snapshot.name} lists",
        left=("icb", "name"),
        right=("practices", "patients"),
        last="from (practices of the old ICB / its practices)",
    )
    for r in table.itertuples():
        code = f"{r.icb_2026_code} (new)" if r.new else r.icb_2026_code
        out.add_row(code, r.icb_2026_name, f"{r.practices:,}", f"{r.patients:,}", r.constituents)
    Console().print(out)
    return 0


def _print_comparison(comparison: Comparison, out: Path) -> None:
    """The views, one table each (definitions are in comparison.csv)."""
    from rich.console import Console
    from rich.table import Table

    from mcp_geo.pipeline.compare import VIEWS

    console = Console()
    console.print(
        f"{comparison.a_label} (A) against {comparison.b_label} (B), "
        f"on the {len(comparison.shared):,} practices both hold",
        highlight=False,
    )
    for number, (view, title) in enumerate(VIEWS.items(), start=1):
        rows = comparison.view(view)
        if not rows:
            continue
        table = Table(title=f"{number}. {title}", title_justify="left")
        table.add_column("measure")
        table.add_column("A", justify="right")
        table.add_column("B", justify="right")
        for row in rows:
            a, b = row.formatted(row.a), row.formatted(row.b)
            if row.kind == "patients":
                a, b = (f"{int(v):,}" if v else v for v in (a, b))
            table.add_row(row.measure, a or "-", b or "-")
        console.print(table)
    console.print(
        f"written to {out}/ (comparison.csv gives each measure's definition; changes.csv each "
        "shared practice)",
        highlight=False,
    )


def _print_summary(plan: Plan, out: Path) -> None:
    m = plan.metrics
    hubs = plan.certificates.hubs
    lines = [
        f"{plan.footprint_title}: {m.practices:,} practices, {m.patients:,} patients"
        + (f" (list sizes of {plan.extract_date.isoformat()})" if plan.extract_date else ""),
        f"hubs: {m.hubs.groups} ({m.hubs.sizes.min:,.0f}-{m.hubs.sizes.max:,.0f} patients); "
        f"certificate {hubs.status}, gap {100 * (hubs.gap or 0):.4f}%",
        *_stages_lines("hubs", hubs),
    ]
    if m.mcps is not None and plan.certificates.mcps is not None:
        mcps = plan.certificates.mcps
        lines.append(
            f"MCPs: {m.mcps.groups} ({m.mcps.sizes.min:,.0f}-{m.mcps.sizes.max:,.0f} patients, "
            f"largest span {m.max_mcp_span_km:.1f} km); certificate {mcps.status}, "
            f"gap {100 * (mcps.gap or 0):.4f}%"
        )
        lines += _stages_lines("MCPs", mcps)
    travel = m.hubs.travel
    if travel is not None:  # a plan's hubs always have it
        lines.append(
            f"travel to hub base: weighted mean {travel.mean:.2f} km, "
            f"95th percentile {travel.p95:.2f} km, max {travel.max:.2f} km"
        )
    if plan.reference is not None:
        lines.append(plan.reference.line())
    if plan.alternatives is not None:
        lines.append(plan.alternatives.line())
    for exception in plan.exceptions:
        lines.append(f"exception: {exception.text}")
    if m.by_area is not None:
        lines += m.by_area.lines()
    lines.append(_excluded_line(plan))
    lines.append(f"written to {out}/ ({plan.timings.total:.1f} s)")
    print("\n".join(lines))


def _stages_lines(level: str, cert: Certificate) -> list[str]:
    """A level of several objective stages: each stage's value, status, bound and gap (the
    level's gap above is its last stage's: a count not proven would not show there)."""
    if len(cert.stages) < 2:
        return []
    said = []
    for stage in cert.stages:
        value = "none" if stage.objective is None else f"{stage.objective:,.0f}"
        bound = "" if stage.bound is None else f", bound {stage.bound:,.0f}"
        gap = "" if stage.gap is None else f", gap {100 * stage.gap:.4f}%"
        said.append(f"{stage.name} {value} ({stage.status}{bound}{gap})")
    return [f"  {level} stages: " + "; ".join(said)]


def _excluded_line(plan: Plan) -> str:
    """How many of the footprint's practices the data excluded, and why."""
    if plan.exclusions.empty:
        return "excluded: none (every practice of the footprint is planned)"
    reasons = plan.exclusions.groupby("reason").size().sort_index()
    why = "; ".join(f"{reason}: {count:,}" for reason, count in reasons.items())
    total = len(plan.exclusions)
    return f"excluded: {total:,} practice{'s' if total != 1 else ''} of the footprint ({why})"
