"""Where a plan's data came from and under which licence, in the report's words.

For a plan of a data snapshot: the list sizes' date, the snapshot's files (the official files
the tool knows, :func:`mcp_geo.practices.sources.official_files`, each with its publisher's page
and licence) and the notes the plan carries (the outline, the territories). For a plan of the
user's own sites: the sites file. Always: the attribution every output carries, the tool's
version and the inputs' fingerprint.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

from mcp_geo.maps._panel import plain_travel
from mcp_geo.reports._html import Block, Bullets, Paragraphs

if TYPE_CHECKING:
    from mcp_geo.plans.plan import Plan


def provenance_blocks(plan: Plan) -> tuple[Block, ...]:
    """The data's provenance and licence as report blocks.

    Parameters
    ----------
    plan
        The plan reported on.

    Returns
    -------
    tuple of Block
        Paragraphs and lists, plain text.
    """
    from mcp_geo import ATTRIBUTION

    blocks: list[Block] = []
    if plan.extract_date is not None:
        blocks += _snapshot_blocks(plan)
    else:
        blocks.append(
            Paragraphs(
                (
                    f"The practices, their list sizes and locations are the sites of the file "
                    f"{PurePath(plan.footprint).name}, as given (a user's own sites file: the "
                    "tool checked its rows, it does not know where they came from).",
                )
            )
        )
    notes = [("How distances were measured", plain_travel(plan.travel) + f" ({plan.travel})")]
    notes += [_note(n) for n in plan.notes]
    blocks.append(Bullets(tuple(notes)))
    blocks.append(Paragraphs(("Licence and attribution: " + ATTRIBUTION,)))
    blocks.append(
        Paragraphs(
            (
                f"Made by mcp-geo {plan.version}. The inputs' fingerprint (SHA-256 of the "
                f"practices and options) is {plan.fingerprint}: a plan with the same "
                "fingerprint was made from the same data and rules.",
            )
        )
    )
    return tuple(blocks)


def _note(note: str) -> tuple[str, str]:
    head, _, rest = note.partition(": ")
    return (head[:1].upper() + head[1:], rest) if rest else ("", note)


def _snapshot_blocks(plan: Plan) -> list[Block]:
    from mcp_geo.practices.snapshots import get_snapshot
    from mcp_geo.practices.sources import official_files

    assert plan.extract_date is not None
    snapshot = get_snapshot(plan.snapshot)
    lead = (
        f"Data snapshot {snapshot.name} ({snapshot.description}): the registered patients of "
        f"each practice on {plan.extract_date:%-d %B %Y} (NHS England), each practice's PCN, "
        "Sub-ICB and ICB, its name and status from the ODS register, its postcode's location "
        "(OS Code-Point Open) and the official boundaries (ONS)."
    )
    files = tuple(
        (f.title, f"{f.about or f.url} ({f.licence.split('. ')[0]})")
        for f in official_files(snapshot.name)
    )
    extra = []
    if snapshot.register_2019 is not None:
        extra.append(
            (
                f"NHS ODS register {snapshot.register_2019.stem}",
                "the 2019 register: each practice's CCG of 2019 (Open Government Licence v3.0)",
            )
        )
    return [
        Paragraphs((lead,)),
        Paragraphs(("The official files, by publisher (the page each is published on):",)),
        Bullets(files + tuple(extra)),
    ]
