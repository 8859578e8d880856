"""benchmarks/england.py's tables show each level's widest stage, not only its last."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest


def _benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ loaded as a module."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


# North East and North Cumbria at 60 s (3 December 2026): the certificate's gap is the travel
# stage's, 2.0%; its shortfall stage is 82% from its bound
QHM = {
    "status": "feasible",
    "gap": 0.020044,
    "stages": [
        {"name": "shortfall", "gap": 0.819875, "status": "feasible"},
        {"name": "travel", "gap": 0.020044, "status": "feasible"},
    ],
}
PROVEN = {"status": "optimal", "gap": 0.0}


def test_the_widest_stage_is_shown_and_counted() -> None:
    england = _benchmark("england")
    assert england.worst_stage(QHM) == ("shortfall", pytest.approx(0.819875))
    assert england.worst_stage(PROVEN) == (None, 0.0)
    # 2.0% travel is within a 5% 'within', the shortfall stage is not
    assert england._classify(QHM, within=0.05) == "above_gap"
    footprint = SimpleNamespace(
        code="QHM",
        job=SimpleNamespace(practices=342),
        certificates={"hubs": QHM, "mcps": PROVEN},
        timings={"hubs": 58.9, "mcps": 0.8, "total": 60.1},
        status="solved",
    )
    lines = england.table(SimpleNamespace(footprints=[footprint]))
    assert "81.987%" in lines[1]
    assert lines[1].endswith("(hubs: shortfall stage)")
    assert "2.004%" not in lines[1]


@pytest.mark.parametrize(
    "part",
    ["support", "regroup", "replan", "count-replan", "shortfall", "relaxation", "cuts", "branch"],
)
def test_each_part_the_benchmark_switches_off_is_a_setting_of_the_engine(part: str) -> None:
    """benchmarks/solver_parts.py switches a part off by a module setting: the setting exists,
    is switched to the value that stops it, and is put back afterwards."""
    bench = _benchmark("solver_parts")
    module_name, name, value = bench.PARTS[part]
    module = importlib.import_module(module_name)
    before = getattr(module, name)
    assert before != value
    with bench._off(part):
        assert getattr(module, name) == value
    assert getattr(module, name) == before


def test_a_short_run_is_judged_against_the_best_bound_of_both_runs() -> None:
    """benchmarks/first_plans.py (issue 23, point 4): the short run's plan against the higher
    of the two runs' bounds, as a fraction of the plan; no plan or no bound is not within."""
    bench = _benchmark("first_plans")
    # Birmingham at 10 s (5 December 2026): a plan, bound 0; at 60 s the bound 957,167
    qhl = bench.Row("icb:QHL", 177, 1_076_627.0, 0.0, 10.1, 968_172.0, 957_167.0, 60.0)
    assert qhl.bound == 957_167.0
    assert qhl.above == pytest.approx((1_076_627 - 957_167) / 1_076_627)  # 11.1%
    # a short run whose own bound is the better one (both runs end by proof)
    proven = bench.Row("north-staffs", 66, 1_000.0, 995.0, 1.0, 1_000.0, 990.0, 1.2)
    assert proven.bound == 995.0
    assert proven.above == pytest.approx(0.005)
    lost = bench.Row("icb:QXX", 10, None, None, 10.0, 500.0, 490.0, 60.0)
    assert lost.above is None
    # North East and North Cumbria at 10 s before the compact model's look (5 December 2026):
    # 29,919 patients below the floor where the 60 s run proved 18,753; its travel is not judged
    short, long = (("shortfall", 29_919.0),), (("shortfall", 18_753.0),)
    qhm = bench.Row(
        "icb:QHM", 342, 6_251_636.0, 1_989_257.0, 10.3, 5_440_331.0, 5_394_351.0, 58.7, short, long
    )
    assert not qhm.comparable
    assert qhm.above is None
    same = dataclasses.replace(qhm, short_earlier=long)
    assert same.comparable
    assert same.above == pytest.approx((6_251_636 - 5_394_351) / 6_251_636)
    lines = bench.table([qhl, proven, lost, qhm, same], within=0.01)
    assert "| - | 11.10% | no |" in lines[2]
    assert "| - | 0.50% | yes |" in lines[3]
    assert "| - | - | no |" in lines[4]
    assert "| shortfall 29,919; shortfall 18,753 | - (earlier stages differ) | no |" in lines[5]
    assert "| shortfall 18,753; shortfall 18,753 | 13.71% | no |" in lines[6]
    assert lines[-1] == "1 of 5 footprints within 1% of the bound"


def test_the_long_run_may_have_its_own_gap() -> None:
    """benchmarks/first_plans.py: ``--long-gap`` lets the long run go on raising its bound
    after its plan is within ``--gap``; without it the long run has the short run's gap."""
    bench = _benchmark("first_plans")
    assert bench._long_gap(bench._parse([])) == 0.005
    assert bench._long_gap(bench._parse(["--gap", "0.01"])) == 0.01
    assert bench._long_gap(bench._parse(["--long-gap", "0.0001"])) == 0.0001
