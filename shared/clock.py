"""One clock for the whole system. The domain never reads time; handlers and services take a Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock moved by hand: tests, replays and drills drive it (e.g. by each report's received_at)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def to_local(when: datetime) -> datetime:
    """What a person in the duty room reads: Asia/Shanghai."""
    return when.astimezone(SHANGHAI)


def as_utc(when: datetime) -> datetime:
    """Stored form. Naive datetimes come back naive from the store and are UTC by convention."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
