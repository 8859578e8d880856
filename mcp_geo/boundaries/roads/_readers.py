"""Read a road network file into an osmnx-style ``networkx.MultiDiGraph`` of drivable roads.

Formats, each read by the ecosystem's own reader:

- OpenStreetMap PBF or XML (``.osm.pbf``, ``.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``), as
  Geofabrik publishes them: osmium keeps the drivable ways (the osmnx ``"drive"`` network type) and
  the nodes they use, and :func:`osmnx.graph_from_xml` builds the graph (unsimplified, so that
  practices snap to any vertex of a road, not only to junctions).
- osmnx GraphML (``.graphml``): :func:`osmnx.load_graphml`. An undirected graph is used both ways.
- A roads layer (shapefile, a zip of shapefiles such as Geofabrik's ``-free.shp.zip``,
  GeoPackage, any line layer GDAL reads) with OSM ``fclass`` (or ``highway``), ``oneway`` and
  ``maxspeed`` fields: read with pyogrio; lines meet where they share a vertex (as OSM ways share
  a node), so a bridge over a road does not join it.

The heavy readers are the optional extra ``roads``; a missing one raises an ImportError naming it.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, SupportsFloat, SupportsIndex

import numpy as np

from mcp_geo._errors import MissingExtraError, Problem, ValidationError
from mcp_geo.boundaries.distances import haversine_km

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'mcp-geo[roads]'"

#: Highway values that are never driven (osmnx's ``"drive"`` network type excludes these).
NOT_DRIVABLE = frozenset(
    [
        "abandoned",
        "bridleway",
        "bus_guideway",
        "busway",
        "construction",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "no",
        "path",
        "pedestrian",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "service",
        "steps",
        "track",
        "bus_stop",
        "emergency_bay",
        "rest_area",
        "services",
        "via_ferrata",
    ]
)
#: Service sub-types osmnx's ``"drive"`` filter excludes (when ``service`` roads are kept).
PRIVATE_SERVICE = frozenset(
    ["alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"]
)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml")
GRAPHML_SUFFIXES = (".graphml",)


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an ImportError that names the ``roads`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"road networks need the optional extra 'roads' (the {module!r} module is missing): "
            f"{EXTRA_HINT}",
            extra="roads",
        ) from exc


@dataclass(frozen=True)
class RoadFile:
    """A road network read from a file: the graph and what the report says about it."""

    graph: Any  # networkx.MultiDiGraph, osmnx conventions, node x/y in graph.graph["crs"]
    format: str
    notes: tuple[str, ...] = ()


FORMAT_NAMES = {"osm": "OpenStreetMap data", "graphml": "GraphML", "layer": "a roads layer"}


def file_format(path: Path) -> str:
    """``"osm"``, ``"graphml"`` or ``"layer"`` from the file name (an ``.xml`` file by its root)."""
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(GRAPHML_SUFFIXES):
        return "graphml"
    if name.endswith(".xml") and path.is_file():
        with path.open("rb") as handle:
            head = handle.read(4096).lower()
        return "graphml" if b"<graphml" in head else "osm"
    return "layer"


def drivable(tags: Any) -> bool:
    """Whether an OSM way with these tags is a road for cars (osmnx's ``"drive"`` type)."""
    highway = tags.get("highway")
    if highway is None or highway in NOT_DRIVABLE:
        return False
    if tags.get("area") == "yes":
        return False
    if tags.get("motor_vehicle") == "no" or tags.get("motorcar") == "no":
        return False
    if tags.get("access") == "private":
        return False
    return tags.get("service") not in PRIVATE_SERVICE


def read_road_file(path: Path) -> RoadFile:
    """Read ``path`` (see the module docstring for the formats) into a drivable road graph."""
    if not path.is_file():
        raise ValidationError(
            [Problem("road network file not found", source="roads", value=str(path))]
        )
    kind = file_format(path)
    readers = {"osm": _read_osm, "graphml": _read_graphml, "layer": _read_layer}
    try:
        return readers[kind](path)
    except (ValidationError, ImportError):
        raise
    except (RuntimeError, OSError, ValueError, KeyError, SyntaxError) as exc:  # readers' errors
        raise ValidationError(
            [
                Problem(
                    f"cannot read it as {FORMAT_NAMES[kind]}: {exc}; road networks are "
                    "OpenStreetMap .osm.pbf / .osm, osmnx .graphml, or a roads layer "
                    "(.shp, .shp.zip, .gpkg) with an fclass or highway field",
                    source=str(path),
                )
            ],
            context="road network",
        ) from None


def _read_osm(path: Path) -> RoadFile:
    osmium = require("osmium")
    ox = require("osmnx")
    ways = 0
    with tempfile.TemporaryDirectory(prefix="mcp-geo-roads-") as folder:
        xml = Path(folder) / "drivable.osm"
        with osmium.BackReferenceWriter(str(xml), ref_src=str(path), overwrite=True) as writer:
            processor = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
                osmium.filter.KeyFilter("highway")
            )
            for way in processor:
                if drivable(way.tags):
                    writer.add_way(way)
                    ways += 1
        if ways == 0:
            raise ValidationError(
                [Problem("the OSM file holds no drivable road", source=str(path))],
                context="road network",
            )
        # not simplified: every vertex of a road is a node a practice can snap to
        graph = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
    log.info("%s: %d drivable ways, %d nodes", path.name, ways, len(graph))
    return RoadFile(graph=graph, format="OpenStreetMap (osmium + osmnx.graph_from_xml)")


