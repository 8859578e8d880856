"""Everything the package imports comes with its core dependencies (pyproject.toml), so that
`./run` works on a fresh machine, where `.venv` has no dev or road extras (`scipy` once came only
with the tests' extras and `./run` failed there)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _imported() -> dict[str, set[str]]:
    """Top-level third-party modules imported anywhere in the package, and where."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "mcp_geo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "mcp_geo":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_comes_with_the_core_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = [Requirement(r) for r in project["dependencies"]]
    provided = {_name(r.name) for r in core}
    for req in core:  # and what they bring (folium brings branca, dask[distributed] distributed)
        for text in metadata.requires(req.name) or []:
            brought = Requirement(text)
            extras = [{"extra": e} for e in req.extras] or [{"extra": ""}]
            if brought.marker is None or any(brought.marker.evaluate(e) for e in extras):
                provided.add(_name(brought.name))
    owners = metadata.packages_distributions()
    missing = {
        top: sorted(where)
        for top, where in _imported().items()
        if not {_name(d) for d in owners.get(top, [top])} & provided
    }
    assert not missing, f"imported but not a core dependency: {missing}"
