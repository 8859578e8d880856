"""Output folders: the tool replaces or deletes only what it made itself (mcp_geo._folders)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_geo._errors import ValidationError
from mcp_geo._folders import (
    GENERATOR,
    MARKER,
    check_output_dir,
    check_output_file,
    claim_output_dir,
    open_output_dir,
    read_marker,
    record_entry,
    write_marker,
)
from mcp_geo.cli import main
from mcp_geo.plans.write import PLAN_FILES

PLAN = ["plan", "north-staffs", "--no-mcps", "--time-limit", "60"]


@pytest.fixture
def no_solving(monkeypatch):
    """Fail the test if the command gets as far as planning."""
    import mcp_geo.pipeline.footprint

    def refuse(*args, **kwargs):
        raise AssertionError("the run reached the solver")

    monkeypatch.setattr(mcp_geo.pipeline.footprint, "run_scenario", refuse)
    return refuse


def _user_folder(path: Path) -> dict[str, bytes]:
    (path / "sub").mkdir(parents=True)
    (path / "important.txt").write_text("board paper draft\n")
    (path / "sub" / "notes.md").write_text("# notes\n")
    return _snapshot(path)


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def written_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "ns"
    assert main([*PLAN, "--out", str(out), "-q"]) == 0
    return out


def test_a_folder_the_tool_did_not_write_is_refused_before_solving(tmp_path, capsys, no_solving):
    out = tmp_path / "mine"
    before = _user_folder(out)
    assert main([*PLAN, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a folder mcp-geo did not write (it holds important.txt, sub)" in err
    assert "nothing in it was changed" in err
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no lock or staging left


def test_the_message_names_five_entries_and_counts_the_rest(tmp_path):
    for i in range(8):
        (tmp_path / f"f{i}.txt").write_text("x")
    with pytest.raises(ValidationError, match=r"f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 3 more"):
        check_output_dir(tmp_path, kind="plan")


@pytest.mark.parametrize("kind", ["compare", "map", "england"])
def test_compare_map_and_england_refuse_a_users_folder_or_file(
    tmp_path, capsys, monkeypatch, no_solving, kind
):
    out = tmp_path / "mine"
    before = _user_folder(out)
    if kind == "england":
        import mcp_geo.practices

        monkeypatch.setattr(mcp_geo.practices, "open_data", no_solving)
        args = ["plan", "england", "--by", "icb", "--only", "QNC", "--out", str(out)]
        assert main(args) == 2
        assert "mcp-geo did not write" in capsys.readouterr().err
        assert _snapshot(out) == before
    elif kind == "compare":
        args = ["compare", "north-staffs", "--against", "pcn", "--out", str(out)]
        assert main(args) == 2
        assert "mcp-geo did not write" in capsys.readouterr().err
        assert _snapshot(out) == before
    else:
        page = out / "important.txt"
        assert main(["map", str(tmp_path), "--out", str(page)]) == 2
        assert "exists and was not written by mcp-geo" in capsys.readouterr().err
        assert _snapshot(out) == before


@pytest.mark.parametrize("where", ["root", "dot", "empty", "home", "holds-cwd"])
def test_dangerous_places_are_refused(tmp_path, monkeypatch, capsys, no_solving, where):
    home = tmp_path / "home"
    work = home / "work" / "deep"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    out = {"root": "/", "dot": ".", "empty": "", "home": str(home), "holds-cwd": str(work.parent)}
    assert main([*PLAN, "--out", out[where]]) == 2
    err = capsys.readouterr().err
    expected = {
        "root": "is the root of the file system",
        "dot": "is or holds the current folder",
        "empty": "is or holds the current folder",  # argparse makes "" the current folder
        "home": "is your home folder",
        "holds-cwd": "is or holds the current folder",
    }
    assert expected[where] in err
    assert list(work.iterdir()) == []
    with pytest.raises(ValidationError, match="is empty: name a folder"):
        check_output_dir("", kind="plan")
    with pytest.raises(ValidationError, match="holds your home folder"):
        check_output_dir(tmp_path, kind="plan")


def test_a_plan_folder_is_replaced_but_not_once_it_holds_a_users_file(
    written_plan, tmp_path, capsys
):
    out = tmp_path / "ns"
    out.mkdir()  # an empty folder is fine
    assert main([*PLAN, "--out", str(out), "-q"]) == 0
    assert read_marker(out) == set(PLAN_FILES)
    assert main([*PLAN, "--out", str(out), "-q"]) == 0  # its own plan: replaced
    (out / "my-notes.txt").write_text("keep me\n")
    capsys.readouterr()
    assert main([*PLAN, "--out", str(out), "-q"]) == 2
    assert "holds entries mcp-geo did not write (my-notes.txt)" in capsys.readouterr().err
    assert (out / "my-notes.txt").read_text() == "keep me\n"
    assert read_marker(out) == set(PLAN_FILES)


def test_plans_of_earlier_versions_still_count(written_plan, tmp_path):
    import shutil

    legacy = tmp_path / "legacy"
    shutil.copytree(written_plan, legacy)
    (legacy / MARKER).unlink()  # as an earlier version wrote it
    assert check_output_dir(legacy, kind="plan").path == legacy
    (legacy / "extra.xlsx").write_text("mine")
    with pytest.raises(
        ValidationError, match=r"holds entries mcp-geo did not write \(extra.xlsx\)"
    ):
        check_output_dir(legacy, kind="plan")


def test_a_national_folder_holding_only_its_parts_counts(tmp_path):
    out = tmp_path / "england"
    with claim_output_dir(out, kind="national") as folder:
        (open_output_dir(folder, entries=[".parts"]) / ".parts").mkdir()
    assert sorted(p.name for p in out.iterdir()) == sorted([".parts", MARKER])
    assert check_output_dir(out, kind="national").path == out


def test_a_symbolic_link_is_written_through(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main([*PLAN, "--out", str(link), "-q"]) == 0
    assert link.is_symlink()
    assert read_marker(real) == set(PLAN_FILES)
    assert main([*PLAN, "--out", str(link), "-q"]) == 0  # replaced again, still a link
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ValidationError, match=r"is a symbolic link to .*nowhere, which does not"):
        check_output_dir(dangling, kind="plan")


_HOLD = """
import sys, time
from mcp_geo._folders import claim_output_dir
with claim_output_dir(sys.argv[1], kind="plan"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_run_on_the_same_folder_stops_at_once(tmp_path, capsys, no_solving):
    out = tmp_path / "plan"
    other = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "held"
        # the other run's staging folder, as write_output_dir makes it
        staging = tmp_path / ".plan.x1y2.partial"
        staging.mkdir()
        (staging / MARKER).write_text(json.dumps({"written_by": "mcp-geo", "entries": []}))
        assert main([*PLAN, "--out", str(out)]) == 2
        assert f"another run is writing {out}" in capsys.readouterr().err
        # refused while the other run still holds the lock: it did not wait for the lock to free
        assert other.poll() is None
        assert staging.is_dir()  # never removes the other run's files
    finally:
        other.send_signal(signal.SIGKILL)  # a killed run: its lock dies with it
        other.wait()
    with claim_output_dir(out, kind="plan"):
        pass
    assert not (tmp_path / ".plan.lock").exists()


def test_a_killed_runs_staging_is_removed_only_when_it_is_ours(written_plan, tmp_path):
    from mcp_geo.plans.read import read_plan
    from mcp_geo.plans.write import write_plan

    plan = read_plan(written_plan)
    ours = tmp_path / ".out.abc.partial"
    ours.mkdir()
    (ours / MARKER).write_text(json.dumps({"written_by": "mcp-geo", "entries": []}))
    theirs = tmp_path / ".out.def.partial"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("mine")
    write_plan(plan, tmp_path / "out")
    assert not ours.exists()
    assert (theirs / "thesis.tex").read_text() == "mine"


def test_map_files_are_replaced_only_when_the_tool_wrote_them(written_plan, tmp_path, capsys):
    assert main(["map", str(written_plan)]) == 0
    assert "map.html" in read_marker(written_plan)
    page = tmp_path / "board.html"
    assert main(["map", str(written_plan), "--out", str(page)]) == 0
    assert GENERATOR in page.read_text(encoding="utf-8")[:4096]
    assert main(["map", str(written_plan), "--out", str(page)]) == 0  # its own page again
    page.write_text("<html><head></head><body>the board's own page</body></html>")
    assert main(["map", str(written_plan), "--out", str(page)]) == 2
    assert "board's own page" in page.read_text()
    with pytest.raises(ValidationError, match="is a folder, not a file"):
        check_output_file(tmp_path)


def test_a_comparison_folder_is_written_whole_and_can_be_rewritten(written_plan, tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", str(written_plan), "north-staffs", "--no-mcps", "--no-map", "-q"]
    assert main([*args, "--out", str(out)]) == 0
    entries = {"comparison.csv", "comparison.json", "changes.csv", "plan-b", "plan-b-own"}
    assert read_marker(out) == entries  # plan-b-own: B re-planned from A's hubs (view 4)
    assert read_marker(out / "plan-b") == set(PLAN_FILES)
    assert main([*args, "--out", str(out)]) == 0
    assert os.listdir(tmp_path) == ["cmp"]


def test_record_entry_adds_the_name_and_keeps_the_markers_kind(tmp_path):
    write_marker(tmp_path, kind="comparison", entries=["comparison.csv"])
    record_entry(tmp_path, "map.html")
    marker = json.loads((tmp_path / MARKER).read_text())
    assert marker == {
        "written_by": "mcp-geo",
        "kind": "comparison",
        "entries": ["comparison.csv", "map.html"],
    }
    # a kind a later version wrote is written back as it was
    marker["kind"] = "atlas"
    (tmp_path / MARKER).write_text(json.dumps(marker))
    record_entry(tmp_path, "legend.html")
    assert json.loads((tmp_path / MARKER).read_text())["kind"] == "atlas"
    assert read_marker(tmp_path) == {"comparison.csv", "map.html", "legend.html"}


def test_record_entry_leaves_a_folder_without_a_marker_alone(tmp_path):
    record_entry(tmp_path, "map.html")
    assert list(tmp_path.iterdir()) == []
