"""The boxes on a map: the panel of headline numbers in plain words, the legends, the attribution.

The panel and the legend are ``<details>`` boxes: a click on their title collapses them (on a
phone they start collapsed, see :mod:`mcp_geo.maps._script`). The panel says what the
certificates mean ("proven the best possible plan", "within 0.4% of the best possible"), not
the solver's numbers, and ends with the data's dates and attribution (the package's
:data:`~mcp_geo.ATTRIBUTION`), which the map's attribution line also carries in short. Each
legend row names the layer it explains (``data-mcp-geo-layer``) and shows only while that
layer is on. Every text from the data is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import PurePath

import folium

from mcp_geo import ATTRIBUTION
from mcp_geo.maps._colours import OKABE_ITO, SCHEME, shades
from mcp_geo.maps._labels import LABEL_CLASS
from mcp_geo.plans.plan import Plan
from mcp_geo.solvers.areas import AREA_LEVELS
from mcp_geo.solvers.certificate import Certificate

HUB_BASE_CLASS = "mcp-geo-hub-base"
MCP_BASE_CLASS = "mcp-geo-mcp-base"

SHORT_ATTRIBUTION = (
    "NHS England, ONS: OGL v3.0; OS data © Crown copyright; Royal Mail data © Royal Mail"
)
"""The attribution line every map carries, after the data's date (the full text is in the panel)."""


def short_attribution(plan: Plan) -> str:
    """The map's attribution line: the list sizes' date and :data:`SHORT_ATTRIBUTION`."""
    if plan.extract_date is not None:
        return f"List sizes of {plan.extract_date:%-d %B %Y}. {SHORT_ATTRIBUTION}"
    return f"Sites from {PurePath(plan.footprint).name}. {SHORT_ATTRIBUTION}"


BOX_STYLE = f"""<style>
.{HUB_BASE_CLASS} {{ background: #ffffff; border: 3px solid #111111; border-radius: 2px; }}
.{MCP_BASE_CLASS} {{ background: #ffd54f; border: 3px solid #111111; transform-origin: center;
  border-radius: 50%; box-shadow: 0 0 0 2px #ffffff; }}
.mcp-geo-box {{ position: fixed; z-index: 1000; background: rgba(255,255,255,0.96);
  padding: 6px 10px; border: 1px solid #767676; border-radius: 4px;
  font: 12px/1.45 system-ui, sans-serif; color: #111; box-sizing: border-box;
  max-width: min(340px, calc(50vw - 70px)); max-height: calc(100vh - 150px); overflow: auto; }}
.mcp-geo-box summary {{ cursor: pointer; font-weight: 600; font-size: 14px; }}
.mcp-geo-box summary h1 {{ display: inline; font-size: 14px; margin: 0; font-weight: 600; }}
.mcp-geo-box p {{ margin: 3px 0; }}
.mcp-geo-box table {{ border-collapse: collapse; }}
.mcp-geo-box td {{ padding: 0 6px 0 0; vertical-align: middle; }}
.mcp-geo-box .mcp-geo-data {{ font-size: 11px; color: #333; border-top: 1px solid #ccc;
  margin-top: 4px; padding-top: 3px; }}
.mcp-geo-box .mcp-geo-data summary {{ font-size: 12px; font-weight: 500; }}
.mcp-geo-swatch {{ display: inline-block; width: 18px; height: 12px; }}
.mcp-geo-legend .{LABEL_CLASS}-sample {{ font: 600 11px system-ui, sans-serif; padding: 0 3px;
  background: #fff; border-radius: 3px; }}
.mcp-geo-legend .{LABEL_CLASS}-sample.mcp {{ border: 2px solid #111; font-weight: 700; }}
.leaflet-container {{ background: #eef0f2; }}
@media (max-width: 700px) {{
  .mcp-geo-box {{ max-width: calc(100vw - 130px); font-size: 11px; }}
  .mcp-geo-box.mcp-geo-side {{ max-width: calc(50vw - 60px); }}
}}
</style>"""
"""CSS of the base markers, legends and panels (no script)."""


