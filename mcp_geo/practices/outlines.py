"""Official area polygons for footprint outlines.

A footprint's outline is the union of the official polygons of the organisations that define it
(DESIGN.md, "Boundaries"): Sub-ICB locations and ICBs of April 2023 on the 2025 snapshot; on the
2021 snapshot the CCG of April 2019 where the CCG still existed, else the ICB of April 2023; the
April 2019 CCGs for the Sussex footprints; England's outline for the nation. Where no official
polygon fits, the territories fall back to a buffered hull of the practices, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from mcp_geo.practices.areas import (
    read_ccg_2019,
    read_england,
    read_icb_2023,
    read_sub_icb_2023,
)
from mcp_geo.practices.ccg2019 import CCG2019_BY_ODS
from mcp_geo.practices.snapshots import CCG19, COUNTRIES, ICB23, SUB_ICB23, locate_files

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from mcp_geo.practices.footprints import Footprint

AREA_LEVELS = ("sub_icb", "icb", "ccg19", "england")


@dataclass(frozen=True, eq=False)
class OfficialAreas:
    """Official polygons in EPSG:27700: columns ``level``, ``code`` (ONS), ``name``, ``geometry``.

    ``description`` says where they came from (the official files, or the simplified copies shipped
    with the package).
    """

    areas: gpd.GeoDataFrame
    description: str

    def polygons(self, level: str, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
        """The polygons of ``codes`` (ONS) at ``level``; codes with no polygon are left out."""
        rows = self.areas[(self.areas["level"] == level) & self.areas["code"].isin(codes)]
        return rows.reset_index(drop=True)


def load_official_areas(data_dir: str | Path) -> OfficialAreas:
    """Read the official boundary files of a data folder (Sub-ICB, ICB, CCG 2019, England)."""
    paths = locate_files(
        data_dir, {"sub_icb": SUB_ICB23, "icb": ICB23, "ccg19": CCG19, "england": COUNTRIES}
    )
    frames = []
    for level, reader in (
        ("sub_icb", read_sub_icb_2023),
        ("icb", read_icb_2023),
        ("ccg19", read_ccg_2019),
        ("england", read_england),
    ):
        frame = reader(paths[level])[["code", "name", "geometry"]].copy()
        frame.insert(0, "level", level)
        frames.append(frame)
    areas = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=27700)
    names = ", ".join(Path(p).name for p in paths.values())
    return OfficialAreas(areas=areas, description=f"official boundaries ({names})")


@dataclass(frozen=True)
class OutlineChoice:
    """The official polygon chosen for a footprint's outline, or ``None`` with the reason."""

    geometry: BaseGeometry | None
    description: str


def official_outline(footprint: Footprint, areas: OfficialAreas, *, era: str) -> OutlineChoice:
    """Pick the official polygons whose union outlines ``footprint``.

    Parameters
    ----------
    footprint
        The footprint to outline.
    areas
        The official boundaries (:func:`mcp_geo.practices.areas.load_official_areas`).
    era
        The snapshot's (``sub-icb`` or ``ccg``): in the CCG era, a CCG's polygon is taken from the
        April 2019 file where the CCG still had its 2019 code, else its STP's April 2023 ICB.

    Returns
    -------
    OutlineChoice
        The union of the polygons and how they were chosen, or no geometry with the reason.
    """
    level = footprint.area_level
    practices = footprint.practices
    if level == "england":
        chosen = areas.polygons("england", ("E92000001",))
        return _union(chosen, "England (ONS countries, December 2022)")
    if level == "polygon" or level is None:
        return OutlineChoice(None, "no official outline for this footprint")
    if level == "icb_2026":
        # drawn from Sub-ICB polygons and practice cells: mcp_geo.boundaries.icb_outlines
        return OutlineChoice(None, "current ICBs have no official polygon")
    if level == "ccg19":
        codes = tuple(
            sorted(
                {
                    CCG2019_BY_ODS[c].ons_code
                    for c in practices["ccg19_code"].dropna()
                    if c in CCG2019_BY_ODS
                }
            )
        )
        wanted = tuple(sorted(practices["ccg19_code"].dropna().unique()))
        if len(codes) != len(wanted):
            return OutlineChoice(None, "some April 2019 CCGs have no polygon in the table")
        return _union(areas.polygons("ccg19", codes), "CCG April 2019 boundaries")
    codes = tuple(sorted(practices[f"{level}_ons_code"].dropna().unique()))
    if era == "ccg" and level == "sub_icb":
        found = areas.polygons("ccg19", codes)
        if set(found["code"]) == set(codes):
            return _union(found, "CCG April 2019 boundaries (the CCGs still had their 2019 codes)")
        icbs = tuple(sorted(practices["icb_ons_code"].dropna().unique()))
        return OutlineChoice(
            None,
            "CCGs created after April 2019 have no official polygon here "
            f"(missing: {', '.join(sorted(set(codes) - set(found['code'])))}); "
            f"ICB 2023 would cover more than the footprint ({', '.join(icbs)})",
        )
    found = areas.polygons(level, codes)
    if set(found["code"]) != set(codes):
        missing = ", ".join(sorted(set(codes) - set(found["code"])))
        return OutlineChoice(None, f"no April 2023 {level.replace('_', '-')} polygon for {missing}")
    label = "Sub-ICB location" if level == "sub_icb" else "ICB"
    return _union(found, f"{label} April 2023 boundaries")


def _union(found: gpd.GeoDataFrame, description: str) -> OutlineChoice:
    if found.empty:
        return OutlineChoice(None, f"no polygon found ({description})")
    names = ", ".join(found["name"])
    return OutlineChoice(found.geometry.union_all(), f"{description}: {names}")
