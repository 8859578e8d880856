"""Rank-1 cuts (subset rows on triples, and on four and five items): validity, separation,
pricing with their duals, and what they do on real footprints."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.typing import NDArray

import mcp_geo.solvers.columns.cut_pricing as cuts_module
import mcp_geo.solvers.columns.driver as columns
import mcp_geo.solvers.columns.generation as generation
import mcp_geo.solvers.columns.listing as closing
import mcp_geo.solvers.columns.seeding as seeding
from mcp_geo.solvers._instance import Instance, Part
from mcp_geo.solvers._run import Deadline, threads_for
from mcp_geo.solvers.columns.cut_pricing import price_with_cuts
from mcp_geo.solvers.columns.cuts import FAMILIES, SLOTS, Cuts, separate_rank1, separate_sr3
from mcp_geo.solvers.columns.enumeration import subsets_within
from mcp_geo.solvers.hubs import solve_hubs
from mcp_geo.solvers.rules import SolveOptions

from ._helpers import scattered_instance, set_partitions


def _coefficient(cuts: Cuts, c: int, held: set[int]) -> int:
    """A column's coefficient in cut c: its slots the column holds, over the divisor, rounded
    down (computed slot by slot)."""
    return sum(1 for item in cuts.slots[c].tolist() if item >= 0 and item in held) // int(
        cuts.den[c]
    )


def _penalty(cuts: Cuts, sigma, held: set[int]) -> float:
    return sum(sigma[c] * _coefficient(cuts, c, held) for c in range(len(cuts)))


def _brute_force(w, p, items, base, lo, hi, cuts, sigma) -> float:
    best = -np.inf
    for r in range(len(w) + 1):
        for chosen in itertools.combinations(range(len(w)), r):
            s = list(chosen)
            if not lo <= w[s].sum() <= hi:
                continue
            held = set(items[s].tolist()) | {base}
            best = max(best, p[s].sum() + _penalty(cuts, sigma, held))
    return best


def _random_cuts(rng: np.random.Generator, pool: NDArray[np.int64], k: int) -> Cuts:
    """k cuts of every family (triples and the larger ones) on items of the pool."""
    kinds = [((1, 1, 1), 2), *FAMILIES]
    slots = np.full((k, SLOTS), -1, dtype=np.int64)
    den = np.zeros(k, dtype=np.int64)
    for c in range(k):
        mult, d = kinds[int(rng.integers(len(kinds)))]
        chosen = rng.choice(pool, len(mult), replace=False)
        slots[c, : sum(mult)] = np.repeat(chosen, mult)
        den[c] = d
    return Cuts(slots, den)


def _random_pricing(rng: np.random.Generator):
    m = int(rng.integers(2, 9))
    items = rng.choice(30, m, replace=False)
    base = 31
    w = rng.integers(1_000, 15_000, m)
    p = rng.normal(0, 5, m)
    lo = int(rng.integers(0, 20_000))
    hi = lo + int(rng.integers(0, 20_000))
    k = int(rng.integers(0, 6))
    pool = np.append(items, [base, 40, 41])  # cuts may hold the base and items out of reach
    sigma = -rng.exponential(3, k) * (rng.random(k) < 0.8)
    return w, p, items, base, lo, hi, _random_cuts(rng, pool, k), sigma


@pytest.mark.parametrize(
    ("enumerate_max", "max_cut_items"),
    [(cuts_module.ENUMERATE_MAX, 0), (0, cuts_module.MAX_CUT_ITEMS), (0, 3), (0, 0)],
    ids=["subsets", "dp", "lazy", "mip"],
)
def test_pricing_with_cuts_is_exact(
    monkeypatch: pytest.MonkeyPatch, enumerate_max: int, max_cut_items: int
) -> None:
    monkeypatch.setattr(cuts_module, "ENUMERATE_MAX", enumerate_max)
    monkeypatch.setattr(cuts_module, "MAX_CUT_ITEMS", max_cut_items)
    threads = threads_for(SolveOptions(threads=1))  # HiGHS's scheduler, as the engine sets it
    rng = np.random.default_rng(7)
    for _ in range(150):
        w, p, items, base, lo, hi, cuts, sigma = _random_pricing(rng)
        value, chosen = price_with_cuts(
            w, p, items, base=base, lo=lo, hi=hi, cuts=cuts, sigma=sigma, threads=threads
        )
        expected = _brute_force(w, p, items, base, lo, hi, cuts, sigma)
        if expected == -np.inf:
            assert (value, chosen) == (-np.inf, None)
            continue
        assert value == pytest.approx(expected, abs=1e-6)
        if max_cut_items < 4 and enumerate_max == 0:  # a MIP: waits when the caller says so
            waits = price_with_cuts(
                w,
                p,
                items,
                base=base,
                lo=lo,
                hi=hi,
                cuts=cuts,
                sigma=sigma,
                threads=threads,
                mip=False,
            )
            # no cut holds two, or the cuts with the largest duals decided: no MIP
            assert waits is None or waits[0] == pytest.approx(value)
        else:  # no items read back below min_value
            below = price_with_cuts(
                w,
                p,
                items,
                base=base,
                lo=lo,
                hi=hi,
                cuts=cuts,
                sigma=sigma,
                threads=threads,
                min_value=value + 1e-6,
            )
            assert below == (value, None)
        assert chosen is not None
        assert lo <= w[chosen].sum() <= hi
        held = set(items[chosen].tolist()) | {base}
        assert p[chosen].sum() + _penalty(cuts, sigma, held) == pytest.approx(value, abs=1e-6)


def test_lazy_pricing_decides_without_a_mip_and_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cuts touching more items than the subsets allow: taken largest dual first, the others
    joining when the best column holds them. Where that decides (no MIP: a MIP here fails the
    test), the value and column are brute force's; it decides in most such cases."""

    def no_mip(*args: object, **kwargs: object) -> None:
        raise AssertionError("a MIP was solved")

    monkeypatch.setattr(cuts_module, "ENUMERATE_MAX", 0)
    monkeypatch.setattr(cuts_module, "MAX_CUT_ITEMS", 3)
    monkeypatch.setattr(cuts_module, "_price_mip", no_mip)
    rng = np.random.default_rng(23)
    decided = many = 0
    for _ in range(300):
        w, p, items, base, lo, hi, cuts, sigma = _random_pricing(rng)
        reach = cuts_module.cuts_within_reach(items, base=base, cuts=cuts, sigma=sigma)
        if len({int(k) for k in reach.where.ravel() if k >= 0}) <= 3:
            continue  # the plain subsets decide
        many += 1
        priced = price_with_cuts(
            w, p, items, base=base, lo=lo, hi=hi, cuts=cuts, sigma=sigma, threads=1, mip=False
        )
        if priced is None:
            continue
        decided += 1
        value, chosen = priced
        expected = _brute_force(w, p, items, base, lo, hi, cuts, sigma)
        if expected == -np.inf:
            assert (value, chosen) == (-np.inf, None)
            continue
        assert value == pytest.approx(expected, abs=1e-6)
        assert chosen is not None
        held = set(items[chosen].tolist()) | {base}
        assert p[chosen].sum() + _penalty(cuts, sigma, held) == pytest.approx(value, abs=1e-6)
    assert many >= 30
    assert decided >= many // 2


