"""A plan with alternatives on its map (no browser): the settled / open layer against the files.

The plan is ``plan north-staffs --no-mcps --alternatives 2 --travel-slack 0.005 --map`` (the
session's ``ns_alternatives_dir``): its map.html was drawn from the plan in memory. The rings
are checked against practices.csv's ``settled``; each ring's words against the best plan's and
each alternative's practices.csv, and whether it says "moves" against the test's own matching
(scipy's assignment, :func:`tests.pipeline.test_alternatives._moved`). The map of
``read_plan(DIR)`` must draw the same layer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from mcp_geo.maps._alternatives import OPEN_NAME, OPEN_WEIGHT
from mcp_geo.maps.render import write_map
from mcp_geo.plans.read import read_plan
from tests.pipeline.test_alternatives import _moved


def _layers(html: str) -> list[dict]:
    found = re.finditer(r"geo_json_\w+_add\((\{.*\})\);$", html, flags=re.MULTILINE)
    return [json.loads(m.group(1)) for m in found]


def _open_rings(html: str) -> list[dict]:
    (layer,) = [
        x for x in _layers(html) if x["features"] and "open" in x["features"][0]["properties"]
    ]
    return layer["features"]


def _practices(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "practices.csv", dtype={"practice_code": str, "hub_id": str})
    return frame.set_index("practice_code")


def test_the_rings_are_the_open_practices_and_say_where_each_goes(ns_alternatives_dir):
    folder = ns_alternatives_dir
    html = (folder / "map.html").read_text(encoding="utf-8")
    best = _practices(folder)
    opened = set(best.index[best["settled"].astype(str).str.lower() == "false"])
    report = json.loads((folder / "report.json").read_text())["alternatives"]
    rings = _open_rings(html)
    assert {f["properties"]["practice_code"] for f in rings} == opened
    assert len(rings) == len(opened) == report["open_practices"] >= 1
    alts = {p["n"]: _practices(folder / p["folder"]) for p in report["plans"]}
    moves = {n: _moved(alt, best) for n, alt in alts.items()}
    names = best["practice_name"]
    for ring in rings:
        props = ring["properties"]
        code = props["practice_code"]
        base = best.loc[code, "hub_base_code"]
        based = "its base" if base == code else f"base {names[base]}"
        assert props["best"].startswith(f"hub {best.loc[code, 'hub_id']} ({based})")
        moved_in = []
        for n, alt in alts.items():
            verb = "moves to" if moves[n][code] else "stays in"
            assert props[f"alt_{n}"].startswith(f"{verb} hub {alt.loc[code, 'hub_id']} (")
            moved_in += [str(n)] if moves[n][code] else []
        assert moved_in  # an open practice moves in one alternative at least
        assert props["open"].startswith(
            f"open: moves in alternative{'s' if len(moved_in) > 1 else ''} {moved_in[0]}"
        )
    assert json.dumps(OPEN_NAME) in html  # the layer control's name
    assert f'"weight": {OPEN_WEIGHT}' in html
    assert "(plans within 0.50% of the least travel); no ring: settled" in html  # the legend
    k = report["found"]
    line = (
        f"{k} alternative{'s' if k > 1 else ''} within 0.50% of the least travel: "
        f"{report['settled_practices']} of 66 practices settled"
    )
    assert f"<p>{line}</p>" in html  # the panel


def test_read_plan_draws_the_same_layer_and_writes_the_same_files(ns_alternatives_dir, tmp_path):
    folder = ns_alternatives_dir
    back = read_plan(folder)
    report = json.loads((folder / "report.json").read_text())
    assert back.alternatives is not None
    assert back.alternatives.to_dict() == report["alternatives"]
    written = write_map(back, tmp_path / "map.html")
    drawn = _open_rings(written.path.read_text(encoding="utf-8"))
    assert drawn == _open_rings((folder / "map.html").read_text(encoding="utf-8"))
    assert written.counts[0].open == len(drawn) == report["alternatives"]["open_practices"]
    again = back.write(tmp_path / "again")
    for name in ("practices.csv", "alternatives/1/practices.csv", "alternatives/1/hubs.csv"):
        assert (again / name).read_text() == (folder / name).read_text(), name
    assert json.loads((again / "report.json").read_text())["alternatives"] == report["alternatives"]


def test_a_plan_without_alternatives_has_no_rings(ns_plan, tmp_path):
    html = write_map(ns_plan, tmp_path / "map.html").path.read_text(encoding="utf-8")
    assert OPEN_NAME not in html
    assert not [
        x for x in _layers(html) if x["features"] and "open" in x["features"][0]["properties"]
    ]
