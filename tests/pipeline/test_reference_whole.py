"""``--whole`` (issue 20 point 2): the split stage before the moves, on the real central Sussex
and East Surrey practices against today's PCNs. Counts are recounted from practices.csv by this
file's own code: a PCN is split when its practices are in two hubs or more."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from mcp_geo.cli import main

RULES = ["--no-mcps", "--threads", "2", "--time-limit", "240", "-q", "--reference", "pcn"]


def _plan(args: list[str], out: Path) -> tuple[pd.DataFrame, dict]:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["plan", "central-sussex-east-surrey", *RULES, *args, "--out", str(out)]) == 0
    practices = pd.read_csv(out / "practices.csv", dtype={"pcn_code": str})
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return practices, report


def _split(practices: pd.DataFrame) -> set[str]:
    hubs = practices.groupby("reference_group")["hub_id"].nunique()
    return set(hubs[hubs > 1].index)


def _stages(report: dict) -> dict[str, dict]:
    return {st["name"]: st for st in report["certificates"]["hubs"]["stages"]}


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("whole")
    return _plan([], root / "moves"), _plan(["--whole"], root / "whole")


def test_whole_splits_fewest_pcns_then_moves_fewest(plans) -> None:
    (moves_p, moves_r), (whole_p, whole_r) = plans
    stages = _stages(whole_r)
    assert list(stages) == ["split", "moves", "travel"]
    assert all(st["status"] == "optimal" for st in stages.values())
    split = _split(whole_p)
    assert stages["split"]["objective"] == len(split)
    assert set(whole_r["reference"]["split"]) == split
    # the split stage comes first: never more PCNs split than the plan that only moves fewest
    assert len(split) <= len(_split(moves_p))
    assert stages["moves"]["objective"] >= _stages(moves_r)["moves"]["objective"]
    patients = whole_p.groupby("hub_id")["patients"].sum()
    assert patients.between(30_000, 50_000).all()


def test_every_split_pcn_has_its_reason(plans) -> None:
    _, (whole_p, whole_r) = plans
    reasons = whole_r["reference"]["why_split"]
    assert set(reasons) == set(whole_r["reference"]["split"])
    sizes = whole_p.groupby("reference_group")["patients"].sum()
    for code, reason in reasons.items():
        if sizes[code] > 50_000:
            assert reason.startswith("over the ceiling")
        assert reason
