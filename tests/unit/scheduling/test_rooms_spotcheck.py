from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from services.scheduling.domain.models import LOCAL_TZ
from services.scheduling.domain.rooms import (
    Booking,
    BookingConflict,
    BookingError,
    book,
    cancel,
    change,
    room_service_notice,
)
from services.scheduling.domain.spotcheck import (
    CheckMethod,
    CheckOutcome,
    CheckResult,
    Unit,
    draft_notice,
    select_units,
    summarize,
)


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, 10, h, m, tzinfo=LOCAL_TZ)


def booking(bid: str, start: datetime, end: datetime, room: str = "第一会议室") -> Booking:
    return Booking(booking_id=bid, room_id=room, start=start, end=end, title=f"会议{bid}", organiser="综合处")


def test_overlap_is_refused_naming_the_conflict() -> None:
    rooms = book([], booking("b1", at(9), at(11)))
    with pytest.raises(BookingConflict, match="已被占用：“会议b1”（综合处，03-10 09:00—11:00，预订号b1）") as err:
        book(rooms, booking("b2", at(10, 30), at(12)))
    assert err.value.existing.booking_id == "b1"
    rooms = book(rooms, booking("b2", at(11), at(12)))  # back to back is fine
    rooms = book(rooms, booking("b3", at(10), at(11), room="第二会议室"))
    assert len(rooms) == 3


def test_change_and_cancel() -> None:
    rooms = book(book([], booking("b1", at(9), at(10))), booking("b2", at(10), at(11)))
    with pytest.raises(BookingConflict, match="会议b2"):
        change(rooms, "b1", end=at(10, 30))
    rooms = change(rooms, "b1", start=at(8), end=at(9, 30))
    assert next(b for b in rooms if b.booking_id == "b1").start == at(8)
    rooms = cancel(rooms, "b2")
    rooms = book(rooms, booking("b4", at(10), at(11)))  # the cancelled slot is free again
    with pytest.raises(BookingError, match="已取消"):
        change(rooms, "b2", title="x")
    with pytest.raises(BookingError, match="须晚于开始时间"):
        book(rooms, booking("b5", at(15), at(14)))
    assert room_service_notice(rooms[0], "change").startswith("会议室变更：第一会议室，03月10日08:00—09:30")


UNITS = [Unit(unit_id=f"u{i}", name=f"{i}区政府办") for i in range(10)]


def test_selection_is_reproducible_and_prefers_units_not_checked_recently() -> None:
    first = select_units(UNITS, 3, random.Random(42))
    assert first == select_units(UNITS, 3, random.Random(42))
    recent = [u.unit_id for u in UNITS[:8]]
    picked = select_units(UNITS, 3, random.Random(7), recently_checked=recent)
    assert {u.unit_id for u in picked[:2]} == {"u8", "u9"} and len({u.unit_id for u in picked}) == 3


def test_summary_and_notice() -> None:
    results = [
        CheckResult(unit_id="u1", method=CheckMethod.PHONE, at=at(22), outcome=CheckOutcome.NORMAL,
                    answered_by="值班员甲", answer_seconds=8),
        CheckResult(unit_id="u1", method=CheckMethod.PHONE, at=at(23), outcome=CheckOutcome.NO_ANSWER),
        CheckResult(unit_id="u2", method=CheckMethod.VIDEO, at=at(21), outcome=CheckOutcome.NORMAL,
                    answer_seconds=20),
    ]
    summaries = {s.unit_id: s for s in summarize(UNITS, results)}
    assert summaries["u1"].problems == {"无人接听": 1} and summaries["u1"].average_answer_seconds == 8
    assert summaries["u2"].normal == 1 and "u3" not in summaries
    text = draft_notice(UNITS, results, "2026年3月", date(2026, 3, 12))
    assert "对2个单位的值班情况进行了抽查，共抽查3次，其中正常2次，存在问题1次" in text
    assert "1. 1区政府办：无人接听1次。" in text and "2区政府办：" not in text
    assert text.endswith("2026年3月12日")
