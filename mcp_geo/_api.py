"""The package's face: the functions a planner calls from Python (and the CLI calls too).

Every option has the CLI's name with underscores and the same meaning, default and checks as
on the command line and in scenario files (:mod:`mcp_geo.scenario`). An option left at None
takes its default; a distance limit of ``"none"`` means no limit, as on the command line.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from mcp_geo._errors import Problem, UnknownKeywordError, ValidationError
from mcp_geo.scenario import OPTION_KEYS, Scenario

if TYPE_CHECKING:
    import folium
    import folium.plugins
    import pandas as pd

    from mcp_geo.national.run import NationalPlan, Progress
    from mcp_geo.national.sweep import Sweep
    from mcp_geo.pipeline.compare import Comparison
    from mcp_geo.plans.plan import Plan
    from mcp_geo.reports import Report

P = ParamSpec("P")
R = TypeVar("R")
Limit = float | Literal["none"] | None
AreaLevel = Literal["sub-icb", "icb", "ccg19", "ccg", "stp"]


def suggest_keywords(function: Callable[P, R]) -> Callable[P, R]:
    """Refuse a misspelt keyword with an :class:`~mcp_geo.UnknownKeywordError` (a TypeError and
    a ValidationError) naming it and the closest valid keyword.

    Parameters
    ----------
    function
        A function whose keyword arguments are checked before it is called.

    Returns
    -------
    Callable
        The function, with the same signature.
    """
    parameters = inspect.signature(function).parameters
    keywords = sorted(
        name for name, p in parameters.items() if p.kind is not inspect.Parameter.VAR_KEYWORD
    )

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        for key in kwargs:
            if key not in parameters:
                close = difflib.get_close_matches(key, keywords, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                message = f"{function.__name__}() got an unexpected keyword argument {key!r}{hint}"
                raise UnknownKeywordError([Problem(message)])
        return function(*args, **kwargs)

    return checked


def _options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario options among a function's arguments."""
    return {key: values[key] for key in OPTION_KEYS if key in values}


