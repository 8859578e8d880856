"""`mcp-geo compare A B`'s fourth view on the real data: the footprint's own effect.

north-staffs (A) against staffs-stoke (B), hubs only, time-limited: B is re-planned with A's
hubs as the reference and a travel slack of 0 (written to plan-b-own). The view's numbers are
recounted from the files by this test's own code: a one-to-one matching of A's hubs to B's that
keeps the most patients together (scipy's assignment, not the package's matching), checked
against changes.csv's flags; the own effect never exceeds the from-scratch changes.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from mcp_geo.cli import main
from mcp_geo.pipeline.compare import CHANGES_COLUMNS, OWN_CHANGES_COLUMNS, VIEWS

OPTIONS = ["--no-mcps", "--time-limit", "40", "--threads", "2", "--no-map", "-q"]
"""Hubs only; the re-plan's plan from scratch has 30% of the time limit, which must be enough
for it to reach B's least travel (about 5 s on 2 threads)."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("own") / "c"
    assert main(["compare", "north-staffs", "staffs-stoke", "--out", str(out), *OPTIONS]) == 0
    return out


def _hubs(path: Path) -> pd.Series:
    practices = pd.read_csv(path / "practices.csv", dtype={"practice_code": str, "hub_id": str})
    return practices.set_index("practice_code")["hub_id"]


def _kept_most(a: pd.Series, b: pd.Series, patients: pd.Series) -> int:
    """The most patients a one-to-one matching of A's groups to B's keeps together."""
    table = pd.crosstab(a, b, values=patients, aggfunc="sum").fillna(0)
    rows, cols = linear_sum_assignment(table.to_numpy(), maximize=True)
    return int(table.to_numpy()[rows, cols].sum())


def _check_flags(changes: pd.DataFrame, *, hub: str, flag: str) -> tuple[int, int]:
    """The flagged practices and patients, after checking that the practices left unflagged
    pair A's hubs one-to-one with B's and keep the most patients together."""
    moved = changes[flag] == "true"
    assert set(changes[flag]) <= {"true", "false"}
    stay = changes[~moved]
    assert (stay.groupby("a_hub")[hub].nunique() == 1).all()  # an A hub continues in one B hub
    assert (stay.groupby(hub)["a_hub"].nunique() == 1).all()  # a B hub continues one A hub
    patients = changes["patients"].astype(int)
    best = _kept_most(changes["a_hub"], changes[hub], patients)
    assert int(patients[~moved].sum()) == best
    return int(moved.sum()), int(patients[moved].sum())


def test_the_view_agrees_with_the_files(folder):
    table = pd.read_csv(folder / "comparison.csv", dtype=str, keep_default_na=False)
    table = table.set_index("measure")
    changes = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    assert tuple(changes.columns) == CHANGES_COLUMNS + OWN_CHANGES_COLUMNS
    codes = changes["practice_code"]
    for column, plan in (("a_hub", "plan-a"), ("b_hub", "plan-b"), ("b_own_hub", "plan-b-own")):
        assert changes[column].tolist() == _hubs(folder / plan).loc[codes].tolist(), column
    scratch = _check_flags(changes, hub="b_hub", flag="moved_hub")
    own = _check_flags(changes, hub="b_own_hub", flag="moved_hub_own")
    view = {
        "practices changing hub, from scratch": scratch[0],
        "patients changing hub, from scratch": scratch[1],
        "practices changing hub even with the fewest moves": own[0],
        "patients changing hub even with the fewest moves": own[1],
    }
    for measure, count in view.items():
        assert (table.loc[measure, "a"], table.loc[measure, "b"]) == ("", str(count)), measure
    ties = (changes["moved_hub"] == "true") & (changes["moved_hub_own"] == "false")
    assert table.loc["practices whose change was a tie", "b"] == str(int(ties.sum()))
    assert own[0] <= scratch[0]
    assert own[1] <= scratch[1]
    assert table.loc["practices moving hub", "a"] == str(scratch[0])  # view 3: the same count
    views = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))["views"]
    assert list(views) == list(VIEWS)


def test_the_re_plan_keeps_b_s_travel_and_names_its_reference(folder):
    own = folder / "plan-b-own"
    scenario = tomllib.loads((own / "scenario.toml").read_text(encoding="utf-8"))
    assert scenario["travel_slack"] == 0.0
    assert scenario["no_mcps"] is True
    reference = os.path.normpath(own / scenario["reference"])
    assert Path(reference).resolve() == (folder / "plan-a").resolve()
    report = json.loads((own / "report.json").read_text(encoding="utf-8"))
    stages = [stage["name"] for stage in report["certificates"]["hubs"]["stages"]]
    assert stages == ["least_travel", "moves", "travel"]
    changes = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    moved = changes["moved_hub_own"] == "true"
    assert report["reference"]["moved_patients"] == int(
        changes.loc[moved, "patients"].astype(int).sum()
    )
    # B's travel, held: the re-plan's within the solvers' gaps of B's own plan
    b = json.loads((folder / "plan-b" / "report.json").read_text(encoding="utf-8"))
    travel = [r["certificates"]["hubs"]["objective"] for r in (b, report)]
    assert travel[1] == pytest.approx(travel[0], rel=2e-3)
    least = report["certificates"]["hubs"]["stages"][0]["objective"]
    assert least == pytest.approx(travel[0], rel=2e-4)
    assert np.isfinite(travel).all()
