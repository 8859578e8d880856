"""National runs on Dask: same plans as footprints solved alone, failures reported, resume.

The run covers three real ICBs of the April 2025 snapshot, small enough to stay fast:
Cornwall and the Isles of Scilly (QT6, 56 practices), Somerset (QSL, 62) and Shropshire, Telford
and Wrekin (QOC, 50), whose 49 connected practices cannot be split into hubs of 30,000-50,000
within 15 km: its least-exception plan has one hub 1,263 patients under the floor (proven
least), named and counted in the national report. A footprint that fails is QOC under strict
rules (refused for its practice over the ceiling, Y01929) beside a small Sub-ICB.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.scenario import Scenario
from tests.checker import check_plan

pytestmark = pytest.mark.slow

CODES = ("QT6", "QSL", "QOC")
SCENARIO = Scenario.from_options("england", {"gap": 0.005, "time_limit": 60})


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes with one thread each, closed after the module."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield local
    local.close()


@pytest.fixture(scope="module")
def national_run(cluster, tmp_path_factory):
    """The three ICBs planned on the cluster; the progress calls recorded."""
    from mcp_geo.national.run import plan_england

    out = tmp_path_factory.mktemp("national") / "england"
    calls = []
    national = plan_england(
        SCENARIO,
        by="icb",
        out=out,
        scheduler=cluster.scheduler_address,
        codes=CODES,
        progress=lambda result, done, total: calls.append((result.code, done, total)),
    )
    return national, calls


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """QT6 and QSL each planned alone (no Dask), written with write_plan."""
    from mcp_geo.national.run import footprint_scenario
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.plans.write import write_plan

    folders = {}
    for code in ("QT6", "QSL"):
        plan = run_scenario(footprint_scenario(SCENARIO, f"icb:{code}"))
        folders[code] = write_plan(plan, tmp_path_factory.mktemp("alone") / code)
    return folders


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _prefixed(rows: list[dict[str, str]], code: str, columns: tuple[str, ...]):
    return [{k: (f"{code}-{v}" if k in columns and v else v) for k, v in r.items()} for r in rows]


def test_same_plans_as_each_footprint_alone(national_run, alone):
    national, _ = national_run
    out = national.out
    practices = _rows(out / "practices.csv")
    hubs = _rows(out / "hubs.csv")
    mcps = _rows(out / "mcps.csv")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for code, folder in alone.items():
        own = report["footprints"][code]
        assert own["status"] == "solved"
        assert own["reason"] is None
        expected = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        assert own["certificates"] == expected["certificates"]
        for name, table, columns in (
            ("practices.csv", practices, ("hub_id", "mcp_id")),
            ("hubs.csv", hubs, ("hub_id", "mcp_id")),
            ("mcps.csv", mcps, ("mcp_id", "base_hub_id")),
        ):
            key = "practice_code" if name == "practices.csv" else columns[0]
            want = _prefixed(_rows(folder / name), code, columns)
            codes_of_want = {r[key] for r in want}
            got = [r for r in table if r[key] in codes_of_want]
            assert got == want, name


def test_national_files_cover_every_practice_once(national_run, bundled_data):
    from mcp_geo.practices import select_footprint

    national, _ = national_run
    out = national.out
    practices = _rows(out / "practices.csv")
    codes = [r["practice_code"] for r in practices]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    expected = {
        c: set(select_footprint(bundled_data, f"icb:{c}").practices["practice_code"]) for c in CODES
    }
    assert set(codes) == expected["QT6"] | expected["QSL"] | expected["QOC"]
    for row in practices:
        code = row["hub_id"].split("-")[0]
        assert row["practice_code"] in expected[code]
        assert row["mcp_id"].startswith(f"{code}-M")
    hubs = _rows(out / "hubs.csv")
    assert {h["hub_id"] for h in hubs} == {r["hub_id"] for r in practices}
    assert sum(int(h["patients"]) for h in hubs) == sum(int(r["patients"]) for r in practices)
    excluded = {r["practice_code"]: r["reason"] for r in _rows(out / "exclusions.csv")}
    assert not any("was not planned" in why for why in excluded.values())
    assert {"plan.gpkg", "map.html", "scenario.toml"} <= {p.name for p in out.iterdir()}
    national_map = (out / "map.html").read_text(encoding="utf-8")
    assert national_map.count("L.markerClusterGroup(") == 1  # a national map clusters practices


def test_every_hub_has_a_territory_and_the_territories_tile(national_run):
    """As many territories as hubs, one valid coverage (no overlaps), no gap between or
    inside the footprints, and report.json's territories block says so."""
    import geopandas as gpd
    import shapely

    national, _ = national_run
    out = national.out
    hubs = _rows(out / "hubs.csv")
    layer = gpd.read_file(out / "plan.gpkg", layer="territories_hubs")
    assert sorted(layer["hub_id"]) == sorted(h["hub_id"] for h in hubs)
    assert not layer.geometry.is_empty.any()
    shapes = layer.to_crs(27700).geometry.to_numpy()
    assert shapely.coverage_is_valid(shapes)
    union = shapely.coverage_union_all(shapes)
    assert not any(p.interiors for p in shapely.get_parts(union))
    facts = json.loads((out / "report.json").read_text(encoding="utf-8"))["territories"]
    assert facts["territories"] == len(hubs)
    assert facts["without_territory"] == []
    assert facts["smallest_piece_km2"] >= facts["min_piece_km2"]
    mcps = gpd.read_file(out / "plan.gpkg", layer="territories_mcps").to_crs(27700)
    assert abs(mcps.geometry.area.sum() - union.area) <= 1e-6 * union.area


