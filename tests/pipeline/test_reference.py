"""Planning from a reference grouping (issue 20; DESIGN.md "Reference grouping and moves"), on the
real north-staffs practices: today's PCNs, a sites file with and without its own PCN codes, and
the hubs of an earlier plan.

The hub solver's moves stage is tested with the solvers; here whatever plan it returns is
checked against the files: practices.csv's ``reference_group`` is the reference, and moves.csv
and report.json's ``reference`` are recounted from practices.csv by this file's own matching
(networkx's maximum weight matching, the tie rule applied cell by cell), not the package's.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.cli import main
from tests._plans import write_sites

RULES = ["--no-mcps", "--threads", "1", "--time-limit", "15", "-q"]
MOVE_COLUMNS = [
    "practice_code",
    "practice_name",
    "patients",
    "reference_group",
    "hub_id",
    "km_to_hub_base",
]


def _plan(args: list[str], out: Path) -> str:
    """Run ``mcp-geo plan ARGS --out OUT`` (must succeed); its stdout."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["plan", *args, *RULES, "--out", str(out)]) == 0
    return printed.getvalue()


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def pcn_plan(tmp_path_factory) -> tuple[Path, str]:
    """north-staffs hubs planned from today's PCNs, with the map: the folder and the summary."""
    out = tmp_path_factory.mktemp("reference") / "ns-pcn"
    printed = _plan(["north-staffs", "--reference", "pcn", "--map"], out)
    return out, printed


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    """north-staffs hubs planned from scratch: the earlier plan."""
    out = tmp_path_factory.mktemp("reference") / "ns"
    _plan(["north-staffs"], out)
    return out


# ---------------------------------------------------------------- the test's own recount


def _best(cells: dict[tuple[str, str], int]) -> int:
    """The most weight a one-to-one matching of hubs to groups keeps (networkx)."""
    graph = nx.Graph()
    for (hub, group), weight in cells.items():
        graph.add_edge(("hub", hub), ("group", group), weight=weight)
    pairs = nx.max_weight_matching(graph)
    return sum(graph.edges[a, b]["weight"] for a, b in pairs)


def own_matching(practices: pd.DataFrame, *, weight: str = "patients") -> dict[str, str]:
    """Hubs matched to reference groups keeping the most weight together; among the best, the
    cells taken in (hub, group) order, each kept when a best matching still holds it."""
    grouped = practices[practices["reference_group"] != ""]
    weights = grouped["patients"].astype(int) if weight == "patients" else 1
    cells = grouped.assign(w=weights).groupby(["hub_id", "reference_group"])["w"].sum().to_dict()
    total = _best(cells)
    fixed: dict[str, str] = {}
    kept = 0
    for (hub, group), w in sorted(cells.items()):
        if hub in fixed or group in fixed.values():
            continue
        rest = {
            (h, g): v
            for (h, g), v in cells.items()
            if h != hub and g != group and h not in fixed and g not in fixed.values()
        }
        if kept + w + _best(rest) == total:
            fixed[hub] = group
            kept += w
    return fixed


def recount(practices: pd.DataFrame, *, weight: str = "patients") -> dict[str, object]:
    """The moves and the groups' fates, from practices.csv alone."""
    matching = own_matching(practices, weight=weight)
    continued_by = {g: h for h, g in matching.items()}
    grouped = practices[practices["reference_group"] != ""]
    pairs = zip(grouped["reference_group"], grouped["hub_id"], strict=True)
    moved = grouped[[continued_by.get(g) != h for g, h in pairs]]
    kept, split, merged = [], [], []
    for group, members in grouped.groupby("reference_group"):
        hub = continued_by.get(group)
        if members["hub_id"].nunique() > 1:
            split.append(group)
        if hub is not None and (members["hub_id"] == hub).all():
            kept.append(group)
        in_hub = grouped[grouped["hub_id"] == hub]
        if hub is not None and (in_hub["reference_group"] != group).any():
            merged.append(group)
    return {
        "moved": moved.sort_values("practice_code").reset_index(drop=True),
        "moved_patients": int(moved["patients"].astype(int).sum()),
        "groups": grouped["reference_group"].nunique(),
        "kept": kept,
        "split": split,
        "merged": merged,
        "without": int((practices["reference_group"] == "").sum()),
    }


