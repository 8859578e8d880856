"""`plan england --reference pcn`: each footprint plans from its own practices' PCNs, and the
national files count the moves over every practice (recounted from practices.csv)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pipeline.test_reference import check_moves

pytestmark = pytest.mark.slow


def test_england_by_sub_icb_from_todays_pcns(tmp_path):
    import mcp_geo

    out = tmp_path / "england"
    national = mcp_geo.plan_england(
        by="sub-icb",
        only=["05G", "05W"],
        out=out,
        workers=1,
        reference="pcn",
        no_mcps=True,
        engine="compact",
        time_limit=60,
        map_html=False,
    )
    assert not national.failed
    practices = pd.read_csv(out / "practices.csv", dtype=str, keep_default_na=False)
    assert len(practices) == 66
    assert practices["reference_group"].equals(practices["pcn_code"])
    assert practices["hub_id"].str.match(r"^05[GW]-H\d+$").all()
    block = check_moves(out)
    assert block["groups"] == 13
    assert national.plan.reference.line() in national.summary()
    for part in sorted((out / ".parts").iterdir()):  # each footprint wrote its own moves
        check_moves(part)
    again = mcp_geo.plan_england(
        by="sub-icb", only=["05G", "05W"], out=out, workers=1, reference="pcn", no_mcps=True,
        engine="compact", time_limit=60, map_html=False,
    )  # fmt: skip
    assert len(again.resumed) == 2  # the parts' fingerprints hold their reference groups
