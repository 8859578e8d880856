"""`mcp-geo plan north-staffs --reference pcn --bases FILE` on the real data (issues 18 and 20):
hubs based at candidate sites, each site the base of one hub at most, from today's PCNs with
the fewest patients moved, recounted from the written files by this file's own code.

The 17 sites stand where every fourth north-staffs practice is (by code; real places of the
bundled snapshot), named S00-S16: none is a practice, so no practice is a hub's base.
"""

from __future__ import annotations

import contextlib
import io
import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from mcp_geo.cli import main
from tests.checker import check_plan

RUN = ["--no-mcps", "--threads", "1", "--time-limit", "60", "-q"]
R_KM = 6371.0088  # DESIGN: the mean Earth radius


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> pd.DataFrame:
    from mcp_geo.practices import open_data, select_footprint

    real = select_footprint(open_data(None), "north-staffs").practices
    every4 = real.sort_values("practice_code").iloc[::4].reset_index(drop=True)
    return pd.DataFrame(
        {
            "base_code": [f"S{k:02d}" for k in range(len(every4))],
            "base_name": [f"Health centre near {c}" for c in every4["practice_code"]],
            "latitude": every4["latitude"],
            "longitude": every4["longitude"],
        }
    )


@pytest.fixture(scope="module")
def planned(sites: pd.DataFrame, tmp_path_factory) -> dict[str, Path]:
    """The plan from today's PCNs and the plan from scratch, both with the sites."""
    folder = tmp_path_factory.mktemp("reference-bases")
    sites.to_csv(folder / "sites.csv", index=False)
    out = {"pcn": folder / "pcn", "scratch": folder / "scratch"}
    base = ["plan", "north-staffs", "--bases", str(folder / "sites.csv"), *RUN]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*base, "--reference", "pcn", "--out", str(out["pcn"])]) == 0
        assert main([*base, "--out", str(out["scratch"])]) == 0
    return out


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine great-circle km (written out here, not the package's)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * R_KM * np.arcsin(np.sqrt(a)))


def _moved(practices: pd.DataFrame, groups: pd.Series) -> set[str]:
    """DESIGN's moves: hubs matched one-to-one to groups keeping the most patients (an
    assignment problem solved by scipy), then every practice outside its group's hub."""
    kept = pd.crosstab(practices.hub_id, groups, values=practices.patients, aggfunc="sum")
    kept = kept.fillna(0)
    rows, cols = linear_sum_assignment(kept.to_numpy(), maximize=True)
    hub_of = {kept.columns[c]: kept.index[r] for r, c in zip(rows, cols, strict=True)}
    stays = groups.map(hub_of) == practices.hub_id
    return set(practices.practice_code[groups.notna() & ~stays])


def test_a_plan_from_todays_pcns_based_at_candidate_sites(
    planned: dict[str, Path], sites: pd.DataFrame
) -> None:
    out = planned["pcn"]
    assert check_plan(out) == []
    practices = pd.read_csv(out / "practices.csv", dtype={"practice_code": str})
    hubs = pd.read_csv(out / "hubs.csv", dtype={"hub_id": str})
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(practices) == 66
    assert report["exclusions"] == {}
    # every hub based at its own site, every practice within 15 km of it (recounted)
    assert hubs.base_code.is_unique
    assert set(hubs.base_code) <= set(sites.base_code)
    named = sites.set_index("base_code")
    assert hubs.base_name.tolist() == named.base_name[hubs.base_code].tolist()
    at = named.loc[practices.hub_base_code]
    km = _km(practices.latitude, practices.longitude, at.latitude.to_numpy(), at.longitude)
    assert np.allclose(km, practices.km_to_hub_base, atol=2e-3)
    assert (km <= 15.0 + 1e-6).all()
    assert hubs.patients.between(30_000, 50_000).all()
    assert (practices.groupby("hub_id").hub_base_code.nunique() == 1).all()
    # the fewest moves, proven, then the travel: recounted from the files
    stages = report["certificates"]["hubs"]["stages"]
    assert [s["name"] for s in stages] == ["moves", "travel"]
    assert all(s["status"] == "optimal" for s in stages)
    assert (practices.reference_group == practices.pcn_code).all()
    moved = _moved(practices, practices.reference_group)
    patients = int(practices.set_index("practice_code").patients[sorted(moved)].sum())
    moves = pd.read_csv(out / "moves.csv", dtype={"practice_code": str})
    assert set(moves.practice_code) == moved
    assert patients == stages[0]["objective"] == report["reference"]["moved_patients"]
    assert int(moves.patients.sum()) == patients
    assert report["reference"]["moved_practices"] == len(moved)
    scenario = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
    assert (scenario["reference"], Path(scenario["bases"]).name) == ("pcn", "sites.csv")
    # the plan from scratch with the same sites travels least and moves more
    scratch = pd.read_csv(planned["scratch"] / "practices.csv", dtype={"practice_code": str})
    before = report["certificates"]["hubs"]
    least = json.loads((planned["scratch"] / "report.json").read_text())["certificates"]["hubs"]
    assert least["objective"] < before["objective"]
    gone = _moved(scratch, scratch.pcn_code)
    assert int(scratch.set_index("practice_code").patients[sorted(gone)].sum()) > patients
