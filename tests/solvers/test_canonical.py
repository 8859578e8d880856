"""A group's base among practices that share its site: the lowest code, whatever the engine met.

Hand-drawn (km on a line; A1 and A2 share a site at 0, B at 4, C1 and C2 share a site at 9)::

    A1,A2 --- 4 --- B ----- 5 ----- C1,C2
      0             4                 9

Real: north-staffs at 10 km has the hub {M83046, M83084, M83089, M83143}; M83046 and M83089
both sit at ST8 6AG, so either base gives the same travel; which one the engine picked used
to depend on its path (a sweep's cell and the same plan run alone once named different bases,
and so different hub ids, for the same proven plan).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mcp_geo
from mcp_geo.solvers import _core
from mcp_geo.solvers._canonical import canonical_bases
from mcp_geo.solvers._instance import Instance

CODES = ("A1", "A2", "B", "C1", "C2")
X = np.array([0.0, 0.0, 4.0, 9.0, 9.0])


def _line(base_ok: np.ndarray | None = None) -> Instance:
    return Instance(
        codes=CODES,
        weights=np.array([10, 10, 10, 10, 10], dtype=np.int64),
        km=np.abs(X[:, None] - X[None, :]),
        lo=20,
        hi=30,
        max_km=6.0,
        count=None,
        objective="weighted",
        strict=False,
        base_ok=base_ok,
    )


def test_a_co_located_base_becomes_the_lowest_code() -> None:
    """{A1, A2, B} based at A2 -> A1 (same site); {C1, C2} based at C2 -> C1; B is no base
    of the first group's equal (4 km away)."""
    inst = _line()
    items = np.arange(5, dtype=np.int64)
    out = canonical_bases(inst, items, np.array([1, 1, 1, 4, 4]))
    assert [CODES[b] for b in out] == ["A1", "A1", "A1", "C1", "C1"]


def test_a_base_elsewhere_or_not_allowed_stays() -> None:
    """Based at B: A1 is at another site, so B stays. Based at A2 with A1 barred as a base (a
    base rule): A2 stays."""
    items = np.arange(5, dtype=np.int64)
    out = canonical_bases(_line(), items, np.array([2, 2, 2, 4, 4]))
    assert [CODES[b] for b in out[:3]] == ["B", "B", "B"]
    barred = _line(base_ok=np.array([False, True, True, True, True]))
    out = canonical_bases(barred, items, np.array([1, 1, 1, 4, 4]))
    assert [CODES[b] for b in out[:3]] == ["A2", "A2", "A2"]


def test_a_part_of_the_instance_keeps_its_groups() -> None:
    """Only the part's items are read; the groups (who is with whom) never change."""
    inst = _line()
    items = np.array([3, 4], dtype=np.int64)
    out = canonical_bases(inst, items, np.array([4, 4]))
    assert out.tolist() == [3, 3]


@pytest.mark.slow
def test_north_staffs_names_the_lowest_code_whichever_base_the_engine_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine's plan with M83089 as its base, instead of M83046 (same site), gives the
    same plan as the engine's own: M83046 is the base, and the hub ids and travel agree."""
    options = {"max_km": 10.0, "no_mcps": True, "threads": 1, "time_limit": 20}
    plain = mcp_geo.plan("north-staffs", **options)
    solve_part = _core.solve_part

    def other_base(inst, part, **kwargs):  # type: ignore[no-untyped-def]
        result = solve_part(inst, part, **kwargs)
        if result.base_of is None or "M83046" not in inst.codes:
            return result
        a, b = inst.codes.index("M83046"), inst.codes.index("M83089")
        swapped = result.base_of.copy()
        swapped[result.base_of == a] = b
        swapped[result.base_of == b] = a
        assert (swapped != result.base_of).any()
        return dataclasses.replace(result, base_of=swapped)

    monkeypatch.setattr(_core, "solve_part", other_base)
    moved = mcp_geo.plan("north-staffs", **options)
    practices = moved.practices.set_index("practice_code")
    assert practices.loc["M83089", "hub_base_code"] == "M83046"
    assert practices.loc["M83046", "hub_base_code"] == "M83046"
    assert moved.practices["hub_id"].tolist() == plain.practices["hub_id"].tolist()
    assert moved.practices["hub_base_code"].tolist() == plain.practices["hub_base_code"].tolist()
    assert moved.certificates.hubs.objective == pytest.approx(plain.certificates.hubs.objective)