@suggest_keywords
def plan(
    footprint: str,
    *,
    snapshot: str | None = None,
    hub_min: int | None = None,
    hub_max: int | None = None,
    hubs: int | Literal["fewest"] | None = None,
    max_km: Limit = None,
    mcp_min: int | None = None,
    mcp_max: int | None = None,
    mcps: int | Literal["fewest"] | None = None,
    mcp_max_km: Limit = None,
    no_mcps: bool | None = None,
    objective: Literal["weighted", "distance"] | None = None,
    engine: Literal["auto", "compact", "columns"] | None = None,
    solver: Literal["highs", "cbc"] | None = None,
    mode: Literal["staged"] | None = None,
    gap: float | None = None,
    time_limit: float | None = None,
    threads: int | None = None,
    strict: bool | None = None,
    hubs_within: AreaLevel | None = None,
    mcps_within: AreaLevel | None = None,
    travel: Literal["great-circle", "road"] | None = None,
    roads: str | None = None,
    metric: Literal["km", "minutes"] | None = None,
    max_minutes: Limit = None,
    mcp_max_minutes: Limit = None,
    circuity: float | None = None,
    base_min_patients: int | None = None,
    mcp_base_min_patients: int | None = None,
    bases: str | None = None,
    reference: str | None = None,
    minimise: Literal["patients", "practices"] | None = None,
    whole: bool | None = None,
    travel_slack: float | None = None,
    alternatives: int | None = None,
    data: str | Path | None = None,
) -> Plan:
    """Plan a footprint: hubs (and MCPs), territories, metrics and certificates.

    Parameters
    ----------
    footprint
        A built-in name (``"north-staffs"``), codes (``"icb:QNC"``, ``"sub-icb:05G,05W"``),
        ``"practices:M83001,..."``, ``"polygon:area.gpkg"``, a CSV of your own sites, or a
        scenario file (``"scenario.toml"``: the keywords given override its values).
    snapshot, hub_min, hub_max, hubs, max_km, mcp_min, mcp_max, mcps, mcp_max_km, no_mcps, \
objective, engine, solver, mode, gap, time_limit, threads, strict, hubs_within, mcps_within, \
travel, roads, metric, max_minutes, mcp_max_minutes, circuity, base_min_patients, \
mcp_base_min_patients, bases, reference, minimise, whole, travel_slack, alternatives
        The options of ``mcp-geo plan`` (``--hub-min`` is ``hub_min``), with the same
        defaults (None: the default; ``"none"``: no distance limit). See the README's
        "Options". ``reference="pcn"`` (or an earlier plan's folder) plans the hubs that move
        the fewest patients (``minimise="practices"``: practices) out of today's PCNs (or
        the earlier plan's hubs), then the least travel; ``Plan.reference`` says what moved.
        ``alternatives=K``: up to K other hub plans within the gap (or ``travel_slack``) of
        the least travel, in ``Plan.alternatives`` (refused with ``reference``, ``bases``).
    data
        The folder of official files (``mcp-geo data download``); by default the snapshot
        shipped with the package.

    Returns
    -------
    Plan
        ``.practices``, ``.hubs``, ``.mcps`` (GeoDataFrames, EPSG:4326), ``.certificates``,
        ``.metrics``; ``.write(folder)`` writes the plan folder.

    Raises
    ------
    ValidationError
        A bad option value (naming the keyword), or unusable input.
    InfeasibleError
        The rules cannot be met (with what to relax, as data in ``.relax``).
    NoPlanError
        No plan was found within the time limit.

    Examples
    --------
    >>> import mcp_geo
    >>> north = mcp_geo.plan("north-staffs")
    >>> north.certificates.hubs.status
    'optimal'
    >>> len(north.practices), int(north.hubs["patients"].sum())
    (66, 531633)
    """
    from mcp_geo.pipeline.footprint import run_scenario

    scenario = Scenario.from_options(footprint, _options(locals()))
    return run_scenario(scenario, data_dir=data)


def read_plan(folder: str | Path) -> Plan:
    """Read a plan folder (as ``plan`` writes it) back into the same :class:`Plan`.

    ``read_plan(d).write(d2)`` writes files identical to ``d``'s.

    Parameters
    ----------
    folder
        A plan folder written by ``mcp-geo plan`` or :meth:`Plan.write`.

    Returns
    -------
    Plan
        The plan, with its scenario, tables, metrics and certificates.

    Raises
    ------
    ValidationError
        Not a plan folder, or a file in it cannot be read (naming the file).
    """
    from mcp_geo.plans.read import read_plan as read

    return read(folder)


@suggest_keywords
def compare(a: Plan, b: Plan | Literal["pcn"]) -> Comparison:
    """Compare two plans on the practices they share, or a plan with today's PCNs (``"pcn"``).

    Parameters
    ----------
    a
        The first plan (``a`` in the tables).
    b
        The second plan, or ``"pcn"`` for today's Primary Care Networks of ``a``'s practices.

    Returns
    -------
    Comparison
        In three views (the same rules on both, one provider per footprint, continuity):
        ``.table()`` (comparison.csv: measure, a, b, definition), ``.to_json()``,
        ``.value(measure)``, ``.changes`` (each shared practice's hub and MCP on both sides).

    Examples
    --------
    >>> import mcp_geo
    >>> a = mcp_geo.plan("north-staffs")
    >>> mcp_geo.compare(a, "pcn").b_label
    "today's PCNs"
    """
    from mcp_geo.pipeline.compare import compare_plans, compare_with_pcns

    if isinstance(b, str):
        if b != "pcn":
            from mcp_geo._errors import Problem, ValidationError

            raise ValidationError(
                [Problem("must be a Plan or 'pcn'", source="keyword 'b'", value=b)]
            )
        return compare_with_pcns(a)
    return compare_plans(a, b)


