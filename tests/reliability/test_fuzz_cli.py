"""The command line under random input: random bytes and random mutations of a valid sites CSV
and scenario file. Only exit 0, 1 (no plan in time), 2 (bad input) or 3 (rules that cannot be
met) are accepted, never a traceback, and a plan loses no practice: every site read is in
practices.csv or exclusions.csv.

The footprints are small (15 real practice sites) and the time limit is capped by the command
line, so each case runs in about a second.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mcp_geo.cli import main

ACCEPTED = {0, 1, 2, 3}
CAPS = ["--time-limit", "5", "--threads", "1", "-q"]

# 15 practices of Stoke-on-Trent (codes, list sizes and sites of the April 2025 snapshot are
# read from the shipped data in the fixture below, so nothing here is made up)
PRACTICES = 15


@pytest.fixture(scope="module")
def valid_sites() -> str:
    from mcp_geo.practices import open_data, select_footprint

    practices = select_footprint(open_data(None), "north-staffs").practices
    rows = practices.sort_values("practice_code").head(PRACTICES)
    out = io.StringIO()
    out.write("practice_code,practice_name,patients,latitude,longitude,pcn_code\n")
    for r in rows.itertuples():
        name = str(r.practice_name).replace(",", " ")
        out.write(
            f"{r.practice_code},{name},{r.patients},{r.latitude:.6f},{r.longitude:.6f},"
            f"{r.pcn_code or ''}\n"
        )
    return out.getvalue()


VALID_SCENARIO = """\
footprint = "sites.csv"
hub_min = 20000
hub_max = 60000
max_km = 15
mcp_min = 60000
mode = "staged"
engine = "auto"
gap = 0.0001
time_limit = 5
strict = false
no_mcps = false
"""

NASTY = [
    "",
    ",",
    '"',
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "-1",
    "0",
    "1e400",
    "9e18",
    "99999999999999999999",
    "nan",
    "inf",
    "=cmd|' /C calc'!A0",
    "é",
    "\ufeff",
    "<script>alert(1)</script>",
    "practice_code",
]

TOML_VALUES = [
    '"false"',
    "true",
    "false",
    '"none"',
    '"15"',
    "0",
    "-5",
    "1e308",
    "nan",
    "inf",
    "99999999999999999999999",
    "[]",
    "[1, 2]",
    "{}",
    '"joint"',
    '"columns"',
    '"compact"',
    '"<img src=x onerror=alert(1)>"',
    "2026-12-02",
    '"../../etc/passwd"',
    '"north-staffs"',
]


def _mutate_text(text: str, data: st.DataObject) -> str:
    """One random edit of a CSV: a character, a field, a whole line."""
    lines = text.split("\n")
    kind = data.draw(st.sampled_from(["char", "field", "line-dup", "line-drop", "header"]))
    body = len(lines[0]) + 1  # edits of characters and fields go to the rows (the header
    if kind == "char" and len(text) > body:  # has its own kind of edit)
        at = data.draw(st.integers(body, len(text) - 1))
        return text[:at] + data.draw(st.sampled_from(NASTY)) + text[at + 1 :]
    if kind == "field":
        row = data.draw(st.integers(min(1, len(lines) - 1), len(lines) - 1))
        cells = lines[row].split(",")
        cell = data.draw(st.integers(0, max(len(cells) - 1, 0)))
        cells[cell] = data.draw(st.sampled_from(NASTY))
        lines[row] = ",".join(cells)
    elif kind == "line-dup":
        row = data.draw(st.integers(0, len(lines) - 1))
        lines.insert(row, lines[row])
    elif kind == "line-drop":
        del lines[data.draw(st.integers(0, len(lines) - 1))]
    else:
        header = lines[0].split(",")
        header[data.draw(st.integers(0, len(header) - 1))] = data.draw(
            st.sampled_from(["", "patients", "practice_code", "PATIENTS", "lat", "x y"])
        )
        lines[0] = ",".join(header)
    return "\n".join(lines)


def _encode(text: str, data: st.DataObject) -> bytes:
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _sites_read(raw: bytes) -> set[str] | None:
    """The codes of the data rows of a sites file, read independently of the tool."""
    for encoding in ("utf-16", "utf-8-sig", "cp1252"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        rows = csv.DictReader(io.StringIO(text))
        return {(row.get("practice_code") or "").strip() for row in rows}
    return None


def _codes(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["practice_code"] for row in csv.DictReader(handle)]


def _run(args: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _check_plan(out: Path, sites: bytes) -> None:
    planned = _codes(out / "practices.csv")
    excluded = _codes(out / "exclusions.csv")
    assert len(planned) == len(set(planned)), "a practice planned twice"
    assert not set(planned) & set(excluded), "a practice both planned and excluded"
    read = _sites_read(sites)
    if read is not None:
        assert set(planned) | set(excluded) == read, "a practice was lost"


FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data())
def test_mutated_sites_files(tmp_path_factory, capsys, valid_sites, data):
    folder = tmp_path_factory.mktemp("sites")
    text = valid_sites
    for _ in range(data.draw(st.integers(1, 3))):
        text = _mutate_text(text, data)
    raw = _encode(text, data)
    (folder / "sites.csv").write_bytes(raw)
    out = folder / "plan"
    args = ["plan", str(folder / "sites.csv"), "--out", str(out), "--hub-min", "20000"]
    code, err = _run([*args, "--hub-max", "60000", "--mcp-min", "60000", *CAPS], capsys)
    assert code in ACCEPTED, err
    event(f"exit {code}")
    assert "Traceback" not in err
    if code == 0:
        _check_plan(out, raw)
    else:
        assert err.strip(), "a failure without a message"


@FUZZ
@given(data=st.data())
def test_mutated_scenario_files(tmp_path_factory, capsys, valid_sites, data):
    folder = tmp_path_factory.mktemp("scenario")
    (folder / "sites.csv").write_text(valid_sites, encoding="utf-8")
    lines = VALID_SCENARIO.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.integers(0, len(lines) - 1))
        key = lines[row].split("=")[0].strip()
        action = data.draw(st.sampled_from(["value", "value", "drop", "unknown", "char"]))
        if action == "value" and key not in ("footprint", "time_limit"):
            lines[row] = f"{key} = {data.draw(st.sampled_from(TOML_VALUES))}"
        elif action == "drop" and key != "footprint":
            del lines[row]
        elif action == "unknown":
            lines.append(f"{data.draw(st.sampled_from(['hubmin', 'no-mcps', 'x']))} = 1")
        elif action == "char":
            at = data.draw(st.integers(0, len(lines[row])))
            lines[row] = lines[row][:at] + data.draw(st.sampled_from(NASTY)) + lines[row][at:]
    text = "\n".join(lines) + "\n"
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8", errors="replace")
    out = folder / "plan"
    code, err = _run(["plan", str(path), "--out", str(out), *CAPS], capsys)
    assert code in ACCEPTED, err
    event(f"exit {code}")
    assert "Traceback" not in err
    if code == 0:
        _check_plan(out, (folder / "sites.csv").read_bytes())
        try:
            given_options = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return
        written = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
        for key in ("hub_min", "hub_max", "mcp_min", "no_mcps", "strict"):
            if key in given_options:
                assert written[key] == given_options[key], key  # what ran is what was asked
    else:
        assert err.strip(), "a failure without a message"


@settings(max_examples=20, deadline=None, derandomize=True)
@given(raw=st.binary(max_size=400), as_scenario=st.booleans())
def test_random_bytes(tmp_path_factory, raw, as_scenario):
    folder = tmp_path_factory.mktemp("bytes")
    path = folder / ("scenario.toml" if as_scenario else "sites.csv")
    path.write_bytes(raw)
    import contextlib
    import io as _io

    err = _io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(_io.StringIO()):
        try:
            code = main(["plan", str(path), "--out", str(folder / "plan"), *CAPS])
        except SystemExit as exc:
            code = int(exc.code or 0)
    assert code in {2, 3}, err.getvalue()  # a few random bytes never make 20,000 patients
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().strip()
