"""Property-based tests of the whole pipeline on random, realistic sites: either a plan that the
independent checker accepts, or an InfeasibleError whose explanation names a real cause."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_geo._errors import InfeasibleError
from mcp_geo.pipeline.footprint import run_scenario
from mcp_geo.plans.write import write_plan
from mcp_geo.scenario import Scenario
from tests.checker import check_plan

HUB_MIN, HUB_MAX, MCP_MIN, MAX_KM = 20_000, 50_000, 60_000, 10.0

site = st.tuples(
    st.integers(min_value=500, max_value=60_000),  # patients: some over the ceiling
    st.integers(min_value=0, max_value=30_000),  # metres east
    st.integers(min_value=0, max_value=30_000),  # metres north
)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sites=st.lists(site, min_size=2, max_size=9), strict=st.booleans())
def test_random_sites_give_a_sound_plan_or_a_real_explanation(tmp_path_factory, sites, strict):
    folder = tmp_path_factory.mktemp("case")
    path = folder / "sites.csv"
    rows = [f"S{k},{p},{400_000 + x},{300_000 + y}" for k, (p, x, y) in enumerate(sites)]
    path.write_text("practice_code,patients,easting,northing\n" + "\n".join(rows) + "\n")
    scenario = Scenario.from_options(
        str(path),
        {
            "hub_min": HUB_MIN,
            "hub_max": HUB_MAX,
            "max_km": MAX_KM,
            "mcp_min": MCP_MIN,
            "strict": strict,
            "time_limit": 30,
        },
    )
    total = sum(p for p, _, _ in sites)
    try:
        plan = run_scenario(scenario)
    except InfeasibleError as exc:
        text = exc.diagnosis
        codes = set(re.findall(r"\bS\d+\b", text))
        numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text)}
        # the explanation names practices of this input, or the numbers that make it impossible
        assert codes <= {f"S{k}" for k in range(len(sites))}
        assert codes or total in numbers or HUB_MIN in numbers or MCP_MIN in numbers, text
        if total < HUB_MIN:
            assert f"{total:,}" in text
        if "over the ceiling" in text or "more than 50,000" in text:
            assert any(p > HUB_MAX for p, _, _ in sites)
        return
    assert total >= HUB_MIN
    out = write_plan(plan, folder / "plan")
    assert check_plan(out) == []
    if strict:
        assert plan.exceptions == ()