@suggest_keywords
def map(
    subject: Plan | Comparison, *, tiles: str | None = "OpenStreetMap"
) -> folium.Map | folium.plugins.DualMap:
    """The interactive map of a plan, or of a comparison (two plans side by side).

    A ``folium.Map`` (a ``DualMap`` for a comparison): it shows inline in Jupyter;
    ``.save("map.html")`` writes it (``mcp-geo map`` writes a self-contained file that opens
    offline).

    Parameters
    ----------
    subject
        A plan, or a comparison of two plans (side by side, synchronised).
    tiles
        The background tiles (a folium tile name); None draws none.

    Returns
    -------
    folium.Map or folium.plugins.DualMap
        The map.

    Examples
    --------
    >>> import mcp_geo
    >>> m = mcp_geo.map(mcp_geo.plan("north-staffs"))
    >>> type(m).__name__
    'Map'
    """
    from mcp_geo.maps.render import MapOptions, render_plan
    from mcp_geo.pipeline.compare import Comparison

    options = MapOptions(tiles=tiles)
    if isinstance(subject, Comparison):
        from mcp_geo.maps.compare_map import render_comparison

        dual, _counts = render_comparison(subject, options=options)
        return dual
    return render_plan(subject, options=options)


@suggest_keywords
def footprints(
    *, snapshot: str | None = None, data: str | Path | None = None, icbs: bool = False
) -> pd.DataFrame:
    """The built-in footprints: name, title, practices, patients and excluded practices; or,
    with ``icbs``, the ICBs of the newest register (after the April 2026 mergers).

    Parameters
    ----------
    snapshot
        The data snapshot (``"2025-04"``, the default, or ``"2021-01"``).
    data
        The folder of official files; by default the snapshot shipped with the package.
    icbs
        List the current ICBs instead: ``icb_2026_code``, ``icb_2026_name``, ``practices``,
        ``patients``, ``new`` and ``constituents`` (the ICBs of the list-size date their
        practices came from, ``QNX 156/156; QXU 99/99; QNQ 12/67``). ``icb:CODE`` plans a new
        one.

    Returns
    -------
    pandas.DataFrame
        One row per built-in footprint (or current ICB).

    Examples
    --------
    >>> import mcp_geo
    >>> table = mcp_geo.footprints()
    >>> int(table.set_index("name").loc["north-staffs", "practices"])
    66
    """
    from mcp_geo.practices import current_icbs, open_data
    from mcp_geo.practices.footprints import footprint_summary

    opened = open_data(data, snapshot=snapshot)
    return current_icbs(opened) if icbs else footprint_summary(opened)


