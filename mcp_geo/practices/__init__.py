"""Read, validate and geocode official GP practice data, and select footprints.

>>> from mcp_geo.practices import open_data, select_footprint
>>> data = open_data()                      # the snapshot shipped with the package  # doctest: +SKIP
>>> select_footprint(data, "north-staffs").patients  # doctest: +SKIP
531633
"""

from __future__ import annotations

from pathlib import Path

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.practices.current_icbs import current_icbs, icb_constituents
from mcp_geo.practices.footprints import (
    BUILTIN_FOOTPRINTS,
    Footprint,
    FootprintSpec,
    footprint_summary,
    parse_footprint,
    select_footprint,
)
from mcp_geo.practices.load import PRACTICE_COLUMNS, PracticeData, load_practices
from mcp_geo.practices.outlines import OfficialAreas, load_official_areas
from mcp_geo.practices.readers._csv import FORMULA_STARTS
from mcp_geo.practices.snapshots import DEFAULT_SNAPSHOT, SNAPSHOTS, get_snapshot


def open_data(data_dir: str | Path | None = None, *, snapshot: str | None = None) -> PracticeData:
    """The practices of a snapshot: from the official files in ``data_dir``, or the shipped copy.

    Without ``data_dir`` the compact snapshot shipped with the package is used; it holds the default
    snapshot only.
    """
    name = get_snapshot(snapshot or DEFAULT_SNAPSHOT).name
    if data_dir is not None:
        return load_practices(data_dir, snapshot=name)
    from mcp_geo.practices.bundled import BUNDLED_SNAPSHOT, load_bundled

    if name != BUNDLED_SNAPSHOT:
        raise ValidationError(
            [
                Problem(
                    f"only the {BUNDLED_SNAPSHOT} snapshot ships with mcp-geo; for {name} pass "
                    "--data DIR with the official files (`mcp-geo data download DIR` fetches them)",
                    source="--snapshot",
                    value=name,
                )
            ]
        )
    return load_bundled()


def open_areas(data_dir: str | Path | None = None) -> OfficialAreas:
    """Official polygons for outlines: from ``data_dir``'s boundary files, or the shipped copy."""
    if data_dir is not None:
        return load_official_areas(data_dir)
    from mcp_geo.practices.bundled import load_bundled_areas

    return load_bundled_areas()


__all__ = [
    "BUILTIN_FOOTPRINTS",
    "DEFAULT_SNAPSHOT",
    "FORMULA_STARTS",
    "PRACTICE_COLUMNS",
    "SNAPSHOTS",
    "Footprint",
    "FootprintSpec",
    "OfficialAreas",
    "PracticeData",
    "current_icbs",
    "footprint_summary",
    "icb_constituents",
    "load_practices",
    "open_areas",
    "open_data",
    "parse_footprint",
    "select_footprint",
]
