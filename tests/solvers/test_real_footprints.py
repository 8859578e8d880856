"""The solvers on the real April 2025 footprints (the snapshot shipped with the package)."""

from __future__ import annotations

import numpy as np
import pytest

from mcp_geo.boundaries.distances import great_circle_matrix
from mcp_geo.solvers._instance import Instance
from mcp_geo.solvers._prechecks import prepare
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.rules import HubRule, SolveOptions

practices_api = pytest.importorskip("mcp_geo.practices")


@pytest.fixture(scope="module")
def data():
    return practices_api.open_data()


def _instance(frame, rule: HubRule) -> Instance:
    frame = frame.sort_values("practice_code")
    tm = great_circle_matrix(frame.practice_code, frame.latitude, frame.longitude)
    return Instance(
        codes=tuple(frame.practice_code),
        weights=frame.patients.to_numpy(np.int64),
        km=tm.km,
        lo=rule.hub_min,
        hi=rule.hub_max,
        max_km=rule.max_km,
        count=rule.hubs,
        objective=rule.objective,
        strict=rule.strict,
    )


def test_shropshire_has_the_one_practice_over_the_ceiling(data) -> None:
    frame = practices_api.select_footprint(data, "staffs-shropshire").practices
    prepared = prepare(_instance(frame, HubRule()))
    over = [e for e in prepared.exceptions if e.kind == "over_ceiling"]
    assert [e.items for e in over] == [("Y01929",)]
    assert over[0].patients == 52_556
    assert "Y01929 has 52,556 patients, more than 50,000" in over[0].reason


def test_central_sussex_cannot_fit_twenty_hubs(data) -> None:
    frame = practices_api.select_footprint(data, "central-sussex-east-surrey").practices
    from mcp_geo._errors import InfeasibleError

    with pytest.raises(
        InfeasibleError,
        match=r"20 hubs of at most 50,000 patients hold at most "
        r"1,000,000; the footprint has 1,117,425",
    ):
        prepare(_instance(frame, HubRule(hubs=20)))


@pytest.mark.slow
def test_north_staffs_proven_optimal_by_both_engines(data) -> None:
    frame = practices_api.select_footprint(data, "north-staffs").practices
    results = {}
    for engine in ("columns", "compact"):
        sol = solve_hubs(frame, options=SolveOptions(engine=engine, time_limit=120))
        c = sol.certificate
        assert c.status == "optimal"
        assert c.gap <= 1e-4
        assert sol.assignment.km_to_base.max() <= 15.0
        assert sol.hubs.patients.between(30_000, 50_000).all()
        results[engine] = c
    one, two = results["columns"], results["compact"]
    assert one.objective == pytest.approx(two.objective, rel=2e-4)
    assert one.bound <= two.objective + 1e-6
    assert two.bound <= one.objective + 1e-6