@suggest_keywords
def plan_england(
    *,
    by: str,
    out: str | Path,
    only: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = True,
    map_html: bool = True,
    progress: Progress | None = None,
    snapshot: str | None = None,
    hub_min: int | None = None,
    hub_max: int | None = None,
    hubs: int | Literal["fewest"] | None = None,
    max_km: Limit = None,
    mcp_min: int | None = None,
    mcp_max: int | None = None,
    mcps: int | Literal["fewest"] | None = None,
    mcp_max_km: Limit = None,
    no_mcps: bool | None = None,
    objective: Literal["weighted", "distance"] | None = None,
    engine: Literal["auto", "compact", "columns"] | None = None,
    solver: Literal["highs", "cbc"] | None = None,
    mode: Literal["staged"] | None = None,
    gap: float | None = None,
    time_limit: float | None = None,
    threads: int | None = None,
    strict: bool | None = None,
    hubs_within: AreaLevel | None = None,
    mcps_within: AreaLevel | None = None,
    travel: Literal["great-circle", "road"] | None = None,
    roads: str | None = None,
    metric: Literal["km", "minutes"] | None = None,
    max_minutes: Limit = None,
    mcp_max_minutes: Limit = None,
    circuity: float | None = None,
    base_min_patients: int | None = None,
    mcp_base_min_patients: int | None = None,
    bases: str | None = None,
    reference: str | None = None,
    minimise: Literal["patients", "practices"] | None = None,
    whole: bool | None = None,
    travel_slack: float | None = None,
    alternatives: int | None = None,
    data: str | Path | None = None,
) -> NationalPlan:
    """Plan every footprint of a partition of England on Dask and write the national plan.

    Parameters
    ----------
    by
        The partition: ``"icb"`` or ``"sub-icb"`` (``"stp"`` or ``"ccg"`` on 2021-01).
    out
        The folder written (resumable: a re-run reuses the footprints already solved).
    only
        Plan only these footprint codes (``["QNC"]``).
    workers, scheduler
        Dask workers of a local cluster, or the address of a running scheduler.
    resume, map_html, progress
        Reuse solved footprints; write map.html; a callback as each footprint ends.
    snapshot, hub_min, ..., circuity, base_min_patients, mcp_base_min_patients, bases, \
reference, minimise, whole, travel_slack, alternatives, data
        As for :func:`plan` (``reference="pcn"``: each footprint from its own practices'
        PCNs; an earlier plan's folder is refused for england).

    Examples
    --------
    >>> import mcp_geo
    >>> england = mcp_geo.plan_england(by="icb", only=["QNC"], workers=1, out="plans/england")
    ... # doctest: +SKIP
    """
    from mcp_geo.national.run import plan_england as run

    scenario = Scenario.from_options("england", _options(locals()))
    return run(
        scenario,
        by=by,
        out=out,
        data_dir=data,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        codes=None if only is None else list(only),
        resume=resume,
        map_html=map_html,
    )


