"""The holiday calendar the domain is given (never fetched): statutory holidays and make-up workdays (调休)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Protocol


def _shanghai() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database on the host: China has kept UTC+8 without DST since 1991
        return timezone(timedelta(hours=8), "CST")


SHANGHAI = _shanghai()


class HolidayCalendar(Protocol):
    def holiday_name(self, day: date) -> str | None: ...

    def is_workday(self, day: date) -> bool: ...


@dataclass(frozen=True)
class TableCalendar:
    """A checked-in official table: holiday dates with names, and make-up workdays (调休上班)."""

    holidays: dict[date, str] = field(default_factory=dict)
    makeup_workdays: frozenset[date] = frozenset()

    def holiday_name(self, day: date) -> str | None:
        return self.holidays.get(day)

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def local(moment: datetime) -> datetime:
    """The moment as a duty officer reads it (Asia/Shanghai). Naive datetimes are refused: time is ambiguous."""
    if moment.tzinfo is None:
        raise ValueError("时间缺少时区 / naive datetime: pass an aware datetime")
    return moment.astimezone(SHANGHAI)


def add_working_days(start: datetime, days: int, calendar: HolidayCalendar) -> datetime:
    """``days`` working days after ``start`` (same local time of day), skipping weekends and holidays."""
    moment = local(start)
    remaining = days
    while remaining:
        moment += timedelta(days=1)
        if calendar.is_workday(moment.date()):
            remaining -= 1
    return moment.astimezone(UTC)
