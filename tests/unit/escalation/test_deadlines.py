"""Which happening meets which report deadline (R-08): once, with when and what; late is late; a 续报 only
meets the deadline of its own window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.domain.calendar import TableCalendar
from services.escalation.domain.clocks import IncidentClockFacts, deadlines
from services.escalation.domain.deadlines import (
    DeadlineError,
    Happening,
    Met,
    Planned,
    follow_up_window,
    met_by,
    state_of,
)
from services.escalation.domain.rules import Rules

RECEIVED = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


def planned(rules: Rules, level: str = "III", closed_at: datetime | None = None) -> list[Planned]:
    found = deadlines(IncidentClockFacts("inc", "production_safety", closed_at), level, None, RECEIVED, rules,
                      TableCalendar())
    return [Planned(d.key, d.kind, d.stage, d.due_at) for d in found]


def of(plan: list[Planned], kind: str, stage: str = "初报") -> Planned:
    return next(d for d in plan if d.kind == kind and d.stage == stage)


def at(minutes: int) -> datetime:
    return RECEIVED + timedelta(minutes=minutes)


def test_leader_reached_by_phone_meets_phone_only(rules: Rules) -> None:
    plan = planned(rules)
    met = met_by(plan, [], Happening("leader_notified", at(20), "通知 l-vm-safety 已送达", "phone", "delivered"))
    assert [m.key for m in met] == [of(plan, "phone").key]
    assert met[0] == Met(of(plan, "phone").key, at(20), "通知 l-vm-safety 已送达", late=False)


@pytest.mark.parametrize(("channel", "state", "meets"), [
    ("fax", "delivered", True), ("email", "delivered", True), ("fax", "acknowledged", True),
    ("fax", "sent", False),  # handed to the fax server is not delivered
    ("sms", "delivered", False),  # the written report fell through to SMS: not a written report
])
def test_the_written_report_delivered_meets_the_written_deadline_only(rules: Rules, channel: str, state: str,
                                                                       meets: bool) -> None:
    plan = planned(rules)
    met = met_by(plan, [], Happening("written_delivered", at(50), "书面报告：传真已送达", channel, state))
    assert [m.key for m in met] == ([of(plan, "written").key] if meets else [])  # never the phone report


def test_leader_reached_by_fax_meets_phone_and_written(rules: Rules) -> None:
    plan = planned(rules)
    met = met_by(plan, [], Happening("leader_notified", at(30), "传真已送达", "fax", "delivered"))
    assert {m.key for m in met} == {of(plan, "phone").key, of(plan, "written").key}


@pytest.mark.parametrize("state", ["pending", "sending", "sent", "failed_temporary", "failed_permanent"])
def test_a_notification_not_yet_with_the_leader_meets_nothing(rules: Rules, state: str) -> None:
    assert met_by(planned(rules), [], Happening("leader_notified", at(5), "x", "phone", state)) == []


def test_already_met_is_not_met_again(rules: Rules) -> None:
    plan = planned(rules)
    phone = of(plan, "phone").key
    h = Happening("leader_notified", at(40), "再次送达", "phone", "acknowledged")
    assert met_by(plan, [phone], h) == []


def test_met_after_the_time_is_late(rules: Rules) -> None:
    plan = planned(rules)  # III: phone within 60 min of receipt
    [m] = met_by(plan, [], Happening("leader_called", at(75), "值班员电话报告"))
    assert m.late and state_of(of(plan, "phone"), m, at(80)) == "met_late"
    [m] = met_by(plan, [], Happening("leader_called", at(60), "值班员电话报告"))
    assert not m.late  # exactly at the limit is on time


def test_upward_is_met_only_once_sent(rules: Rules) -> None:
    plan = planned(rules)
    assert met_by(plan, [], Happening("upward_sent", at(50), "直报", "fax", "pending")) == []
    [m] = met_by(plan, [], Happening("upward_sent", at(50), "直报", "fax", "sent"))
    assert m.key == of(plan, "upward").key


def test_follow_up_meets_the_deadline_of_its_window(rules: Rules) -> None:
    plan = planned(rules)  # 续报一 17:00, 续报二 08:00 next day …
    first, second = of(plan, "follow_up", "续报一"), of(plan, "follow_up", "续报二")
    [m] = met_by(plan, [], Happening("follow_up_report", first.due_at - timedelta(hours=3), "续报一"))
    assert m.key == first.key and not m.late
    # a second report in the same window meets nothing more
    assert met_by(plan, [first.key], Happening("follow_up_report", first.due_at - timedelta(hours=1), "续报二")) == []
    # a report just after 17:00 belongs to the next window: 17:00 stays missed
    [m] = met_by(plan, [], Happening("follow_up_report", first.due_at + timedelta(minutes=1), "迟到的续报"))
    assert m.key == second.key
    assert state_of(first, None, first.due_at + timedelta(minutes=1)) == "missed"
    assert state_of(first, None, first.due_at) == "open"  # due at 17:00 means 17:00 is still in time


def test_final_report_meets_final_and_its_follow_up_window(rules: Rules) -> None:
    plan = planned(rules)
    first = of(plan, "follow_up", "续报一")
    met = met_by(plan, [], Happening("final_report", first.due_at - timedelta(hours=1), "终报"))
    assert {m.key for m in met} == {of(plan, "final", "终报").key, first.key}


def test_after_the_final_report_no_follow_up_is_planned(rules: Rules) -> None:
    closed = RECEIVED + timedelta(days=1)
    plan = planned(rules, closed_at=closed)
    assert all(d.due_at <= closed for d in plan if d.kind == "follow_up")
    assert follow_up_window(plan, closed + timedelta(minutes=1)) is None


def test_unknown_happening_is_refused(rules: Rules) -> None:
    with pytest.raises(DeadlineError, match="未知的报告环节"):
        met_by(planned(rules), [], Happening("rumour", at(1), "?"))


def test_same_inputs_same_answer(rules: Rules) -> None:
    h = Happening("final_report", at(600), "终报")
    assert met_by(planned(rules), [], h) == met_by(planned(rules), [], h)
