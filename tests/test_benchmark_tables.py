"""benchmarks/england.py's tables show each level's widest stage, not only its last."""

from __future__ import annotations

import importlib.util
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


@pytest.mark.parametrize("part", ["support", "regroup", "replan", "shortfall"])
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
