from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.handover import (
    HandoverConfig,
    HandoverError,
    HandoverState,
    PendingItem,
    handover_slots,
    handover_summary,
    open_handover,
)
from services.scheduling.domain.models import LOCAL_TZ

CAL = OfficialCalendar.load()


def at(d: int, h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, d, h, m, tzinfo=LOCAL_TZ)


def test_makeup_workday_hands_over_at_end_of_working_day() -> None:
    config = HandoverConfig(end_of_working_day=time(18, 0), rest_day_evening=None)
    assert [t.time() for t in handover_slots(date(2026, 2, 14), CAL, config)] == [time(8), time(18)]
    assert [t.time() for t in handover_slots(date(2026, 2, 15), CAL, config)] == [time(8)]
    assert [t.time() for t in handover_slots(date(2026, 3, 2), CAL, config)] == [time(8), time(18)]


def test_collects_pending_items_and_orders_deadlines() -> None:
    rec = open_handover(at(2, 8), ["o01"], ["o02"],
                        pending_incidents=[PendingItem(ref="inc-1", title="某路段塌陷")],
                        open_instructions=[PendingItem(ref="ins-7", title="市长批示：核实伤亡")],
                        deadlines=[PendingItem(ref="d2", title="续报", due=at(2, 12)),
                                   PendingItem(ref="d1", title="首报", due=at(2, 9))],
                        done=["处置完毕：燃气泄漏"])
    assert [d.ref for d in rec.deadlines] == ["d1", "d2"]
    assert rec.pending_count() == 4
    text = handover_summary(rec)
    assert "待办事件（1项）" in text and "某路段塌陷" in text and "时限03-02 09:00" in text


def test_sign_then_confirm_by_the_right_people() -> None:
    rec = open_handover(at(2, 8), ["o01"], ["o02"])
    with pytest.raises(HandoverError, match="尚未签字"):
        rec.confirm("o02", at(2, 8))
    with pytest.raises(HandoverError, match="o02不是本次交班人员"):
        rec.sign("o02", at(2, 8))
    signed = rec.sign("o01", at(2, 8))
    with pytest.raises(HandoverError, match="o03不是本次接班人员"):
        signed.confirm("o03", at(2, 8, 5))
    done = signed.confirm("o02", at(2, 8, 5))
    assert done.state is HandoverState.CONFIRMED and rec.state is HandoverState.DRAFT
    with pytest.raises(HandoverError, match="不能重复确认"):
        done.confirm("o02", at(2, 8, 6))


def test_reminder_and_overdue_alert_to_head() -> None:
    config = HandoverConfig()
    rec = open_handover(at(2, 8), ["o01"], ["o02"])
    assert rec.reminder_at(config) == at(2, 7, 50)
    assert rec.overdue_alert(at(2, 8, 14), config, ["head"]) is None
    alert = rec.sign("o01", at(2, 8)).overdue_alert(at(2, 8, 15), config, ["head"])
    assert alert is not None and alert.alert_to == ["head"] and "接班人员未确认" in alert.message
    confirmed = rec.sign("o01", at(2, 8)).confirm("o02", at(2, 8) + timedelta(minutes=3))
    assert confirmed.overdue_alert(at(2, 9), config, ["head"]) is None
