"""Sweeps: a grid of plans on Dask, each cell as `plan` would make it (issue 21).

The real grid is north-staffs, hubs only, hub_max 45,000 / 50,000 x max_km 10 / 15: four cells
(cell 4, hub_max 50,000 and 15 km, is the base: the default options), each proven optimal in a
second or two. Its rows are compared with four separate :func:`mcp_geo.plan` runs, its moves
recounted from the cells' practices.csv with the test's own assignment, and a second run
(resumed, then solved again from scratch) gives the same sweep.csv byte for byte. A second
sweep fixes the hub count at 1 (proven impossible before any model: 531,633 patients cannot
fit in one hub of 50,000) and at 16 (the optimal plan's count): the first cell keeps its row
with the reason, the second is planned.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

import mcp_geo
from mcp_geo._errors import ValidationError
from mcp_geo.cli.main import main
from mcp_geo.national._grid import SweepSpec, read_sweep_file
from mcp_geo.scenario import Scenario

VARY = {"hub_max": [45_000, 50_000], "max_km": [10, 15]}
OPTIONS = {"no_mcps": True, "time_limit": 20}


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes with one thread each, shared by the module's
    sweeps (its workers keep the data they read)."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield local
    local.close()


@pytest.fixture(scope="module")
def grid(cluster, tmp_path_factory):
    """The 2 x 2 grid, swept once; sweep.csv's bytes as first written."""
    out = tmp_path_factory.mktemp("sweep") / "ns"
    result = mcp_geo.sweep(
        "north-staffs", vary=VARY, out=out, scheduler=cluster.scheduler_address, **OPTIONS
    )
    return result, (out / "sweep.csv").read_bytes()


@pytest.mark.slow
def test_rows_equal_separate_plans(grid) -> None:
    result, _ = grid
    rows = _rows(result.out / "sweep.csv")
    assert [(r["cell"], r["hub_max"], r["max_km"]) for r in rows] == [
        ("1", "45000", "10.0"),
        ("2", "45000", "15.0"),
        ("3", "50000", "10.0"),
        ("4", "50000", "15.0"),
    ]
    for row in rows:
        alone = mcp_geo.plan(
            "north-staffs",
            hub_max=int(row["hub_max"]),
            max_km=float(row["max_km"]),
            threads=1,
            **OPTIONS,
        )
        hubs = alone.certificates.hubs
        assert row["status"] == hubs.status == "optimal"
        assert int(row["n_hubs"]) == alone.metrics.hubs.groups
        assert row["hub_objective"] == f"{hubs.objective:.3f}"
        assert row["hub_bound"] == f"{hubs.bound:.3f}"
        assert row["travel_mean_km"] == f"{alone.metrics.hubs.travel.mean:.3f}"
        assert row["reason"] == ""
        assert row["n_mcps"] == ""
        assert row["gap_to_prove"] == "0.0001"
        cell = result.out / "cells" / row["cell"]
        written = pd.read_csv(cell / "practices.csv", dtype={"hub_id": str})
        assert written["hub_id"].tolist() == alone.practices["hub_id"].tolist()
    assert not (result.out / "base").exists()  # the base is cell 4: the default options


def _moved(practices: pd.DataFrame, groups: pd.Series) -> tuple[int, int]:
    """Practices and patients outside the hub matched to their group, by the test's own
    maximum-weight assignment of hubs to groups (practices without a group left out)."""
    frame = practices.assign(group=groups.reindex(practices["practice_code"]).to_numpy())
    frame = frame[frame["group"].notna() & (frame["group"] != "")]
    table = frame.pivot_table(
        index="hub_id", columns="group", values="patients", aggfunc="sum", fill_value=0
    )
    rows, cols = linear_sum_assignment(table.to_numpy(), maximize=True)
    kept = {(table.index[r], table.columns[c]) for r, c in zip(rows, cols, strict=True)}
    stays = [(h, g) in kept for h, g in zip(frame["hub_id"], frame["group"], strict=True)]
    moved = frame[~np.array(stays)]
    return len(moved), int(moved["patients"].sum())


@pytest.mark.slow
def test_moves_recounted_from_the_cells(grid) -> None:
    result, _ = grid
    rows = _rows(result.out / "sweep.csv")

    def practices(cell: str) -> pd.DataFrame:
        path = result.out / "cells" / cell / "practices.csv"
        return pd.read_csv(path, dtype={"hub_id": str, "pcn_code": str}, keep_default_na=False)

    base = practices("4").set_index("practice_code")["hub_id"]
    counts = set()
    for row in rows:
        mine = practices(row["cell"])
        vs_base = _moved(mine, base)
        vs_pcn = _moved(mine, mine.set_index("practice_code")["pcn_code"])
        assert (int(row["moved_practices_vs_base"]), int(row["moved_patients_vs_base"])) == vs_base
        assert (int(row["moved_practices_vs_pcn"]), int(row["moved_patients_vs_pcn"])) == vs_pcn
        counts.add(vs_base)
    assert (0, 0) in counts
    assert len(counts) > 1