def test_penalised_knapsack_finds_plans_not_bounds() -> None:
    """Its value is the true value of its column, never above the optimum, never below the
    plain knapsack's column; and it steps around a cut the knapsack's column holds."""
    from mcp_geo.solvers.columns.cut_pricing import penalised_knapsack
    from mcp_geo.solvers.columns.knapsack import knapsack_window

    def true_value(w, p, items, base, cuts, sigma, chosen) -> float:
        held = set(items[chosen].tolist()) | {base}
        return p[chosen].sum() + _penalty(cuts, sigma, held)

    rng = np.random.default_rng(11)
    for _ in range(150):
        w, p, items, base, lo, hi, cuts, sigma = _random_pricing(rng)
        value, chosen = penalised_knapsack(
            w, p, items, base=base, lo=lo, hi=hi, cuts=cuts, sigma=sigma
        )
        _, plain = knapsack_window(w, p, lo=lo, hi=hi)
        if plain is None:
            assert chosen is None
            continue
        assert chosen is not None
        assert lo <= w[chosen].sum() <= hi
        assert value == pytest.approx(true_value(w, p, items, base, cuts, sigma, chosen))
        assert value <= _brute_force(w, p, items, base, lo, hi, cuts, sigma) + 1e-9
        assert value >= true_value(w, p, items, base, cuts, sigma, plain) - 1e-9
    # three items of 10 in a window of [20, 20]: the knapsack takes the two best, {0, 1}, but a
    # cut on them costs 5; {0, 2} is worth 4 + 2 = 6 against 4 + 3 - 5 = 2
    w, p, items = np.array([10, 10, 10]), np.array([4.0, 3.0, 2.0]), np.array([0, 1, 2])
    cut = (Cuts.subset_rows(np.array([[0, 1, 9]])), np.array([-5.0]))
    value, chosen = penalised_knapsack(w, p, items, base=8, lo=20, hi=20, cuts=cut[0], sigma=cut[1])
    assert chosen is not None
    assert (chosen.tolist(), value) == ([0, 2], 6.0)