def test_least_exception_footprint_planned_named_and_counted(national_run):
    """QOC is planned: its hub under the floor and its practice over the ceiling are named in
    report.json and hubs.csv and counted by footprint; the summary names the shortfall."""
    national, calls = national_run
    report = json.loads((national.out / "report.json").read_text(encoding="utf-8"))
    qoc = report["footprints"]["QOC"]
    assert (qoc["status"], qoc["reason"], qoc["failure"]) == ("solved", None, None)
    assert qoc["name"] == "NHS Shropshire, Telford and Wrekin Integrated Care Board"
    shortfall = qoc["certificates"]["hubs"]["stages"][0]
    assert (shortfall["name"], shortfall["objective"], shortfall["status"]) == (
        "shortfall", 1_263, "optimal",
    )  # fmt: skip
    qoc_exceptions = [e for e in report["exceptions"] if e.get("hub_id", "").startswith("QOC-")]
    assert [(e["kind"], e["patients"], e["shortfall"]) for e in qoc_exceptions] == [
        ("under_floor", 28_737, 1_263),
        ("over_ceiling", 52_556, None),
    ]
    hubs = {h["hub_id"]: h for h in _rows(national.out / "hubs.csv")}
    under = hubs[qoc_exceptions[0]["hub_id"]]
    assert (under["exception"], under["shortfall"]) == ("under_floor", "1263")
    counts = report["national"].pop("exceptions")
    assert counts["by_footprint"]["QOC"] == {
        "exceptions": 2,
        "hubs": {
            "over_ceiling": 1,
            "isolated": 0,
            "under_floor": 1,
            "shortfall": 1_263,
            "shortfall_bound": 1_263,  # proven least
        },
        "mcps": {
            "over_ceiling": 0,
            "isolated": 0,
            "under_floor": 0,
            "shortfall": 0,
            "shortfall_bound": None,
        },
    }
    assert counts["total"]["footprints"] == len(counts["by_footprint"])
    assert counts["total"]["hubs"]["under_floor"] == 1  # QT6 and QSL keep every rule
    assert counts["total"]["exceptions"] == len(report["exceptions"])
    assert report["national"] == {
        "footprints": 3,
        "solved": 3,
        "failed": 0,
        "hubs_optimal": 3,
        "mcps_optimal": 3,
    }
    assert report["footprint"] == {
        "name": "england",
        "title": "England (part: QSL, QT6, QOC), by icb",
        "by": "icb",
    }
    assert sorted(c for c, _, _ in calls) == sorted(CODES)
    assert [(done, total) for _, done, total in calls] == [(1, 3), (2, 3), (3, 3)]
    assert national.workers == 2
    # the national certificate is the sum over the solved footprints, stages included
    objective = sum(report["footprints"][c]["certificates"]["hubs"]["objective"] for c in CODES)
    assert report["certificates"]["hubs"]["objective"] == pytest.approx(objective, rel=1e-9)
    assert report["certificates"]["hubs"]["stages"][0]["objective"] == 1_263
    assert report["metrics"]["practices"] == 56 + 62 + 50
    # by area: the solved footprints' breakdowns together
    icbs = report["metrics"]["by_area"]["icb"]
    assert [a["code"] for a in icbs] == ["QOC", "QSL", "QT6"]
    assert [a["practices"] for a in icbs] == [50, 62, 56]
    assert sum(a["patients"] for a in icbs) == report["metrics"]["patients"]
    summary = "\n".join(national.summary())
    assert (
        "1 ICB planned with exceptions under the floor (least-exception plans): "
        "QOC (1 hub 1,263 under the floor)"
    ) in summary
    assert check_plan(national.out) == []


