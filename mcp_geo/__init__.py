"""mcp-geo: group GP practices into hubs and multispecialty community providers (MCPs).

The Python API (the same names and defaults as the command line)::

    import mcp_geo
    plan = mcp_geo.plan("north-staffs", hub_min=30_000, max_km=15)
    plan.practices, plan.hubs, plan.mcps      # GeoDataFrames (EPSG:4326)
    plan.certificates.hubs.status             # "optimal"
    plan.write("plans/north-staffs")          # the plan folder, as the CLI writes it
    mcp_geo.map(plan)                         # a folium.Map
    mcp_geo.compare(plan, mcp_geo.plan("staffs-shropshire"))
    mcp_geo.read_plan("plans/north-staffs")
    mcp_geo.footprints()
    mcp_geo.plan_england(by="icb", only=["QNC"], workers=1, out="plans/england")
    mcp_geo.sweep("north-staffs", vary={"hub_max": [45_000, 55_000]}, out="sweeps/ns")
    mcp_geo.report("plans/north-staffs")      # report.html, report.pdf, charts/

The pipeline runs one way: ``practices`` (read, validate, select a footprint) -> ``boundaries``
(distances, territories) -> ``solvers`` (hubs, MCPs, certificates) -> ``plans`` (the typed
result, its files) -> ``pipeline`` (plan a footprint, compare) -> ``maps`` -> ``national``
(many footprints on Dask) -> ``cli``.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mcp-geo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(NHS England / NHS Digital; Office for National Statistics). "
    "Contains OS data © Crown copyright and database right. "
    "Contains Royal Mail data © Royal Mail copyright and database right. "
    "Contains National Statistics data © Crown copyright and database right."
)

# the face comes after __version__ and ATTRIBUTION, which the modules it loads may read
from mcp_geo._api import (  # noqa: E402
    compare,
    footprints,
    map,
    plan,
    plan_england,
    read_plan,
    report,
    sweep,
)
from mcp_geo._errors import (  # noqa: E402
    DownloadError,
    InfeasibleError,
    McpGeoError,
    MissingExtraError,
    NoPlanError,
    Relaxation,
    RunFailedError,
    SolverError,
    UnknownKeywordError,
    ValidationError,
)
from mcp_geo.scenario import Scenario  # noqa: E402

__all__ = [
    "ATTRIBUTION",
    "DownloadError",
    "InfeasibleError",
    "McpGeoError",
    "MissingExtraError",
    "NoPlanError",
    "Relaxation",
    "RunFailedError",
    "Scenario",
    "SolverError",
    "UnknownKeywordError",
    "ValidationError",
    "__version__",
    "compare",
    "footprints",
    "map",
    "plan",
    "plan_england",
    "read_plan",
    "report",
    "sweep",
]
