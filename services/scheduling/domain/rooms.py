"""Meeting-room booking (R-24): overlaps refused with the conflicting booking named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BookingConflict(ValueError):
    def __init__(self, wanted: Booking, existing: Booking) -> None:
        self.existing = existing
        super().__init__(
            f"{wanted.room_id}在{wanted.start:%m-%d %H:%M}—{wanted.end:%H:%M}已被占用："
            f"“{existing.title}”（{existing.organiser}，{existing.start:%m-%d %H:%M}—{existing.end:%H:%M}，"
            f"预订号{existing.booking_id}），请另选时间或会议室"
        )


class BookingError(ValueError):
    """A booking that makes no sense on its own (end before start, unknown or cancelled booking)."""


class Booking(BaseModel):
    model_config = ConfigDict(frozen=True)

    booking_id: str
    room_id: str
    start: datetime
    end: datetime
    title: str
    organiser: str
    attendees: int = 0
    cancelled: bool = False

    def overlaps(self, other: Booking) -> bool:
        return self.room_id == other.room_id and self.start < other.end and other.start < self.end


def _check(wanted: Booking, bookings: Sequence[Booking]) -> None:
    if wanted.end <= wanted.start:
        raise BookingError(f"会议结束时间{wanted.end:%H:%M}须晚于开始时间{wanted.start:%H:%M}")
    for existing in sorted(bookings, key=lambda b: b.start):
        if not existing.cancelled and existing.booking_id != wanted.booking_id and existing.overlaps(wanted):
            raise BookingConflict(wanted, existing)


def book(bookings: Sequence[Booking], wanted: Booking) -> list[Booking]:
    if any(b.booking_id == wanted.booking_id for b in bookings):
        raise BookingError(f"预订号{wanted.booking_id}已存在")
    _check(wanted, bookings)
    return [*bookings, wanted]


def _find(bookings: Sequence[Booking], booking_id: str) -> Booking:
    found = next((b for b in bookings if b.booking_id == booking_id), None)
    if found is None:
        raise BookingError(f"找不到预订号{booking_id}")
    if found.cancelled:
        raise BookingError(f"预订号{booking_id}已取消，不能再修改")
    return found


def change(bookings: Sequence[Booking], booking_id: str, **updates: object) -> list[Booking]:
    """Move or rename a booking; the new time is checked against every other booking."""
    changed = _find(bookings, booking_id).model_copy(update=updates)
    _check(changed, bookings)
    return [changed if b.booking_id == booking_id else b for b in bookings]


def cancel(bookings: Sequence[Booking], booking_id: str) -> list[Booking]:
    _find(bookings, booking_id)
    return [b.model_copy(update={"cancelled": True}) if b.booking_id == booking_id else b for b in bookings]


def room_service_notice(booking: Booking, action: str) -> str:
    """The message for the room service staff (sent through notify)."""
    verb = {"book": "新增", "change": "变更", "cancel": "取消"}[action]
    return (f"会议室{verb}：{booking.room_id}，{booking.start:%m月%d日%H:%M}—{booking.end:%H:%M}，"
            f"“{booking.title}”，{booking.organiser}" + (f"，约{booking.attendees}人" if booking.attendees else ""))
