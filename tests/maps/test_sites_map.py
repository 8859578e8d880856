"""A plan of the user's own sites CSV on the map: `mcp-geo plan sites.csv --map`, `mcp-geo map`.

A sites plan has no list-size date (the panel names the file instead), and may have no PCN
codes, some, or no practice names (the codes stand in) and no postcodes.
"""

from __future__ import annotations

import pandas as pd
import pytest

from mcp_geo.cli import main
from mcp_geo.plans.read import read_plan
from mcp_geo.plans.write import report_json
from tests._plans import SITES_OPTIONS, write_sites

from ._browser import CHROMIUM, open_offline

OPTIONS = [
    "--hub-min",
    str(SITES_OPTIONS["hub_min"]),
    "--hub-max",
    str(SITES_OPTIONS["hub_max"]),
    "--engine",
    "compact",
    "--threads",
    "1",
]


def _edit(path, edit):
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def _blank_some_pcns(table):
    """The last 10 sites in no PCN (their cells make empty PCN areas on the map)."""
    table.loc[table.index[20:], "pcn_code"] = ""
    return table


EDITS = {
    "every column": lambda t: t,
    "no pcn_code": lambda t: t.drop(columns="pcn_code"),
    "some pcn codes empty": _blank_some_pcns,
    "no practice_name": lambda t: t.drop(columns="practice_name"),
}


def _plan_with_map(tmp_path, edit):
    sites = write_sites(tmp_path / "in")
    _edit(sites, edit)
    out = tmp_path / "plan"
    assert main(["plan", str(sites), *OPTIONS, "--map", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("variant", list(EDITS))
def test_plan_a_sites_csv_with_a_map_then_map_it_again(tmp_path, variant):
    out = _plan_with_map(tmp_path, EDITS[variant])
    first = (out / "map.html").read_text(encoding="utf-8")
    assert "30 practices, 284,801 patients (list sizes from sites.csv)" in first
    report = (out / "report.json").read_text()
    plan = read_plan(out)
    assert plan.extract_date is None
    assert report_json(plan) == report
    assert len(plan.practices) == 30
    assert plan.practices["postcode"].fillna("").eq("").all()

    (out / "map.html").unlink()
    assert main(["map", str(out)]) == 0
    again = (out / "map.html").read_text(encoding="utf-8")
    assert "30 practices, 284,801 patients (list sizes from sites.csv)" in again
    # the layer of today's PCNs (its name in the layer control's JSON), when there are PCNs
    assert ("Today\\u0027s PCNs" in again) == (variant != "no pcn_code")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_the_map_of_a_sites_plan_opens_without_errors(tmp_path):
    out = _plan_with_map(tmp_path, EDITS["some pcn codes empty"])
    report = open_offline(out / "map.html", profile=tmp_path / "profile")
    assert report.page_errors == []
    assert report.unexpected_console_errors() == []
    assert all("tile.openstreetmap.org" in url for url in report.blocked), report.blocked
    assert report.counts["weight_1"] == 30  # practices
    assert report.counts["panels"] == 1
    assert report.counts["hub_bases"] == 11
