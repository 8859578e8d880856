"""Names and helpers of the bad-input suite (the data_folder fixture is in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

LIST_2025 = "nhs/gp-reg-pat-prac-all_2025-04.csv"
MAP_2025 = "nhs/gp-reg-pat-prac-map_2025-10.csv"


def check_json(main, capsys, folder: Path) -> dict:
    """Run `mcp-geo data check DIR --json` and return its JSON."""
    assert main(["data", "check", str(folder), "--json"]) == 0
    return json.loads(capsys.readouterr().out)