@pytest.mark.slow
def test_rerun_resumes_then_solves_again_byte_identical(grid, cluster) -> None:
    result, first = grid
    for resume in (True, False):
        again = mcp_geo.sweep(
            "north-staffs",
            vary=VARY,
            out=result.out,
            scheduler=cluster.scheduler_address,
            resume=resume,
            **OPTIONS,
        )
        timings = json.loads((result.out / "timings.json").read_text(encoding="utf-8"))
        resumed = {cell["resumed"] for cell in timings["cells"].values()}
        assert resumed == {resume}
        assert len(again.resumed) == (4 if resume else 0)
        assert (result.out / "sweep.csv").read_bytes() == first
    # the command line, from the sweep's own scenario.toml, finds the same cells (max_km 10
    # given to the API, 10.0 in the file) and resumes them all
    status = main(
        ["sweep", "--scenario", str(result.out / "scenario.toml"), "--out", str(result.out),
         "--scheduler", cluster.scheduler_address, "-q"]
    )  # fmt: skip
    timings = json.loads((result.out / "timings.json").read_text(encoding="utf-8"))
    assert status == 0
    assert {cell["resumed"] for cell in timings["cells"].values()} == {True}
    assert (result.out / "sweep.csv").read_bytes() == first
    for cell in range(1, 5):  # every cell ended by proof, so the rows must be the same
        report = json.loads((result.out / "cells" / str(cell) / "report.json").read_text())
        assert report["certificates"]["hubs"]["ended_by"] == "proof"
    assert b"seconds" not in first
    assert "timings" not in first.decode()


@pytest.mark.slow
def test_infeasible_cell_keeps_its_row(cluster, tmp_path, capsys) -> None:
    out = tmp_path / "hubs"
    status = main(
        ["sweep", "north-staffs", "--no-mcps", "--vary", "hubs=1,16", "--time-limit", "20",
         "--scheduler", cluster.scheduler_address, "--out", str(out), "--json", "-q"]
    )  # fmt: skip
    assert status == 1
    printed = json.loads(capsys.readouterr().out)
    rows = _rows(out / "sweep.csv")
    assert printed == rows
    assert [(r["cell"], r["hubs"], r["status"]) for r in rows] == [
        ("1", "1", "infeasible"),
        ("2", "16", "optimal"),
    ]
    assert "531,633" in rows[0]["reason"]
    assert rows[0]["n_hubs"] == ""
    assert rows[1]["reason"] == ""
    assert rows[1]["n_hubs"] == "16"
    assert not (out / "cells" / "1").exists()
    assert (out / "cells" / "2" / "report.json").is_file()
    # the base (hubs free) is not a cell: planned beside the grid, moves counted against it
    base = json.loads((out / "base" / "report.json").read_text(encoding="utf-8"))
    assert base["parameters"]["hubs"] is None
    assert base["metrics"]["hubs"]["count"] == 16
    assert rows[1]["moved_practices_vs_base"] != ""


