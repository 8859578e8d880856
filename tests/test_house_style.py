"""The house style (../shared/STYLE.md) where a machine can check it, read with ``ast``.

The rules, each over the source under ``mcp_geo/``:

1. Short functions where the decisions are made: no function (or method, nested or not) in
   ``solvers/``, ``plans/`` or ``pipeline/`` is longer than 80 lines, counted from its ``def`` line
   to its last line, its docstring left out (numpydoc sections must not push code out).
2. The data first, everything after it keyword-only: no function anywhere takes 4 or more
   positional parameters (those before ``*``), not counting ``self`` or ``cls``. Exempt are
   dunder methods other than ``__init__`` (Python fixes their signatures) and the callbacks and
   overrides whose signature a library fixes, listed in ``FIXED_SIGNATURES`` with the reason.
3. No positional booleans: no positional parameter has a ``True`` or ``False`` default.
4. numpydoc docstrings on the public face of the decision packages and the API: every public
   function and class in ``solvers/``, ``plans/``, ``pipeline/`` and in ``_api.py`` has a
   docstring. Public means defined at module level with a name that does not start with ``_``, in a
   module whose name does not start with ``_`` (``_api.py`` aside). A public function that takes
   any parameter has a numpydoc ``Parameters`` section, unless it takes exactly one parameter and
   its docstring is one line.

Each rule is checked per area (one subpackage, or the top-level modules), so a failure names the
area, and each violation names the file, line and function.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mcp_geo"
AREAS = sorted(
    [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    + ["(top level)"]
)
DECISION_AREAS = ("solvers", "plans", "pipeline")
MAX_LINES = 80
MAX_POSITIONAL = 3
FIXED_SIGNATURES = {
    (
        "practices/download/_fetch.py",
        "redirect_request",
    ): "urllib's HTTPRedirectHandler calls it so",
    ("solvers/_run.py", "interrupt"): "HiGHS calls its callbacks with five positional arguments",
}
PARAMETERS_SECTION = re.compile(r"^Parameters\n-{3,}$", re.MULTILINE)

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _modules(area: str) -> list[Path]:
    if area == "(top level)":
        return sorted(PACKAGE.glob("*.py"))
    return sorted((PACKAGE / area).rglob("*.py"))


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: Function | ast.ClassDef, name: str) -> str:
    shown = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent) else path
    return f"{shown}:{node.lineno} {name}"


def _functions(tree: ast.AST) -> Iterator[tuple[Function, bool]]:
    """Every function in ``tree``, with whether it is a method (defined directly in a class)."""
    for node in ast.walk(tree):
        children = ast.iter_child_nodes(node)
        for child in children:
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield child, isinstance(node, ast.ClassDef)


def _positional(function: Function, *, method: bool) -> list[ast.arg]:
    """The positional parameters of ``function``, less a method's ``self`` or ``cls``."""
    args = [*function.args.posonlyargs, *function.args.args]
    if method and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    return args


def _all_parameters(function: Function) -> list[ast.arg]:
    a = function.args
    args = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    args += [v for v in (a.vararg, a.kwarg) if v is not None]
    return [p for p in args if p.arg not in ("self", "cls")]


