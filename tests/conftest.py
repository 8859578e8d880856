"""Fixtures shared by every test folder: the real official data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MCP_GEO_TEST_DATA", ROOT.parent / "shared" / "data"))


def _require_shared_data() -> Path:
    if not (SHARED_DATA / "nhs").is_dir():
        pytest.skip(f"the official data folder {SHARED_DATA} is not here")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real official files (../shared/data beside the clone)."""
    return _require_shared_data()


@pytest.fixture(scope="session")
def data_2025(shared_data: Path):
    """The 2025-04 snapshot read from the official files."""
    from mcp_geo.practices import load_practices

    return load_practices(shared_data, snapshot="2025-04")


@pytest.fixture(scope="session")
def data_2021(shared_data: Path):
    """The 2021-01 snapshot read from the official files."""
    from mcp_geo.practices import load_practices

    return load_practices(shared_data, snapshot="2021-01")


@pytest.fixture(scope="session")
def bundled_data():
    """The compact snapshot shipped with the package."""
    from mcp_geo.practices import open_data

    return open_data()
