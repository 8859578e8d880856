"""The April 2019 Clinical Commissioning Groups that the Sussex footprints are defined by.

Sussex's seven CCGs merged in April 2020 (into 09D, 97R and 70F) and East Surrey joined Surrey
Heartlands (92A), so no file of the Sub-ICB era names them. The 2019 ODS practice register gives a
practice's 2019 CCG as an ODS code; the ONS CCG April 2019 boundary file gives the polygons under ONS
codes and names. This table links the two for the CCGs the built-in footprints need; a test checks
every row against both official files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ccg2019:
    """One CCG of April 2019: ODS code, ONS code and official name."""

    ods_code: str
    ons_code: str
    name: str


SUSSEX_EAST_SURREY_CCGS: tuple[Ccg2019, ...] = (
    Ccg2019("09D", "E38000021", "NHS Brighton and Hove CCG"),
    Ccg2019("09F", "E38000055", "NHS Eastbourne, Hailsham and Seaford CCG"),
    Ccg2019("09G", "E38000213", "NHS Coastal West Sussex CCG"),
    Ccg2019("09H", "E38000039", "NHS Crawley CCG"),
    Ccg2019("09L", "E38000054", "NHS East Surrey CCG"),
    Ccg2019("09P", "E38000076", "NHS Hastings and Rother CCG"),
    Ccg2019("09X", "E38000083", "NHS Horsham and Mid Sussex CCG"),
    Ccg2019("99K", "E38000081", "NHS High Weald Lewes Havens CCG"),
)

CCG2019_BY_ODS: dict[str, Ccg2019] = {c.ods_code: c for c in SUSSEX_EAST_SURREY_CCGS}
CCG2019_BY_ONS: dict[str, Ccg2019] = {c.ons_code: c for c in SUSSEX_EAST_SURREY_CCGS}
