"""Charts: the series drawn are the data given (read back from the artists and from the SVG), the
files are the same bytes on every write, and the sweep charts draw real plans' cells."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from mcp_geo.national._sweep_rows import RESULT_COLUMNS
from mcp_geo.reports.charts import (
    EXCEPTION_COLOUR,
    Measure,
    SizeSeries,
    ViewBars,
    chart_bytes,
    size_chart,
    view_bars,
    write_chart,
)
from mcp_geo.reports.sweep_charts import (
    pareto_chart,
    pareto_front,
    travel_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _hub_series(plan) -> SizeSeries:
    return SizeSeries(
        level="hubs",
        ids=tuple(plan.hubs["hub_id"]),
        patients=tuple(int(p) for p in plan.hubs["patients"]),
        floor=plan.scenario.hub_min,
        ceiling=plan.scenario.hub_max,
        exceptions=frozenset({"H03"}),
    )


def test_size_chart_draws_each_hub_against_the_bounds(ns_plan, tmp_path: Path) -> None:
    series = _hub_series(ns_plan)
    figure = size_chart(series)
    ax = figure.axes[0]
    heights = [bar.get_height() for bar in ax.patches if bar.get_gid()]
    assert heights == sorted(int(p) for p in ns_plan.hubs["patients"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    by_id = dict(zip(ns_plan.hubs["hub_id"], ns_plan.hubs["patients"], strict=True))
    assert [by_id[h] for h in labels] == heights  # each bar under its hub's id
    lines = {line.get_gid(): line.get_ydata()[0] for line in ax.lines}
    assert lines == {"floor": 30_000, "ceiling": 50_000}
    colours = [to_hex(b.get_facecolor()) for b in ax.patches if b.get_gid()]
    assert {h for h, c in zip(labels, colours, strict=True) if c == to_hex(EXCEPTION_COLOUR)} == {
        "H03"
    }
    # the SVG keeps each bar and bound as a named group, and the text as text
    files = write_chart(figure, tmp_path, name="hub-sizes", description="hub sizes")
    root = ET.fromstring(files.svg.read_bytes())
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert {f"size-{k}" for k in range(len(heights))} | {"floor", "ceiling"} <= ids
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "ceiling 50,000" in texts
    assert "floor 30,000" in texts
    assert all(h in texts for h in ns_plan.hubs["hub_id"])


def test_chart_files_are_the_same_bytes_on_every_write(ns_plan, tmp_path: Path) -> None:
    first = write_chart(size_chart(_hub_series(ns_plan)), tmp_path / "a", name="c", description="d")
    again = write_chart(size_chart(_hub_series(ns_plan)), tmp_path / "b", name="c", description="d")
    assert first.svg.read_bytes() == again.svg.read_bytes()
    assert first.png.read_bytes() == again.png.read_bytes()
    svg = first.svg.read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert not re.search(r"Matplotlib v\d", svg)
    png = first.png.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert b"Software" not in png
    assert b"tIME" not in png


def test_view_bars_put_a_beside_b_for_each_measure() -> None:
    view = ViewBars(
        title="the same rules on both",
        a_label="north-staffs",
        b_label="staffs-shropshire",
        measures=(
            Measure("hubs", "count", 16.0, 41.0),
            Measure("km to hub base, patient-weighted mean", "km", 1.243, 2.5),
            Measure("MCPs", "count", 4.0, None),
        ),
    )
    figure = view_bars(view)
    bars = {
        patch.get_gid(): patch.get_height()
        for ax in figure.axes
        for patch in ax.patches
        if patch.get_gid()
    }
    assert bars == {"a-0": 16.0, "b-0": 41.0, "a-1": 1.243, "b-1": 2.5, "a-2": 4.0}
    svg = chart_bytes(figure, fmt="svg").decode()
    assert "A: north-staffs" in svg
    assert "B: staffs-shropshire" in svg
    assert "n/a" in svg  # B has no MCP figure


def test_pareto_front_is_the_set_no_point_dominates() -> None:
    xs = [16, 17, 18, 16, 18, 17, 20]
    ys = [1.24, 1.31, 1.05, 1.30, 1.27, 1.20, 1.05]
    front = set(pareto_front(xs, ys))
    for i in range(len(xs)):
        dominated = any(
            xs[j] <= xs[i] and ys[j] <= ys[i] and (xs[j], ys[j]) != (xs[i], ys[i])
            for j in range(len(xs))
        )
        assert (i in front) == (not dominated), i


@pytest.fixture(scope="module")
def sweep_frame() -> pd.DataFrame:
    """sweep.csv's rows for four real north-staffs plans (hubs only): hub_min 25,000 or 30,000
    against max_km 10 or 15, each measured against today's PCNs."""
    import mcp_geo

    rows = []
    for cell, (hub_min, max_km) in enumerate(
        [(25_000, 10), (25_000, 15), (30_000, 10), (30_000, 15)]
    ):
        plan = mcp_geo.plan("north-staffs", hub_min=hub_min, max_km=max_km, no_mcps=True, threads=1)
        moved = mcp_geo.compare(plan, "pcn").value("practices moving hub")[0]
        cert = plan.certificates.hubs
        travel = plan.metrics.hubs.travel
        row = {"cell": str(cell), "footprint": "north-staffs", "hub_min": hub_min}
        row |= {"max_km": max_km, "hub_max": 50_000, "hubs": ""}
        values = {
            "status": cert.status,
            "gap": cert.gap,
            "reason": "",
            "n_hubs": len(plan.hubs),
            "n_mcps": "",
            "travel_mean_km": round(travel.mean, 3),
            "travel_p95_km": round(travel.p95, 3),
            "travel_max_km": round(travel.max, 3),
            "largest_mcp_span_km": "",
            "exceptions": len(plan.exceptions),
            "moved_practices_vs_base": "",
            "moved_patients_vs_base": "",
            "moved_practices_vs_pcn": moved,
            "moved_patients_vs_pcn": "",
            "hub_objective": cert.objective,
            "hub_bound": cert.bound,
        }
        rows.append(row | {c: values[c] for c in RESULT_COLUMNS})
    return pd.DataFrame(rows)


