"""The travel stage of a plan from today's PCNs, closed by listing (issue 20, point 5), on the
real sussex-east-surrey practices (April 2025, 169 practices, 30-50k, 15 km).

Before the listing, branch and price on the labelled master ended this stage at the 60 s limit
with a 1.2% gap (plan 5,528,525); the listing proves it in a few seconds. The plan is recounted
from its own practices: the travel from the km to the hub base, the moves by this file's own
matching (scipy's assignment over every hub and PCN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

import mcp_geo


def _moved_patients(practices: pd.DataFrame) -> int:
    """Patients out of the PCN their hub continues, by the best hub-to-PCN assignment."""
    kept = practices.pivot_table(
        index="hub_id", columns="reference_group", values="patients", aggfunc="sum", fill_value=0
    )
    rows, cols = linear_sum_assignment(kept.to_numpy(), maximize=True)
    return int(practices["patients"].sum() - kept.to_numpy()[rows, cols].sum())


@pytest.fixture(scope="module")
def sussex() -> mcp_geo.Plan:
    return mcp_geo.plan(
        "sussex-east-surrey",
        reference="pcn",
        no_mcps=True,
        engine="columns",
        threads=2,
        time_limit=45,
    )


def test_every_stage_of_the_sussex_plan_from_pcns_is_proven(sussex) -> None:
    cert = sussex.certificates.hubs
    stages = {st.name: st for st in cert.stages}
    assert list(stages) == ["moves", "travel"]
    assert stages["moves"].status == "optimal"
    assert stages["travel"].status == "optimal"
    assert stages["travel"].gap <= 1e-4
    assert cert.status == "optimal"
    # the plan branch and price left at the limit is beaten, and the bound is below the plan
    assert stages["travel"].objective < 5_528_525 * (1 - 0.01)
    assert stages["travel"].bound <= stages["travel"].objective


def test_the_sussex_plan_recounts_to_its_certificate(sussex) -> None:
    practices = sussex.practices
    stages = {st.name: st for st in sussex.certificates.hubs.stages}
    assert practices["hub_id"].notna().all()
    assert _moved_patients(practices) == stages["moves"].objective
    travel = float((practices["patients"] * practices["km_to_hub_base"]).sum())
    rounding = 0.0005 * float(practices["patients"].sum())  # km are written with 3 decimals
    assert travel == pytest.approx(stages["travel"].objective, abs=rounding)
    hubs = practices.groupby("hub_id")["patients"].sum()
    assert np.all((hubs >= 30_000) & (hubs <= 50_000) | (hubs > 50_000))


def test_cuts_added_after_the_duals_have_no_dual_there(monkeypatch) -> None:
    """The listing prices at the duals of the last LP solved; a cut round can add cuts after it
    (a stage's time running out between the separation and the next LP, seen under load). Those
    cuts have no dual at these duals: they add nothing to a column's reduced cost (it crashed:
    a cut index past the duals)."""
    from mcp_geo.solvers.reference._master import Duals, StageCosts

    from .test_reference import INTERLEAVED, Road, pricer_of, rule_of

    pricer = pricer_of(monkeypatch, Road.parse(INTERLEAVED), rule=rule_of(max_km=5.0))
    assert pricer.n >= 4
    at = Duals(
        value=0.0, cover=np.zeros(pricer.n), group=np.zeros(len(pricer.group_codes)),
        count=0.0, moves=0.0, travel=0.0, whole=0.0, artificial=False, cut=np.array([-5.0]),
    )  # fmt: skip
    from mcp_geo.solvers.columns.cuts import Cuts

    cuts = Cuts.subset_rows(np.array([[0, 1, 2], [1, 2, 3]]))  # the second came after the duals
    pricer.row_prices(at, StageCosts(alpha=1.0, beta=0.0), cuts=cuts)
    assert pricer.penalty(0, np.array([1])) == 5.0  # two items of the first cut: its dual
    assert pricer.penalty(3, np.array([2])) == 0.0  # two of the later cut only: no dual there


def test_a_seed_not_found_in_its_share_gets_the_rest_of_the_time(monkeypatch) -> None:
    """The plan from scratch that seeds the stages has a share of the part's time; when that
    share ends with no plan (QHM and QWO in England at 30 s, under load), the seed gets the rest
    of the time and the stages still run: the fewest moves, proven, as with a seed at once."""
    import dataclasses

    from mcp_geo.solvers import _core

    from .test_reference import INTERLEAVED, Road, assert_fewest_moves, rule_of

    real, calls = _core._seed, []

    def out_of_time_once(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result.base_of is not None)
        if len(calls) == 1:  # as if its share ended before a plan was found
            cert = dataclasses.replace(result.certificate, status="no_solution", objective=None)
            return dataclasses.replace(result, base_of=None, certificate=cert)
        return result

    monkeypatch.setattr(_core, "_seed", out_of_time_once)
    sol = assert_fewest_moves(Road.parse(INTERLEAVED), rule=rule_of(max_km=5.0))
    assert sol.certificate.status == "optimal"
    assert len(calls) >= 2
