"""Plan metrics, checked against numbers computed by hand (the arithmetic is in each docstring)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from mcp_geo._errors import ValidationError
from mcp_geo.boundaries.distances import EARTH_RADIUS_KM, TravelMatrix
from mcp_geo.plans.grouping import grouping_metrics, pcn_grouping_metrics
from mcp_geo.plans.metrics import (
    adjusted_rand_index,
    group_spans_km,
    size_stats,
    weighted_distance_stats,
    weighted_quantile,
)

DEGREE_KM = EARTH_RADIUS_KM * math.pi / 180  # 111.195 km along the equator


# --- distances -----------------------------------------------------------------------------


def test_weighted_distance_stats_by_hand() -> None:
    """km 0, 2, 10 with 90, 6, 4 patients: mean (0 + 12 + 40) / 100 = 0.52; cumulative
    patients 90, 96, 100, so 95% are reached at 2 km; unweighted: mean 4, and 95% of 3
    practices is 2.85, reached only at the third, 10 km."""
    stats = weighted_distance_stats([10.0, 0.0, 2.0], [4, 90, 6])
    assert stats.mean == pytest.approx(0.52)
    assert stats.p95 == 2.0
    assert stats.max == 10.0
    assert stats.mean_unweighted == pytest.approx(4.0)
    assert stats.p95_unweighted == 10.0
    assert (stats.practices, stats.patients) == (3, 100.0)


def test_p95_at_exactly_95_percent_and_zero_weights() -> None:
    """95 of 100 patients at 1 km is exactly 95%, so p95 = 1 (not 2); 19 of 20 likewise, but
    18 of 19 is only 94.7%. A practice with no patients never sets the percentile but does set
    the maximum."""
    assert weighted_distance_stats([1.0, 2.0], [95, 5]).p95 == 1.0
    assert weighted_quantile([1.0, 2.0], [19, 1], 0.95) == 1.0
    assert weighted_quantile([1.0, 2.0], [18, 1], 0.95) == 2.0  # 18/19 = 94.7%
    stats = weighted_distance_stats([1.0, 50.0], [100, 0])
    assert (stats.p95, stats.max) == (1.0, 50.0)


def test_distance_stats_report_every_problem() -> None:
    with pytest.raises(ValidationError, match="2 problems") as info:
        weighted_distance_stats([1.0, -2.0, float("nan")], [1, 1, -1])
    text = str(info.value)
    assert "km: must be finite numbers >= 0; bad at positions [1, 2]" in text
    assert "weights: must be finite numbers >= 0; bad at positions [2]" in text
    with pytest.raises(ValidationError, match="2 distances but 1 weights"):
        weighted_distance_stats([1.0, 2.0], [1])
    with pytest.raises(ValidationError, match="the weights add up to 0"):
        weighted_distance_stats([1.0], [0])


# --- sizes ---------------------------------------------------------------------------------


def test_size_stats_by_hand() -> None:
    """28k, 40k, 45k, 52k against 30k-50k: median (40k + 45k) / 2; one below, one above."""
    stats = size_stats([52_000, 28_000, 45_000, 40_000], lower=30_000, upper=50_000)
    assert (stats.n, stats.min, stats.median, stats.max) == (4, 28_000, 42_500, 52_000)
    assert (stats.n_below, stats.n_above) == (1, 1)
    mcps = size_stats([100_000, 250_000, 99_999], lower=100_000, upper=None)
    assert (mcps.median, mcps.n_below, mcps.n_above) == (100_000, 1, 0)


def test_size_stats_validation() -> None:
    with pytest.raises(ValidationError, match="no group totals given"):
        size_stats([], lower=None, upper=None)
    with pytest.raises(ValidationError, match="lower bound exceeds upper bound"):
        size_stats([1], lower=10, upper=5)
    with pytest.raises(ValidationError, match="must be a finite number or None"):
        size_stats([1], lower=float("nan"), upper=None)


# --- spans ---------------------------------------------------------------------------------


def test_group_spans_by_hand() -> None:
    """On the equator: group a at longitudes 0, 1 and 2 spans 2 degrees = 222.390 km; b is one
    practice (0 km); c is two practices at one site (0 km)."""
    spans = group_spans_km(
        [0.0, 0.0, 0.0, 0.0, 10.0, 10.0],
        [0.0, 2.0, 1.0, 5.0, 3.0, 3.0],
        ["a", "a", "a", "b", "c", "c"],
    )
    assert list(spans.index) == ["a", "b", "c"]
    assert spans["a"] == pytest.approx(2 * DEGREE_KM)
    assert round(spans["a"], 3) == 222.390
    assert spans["b"] == 0.0
    assert spans["c"] == 0.0


def test_group_spans_validation() -> None:
    with pytest.raises(ValidationError, match="lengths differ"):
        group_spans_km([0.0], [0.0, 1.0], ["a", "a"])
    with pytest.raises(ValidationError, match=r"labels missing at positions \[1\]"):
        group_spans_km([0.0, 0.0], [0.0, 1.0], ["a", None])


# --- adjusted Rand index ------------------------------------------------------------------


def test_ari_by_hand() -> None:
    """a = 000111, b = 001122. Contingency rows (2, 1, 0) and (0, 1, 2): index = C(2) + C(2)
    = 2; sum C(a_i) = 3 + 3 = 6; sum C(b_j) = 1 + 1 + 1 = 3; C(6) = 15; expected = 6 * 3 / 15
    = 1.2; maximum = (6 + 3) / 2 = 4.5; ARI = 0.8 / 3.3 = 0.2424..."""
    assert adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(8 / 33)


def test_ari_below_chance_by_hand() -> None:
    """a = 0011, b = 0101: every n_ij = 1, index 0; sums 2 and 2; C(4) = 6; expected 4 / 6;
    maximum 2; ARI = (0 - 2/3) / (2 - 2/3) = -1/2."""
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_ari_invariances_and_degenerate_cases() -> None:
    a = ["x", "x", "y", "y", "z"]
    assert adjusted_rand_index(a, [7, 7, 3, 3, 1]) == pytest.approx(1.0)  # renamed groups
    b = [0, 0, 0, 1, 1]
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_index(b, a))
    assert adjusted_rand_index([1, 2, 3], ["a", "b", "c"]) == 1.0  # both all singletons
    assert adjusted_rand_index(["a"], ["b"]) == 1.0
    assert adjusted_rand_index([1, 1, 1], [1, 2, 3]) == 0.0  # one group against singletons


def test_ari_aligns_series_on_practice_codes() -> None:
    plan = pd.Series({"P1": "h1", "P2": "h1", "P3": "h2", "P4": "h2"})
    pcns = pd.Series({"P4": "B", "P3": "B", "P2": "A", "P1": "B"})
    assert adjusted_rand_index(plan, pcns) == pytest.approx(
        adjusted_rand_index(["h1", "h1", "h2", "h2"], ["B", "A", "B", "B"])
    )
    assert adjusted_rand_index(plan, pcns.sort_index()) < 1.0
    with pytest.raises(ValidationError, match="must share one unique index"):
        adjusted_rand_index(plan, pcns.rename({"P4": "P9"}))
    with pytest.raises(ValidationError, match="3 labels against 2"):
        adjusted_rand_index([1, 2, 3], [1, 2])


# --- groupings and PCNs -------------------------------------------------------------------


def equator_practices() -> pd.DataFrame:
    """On the equator, with u = 0.1 degree = 11.1195 km:

    ======  ======  ========  =====
    code    lon     patients  PCN
    ======  ======  ========  =====
    P1      0.0     10,000    X
    P2      0.1     10,000    X
    P3      0.3     25,000    X
    P4      1.0      5,000    (none)
    P5      2.0     35,000    Y
    ======  ======  ========  =====
    """
    return pd.DataFrame(
        {
            "practice_code": ["P5", "P1", "P2", "P3", "P4"],
            "patients": [35_000, 10_000, 10_000, 25_000, 5_000],
            "latitude": 0.0,
            "longitude": [2.0, 0.0, 0.1, 0.3, 1.0],
            "pcn_code": ["Y", "X", "X", "X", None],
        }
    )


def test_pcn_metrics_by_hand() -> None:
    """PCN X's 1-median: P1 costs 10k * 1u + 25k * 3u = 85k u, P2 10k * 1u + 25k * 2u = 60k u,
    P3 10k * 3u + 10k * 2u = 50k u: P3 is the base. Travel: P1 3u, P2 2u, the rest 0.
    Mean = (10k * 3u + 10k * 2u) / 85k = 0.5882u; cumulative patients by km: 65k at 0, 75k at
    2u, 85k at 3u; 95% of 85k = 80,750, so p95 = 3u. Totals X 45k, P4 alone 5k, Y 35k."""
    u = DEGREE_KM / 10
    m = pcn_grouping_metrics(equator_practices())
    assert (m.practices, m.patients, m.groups, m.singletons) == (5, 85_000, 3, 1)
    assert m.base_of.to_dict() == {"(no group) P4": "P4", "X": "P3", "Y": "P5"}
    assert m.group_of["P4"] == "(no group) P4"
    assert m.km_to_base["P1"] == pytest.approx(3 * u)
    assert m.km_to_base["P2"] == pytest.approx(2 * u)
    assert m.distance.mean == pytest.approx(50_000 * u / 85_000)
    assert m.distance.p95 == pytest.approx(3 * u)
    assert m.distance.max == pytest.approx(3 * u)
    assert (m.sizes.min, m.sizes.median, m.sizes.max) == (5_000, 35_000, 45_000)
    assert (m.sizes.n_below, m.sizes.n_above) == (1, 0)
    assert m.spans_km["X"] == pytest.approx(3 * u)
    assert m.max_span_km == pytest.approx(3 * u)
    assert m.distance_source.startswith("great-circle")


def test_given_bases_and_travel_matrix() -> None:
    """A and B 5 km apart with equal lists: both cost 5 * 100, so the tie goes to A. With the
    base set to B, A travels 5 km: mean 5 * 100 / 200 = 2.5."""
    practices = pd.DataFrame(
        {
            "practice_code": ["B", "A"],
            "patients": [100, 100],
            "latitude": 0.0,
            "longitude": 0.0,
            "hub": ["h", "h"],
        }
    )
    travel = TravelMatrix(codes=("A", "B"), km=np.array([[0.0, 5.0], [5.0, 0.0]]), source="road km")
    tie = grouping_metrics(practices, group_column="hub", travel=travel)
    assert tie.base_of["h"] == "A"
    assert tie.distance_source == "road km"
    given = grouping_metrics(
        practices, group_column="hub", travel=travel, bases=pd.Series({"h": "B"})
    )
    assert given.km_to_base.to_dict() == {"A": 5.0, "B": 0.0}
    assert given.distance.mean == pytest.approx(2.5)
    assert given.spans_km["h"] == 0.0  # spans are great-circle: both sit at (0, 0)


def test_grouping_validation() -> None:
    practices = equator_practices()
    with pytest.raises(ValidationError, match="missing columns"):
        pcn_grouping_metrics(practices.drop(columns="latitude"))
    with pytest.raises(ValidationError, match="practice codes must be unique"):
        pcn_grouping_metrics(pd.concat([practices, practices.head(1)]))
    with pytest.raises(ValidationError, match="2 problems") as info:
        grouping_metrics(practices, group_column="pcn_code", bases=pd.Series({"X": "Q1"}))
    assert "bases that are not practices (got ['Q1'])" in str(info.value)
    assert "groups without a base" in str(info.value)
    travel = TravelMatrix(codes=("P1",), km=np.zeros((1, 1)), source="road km")
    with pytest.raises(ValidationError, match="practices missing from the travel matrix"):
        pcn_grouping_metrics(practices, travel=travel)


DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason="needs the shared real data")
def test_north_staffs_pcns() -> None:
    """Today's 13 PCNs of 05G and 05W (April 2025 lists, October 2025 map): every practice has
    one; the PCN totals lie between 33,490 and 50,287 (one above 50,000)."""
    lists = pd.read_csv(DATA / "nhs" / "gp-reg-pat-prac-all_2025-04.csv")
    lists = lists[lists["SUB_ICB_LOCATION_CODE"].isin(["05G", "05W"])]
    postcodes = pd.concat(
        pd.read_csv(
            DATA / "geo" / "codepo_gb" / "Data" / "CSV" / f"{area}.csv",
            header=None,
            usecols=[0, 2, 3],
            names=["POSTCODE", "easting", "northing"],
        )
        for area in ("cw", "st", "tf")
    )
    pcns = pd.read_csv(
        DATA / "nhs" / "gp-reg-pat-prac-map_2025-10.csv", usecols=["PRACTICE_CODE", "PCN_CODE"]
    )
    found = lists.merge(postcodes, on="POSTCODE").merge(
        pcns, left_on="CODE", right_on="PRACTICE_CODE", how="left"
    )
    wgs84 = gpd.GeoSeries(
        gpd.points_from_xy(found["easting"], found["northing"]), crs="EPSG:27700"
    ).to_crs(4326)
    practices = pd.DataFrame(
        {
            "practice_code": found["CODE"],
            "patients": found["NUMBER_OF_PATIENTS"],
            "latitude": wgs84.y.to_numpy(),
            "longitude": wgs84.x.to_numpy(),
            "pcn_code": found["PCN_CODE"],
        }
    )
    m = pcn_grouping_metrics(practices)
    assert (m.practices, m.patients, m.groups, m.singletons) == (66, 531_633, 13, 0)
    assert (m.sizes.min, m.sizes.max, m.sizes.n_below, m.sizes.n_above) == (
        33_490,
        50_287,
        0,
        1,
    )
    assert round(m.distance.mean, 3) == 1.965
    assert round(m.distance.p95, 3) == 10.183
    assert round(m.max_span_km, 3) == 14.967
    assert adjusted_rand_index(m.group_of, practices.set_index("practice_code")["pcn_code"]) == 1


def test_area_crossings_name_each_crossing_group_and_its_areas():
    from mcp_geo.plans.metrics import area_crossings

    areas = ["05G", "05G", "05W", "05W", None, " ", "05W"]
    groups = ["H1", "H1", "H1", "H2", "H2", "H3", None]
    assert area_crossings(areas, groups) == {"H1": ("05G", "05W"), "H2": ("05W", None)}
    assert area_crossings(["A", "A"], ["H1", "H1"]) == {}
