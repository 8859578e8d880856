"""Between DataFrames and the generic instance: validation, ordering, distances, ids."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcp_geo._errors import Problem, ValidationError
from mcp_geo.boundaries.distances import TravelMatrix, great_circle_matrix


def validated_items(
    frame: pd.DataFrame,
    *,
    code: str,
    weight: str,
    travel: TravelMatrix | None,
    source: str,
    travel_codes: str | None = None,
    positions: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Check the columns, sort by code, return the frame, the km matrix in that order, its source.

    ``travel_codes``: the column whose values index ``travel`` (default: ``code``).
    ``positions``: without ``travel``, whether latitude and longitude are needed (without them
    the km matrix returned is empty: the caller measures distances another way).
    """
    problems: list[Problem] = []
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            [Problem("must be a (Geo)DataFrame", source, "", type(frame).__name__)]
        )
    placed = travel is None and positions
    need = [code, weight] + (["latitude", "longitude"] if placed else [])
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValidationError(
            [Problem(f"missing column {c!r}", source, c) for c in missing],
            context=f"{source} cannot be planned",
        )
    df = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy()
    codes = df[code].astype(str)
    for row, c in codes.items():
        if not c.strip():
            problems.append(Problem("codes must be non-empty", f"{source} row {row}", code, c))
    for c in codes[codes.duplicated()].unique():
        problems.append(Problem("codes must be unique", source, code, c))
    pts = pd.to_numeric(df[weight], errors="coerce")
    for row, v in df[weight][pts.isna() | (pts < 0) | (pts % 1 != 0)].items():
        problems.append(Problem("must be a whole number >= 0", f"{source} row {row}", weight, v))
    if placed:
        for col, lim in (("latitude", 90.0), ("longitude", 180.0)):
            vals = pd.to_numeric(df[col], errors="coerce")
            for row, v in df[col][vals.isna() | (vals.abs() > lim)].items():
                problems.append(
                    Problem(f"must be a number within +-{lim:g}", f"{source} row {row}", col, v)
                )
    if travel is not None:
        tc = (df[travel_codes] if travel_codes else codes).astype(str)
        known = set(travel.codes)
        for c in tc[~tc.isin(known)]:
            problems.append(Problem("not in the travel matrix", source, travel_codes or code, c))
    if problems:
        raise ValidationError(problems, context=f"{source} cannot be planned")
    df[code] = codes
    df[weight] = pts.astype(np.int64)
    df = df.sort_values(code, kind="mergesort").reset_index(drop=True)
    if not placed and travel is None:
        return df, np.zeros((0, 0)), ""
    if travel is None:
        tm = great_circle_matrix(df[code], df["latitude"], df["longitude"])
        return df, tm.km, tm.source
    pos = {c: k for k, c in enumerate(travel.codes)}
    idx = np.array([pos[c] for c in (df[travel_codes] if travel_codes else df[code]).astype(str)])
    # the chosen metric (km, or drive minutes), inf where there is no way within the source's limit
    return df, travel.values[np.ix_(idx, idx)], travel.source


def group_ids(prefix: str, bases: list[str]) -> dict[str, str]:
    """Deterministic ids (``H01``, ``H02``...) in the order of the bases' codes."""
    width = max(2, len(str(len(bases))))
    return {b: f"{prefix}{k + 1:0{width}d}" for k, b in enumerate(sorted(bases))}
