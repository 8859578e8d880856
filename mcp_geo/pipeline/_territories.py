"""The outline a plan is drawn in, and its hub and MCP territories (DESIGN.md, "Boundaries").

:func:`choose_outline` picks the footprint's official outline (a current ICB's is made from the
Sub-ICB polygons and practice cells, :mod:`mcp_geo.boundaries.icb_outlines`);
:func:`draw_territories` cuts it into the practices' cells and joins them per hub and per MCP.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from mcp_geo.boundaries.icb_outlines import current_icb_outline
from mcp_geo.boundaries.territories import (
    MIN_PIECE_M2,
    Outline,
    footprint_outline,
    merge_territories,
    practice_cells,
    territories,
)
from mcp_geo.practices.footprints import Footprint
from mcp_geo.practices.outlines import OfficialAreas, OutlineChoice, official_outline

TERRITORY_NOTE = (
    "territories: Voronoi cells of the practice sites in the outline, joined per hub; a site "
    "shared by practices of several hubs is cut into sectors, one per hub, in proportion to "
    "their patients there; pieces of a hub's territory holding none of its practices, and "
    f"pieces below {MIN_PIECE_M2 / 1e6:g} km², are merged into the neighbour they share the "
    "longest border with (a hub keeps its largest piece holding a practice)"
)
"""The note every plan carries on how its territories are drawn (report.json's ``notes``)."""


@dataclass(frozen=True)
class Territories:
    """A plan's outline, its hub and MCP territories, and the notes on how they were drawn."""

    outline: Outline
    hubs: gpd.GeoDataFrame
    mcps: gpd.GeoDataFrame
    notes: tuple[str, ...]


def draw_territories(
    practices: pd.DataFrame,
    *,
    outline: OutlineChoice | None,
    planned: pd.DataFrame,
    hubs: pd.DataFrame,
    no_mcps: bool,
) -> Territories:
    """The footprint's outline (the official one when ``outline`` has a geometry, else a
    buffered hull) and the hub and MCP territories.

    Parameters
    ----------
    practices
        The planned practices (a GeoDataFrame in EPSG:4326 with practice_code and patients).
    outline
        The official outline chosen for the footprint (:func:`choose_outline`), or None.
    planned
        practice_code -> hub_id.
    hubs
        hub_id -> mcp_id.
    no_mcps
        Whether the plan has no MCP level (no MCP territories).

    Returns
    -------
    Territories
        The outline, the territories and the notes for report.json.
    """
    choice = outline
    points = gpd.GeoDataFrame(practices[["practice_code"]], geometry=practices.geometry, crs=4326)
    drawn = footprint_outline(points, official=None if choice is None else choice.geometry)
    cells = practice_cells(points, outline=drawn)
    patients = practices.set_index("practice_code")["patients"]
    hub_of = planned.set_index("practice_code")["hub_id"]
    hub_territories = territories(cells, hub_of, patients=patients).rename(
        columns={"group_id": "hub_id"}
    )
    if no_mcps:
        mcp_territories = hub_territories.iloc[0:0].rename(columns={"hub_id": "mcp_id"})
    else:
        mcp_territories = merge_territories(
            hub_territories.rename(columns={"hub_id": "group_id"}),
            hubs.set_index("hub_id")["mcp_id"],
        ).rename(columns={"group_id": "mcp_id"})
    return Territories(
        outline=drawn,
        hubs=hub_territories,
        mcps=mcp_territories,
        notes=(
            *(() if choice is None else (f"outline: {choice.description}",)),
            TERRITORY_NOTE,
        ),
    )


def choose_outline(
    footprint: Footprint,
    *,
    areas: OfficialAreas,
    era: str,
    snapshot: pd.DataFrame | None,
) -> OutlineChoice:
    """The official outline of a footprint: the union of its official areas' polygons.

    Parameters
    ----------
    footprint
        The selected footprint.
    areas
        The official boundaries.
    era
        The snapshot's era (``sub-icb`` or ``ccg``).
    snapshot
        Every practice of the snapshot: a current ICB (``icb-2026:``) is outlined by the
        Sub-ICB polygons it holds whole and the cells of its practices in split Sub-ICBs.

    Returns
    -------
    OutlineChoice
        The geometry (None when no official outline fits) and how it was chosen.
    """
    if footprint.area_level == "icb_2026" and snapshot is not None:
        return current_icb_outline(snapshot, areas, codes=footprint.area_codes)
    return official_outline(footprint, areas, era=era)