def plain_certificate(certificate: Certificate) -> str:
    """What a certificate means, in words a board reads.

    Examples
    --------
    >>> from mcp_geo.solvers.certificate import Certificate
    >>> c = Certificate("compact", "HiGHS", "1.16", "feasible", 10.0, "km", 9.96, 0.004, 1.0, "time_limit")
    >>> plain_certificate(c)
    'within 0.4% of the best possible'
    """
    gap = certificate.gap
    if certificate.status == "optimal":
        if gap is None or gap < 0.00005:
            return "proven the best possible plan"
        return f"proven the best possible plan, to within {_percent(gap)}"
    if certificate.status == "feasible":
        words = (
            "a plan, not proven the best"
            if gap is None
            else (f"within {_percent(gap)} of the best possible")
        )
        return _count_not_proven(certificate) + words
    if certificate.status == "no_solution":
        return "no plan found in the time allowed"
    return "the rules cannot all be met"


def _count_not_proven(certificate: Certificate) -> str:
    """With ``fewest``, a count not proven the fewest, said first (the level's gap is its last
    stage's, the travel): ``38 hubs where 36 may do (the fewest not proven); travel ``."""
    for stage in certificate.stages:
        counted = stage.name in ("hubs", "mcps") and stage.status == "feasible"
        if counted and stage.objective is not None and stage.bound is not None:
            groups = "hubs" if stage.name == "hubs" else "MCPs"
            return (
                f"{stage.objective:,.0f} {groups} where {stage.bound:,.0f} may do (the fewest not"
                " proven); travel "
            )
    return ""


def _percent(gap: float) -> str:
    return f"{100 * gap:.1f}%" if gap >= 0.001 else f"{100 * gap:.2f}%"


def plain_travel(travel: str) -> str:
    """How distances were measured, in words (``great-circle km (haversine, ...)`` -> straight)."""
    if travel.startswith("great-circle"):
        circuity = travel.split(" x circuity ")[1] if " x circuity " in travel else ""
        extra = f", times {circuity} for the roads' detours" if circuity else ""
        return f"distances in straight lines{extra}"
    if travel.startswith("roads") or "road" in travel:
        return "distances by road"
    return f"distances: {travel}"


def _share(n: int, within: int) -> str:
    if n == within:
        return "all within"
    return f"{within} of {n} within"


def _list_sizes(plan: Plan) -> str:
    """Where the list sizes come from: the snapshot's date, or the user's sites file."""
    if plan.extract_date is not None:
        return f"list sizes of {plan.extract_date:%-d %B %Y}"
    return f"list sizes from {PurePath(plan.footprint).name}"


def data_lines(plan: Plan) -> list[str]:
    """The data's dates and attribution (plain text, one line each)."""
    from mcp_geo.practices.snapshots import get_snapshot

    lines = []
    if plan.extract_date is not None:
        snapshot = get_snapshot(plan.snapshot)
        outlines = ", ".join(s.stem.split("/")[-1].replace("_", " ") for s in snapshot.outlines)
        lines.append(
            f"Data: NHS England {snapshot.description}; OS Code-Point Open postcodes; "
            f"ONS boundaries ({outlines})."
        )
    else:
        lines.append(f"Data: the sites of {PurePath(plan.footprint).name}.")
    lines += [s.strip() + "." for s in ATTRIBUTION.split(". ") if s.strip()]
    return [line.replace("..", ".") for line in lines]


def crossing_lines(plan: Plan, *, shown: int = 6) -> list[str]:
    """One line per official level: the hubs and MCPs that cross its areas, and which.

    ``crossing sub-ICB boundaries: 5 hubs (H02, H03, ...), 4 MCPs (M01, ...)``.
    """

    def ids(spans: dict[str, tuple[str | None, ...]]) -> str:
        keys = list(spans)
        more = f", and {len(keys) - shown} more" if len(keys) > shown else ""
        return f" ({', '.join(keys[:shown])}{more})" if keys else ""

    lines = []
    for c in plan.metrics.crossings:
        word = AREA_LEVELS[c.level].word
        parts = [f"{len(c.hubs)} hub{'s' if len(c.hubs) != 1 else ''}{ids(c.hubs)}"]
        if c.mcps is not None:
            parts.append(f"{len(c.mcps)} MCP{'s' if len(c.mcps) != 1 else ''}{ids(c.mcps)}")
        outside = (
            f"; {c.practices_without_area} practices outside every {word}"
            if c.practices_without_area
            else ""
        )
        lines.append(f"crossing {word} boundaries: {', '.join(parts)}{outside}")
    return lines


