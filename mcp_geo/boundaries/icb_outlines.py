"""Outlines of the current ICBs (after the April 2026 mergers), built from the 2023 polygons.

No official polygon exists for the 36 ICBs of 1 April 2026 (``icb_2026_code``, see
:mod:`mcp_geo.practices.current_icbs`); the data has the Sub-ICB locations of April 2023 only.
A current ICB's outline is put together from them, Sub-ICB by Sub-ICB (by its ONS code, the
practices' ``sub_icb_ons_code``):

- a Sub-ICB whose practices all moved to one current ICB goes to it whole (its 2023 polygon);
- a Sub-ICB whose practices are split between current ICBs is cut into the Voronoi cells of its
  own practices' sites (:func:`mcp_geo.boundaries._voronoi.voronoi_cells`, clipped to its
  polygon), and each cell goes to its practice's current ICB. Practices at one site share a cell:
  when they belong to different current ICBs, the cell goes to the ICB with more patients at the
  site (ties: the smallest code), and a note names the practices that lost it. A border practice
  that lies well outside its Sub-ICB's polygon gets a small cell there, or none: a note says so.

The cells of a Sub-ICB tile its polygon, so two current ICBs overlap only where the official
polygons do. Practices without a current ICB (empty ``icb_2026_code``) are ignored: a Sub-ICB
counts as split only between the others. Everything is in British National Grid (EPSG:27700).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries._voronoi import BNG, distinct_sites, polygonal, to_bng, voronoi_cells
from mcp_geo.practices.outlines import OfficialAreas, OutlineChoice

log = logging.getLogger(__name__)

__all__ = ["OUTLINE_COLUMNS", "current_icb_outline", "current_icb_outlines"]

OUTLINE_COLUMNS: tuple[str, ...] = (
    "icb_2026_code", "icb_2026_name", "whole", "split", "notes", "geometry",
)  # fmt: skip
"""The columns of :func:`current_icb_outlines`."""

_NEEDED = (
    "practice_code", "patients", "sub_icb_code", "sub_icb_ons_code", "icb_2026_code",
    "icb_2026_name",
)  # fmt: skip
FAR_OUTSIDE_M = 500.0
"""A practice of a split Sub-ICB, of a current ICB other than the one with most practices there,
whose site lies further than this (m) outside the Sub-ICB's polygon is noted: its cell there is
small or empty."""

_NO_CURRENT = (
    "no practice has a current ICB (icb_2026_code is empty: the snapshot's newest register "
    "predates the ICBs of April 2026)"
)


@dataclass(frozen=True)
class _Division:
    """How one Sub-ICB location is shared out between current ICBs."""

    ons: str
    ods: str
    polygon: BaseGeometry
    counts: dict[str, int]  # current ICB -> its practices here (those with a current ICB)
    parts: dict[str, BaseGeometry]  # current ICB -> its part of the polygon
    notes: dict[str, list[str]] = field(default_factory=dict)  # current ICB -> notes

    @property
    def split(self) -> bool:
        return len(self.counts) > 1


def current_icb_outlines(
    practices: pd.DataFrame, areas: OfficialAreas, *, codes: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """The outline of each current ICB, made of April 2023 Sub-ICB polygons and practice cells.

    Parameters
    ----------
    practices
        A snapshot's practices (``open_data().practices``): ``practice_code``, ``patients``,
        ``sub_icb_code``, ``sub_icb_ons_code``, ``icb_2026_code``, ``icb_2026_name`` and a
        location: ``easting`` / ``northing`` (EPSG:27700), or Point geometries with a CRS.
    areas
        The official polygons (:func:`mcp_geo.practices.open_areas`); level ``sub_icb`` is used.
    codes
        Only these current ICBs (``icb_2026_code``); then only the Sub-ICBs they hold practices
        of are cut. All of them when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`OUTLINE_COLUMNS` in EPSG:27700, one row per current ICB, sorted by code:
        ``whole`` the ODS codes of the Sub-ICBs taken whole (``"09D; 70F"``); ``split`` the
        split Sub-ICBs this ICB has cells of, with its practices there out of all those with a
        current ICB (``"D4U1Y 12/67"``); ``notes`` this ICB's practices in split Sub-ICBs that
        lost their site's cell to another ICB, lie more than :data:`FAR_OUTSIDE_M` outside a
        Sub-ICB where this ICB is not the largest (their cell is small or empty), or have no
        location; ``geometry`` a
        valid Polygon or MultiPolygon. No row when no practice has a current ICB (the 2021-01
        snapshot) and ``codes`` is ``None``.

    Raises
    ------
    ValidationError
        Missing columns, codes that are no current ICB, or a Sub-ICB without a polygon.

    Examples
    --------
    >>> from mcp_geo.practices import open_areas, open_data
    >>> out = current_icb_outlines(open_data().practices, open_areas(), codes=["S9B9J"])
    >>> out.loc[0, ["whole", "split"]].tolist()
    ['09D; 70F; 92A; 97R', 'D4U1Y 12/67']
    """
    current = _current_practices(practices, source="current_icb_outlines")
    if current.empty and codes is None:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in OUTLINE_COLUMNS[:-1]}, geometry=[], crs=BNG
        )
    wanted = _wanted(current, codes, source="current_icb_outlines")
    divisions, missing = _divisions(current, areas, wanted=wanted)
    if missing:
        raise ValidationError(
            [Problem(_missing_text(missing), source="areas", field="sub_icb")],
            context="current_icb_outlines",
        )
    names = current.groupby("icb_2026_code")["icb_2026_name"].first()
    rows = []
    for icb in wanted:
        mine = [d for d in divisions if icb in d.counts]
        whole = [d for d in mine if not d.split]
        split = [d for d in mine if d.split]
        rows.append(
            {
                "icb_2026_code": icb,
                "icb_2026_name": str(names[icb]),
                "whole": "; ".join(sorted(d.ods for d in whole)),
                "split": "; ".join(
                    f"{d.ods} {d.counts[icb]}/{sum(d.counts.values())}"
                    for d in sorted(split, key=lambda d: d.ods)
                ),
                "notes": "; ".join(n for d in mine for n in d.notes.get(icb, [])),
                "geometry": _union([d.parts[icb] for d in mine]),
            }
        )
    return gpd.GeoDataFrame(rows, columns=list(OUTLINE_COLUMNS), geometry="geometry", crs=BNG)


def current_icb_outline(
    practices: pd.DataFrame, areas: OfficialAreas, *, codes: str | Sequence[str]
) -> OutlineChoice:
    """The outline of a footprint of one or more current ICBs: the union of their outlines.

    Parameters
    ----------
    practices
        A snapshot's practices, as :func:`current_icb_outlines` takes them.
    areas
        The official polygons (:func:`mcp_geo.practices.open_areas`).
    codes
        The current ICBs (``icb_2026_code``), one code or several.

    Returns
    -------
    OutlineChoice
        The geometry (EPSG:27700) and how it was made, e.g. ``current ICB outline (April 2026):
        Sub-ICB April 2023 boundaries of 09D, 70F, 92A, 97R and the cells of 12 practices of
        D4U1Y (split between current ICBs)``. A Sub-ICB split only between ICBs of the footprint
        counts as whole. No geometry, with the reason, when no practice has a current ICB (the
        2021-01 snapshot) or a Sub-ICB the footprint needs has no polygon.

    Raises
    ------
    ValidationError
        Missing columns, no code, or codes that are no current ICB.
    """
    current = _current_practices(practices, source="current_icb_outline")
    if current.empty:
        return OutlineChoice(None, f"no current ICB outline: {_NO_CURRENT}")
    wanted = _wanted(current, codes, empty_ok=False, source="current_icb_outline")
    divisions, missing = _divisions(current, areas, wanted=wanted)
    if missing:
        return OutlineChoice(None, f"no current ICB outline: {_missing_text(missing)}")
    chosen = set(wanted)
    whole = [d for d in divisions if set(d.counts) <= chosen]
    cut = [d for d in divisions if not set(d.counts) <= chosen]
    pieces = [d.polygon for d in whole] + [d.parts[c] for d in cut for c in chosen & set(d.counts)]
    words = []
    if whole:
        words.append(f"Sub-ICB April 2023 boundaries of {', '.join(sorted(d.ods for d in whole))}")
    if cut:
        counts = [
            (d.ods, sum(d.counts.get(c, 0) for c in chosen))
            for d in sorted(cut, key=lambda d: d.ods)
        ]
        cells = _and([f"{n} practice{'s' if n != 1 else ''} of {ods}" for ods, n in counts])
        words.append(f"the cells of {cells} (split between current ICBs)")
    notes = [n for d in cut for c in wanted for n in d.notes.get(c, [])]
    text = "current ICB outline (April 2026): " + " and ".join(words)
    return OutlineChoice(_union(pieces), text + (f"; {'; '.join(notes)}" if notes else ""))


def _current_practices(practices: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """The practices with a current ICB, with their site in EPSG:27700 (``x``, ``y``; NaN when
    the practice has no location)."""
    missing = [c for c in _NEEDED if c not in practices.columns]
    if missing:
        raise ValidationError(
            [Problem(f"needs the columns {', '.join(_NEEDED)}", source="practices", value=missing)],
            context=source,
        )
    icb = practices["icb_2026_code"].astype("string").fillna("").str.strip()
    kept = practices.loc[(icb != "").to_numpy()].copy()
    kept["icb_2026_code"] = icb[icb != ""].astype(str).to_numpy()
    x = np.full(len(kept), np.nan)
    y = np.full(len(kept), np.nan)
    if {"easting", "northing"} <= set(kept.columns):
        x = pd.to_numeric(kept["easting"], errors="coerce").to_numpy(dtype=float, copy=True)
        y = pd.to_numeric(kept["northing"], errors="coerce").to_numpy(dtype=float, copy=True)
    unplaced = ~(np.isfinite(x) & np.isfinite(y))
    if unplaced.any() and isinstance(kept, gpd.GeoDataFrame) and kept.crs is not None:
        points = to_bng(kept.geometry[unplaced], source="practices")
        usable = (points.geom_type == "Point").to_numpy() & ~points.is_empty.to_numpy()
        xy = np.full((len(points), 2), np.nan)
        xy[usable] = shapely.get_coordinates(points.to_numpy()[usable])
        x[unplaced], y[unplaced] = xy[:, 0], xy[:, 1]
    out = pd.DataFrame(kept[list(_NEEDED)]).reset_index(drop=True)
    out["x"], out["y"] = x, y
    return out


def _wanted(
    current: pd.DataFrame, codes: Sequence[str] | None, *, source: str, empty_ok: bool = True
) -> list[str]:
    """The current ICB codes asked for (all when ``None``), checked against the data."""
    known = sorted(set(current["icb_2026_code"]))
    if codes is None:
        return known
    if isinstance(codes, str):
        codes = [codes]
    wanted = sorted({str(c).strip() for c in codes})
    problems = []
    if not wanted and not empty_ok:
        problems.append(Problem("give at least one current ICB code", source="codes"))
    if not known and wanted:
        problems.append(Problem(_NO_CURRENT, source="practices", field="icb_2026_code"))
    elif unknown := [c for c in wanted if c not in known]:
        problems.append(
            Problem(
                f"not a current ICB of these practices (there are {len(known)}: "
                f"{', '.join(known)})",
                source="codes",
                value=unknown,
            )
        )
    if problems:
        raise ValidationError(problems, context=source)
    return wanted


def _divisions(
    current: pd.DataFrame, areas: OfficialAreas, *, wanted: Sequence[str]
) -> tuple[list[_Division], list[str]]:
    """How each Sub-ICB holding practices of ``wanted`` is shared out, and the ``ONS (ODS)``
    labels of those with no polygon."""
    touched = current.loc[current["icb_2026_code"].isin(wanted), "sub_icb_ons_code"]
    ons_codes = tuple(sorted(set(touched.dropna().astype(str))))
    found = areas.polygons("sub_icb", ons_codes)
    polygons = {str(k): polygonal(g.union_all()) for k, g in found.groupby("code").geometry}
    divisions, missing = [], []
    for ons in ons_codes:
        group = current.loc[current["sub_icb_ons_code"] == ons]
        ods = str(group["sub_icb_code"].iloc[0])
        if ons not in polygons:
            missing.append(f"{ons} ({ods})")
            continue
        counts = {str(k): int(n) for k, n in group.groupby("icb_2026_code").size().items()}
        polygon = polygons[ons]
        if len(counts) == 1:
            divisions.append(_Division(ons, ods, polygon, counts, {next(iter(counts)): polygon}))
        else:
            parts, notes = _cut(group, polygon, ods=ods)
            divisions.append(_Division(ons, ods, polygon, counts, parts, notes))
    return divisions, missing


def _cut(
    group: pd.DataFrame, polygon: BaseGeometry, *, ods: str
) -> tuple[dict[str, BaseGeometry], dict[str, list[str]]]:
    """Cut a split Sub-ICB's polygon into its practices' cells, each given to its current ICB."""
    notes: dict[str, list[str]] = {}
    placed = np.isfinite(group["x"].to_numpy()) & np.isfinite(group["y"].to_numpy())
    for row in group.loc[~placed].itertuples():
        _note(
            notes, str(row.icb_2026_code), f"{row.practice_code} ({ods}) has no location: no cell"
        )
    group = group.loc[placed]
    pieces: dict[str, list[BaseGeometry]] = {str(c): [] for c in group["icb_2026_code"]}
    if group.empty:
        return {c: polygonal(None) for c in notes}, notes
    sites, site_of = distinct_sites(group[["x", "y"]].to_numpy(dtype=float))
    cells = voronoi_cells(sites, outline=polygon)
    away = shapely.distance(polygon, shapely.points(sites))
    sizes = group.groupby("icb_2026_code").size()
    largest = {str(c) for c, n in sizes.items() if n == sizes.max()}  # its cells fill the rest
    for s, cell in enumerate(cells):
        here = group.loc[site_of == s]
        owner, why = _site_owner(here)
        pieces[owner].append(cell)
        shared = f"shares its site with practices of {owner}, which {why} and so the site's cell"
        far = (
            f"lies {away[s] / 1000:.1f} km outside {ods}'s polygon: "
            f"its site's cell there is {cell.area / 1e6:.2f} km²"
        )
        for row in here.itertuples():
            icb = str(row.icb_2026_code)
            if icb != owner:
                _note(notes, icb, f"{row.practice_code} ({ods}) {shared}")
            if away[s] > FAR_OUTSIDE_M and icb not in largest:
                _note(notes, icb, f"{row.practice_code} ({ods}) {far}")
    parts = {c: _union(p) for c, p in pieces.items()}
    for c in notes:
        parts.setdefault(c, polygonal(None))
    return parts, notes


def _site_owner(here: pd.DataFrame) -> tuple[str, str]:
    """The current ICB with the most patients at one site (ties: the smallest code), and why."""
    totals = here.groupby("icb_2026_code")["patients"].sum()
    best = [str(c) for c, n in totals.items() if n == totals.max()]
    why = (
        "has more patients there"
        if len(best) == 1
        else "has as many patients there and the smaller code"
    )
    return min(best), why


def _note(notes: dict[str, list[str]], icb: str, text: str) -> None:
    notes.setdefault(icb, []).append(text)
    log.info("current ICB %s: %s", icb, text)


def _union(pieces: Sequence[BaseGeometry]) -> BaseGeometry:
    parts = [p for p in pieces if p is not None and not p.is_empty]
    if not parts:
        return polygonal(None)
    return polygonal(parts[0] if len(parts) == 1 else shapely.union_all(parts))


def _missing_text(missing: Sequence[str]) -> str:
    return f"no April 2023 Sub-ICB polygon for {', '.join(missing)}"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