def test_listing_with_cuts_is_every_column_within_reach_of_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against brute force: every column whose reduced cost with the cuts' penalties is within
    what the target allows, and no other; the column cap counts the columns the cuts leave."""
    import mcp_geo.solvers.columns.enumeration as enumerate_module
    from mcp_geo.solvers.columns.enumeration import Duals, list_columns
    from mcp_geo.solvers.columns.pricing import Pricer

    inst, part = scattered_instance(12, 5, side=8.0, max_km=6.0)
    pr = Pricer(inst, part)
    rng = np.random.default_rng(5)
    pi = rng.uniform(0, 30, pr.n)
    cuts = (_random_cuts(rng, np.arange(pr.n), 8), -rng.uniform(1, 20, 8))
    assert set(cuts[0].den.tolist()) != {2}  # larger cuts too
    rc = np.array([pr.exact(j, pi, 0.0)[0] for j in range(pr.n)])  # without the cuts: bounds
    ell = pi.sum() + cuts[1] @ cuts[0].rhs
    duals = Duals(pi, 0.0, cuts, rc, float(ell + np.minimum(rc, 0).sum()))
    target = duals.lag + 40.0
    bases = np.ones(pr.n, dtype=bool)
    pairs = np.zeros((pr.n, pr.n), dtype=bool)
    for j in range(pr.n):
        pairs[pr.nbr[j], j] = pairs[j, j] = True
    listed = list_columns(pr, duals, target, bases=bases, pairs=pairs)
    assert listed is not None
    expected = set()
    for j in range(pr.n):
        lo, hi = pr.window(j)
        delta = target - duals.lag + min(0.0, rc[j])
        nb = pr.nbr[j]
        for r in range(len(nb) + 1):
            for chosen in itertools.combinations(nb.tolist(), r):
                if not lo <= pr.w[list(chosen)].sum() <= hi:
                    continue
                members = np.sort(np.array([j, *chosen]))
                full = pr.column_cost(j, members) - pi[members].sum() + pr.penalty(members, cuts)
                if full <= delta + 1e-6:
                    expected.add((j, tuple(members.tolist())))
    got = {(j, tuple(m.tolist())) for j, m in listed}
    assert len(got) == len(listed)
    assert got == expected
    without_cuts = list_columns(
        pr, Duals(pi, 0.0, None, rc, duals.lag), target, bases=bases, pairs=pairs
    )
    assert without_cuts is not None
    assert len(without_cuts) > len(listed) > 0  # the cuts' penalties leave out columns
    monkeypatch.setattr(enumerate_module, "MAX_COLUMNS", len(listed))
    assert list_columns(pr, duals, target, bases=bases, pairs=pairs) is not None
    monkeypatch.setattr(enumerate_module, "MAX_COLUMNS", len(listed) - 1)
    assert list_columns(pr, duals, target, bases=bases, pairs=pairs) is None


def test_separation_finds_the_odd_cycle() -> None:
    members = [np.array([0, 1]), np.array([1, 2]), np.array([0, 2]), np.array([3, 4])]
    half = np.array([0.5, 0.5, 0.5, 1.0])
    assert [t.tolist() for t in separate_sr3(members, half, n=5, max_cuts=10)] == [[0, 1, 2]]
    assert separate_sr3(members, half, n=5, max_cuts=0) == []  # no room left for cuts
    whole = np.array([1.0, 0.0, 0.0, 1.0])
    assert separate_sr3(members, whole, n=5, max_cuts=10) == []


def test_listing_by_search_equals_meet_in_the_middle(monkeypatch: pytest.MonkeyPatch) -> None:
    import mcp_geo.solvers.columns.enumeration as enumerate_module

    rng = np.random.default_rng(3)
    for _ in range(100):
        m = int(rng.integers(1, 14))
        w = rng.integers(0, 15_000, m)
        p = rng.normal(0, 5, m)
        lo = int(rng.integers(-5_000, 30_000))
        hi = lo + int(rng.integers(0, 20_000))
        threshold = float(rng.normal(0, 5))
        halves = subsets_within(w, p, lo=lo, hi=hi, threshold=threshold)
        monkeypatch.setattr(enumerate_module, "MAX_ITEMS", 0)
        search = subsets_within(w, p, lo=lo, hi=hi, threshold=threshold)
        monkeypatch.undo()
        assert halves is not None
        assert search is not None
        assert sorted(map(tuple, halves)) == sorted(map(tuple, search))
        assert halves.shape[1] == m
        within = (lo <= halves @ w) & (halves @ w <= hi) & (halves @ p >= threshold - 1e-9)
        assert within.all()
        if len(halves):  # one subset fewer than found is too many
            assert (
                subsets_within(w, p, lo=lo, hi=hi, threshold=threshold, limit=len(halves) - 1)
                is None
            )


@pytest.mark.slow
def test_cuts_raise_the_bound_on_central_sussex(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The set-partitioning LP is 5.3% below the optimum there; the cuts bring it within 1%."""
    from mcp_geo.practices import open_data, select_footprint

    frame = select_footprint(open_data(), "central-sussex-east-surrey").practices
    caplog.set_level("INFO", logger="mcp_geo.solvers.columns.driver")
    roots = {}
    for rounds in (0, generation.MAX_CUT_ROUNDS):
        monkeypatch.setattr(generation, "MAX_CUT_ROUNDS", rounds)
        caplog.clear()
        options = SolveOptions(engine="columns", threads=1, time_limit=60 if rounds else 3)
        c = solve_hubs(frame, options=options).certificate
        assert c.model_size.cuts > 0 if rounds else c.model_size.cuts == 0
        if rounds:
            assert c.status == "optimal"
            assert c.objective == pytest.approx(1_366_838.2, rel=1e-4)  # the compact optimum
        line = next(r.getMessage() for r in caplog.records if " items, " in r.getMessage())
        roots[rounds] = float(line.split(" LP ")[1].split(",")[0])
    plain, cut = roots[0], roots[generation.MAX_CUT_ROUNDS]
    assert plain < 0.96 * 1_366_838.2
    assert 0.99 * 1_366_838.2 < cut <= 1_366_838.2 * (1 + 1e-9)