def plan_lines(plan: Plan) -> tuple[list[str], list[str]]:
    """A plan's headline numbers in plain words (HTML, escaped here): the main lines, and the
    details (patients by area, crossings, exceptions) a comparison's panel folds away."""
    m = plan.metrics
    s = plan.scenario
    esc = html.escape
    hub_sizes = m.hubs.sizes
    hub_within = hub_sizes.n - hub_sizes.n_below - hub_sizes.n_above
    main = [
        f"{m.practices:,} practices, {m.patients:,} patients ({esc(_list_sizes(plan))})",
        f"<b>{m.hubs.groups} hubs</b> of {s.hub_min:,}-{s.hub_max:,} patients: "
        f"{_share(hub_sizes.n, hub_within)}",
    ]
    details: list[str] = []
    if m.by_area is not None:  # the whole breakdown is m.by_area (report.json's by_area)
        details.append(esc(m.by_area.headline()))
    if m.mcps is not None:
        mcp_sizes = m.mcps.sizes
        mcp_within = mcp_sizes.n - mcp_sizes.n_below - mcp_sizes.n_above
        bound = f"{s.mcp_min:,}-{s.mcp_max:,}" if s.mcp_max else f"at least {s.mcp_min:,}"
        main.append(
            f"<b>{m.mcps.groups} MCPs</b> of {bound} patients: {_share(mcp_sizes.n, mcp_within)}"
        )
        if m.max_mcp_span_km is not None:
            main.append(f"the widest MCP spans {m.max_mcp_span_km:.1f} km")
    if m.hubs.travel is not None:
        main.append(
            f"patients' practices are {m.hubs.travel.mean:.1f} km from their hub base on average "
            f"(at most {m.hubs.travel.max:.1f} km; {esc(plain_travel(plan.travel))})"
        )
    details += [esc(line) for line in crossing_lines(plan)]
    for level, certificate in (("Hubs", plan.certificates.hubs), ("MCPs", plan.certificates.mcps)):
        if certificate is not None:
            main.append(f"{level}: <b>{esc(plain_certificate(certificate))}</b>")
    details += [f"exception: {esc(exception.text)}" for exception in plan.exceptions]
    return main, details


def panel_box(plan: Plan, body: str, *, left: str = "10px", title: str | None = None) -> str:
    """The collapsible panel: ``title`` (escaped here), ``body`` (HTML), the data's lines."""
    esc = html.escape
    data = "<br>".join(esc(line) for line in data_lines(plan))
    return (
        f'<details open class="mcp-geo-box mcp-geo-panel{_side(left)}" '
        f'style="top: 10px; left: {left}; margin-left: 46px">'
        f"<summary><h1>{esc(title or plan.footprint_title)}</h1></summary>{body}"
        f'<details class="mcp-geo-data"><summary>About the data</summary>{data}</details>'
        "</details>"
    )


def paragraphs(lines: Sequence[str]) -> str:
    """HTML lines (escaped by the caller) as paragraphs."""
    return "".join(f"<p>{line}</p>" for line in lines)


def panel_html(
    plan: Plan, *, left: str = "10px", title: str | None = None, more: Sequence[str] = ()
) -> str:
    """The headline numbers of a plan in plain words (static HTML, collapsible); ``more``: plain
    text lines added after them (escaped here)."""
    main, details = plan_lines(plan)
    if details and plan.metrics.by_area is not None:
        main.insert(1, details.pop(0))  # patients by area, under the practices and patients
    # the certificates stay last of the plan's own lines, after the crossings
    certificates = [line for line in main if line.startswith(("Hubs: ", "MCPs: "))]
    main = [line for line in main if line not in certificates]
    exceptions = [line for line in details if line.startswith("exception: ")]
    crossings = [line for line in details if line not in exceptions]
    lines = [*main, *crossings, *certificates, *exceptions, *(html.escape(x) for x in more)]
    return panel_box(plan, paragraphs(lines), left=left, title=title)


def _side(left: str) -> str:
    return " mcp-geo-side" if "50%" in left else ""


def _row(symbol: str, text: str, layer: folium.map.Layer | None) -> str:
    key = "" if layer is None else f' data-mcp-geo-layer="{layer.get_name()}"'
    return f"<tr{key}><td>{symbol}</td><td>{text}</td></tr>"


def _circles() -> str:
    from mcp_geo.maps._layers import practice_radius

    return "".join(
        f'<svg width="{2 * practice_radius(n) + 4:.0f}" height="30" aria-hidden="true">'
        f'<circle cx="{practice_radius(n) + 2:.1f}" cy="15" r="{practice_radius(n)}" '
        f'fill="#ffffff" fill-opacity="0.35" stroke="#222" stroke-width="1"/></svg> '
        f"{n // 1000}k "
        for n in (5_000, 10_000, 20_000)
    )


