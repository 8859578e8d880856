"""HiGHS 1.16 misvalues a MIP start after presolve: the run must not trust it (real data)."""

from __future__ import annotations

import numpy as np
import pytest

import mcp_geo.solvers.columns.incumbent as incumbent
import mcp_geo.solvers.columns.listing as closing
from mcp_geo.solvers._run import Deadline
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.rules import SolveOptions

STOKE_OPTIMUM = 1_810_426.6  # staffs-stoke, 30-50k, 15 km (the compact engine proves it too)


def test_a_start_misvalued_after_presolve_is_solved_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """staffs-stoke's last listing (4,106 columns) with its incumbent as the start: with presolve,
    HiGHS reported 1,662,183 (optimal) for a plan of 1,810,635 and pruned the optimum away.
    (The engine now solves that listing with a cutoff and no start; the incumbent it had is
    the start here.)"""
    from mcp_geo.practices import open_data, select_footprint

    calls = []
    starts = []
    mip, listing_mip = closing.column_mip, closing._listing_mip

    def keep(*args: object, **kwargs: object) -> object:
        calls.append((args, kwargs))
        return mip(*args, **kwargs)

    def keep_start(s, *args):  # type: ignore[no-untyped-def]
        starts.append(None if s.inc_base is None else s.local(s.inc_base))
        return listing_mip(s, *args)

    monkeypatch.setattr(closing, "column_mip", keep)
    monkeypatch.setattr(closing, "_listing_mip", keep_start)
    frame = select_footprint(open_data(), "staffs-stoke").practices
    options = SolveOptions(engine="columns", threads=2, gap=1e-4, time_limit=60)
    assert solve_hubs(frame, options=options).certificate.status == "optimal"
    assert len(starts) == len(calls)
    last = max(range(len(calls)), key=lambda k: len(calls[k][0][2]))  # type: ignore[arg-type]
    (inst, part, cols, *_), _ = calls[last]
    start = starts[last]
    assert start is not None
    keys = [(j, tuple(m.tolist())) for j, m, _ in cols]  # type: ignore[attr-defined]
    assert len(set(keys)) == len(keys)  # a column twice would make the start cover items twice

    run_mip = incumbent.run_mip
    monkeypatch.setattr(
        incumbent, "run_mip", lambda prob, **kw: run_mip(prob, **kw | {"presolve": True})
    )
    base_of, cost, run = incumbent.column_mip(
        inst, part, cols, options=options, deadline=Deadline(60), start=start
    )
    assert base_of is not None
    assert run.status == "optimal"
    assert run.objective == pytest.approx(cost, rel=1e-9)  # what HiGHS says is what the plan costs
    assert cost == pytest.approx(STOKE_OPTIMUM, rel=1e-7)
    assert run.bound is not None
    assert run.bound <= cost * (1 + 1e-9)
    assert np.isfinite(cost)
