"""A static map of a plan that prints: territories, practices and bases drawn from its geometry.

No tiles, no network: the hub territories (filled in the interactive map's colours: each MCP a
hue, its hubs shades of it), the MCP outlines, the practices (sized by list size), the hub and
MCP bases, the hub ids, a scale bar, a north arrow and the data's attribution. Drawn in British
National Grid (EPSG:27700), where a kilometre is the same length everywhere on the page.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from mcp_geo.maps._colours import hub_colours
from mcp_geo.maps._panel import short_attribution
from mcp_geo.reports.charts import INK, WIDTH_IN, house_style, new_figure

if TYPE_CHECKING:
    import geopandas as gpd

    from mcp_geo.plans.plan import Plan

BNG = "EPSG:27700"
MAX_HEIGHT_IN = 8.2
HUB_BASE: dict[str, Any] = {
    "marker": "s",
    "color": "white",
    "markeredgecolor": INK,
    "markersize": 6,
}
MCP_BASE: dict[str, Any] = {
    "marker": "o",
    "color": "#ffd54f",
    "markeredgecolor": INK,
    "markersize": 10,
}
NICE_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200)


def plan_map(plan: Plan, *, title: str | None = None) -> Figure:
    """The plan's static map (see the module docstring).

    Parameters
    ----------
    plan
        A plan (solved, or read back from its folder).
    title
        The map's title; by default the footprint's.

    Returns
    -------
    Figure
        Territories (``gid`` ``territories``), MCP outlines (``mcp-outlines``), practices
        (``practices``), hub bases (``hub-bases``) and MCP bases (``mcp-bases``).
    """
    hubs_land = plan.territories_hubs.to_crs(BNG)
    practices = plan.practices.to_crs(BNG)
    xmin, ymin, xmax, ymax = _extent(hubs_land, practices)
    aspect = (ymax - ymin) / max(xmax - xmin, 1.0)
    height = min(MAX_HEIGHT_IN, max(3.5, WIDTH_IN * aspect + 0.6))
    figure = new_figure(height=height)
    with house_style():
        ax = figure.add_subplot()
        _territories(ax, plan, hubs_land)
        _points(ax, plan, practices)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal")
        ax.set_axis_off()
        _scale_bar(ax, width_m=xmax - xmin)
        _north_arrow(ax)
        _legend(ax, mcps=not plan.mcps.empty)
        ax.set_title(title or plan.footprint_title, loc="left")
        figure.text(0.01, 0.005, short_attribution(plan), fontsize=6, color="#444444")
    return figure


def _extent(land: gpd.GeoDataFrame, practices: gpd.GeoDataFrame) -> tuple[float, ...]:
    """The drawn area: territories and practices, with a margin of 4%."""
    boxes = [layer.total_bounds for layer in (land, practices) if not layer.empty]
    xmin = min(b[0] for b in boxes)
    ymin = min(b[1] for b in boxes)
    xmax = max(b[2] for b in boxes)
    ymax = max(b[3] for b in boxes)
    pad = 0.04 * max(xmax - xmin, ymax - ymin, 1000.0)
    return xmin - pad, ymin - pad, xmax + pad, ymax + pad


def _territories(ax: Axes, plan: Plan, land: gpd.GeoDataFrame) -> None:
    if land.empty:
        return
    mcp_of = {str(h): str(m) for h, m in zip(plan.hubs["hub_id"], plan.hubs["mcp_id"], strict=True)}
    colours = hub_colours(
        land, {h: m if m not in ("None", "nan") else "" for h, m in mcp_of.items()}
    )
    fills = [colours.get(str(h), "#cccccc") for h in land["hub_id"]]
    land.plot(ax=ax, color=fills, edgecolor="white", linewidth=0.6, gid="territories")
    if not plan.territories_mcps.empty:
        mcps = plan.territories_mcps.to_crs(BNG)
        mcps.boundary.plot(ax=ax, color=INK, linewidth=1.6, gid="mcp-outlines")
    halo: list[patheffects.AbstractPathEffect] = [
        patheffects.withStroke(linewidth=2.2, foreground="white")
    ]
    for hub, point in zip(land["hub_id"], land.representative_point(), strict=True):
        ax.annotate(
            str(hub),
            xy=(point.x, point.y),
            ha="center",
            va="center",
            fontsize=6.5,
            fontweight="bold",
            color=INK,
            path_effects=halo,
            zorder=7,
        )


def _points(ax: Axes, plan: Plan, practices: gpd.GeoDataFrame) -> None:
    sizes = [4 + 26 * math.sqrt(max(float(p), 0.0) / 20_000) for p in practices["patients"]]
    xs, ys = practices.geometry.x, practices.geometry.y
    dots = ax.scatter(xs, ys, s=sizes, color="#333333", alpha=0.65, linewidths=0, zorder=3)
    dots.set_gid("practices")
    bases = plan.hubs.to_crs(BNG)
    (hub_bases,) = ax.plot(bases.geometry.x, bases.geometry.y, linestyle="", zorder=4, **HUB_BASE)
    hub_bases.set_gid("hub-bases")
    if not plan.mcps.empty:
        mcps = plan.mcps.to_crs(BNG)
        (mcp_bases,) = ax.plot(mcps.geometry.x, mcps.geometry.y, linestyle="", zorder=5, **MCP_BASE)
        mcp_bases.set_gid("mcp-bases")


def _scale_bar(ax: Axes, *, width_m: float) -> None:
    """A bar of a round number of km, about a fifth of the map's width, at the lower left."""
    target = width_m / 5_000
    km = max([k for k in NICE_KM if k <= target] or [NICE_KM[0]])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    left, bottom = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    height = 0.008 * (y1 - y0)
    half = km * 500
    for k, colour in enumerate((INK, "white")):
        ax.add_patch(
            Rectangle(
                (left + k * half, bottom),
                half,
                height,
                facecolor=colour,
                edgecolor=INK,
                linewidth=0.8,
                zorder=6,
            )
        )
    label = f"{km:g} km"
    halo: list[patheffects.AbstractPathEffect] = [
        patheffects.withStroke(linewidth=2.2, foreground="white")
    ]
    text = ax.text(left, bottom + 2.5 * height, label, fontsize=7, color=INK, zorder=6)
    text.set_path_effects(halo)
    text.set_gid("scale-bar")


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.965, 0.97),
        xytext=(0.965, 0.87),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        color=INK,
        arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 1.2},
        gid="north-arrow",
    )


def _legend(ax: Axes, *, mcps: bool) -> None:
    handles = [
        Line2D([], [], linestyle="", marker="o", color="#333333", alpha=0.65, label="practice"),
        Line2D([], [], linestyle="", label="hub base", **HUB_BASE),
    ]
    if mcps:
        handles += [
            Line2D([], [], linestyle="", label="MCP base", **MCP_BASE),
            Line2D([], [], color=INK, linewidth=1.6, label="MCP outline"),
        ]
    ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)


def figure_size(figure: Figure) -> tuple[float, float]:
    """The figure's width and height in inches (for the page's layout)."""
    width, height = figure.get_size_inches()
    return float(width), float(height)
