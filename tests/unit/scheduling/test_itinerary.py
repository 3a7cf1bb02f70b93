from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.itinerary import (
    AwayKind,
    AwayPeriod,
    ItineraryConfig,
    ItineraryItem,
    Leader,
    LeaderGroup,
    PlanKind,
    PlanSubmission,
    availability,
    compile_tables,
    daily_deadline,
    missing_submitters,
    missing_text,
    reminder_text,
    upcoming_deadlines,
    weekly_deadline,
)
from services.scheduling.domain.models import LOCAL_TZ

CAL = OfficialCalendar.load()
CONFIG = ItineraryConfig()
LEADERS = [
    Leader(person_id="mayor", name="王某", title="市长", group=LeaderGroup.CITY, order=1),
    Leader(person_id="vm1", name="李某", title="副市长", group=LeaderGroup.CITY, order=2),
    Leader(person_id="sg", name="张某", title="秘书长", group=LeaderGroup.SECRETARIES_GENERAL, order=10),
]


def at(m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, tzinfo=LOCAL_TZ)


def test_weekly_deadline_is_friday_or_last_workday_before() -> None:
    assert weekly_deadline(date(2026, 3, 9), CAL, CONFIG) == at(3, 6, 17, 30)
    # Friday 2026-06-19 is 端午节: the plan for the week of 06-22 is due Thursday 06-18.
    assert weekly_deadline(date(2026, 6, 22), CAL, CONFIG) == at(6, 18, 17, 30)
    # Friday 2026-10-02 is 国庆节: due the last working day before, Wednesday 09-30.
    assert weekly_deadline(date(2026, 10, 5), CAL, CONFIG) == at(9, 30, 17, 30)


def test_daily_deadline_moves_over_rest_days_but_not_makeup_days() -> None:
    assert daily_deadline(date(2026, 3, 3), CAL, CONFIG) == at(3, 2, 17, 30)
    assert daily_deadline(date(2026, 3, 9), CAL, CONFIG) == at(3, 6, 17, 30)
    assert daily_deadline(date(2026, 3, 8), CAL, CONFIG) == at(3, 6, 17, 30)
    # Saturday 02-28 is a make-up workday: Monday's plan is due that Saturday, not Friday.
    assert daily_deadline(date(2026, 3, 2), CAL, CONFIG) == at(2, 28, 17, 30)
    # Sunday 02-15 follows the make-up Saturday 02-14, itself a working day.
    assert daily_deadline(date(2026, 2, 15), CAL, CONFIG) == at(2, 14, 17, 30)


def _sub(leader: str, kind: PlanKind, start: date, when: datetime, *items: ItineraryItem) -> PlanSubmission:
    return PlanSubmission(leader_id=leader, kind=kind, period_start=start, submitted_by="sec",
                          submitted_at=when, items=items)


def test_missing_and_reminder() -> None:
    subs = [_sub("mayor", PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 10))]
    missing = missing_submitters(LEADERS, subs, PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 15))
    assert [x.person_id for x in missing] == ["vm1", "sg"]
    text = reminder_text(missing, PlanKind.WEEKLY, at(3, 6, 17, 30))
    assert text == "请于03月06日17:30前报送李某副市长、张某秘书长的下周工作安排。"


def test_four_tables_latest_submission_wins() -> None:
    def item(leader: str, d: int, h: int, what: str) -> ItineraryItem:
        return ItineraryItem(leader_id=leader, start=at(3, d, h), end=at(3, d, h + 1), activity=what, location="市府")

    subs = [
        _sub("vm1", PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 9), item("vm1", 10, 9, "旧安排")),
        _sub("vm1", PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 11), item("vm1", 10, 9, "调研")),
        _sub("mayor", PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 10), item("mayor", 11, 14, "常务会")),
        _sub("sg", PlanKind.DAILY, date(2026, 3, 10), at(3, 9, 16), item("sg", 10, 8, "早会")),
    ]
    tables = compile_tables(LEADERS, subs, date(2026, 3, 9), date(2026, 3, 10))
    assert [(r.leader, r.activity) for r in tables.weekly_leaders] == [("王某", "常务会"), ("李某", "调研")]
    assert tables.weekly_secretaries_general == [] and tables.daily_leaders == []
    assert [(r.title, r.time) for r in tables.daily_secretaries_general] == [("秘书长", "08:00—09:00")]