def test_large_listings_are_solved_without_presolve(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS's presolve overruns the time limit on the largest listings (47 s against 12 s)."""
    import mcp_geo.solvers.columns.incumbent as incumbent
    from mcp_geo.solvers._run import Deadline

    km = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    inst = Instance(
        codes=("A", "B", "C"),
        weights=np.array([10, 20, 30]),
        km=km,
        lo=0,
        hi=100,
        max_km=None,
        count=None,
        objective="weighted",
        strict=False,
    )
    part = Part(items=np.arange(3), lo=0)
    cols = [(0, np.array([0, 1, 2]), 80.0), (1, np.array([0, 1]), 10.0), (2, np.array([2]), 0.0)]
    seen = []
    real = incumbent.run_mip

    def spy(*args, presolve: str = "on", **kwargs):
        seen.append(presolve)
        return real(*args, presolve=presolve, **kwargs)

    monkeypatch.setattr(incumbent, "run_mip", spy)
    monkeypatch.setattr(incumbent, "FULL_PRESOLVE_MAX_COLUMNS", 0)  # light up to the limit
    options = SolveOptions(threads=1)
    for limit in (len(cols), len(cols) - 1):
        monkeypatch.setattr(incumbent, "PRESOLVE_MAX_COLUMNS", limit)
        base_of, cost, _ = incumbent.column_mip(
            inst, part, cols, options=options, deadline=Deadline(10)
        )
        assert cost == pytest.approx(10.0)  # {A, B} at B, {C} alone
        assert base_of is not None
        assert base_of.tolist() == [1, 1, 2]
    assert seen == ["light", "off"]


@pytest.mark.parametrize(("presolve", "mode"), [("on", 0), ("light", 2)])
def test_light_presolve_is_highs_presolve_mode_2(presolve: str, mode: int) -> None:
    import pulp

    from mcp_geo.solvers._run import run_mip

    prob = pulp.LpProblem("tiny", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 3, cat=pulp.LpInteger)
    prob += x
    prob += x >= 1.5
    run = run_mip(prob, options=SolveOptions(threads=1), time_limit=10, presolve=presolve)
    assert run.status == "optimal"
    assert run.objective == pytest.approx(2.0)
    assert prob.solverModel.getOptionValue("presolve_mode")[1] == mode


def test_a_base_needing_a_pricing_mip_waits_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Column generation prices the bases that need a MIP last: meanwhile the knapsack's bound."""
    from mcp_geo.solvers.columns.pricing import Pricer

    inst, part = scattered_instance(14, 4, side=10.0, max_km=20.0)
    pr = Pricer(inst, part)
    pi = np.full(len(part.items), 100.0)
    rc_plain, column = pr.exact(0, pi, 0.0)
    assert column is not None
    triples = np.array([column[:3], column[-3:]], dtype=np.int64)
    cuts = (Cuts.subset_rows(triples), np.array([-50.0, -50.0]))
    monkeypatch.setattr(cuts_module, "ENUMERATE_MAX", 0)
    monkeypatch.setattr(cuts_module, "MAX_CUT_ITEMS", 0)
    waiting: list[int] = []
    rc_wait, found = pr.exact(0, pi, 0.0, cuts=cuts, deferred=waiting)
    assert rc_wait == rc_plain
    assert found is not None  # a column at least as good as the knapsack's, with the cuts
    full_rc = pr.column_cost(0, found) - pi[found].sum() + pr.penalty(found, cuts)
    assert full_rc <= pr.column_cost(0, column) - pi[column].sum() + 100.0 + 1e-9
    assert waiting == [0]
    rc_mip, priced = pr.exact(0, pi, 0.0, cuts=cuts)
    assert priced is not None
    assert rc_plain <= rc_mip <= rc_plain + 100.0  # the cuts cost at most their duals
    assert rc_mip == pytest.approx(
        pr.column_cost(0, priced) - pi[priced].sum() + pr.penalty(priced, cuts), abs=1e-6
    )


def test_listing_stops_once_the_gap_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """staffs-shropshire with a gap of 0.2% and a first target 0.1% above the bound (its optimum
    lies 0.19% above the bound after the cuts): the first listing's MIP finds a plan above its
    target but within the gap of the raised bound; no second listing is needed."""
    from mcp_geo.practices import open_data, select_footprint

    calls = []
    listing = closing.list_columns

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args[2])
        return listing(*args, **kwargs)

    monkeypatch.setattr(closing, "list_columns", counted)
    monkeypatch.setattr(closing, "FIRST_TARGET_STEP", 0.001)
    frame = select_footprint(open_data(), "staffs-shropshire").practices
    options = SolveOptions(engine="columns", threads=2, gap=0.002, time_limit=60)
    c = solve_hubs(frame, options=options).certificate
    assert c.status == "optimal"
    assert c.gap is not None
    assert 0 < c.gap <= 0.002  # closed within the tolerance, not to zero
    assert len(calls) == 1
    assert c.objective > calls[0]  # above the target the listing was made for


