from __future__ import annotations

from datetime import date, datetime

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
    reminder_text,
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
