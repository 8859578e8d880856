"""mcp-geo: group GP practices into hubs and multispecialty community providers (MCPs).

The pipeline runs one way: ``practices`` (read, validate, geocode, select a footprint)
-> ``boundaries`` (distances, territories) -> ``solvers`` (hubs, MCPs, certificates)
-> ``plan`` (the typed result) -> ``maps`` and exports.
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

__all__ = ["ATTRIBUTION", "__version__"]
