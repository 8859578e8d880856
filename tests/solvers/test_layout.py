"""House style of the solvers, checked with ``ast``: small functions, keyword-only options.

Every function in ``mcp_geo/solvers`` is at most :data:`MAX_LINES` long (from ``def`` to its
last line, its docstring left out: numpydoc sections should not push code out); no function takes four or
more positional parameters (``self`` and ``cls`` aside: the data first, everything after it
keyword-only) nor a positional boolean; every public function and class in a public module has a
numpydoc docstring (``Parameters`` when it takes any, ``Returns`` when it returns something).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import mcp_geo.solvers

ROOT = Path(mcp_geo.solvers.__file__).parent
MAX_LINES = 80
MAX_POSITIONAL = 3
FILES = sorted(ROOT.rglob("*.py"))

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(path: Path) -> Iterator[Function]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _positional(node: Function) -> list[ast.arg]:
    args = node.args.posonlyargs + node.args.args
    return [a for a in args if a.arg not in ("self", "cls")]


def _length(node: Function) -> int:
    """Lines from ``def`` to the end, less the docstring's."""
    total = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        total -= (first.end_lineno or first.lineno) - first.lineno + 1
    return total


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"


def test_the_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"engine.py", "columns/driver.py", "columns/master.py", "_compact.py"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_functions_are_short(path: Path) -> None:
    long = [
        f"{_where(path, f)} {f.name}: {_length(f)} lines"
        for f in _functions(path)
        if _length(f) > MAX_LINES
    ]
    assert long == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_options_are_keyword_only(path: Path) -> None:
    bad = []
    for f in _functions(path):
        positional = _positional(f)
        if len(positional) > MAX_POSITIONAL:
            bad.append(f"{_where(path, f)} {f.name}: {len(positional)} positional parameters")
        if f.args.vararg is None:
            for a in positional:
                if isinstance(a.annotation, ast.Name) and a.annotation.id == "bool":
                    bad.append(f"{_where(path, f)} {f.name}: positional boolean {a.arg!r}")
    assert bad == []


def _public(path: Path) -> bool:
    return not any(
        part.startswith("_") and part != "__init__.py" for part in path.relative_to(ROOT).parts
    )


def _documented(node: ast.FunctionDef | ast.ClassDef) -> list[str]:
    doc = ast.get_docstring(node) or ""
    if not doc:
        return ["no docstring"]
    missing = []
    if isinstance(node, ast.FunctionDef):
        params = [
            a.arg
            for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            if a.arg not in ("self", "cls")
        ]
        if params and "Parameters" not in doc:
            missing.append("no Parameters")
        returns = node.returns
        if (
            returns is not None
            and not (isinstance(returns, ast.Constant) and returns.value is None)
            and "Returns" not in doc
        ):
            missing.append("no Returns")
    return missing


@pytest.mark.parametrize(
    "path", [p for p in FILES if _public(p)], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_public_functions_have_numpydoc_docstrings(path: Path) -> None:
    bad = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.ClassDef) or node.name.startswith("_"):
            continue
        bad += [f"{_where(path, node)} {node.name}: {m}" for m in _documented(node)]
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                    name = f"{node.name}.{member.name}"
                    bad += [f"{_where(path, member)} {name}: {m}" for m in _documented(member)]
    assert bad == []
