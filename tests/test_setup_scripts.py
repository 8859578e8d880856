"""scripts/ensure-chromium.sh: the set-up of ./run and ./test installs the browser they need.

Run with a fake ``apt-get`` (and ``id``, ``sudo``) first on PATH, which records its arguments and
succeeds or fails as told, and ``CHROMIUM_PATH`` naming where the browser would be.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure-chromium.sh"


def _fakes(tmp_path: Path, *, apt_ok: bool, uid: int, sudo_ok: bool = True) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    scripts = {
        "apt-get": f'echo "apt-get $*" >> {calls}\necho "E: apt says no" >&2\nexit {0 if apt_ok else 100}',
        "id": f"echo {uid}",
        "sudo": f'[ "$1" = -n ] && shift && {{ {"true" if sudo_ok else "exit 1"}; }}\n'
        f'echo "sudo $*" >> {calls}\n"$@"',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, bin_dir: Path, *args: str, browser: Path | None = None):
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "CHROMIUM_PATH": str(browser or tmp_path / "no-chromium"),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
    )


def _calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "calls.txt"
    return calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize("want", ["", "dev"])
def test_a_missing_browser_is_installed_for_the_main_job_and_the_tests(tmp_path, want):
    bin_dir = _fakes(tmp_path, apt_ok=True, uid=0)
    done = _run(tmp_path, bin_dir, *([want] if want else []))
    assert done.returncode == 0, done.stderr
    assert _calls(tmp_path) == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert "installing Debian's chromium" in done.stderr
    assert "apt says no" not in done.stderr  # apt's output is kept out of the way when it works


def test_an_installed_browser_is_left_alone(tmp_path):
    bin_dir = _fakes(tmp_path, apt_ok=True, uid=0)
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    done = _run(tmp_path, bin_dir, browser=browser)
    assert (done.returncode, done.stderr, _calls(tmp_path)) == (0, "", [])


def test_the_main_job_goes_on_without_the_browser_when_apt_fails(tmp_path):
    bin_dir = _fakes(tmp_path, apt_ok=False, uid=0)
    done = _run(tmp_path, bin_dir)
    assert done.returncode == 0
    assert "E: apt says no" in done.stderr  # the log's tail says why
    assert "warning: chromium could not be installed; report.pdf will not be written" in (
        done.stderr
    )


def test_the_tests_set_up_fails_when_apt_fails(tmp_path):
    bin_dir = _fakes(tmp_path, apt_ok=False, uid=0)
    done = _run(tmp_path, bin_dir, "dev")
    assert done.returncode != 0
    assert "E: apt says no" in done.stderr


def test_a_user_without_password_free_sudo_is_not_asked_for_one_by_the_main_job(tmp_path):
    bin_dir = _fakes(tmp_path, apt_ok=True, uid=1000, sudo_ok=False)
    done = _run(tmp_path, bin_dir)
    assert (done.returncode, _calls(tmp_path)) == (0, [])


def test_a_user_with_password_free_sudo_installs_through_it(tmp_path):
    bin_dir = _fakes(tmp_path, apt_ok=True, uid=1000)
    done = _run(tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    assert "sudo apt-get install -y -qq chromium" in _calls(tmp_path)


def test_the_script_is_what_the_venv_set_up_calls():
    venv = (SCRIPT.parent / "ensure-venv.sh").read_text()
    assert '"$root/scripts/ensure-chromium.sh" "$want"' in venv
    assert os.access(SCRIPT, os.X_OK)
