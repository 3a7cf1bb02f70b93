"""Report clocks: across midnight, across a holiday, fixed follow-up times in Asia/Shanghai, replayable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from services.escalation.domain.calendar import SHANGHAI, TableCalendar
from services.escalation.domain.clocks import IncidentClockFacts, chinese_ordinal, deadlines, stage_name
from services.escalation.domain.rules import Rules, load_rules

# 2026 National Day: 10-01…10-07 off, make-up workdays 09-20 (Sun) and 10-10 (Sat)
NATIONAL_DAY = TableCalendar(
    holidays={date(2026, 10, d): "国庆节" for d in range(1, 8)},
    makeup_workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
)
NO_HOLIDAYS = TableCalendar()
MINE = IncidentClockFacts("inc-1", "production_safety")


def sh(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def test_chinese_stage_names() -> None:
    assert [chinese_ordinal(n) for n in (1, 2, 9, 10, 11, 20, 21, 99)] == [
        "一", "二", "九", "十", "十一", "二十", "二十一", "九十九"]
    assert stage_name(0) == "初报" and stage_name(3) == "续报三"
    with pytest.raises(ValueError):
        chinese_ordinal(0)


def test_level_ii_across_midnight(rules: Rules) -> None:
    occurred, received = sh(2026, 11, 27, 23, 50), sh(2026, 11, 27, 23, 58)
    found = deadlines(MINE, "II", occurred, received, rules, NO_HOLIDAYS)
    first = [(d.kind, d.stage, d.due_local, d.started_by) for d in found[:5]]
    assert first == [
        ("phone", "初报", "2026-11-28 00:20", "occurred"),  # 30 min from occurrence, next calendar day
        ("written", "初报", "2026-11-28 00:50", "occurred"),
        ("upward", "初报", "2026-11-28 00:50", "occurred"),
        ("follow_up", "续报一", "2026-11-28 08:00", "schedule"),
        ("follow_up", "续报二", "2026-11-28 17:00", "schedule"),
    ]
    assert found[3].due_at == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 08:00 Shanghai is 00:00 UTC
    assert found[-1].kind == "final" and found[-1].due_local == "2026-12-27 23:50"  # 30 days (493号)
    assert all(d.due_at.tzinfo is UTC for d in found)


def test_level_iii_clock_starts_at_receipt(rules: Rules) -> None:
    found = deadlines(MINE, "III", sh(2026, 11, 28, 6, 0), sh(2026, 11, 28, 9, 0), rules, NO_HOLIDAYS)
    phone = next(d for d in found if d.kind == "phone")
    assert phone.due_local == "2026-11-28 10:00" and phone.started_by == "received"
    assert phone.reminders[0].at == phone.due_at - timedelta(minutes=10)
    assert phone.overdue_to == ("duty_officer", "duty_head")


def test_follow_up_not_due_right_after_first_report(rules: Rules) -> None:
    found = deadlines(MINE, "III", None, sh(2026, 11, 28, 7, 30), rules, NO_HOLIDAYS)
    follow = [d for d in found if d.kind == "follow_up"]
    assert follow[0].due_local == "2026-11-28 17:00" and follow[0].stage == "续报一"  # 08:00 is < 60 min away
    assert follow[1].due_local == "2026-11-29 08:00"


def test_minute_limits_run_through_a_holiday_night(rules: Rules) -> None:
    found = deadlines(MINE, "III", None, sh(2026, 10, 2, 23, 30), rules, NATIONAL_DAY)
    assert next(d for d in found if d.kind == "phone").due_local == "2026-10-03 00:30"


def test_working_day_limit_skips_the_holiday(rules_text: str) -> None:
    data = yaml.safe_load(rules_text)
    data["report_limits"]["IV"]["written"] = {"working_days": 1, "clock": "received"}
    rules = load_rules(yaml.safe_dump(data, allow_unicode=True))
    written = next(d for d in deadlines(MINE, "IV", None, sh(2026, 9, 30, 16, 0), rules, NATIONAL_DAY)
                   if d.kind == "written")
    assert written.due_local == "2026-10-08 16:00"
    written = next(d for d in deadlines(MINE, "IV", None, sh(2026, 10, 9, 16, 0), rules, NATIONAL_DAY)
                   if d.kind == "written")
    assert written.due_local == "2026-10-10 16:00"  # Saturday make-up workday counts


def test_per_day_follow_ups_stop_at_closing(rules: Rules) -> None:
    received = sh(2026, 11, 28, 10, 0)
    found = deadlines(MINE, "IV", None, received, rules, NO_HOLIDAYS)
    assert [d.stage for d in found if d.kind == "follow_up"] == [f"续报{chinese_ordinal(n)}" for n in range(1, 8)]
    closed = IncidentClockFacts("inc-1", "production_safety", closed_at=received + timedelta(days=2, hours=1))
    assert [d.due_local for d in deadlines(closed, "IV", None, received, rules, NO_HOLIDAYS)
            if d.kind == "follow_up"] == ["2026-11-29 10:00", "2026-11-30 10:00"]


def test_road_traffic_final_report_in_seven_days(rules: Rules) -> None:
    road = IncidentClockFacts("inc-2", "road_traffic")
    final = deadlines(road, "III", sh(2026, 11, 28, 9, 0), sh(2026, 11, 28, 9, 5), rules, NO_HOLIDAYS)[-1]
    assert (final.kind, final.stage, final.due_local) == ("final", "终报", "2026-12-05 09:00")


def test_replay_gives_identical_deadlines_and_keys(rules: Rules) -> None:
    args = (MINE, "I", sh(2026, 11, 28, 1, 0), sh(2026, 11, 28, 1, 10), rules, NATIONAL_DAY)
    a, b = deadlines(*args), deadlines(*args)
    assert a == b and [d.key for d in a] == [d.key for d in b]
    assert len({d.key for d in a}) == len(a)


def test_naive_time_is_refused(rules: Rules) -> None:
    with pytest.raises(ValueError, match="时区"):
        deadlines(MINE, "II", None, datetime(2026, 11, 28, 9, 0), rules, NO_HOLIDAYS)