def _box(rows: list[str], *, where: str, title: str = "Legend", side: str = "") -> str:
    return (
        f'<details open class="mcp-geo-box mcp-geo-legend{side}" style="bottom: 48px; {where}">'
        f"<summary>{html.escape(title)}</summary><table>{''.join(rows)}</table></details>"
    )


def legend_html(
    layers: dict[str, folium.map.Layer],
    *,
    left: str | None = "10px",
    right: str | None = None,
    changed: folium.map.Layer | None = None,
    title: str = "Legend",
    notes: dict[str, str] | None = None,
) -> str:
    """The plan's legend: a row per layer drawn (shown while that layer is on).

    Parameters
    ----------
    layers
        The plan's layers by :data:`~mcp_geo.maps._layers.LAYER_NAMES` key.
    left, right
        Where the box sits (CSS).
    changed
        The layer of practices that move MCP (comparison maps, changes.csv), if any.
    title
        The box's title.
    notes
        Plain text (escaped here) for a layer whose words depend on the plan: ``open`` (the
        settled / open practices of a plan with alternatives).
    """
    ramp = "".join(
        f'<span class="mcp-geo-swatch" style="background:{c};opacity:.75;width:9px"></span>'
        for hue in OKABE_ITO[:2]
        for c in shades(hue, 3)
    )
    symbols = {
        "hubs": (ramp, f"hub territory: shades of its MCP's colour ({SCHEME} colours)"),
        "mcps": ('<span class="mcp-geo-swatch" style="border:3px solid #111"></span>', "MCP"),
        "labels": (
            f'<span class="{LABEL_CLASS}-sample">H01 Town</span> '
            f'<span class="{LABEL_CLASS}-sample mcp">M01</span>',
            "hub (id, base's town) and MCP",
        ),
        "pcns": (
            '<span class="mcp-geo-swatch" style="border-top:3px dotted #000;height:0"></span>',
            "today's PCN",
        ),
        "reference": (
            '<span class="mcp-geo-swatch" style="border-top:3px dashed #6a3d9a;height:0"></span>',
            "reference group (the grouping planned from)",
        ),
        "outline": (
            '<span class="mcp-geo-swatch" style="border:4px solid #000"></span>',
            "footprint outline",
        ),
        "practices": (_circles(), "practice (area by list size)"),
        "moved": (
            '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;'
            'border:3px solid #e6007e"></span>',
            "practice moved out of its reference group (moves.csv)",
        ),
        "open": (
            '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;'
            'border:2.6px dashed #0b2e6b"></span>',
            html.escape(
                (notes or {}).get("open", "open practice (in another hub in an alternative)")
            ),
        ),
        "hub_bases": (
            f'<span class="{HUB_BASE_CLASS}" style="display:inline-block;width:12px;'
            'height:12px"></span>',
            "hub base",
        ),
        "mcp_bases": (
            f'<span class="{MCP_BASE_CLASS}" style="display:inline-block;width:16px;'
            'height:16px"></span>',
            "MCP base",
        ),
    }
    rows = [_row(*symbols[key], layer) for key, layer in layers.items() if key in symbols]
    if changed is not None:
        rows.append(
            _row(
                '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;'
                'border:2.5px solid #d50000"></span>',
                "practice that moves MCP (changes.csv)",
                changed,
            )
        )
    where = f"left: {left};" if left is not None else f"right: {right};"
    return _box(rows, where=where, title=title, side=_side(where))


def pcn_legend_html(
    layers: dict[str, folium.map.Layer], *, left: str, title: str = "Legend: today's PCNs"
) -> str:
    """The legend of today's PCNs drawn as territories (a comparison's right side)."""
    symbols = {
        "pcns": (
            "".join(
                f'<span class="mcp-geo-swatch" style="background:{c};opacity:.6;width:9px"></span>'
                for c in OKABE_ITO[:4]
            ),
            "PCN territory (touching PCNs differ in colour)",
        ),
        "outline": (
            '<span class="mcp-geo-swatch" style="border:4px solid #000"></span>',
            "footprint outline",
        ),
        "practices": (_circles(), "practice (area by list size)"),
    }
    rows = [_row(*symbols[key], layer) for key, layer in layers.items() if key in symbols]
    return _box(rows, where=f"left: {left};", title=title, side=_side(left))
