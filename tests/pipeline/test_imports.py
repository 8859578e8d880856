"""Imports flow one way (STYLE.md "Layout and data flow"), checked on the source with ``ast``.

practices -> boundaries -> solvers -> plans -> pipeline -> maps -> national -> reports -> cli:
a module may import its own layer and the layers before it, never one after it. Imports inside
functions count too (a lazy import is still a dependency). ``mcp_geo._errors`` and
``mcp_geo._folders`` are the bottom, beneath every layer, and ``mcp_geo.data`` is package data,
open to all. ``mcp_geo.scenario`` is composed of the solvers' rules (``solvers.rules``), the
travel options (``boundaries.travel``) and the snapshots' names (``practices.snapshots``), so it
sits just above ``solvers`` and below ``plans``: nothing beneath ``plans`` may import it (nor
``mcp_geo._scenario_files``, the scenario file's paths and TOML, which is in its layer).
``mcp_geo/__init__``, ``mcp_geo.__main__`` and ``mcp_geo._api`` are the package's face, above
every layer. Nothing imports ``cli`` but the face.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mcp_geo"
LAYERS = (
    "practices",
    "boundaries",
    "solvers",
    "scenario",
    "plans",
    "pipeline",
    "maps",
    "national",
    "reports",
    "cli",
)
BOTTOM = ("_errors", "_folders", "data")
LAYER_OF = {"_scenario_files": "scenario"}  # top-level internals that belong to a layer
FACE = ("__init__", "__main__", "_api")
ROOT_CONSTANTS = {"__version__", "ATTRIBUTION"}
"""Set in ``mcp_geo/__init__`` before it imports anything (see the comment there), so any module
may read them: they are constants of the package, not its face."""


def _rank(module: str) -> int:
    """The module's height: 0 the bottom, 1.. the layers in order, beyond them the face."""
    parts = module.split(".")
    assert parts[0] == "mcp_geo", module
    if len(parts) == 1 or parts[1] in FACE:
        return len(LAYERS) + 1
    if parts[1] in BOTTOM:
        return 0
    return LAYERS.index(LAYER_OF.get(parts[1], parts[1])) + 1


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, set[str]]]:
    """Every import of an ``mcp_geo`` module in ``path``: (line, module, names imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, set()) for a in node.names if a.name.startswith("mcp_geo")
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] == "mcp_geo":
                found.append((node.lineno, module, {a.name for a in node.names}))
    return found


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_layers_cover_every_module() -> None:
    for path in _sources():
        _rank(_module_name(path))  # raises for a module of no known layer


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_only_downward(path: Path) -> None:
    name = _module_name(path)
    own = _rank(name)
    upward = []
    for line, module, names in _imports(path):
        if module == "mcp_geo" and names <= ROOT_CONSTANTS:
            continue
        if _rank(module) > own:
            upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not upward, "\n".join(upward)


def test_plans_and_below_never_import_pipeline_maps_or_national() -> None:
    """The rule the issue names outright, in case the layer order above is ever edited."""
    for path in _sources():
        name = _module_name(path)
        if _rank(name) > LAYERS.index("plans") + 1:
            continue
        for line, module, _names in _imports(path):
            assert module.split(".")[1:2] not in (["pipeline"], ["maps"], ["national"]), (
                f"{name}:{line} imports {module}"
            )


def test_nothing_but_the_face_imports_cli() -> None:
    for path in _sources():
        name = _module_name(path)
        if _rank(name) > len(LAYERS) or name.startswith("mcp_geo.cli"):
            continue
        assert all(m.split(".")[1:2] != ["cli"] for _, m, _ in _imports(path)), name


def test_the_checker_sees_lazy_imports() -> None:
    """The parser finds imports inside functions, and the ranks are in the documented order."""
    source = PACKAGE / "plans" / "plan.py"
    modules = {m for _, m, _ in _imports(source)}
    assert "mcp_geo.plans.write" in modules  # imported inside Plan.write
    assert _rank("mcp_geo.maps.render") > _rank("mcp_geo.pipeline.compare")
    assert _rank("mcp_geo._errors") < _rank("mcp_geo.practices.load")
    assert _rank("mcp_geo.solvers.rules") < _rank("mcp_geo.scenario") < _rank("mcp_geo.plans")