@suggest_keywords
def sweep(
    footprints: str | Sequence[str],
    *,
    vary: Mapping[str, Sequence[Any]] | None = None,
    out: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = True,
    progress: Progress | None = None,
    snapshot: str | None = None,
    hub_min: int | None = None,
    hub_max: int | None = None,
    hubs: int | Literal["fewest"] | None = None,
    max_km: Limit = None,
    mcp_min: int | None = None,
    mcp_max: int | None = None,
    mcps: int | Literal["fewest"] | None = None,
    mcp_max_km: Limit = None,
    no_mcps: bool | None = None,
    objective: Literal["weighted", "distance"] | None = None,
    engine: Literal["auto", "compact", "columns"] | None = None,
    solver: Literal["highs", "cbc"] | None = None,
    mode: Literal["staged"] | None = None,
    gap: float | None = None,
    time_limit: float | None = None,
    threads: int | None = None,
    strict: bool | None = None,
    hubs_within: AreaLevel | None = None,
    mcps_within: AreaLevel | None = None,
    travel: Literal["great-circle", "road"] | None = None,
    roads: str | None = None,
    metric: Literal["km", "minutes"] | None = None,
    max_minutes: Limit = None,
    mcp_max_minutes: Limit = None,
    circuity: float | None = None,
    base_min_patients: int | None = None,
    mcp_base_min_patients: int | None = None,
    bases: str | None = None,
    reference: str | None = None,
    minimise: Literal["patients", "practices"] | None = None,
    whole: bool | None = None,
    travel_slack: float | None = None,
    data: str | Path | None = None,
) -> Sweep:
    """Plan a grid of scenarios on Dask, each cell its own certified plan, and write the sweep.

    Parameters
    ----------
    footprints
        One footprint or several (one more dimension of the grid, the slowest), as for
        :func:`plan`; or a scenario file (``"sweep.toml"``) with a ``[sweep]`` table
        (``footprints``, ``vary``): the keywords given override its values.
    vary
        Each varied option by its keyword name and its values (``{"hub_max": [45_000,
        50_000], "max_km": [10, 15]}``), each checked as :func:`plan` checks it; the cells
        are numbered from 1 in grid order (footprints, then the options in the order given).
    out
        The sweep folder: ``sweep.csv``, ``timings.json``, ``cells/<n>/``, ``scenario.toml``
        (and ``base/`` when the options given outside ``vary`` are not a cell). Resumable: a
        re-run reuses the cells written with the same inputs.
    workers, scheduler
        Dask workers of a local cluster (default: all cores), or a running scheduler.
    resume, progress
        Reuse the cells of an earlier run; a callback as each cell ends.
    snapshot, hub_min, ..., travel_slack, data
        As for :func:`plan`: every cell's options outside ``vary``. An option may not be
        given both here and in ``vary``.

    Returns
    -------
    Sweep
        ``.rows`` (sweep.csv's rows), ``.cells`` (each cell's result), ``.summary()``.

    Raises
    ------
    ValidationError
        A bad option or varied value (naming it), an unknown footprint, a bad ``out``.

    Examples
    --------
    >>> import mcp_geo
    >>> grid = mcp_geo.sweep("north-staffs", vary={"hub_max": [45_000, 55_000]},
    ...                      no_mcps=True, out="sweeps/ns")  # doctest: +SKIP
    >>> [(row.cell, row.n_hubs, row.status) for row in grid.rows]  # doctest: +SKIP
    [('1', 16, 'optimal'), ('2', 16, 'optimal')]
    """
    from mcp_geo.national._grid import SweepSpec, api_where, read_sweep_file, spec_problems
    from mcp_geo.national.sweep import sweep as run

    given = dict(vary or {})
    options = _options(locals())
    file = None
    if isinstance(footprints, str) and footprints.strip().lower().endswith(".toml"):
        file = read_sweep_file(footprints)
        spots = list(file.footprints)
    else:
        spots = [footprints] if isinstance(footprints, str) else list(footprints)
    problems = [
        Problem(f"is also varied in vary[{key!r}]: give it once", source=f"keyword {key!r}")
        for key in given
        if options.get(key) is not None
    ]
    if problems or not spots:
        problems += [] if spots else [Problem("give one or more footprints", source="footprints")]
        raise ValidationError(problems, context="sweep")
    varied = {**dict(file.vary if file is not None else ()), **given}
    base = Scenario.from_options(
        spots[0], {k: v for k, v in options.items() if k not in varied},
        base=None if file is None else file.base,
    )  # fmt: skip

    def where(key: str) -> str:
        return api_where(key) if key in given or file is None else file.where(key)

    items = [(key, tuple(values)) for key, values in varied.items()]
    problems = spec_problems(base, spots, items, where=where)
    if problems:
        raise ValidationError(problems, context="sweep")
    spec = SweepSpec(base=base, footprints=tuple(spots), vary=tuple(items))
    return run(
        spec,
        out=out,
        data_dir=data,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        resume=resume,
    )


@suggest_keywords
def report(folder: str | Path, *, browser: str | Path | None = None, pdf: bool = True) -> Report:
    """Write the board report of a plan, comparison or sweep folder into that folder.

    ``report.html`` (one self-contained page: headline, static map, tables, charts, the
    certificate explained, the data's provenance and licence), ``charts/`` (PNG and SVG) and
    ``report.pdf``, printed by a Chromium the machine has.

    Parameters
    ----------
    folder
        A folder written by ``mcp-geo plan``, ``compare`` or ``sweep`` (or :meth:`Plan.write`).
    browser
        The Chromium or Chrome to print with; by default the first found on the PATH.
    pdf
        Print report.pdf; without a browser, the HTML is written and ``.message`` says how
        to get the PDF.

    Returns
    -------
    Report
        ``.html``, ``.pdf`` (None when not printed), ``.charts``, ``.message``.

    Raises
    ------
    ValidationError
        Not a folder the tool wrote, or report files in it that the tool did not write.

    Examples
    --------
    >>> import mcp_geo
    >>> mcp_geo.report("plans/north-staffs").html  # doctest: +SKIP
    PosixPath('plans/north-staffs/report.html')
    """
    from mcp_geo.reports import report as write_report

    return write_report(folder, browser=browser, pdf=pdf)