def check_moves(folder: Path, *, weight: str = "patients") -> dict[str, object]:
    """moves.csv and report.json's ``reference`` agree with the recount of practices.csv."""
    practices = _csv(folder / "practices.csv")
    counted = recount(practices, weight=weight)
    moves = _csv(folder / "moves.csv")
    assert list(moves.columns) == MOVE_COLUMNS
    assert list(moves["practice_code"]) == sorted(moves["practice_code"])
    assert moves.equals(counted["moved"][MOVE_COLUMNS])
    block = json.loads((folder / "report.json").read_text(encoding="utf-8"))["reference"]
    assert block["minimise"] == weight
    assert block["moved_practices"] == len(moves)
    assert block["moved_patients"] == counted["moved_patients"]
    assert block["groups"] == counted["groups"]
    assert block["groups_kept"] == len(counted["kept"])
    assert block["groups_split"] == len(counted["split"])
    assert block["groups_merged"] == len(counted["merged"])
    assert block["split"] == counted["split"]
    assert block["merged"] == counted["merged"]
    assert block["practices_without_group"] == counted["without"]
    return block


# ---------------------------------------------------------------- today's PCNs


def test_reference_group_is_the_practices_pcn(pcn_plan):
    folder, _ = pcn_plan
    practices = _csv(folder / "practices.csv")
    assert practices.columns[-1] == "reference_group"
    assert practices["reference_group"].equals(practices["pcn_code"])
    assert (practices["reference_group"] != "").all()


def test_moves_and_report_recounted_from_practices_csv(pcn_plan):
    folder, printed = pcn_plan
    block = check_moves(folder)
    assert (block["kind"], block["source"], block["groups"]) == ("pcn", "pcn", 13)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["parameters"]["reference"] == "pcn"
    assert report["parameters"]["minimise"] == "patients"
    assert "travel_slack" not in report["parameters"]
    line = (
        f"from today's PCNs: {block['moved_practices']} "
        f"practice{'s' if block['moved_practices'] != 1 else ''} "
        f"({block['moved_patients']:,} patients) moved; {block['groups_kept']} of 13 PCNs kept "
        f"whole, {block['groups_split']} split, {block['groups_merged']} merged"
    )
    assert line in printed
    scenario = (folder / "scenario.toml").read_text(encoding="utf-8")
    assert 'reference = "pcn"' in scenario
    assert 'minimise = "patients"' in scenario


def test_every_hub_within_bounds_or_a_named_exception(pcn_plan):
    folder, _ = pcn_plan
    hubs = _csv(folder / "hubs.csv")
    patients = hubs["patients"].astype(int)
    named = hubs["exception"] != "" if "exception" in hubs else pd.Series(False, index=hubs.index)
    assert ((patients >= 30_000) & (patients <= 50_000) | named).all()
    practices = _csv(folder / "practices.csv")
    assert practices["practice_code"].is_unique
    assert len(practices) == 66


def test_minimise_practices_counts_practices(tmp_path):
    out = tmp_path / "by-practices"
    _plan(["north-staffs", "--reference", "pcn", "--minimise", "practices"], out)
    block = check_moves(out, weight="practices")
    assert block["minimise"] == "practices"


def test_the_api_takes_the_same_keywords(pcn_plan, tmp_path):
    import mcp_geo

    plan = mcp_geo.plan(
        "north-staffs",
        reference="pcn",
        minimise="patients",
        no_mcps=True,
        engine="compact",
        threads=1,
        time_limit=60,
    )
    assert plan.reference is not None
    assert plan.reference.kind == "pcn"
    assert plan.practices["reference_group"].tolist() == plan.practices["pcn_code"].tolist()
    written = plan.write(tmp_path / "api")
    check_moves(written)
    with pytest.raises(ValidationError, match=r"keyword 'travel_slack': must be a fraction"):
        mcp_geo.plan("north-staffs", reference="pcn", travel_slack=-0.5)


# ---------------------------------------------------------------- sites files


def test_sites_without_pcn_codes_are_refused_naming_the_file_and_column(tmp_path, capsys):
    path = write_sites(tmp_path, "own.csv")
    pd.read_csv(path).drop(columns="pcn_code").to_csv(path, index=False)
    status = main(["plan", str(path), "--reference", "pcn", *RULES, "--out", str(tmp_path / "o")])
    assert status == 2
    err = capsys.readouterr().err
    assert (
        "--reference: 'pcn' needs PCN codes, and the sites file own.csv has none: add the "
        "optional 'pcn_code' column"
    ) in err
    assert not (tmp_path / "o").exists()
    import mcp_geo

    with pytest.raises(ValidationError, match=r"keyword 'reference': 'pcn' needs PCN codes, and "):
        mcp_geo.plan(str(path), reference="pcn", hub_min=20_000, hub_max=80_000)


