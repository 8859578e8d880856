"""read_plan on a plan folder with alternatives whose files were tampered with (untrusted): each
malformed part of report.json's ``alternatives`` or of the folders is a ValidationError naming the
file and the field. The folder is the session's ``ns_alternatives_dir`` (two alternatives of
north-staffs), copied and edited."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.plans.read import read_plan


def _edit(entry: dict, key: str, value: object) -> None:
    entry[key] = value


def _plan0(key: str, value: object) -> Callable[[dict], None]:
    return lambda entry: _edit(entry["plans"][0], key, value)


CASES = {
    "not an object": (lambda e: e.clear(), r"field 'alternatives.asked': must be a whole number"),
    "slack not a number": (
        lambda e: _edit(e, "travel_slack", "2%"),
        r"report\.json, field 'alternatives\.travel_slack': must be a number >= 0 \(got '2%'\)",
    ),
    "negative slack": (
        lambda e: _edit(e, "travel_slack", -0.5),
        r"field 'alternatives\.travel_slack': must be a number >= 0",
    ),
    "slack source": (
        lambda e: _edit(e, "slack_source", "<b>"),
        r"field 'alternatives\.slack_source': must be one of",
    ),
    "found": (lambda e: _edit(e, "found", 7), r"field 'alternatives\.found': must be the number"),
    "held": (
        lambda e: _edit(e, "held_practices", 67),
        r"field 'alternatives\.held_practices': must be a whole number from 0 to 66",
    ),
    "folder outside": (
        _plan0("folder", "../../elsewhere"),
        r"field 'alternatives\.plans\[0\]\.folder': must be 'alternatives/1'",
    ),
    "order": (_plan0("n", 2), r"field 'alternatives\.plans\[0\]\.n': must be 1"),
    "moves": (
        _plan0("moved_practices", True),
        r"field 'alternatives\.plans\[0\]\.moved_practices': must be a whole number",
    ),
    "moves disagree": (
        _plan0("moved_patients", 1),
        r"field 'alternatives\.plans\[0\]\.moved': disagrees with the alternative's folder",
    ),
    "travel": (
        _plan0("travel_over_best", float("inf")),
        r"field 'alternatives\.plans\[0\]\.travel_over_best': must be a number",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_alternatives_block_names_the_file_and_field(
    ns_alternatives_dir, tmp_path, case
):
    folder = Path(shutil.copytree(ns_alternatives_dir, tmp_path / "plan"))
    report = json.loads((folder / "report.json").read_text())
    edit, message = CASES[case]
    edit(report["alternatives"])
    (folder / "report.json").write_text(json.dumps(report))
    with pytest.raises(ValidationError, match=message):
        read_plan(folder)


def test_a_missing_alternative_folder_is_named(ns_alternatives_dir, tmp_path):
    folder = Path(shutil.copytree(ns_alternatives_dir, tmp_path / "plan"))
    shutil.rmtree(folder / "alternatives" / "1")
    with pytest.raises(ValidationError, match=r"alternatives/1: is missing \(report\.json lists"):
        read_plan(folder)


def test_a_settled_column_that_disagrees_is_named(ns_alternatives_dir, tmp_path):
    """The best plan's own practices (plan.gpkg) say every practice is settled."""
    import pyogrio

    folder = Path(shutil.copytree(ns_alternatives_dir, tmp_path / "plan"))
    layers = {row[0]: pyogrio.read_dataframe(folder / "plan.gpkg", layer=row[0])
              for row in pyogrio.list_layers(folder / "plan.gpkg")}  # fmt: skip
    layers["practices"]["settled"] = True
    (folder / "plan.gpkg").unlink()
    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, folder / "plan.gpkg", layer=name)
    with pytest.raises(ValidationError, match=r"plan\.gpkg, field 'settled': disagrees"):
        read_plan(folder)