def test_bad_vary_is_a_usage_error(tmp_path, capsys) -> None:
    status = main(
        ["sweep", "north-staffs", "--vary", "hub-max=45000,lots,-3", "--vary", "max-kms=10",
         "--vary", "strict=1", "--max-km", "10", "--vary", "max-km=12", "--out", str(tmp_path / "x")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert "--vary hub-max: not a whole number (got 'lots')" in err
    assert "--vary hub-max: must be a whole number of patients >= 0 (got -3)" in err
    assert "--vary max-kms: not an option of `plan` to vary; did you mean 'max-km'?" in err
    assert "--vary strict: is a flag" in err
    assert "--max-km: is varied by --vary max-km: give it once" in err
    assert not (tmp_path / "x").exists()


def test_bad_vary_in_the_api_names_the_keyword(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"vary\['hub_min'\]: .*\(got -1\)"):
        mcp_geo.sweep("north-staffs", vary={"hub_min": [-1]}, out=tmp_path / "x")
    with pytest.raises(ValidationError, match=r"keyword 'max_km': is also varied"):
        mcp_geo.sweep("north-staffs", vary={"max_km": [10]}, max_km=12, out=tmp_path / "x")
    with pytest.raises(ValidationError, match=r"vary\['footprint'\]: cannot be varied"):
        mcp_geo.sweep("north-staffs", vary={"footprint": ["a"]}, out=tmp_path / "x")


def test_grid_order_and_bases() -> None:
    """Footprints slowest, then the options in the order given; a base not in the grid is
    planned beside it (base-<k> with several footprints); a combination no plan may use is a
    cell that fails with its reason."""
    spec = SweepSpec(
        base=Scenario.from_options("north-staffs", {"no_mcps": True}),
        footprints=("north-staffs", "icb:QNC"),
        vary=(("hub_min", (30_000, 60_000)), ("hub_max", (45_000, 70_000))),
    )
    grid, beside = spec.cells()
    assert [(c.label, c.footprint, c.values) for c in grid[:4]] == [
        ("1", "north-staffs", (("hub_min", 30_000), ("hub_max", 45_000))),
        ("2", "north-staffs", (("hub_min", 30_000), ("hub_max", 70_000))),
        ("3", "north-staffs", (("hub_min", 60_000), ("hub_max", 45_000))),
        ("4", "north-staffs", (("hub_min", 60_000), ("hub_max", 70_000))),
    ]
    assert [c.footprint for c in grid[4:]] == ["icb:QNC"] * 4
    assert grid[2].scenario is None
    assert "must be >= hub_min (60000)" in str(grid[2].problem)
    assert [(c.label, c.folder, c.base) for c in beside] == [
        ("base-1", "base-1", "base-1"),
        ("base-2", "base-2", "base-2"),
    ]
    assert {c.base for c in grid} == {"base-1", "base-2"}
    assert dict(beside[0].values) == {"hub_min": 30_000, "hub_max": 50_000}


def test_sweep_table_round_trips(tmp_path) -> None:
    spec = SweepSpec(
        base=Scenario.from_options("north-staffs", {"no_mcps": True, "time_limit": 20}),
        footprints=("north-staffs", "icb:QNC"),
        vary=(("max_km", (10, "none")), ("hubs", ("fewest", 16))),
    )
    path = tmp_path / "scenario.toml"
    path.write_text(spec.to_toml(relative_to=tmp_path), encoding="utf-8")
    assert 'vary = {max_km = [10.0, "none"], hubs = ["fewest", 16]}' in path.read_text()
    read = read_sweep_file(path)
    assert read.footprints == spec.footprints
    assert read.base == spec.base
    again = SweepSpec(base=read.base, footprints=read.footprints, vary=read.vary)
    assert [c.options for c in again.cells()[0]] == [c.options for c in spec.cells()[0]]
    # the command line reads it too, and what it gives overrides the file
    from mcp_geo.cli._parser import build_parser
    from mcp_geo.cli._sweep import sweep_spec

    args = build_parser().parse_args(
        ["sweep", "--scenario", str(path), "--vary", "hubs=17", "--out", str(tmp_path / "o")]
    )
    cli = sweep_spec(args)
    assert cli.footprints == spec.footprints
    assert cli.base == spec.base
    assert cli.vary == (("max_km", (10.0, "none")), ("hubs", (17,)))
    path.write_text(path.read_text() + "colour = 1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"scenario.toml, field 'sweep.colour': unknown"):
        read_sweep_file(path)


def test_the_sweep_report_tables_and_charts_every_cell(grid, tmp_path) -> None:
    """`mcp-geo report` on a real sweep folder: one row per cell with sweep.csv's values, and
    one travel chart per varied option with a line per value of the other option."""
    import shutil
    import xml.etree.ElementTree as ET

    result, _ = grid
    folder = tmp_path / "ns"
    shutil.copytree(result.out, folder)
    written = mcp_geo.report(folder, pdf=False)
    page = written.html.read_text(encoding="utf-8")
    body = page[page.index("Every cell") :]
    for row in _rows(folder / "sweep.csv"):
        cells = f"<td>{row['cell']}</td><td>north-staffs</td>"
        cells += f"<td>{row['hub_max']}</td><td>{row['max_km']}</td><td>{row['status']}</td>"
        assert cells in body.replace("\n", "").replace(' class="num"', "")
        assert row["travel_mean_km"] in body
    for option in VARY:
        svg = ET.parse(folder / "charts" / f"travel-{option}.svg").getroot()
        ids = {e.get("id") for e in svg.iter() if e.get("id")}
        assert {"travel-0", "travel-1"} <= ids
        assert "travel-2" not in ids
    assert (folder / "charts" / "pareto-n_hubs.png").stat().st_size > 0
