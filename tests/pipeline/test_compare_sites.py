"""`mcp-geo compare` with the user's own sites wherever an official footprint can go: two sites
files, sites against a plan folder or an official footprint, sites (or a plan of them) against
their own PCN codes, and scenario files whose footprint is a sites file.

The sites are real practices of north-staffs (codes, names, list sizes, places and PCNs of the
bundled snapshot): A holds the first 30 by code with a pcn_code column, B the 11th to 40th without
one, so the two share 20 practices. Hubs of 10,000-30,000 patients and MCPs of at least 50,000 fit
such small sets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.cli import main

RULES = [
    "--hub-min", "10000", "--hub-max", "30000", "--mcp-min", "50000",
    "--threads", "1", "--time-limit", "30", "-q",
]  # fmt: skip
COLUMNS = ["practice_code", "practice_name", "patients", "latitude", "longitude"]


@pytest.fixture(scope="module")
def north_staffs() -> pd.DataFrame:
    from mcp_geo.practices import open_data, select_footprint

    practices = select_footprint(open_data(None), "north-staffs").practices
    return practices.sort_values("practice_code").reset_index(drop=True)


@pytest.fixture(scope="module")
def sites(north_staffs, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sites")
    a = folder / "sites_a.csv"
    north_staffs.iloc[:30][[*COLUMNS, "pcn_code"]].to_csv(a, index=False)
    b = folder / "sites_b.csv"
    north_staffs.iloc[10:40][COLUMNS].to_csv(b, index=False)
    return {"a": a, "b": b}


@pytest.fixture(scope="module")
def two_sites(sites, tmp_path_factory) -> Path:
    """`compare sites_a.csv sites_b.csv --out DIR` (with the map): the folder written."""
    out = tmp_path_factory.mktemp("compare") / "ab"
    assert main(["compare", str(sites["a"]), str(sites["b"]), "--out", str(out), *RULES]) == 0
    return out


def _table(folder: Path) -> pd.DataFrame:
    table = pd.read_csv(folder / "comparison.csv", dtype=str, keep_default_na=False)
    return table.set_index("measure")


def _changes(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)


def test_two_sites_files(two_sites, north_staffs):
    out = two_sites
    for name in ("comparison.csv", "comparison.json", "changes.csv", "map.html"):
        assert (out / name).is_file(), name
    for side in ("plan-a", "plan-b"):
        assert (out / side / "report.json").is_file()
    table = _table(out)
    assert (table.loc["practices shared", "a"], table.loc["practices shared", "b"]) == ("20", "20")
    only = table.loc["practices in this plan only"]
    assert (only["a"], only["b"]) == ("10", "10")
    shared = north_staffs.iloc[10:30]
    patients = str(int(shared["patients"].sum()))
    assert table.loc["patients of the shared practices", "a"] == patients
    assert table.loc["patients of the shared practices", "b"] == patients
    # every shared practice has its row, with its hub on each side
    changes = _changes(out)
    assert sorted(changes["practice_code"]) == sorted(shared["practice_code"])
    assert (changes[["a_hub", "b_hub", "a_mcp", "b_mcp"]] != "").all().all()
    assert set(changes["moved_mcp"]) <= {"true", "false"}
    assert changes["patients"].astype(int).sum() == int(shared["patients"].sum())
    assert list(changes["practice_name"]) == list(shared["practice_name"])
    # the three views, as for official footprints
    assert "" not in (table.loc["provider hubs", "a"], table.loc["provider hubs", "b"])
    for side in "ab":
        assert 0 <= float(table.loc["MCP partner retention", side]) <= 1
    # 4: the footprint's own effect, B re-planned from A's hubs (a plan of sites, held in memory)
    assert (out / "plan-b-own" / "moves.csv").is_file()
    own = int(table.loc["practices changing hub even with the fewest moves", "b"])
    assert own == (changes["moved_hub_own"] == "true").sum()
    assert own <= int(table.loc["practices changing hub, from scratch", "b"])
    assert (changes["b_own_hub"] != "").all()
    # sizes within the rules given on the command line
    for side in "ab":
        assert float(table.loc["share of hubs within bounds", side]) == 1.0
        assert 10_000 <= float(table.loc["patients per hub, median", side]) <= 30_000
        assert float(table.loc["patients per MCP, min", side]) >= 50_000
    # the sides are named by their files, not by their paths
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "sites_a.csv" in html
    assert "sites_b.csv" in html


def test_sites_against_a_plan_folder(two_sites, sites, tmp_path, capsys):
    out = two_sites
    argv = ["compare", str(sites["a"]), str(out / "plan-b"), "--out", str(tmp_path / "c")]
    assert main([*argv, *RULES, "--no-map"]) == 0
    # the folder's plan is read, not planned again: the same hubs as in the first comparison
    assert _changes(tmp_path / "c")["b_hub"].tolist() == _changes(out)["b_hub"].tolist()
    assert not (tmp_path / "c" / "plan-b").exists()
    # the sides are named by their files, not by their paths
    assert "sites_a.csv (A) against sites_b.csv (B)" in capsys.readouterr().out


def test_sites_against_an_official_footprint(sites, north_staffs, tmp_path):
    out = tmp_path / "c"
    argv = ["compare", str(sites["a"]), "north-staffs", "--out", str(out), *RULES, "--no-map"]
    assert main(argv) == 0
    table = _table(out)
    assert table.loc["practices shared", "a"] == "30"
    only = table.loc["practices in this plan only"]
    assert (only["a"], only["b"]) == ("0", str(len(north_staffs) - 30))
    # the same list sizes on both sides (the sites are the official practices)
    patients = table.loc["patients of the shared practices"]
    assert patients["a"] == patients["b"] == str(int(north_staffs.iloc[:30]["patients"].sum()))
    assert sorted(_changes(out)["practice_code"]) == sorted(north_staffs.iloc[:30]["practice_code"])
    assert (out / "plan-b" / "report.json").is_file()


def test_sites_against_their_own_pcn_codes(sites, north_staffs, tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", str(sites["a"]), "--against", "pcn", "--out", str(out), *RULES]) == 0
    assert "sites_a.csv (A) against today's PCNs (B)" in capsys.readouterr().out
    table = _table(out)
    pcns = north_staffs.iloc[:30]["pcn_code"]
    assert table.loc["hubs", "b"] == str(pcns.nunique())
    assert table.loc["MCPs", "b"] == ""  # PCNs have no MCP level
    changes = _changes(out)
    assert sorted(changes["practice_code"]) == sorted(north_staffs.iloc[:30]["practice_code"])
    assert set(changes["b_hub"]) == set(pcns)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "sites_a.csv" in html
    assert "PCNs" in html


NO_PCNS = "the sites of sites_b.csv have no pcn_code column (or no value in it), so there are no "
NO_PCNS += "PCNs to compare against"


def test_sites_without_pcn_codes_are_refused_before_planning(sites, tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", str(sites["b"]), "--against", "pcn", "--out", str(out), *RULES]) == 2
    err = capsys.readouterr().err
    assert NO_PCNS in err
    assert "Traceback" not in err
    assert not (out / "plan-a").exists()  # nothing was planned


def test_no_pcns_are_named_by_the_api_or_by_the_command(sites, tmp_path, capsys):
    """The library says what it compares with; the CLI names its own ``--against pcn``."""
    from mcp_geo.pipeline.compare import check_sites_for_pcns

    with pytest.raises(ValidationError) as caught:
        check_sites_for_pcns(str(sites["b"]))
    assert str(caught.value) == f"compare with today's PCNs: {NO_PCNS}: add each site's PCN " + (
        "code in a pcn_code column, or compare with another plan"
    )
    argv = ["compare", str(sites["b"]), "--against", "pcn", "--out", str(tmp_path / "c"), "-q"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(f"mcp-geo: error: compare --against pcn: {NO_PCNS}")


def test_an_empty_pcn_code_column_is_no_pcn_codes(north_staffs, tmp_path, capsys):
    path = tmp_path / "sites_b.csv"
    north_staffs.iloc[:20][COLUMNS].assign(pcn_code="").to_csv(path, index=False)
    assert main(["compare", str(path), "--against", "pcn", "--out", str(tmp_path / "c")]) == 2
    assert NO_PCNS in capsys.readouterr().err


def test_a_plan_of_sites_without_pcn_codes(two_sites, tmp_path, capsys):
    out = two_sites
    argv = ["compare", str(out / "plan-b"), "--against", "pcn", "--out", str(tmp_path / "c")]
    assert main(argv) == 2
    assert NO_PCNS in capsys.readouterr().err


def test_scenario_files_of_sites(sites, tmp_path, capsys):
    """A scenario's sites file is relative to the scenario's folder; its rules are the file's."""
    folder = sites["a"].parent
    rules = 'hub_min = 10000\nhub_max = 30000\nmcp_min = 50000\nengine = "compact"\nthreads = 1\n'
    scenario_a = folder / "a.toml"
    scenario_a.write_text(f'footprint = "sites_a.csv"\n{rules}')
    scenario_b = folder / "b.toml"
    scenario_b.write_text(f'footprint = "sites_b.csv"\n{rules}')
    out = tmp_path / "ab"
    argv = ["compare", str(scenario_a), str(scenario_b), "--out", str(out), "-q", "--no-map"]
    assert main(argv) == 0
    assert _table(out).loc["practices shared", "a"] == "20"
    assert len(_changes(out)) == 20
    assert "sites_a.csv (A) against sites_b.csv (B)" in capsys.readouterr().out
    pcn = ["compare", str(scenario_a), "--against", "pcn", "--out", str(tmp_path / "p"), "-q"]
    assert main([*pcn, "--no-map"]) == 0
    assert main(["compare", str(scenario_b), "--against", "pcn", "--out", str(tmp_path / "q")]) == 2
    assert NO_PCNS in capsys.readouterr().err


def test_sites_that_share_no_practice_with_a_footprint(north_staffs, tmp_path, capsys):
    path = tmp_path / "new_sites.csv"
    north_staffs.iloc[:30][COLUMNS].assign(practice_code=[f"NEW{k}" for k in range(30)]).to_csv(
        path, index=False
    )
    argv = ["compare", str(path), "north-staffs", "--out", str(tmp_path / "c"), *RULES]
    assert main([*argv, "--no-map"]) == 2
    err = capsys.readouterr().err
    assert "the plans share no practice (new_sites.csv and north-staffs)" in err
    assert "the practice_code of new_sites.csv must hold the practices' ODS codes" in err
    assert "Traceback" not in err


def test_quiet_compare_leaves_stderr_empty(sites, tmp_path):
    """A real process: the solver banner, the spinners and the logs stay off stderr."""
    import subprocess
    import sys

    argv = ["compare", str(sites["a"]), str(sites["b"]), "--out", str(tmp_path / "c"), *RULES]
    done = subprocess.run(
        [sys.executable, "-m", "mcp_geo", *argv, "--no-map"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "sites_a.csv (A) against sites_b.csv (B)" in done.stdout