def test_failed_footprint_reported_and_others_solved(tmp_path):
    """Strict rules refuse QOC (its practice over the ceiling); the Sub-ICB beside it is
    planned, QOC's practices are excluded with the footprint's failure."""
    from mcp_geo.national.run import plan_england

    national = plan_england(
        SCENARIO.with_options({"strict": True}),
        by="sub-icb",
        out=tmp_path / "strict",
        workers=1,
        codes=["M2L0M", "02Q"],
        map_html=False,
    )
    report = json.loads((national.out / "report.json").read_text(encoding="utf-8"))
    qoc = report["footprints"]["M2L0M"]
    assert (qoc["status"], qoc["failure"]) == ("failed", "infeasible")
    assert "practice over the ceiling (Y01929 has 52,556 patients" in qoc["reason"]
    assert qoc["certificates"]["hubs"]["status"] == "infeasible"  # what the checks proved
    assert qoc["certificates"]["hubs"]["diagnosis"] == qoc["reason"]
    assert report["footprints"]["02Q"]["status"] == "solved"
    assert {k: report["national"][k] for k in ("solved", "failed")} == {"solved": 1, "failed": 1}
    excluded = [r for r in _rows(national.out / "exclusions.csv") if "sub-icb:M2L0M" in r["reason"]]
    assert len(excluded) == 50
    assert any(line.startswith("failed: M2L0M") for line in national.summary())


def _without_timings(report: dict) -> dict:
    report = dict(report)
    report.pop("timings")
    report["footprints"] = {
        code: {k: v for k, v in entry.items() if k != "timings"}
        for code, entry in report["footprints"].items()
    }
    return report


def test_rerun_resumes_solved_footprints(national_run, cluster, tmp_path):
    """A re-run reuses the parts with the same fingerprint; a broken part is solved again."""
    from mcp_geo.national.run import PARTS, plan_england

    first, _ = national_run
    out = tmp_path / "england"
    shutil.copytree(first.out, out)
    parts = {p.name.split("-")[0]: p for p in (out / PARTS).iterdir()}
    assert sorted(parts) == ["QOC", "QSL", "QT6"]
    (parts["QSL"] / "report.json").unlink()  # as if the run had stopped while writing it

    again = plan_england(
        SCENARIO,
        by="icb",
        out=out,
        scheduler=cluster.scheduler_address,
        codes=CODES,
        map_html=False,
    )
    by_code = {r.code: r for r in again.footprints}
    assert by_code["QT6"].resumed
    assert not by_code["QSL"].resumed
    assert by_code["QOC"].resumed
    assert by_code["QOC"].status == "solved"
    for name in ("practices.csv", "hubs.csv", "mcps.csv", "exclusions.csv"):
        assert (out / name).read_bytes() == (first.out / name).read_bytes(), name
    reports = [json.loads((d / "report.json").read_text()) for d in (first.out, out)]
    assert _without_timings(reports[0]) == _without_timings(reports[1])
    assert sorted(p.name for p in (out / PARTS).iterdir()) == sorted(
        p.name for p in (first.out / PARTS).iterdir()
    )


def test_changed_options_change_every_fingerprint(bundled_data):
    from mcp_geo.national.run import partition_jobs

    jobs, problems = partition_jobs(bundled_data, by="icb", scenario=SCENARIO)
    assert problems == []
    assert len(jobs) == 42
    assert sum(j.practices for j in jobs) == 6239
    assert (jobs[0].code, jobs[0].practices) == ("QOP", 407)
    assert [j.practices for j in jobs] == sorted((j.practices for j in jobs), reverse=True)
    changed, _ = partition_jobs(
        bundled_data, by="icb", scenario=SCENARIO.with_options({"gap": 0.01})
    )
    assert not {j.fingerprint for j in jobs} & {j.fingerprint for j in changed}
    subs, _ = partition_jobs(bundled_data, by="sub-icb", scenario=SCENARIO, codes=["02q"])
    assert [(j.code, j.spec, j.practices) for j in subs] == [("02Q", "sub-icb:02Q", 10)]


