from __future__ import annotations

from datetime import date

import pytest

from services.scheduling.domain.calendar import CalendarYearMissing, OfficialCalendar
from services.scheduling.domain.models import Role, Unavailability
from services.scheduling.domain.roster import (
    RosterConfig,
    SensitivePeriod,
    fairness_report,
    generate_roster,
    initial_rotation,
)
from tests.unit.scheduling.helpers import office


@pytest.fixture(scope="module")
def cal() -> OfficialCalendar:
    return OfficialCalendar.load()


@pytest.fixture(scope="module")
def people():
    return office()


@pytest.fixture(scope="module")
def year_2026(cal, people):
    return generate_roster(date(2026, 1, 1), date(2026, 12, 31), people, RosterConfig(), cal)


def officers(people) -> list[str]:
    return [p.person_id for p in people if Role.DUTY_OFFICER in p.roles]


def test_every_day_of_2026_has_a_covered_day_and_night_shift(year_2026) -> None:
    assert len(year_2026.shifts) == 365 * 2
    assert all(len(s.officers) == 1 and s.leader for s in year_2026.shifts)
    assert year_2026.warnings == []


def test_fairness_within_one_over_2026(year_2026, people) -> None:
    spread = fairness_report(year_2026, officers(people))["spread"]
    assert set(spread) == {"shifts", "nights", "weekend", "holiday"}
    assert max(spread.values()) <= 1, spread


def test_no_overlap_and_no_day_after_night(year_2026) -> None:
    by_person: dict[str, list] = {}
    for s in year_2026.shifts:
        for pid in s.officers:
            by_person.setdefault(pid, []).append(s)
    for shifts in by_person.values():
        for a, b in zip(shifts, shifts[1:], strict=False):
            assert a.end <= b.start
            assert not (a.is_night and not b.is_night and (b.date - a.date).days == 1)


def test_leaders_head_on_workdays_and_weekends_rotation_on_holidays(year_2026) -> None:
    by_id = {s.shift_id: s for s in year_2026.shifts}
    makeup = by_id["2026-02-14-day"]
    assert (makeup.day_type, makeup.leader, makeup.section) == ("workday", "head", None)
    assert by_id["2026-03-07-day"].day_type == "weekend" and by_id["2026-03-07-day"].leader == "head"
    spring = [by_id[f"2026-02-{d}-day"] for d in range(15, 24)]
    assert all(s.day_type == "holiday" and s.holiday_name == "春节" for s in spring)
    assert all(s.leader != "head" and s.leader_at_home and s.leader_at_home != s.leader for s in spring)
    assert len({s.leader for s in spring}) == 6  # 9 days over 6 leaders: everyone leads
    assert all(s.holiday_staff and s.section for s in spring)


def test_national_day_2026_is_seven_holiday_days_with_makeup_saturday(year_2026) -> None:
    by_id = {s.shift_id: s for s in year_2026.shifts}
    national = [s for s in year_2026.shifts if s.holiday_name == "国庆节" and s.kind == "day"]
    assert [s.date.day for s in national] == list(range(1, 8))
    assert by_id["2026-10-10-day"].day_type == "workday"
    assert by_id["2026-09-20-night"].leader == "head"


def test_rolling_section_rotation_continues_across_two_holidays(cal, people) -> None:
    new_year = generate_roster(date(2026, 1, 1), date(2026, 1, 3), people, RosterConfig(), cal)
    assert [s.section for s in new_year.shifts if s.kind == "day"] == ["sec0", "sec1", "sec2"]
    assert new_year.rotation_state.next_section == 3
    spring = generate_roster(date(2026, 2, 15), date(2026, 2, 23), people, RosterConfig(), cal,
                             rotation_state=new_year.rotation_state)
    sections = [s.section for s in spring.shifts if s.kind == "day"]
    assert sections[:3] == ["sec3", "sec4", "sec0"]  # picks up where New Year stopped
    assert len(sections) == 9
    # The leaders' rotation also continues: New Year's 3 days used l00..l02.
    assert spring.shifts[0].leader == "l03"
    # The input state is not mutated.
    assert new_year.rotation_state.next_section == 3


def test_unavailability_is_respected_and_sensitive_period_doubles(cal, people) -> None:
    away = [Unavailability(person_id="o00", start=date(2026, 3, 1), end=date(2026, 3, 31), reason="出差"),
            Unavailability(person_id="head", start=date(2026, 3, 2), end=date(2026, 3, 2))]
    config = RosterConfig(sensitive_periods=(SensitivePeriod(name="全国两会", start=date(2026, 3, 4),
                                                             end=date(2026, 3, 11)),))
    draft = generate_roster(date(2026, 3, 1), date(2026, 3, 31), people, config, cal, unavailability=away)
    assert all("o00" not in s.officers for s in draft.shifts)
    sensitive = [s for s in draft.shifts if date(2026, 3, 4) <= s.date <= date(2026, 3, 11)]
    assert all(len(s.officers) == 2 == len(set(s.officers)) for s in sensitive)
    head_away = [s for s in draft.shifts if s.date == date(2026, 3, 2)]
    assert all(s.leader != "head" and s.leader for s in head_away)
    assert any("值班室负责人不能带班" in w for w in draft.warnings)


def test_too_few_officers_is_warned_not_hidden(cal) -> None:
    people = office(officers=1)
    draft = generate_roster(date(2026, 3, 2), date(2026, 3, 3), people, RosterConfig(), cal)
    assert any("仅能安排0人" in w for w in draft.warnings)


def test_year_without_calendar_is_refused(cal, people) -> None:
    with pytest.raises(CalendarYearMissing, match="2027"):
        generate_roster(date(2026, 12, 1), date(2027, 1, 31), people, RosterConfig(), cal)


def test_initial_rotation_orders(people) -> None:
    state = initial_rotation(people)
    assert state.section_order == ["sec0", "sec1", "sec2", "sec3", "sec4"]
    assert state.next_home_leader == 3


def test_tight_staff_still_never_puts_a_day_right_after_a_night(cal) -> None:
    draft = generate_roster(date(2026, 3, 1), date(2026, 3, 31), office(officers=3), RosterConfig(), cal)
    nights = {(s.date, pid) for s in draft.shifts if s.is_night for pid in s.officers}
    days = [(s.date, pid) for s in draft.shifts if not s.is_night for pid in s.officers]
    assert all((d.fromordinal(d.toordinal() - 1), pid) not in nights for d, pid in days)
    assert draft.warnings == [] and fairness_report(draft)["spread"]["shifts"] <= 1