def test_a_listing_too_long_halves_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """north-staffs with its first two listings declared too long: the targets come down by
    halves to one that lists, and the plan is still proven optimal."""
    from mcp_geo.practices import open_data, select_footprint

    targets: list[tuple[float, bool]] = []
    listing = closing.list_columns

    def short_only(pr, duals, target, *args, **kwargs):
        too_long = len(targets) < 2
        targets.append((target, too_long))
        return None if too_long else listing(pr, duals, target, *args, **kwargs)

    frame = select_footprint(open_data(), "north-staffs").practices
    options = SolveOptions(engine="columns", threads=2, gap=1e-4, time_limit=60)
    reference = solve_hubs(frame, options=options).certificate
    monkeypatch.setattr(closing, "list_columns", short_only)
    c = solve_hubs(frame, options=options).certificate
    assert c.status == reference.status == "optimal"
    assert c.objective == pytest.approx(reference.objective, rel=1e-4)
    assert [too_long for _, too_long in targets[:3]] == [True, True, False]
    first, second, third = (t for t, _ in targets[:3])
    bound = first / (1 + closing.FIRST_TARGET_STEP)
    assert second - bound == pytest.approx((first - bound) / 2)
    assert third - bound == pytest.approx((first - bound) / 4)


def test_the_listing_finds_the_plan_when_no_heuristic_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """north-staffs with neither a greedy plan nor a dive: the listing's MIP finds the optimum
    itself (no compact model), and a part with no plan yet is never called optimal."""
    from mcp_geo.practices import open_data, select_footprint

    frame = select_footprint(open_data(), "north-staffs").practices
    options = SolveOptions(engine="columns", threads=2, gap=1e-4, time_limit=60)
    reference = solve_hubs(frame, options=options)
    monkeypatch.setattr(seeding, "greedy_plan", lambda *args, **kwargs: None)
    monkeypatch.setattr(columns, "more_plans", lambda *args, **kwargs: [])

    def no_compact(*args: object, **kwargs: object) -> object:
        raise AssertionError("the compact model ran")

    monkeypatch.setattr(columns, "solve_compact", no_compact)
    solution = solve_hubs(frame, options=options)
    c = solution.certificate
    assert c.status == reference.certificate.status == "optimal"
    assert c.objective == pytest.approx(reference.certificate.objective, rel=1e-4)
    assert len(solution.hubs) == len(reference.hubs)