def test_current_icbs_partition_england(bundled_data):
    """--by icb-2026: the 36 ICBs of the newest register, each footprint its current membership."""
    from mcp_geo.national.run import partition_jobs

    jobs, problems = partition_jobs(bundled_data, by="icb-2026", scenario=SCENARIO)
    assert problems == []
    assert len(jobs) == 36
    assert sum(j.practices for j in jobs) == 6239
    by_code = {j.code: j for j in jobs}
    assert by_code["S9B9J"].spec == "icb-2026:S9B9J"
    assert (by_code["S9B9J"].practices, by_code["S9B9J"].patients) == (267, 3_175_136)
    assert by_code["QNC"].practices == 140  # 141 by the ICB of the list-size date
    assert by_code["S9B9J"].name.startswith("NHS Sussex ICB, NHS Surrey Heartlands ICB")


def test_partitions_of_the_2021_snapshot(data_2021):
    from mcp_geo.national.run import partition_jobs

    jobs, problems = partition_jobs(data_2021, by="stp", scenario=SCENARIO)
    assert problems == []
    assert sum(j.practices for j in jobs) == len(data_2021.practices)
    assert {j.spec.split(":")[0] for j in jobs} == {"stp"}
    _, problems = partition_jobs(data_2021, by="icb", scenario=SCENARIO)
    assert "split by stp or ccg" in problems[0].message
    _, problems = partition_jobs(data_2021, by="icb-2026", scenario=SCENARIO)
    assert "split by stp or ccg" in problems[0].message


def test_bad_requests_are_named_together(tmp_path):
    from mcp_geo.national.run import plan_england

    with pytest.raises(ValidationError, match="split by icb, icb-2026 or sub-icb") as caught:
        plan_england(SCENARIO, by="stp", out=tmp_path / "x", workers=0)
    assert "must be a whole number >= 1" in str(caught.value)
    with pytest.raises(ValidationError, match=r"no practice of this snapshot.*'QZZ'"):
        plan_england(SCENARIO, by="icb", out=tmp_path / "x", codes=["QT6", "QZZ"])
    with pytest.raises(ValidationError, match="leave it out with keyword 'scheduler'") as caught:
        plan_england(SCENARIO, by="icb", out=tmp_path / "x", scheduler="tcp://x:1", workers=2)
    assert str(caught.value).startswith("plan_england: keyword 'workers': sets the size")
    assert not (tmp_path / "x" / ".parts").exists()


def test_bad_options_are_named_by_the_api_or_as_flags(tmp_path, capsys):
    """The library names its parameters (``keyword 'workers'``); the CLI names its flags."""
    from mcp_geo.cli import main
    from mcp_geo.national.run import plan_england

    with pytest.raises(ValidationError) as caught:
        plan_england(SCENARIO, by="stp", out=tmp_path / "x", workers=0)
    assert "keyword 'by': the 2025-04 snapshot's footprints are split by" in str(caught.value)
    assert "keyword 'workers': must be a whole number >= 1 (got 0)" in str(caught.value)
    argv = ["plan", "england", "--by", "icb", "--out", str(tmp_path / "x")]
    assert main([*argv, "--scheduler", "tcp://x:1", "--workers", "2", "-q"]) == 2
    assert capsys.readouterr().err == (
        "mcp-geo: error: mcp-geo plan england --by icb: --workers: sets the size of the local "
        "cluster; leave it out with --scheduler (got 2)\n"
    )
    assert main(["plan", "england", "--by", "stp", "--out", str(tmp_path / "x"), "-q"]) == 2
    assert capsys.readouterr().err == (
        "mcp-geo: error: mcp-geo plan england --by stp: --by: the 2025-04 snapshot's "
        "footprints are split by icb, icb-2026 or sub-icb (got 'stp')\n"
    )


def test_sub_icbs_on_its_own_local_cluster(tmp_path):
    """Without a scheduler a LocalCluster is started (and closed); ids carry Sub-ICB codes."""
    from mcp_geo.national.run import plan_england

    national = plan_england(
        SCENARIO.with_options({"mcp_min": 150_000}),
        by="sub-icb",
        out=tmp_path / "subs",
        workers=1,
        codes=["02Q", "05V"],
        map_html=False,
    )
    by_code = {r.code: r for r in national.footprints}
    assert by_code["05V"].status == "solved"
    assert national.workers == 1
    assert by_code["02Q"].failure == "infeasible"
    assert "128,168 patients, fewer than one MCP's floor of 150,000" in by_code["02Q"].reason
    hubs = _rows(tmp_path / "subs" / "hubs.csv")
    assert hubs
    assert all(h["hub_id"].startswith("05V-H") for h in hubs)