def _read_graphml(path: Path) -> RoadFile:
    ox = require("osmnx")
    graph = ox.load_graphml(path)
    notes = []
    if not graph.is_directed():
        graph = graph.to_directed()
        notes.append("the GraphML graph is undirected: every street is used both ways")
    if graph.graph.get("simplified") in (True, "True"):
        notes.append(
            "the GraphML graph is simplified: practices snap to junctions and dead ends only"
        )
    if "length" not in next(iter(graph.edges(data=True)), (0, 0, {}))[2]:
        raise ValidationError(
            [Problem("GraphML edges have no 'length' (metres)", source=str(path), field="length")],
            context="road network",
        )
    return RoadFile(graph=graph, format="osmnx GraphML (osmnx.load_graphml)", notes=tuple(notes))


def _layer_source(path: Path) -> tuple[str, str | None]:
    """The GDAL path and layer name of the roads layer in ``path``."""
    pyogrio = require("pyogrio")
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            shapes = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        roads = [n for n in shapes if "road" in Path(n).name.lower()] or shapes
        if not roads:
            raise ValidationError(
                [Problem("the zip holds no shapefile", source=str(path))], context="road network"
            )
        return f"/vsizip/{path}/{roads[0]}", None
    layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    named = [name for name in layers if "road" in name.lower()]
    return str(path), (named or layers)[0] if len(layers) > 1 else None


def _read_layer(path: Path) -> RoadFile:
    pyogrio = require("pyogrio")
    nx = require("networkx")
    source, layer = _layer_source(path)
    frame = pyogrio.read_dataframe(source, layer=layer)
    columns = {c.lower(): c for c in frame.columns}
    kind = columns.get("fclass") or columns.get("highway")
    if kind is None:
        raise ValidationError(
            [
                Problem(
                    "a roads layer needs an OSM 'fclass' or 'highway' field",
                    source=str(path),
                    value=sorted(frame.columns.drop("geometry")),
                )
            ],
            context="road network",
        )
    frame = frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)
    keep = frame[kind].astype(str)
    keep = ~keep.isin(NOT_DRIVABLE | {"unknown", "track_grade1", "track_grade2"}) & ~keep.str.match(
        r"^track_grade"
    )
    frame = frame[keep & frame.geometry.notna()].explode(index_parts=False)
    frame = frame[frame.geom_type == "LineString"].reset_index(drop=True)
    shapely = require("shapely")
    coords, line = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    same_line = line[1:] == line[:-1]
    a = np.flatnonzero(same_line)
    b = a + 1
    _, node = np.unique(np.round(coords, 7), axis=0, return_inverse=True)
    node = node.ravel()
    lon, lat = coords[:, 0], coords[:, 1]
    length_m = 1000.0 * haversine_km((lat[a], lon[a]), (lat[b], lon[b]))
    oneway = (
        frame[columns["oneway"]].astype(str).str.upper().to_numpy()
        if "oneway" in columns
        else np.full(len(frame), "B")
    )
    speed = frame[columns["maxspeed"]].to_numpy() if "maxspeed" in columns else np.zeros(len(frame))
    highway = frame[kind].astype(str).to_numpy()
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for i in np.unique(node):
        graph.add_node(int(i))
    first = np.zeros(node.max() + 1, dtype=int)
    first[node] = np.arange(len(node))
    for n in graph.nodes:
        graph.nodes[n]["x"] = float(lon[first[n]])
        graph.nodes[n]["y"] = float(lat[first[n]])
    for s, t, m in zip(a, b, length_m, strict=True):
        row = line[s]
        u, v = int(node[s]), int(node[t])
        if u == v:
            continue
        attrs = {"length": float(m), "highway": highway[row]}
        limit = _maxspeed(speed[row])
        if limit:
            attrs["maxspeed"] = limit
        direction = oneway[row]
        if direction in {"B", "NO", "FALSE", "0", "NONE", "NAN"}:
            graph.add_edge(u, v, **attrs)
            graph.add_edge(v, u, **attrs)
        elif direction in {"T", "-1", "REVERSE"}:
            graph.add_edge(v, u, **attrs)
        else:  # F, yes, true, 1
            graph.add_edge(u, v, **attrs)
    return RoadFile(graph=graph, format="roads layer (pyogrio)")


def _maxspeed(value: str | SupportsFloat | SupportsIndex | None) -> str:
    """An OSM-style maxspeed text: Geofabrik's km/h numbers (0 = unknown) or OSM's own text."""
    if value is None:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value).strip()  # "30 mph", "GB:nsl_single": osmnx reads what it can
    return f"{number:g}" if np.isfinite(number) and number > 0 else ""
