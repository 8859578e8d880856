"""Plans the tests of several folders share: 30 real north-staffs sites, optionally with
markup planted in their names (maps, plan files and reports must show it as text)."""

from __future__ import annotations

from pathlib import Path

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", '"><svg onload=alert(3)>')
"""Markup a name from a data file or a user's file may hold: maps must show it as text."""


def write_sites(folder: Path, name: str = "sites.csv", *, planted: bool = False) -> Path:
    """A sites CSV of 30 real north-staffs practices (284,801 patients, from the shipped
    snapshot): practice_code, practice_name, patients, latitude, longitude, pcn_code.

    ``planted`` prefixes each practice name and PCN code with one of :data:`PAYLOADS` in turn.
    """
    import pandas as pd

    from mcp_geo.practices import open_data, select_footprint

    real = select_footprint(open_data(None), "north-staffs").practices.head(30)
    sites = real[["practice_code", "practice_name", "patients", "latitude", "longitude"]].copy()
    sites["pcn_code"] = real["pcn_code"]
    if planted:
        marks = [PAYLOADS[i % 3] for i in range(len(sites))]
        sites["practice_name"] = [
            f"{m} {n}" for m, n in zip(marks, sites["practice_name"], strict=True)
        ]
        sites["pcn_code"] = [f"{m}{c}" for m, c in zip(marks, sites["pcn_code"], strict=True)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pd.DataFrame(sites).to_csv(path, index=False)
    return path


SITES_OPTIONS = {"hub_min": 20_000, "hub_max": 80_000, "engine": "compact", "threads": 1}
"""Bounds the 30 sites meet (11 hubs, 2 MCPs), solved in about a second."""