def test_a_lost_task_is_one_failed_footprint(cluster, tmp_path):
    """A task that raises in the worker (here: a callable that refuses the task's arguments)."""
    from mcp_geo.national._tasks import FootprintJob
    from mcp_geo.national.cluster import run_on_dask

    job = FootprintJob("QT6", "icb:QT6", "Cornwall", practices=56, patients=1, fingerprint="0" * 64)
    ended = []
    used = run_on_dask(
        [job],
        solve=len,
        scenarios={"QT6": SCENARIO},
        data_dir=None,
        parts=tmp_path,
        scheduler=cluster.scheduler_address,
        workers=None,
        finished=ended.append,
    )
    assert used == 2
    assert [(r.code, r.status, r.failure) for r in ended] == [("QT6", "failed", "error")]
    assert ended[0].reason.startswith("the Dask task was lost: TypeError")


def test_display_coverage_nodes_the_borders_between_footprints():
    """Two footprints side by side whose shared border is noded differently on each side.

    A-H01 | B-H01      A's polygons end at x=1000 with a vertex at (1000, 500) on the border;
    ------+------      B's polygon starts at x=1000 without it; A-H02 overlaps B by 1 m.
    A-H02 | B-H01
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import Polygon

    from mcp_geo.national._map import display_coverage

    layer = gpd.GeoDataFrame(
        {"hub_id": ["A-H01", "A-H02", "B-H01"]},
        geometry=[
            Polygon([(0, 500), (1000, 500), (1000, 1000), (0, 1000)]),
            Polygon([(0, 0), (1001, 0), (1001, 500), (0, 500)]),
            Polygon([(1000, 0), (2000, 0), (2000, 1000), (1000, 1000)]),
        ],
        crs=27700,
    )
    with pytest.raises(shapely.errors.GEOSException):
        shapely.coverage_union_all(layer.geometry.to_numpy())
    shown = display_coverage(layer, id_column="hub_id")
    assert list(shown["hub_id"]) == ["A-H01", "A-H02", "B-H01"]
    whole = shapely.coverage_union_all(shown.geometry.to_numpy())
    assert whole.area == pytest.approx(2_000_000, rel=1e-9)
    assert shapely.intersection(shown.geometry[1], shown.geometry[2]).area == 0


def test_cli_plan_england_writes_the_national_plan(tmp_path, capsys):
    from mcp_geo.cli import main

    out = tmp_path / "england"
    argv = ["plan", "england", "--by", "sub-icb", "--only", "05V", "--workers", "1"]
    assert main([*argv, "--mcp-min", "100000", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["footprints"]["05V"]["status"] == "solved"
    assert {"practices.csv", "hubs.csv", "mcps.csv", "report.json", "plan.gpkg"} <= {
        p.name for p in out.iterdir()
    }
    assert "05V" in capsys.readouterr().out
    assert main(["plan", "england", "--out", str(tmp_path / "x")]) == 2
    assert "--by" in capsys.readouterr().err


def test_local_workers_run_without_dask_malloc_trim():
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which tripled the columns
    engine's time there (system calls at every free of a knapsack table); ours unset it."""
    import os

    from distributed import Client, LocalCluster

    from mcp_geo.national.cluster import local_cluster

    def trim_setting(cluster) -> list[str | None]:
        with Client(cluster) as client:
            return list(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values())

    with local_cluster(1) as cluster:
        assert trim_setting(cluster) == [os.environ.get("MALLOC_TRIM_THRESHOLD_")]
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        assert trim_setting(cluster) == ["65536"]  # Dask's default, which the test guards against


def test_a_national_task_plans_a_footprint_as_a_single_run_does(tmp_path):
    """One path: the task's part holds the very files ``mcp-geo plan`` writes (timings aside)."""
    from mcp_geo.national._tasks import FootprintJob, solve_footprint
    from mcp_geo.pipeline.footprint import run_scenario
    from mcp_geo.plans.write import write_plan

    scenario = Scenario.from_options("north-staffs", {"threads": 1})
    plan = run_scenario(scenario)
    single = write_plan(plan, tmp_path / "single")
    job = FootprintJob("NS", "north-staffs", "North", 66, 531_633, fingerprint=plan.fingerprint)
    result = solve_footprint(job, scenario=scenario, data_dir=None, parts=tmp_path / "parts")
    assert result.status == "solved"
    assert result.part is not None
    for name in ("practices.csv", "hubs.csv", "mcps.csv", "exclusions.csv", "scenario.toml"):
        assert (result.part / name).read_bytes() == (single / name).read_bytes(), name
    reports = [json.loads((f / "report.json").read_text()) for f in (result.part, single)]
    assert [{k: v for k, v in r.items() if k != "timings"} for r in reports[:1]] == [
        {k: v for k, v in reports[1].items() if k != "timings"}
    ]
    assert set(result.timings) >= {"load", "hubs", "mcps", "territories", "total"}
