"""The compact snapshot shipped inside the package, so that the tool runs out of the box.

It is built by ``scripts/build_snapshot.py`` from the official files (``../shared/data`` or a folder
``mcp-geo data download`` filled) and holds, for the default snapshot:

- ``practices.csv``: every kept practice with the columns of
  :data:`~mcp_geo.practices.load.PRACTICE_COLUMNS` (geometry rebuilt from latitude/longitude);
- ``exclusions.csv`` and ``notes.csv``: what the loader excluded or noted, and why;
- ``areas.geojson``: the official Sub-ICB, ICB, CCG 2019 and England polygons (EPSG:27700, on a 1 m
  grid) for footprint outlines;
- ``countries.geojson``: the four countries of the UK, compact (gaps under 2 km closed, simplified
  to 250 m, on a 10 m grid, EPSG:27700 in whole metres): the outline a sites file is checked
  against (:func:`load_bundled_countries`);
- ``meta.json``: snapshot, extract date, rows read, and the name, size and sha256 of every source file;
- ``PROVENANCE.md``: where the data comes from and its licence.

Building twice from the same files gives byte-identical output; a test checks it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from mcp_geo import ATTRIBUTION
from mcp_geo.practices.load import (
    EXCLUDED_COLUMNS,
    PRACTICE_COLUMNS,
    PracticeData,
    load_practices,
)
from mcp_geo.practices.outlines import OfficialAreas, load_official_areas
from mcp_geo.practices.readers._csv import NOTE_COLUMNS
from mcp_geo.practices.snapshots import DEFAULT_SNAPSHOT, get_snapshot

BUNDLE_PACKAGE = "mcp_geo.data"
BUNDLED_SNAPSHOT = DEFAULT_SNAPSHOT
BUNDLE_FILES = (
    "practices.csv",
    "exclusions.csv",
    "notes.csv",
    "areas.geojson",
    "countries.geojson",
    "meta.json",
    "PROVENANCE.md",
)

_DTYPES = {
    "patients": "int64",
    "easting": "float64",
    "northing": "float64",
    "latitude": "float64",
    "longitude": "float64",
}


def bundle_dir() -> Path:
    """The folder of the shipped snapshot inside the installed package."""
    return Path(str(resources.files(BUNDLE_PACKAGE))) / BUNDLED_SNAPSHOT


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(child.relative_to(path).as_posix().encode())
            digest.update(_sha256(child).encode())
        return digest.hexdigest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_bundle(data_dir: str | Path, dest: str | Path) -> list[Path]:
    """Build the compact snapshot from the official files in ``data_dir`` into ``dest``.

    Parameters
    ----------
    data_dir
        The folder of official files (as :func:`mcp_geo.practices.load_practices` reads it).
    dest
        The folder to write the snapshot's files into (made if missing).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`BUNDLE_FILES`.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    data = load_practices(data_dir, snapshot=BUNDLED_SNAPSHOT)
    areas = load_official_areas(data_dir)

    table = pd.DataFrame(data.practices.drop(columns="geometry"))
    table.to_csv(dest / "practices.csv", index=False, lineterminator="\n")
    data.exclusions.to_csv(dest / "exclusions.csv", index=False, lineterminator="\n")
    data.notes.to_csv(dest / "notes.csv", index=False, lineterminator="\n")

    geometry = shapely.set_precision(areas.areas.geometry.values, 1.0)
    compact = gpd.GeoDataFrame(areas.areas[["level", "code", "name"]], geometry=geometry, crs=27700)
    text = compact.to_json(drop_id=True, to_wgs84=False)
    (dest / "areas.geojson").write_text(text + "\n", encoding="utf-8")
    (dest / "countries.geojson").write_text(_compact_countries(data_dir), encoding="utf-8")

    meta = {
        "snapshot": data.snapshot.name,
        "extract_date": data.extract_date.isoformat(),
        "rows_read": data.rows_read,
        "practices": len(data.practices),
        "patients": int(data.practices["patients"].sum()),
        "excluded": len(data.exclusions),
        "areas": areas.description,
        "sources": [
            {"file": p.name, "bytes": _size(p), "sha256": _sha256(p)}
            for p in sorted(set(data.files) | _area_files(data_dir), key=lambda p: p.name)
        ],
        "licence": ATTRIBUTION,
    }
    (dest / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (dest / "PROVENANCE.md").write_text(_provenance(meta), encoding="utf-8")
    return [dest / name for name in BUNDLE_FILES]


COUNTRY_CLOSING_M = 1_000.0
"""Gaps narrower than twice this (between islets, in inlets) are closed in the compact countries."""
COUNTRY_TOLERANCE_M = 250.0
"""Douglas-Peucker tolerance of the compact countries: outlines within about 250 m of the file's."""


def _compact_countries(data_dir: str | Path) -> str:
    """The four countries of the UK, small: closed, simplified, whole metres (EPSG:27700)."""
    from mcp_geo.practices.areas import read_boundaries
    from mcp_geo.practices.snapshots import COUNTRIES, locate_files

    countries = read_boundaries(locate_files(data_dir, {"countries": COUNTRIES})["countries"])
    features = []
    for row in countries.itertuples():
        shape = row.geometry.buffer(COUNTRY_CLOSING_M, quad_segs=2)
        shape = shape.buffer(-COUNTRY_CLOSING_M, quad_segs=2).simplify(COUNTRY_TOLERANCE_M)
        shape = shapely.set_precision(shape, 10.0)
        geometry = _whole_metres(shapely.geometry.mapping(shape))
        features.append(
            {
                "type": "Feature",
                "properties": {"code": row.code, "name": row.name},
                "geometry": geometry,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":")) + "\n"


def _whole_metres(value: object) -> object:
    if isinstance(value, dict):
        return {k: _whole_metres(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_whole_metres(v) for v in value]
    if isinstance(value, float):
        return round(value)
    return value


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _area_files(data_dir: str | Path) -> set[Path]:
    from mcp_geo.practices.snapshots import CCG19, COUNTRIES, ICB23, SUB_ICB23, locate_files

    specs = {"sub_icb": SUB_ICB23, "icb": ICB23, "ccg19": CCG19, "england": COUNTRIES}
    return set(locate_files(data_dir, specs).values())


def _provenance(meta: dict[str, Any]) -> str:
    sources = "\n".join(
        f"- `{s['file']}`: {s['bytes']:,} bytes, sha256 `{s['sha256']}`" for s in meta["sources"]
    )
    return f"""# Compact snapshot {meta["snapshot"]}

Built by `scripts/build_snapshot.py` (mcp-geo) from the official files below; rebuild it with
`python scripts/build_snapshot.py --data DIR`. It holds {meta["practices"]:,} practices
({meta["patients"]:,} patients) from {meta["rows_read"]:,} practice rows read, and the
{meta["excluded"]:,} practices excluded with their reasons.

List sizes of {meta["extract_date"]} (NHS Digital, Patients Registered at a GP Practice), the
practice -> PCN -> Sub-ICB -> ICB map, the ODS practice registers (2026 and 2019), OS Code-Point
Open postcode coordinates, and ONS boundaries ({meta["areas"]}).

`countries.geojson` is the ONS Countries (December 2022) UK BUC file made compact by mcp-geo:
gaps under 2 km closed, simplified to 250 m, coordinates rounded to 10 m (EPSG:27700): the UK
outline a sites file is checked against, not a boundary to draw.

## Licence

{meta["licence"]}

## Source files

{sources}
"""


def load_bundled() -> PracticeData:
    """The practices of the shipped snapshot, as :func:`load_practices` would return them."""
    folder = bundle_dir()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    strings = {c: str for c in PRACTICE_COLUMNS if c not in _DTYPES and c != "geometry"}
    table = pd.read_csv(folder / "practices.csv", dtype={**strings, **_DTYPES})
    practices = gpd.GeoDataFrame(
        table,
        geometry=gpd.points_from_xy(table["longitude"], table["latitude"], crs=4326),
    )[list(PRACTICE_COLUMNS)]
    exclusions = pd.read_csv(folder / "exclusions.csv", dtype=str, keep_default_na=False)
    notes = pd.read_csv(folder / "notes.csv", dtype=str, keep_default_na=False)
    return PracticeData(
        practices=practices,
        exclusions=exclusions[list(EXCLUDED_COLUMNS)],
        notes=notes[list(NOTE_COLUMNS)],
        snapshot=get_snapshot(meta["snapshot"]),
        extract_date=date.fromisoformat(meta["extract_date"]),
        rows_read=int(meta["rows_read"]),
        files=tuple(folder / name for name in BUNDLE_FILES),
    )


@cache
def load_bundled_countries() -> gpd.GeoDataFrame:
    """The four countries of the UK shipped with the package: ``code``, ``name``, EPSG:27700.

    Compact (see ``countries.geojson`` above): good for "is this site in the UK, and which
    country", not for drawing.
    """
    countries = gpd.read_file(bundle_dir() / "countries.geojson")
    return countries.set_crs(27700, allow_override=True)[["code", "name", "geometry"]]


def load_bundled_areas() -> OfficialAreas:
    """The official polygons shipped with the package (EPSG:27700, 1 m grid)."""
    areas = gpd.read_file(bundle_dir() / "areas.geojson")
    areas = areas.set_crs(27700, allow_override=True)
    return OfficialAreas(
        areas=areas, description="official boundaries shipped with mcp-geo (1 m grid)"
    )