def _in_package(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix() if path.is_relative_to(PACKAGE) else path.name


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _code_lines(function: Function) -> int:
    """Lines from ``def`` to the end, less the docstring's."""
    assert function.end_lineno is not None
    total = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        total -= (first.end_lineno or first.lineno) - first.lineno + 1
    return total


def _long_functions(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for function, _ in _functions(_parse(path)):
            length = _code_lines(function)
            if length > MAX_LINES:
                found.append(f"{_where(path, function, function.name)}: {length} lines")
    return found


def _too_many_positional(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for function, method in _functions(_parse(path)):
            if _dunder(function.name) and function.name != "__init__":
                continue
            if (_in_package(path), function.name) in FIXED_SIGNATURES:
                continue
            names = [a.arg for a in _positional(function, method=method)]
            if len(names) > MAX_POSITIONAL:
                found.append(f"{_where(path, function, function.name)}({', '.join(names)})")
    return found


def _positional_booleans(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for function, _ in _functions(_parse(path)):
            args = [*function.args.posonlyargs, *function.args.args]
            defaults = function.args.defaults
            for arg, default in zip(args[len(args) - len(defaults) :], defaults, strict=True):
                if isinstance(default, ast.Constant) and isinstance(default.value, bool):
                    found.append(
                        f"{_where(path, function, function.name)}: {arg.arg}={default.value}"
                    )
    return found


def _public_modules(area: str) -> list[Path]:
    if area == "(top level)":
        return [PACKAGE / "_api.py"]
    if area not in DECISION_AREAS:
        return []
    return [p for p in _modules(area) if not p.name.startswith("_")]


def _undocumented(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for node in _parse(path).body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_"):
                continue
            docstring = ast.get_docstring(node)
            where = _where(path, node, node.name)
            if not docstring:
                found.append(f"{where}: no docstring")
            elif isinstance(node, ast.ClassDef):
                continue
            elif _needs_parameters_section(node, docstring):
                found.append(f"{where}: no numpydoc Parameters section")
    return found


def _needs_parameters_section(function: Function, docstring: str) -> bool:
    parameters = _all_parameters(function)
    if not parameters or PARAMETERS_SECTION.search(docstring):
        return False
    one_line = "\n" not in docstring.strip()
    return not (len(parameters) == 1 and one_line)


def _report(found: list[str], rule: str) -> str:
    return f"{len(found)} {rule}:\n" + "\n".join(found)


@pytest.mark.parametrize("area", [a for a in AREAS if a in DECISION_AREAS])
def test_decision_functions_are_short(area: str) -> None:
    found = _long_functions(_modules(area))
    assert not found, _report(found, f"functions longer than {MAX_LINES} lines")


@pytest.mark.parametrize("area", AREAS)
def test_data_first_then_keyword_only(area: str) -> None:
    found = _too_many_positional(_modules(area))
    assert not found, _report(
        found, f"functions with more than {MAX_POSITIONAL} positional parameters"
    )


@pytest.mark.parametrize("area", AREAS)
def test_no_positional_booleans(area: str) -> None:
    found = _positional_booleans(_modules(area))
    assert not found, _report(found, "positional parameters with a bool default")


@pytest.mark.parametrize("area", [*DECISION_AREAS, "(top level)"])
def test_public_functions_have_numpydoc_docstrings(area: str) -> None:
    found = _undocumented(_public_modules(area))
    assert not found, _report(found, "public functions or classes without a numpydoc docstring")


RULE_BREAKER = (
    '''
def four(a, b, c, d):
    """One line."""


def flag(data, verbose=False):
    """One line."""


def keyword_only(data, *, a, b, c, verbose=False):
    """Read the data.

    Parameters
    ----------
    data : the data
    """


def one(data):
    """One line is enough for one parameter."""


def two(data, other):
    """One line is not enough for two."""


def undocumented():
    pass


class Thing:
    """A class needs only a docstring."""

    def method(self, a, b, c):
        """Three besides self."""

    def __exit__(self, kind, value, traceback, extra):
        """Fixed by Python."""
'''
    + "\n\n\ndef long():\n"
    + "    pass\n" * MAX_LINES
)


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """Each check on a hand-written module that breaks each rule once, and keeps each once."""
    module = tmp_path / "breaker.py"
    module.write_text(RULE_BREAKER, encoding="utf-8")

    def names(found: list[str]) -> list[str]:
        return [re.sub(r"^\S+:\d+ (\w+).*$", r"\1", f) for f in found]

    assert names(_long_functions([module])) == ["long"]
    assert names(_too_many_positional([module])) == ["four"]
    assert names(_positional_booleans([module])) == ["flag"]
    assert sorted(names(_undocumented([module]))) == [
        "flag",
        "four",
        "long",
        "two",
        "undocumented",
    ]
