"""Time the distance step: road travel (cold and cached) against great-circle, on the Rutland extract.

Cases: the real practices in the box of the Rutland PBF, and 200 synthetic sites near random
nodes of its drivable graph (seeded); each by road km and by drive minutes, from the PBF and from
the Geofabrik shapefiles. "cold" reads the file and runs the shortest paths into an empty cache;
"cached" is the same call again. Run from the repository root::

    .venv/bin/python benchmarks/roads.py [--data ../shared/data] [--limit 15]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from mcp_geo.boundaries.distances import great_circle_matrix
from mcp_geo.boundaries.roads.matrix import (
    RoadOptions,
    nearest_base_changes,
    read_road_network,
    road_travel_matrix,
)
from mcp_geo.practices import open_data, select_footprint

PBF = "osm/rutland-latest_2022-07-20.osm.pbf"
SHP = "osm/rutland-latest-free_2022-08-18.shp.zip"


def rutland_practices(pbf: Path, folder: Path) -> pd.DataFrame:
    import osmium

    b = osmium.io.Reader(str(pbf), osmium.osm.osm_entity_bits.NOTHING).header().box()
    area = folder / "rutland-box.gpkg"
    shape = box(b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)
    gpd.GeoDataFrame({"name": ["rutland"]}, geometry=[shape], crs=4326).to_file(area)
    return select_footprint(open_data(), f"polygon:{area}").practices


def synthetic(pbf: Path, n: int, seed: int) -> pd.DataFrame:
    graph = read_road_network(pbf)
    rng = np.random.default_rng(seed)
    ids = list(graph.nodes)
    pick = rng.choice(len(ids), n, replace=False)
    lat = np.array([graph.nodes[ids[i]]["y"] for i in pick]) + rng.uniform(-8e-4, 8e-4, n)
    lon = np.array([graph.nodes[ids[i]]["x"] for i in pick]) + rng.uniform(-1.2e-3, 1.2e-3, n)
    return pd.DataFrame(
        {
            "practice_code": [f"S{i:03d}" for i in range(n)],
            "patients": rng.integers(1_500, 9_000, n),
            "latitude": lat,
            "longitude": lon,
        }
    )


def run(data: Path, limit: float | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "rutland practices": rutland_practices(data / PBF, folder),
            "200 synthetic sites": synthetic(data / PBF, 200, seed=20221118),
        }
        for name, frame in cases.items():
            t0 = time.perf_counter()
            gc = great_circle_matrix(frame["practice_code"], frame["latitude"], frame["longitude"])
            gc_s = time.perf_counter() - t0
            rows.append({"case": name, "n": len(frame), "source": "great-circle", "seconds": gc_s})
            for file in (PBF, SHP):
                for metric in ("km", "minutes"):
                    cache = folder / f"cache-{len(rows)}"
                    opts = RoadOptions(metric=metric, limit=limit, cache_dir=cache)  # type: ignore[arg-type]
                    for state in ("cold", "cached"):
                        t0 = time.perf_counter()
                        road = road_travel_matrix(frame, roads=data / file, options=opts)
                        seconds = time.perf_counter() - t0
                        assert road.from_cache == (state == "cached")
                        change = nearest_base_changes(road.travel, gc)
                        rows.append(
                            {
                                "case": name,
                                "n": len(frame),
                                "source": f"{Path(file).suffix[1:]} {metric} {state}",
                                "seconds": seconds,
                                "reached": road.coverage.practices_reached,
                                "pairs flipped vs gc": round(change.share_flipped, 4),
                                "nearest changed": round(change.share_nearest_changed, 3),
                            }
                        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--limit", type=float, default=None, help="search limit (km or minutes)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    table = pd.DataFrame(run(args.data, args.limit))
    table["seconds"] = table["seconds"].round(4)
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