def test_travel_chart_draws_one_line_per_value_of_the_other_option(sweep_frame) -> None:
    figure = travel_chart(sweep_frame, option="hub_min", by="max_km")
    ax = figure.axes[0]
    lines = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    for k, max_km in enumerate((10, 15)):
        cells = sweep_frame[sweep_frame["max_km"] == max_km].sort_values("hub_min")
        x, y = lines[f"travel-{k}"].get_data()
        assert list(x) == list(cells["hub_min"].astype(float))
        assert list(y) == list(cells["travel_mean_km"])
        proven = cells[cells["status"] == "optimal"]
        assert list(lines[f"optimal-{k}"].get_data()[1]) == list(proven["travel_mean_km"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["max_km = 10", "max_km = 15"]


def test_a_cell_solved_to_a_gap_is_hollow_with_a_bar_down_to_its_bound(sweep_frame) -> None:
    frame = sweep_frame.copy()
    frame.loc[1, ["status", "gap"]] = ["feasible", 0.02]  # as a time limit would leave it
    frame.loc[3, "status"] = "failed"  # no plan: not drawn
    ax = travel_chart(frame, option="max_km", by="hub_min").axes[0]
    gid = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    hollow = gid["gap-0"]
    assert hollow.get_markerfacecolor() == "white"
    assert list(hollow.get_data()[1]) == [frame.loc[1, "travel_mean_km"]]
    (segments,) = [c for c in ax.collections if len(c.get_segments()) == 1]
    (bottom, top) = sorted(p[1] for p in segments.get_segments()[0])
    assert top == pytest.approx(frame.loc[1, "travel_mean_km"])
    assert bottom == pytest.approx(frame.loc[1, "travel_mean_km"] * (1 - 0.02))
    assert list(gid["travel-1"].get_data()[0]) == [10.0]  # hub_min 30,000 at 15 km failed


@pytest.mark.parametrize("measure", ["n_hubs", "moved_practices_vs_pcn"])
def test_pareto_chart_joins_the_cells_no_other_beats_on_both(sweep_frame, measure) -> None:
    ax = pareto_chart(sweep_frame, x=measure).axes[0]
    gid = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    xs = [float(v) for v in sweep_frame[measure]]
    ys = list(sweep_frame["travel_mean_km"])
    assert sorted(zip(*gid["cells-0"].get_data(), strict=True)) == sorted(zip(xs, ys, strict=True))
    front = [(xs[i], ys[i]) for i in pareto_front(xs, ys)]
    assert list(zip(*gid["front-0"].get_data(), strict=True)) == front
    assert len(front) < len(xs)  # the real trade-off: some cells are beaten on both
