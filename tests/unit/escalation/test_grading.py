"""Every boundary of every shipped table: 以上 includes the number, one below falls to the next level."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.escalation.domain.grading import LEVEL_ORDER, Facts, grade, higher_of
from services.escalation.domain.rules import Rules

# (category, facts, expected level) — hand-written from NORMS.md §2, not derived from the YAML
CASES = [
    # production safety, also fire and road traffic (493号)
    *[(cat, f, lv) for cat in ("production_safety", "fire", "road_traffic") for f, lv in [
        (Facts(deaths=30), "I"), (Facts(deaths=29), "II"), (Facts(deaths=10), "II"), (Facts(deaths=9), "III"),
        (Facts(deaths=3), "III"), (Facts(deaths=2), "IV"), (Facts(deaths=0), "IV"),
        (Facts(serious_injuries=100), "I"), (Facts(serious_injuries=99), "II"), (Facts(serious_injuries=50), "II"),
        (Facts(serious_injuries=49), "III"), (Facts(serious_injuries=10), "III"), (Facts(serious_injuries=9), "IV"),
        (Facts(economic_loss_cny=1e8), "I"), (Facts(economic_loss_cny=1e8 - 1), "II"),
        (Facts(economic_loss_cny=5e7), "II"), (Facts(economic_loss_cny=5e7 - 1), "III"),
        (Facts(economic_loss_cny=1e7), "III"), (Facts(economic_loss_cny=1e7 - 1), "IV"),
    ]],
    # environment (国办函〔2014〕119号)
    ("environment", Facts(deaths=30), "I"), ("environment", Facts(deaths=29), "II"),
    ("environment", Facts(deaths=10), "II"), ("environment", Facts(deaths=9), "III"),
    ("environment", Facts(deaths=3), "III"), ("environment", Facts(deaths=2), "IV"),
    ("environment", Facts(serious_injuries=100), "I"), ("environment", Facts(serious_injuries=99), "II"),
    ("environment", Facts(serious_injuries=50), "II"), ("environment", Facts(serious_injuries=49), "III"),
    ("environment", Facts(serious_injuries=10), "III"), ("environment", Facts(serious_injuries=9), "IV"),
    ("environment", Facts(evacuated=50000), "I"), ("environment", Facts(evacuated=49999), "II"),
    ("environment", Facts(evacuated=10000), "II"), ("environment", Facts(evacuated=9999), "III"),
    ("environment", Facts(evacuated=5000), "III"), ("environment", Facts(evacuated=4999), "IV"),
    ("environment", Facts(economic_loss_cny=1e8), "I"), ("environment", Facts(economic_loss_cny=1e8 - 1), "II"),
    ("environment", Facts(economic_loss_cny=2e7), "II"), ("environment", Facts(economic_loss_cny=2e7 - 1), "III"),
    ("environment", Facts(economic_loss_cny=5e6), "III"), ("environment", Facts(economic_loss_cny=5e6 - 1), "IV"),
    # earthquake: deaths incl. missing 300/50/10
    ("earthquake", Facts(deaths=300), "I"), ("earthquake", Facts(deaths=299), "II"),
    ("earthquake", Facts(deaths=250, missing=49), "II"),
    ("earthquake", Facts(deaths=40, missing=10), "II"), ("earthquake", Facts(deaths=49), "III"),
    ("earthquake", Facts(missing=10), "III"), ("earthquake", Facts(deaths=5, missing=4), "IV"),
    # earthquake by magnitude: dense 6.0/5.0/4.0, elsewhere 7.0/6.0/5.0
    ("earthquake", Facts(magnitude=6.0, dense_area=True), "I"),
    ("earthquake", Facts(magnitude=5.9, dense_area=True), "II"),
    ("earthquake", Facts(magnitude=5.0, dense_area=True), "II"),
    ("earthquake", Facts(magnitude=4.9, dense_area=True), "III"),
    ("earthquake", Facts(magnitude=4.0, dense_area=True), "III"),
    ("earthquake", Facts(magnitude=3.9, dense_area=True), "IV"),
    ("earthquake", Facts(magnitude=7.0, dense_area=False), "I"),
    ("earthquake", Facts(magnitude=6.9, dense_area=False), "II"),
    ("earthquake", Facts(magnitude=6.0, dense_area=False), "II"),
    ("earthquake", Facts(magnitude=5.9, dense_area=False), "III"),
    ("earthquake", Facts(magnitude=5.0, dense_area=False), "III"),
    ("earthquake", Facts(magnitude=4.9, dense_area=False), "IV"),
    ("earthquake", Facts(magnitude=6.5), "IV"),  # area unknown: no magnitude rule applies, officer decides
    ("earthquake", Facts(magnitude=4.5, dense_area=False, deaths=60), "II"),  # highest criterion wins
    # geological and drowning: dead AND missing
    *[(cat, f, lv) for cat in ("geological", "drowning") for f, lv in [
        (Facts(deaths=30), "I"), (Facts(deaths=29), "II"), (Facts(deaths=20, missing=9), "II"),
        (Facts(missing=10), "II"),
        (Facts(deaths=5, missing=4), "III"), (Facts(deaths=1, missing=2), "III"), (Facts(deaths=1, missing=1), "IV"),
        (Facts(missing=2), "IV"),
    ]],
    # food poisoning and public health: 超过 excludes 100 itself
    *[(cat, f, lv) for cat in ("food_poisoning", "public_health") for f, lv in [
        (Facts(ill=101, deaths=1), "II"), (Facts(ill=100, deaths=1), "III"), (Facts(deaths=10), "II"),
        (Facts(deaths=9), "III"), (Facts(ill=101, deaths=0), "III"), (Facts(ill=100, deaths=0), "IV"),
        (Facts(deaths=1), "III"), (Facts(collective_unit_ill=5), "III"), (Facts(collective_unit_ill=4), "IV"),
        (Facts(ill=99, deaths=0), "IV"), (Facts(ill=30), "IV"), (Facts(ill=150), "III"),
    ]],
    # mass incidents: I and II only in the source
    ("mass_incident", Facts(participants=5000), "I"), ("mass_incident", Facts(participants=4999), "II"),
    ("mass_incident", Facts(participants=1000), "II"), ("mass_incident", Facts(participants=999), "IV"),
    ("mass_incident", Facts(deaths=10), "I"), ("mass_incident", Facts(deaths=9), "II"),
    ("mass_incident", Facts(deaths=3), "II"), ("mass_incident", Facts(deaths=2), "IV"),
    ("mass_incident", Facts(injuries=30), "I"), ("mass_incident", Facts(injuries=29), "II"),
    ("mass_incident", Facts(injuries=10), "II"), ("mass_incident", Facts(injuries=9), "IV"),
]


@pytest.mark.parametrize(("category", "facts", "level"), CASES)
def test_boundary(rules: Rules, category: str, facts: Facts, level: str) -> None:
    assert grade(facts, rules.table_for(category)).level == level


def test_highest_level_any_criterion_reaches(rules: Rules) -> None:
    g = grade(Facts(deaths=2, serious_injuries=55, economic_loss_cny=2e7), rules.table_for("production_safety"))
    assert g.level == "II"
    assert g.reasons == ["重伤（含急性中毒） 55 ≥ 50（重大）"]


def test_unknown_facts_are_not_zero(rules: Rules) -> None:
    g = grade(Facts(), rules.table_for("production_safety"))
    assert g.level == "IV"


def test_category_without_table_needs_a_person(rules: Rules) -> None:
    g = grade(Facts(deaths=50), rules.table_for("other"))
    assert g.level is None and "人工定级" in g.reasons[0]


def test_compound_reason_names_both_clauses(rules: Rules) -> None:
    g = grade(Facts(ill=120, deaths=2), rules.table_for("food_poisoning"))
    assert g.reasons == ["发病 120 > 100；死亡 2 ≥ 1（重大（超过100人发病且有死亡））"]


def test_magnitude_reason_says_dense_area(rules: Rules) -> None:
    g = grade(Facts(magnitude=5.2, dense_area=True), rules.table_for("earthquake"))
    assert g.level == "II" and "人口密集地区：是" in g.reasons[0]


def test_higher_of() -> None:
    assert higher_of("III", "II") == "II"
    assert higher_of(None, "IV") == "IV"
    assert higher_of("I", "IV") == "I"


COUNTS = st.one_of(st.none(), st.integers(min_value=0, max_value=20000))


@given(deaths=COUNTS, missing=COUNTS, ill=COUNTS, extra=st.integers(min_value=1, max_value=500),
       category=st.sampled_from(["production_safety", "environment", "earthquake", "geological", "food_poisoning",
                                 "mass_incident"]))
def test_more_casualties_never_lower_the_level(
    rules: Rules, deaths: int | None, missing: int | None, ill: int | None, extra: int, category: str,
) -> None:
    table = rules.table_for(category)
    before = grade(Facts(deaths=deaths, missing=missing, ill=ill), table).level
    after = grade(Facts(deaths=(deaths or 0) + extra, missing=missing, ill=ill), table).level
    assert before is not None and after is not None
    assert LEVEL_ORDER[after] <= LEVEL_ORDER[before]
