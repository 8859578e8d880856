"""docs/tutorial.ipynb runs from top to bottom in a fresh kernel and shows what its text says.

The notebook is committed without outputs; this test executes it with nbclient in an ipykernel
kernel of the running interpreter (the project's .venv), in a temporary folder, and fails on the
first cell that raises. A check cell is appended to the executed copy (never to the file) to read
the notebook's own variables.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"

CHECK = """\
import json
print(json.dumps({
    "hubs_rows": len(hubs),
    "hub_columns": list(hubs.columns),
    "mcps": len(north.mcps),
    "status": [north.certificates.hubs.status, north.certificates.mcps.status],
    "comparison_rows": len(comparison.table()),
    "shared": len(comparison.shared),
}))
"""


def test_tutorial_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id!r} has outputs: clear them before committing"
        assert cell.execution_count is None, f"cell {cell.id!r} has an execution count"


@pytest.mark.slow
def test_tutorial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # jupyter_core warns (DeprecationWarning) unless told to use the platformdirs locations
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's frozen-modules note
    monkeypatch.setenv("JUPYTER_DATA_DIR", os.fspath(tmp_path / "jupyter"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK, id="test-check"))

    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": os.fspath(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    cells = {cell.id: cell for cell in notebook.cells}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert all(o.output_type != "error" for o in cell.outputs), cell.id
    stdout = "".join(o.text for o in cells["test-check"].outputs if o.output_type == "stream")
    facts = json.loads(stdout.strip().splitlines()[-1])
    assert facts["hubs_rows"] == 16
    assert facts["mcps"] == 4
    assert facts["status"] == ["optimal", "optimal"]
    assert "geometry" not in facts["hub_columns"]
    assert {"hub_id", "base_code", "patients", "practices", "mcp_id"} <= set(facts["hub_columns"])
    assert facts["comparison_rows"] > 0
    assert facts["shared"] == 66

    # what the reader sees: the certificates, the hubs table, a map, the comparison table
    plan_out = cells["plan"].outputs[-1]["data"]["text/plain"]
    assert plan_out == "('optimal', 'optimal')"
    assert "<table" in cells["hubs"].outputs[-1]["data"]["text/html"]
    assert "16 hubs of" in "".join(o.get("text", "") for o in cells["hub-sizes"].outputs)
    map_html = cells["map"].outputs[-1]["data"]["text/html"]
    assert "leaflet" in map_html.lower()
    table_html = cells["compare"].outputs[-1]["data"]["text/html"]
    assert "MCP partner retention" in table_html
    assert "provider span km, whole footprint" in table_html
    value = "".join(o.get("text", "") for o in cells["value"].outputs)
    assert re.match(r"\d+% of a shared practice's MCP partners \(by list size\)", value), value
