"""The package type-checks: mypy with the project's configuration reports no error.

mypy reads ``[tool.mypy]`` in pyproject.toml (the files to check, strict where the decisions are
made, the untyped libraries to ignore); the test only runs it from the repository root, so
``./test`` checks the types as it checks everything else.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_reports_no_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy found errors:\n{output}"
    assert "Success: no issues found" in output, output
