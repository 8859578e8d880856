"""The examples in the docstrings of the package's face and option objects run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "mcp_geo._api",
    "mcp_geo._errors",
    "mcp_geo.scenario",
    "mcp_geo.solvers.rules",
    "mcp_geo.solvers.progress",
    "mcp_geo.boundaries.travel",
    "mcp_geo.plans.by_area",
    "mcp_geo.plans.exceptions",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
