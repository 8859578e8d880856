"""Each practice's current ICB, from the newest register of a snapshot (DESIGN.md, "Footprint syntax").

A snapshot's ``icb_code`` is the ICB of the list-size date (42 ICBs in April 2025). The register
of a snapshot can be newer: the June 2026 register of the 2025-04 snapshot lists the 36 ICBs after
the mergers of 1 April 2026 (six new codes, e.g. S9B9J Surrey and Sussex). Its field 4 gives
``icb_2026_code``:

- a practice the register holds with an ICB takes that ICB;
- a practice it does not hold (or holds without an ICB) takes the current ICB that most practices
  of its old ICB moved to (ties: the smallest code), and a note says so, naming the practice;
- a snapshot of the CCG era (its newest register, 2019, predates the ICBs), or a register that
  gives no kept practice an ICB, leaves the column empty.

``icb_2026_name`` is the publisher's name when the data folder holds ODS's organisation file
(``eauth``, :mod:`mcp_geo.practices.readers.organisations`; ``mcp-geo data download`` fetches it)
and the file names the code as open on the register's date, new and unchanged codes alike. Any
other current ICB (and every one, without the file) is named from its constituents: an unchanged
code keeps its ICB's name; a new code is named after the old ICBs it came from, an old ICB whose
practices (at least :data:`WHOLE_SHARE` of them) all moved here plainly, a part as "N practices
of" it, and parts of fewer than :data:`NAMED_PART` practices as "N other practices" ("NHS Sussex
ICB, NHS Surrey Heartlands ICB and 12 practices of NHS Frimley ICB"). With the file, each
practice whose current ICB it does not name gets a note saying its ICB's name was made from the
constituents; names the file gives need no note (the file is in :attr:`PracticeData.files`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from mcp_geo.practices.load import PracticeData

log = logging.getLogger(__name__)

WHOLE_SHARE = 0.9
"""An old ICB counts as moved whole when at least this share of its practices moved together."""
NAMED_PART = 5
"""Parts of old ICBs with fewer practices than this are counted, not named, in a new ICB's name."""

CURRENT_ICB_COLUMNS: tuple[str, ...] = (
    "icb_2026_code", "icb_2026_name", "practices", "patients", "new", "constituents",
)  # fmt: skip
"""The columns of :func:`current_icbs`."""

CONSTITUENT_COLUMNS: tuple[str, ...] = (
    "icb_2026_code", "icb_code", "icb_name", "practices", "patients", "of_practices",
)  # fmt: skip
"""The columns of :func:`icb_constituents`."""

_Note = Callable[[str, str, str], None]


def short_icb_name(name: str) -> str:
    """``NHS Sussex Integrated Care Board`` -> ``NHS Sussex ICB``.

    Examples
    --------
    >>> short_icb_name("NHS Frimley Integrated Care Board")
    'NHS Frimley ICB'
    """
    return name.replace("Integrated Care Board", "ICB").strip()


def add_current_icbs(
    df: pd.DataFrame,
    *,
    register: pd.DataFrame,
    register_name: str,
    icb_era: bool,
    note: _Note,
    names: Mapping[str, str] | None = None,
    names_source: str = "",
) -> pd.DataFrame:
    """Add ``icb_2026_code`` and ``icb_2026_name`` to the kept practices ``df``.

    Parameters
    ----------
    df
        Practices with ``practice_code``, ``icb_code``, ``icb_name`` and ``list_line``.
    register
        The snapshot's register (:func:`~mcp_geo.practices.readers.register.read_register`).
    register_name
        Its file name, for the notes.
    icb_era
        Whether the register can hold ICBs (False for the CCG era: the columns stay empty).
    note
        Called with (practice_code, note, source) for each practice whose ICB is inferred, and,
        with ``names``, for each practice whose ICB's name is made from its constituents.
    names
        The publisher's names by code (``read_organisations`` of
        :mod:`mcp_geo.practices.readers.organisations`), or None to name every current ICB from
        its constituents.
    names_source
        The file ``names`` came from, for the notes.
    """
    df = df.copy()
    if not icb_era:
        df["icb_2026_code"] = ""
        df["icb_2026_name"] = ""
        return df
    reg = register.drop_duplicates("practice_code").set_index("practice_code")["icb_code"]
    current = df["practice_code"].map(reg).fillna("").astype(str)
    if not (current != "").any():
        df["icb_2026_code"] = ""
        df["icb_2026_name"] = ""
        return df
    moved = majority_moves(df["icb_code"], current)
    missing = current == ""
    for i in df.index[missing]:
        code, old = df.at[i, "practice_code"], df.at[i, "icb_code"]
        target = moved.get(old, "")
        current.at[i] = target
        held = "not in" if code not in reg.index else "without an ICB in"
        how = (
            f"current ICB {target}, where most practices of its ICB {old} moved"
            if target
            else f"no practice of its ICB {old} is in the register: no current ICB"
        )
        note(code, f"{held} {register_name}; {how}", f"{register_name}")
    df["icb_2026_code"] = current
    chosen = current_icb_names(df["icb_code"], current, df["icb_name"])
    if names is not None:
        chosen = _publisher_names(
            df, made=chosen, names=names, names_source=names_source, note=note
        )
    df["icb_2026_name"] = current.map(chosen).fillna("")
    log.info(
        "%s: %d current ICBs; %d practices not in the register placed by their old ICB",
        register_name,
        current[current != ""].nunique(),
        int(missing.sum()),
    )
    return df


