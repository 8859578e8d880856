"""A north-staffs plan, solved once per session (compact engine, about 6 s), and its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ns_plan():
    from mcp_geo.planning import run_scenario
    from mcp_geo.scenario import Scenario

    return run_scenario(Scenario(footprint="north-staffs", engine="compact", threads=1))


@pytest.fixture(scope="session")
def ns_plan_dir(ns_plan, tmp_path_factory) -> Path:
    from mcp_geo.exports import write_plan

    return write_plan(ns_plan, tmp_path_factory.mktemp("plans") / "north-staffs")
