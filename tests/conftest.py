"""Fixtures shared by every test folder: the real official data in ../shared/data."""

from __future__ import annotations

import os
from collections.abc import Callable
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


@pytest.fixture
def data_folder(shared_data: Path, tmp_path: Path) -> Callable[..., Path]:
    """``data_folder({relative path: edit(text) -> text or bytes})``: a folder of symlinks to the
    real files, with the named files replaced by edited copies."""

    def make(edits: dict[str, Callable[[str], str | bytes]]) -> Path:
        root = tmp_path / "data"
        for folder in ("nhs", "geo"):
            (root / folder).mkdir(parents=True)
            for source in (shared_data / folder).iterdir():
                (root / folder / source.name).symlink_to(source)
        for relative, edit in edits.items():
            target = root / relative
            text = (shared_data / relative).read_bytes().decode("utf-8")
            target.unlink()
            new = edit(text)
            target.write_bytes(new if isinstance(new, bytes) else new.encode("utf-8"))
        return root

    return make


# ---------------------------------------------------------------- plans shared by the folders


@pytest.fixture(scope="session")
def ns_plan():
    """A north-staffs plan, solved once per session (the default engine, one thread)."""
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario

    return run_scenario(Scenario.from_options("north-staffs", {"threads": 1}))


@pytest.fixture(scope="session")
def ns_plan_dir(ns_plan, tmp_path_factory) -> Path:
    from mcp_geo.plans.write import write_plan

    return write_plan(ns_plan, tmp_path_factory.mktemp("plans") / "north-staffs")


@pytest.fixture(scope="session")
def ns_alternatives_dir(tmp_path_factory) -> Path:
    """``mcp-geo plan north-staffs --no-mcps --alternatives 2 --travel-slack 0.005 --map``
    (both alternatives proven from the listed columns in a few seconds, one thread; the limit is
    a margin for a loaded machine), written once per session: the plan folder, its
    alternatives' folders and their maps."""
    from mcp_geo.cli.main import main

    folder = tmp_path_factory.mktemp("alternatives") / "wide"
    options = ["--alternatives", "2", "--travel-slack", "0.005", "--time-limit", "40", "--map"]
    command = ["plan", "north-staffs", "--no-mcps", "--threads", "1", *options]
    assert main([*command, "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="session")
def planted_plan(tmp_path_factory):
    """A plan of 30 sites whose names, PCN codes and file name (so the footprint title) hold
    :data:`PAYLOADS`."""
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.scenario import Scenario
    from tests._plans import PAYLOADS, SITES_OPTIONS, write_sites

    path = write_sites(tmp_path_factory.mktemp("sites"), f"{PAYLOADS[1]}.csv", planted=True)
    return run_scenario(Scenario.from_options(str(path), {**SITES_OPTIONS}))