def _publisher_names(
    df: pd.DataFrame,
    *,
    made: dict[str, str],
    names: Mapping[str, str],
    names_source: str,
    note: _Note,
) -> dict[str, str]:
    """The publisher's name of each current ICB it names, else the name ``made`` (with notes)."""
    lacking = sorted(code for code in made if code not in names)
    for row in df.loc[df["icb_2026_code"].isin(lacking)].itertuples():
        code = row.icb_2026_code
        note(
            str(row.practice_code),
            f"the name of its current ICB {code} is made from the ICBs its practices came from: "
            f"{names_source} has no open organisation {code}",
            names_source,
        )
    if lacking:
        log.warning(
            "%s names %d of %d current ICBs; %s named from their constituents",
            names_source,
            len(made) - len(lacking),
            len(made),
            ", ".join(lacking),
        )
    else:
        log.info("%s names all %d current ICBs", names_source, len(made))
    return {code: names.get(code, name) for code, name in made.items()}


def majority_moves(old: pd.Series, current: pd.Series) -> dict[str, str]:
    """Each old ICB -> the current ICB most of its practices (with a current ICB) are in."""
    pairs = pd.DataFrame({"old": old, "new": current})
    pairs = pairs.loc[(pairs["new"] != "") & pairs["old"].notna()]
    counts = pairs.value_counts().reset_index(name="n")
    counts = counts.sort_values(["old", "n", "new"], ascending=[True, False, True])
    return dict(counts.drop_duplicates("old").set_index("old")["new"])


def current_icb_names(old: pd.Series, current: pd.Series, old_names: pd.Series) -> dict[str, str]:
    """A name for each current ICB code, made from its constituents (see the module's docstring)."""
    frame = pd.DataFrame({"old": old, "new": current, "name": old_names}).loc[current != ""]
    name_of = dict(frame.dropna(subset=["old"]).drop_duplicates("old")[["old", "name"]].values)
    totals = frame.groupby("old").size()
    names: dict[str, str] = {}
    for code, group in frame.groupby("new", sort=True):
        new = str(code)
        if new in name_of:
            names[new] = str(name_of[new])
            continue
        counts = group.groupby("old").size().sort_values(ascending=False, kind="stable")
        whole, parts, others = [], [], 0
        for old_code, n in counts.items():
            label = short_icb_name(str(name_of.get(old_code, old_code)))
            if n >= WHOLE_SHARE * totals[old_code]:
                whole.append(label)
            elif n >= NAMED_PART:
                parts.append(f"{n} practices of {label}")
            else:
                others += int(n)
        words = whole + parts
        if others:
            words.append(f"{others} other practice{'s' if others > 1 else ''}")
        names[new] = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return names


def icb_constituents(data: PracticeData) -> pd.DataFrame:
    """Each (current ICB, old ICB) pair with its practices and patients; empty in the CCG era.

    ``of_practices`` is the old ICB's kept practices in all, so ``practices == of_practices`` says
    the old ICB moved whole.
    """
    p = data.practices.loc[data.practices["icb_2026_code"].fillna("") != ""]
    if p.empty:
        return pd.DataFrame(columns=list(CONSTITUENT_COLUMNS))
    out = (
        p.groupby(["icb_2026_code", "icb_code"], sort=True)
        .agg(icb_name=("icb_name", "first"), practices=("practice_code", "size"),
             patients=("patients", "sum"))
        .reset_index()
    )  # fmt: skip
    out["of_practices"] = out["icb_code"].map(p.groupby("icb_code").size())
    out = out.astype({"practices": "int64", "patients": "int64", "of_practices": "int64"})
    out = out.sort_values(["icb_2026_code", "practices", "icb_code"], ascending=[True, False, True])
    return out[list(CONSTITUENT_COLUMNS)].reset_index(drop=True)


def current_icbs(data: PracticeData) -> pd.DataFrame:
    """The current ICBs of a snapshot: practices, patients and where a new ICB came from.

    Parameters
    ----------
    data
        A snapshot's practices (:func:`mcp_geo.practices.open_data`).

    Returns
    -------
    pandas.DataFrame
        :data:`CURRENT_ICB_COLUMNS`, one row per current ICB by code: ``new`` when the code is no
        ICB of the list-size date; ``constituents`` the old ICBs it holds practices of
        (``QNX 156/156; QXU 99/99; QNQ 12/67``: practices here / the old ICB's practices). Empty
        for a snapshot whose register predates the ICBs (2021-01).

    Examples
    --------
    >>> from mcp_geo.practices import open_data
    >>> icbs = current_icbs(open_data())  # doctest: +SKIP
    >>> len(icbs), icbs.set_index("icb_2026_code").at["S9B9J", "practices"]  # doctest: +SKIP
    (36, 267)
    """
    parts = icb_constituents(data)
    p = data.practices
    rows = []
    old_codes = set(p["icb_code"].dropna())
    for code, group in parts.groupby("icb_2026_code", sort=True):
        names = p.loc[p["icb_2026_code"] == code, "icb_2026_name"]
        rows.append(
            {
                "icb_2026_code": code,
                "icb_2026_name": str(names.iloc[0]),
                "practices": int(group["practices"].sum()),
                "patients": int(group["patients"].sum()),
                "new": code not in old_codes,
                "constituents": "; ".join(
                    f"{r.icb_code} {r.practices}/{r.of_practices}" for r in group.itertuples()
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(CURRENT_ICB_COLUMNS))