def test_availability_with_acting_leader() -> None:
    away = [AwayPeriod(leader_id="vm1", kind=AwayKind.TRAVEL, start=at(3, 10, 8), end=at(3, 12, 20),
                       destination="北京", acting_leader_id="vm2")]
    during = availability("vm1", at(3, 11, 9), away)
    assert not during.available and during.acting_leader_id == "vm2" and "出差（北京）" in during.note
    assert availability("vm1", at(3, 12, 20), away).available
    assert availability("mayor", at(3, 11, 9), away).available


def _deadlines(now: datetime, config: ItineraryConfig = CONFIG) -> list[tuple[str, date, datetime]]:
    return [(d.kind.value, d.period_start, d.due) for d in upcoming_deadlines(now, CAL, config, timedelta(days=2))]


def test_upcoming_deadlines_move_back_when_friday_is_a_holiday() -> None:
    # Friday 06-19 is 端午节 (a holiday, no next-day plan for it): the week of 06-22 and Monday 06-22 are both
    # due Thursday 06-18; Thursday's own plan was due the day before, outside the window.
    assert _deadlines(at(6, 18, 8)) == [("daily", date(2026, 6, 22), at(6, 18, 17, 30)),
                                        ("weekly", date(2026, 6, 22), at(6, 18, 17, 30))]


def test_upcoming_deadlines_follow_makeup_workdays() -> None:
    # Saturday 02-14 is a make-up workday: it needs a next-day plan (due Friday), and the first working day
    # after 春节 (Tue 02-24) is due on it; so is the week of 02-23, whose Friday is inside the break.
    found = _deadlines(at(2, 13, 9))
    assert ("daily", date(2026, 2, 14), at(2, 13, 17, 30)) in found
    assert ("weekly", date(2026, 2, 16), at(2, 13, 17, 30)) in found
    assert ("daily", date(2026, 2, 24), at(2, 14, 17, 30)) in found
    assert ("weekly", date(2026, 2, 23), at(2, 14, 17, 30)) in found
    assert not [d for d in found if d[0] == "daily" and date(2026, 2, 15) <= d[1] <= date(2026, 2, 23)]
    rest_days_too = _deadlines(at(2, 13, 9), ItineraryConfig(daily_on_rest_days=True))
    assert ("daily", date(2026, 2, 15), at(2, 14, 17, 30)) in rest_days_too


def test_upcoming_deadlines_window_and_configured_times() -> None:
    config = ItineraryConfig(daily_due_time=time(16, 0), weekly_due_weekday=3, tables_after=timedelta(hours=1))
    found = _deadlines(at(3, 5, 16, 30), config)  # Thursday, half an hour after 16:00
    assert ("daily", date(2026, 3, 6), at(3, 5, 16)) in found  # still inside tables_after: kept
    assert ("weekly", date(2026, 3, 9), at(3, 5, 16)) not in found  # weekly keeps its own time (17:30)
    assert ("weekly", date(2026, 3, 9), at(3, 5, 17, 30)) in found
    assert all(d[2] >= at(3, 5, 15, 30) for d in found)


def test_missing_text_names_who_is_missing() -> None:
    text = missing_text(LEADERS[1:], PlanKind.WEEKLY, date(2026, 3, 9), at(3, 6, 17, 30))
    assert text == "截至03月06日17:30，03月09日当周工作安排尚未报送2人：李某（副市长）、张某（秘书长）。"
    assert "已全部按时报送" in missing_text([], PlanKind.DAILY, date(2026, 3, 9), at(3, 6, 17, 30))


def test_deadlines_in_a_year_without_calendar_are_left_out_and_reported() -> None:
    skipped: set[int] = set()
    found = upcoming_deadlines(at(12, 28, 9), CAL, CONFIG, timedelta(days=8), skipped=skipped)
    assert skipped == {2027}
    assert ("daily", date(2026, 12, 29)) in [(d.kind.value, d.period_start) for d in found]
    assert all(d.period_start.year == 2026 and d.due.year == 2026 for d in found)
