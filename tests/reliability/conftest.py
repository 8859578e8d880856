"""A data folder like ../shared/data with defects injected into copies of chosen files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

LIST_2025 = "nhs/gp-reg-pat-prac-all_2025-04.csv"
MAP_2025 = "nhs/gp-reg-pat-prac-map_2025-10.csv"


@pytest.fixture
def data_folder(shared_data: Path, tmp_path: Path) -> Callable[..., Path]:
    """``data_folder({relative path: edit(text) -> text or bytes})``: a folder of symlinks to the
    real files, with the named files replaced by edited copies."""

    def make(edits: dict[str, Callable[[str], str | bytes]]) -> Path:
        root = tmp_path / "data"
        for folder in ("nhs", "geo"):
            (root / folder).mkdir(parents=True)
            for source in (shared_data / folder).iterdir():
                (root / folder / source.name).symlink_to(source)
        for relative, edit in edits.items():
            target = root / relative
            text = (shared_data / relative).read_bytes().decode("utf-8")
            target.unlink()
            new = edit(text)
            target.write_bytes(new if isinstance(new, bytes) else new.encode("utf-8"))
        return root

    return make


def check_json(main, capsys, folder: Path) -> dict:
    """Run `mcp-geo data check DIR --json` and return its JSON."""
    assert main(["data", "check", str(folder), "--json"]) == 0
    return json.loads(capsys.readouterr().out)
