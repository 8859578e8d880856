"""An independent checker of written plans: it reads only the output files, never the model.

It recomputes from practices.csv / hubs.csv / mcps.csv what the plan claims and returns every
violation it finds (an empty list means the plan is sound):

- every practice once, columns exactly as DESIGN.md "Outputs" names them;
- hubs within [hub_min, hub_max], unless report.json names the hub as an exception, and then
  only with the right kind: ``over_ceiling`` a single practice over the ceiling, ``isolated`` or
  ``under_floor`` a hub under the floor whose ``shortfall`` is floor - patients; each named
  exception's patients, practices (and an MCP's hubs) as the CSVs have them, in report.json's
  order; hubs.csv's ``exception`` and ``shortfall`` columns written exactly when a hub is named,
  saying the same (mcps.csv likewise); the ``under_floor`` total between the certificate's
  ``shortfall`` stage's bound and objective (the proven least);
- base rules: each hub's base practice has at least base_min_patients, each MCP's base hub's
  base practice at least mcp_base_min_patients; with ``bases`` (candidate sites), each hub's base
  is a site (its position read from plan.gpkg's hubs layer), no site the base of two hubs, and
  distances are measured to the site; practices excluded for having no allowed base only when
  a base rule is set;
- distances practice -> hub base recomputed by the haversine formula, and within max_km;
- MCPs are unions of whole hubs, at least mcp_min (and at most mcp_max), hub -> MCP base km recomputed;
- hub and MCP totals, counts and spans recomputed; the weighted travel metrics and the hub objective
  (patients x km) recomputed from the CSV and compared with report.json;
- given each practice's official areas (taken by the test from the official files, not from the
  plan), the area rules: no hub of two areas of ``hubs_within`` (nor of ``mcps_within``), no MCP
  of two areas of ``mcps_within``; and report.json's ``metrics.crossings`` recounted.
- report.json's ``metrics.by_area`` (null for the user's own sites): each level's practices and
  patients add up to the plan's, its areas sorted by code (those without a code last).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

R_KM = 6371.0088
PRACTICE_COLUMNS = [
    "practice_code",
    "practice_name",
    "postcode",
    "patients",
    "latitude",
    "longitude",
    "pcn_code",
    "hub_id",
    "hub_base_code",
    "mcp_id",
    "km_to_hub_base",
]
HUB_COLUMNS = [
    "hub_id",
    "base_code",
    "base_name",
    "patients",
    "practices",
    "mcp_id",
    "km_to_mcp_base",
]
MCP_COLUMNS = ["mcp_id", "base_hub_id", "base_code", "patients", "hubs", "practices", "span_km"]
EXCEPTION_COLUMNS = ["exception", "shortfall"]
KINDS = ("over_ceiling", "isolated", "under_floor")
EXCLUSION_COLUMNS = ["practice_code", "reason", "source"]
STATUSES = {"optimal", "feasible", "no_solution", "infeasible"}


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(min(1.0, h)))


def _by_area_errors(metrics: dict, *, practices: int, patients: int) -> list[str]:
    """report.json's by_area: present, known levels, totals the plan's, areas sorted by code."""
    if "by_area" not in metrics:
        return ["report.json metrics has no by_area"]
    if metrics["by_area"] is None:
        return []
    errors = []
    for level, areas in metrics["by_area"].items():
        if level not in ("sub_icb", "icb", "ccg19"):
            errors.append(f"by_area: unknown level {level!r}")
        total = (sum(a["practices"] for a in areas), sum(a["patients"] for a in areas))
        if total != (practices, patients):
            errors.append(f"by_area.{level}: {total} != the plan's ({practices}, {patients})")
        keys = [(a["code"] is None, a["code"] or "") for a in areas]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            errors.append(f"by_area.{level}: areas not sorted by code, or repeated")
    return errors


def check_plan(
    folder: str | Path, *, areas: dict[str, dict[str, str | None]] | None = None
) -> list[str]:
    """Every violation found in the plan written in ``folder``.

    ``areas``: level (``sub-icb``...) -> practice code -> its area code (None for none), for
    the area rules and the crossing counts of those levels.
    """
    folder = Path(folder)
    errors: list[str] = []
    practices = pd.read_csv(folder / "practices.csv", dtype={"practice_code": str, "mcp_id": str})
    hubs = pd.read_csv(folder / "hubs.csv", dtype={"hub_id": str, "mcp_id": str})
    mcps = pd.read_csv(folder / "mcps.csv", dtype={"mcp_id": str})
    exclusions = pd.read_csv(folder / "exclusions.csv", dtype=str)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    params = report["parameters"]

    for name, frame, columns in (
        ("practices.csv", practices, PRACTICE_COLUMNS),
        ("hubs.csv", hubs, HUB_COLUMNS),
        ("mcps.csv", mcps, MCP_COLUMNS),
        ("exclusions.csv", exclusions, EXCLUSION_COLUMNS),
    ):
        if list(frame.columns)[: len(columns)] != columns:
            errors.append(f"{name}: columns {list(frame.columns)} != {columns}")
    if errors:
        return errors

    codes = practices["practice_code"]
    if codes.duplicated().any():
        errors.append(f"practices more than once: {sorted(codes[codes.duplicated()])}")
    if list(codes) != sorted(codes):
        errors.append("practices.csv is not sorted by practice_code")
    if practices["hub_id"].isna().any():
        errors.append(f"practices without a hub: {list(codes[practices['hub_id'].isna()])}")
    if set(codes) & set(exclusions["practice_code"]):
        errors.append("a practice is both planned and excluded")

    named = report.get("exceptions", [])
    excepted = {e.get("hub_id") or e.get("mcp_id") for e in named if isinstance(e, dict)}
    position = practices.set_index("practice_code")[["latitude", "longitude"]]
    sites = params.get("bases") is not None
    if sites:  # hubs are based at candidate sites: their positions are the hubs layer's points
        import pyogrio

        layer = pyogrio.read_dataframe(folder / "plan.gpkg", layer="hubs")
        position = pd.DataFrame(
            {"latitude": layer.geometry.y.to_numpy(), "longitude": layer.geometry.x.to_numpy()},
            index=layer["base_code"].to_numpy(),
        )
        if hubs["base_code"].duplicated().any():
            errors.append("a site is the base of two hubs")

    # hubs: totals, counts, bounds, bases
    hub_of = practices.set_index("practice_code")["hub_id"]
    patients_of = practices.set_index("practice_code")["patients"]
    no_base = exclusions[exclusions["reason"].str.startswith("no allowed base")]
    if len(no_base) and params.get("base_min_patients") is None and params.get("bases") is None:
        errors.append(f"excluded for no allowed base without a base rule: {list(no_base.index)}")
    totals = practices.groupby("hub_id")["patients"].sum()
    counts = practices.groupby("hub_id").size()
    if set(totals.index) != set(hubs["hub_id"]):
        errors.append("hub ids in practices.csv and hubs.csv differ")
    for hub in hubs.itertuples():
        if totals.get(hub.hub_id) != hub.patients:
            errors.append(f"{hub.hub_id}: patients {hub.patients} != sum {totals.get(hub.hub_id)}")
        if counts.get(hub.hub_id) != hub.practices:
            errors.append(
                f"{hub.hub_id}: practices {hub.practices} != count {counts.get(hub.hub_id)}"
            )
        if not sites and hub_of.get(hub.base_code) != hub.hub_id:
            errors.append(f"{hub.hub_id}: base {hub.base_code} is not a practice of the hub")
        base_min = params.get("base_min_patients")
        base_patients = patients_of.get(hub.base_code, 0)
        if base_min is not None and base_patients < base_min:
            errors.append(f"{hub.hub_id}: base {hub.base_code} has {base_patients} < {base_min}")
        inside = params["hub_min"] <= hub.patients <= params["hub_max"]
        if not inside and hub.hub_id not in excepted:
            errors.append(f"{hub.hub_id}: {hub.patients} patients outside the bounds, no exception")
    errors += check_exceptions(report, practices=practices, hubs=hubs, mcps=mcps)

    # practice -> hub base distances, recomputed
    base_of_hub = hubs.set_index("hub_id")["base_code"]
    objective = 0.0
    for row in practices.itertuples():
        base = base_of_hub.get(row.hub_id)
        if base != row.hub_base_code:
            errors.append(f"{row.practice_code}: hub_base_code {row.hub_base_code} != {base}")
            continue
        km = haversine(row.latitude, row.longitude, *position.loc[base])
        if abs(km - row.km_to_hub_base) > 0.0015:
            errors.append(f"{row.practice_code}: km_to_hub_base {row.km_to_hub_base} != {km:.3f}")
        limit = params["max_km"]
        if limit is not None and km > limit + 1e-6 and row.hub_id not in excepted:
            errors.append(f"{row.practice_code}: {km:.3f} km to its base, over {limit}")
        objective += row.patients * km if params["objective"] == "weighted" else km
    cert = report["certificates"]["hubs"]
    if cert["status"] not in STATUSES:
        errors.append(f"hub certificate status {cert['status']!r}")
    if (
        cert["objective"] is not None
        and abs(objective - cert["objective"]) > 1e-6 * max(1.0, objective) + 1.0
    ):
        errors.append(f"hub objective {cert['objective']} != recomputed {objective:.3f}")
    bounded = cert["bound"] is not None and cert["objective"] is not None
    if bounded and cert["bound"] > cert["objective"] * (1 + 1e-9) + 1e-6:
        errors.append("hub bound above the objective")

    metrics = report["metrics"]
    weights = practices["patients"]
    mean = float((practices["km_to_hub_base"] * weights).sum() / weights.sum())
    if abs(mean - metrics["hubs"]["km_to_base"]["weighted_mean"]) > 0.002:
        errors.append(
            f"weighted mean travel {metrics['hubs']['km_to_base']['weighted_mean']} != {mean:.3f}"
        )
    if metrics["practices"] != len(practices) or metrics["patients"] != int(weights.sum()):
        errors.append("practice or patient totals in report.json differ from practices.csv")
    if metrics["hubs"]["count"] != len(hubs):
        errors.append("hub count in report.json differs from hubs.csv")
    errors += _by_area_errors(metrics, practices=len(practices), patients=int(weights.sum()))

    errors += check_areas(practices, report, areas or {})
    if params["no_mcps"]:
        if len(mcps) or practices["mcp_id"].notna().any():
            errors.append("no_mcps, but MCPs were written")
        return errors

    # MCPs: unions of whole hubs
    mcp_of_hub = hubs.set_index("hub_id")["mcp_id"]
    for row in practices.itertuples():
        if mcp_of_hub.get(row.hub_id) != row.mcp_id:
            errors.append(
                f"{row.practice_code}: mcp {row.mcp_id} != its hub's {mcp_of_hub.get(row.hub_id)}"
            )
    for mcp in mcps.itertuples():
        members = hubs[hubs["mcp_id"] == mcp.mcp_id]
        if int(members["patients"].sum()) != mcp.patients:
            errors.append(
                f"{mcp.mcp_id}: patients {mcp.patients} != its hubs' {members['patients'].sum()}"
            )
        if len(members) != mcp.hubs or int(members["practices"].sum()) != mcp.practices:
            errors.append(f"{mcp.mcp_id}: hub or practice counts differ")
        if mcp_of_hub.get(mcp.base_hub_id) != mcp.mcp_id:
            errors.append(f"{mcp.mcp_id}: base hub {mcp.base_hub_id} is not one of its hubs")
        if base_of_hub.get(mcp.base_hub_id) != mcp.base_code:
            errors.append(f"{mcp.mcp_id}: base_code {mcp.base_code} is not its base hub's base")
        mcp_base_min = params.get("mcp_base_min_patients")
        if mcp_base_min is not None and patients_of.get(mcp.base_code, 0) < mcp_base_min:
            errors.append(f"{mcp.mcp_id}: base practice {mcp.base_code} under {mcp_base_min}")
        too_small = mcp.patients < params["mcp_min"]
        too_big = params["mcp_max"] is not None and mcp.patients > params["mcp_max"]
        if (too_small or too_big) and mcp.mcp_id not in excepted:
            errors.append(f"{mcp.mcp_id}: {mcp.patients} patients outside the MCP bounds")
        sites = practices[practices["mcp_id"] == mcp.mcp_id][["latitude", "longitude"]].to_numpy()
        span = max(
            (haversine(*a, *b) for i, a in enumerate(sites) for b in sites[i + 1 :]), default=0.0
        )
        if abs(span - mcp.span_km) > 0.0015:
            errors.append(f"{mcp.mcp_id}: span_km {mcp.span_km} != {span:.3f}")
    for hub in hubs.itertuples():
        mcp_base = mcps.set_index("mcp_id")["base_code"].get(hub.mcp_id)
        km = haversine(*position.loc[hub.base_code], *position.loc[mcp_base])
        if abs(km - hub.km_to_mcp_base) > 0.0015:
            errors.append(f"{hub.hub_id}: km_to_mcp_base {hub.km_to_mcp_base} != {km:.3f}")
        limit = params["mcp_max_km"]
        if limit is not None and km > limit + 1e-6:
            errors.append(f"{hub.hub_id}: {km:.3f} km to its MCP base, over {limit}")
    if report["certificates"]["mcps"]["status"] not in STATUSES:
        errors.append("MCP certificate status")
    return errors


_ID = {"hubs": "hub_id", "mcps": "mcp_id"}


def check_exceptions(
    report: dict, *, practices: pd.DataFrame, hubs: pd.DataFrame, mcps: pd.DataFrame
) -> list[str]:
    """report.json's named exceptions against the CSVs (see the module's docstring)."""
    params = report["parameters"]
    named = report.get("exceptions", [])
    if not all(isinstance(e, dict) for e in named):
        return ["report.json: exceptions are not objects"]
    order = [
        (
            {"hubs": 0, "mcps": 1}.get(e.get("level"), 2),
            e.get(_ID.get(e.get("level"), "")) or "",
            e.get("kind"),
        )
        for e in named
    ]
    errors = [] if order == sorted(order) else ["report.json: exceptions out of order"]
    bounds = {
        "hubs": (params["hub_min"], params["hub_max"]),
        "mcps": (params["mcp_min"], params.get("mcp_max")),
    }
    tables = {"hubs": hubs, "mcps": mcps}
    members = {
        "hubs": practices.groupby("hub_id")["practice_code"].apply(sorted),
        "mcps": practices.groupby("mcp_id")["practice_code"].apply(sorted),
    }
    hubs_of = hubs.groupby("mcp_id")["hub_id"].apply(sorted)
    for e in named:
        level = e.get("level")
        if level not in _ID:
            errors.append(f"exception of unknown level: {e}")
            continue
        errors += _named_group(e, level=level, table=tables[level], bounds=bounds[level])
        gid = e.get(_ID[level])
        if list(e.get("practices", [])) != list(members[level].get(gid, [])):
            errors.append(f"{gid}: named practices {e.get('practices')} are not its practices")
        if level == "mcps" and list(e.get("hubs", [])) != list(hubs_of.get(gid, [])):
            errors.append(f"{gid}: named hubs {e.get('hubs')} are not its hubs")
    for level, table in tables.items():
        errors += _exception_columns(named, table=table, level=level)
    return errors + _proven_shortfall(report, named)


def _named_group(e: dict, *, level: str, table: pd.DataFrame, bounds: tuple) -> list[str]:
    """One named exception: its group exists, its patients, and a kind the bounds allow."""
    floor, ceiling = bounds
    gid = e.get(_ID[level])
    rows = table[table[_ID[level]] == gid]
    if len(rows) != 1:
        return [f"exception names {gid}, not one of the plan's {level}"]
    row = rows.iloc[0]
    errors = []
    if e.get("patients") != int(row["patients"]):
        errors.append(f"{gid}: named with {e.get('patients')} patients, has {row['patients']}")
    kind, short = e.get("kind"), e.get("shortfall")
    members = int(row["practices"] if level == "hubs" else row["hubs"])
    if kind == "over_ceiling":
        if ceiling is None or row["patients"] <= ceiling or members != 1 or short is not None:
            errors.append(f"{gid}: over_ceiling, but {row['patients']} patients in {members}")
    elif kind in ("isolated", "under_floor"):
        if short != floor - int(row["patients"]) or short <= 0:
            errors.append(
                f"{gid}: {kind} with shortfall {short}, but has {int(row['patients']):,} of "
                f"{floor:,}"
            )
    else:
        errors.append(f"{gid}: unknown kind {kind!r}")
    return errors


def _exception_columns(named: list[dict], *, table: pd.DataFrame, level: str) -> list[str]:
    """hubs.csv (mcps.csv) has ``exception`` and ``shortfall`` exactly when one of its groups
    is named, and they say what report.json says."""
    mine = {e[_ID[level]]: e for e in named if e.get("level") == level}
    has = [c for c in EXCEPTION_COLUMNS if c in table.columns]
    if not mine:
        return [f"{level}: exception columns {has} without an exception"] if has else []
    if has != EXCEPTION_COLUMNS:
        return [f"{level}: {len(mine)} exception(s) but columns {list(table.columns)}"]
    errors = []
    for row in table.itertuples():
        e = mine.get(getattr(row, _ID[level]), {})
        kind = row.exception if isinstance(row.exception, str) else None
        short = None if pd.isna(row.shortfall) else int(row.shortfall)
        if (kind, short) != (e.get("kind"), e.get("shortfall")):
            errors.append(f"{level} {getattr(row, _ID[level])}: columns say {(kind, short)}")
    return errors


def _proven_shortfall(report: dict, named: list[dict]) -> list[str]:
    """The under_floor total of each level lies between its shortfall stage's bound and
    objective (equal when proven), and a level with under_floor groups has that stage."""
    errors = []
    for level in ("hubs", "mcps"):
        total = sum(
            e["shortfall"] for e in named if (e["level"], e["kind"]) == (level, "under_floor")
        )
        cert = report["certificates"].get(level) or {}
        stage = next((st for st in cert.get("stages", ()) if st["name"] == "shortfall"), None)
        if stage is None:
            if total:
                errors.append(f"{level}: {total} patients under the floor, no shortfall stage")
            continue
        low = stage["bound"] if stage["bound"] is not None else 0
        if not low - 0.5 <= total <= stage["objective"] + 0.5:
            errors.append(
                f"{level}: under_floor total {total} outside [{stage['bound']}, "
                f"{stage['objective']}] of the shortfall stage"
            )
    return errors


def _spans(
    practices: pd.DataFrame, area_of: dict[str, str | None], column: str
) -> dict[str, list[str | None]]:
    """Groups (hub or MCP ids) whose practices lie in more than one area, with those areas."""
    found: dict[str, set[str | None]] = {}
    for row in practices.itertuples():
        group = getattr(row, column)
        if isinstance(group, str):
            found.setdefault(group, set()).add(area_of.get(row.practice_code))
    return {
        g: sorted(a for a in s if a is not None) + ([None] if None in s else [])
        for g, s in sorted(found.items())
        if len(s) > 1
    }


def check_areas(
    practices: pd.DataFrame, report: dict, areas: dict[str, dict[str, str | None]]
) -> list[str]:
    """The area rules and report.json's crossings, recounted from the practices' areas."""
    errors: list[str] = []
    params = report["parameters"]
    crossings = report["metrics"].get("crossings", {})
    within = {"hubs": params.get("hubs_within"), "mcps": params.get("mcps_within")}
    for level, area_of in areas.items():
        missing = sorted(set(practices["practice_code"]) - set(area_of))
        if missing:
            errors.append(f"{level}: no area given for {missing[:5]}")
        hubs = _spans(practices, area_of, "hub_id")
        mcps = _spans(practices, area_of, "mcp_id")
        if level in (within["hubs"], within["mcps"]) and hubs:
            errors.append(f"hubs crossing {level} areas under a within rule: {hubs}")
        if level == within["mcps"] and mcps:
            errors.append(f"MCPs crossing {level} areas under mcps_within: {mcps}")
        reported = crossings.get(level)
        if reported is None:
            errors.append(f"report.json has no crossings for {level}")
            continue
        if reported["hubs"] != {"count": len(hubs), "crossing": hubs}:
            errors.append(f"{level}: reported hub crossings {reported['hubs']} != {hubs}")
        if not params["no_mcps"] and reported["mcps"] != {"count": len(mcps), "crossing": mcps}:
            errors.append(f"{level}: reported MCP crossings {reported['mcps']} != {mcps}")
        outside = sum(area_of.get(c) is None for c in practices["practice_code"])
        if reported["practices_without_area"] != outside:
            errors.append(
                f"{level}: {reported['practices_without_area']} without area != {outside}"
            )
    return errors