def test_an_infeasible_part_is_not_listed_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shropshire, Telford and Wrekin (QOC) cannot make hubs of 30,000 within 15 km: with no
    plan to prove, at most a few listings (none once the LP needs its artificial columns), then
    the compact model proves it (it once listed for 116 s).
    The least-exception plan follows: one hub 1,263 patients under the floor (28,737: the floor
    the strict refusal advised), proven least, the other hubs within the rules."""
    from mcp_geo.practices import open_data, select_footprint

    targets: list[float] = []
    listing = closing.list_columns

    def counted(*args: object, **kwargs: object) -> object:
        targets.append(args[2])  # type: ignore[arg-type]
        return listing(*args, **kwargs)

    monkeypatch.setattr(closing, "list_columns", counted)
    frame = select_footprint(open_data(), "icb:QOC").practices
    options = SolveOptions(engine="columns", threads=2, gap=5e-3, time_limit=60)
    sol = solve_hubs(frame, options=options)
    shortfall = sol.certificate.stages[0]
    assert (shortfall.name, shortfall.objective, shortfall.status) == ("shortfall", 1263, "optimal")
    under = [e for e in sol.exceptions if e.kind == "under_floor"]
    assert [(e.patients, e.shortfall) for e in under] == [(28_737, 1_263)]
    assert len(targets) <= 3
    assert not targets or max(targets) <= min(targets) * 1.03


def test_coefficients_of_many_columns_match_one_at_a_time() -> None:
    """Cuts.coefficients (many columns), Cuts.of (one) and the slot-by-slot count agree; for
    triples, the coefficient is 1 where the column holds two of them."""
    rng = np.random.default_rng(8)
    n = 12
    cuts = _random_cuts(rng, np.arange(n), 20)
    holds = rng.random((40, n)) < 0.4
    together = cuts.coefficients(holds)
    for row, column in zip(together, holds, strict=True):
        members = np.flatnonzero(column)
        rows, coef = cuts.of(members, n)
        assert np.flatnonzero(row).tolist() == rows.tolist()
        assert row[rows].tolist() == coef.tolist()
        assert row.tolist() == [_coefficient(cuts, c, set(members.tolist())) for c in range(20)]
    triples = np.array([np.sort(rng.choice(n, 3, replace=False)) for _ in range(9)])
    for column in holds:
        members = np.flatnonzero(column)
        rows, coef = Cuts.subset_rows(triples).of(members, n)
        two = [
            c for c, t in enumerate(triples) if len(set(t.tolist()) & set(members.tolist())) >= 2
        ]
        assert rows.tolist() == two
        assert set(coef.tolist()) <= {1}


def test_every_family_of_cuts_is_valid_for_every_plan() -> None:
    """Each family's cut, on every set of its size among seven items, holds for every partition
    of them (877 plans): its multipliers and right-hand side make a valid inequality."""
    plans = list(set_partitions(list(range(7))))
    assert len(plans) == 877
    for mult, den in [((1, 1, 1), 2), *FAMILIES]:
        for chosen in itertools.permutations(range(7), len(mult)):
            row = np.full(SLOTS, -1, dtype=np.int64)
            row[: sum(mult)] = np.repeat(chosen, mult)
            cut = Cuts(row[None, :], np.array([den]))
            rhs = float(cut.rhs[0])
            assert rhs == sum(mult) // den
            for plan in plans:
                assert sum(_coefficient(cut, 0, set(g)) for g in plan) <= rhs


def test_rank1_separation_finds_violated_cuts() -> None:
    """Ten items, every triple of the first five at 1/6 and the other five whole: each cut
    found is violated by that point (checked slot by slot), on the first five items only,
    each item in at most MAX_CUTS_PER_ITEM of them, the same on a second call."""
    from mcp_geo.solvers.columns.cuts import MAX_CUTS_PER_ITEM

    triples = [np.array(t) for t in itertools.combinations(range(5), 3)]
    members = [*triples, *[np.array([i]) for i in range(5, 10)]]
    x = np.array([1 / 6] * len(triples) + [1.0] * 5)
    found = separate_rank1(members, x, n=10, max_cuts=20)
    assert len(found) > 0
    for c in range(len(found)):
        lhs = sum(
            v * _coefficient(found, c, set(m.tolist())) for m, v in zip(members, x, strict=True)
        )
        assert lhs > found.rhs[c] + 1e-3
        assert {int(i) for i in found.slots[c] if i >= 0} <= set(range(5))
    per_item = np.zeros(10, dtype=np.int64)
    for row in found.slots:
        per_item[np.unique(row[row >= 0])] += 1
    assert per_item.max() <= MAX_CUTS_PER_ITEM
    again = separate_rank1(members, x, n=10, max_cuts=20)
    assert again.slots.tolist() == found.slots.tolist()
    assert len(separate_rank1(members, x, n=10, max_cuts=0)) == 0
    whole = np.array([0.0] * len(triples) + [1.0] * 5)
    assert len(separate_rank1(members, whole, n=10, max_cuts=20)) == 0


@pytest.mark.parametrize("footprint", ["central-sussex-east-surrey", "north-staffs"])
def test_larger_cuts_raise_the_bound_past_the_triples(
    monkeypatch: pytest.MonkeyPatch, footprint: str
) -> None:
    """Column generation to convergence, with the triples' cuts alone and then with the rank-1
    cuts on four and five items once those stall: the latter's LP is higher and still a bound
    (at most the optimum the engine proves, 1,366,838.2 and 660,886.6)."""
    from mcp_geo.solvers._run import Deadline
    from mcp_geo.solvers.columns.generation import ColumnGeneration

    from ._helpers import largest_part

    optimum = {"central-sussex-east-surrey": 1_366_838.2, "north-staffs": 660_886.6}[footprint]
    inst, part = largest_part(footprint)
    roots = {}
    for rank1 in (False, True):
        monkeypatch.setattr(generation, "RANK1", rank1)
        options = SolveOptions(engine="columns", threads=1, time_limit=120)
        s = columns._Search(inst, part, options=options, deadline=Deadline(120))
        s.seed()
        gen = ColumnGeneration(s.master, s.pr, add=s.add, count=None, deadline=s.deadline)
        out = gen.run(budget=120)
        assert out.converged
        larger = (s.master.cuts.slots >= 0).sum(axis=1) > 3
        assert larger.any() == rank1
        roots[rank1] = out.best_l
    # central Sussex from the polished greedy plan's columns: 1,360,686 -> 1,360,861 (0.013%;
    # 0.06% from the greedy plan's alone: which cuts the LP's support gives varies)
    assert roots[False] * 1.0001 < roots[True] <= optimum * (1 + 1e-9)


@pytest.mark.parametrize(
    ("extra", "cutoff", "expected"),
    [(0, False, "root"), (20_000, False, "light"), (20_000, True, "root")],
)
def test_a_short_listing_is_fully_presolved(
    monkeypatch: pytest.MonkeyPatch, extra: int, cutoff: bool, expected: str
) -> None:
    """A listing's MIP of at most FULL_PRESOLVE_MAX_COLUMNS columns (no start) gets HiGHS's full
    presolve, which removes dominated columns (Birmingham and Solihull's first listing, 6,843
    columns: 3,680 removed, the listing's optimum 970,552 in 2.7-3.6 s, where the light presolve
    took 16.5-19.3 s to stop at 972,668-973,389), without restarts (whose presolve ignored a
    23 s limit for minutes); a longer one the light presolve (Greater Manchester's 26,874
    columns: 16.1 s light, 21.4 s full). With a cutoff, the full presolve at any length
    (Birmingham and Solihull's closing listing of 12,037 columns: 17-18 s, light 25-27 s).
    Either way the sub-MIPs of HiGHS's heuristics run without presolve (theirs, too, ignored a
    60 s limit for minutes), and the plan is optimal."""
    from mcp_geo.solvers._greedy import greedy_plan
    from mcp_geo.solvers._run import Deadline
    from mcp_geo.solvers.columns import incumbent

    inst, part = scattered_instance(40, 1)
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    pr = columns.Pricer(inst, part, 1)
    plan = greedy_plan(pr.w, pr.cost, allowed, lo=pr.lo, hi=pr.hi, count=None)
    assert plan is not None
    useful = [(j, m, pr.column_cost(j, m)) for j, m in closing.columns_of(plan)]
    dearer = [(j, m, c + 1.0 + k) for k, (j, m, c) in enumerate(useful * (extra // len(useful)))]
    seen = []
    run_mip = incumbent.run_mip

    def spied(prob, **kwargs):  # type: ignore[no-untyped-def]
        result = run_mip(prob, **kwargs)

        def option(name: str) -> object:
            value = prob.solverModel.getOptionValue(name)
            return value[1] if isinstance(value, tuple) else value  # highspy's versions

        seen.append(
            (kwargs["presolve"], option("mip_allow_restart"), option("mip_root_presolve_only"))
        )
        return result

    monkeypatch.setattr(incumbent, "run_mip", spied)
    options = SolveOptions(engine="columns", threads=1)
    least = sum(c for _, _, c in useful)
    base_of, cost, run = incumbent.column_mip(
        inst,
        part,
        useful + dearer,
        options=options,
        deadline=Deadline(60),
        cutoff=least + 1.0 if cutoff else None,
    )
    assert seen == [(expected, expected != "root", True)]  # sub-MIPs: no presolve
    assert len(useful + dearer) > incumbent.FULL_PRESOLVE_MAX_COLUMNS or expected == "root"
    assert base_of is not None
    assert run.status == "optimal"
    assert cost == pytest.approx(least)


def test_a_long_listing_is_presolved_even_near_the_incumbent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A listing's MIP starts from the incumbent (which turns HiGHS's presolve off) only when the
    incumbent is near the target and the listing has at most WARM_START_MAX_COLUMNS columns.
    Without presolve, Birmingham and Solihull's listing of 8,317 columns (incumbent 0.7% above
    the target) ran 24 s without a proof; presolved, it proved the target (0.89% -> 0.69% at
    60 s), and Greater Manchester's of 29,570 found the best plan known where the started MIP
    found none in 130 s. Here the same listing is solved with the cap just above and just below
    its length: started, then presolved; the same optimum both ways."""
    from mcp_geo.solvers._greedy import greedy_plan
    from mcp_geo.solvers._run import Deadline

    inst, part = scattered_instance(40, 1)
    options = SolveOptions(engine="columns", threads=1)
    s = columns._Search(inst, part, options=options, deadline=Deadline(60))
    allowed = inst.allowed[np.ix_(part.items, part.items)]
    plan = greedy_plan(s.pr.w, s.pr.cost, allowed, lo=s.pr.lo, hi=s.pr.hi, count=None)
    assert plan is not None
    s.inc_base = part.items[plan]
    s.inc_cost = sum(s.pr.column_cost(j, m) for j, m in closing.columns_of(plan))
    listed = closing.columns_of(plan)[1:]  # the incumbent's other columns join it
    listed += [(j, m[:-1]) for j, m in closing.columns_of(plan) if len(m) > 2 and m[-1] != j]
    target = s.inc_cost * 0.999  # the incumbent within WARM_START_WITHIN of it
    seen: list[bool] = []
    mip = closing.column_mip

    def spied(*args, start=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(start is not None)
        return mip(*args, start=start, **kwargs)

    monkeypatch.setattr(closing, "column_mip", spied)
    size = len(listed) + 1  # with the incumbent's first column
    costs = []
    for cap in (size, size - 1):
        monkeypatch.setattr(closing, "WARM_START_MAX_COLUMNS", cap)
        s.inc_base, s.bound = part.items[plan], 0.0
        closing._listing_mip(s, list(listed), target)
        costs.append(s.inc_cost)
    assert seen == [True, False]
    assert costs[0] == pytest.approx(costs[1])


def test_a_listing_s_mip_looks_for_its_best_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a gap of 0.5%, a listing's MIP would stop at any plan within 0.5% of its own bound, a
    bound that says nothing above the target: it is solved to 0.01% instead, so that the best
    plan its columns make comes out (Birmingham and Solihull with a 0.5% gap: 969,466 -> its
    listing's best, 968,172, which the next listing proves within 0.5% at 120 s; 0.69% before).
    A smaller gap of the options' stays."""
    seen: list[float] = []
    real = closing.column_mip

    def spy(*args, options, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(options.gap)
        return real(*args, options=options, **kwargs)

    monkeypatch.setattr(closing, "column_mip", spy)
    monkeypatch.setattr(closing, "FIRST_TARGET_STEP", 0.0005)
    inst, part = scattered_instance(40, seed=3)
    for gap, expected in ((0.005, closing.LISTING_MIP_GAP), (1e-6, 1e-6)):
        seen.clear()
        columns.solve_columns(
            inst, part, options=SolveOptions(threads=1, gap=gap), deadline=Deadline(30)
        )
        assert seen
        assert all(g == expected for g in seen)


def test_the_closing_listing_counts_only_plans_under_its_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The listing whose target is the incumbent less the gap closes the part either way: its MIP
    only needs plans under the target, so it gets the target as a cutoff (HiGHS prunes every
    branch that reaches it; Birmingham and Solihull's closing listing of 12,037 columns: 65 s
    to the proof before, 17-18 s with the cutoff) and no start (the incumbent is above the cutoff).
    Earlier listings get neither. The bound stays valid: never above the optimum, proven here
    with a gap of 0."""
    calls: list[tuple[float | None, bool]] = []
    real = closing.column_mip

    def spy(*args, cutoff=None, start=None, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((cutoff, start is not None))
        return real(*args, cutoff=cutoff, start=start, **kwargs)

    monkeypatch.setattr(closing, "FIRST_TARGET_STEP", 0.0005)
    closed = 0
    for seed in range(4):
        inst, part = scattered_instance(40, seed=seed)
        exact = columns.solve_columns(
            inst, part, options=SolveOptions(threads=1, gap=0.0), deadline=Deadline(60)
        ).certificate
        assert exact.status == "optimal"
        assert exact.objective is not None
        monkeypatch.setattr(closing, "column_mip", spy)
        calls.clear()
        cert = columns.solve_columns(
            inst, part, options=SolveOptions(threads=1, gap=0.005), deadline=Deadline(60)
        ).certificate
        monkeypatch.setattr(closing, "column_mip", real)
        assert cert.status == "optimal"
        assert cert.bound is not None
        assert cert.objective is not None
        assert cert.bound <= exact.objective + 1e-6 <= cert.objective + 2e-6
        cutoffs = [c for c, _ in calls if c is not None]
        assert not any(started for c, started in calls if c is not None)
        assert len(cutoffs) <= 1
        assert calls[-1][0] is not None or not cutoffs  # only the last listing closes
        closed += len(cutoffs)
    assert closed  # at least one part was closed by a listing with a cutoff
