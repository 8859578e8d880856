"""The reference grouping a plan starts from (``reference``): today's PCNs, or an earlier plan's hubs.

DESIGN.md, Words: "Reference grouping and moves". ``reference = "pcn"`` takes each practice's
``pcn_code`` (official practices have one; a sites file only with its optional ``pcn_code``
column, and is refused clearly without it); an earlier plan's folder takes each practice's hub
in that plan (read with :func:`~mcp_geo.plans.read.read_plan`): practices it does not hold have
no group, and its practices outside the footprint are left out. Practices without a group never
count as moves.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.plans.plan import Plan
from mcp_geo.plans.reference import group_labels
from mcp_geo.scenario import Scenario

log = logging.getLogger(__name__)

REFERENCE_COLUMNS = ("reference_group", "reference_name")
"""The columns a plan made with a reference adds to its practices: the group (practices.csv's
``reference_group``) and the group's name where known (the PCN's name; the earlier hub's base)."""


def resolve_reference(
    practices: pd.DataFrame, *, scenario: Scenario, earlier: Plan | None = None
) -> pd.DataFrame | None:
    """Each practice's reference group and its name, for the scenario's ``reference``.

    Parameters
    ----------
    practices
        The footprint's practices: practice_code, and pcn_code (pcn_name) for ``"pcn"``.
    scenario
        The footprint (a sites file is told in its own words) and ``reference``.
    earlier
        The earlier plan that ``reference`` names, when it is already in memory (``compare``
        re-plans B from A before A's folder is written); None: read from the folder.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by practice_code in ``practices``' order: ``reference_group`` and
        ``reference_name`` (None: no group, or no name known); None without a reference.

    Raises
    ------
    ValidationError
        ``"pcn"`` for a sites file with no ``pcn_code`` (column or value); a folder that does
        not exist or is not a plan folder. The problem names the option ``reference``.
    """
    source = scenario.reference
    if source is None:
        return None
    codes = practices["practice_code"].astype(str)
    if scenario.reference_is_pcn:
        _require_pcn_codes(practices, footprint=scenario.footprint)
        names = practices["pcn_name"] if "pcn_name" in practices.columns else None
        table = _table(codes, groups=practices["pcn_code"], names=names)
    else:
        hubs = _earlier_hubs(source) if earlier is None else _plan_hubs(earlier)
        groups = codes.map(hubs["hub_id"])
        table = _table(codes, groups=groups, names=codes.map(hubs["base_name"]))
    known = int(table["reference_group"].notna().sum())
    log.info("reference %s: %d of %d practices in a group", source, known, len(table))
    return table


def fingerprint_groups(practices: pd.DataFrame, *, scenario: Scenario) -> pd.Series | None:
    """The reference groups a footprint's plan will resolve, for its fingerprint (a national
    run keys its parts by it before they are planned).

    Parameters
    ----------
    practices
        The footprint's practices.
    scenario
        The footprint's scenario.

    Returns
    -------
    pandas.Series or None
        Group by practice code; None without a reference, or when the plan will refuse it.
    """
    try:
        table = resolve_reference(practices, scenario=scenario)
    except ValidationError:
        return None
    return None if table is None else table["reference_group"]


def _table(codes: pd.Series, *, groups: pd.Series, names: pd.Series | None) -> pd.DataFrame:
    """reference_group and reference_name by practice code (a name only beside a group)."""
    index = pd.Index(codes.to_numpy(), name="practice_code")
    group = group_labels(pd.Series(groups.to_numpy(), index=index))
    name = group_labels(pd.Series(None if names is None else names.to_numpy(), index=index))
    name = name.where(group.notna(), None)
    return pd.DataFrame({"reference_group": group, "reference_name": name}, dtype=object)


def _require_pcn_codes(practices: pd.DataFrame, *, footprint: str) -> None:
    """Refuse ``reference = "pcn"`` when no practice has a PCN code (a sites file without them)."""
    if "pcn_code" in practices.columns and group_labels(practices["pcn_code"]).notna().any():
        return
    if footprint.strip().lower().endswith(".csv"):
        message = (
            f"'pcn' needs PCN codes, and the sites file {Path(footprint).name} has none: add the "
            "optional 'pcn_code' column (each site's PCN; empty: no group), or give the folder of "
            "an earlier plan"
        )
    else:
        message = f"'pcn' needs PCN codes, and no practice of {footprint} has one"
    raise ValidationError([Problem(message, key="reference", value="pcn")])


def _earlier_hubs(folder: str) -> pd.DataFrame:
    """The earlier plan's hub (``hub_id``) and its base's name (``base_name``) by practice code.

    Raises
    ------
    ValidationError
        The folder does not exist, is not a plan folder, or cannot be read.
    """
    from mcp_geo.plans.read import is_plan_dir, read_plan

    path = Path(folder).expanduser()
    if not path.exists():
        problem = f"the folder {folder} does not exist (give 'pcn' or an earlier plan's folder)"
        raise ValidationError([Problem(problem, key="reference", value=folder)])
    if not is_plan_dir(path):
        problem = (
            f"{folder} is not a plan folder (a folder `mcp-geo plan` wrote, with report.json "
            "and plan.gpkg)"
        )
        raise ValidationError([Problem(problem, key="reference", value=folder)])
    try:
        plan = read_plan(path)
    except ValidationError as exc:
        problems = [
            Problem(f"the plan folder {folder} cannot be read: {p.text()}", key="reference")
            for p in exc.problems
        ]
        raise ValidationError(problems) from exc
    return _plan_hubs(plan)


def _plan_hubs(plan: Plan) -> pd.DataFrame:
    """A plan's hub (``hub_id``) and its base's name (``base_name``) by practice code."""
    practices = plan.practices.assign(practice_code=plan.practices["practice_code"].astype(str))
    base_names = plan.hubs.set_index(plan.hubs["hub_id"].astype(str))["base_name"]
    hub_ids = practices["hub_id"].astype(str)
    return pd.DataFrame(
        {"hub_id": hub_ids.to_numpy(), "base_name": hub_ids.map(base_names).to_numpy()},
        index=practices["practice_code"].to_numpy(),
    )