def test_sites_with_pcn_codes_plan_from_them(tmp_path):
    path = write_sites(tmp_path, "own.csv")
    sites = pd.read_csv(path, dtype=str, keep_default_na=False)
    sites.loc[sites.index[:3], "pcn_code"] = ""  # no group: never a move
    sites.to_csv(path, index=False)
    out = tmp_path / "plan"
    _plan([str(path), "--reference", "pcn", "--hub-min", "20000", "--hub-max", "80000"], out)
    practices = _csv(out / "practices.csv")
    expected = sites.set_index("practice_code")["pcn_code"]
    assert practices["reference_group"].tolist() == [
        expected[c] for c in practices["practice_code"]
    ]
    block = check_moves(out)
    assert block["practices_without_group"] == 3
    moved = set(_csv(out / "moves.csv")["practice_code"])
    assert not moved & set(sites["practice_code"][:3])


# ---------------------------------------------------------------- an earlier plan


def test_an_earlier_plan_is_the_reference(earlier, tmp_path):
    out = tmp_path / "again"
    printed = _plan(["north-staffs", "--reference", str(earlier)], out)
    practices = _csv(out / "practices.csv")
    before = _csv(earlier / "practices.csv").set_index("practice_code")["hub_id"]
    assert practices["reference_group"].tolist() == [before[c] for c in practices["practice_code"]]
    block = check_moves(out)  # with an unchanged rule, the moves stage makes them 0
    assert (block["kind"], block["source"], block["groups"]) == ("plan", "ns", 16)
    assert f"from the hubs of ns: {block['moved_practices']} practice" in printed
    scenario = (out / "scenario.toml").read_text(encoding="utf-8")
    assert 'reference = "' in scenario  # relative to the new plan's folder
    import mcp_geo

    again = mcp_geo.read_plan(out)
    assert Path(again.scenario.reference).resolve() == earlier.resolve()


def test_an_earlier_plan_of_another_footprint_leaves_the_others_without_group(earlier, tmp_path):
    out = tmp_path / "part"
    _plan(["sub-icb:05G", "--reference", str(earlier), "--hub-min", "20000"], out)
    block = check_moves(out)
    assert block["practices_without_group"] == 0  # 05G is inside north-staffs
    path = write_sites(tmp_path, "new.csv")
    sites = pd.read_csv(path, dtype=str)
    sites.loc[0, "practice_code"] = "NEW001"
    sites.to_csv(path, index=False)
    out = tmp_path / "sites"
    _plan([str(path), "--reference", str(earlier), "--hub-min", "20000", "--hub-max", "80000"], out)
    practices = _csv(out / "practices.csv")
    assert practices.set_index("practice_code").loc["NEW001", "reference_group"] == ""
    assert check_moves(out)["practices_without_group"] == 1


def test_a_missing_folder_or_one_that_is_not_a_plan_is_refused(tmp_path, capsys):
    for folder, message in (
        (tmp_path / "nowhere", "does not exist"),
        (tmp_path, "is not a plan folder (a folder `mcp-geo plan` wrote"),
    ):
        out = tmp_path / "out"
        args = ["plan", "north-staffs", "--reference", str(folder), *RULES, "--out", str(out)]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"--reference: {'the folder ' if 'exist' in message else ''}{folder}" in err
        assert message in err
        assert not out.exists()


def test_england_takes_pcn_but_no_plan_folder(earlier, tmp_path):
    import mcp_geo

    with pytest.raises(ValidationError, match=r"keyword 'reference': must be 'pcn' or left out"):
        mcp_geo.plan_england(by="icb", out=tmp_path / "e", reference=str(earlier))


def test_the_fingerprint_covers_the_reference_groups():
    from mcp_geo.pipeline.footprint import fingerprint
    from mcp_geo.scenario import Scenario

    practices = pd.DataFrame(
        {"practice_code": ["A", "B"], "patients": [1, 2], "latitude": [52.0, 52.1],
         "longitude": [-2.0, -2.1]}
    )  # fmt: skip
    scenario = Scenario.from_options("north-staffs", {"reference": "pcn"})
    one = pd.Series({"A": "U1", "B": "U1"})
    two = pd.Series({"A": "U1", "B": None})
    prints = {
        fingerprint(practices, scenario=scenario, travel_source="km", reference=r)
        for r in (one, two, None)
    }
    assert len(prints) == 3
