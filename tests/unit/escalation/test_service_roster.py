"""Escalation's held roster as the service uses it (service_roster.py): scheduling's answer first; when it does
not come, the officers and shift leader of the published roster, leaders away from the availability events,
and a timeline entry saying where the answer came from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.escalation.domain.calendar import SHANGHAI
from services.escalation.domain.rules import Rules
from shared.bus import RetryLater
from shared.contracts import OnDutyAnswer, OnDutyQuery
from shared.contracts.scheduling import LeaderAvailabilityChanged, PublishedShift, RosterPublished
from tests.unit.escalation.service_harness import Harness, make, person

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Shanghai, a Saturday
HEAD = person("p-head", "duty_head")


def shift(sid: str, start: datetime, hours: int, officers: list[str], leader: str) -> PublishedShift:
    return PublishedShift(shift_id=sid, start=start, end=start + timedelta(hours=hours), kind="day",
                          day_type="weekend", officers=officers, shift_leader=leader)


def published(roster_id: str, shifts: list[PublishedShift], *, at: datetime, part: int = 1, parts: int = 1,
              period: tuple[date, date] = (date(2026, 11, 28), date(2026, 11, 28))) -> RosterPublished:
    days = [s.start.astimezone(SHANGHAI).date() for s in shifts] or [period[0]]
    return RosterPublished(roster_id=roster_id, period_start=period[0], period_end=period[1], part=part, parts=parts,
                           part_start=min(days), part_end=max(days), approved_by="l-sg", published_at=at,
                           shifts=shifts)


DAY = START - timedelta(hours=2)  # 08:00 Shanghai


async def scheduling_down(query: OnDutyQuery) -> OnDutyAnswer:
    raise TimeoutError("no reply from scheduling.query.on_duty")


async def down(rules: Rules) -> Harness:
    h = await make(rules, START)
    h.svc.ask_on_duty = scheduling_down
    return h


async def test_scheduling_down_the_officer_on_shift_by_the_published_roster_is_told(rules: Rules) -> None:
    h = await down(rules)
    assert await h.svc.on_roster_published(published("R-1", [shift("s-day", DAY, 10, ["p-duty-7"], "p-head")],
                                                     at=START - timedelta(days=3)))
    doc = await h.open()
    assert await h.sent_to() == ["p-duty-7"]
    assert doc["on_duty"]["duty_officers"] == ["p-duty-7"] and doc["on_duty"]["shift_leader"] == "p-head"
    assert doc["on_duty_source"] == "published_roster"
    [entry] = [e for e in doc["timeline"] if e["kind"] == "on_duty_from_roster"]
    assert "值班安排服务未应答" in entry["text"] and "R-1" in entry["text"] and "p-duty-7" in entry["text"]
    assert entry["roster_id"] == "R-1" and entry["source"] == "published_roster"
    await h.svc._proceed(doc)  # a redelivery: one entry, one message
    after = await h.store.get("INC-1")
    assert after is not None and len([e for e in after["timeline"] if e["kind"] == "on_duty_from_roster"]) == 1
    assert await h.sent_to() == ["p-duty-7"]


async def test_scheduling_answering_is_primary_and_the_roster_is_not_consulted(rules: Rules) -> None:
    h = await make(rules, START, answer={"duty_officers": ["p-duty-1"]})  # e.g. after a swap scheduling knows of
    await h.svc.on_roster_published(published("R-1", [shift("s-day", DAY, 10, ["p-duty-7"], "p-head")],
                                              at=START - timedelta(days=3)))
    doc = await h.open()
    assert await h.sent_to() == ["p-duty-1"]
    assert doc["on_duty_source"] == "scheduling"
    assert not [e for e in doc["timeline"] if e["kind"] == "on_duty_from_roster"]


async def test_scheduling_down_and_no_roster_covers_now_retries_later(rules: Rules) -> None:
    h = await down(rules)
    tomorrow = DAY + timedelta(days=1)
    await h.svc.on_roster_published(published("R-1", [shift("s-next", tomorrow, 10, ["p-duty-7"], "p-head")],
                                              at=START, period=(date(2026, 11, 29), date(2026, 11, 29))))
    with pytest.raises(RetryLater, match="无覆盖当前时间的已发布排班表"):
        await h.open()
    assert await h.sent_to() == []


async def test_a_redelivered_part_is_kept_once(rules: Rules) -> None:
    h = await make(rules, START)
    event = published("R-1", [shift("s-day", DAY, 10, ["p-duty-7"], "p-head")], at=START)
    assert await h.svc.on_roster_published(event) is True
    assert await h.svc.on_roster_published(event) is False
    assert await h.store.roster_parts.count_documents({}) == 1


async def test_a_superseding_roster_decides_even_when_the_older_part_arrives_last(rules: Rules) -> None:
    h = await down(rules)
    newer = published("R-2", [shift("s2-day", DAY, 10, ["p-duty-8"], "p-head")], at=START - timedelta(days=1))
    older = published("R-1", [shift("s1-day", DAY, 10, ["p-duty-7"], "p-head")], at=START - timedelta(days=9))
    await h.svc.on_roster_published(newer)
    await h.svc.on_roster_published(older)
    view = await h.svc.on_shift_view(START)
    assert view["roster_id"] == "R-2" and view["duty_officers"] == ["p-duty-8"]
    await h.open()
    assert await h.sent_to() == ["p-duty-8"]


async def test_the_shift_leader_of_the_held_roster_may_approve_while_scheduling_is_down(rules: Rules) -> None:
    h = await down(rules)
    await h.svc.on_roster_published(published("R-1", [shift("s-day", DAY, 10, ["p-duty-7"], "p-sl-9")], at=START))
    doc = await h.open()
    assert doc["review"]["state"] == "awaiting_review"
    await h.svc.review_step("INC-1", person("p-sl-9", "shift_leader"), "approve", shown_revision=doc["revision"])
    assert "l-vm-safety" in await h.sent_to()


def away(cancelled: bool = False, acting: str | None = "l-vm-social") -> LeaderAvailabilityChanged:
    return LeaderAvailabilityChanged(leader_id="l-vm-safety", start=START - timedelta(hours=5),
                                     end=START + timedelta(days=2), kind="travel", acting_leader=acting,
                                     cancelled=cancelled, changed_at=START - timedelta(hours=6))


async def approved_while_down(h: Harness) -> list[str]:
    await h.svc.on_roster_published(published("R-1", [shift("s-day", DAY, 10, ["p-duty-7"], "p-head")], at=START))
    doc = await h.open()
    await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=doc["revision"])
    return [p["person_id"] for p in await h.sends() if p["person_id"].startswith("l-")]


async def test_scheduling_down_an_away_leader_held_from_its_events_is_replaced_by_the_acting_leader(
        rules: Rules) -> None:
    h = await down(rules)
    await h.svc.on_leader_availability(away())
    await h.svc.on_leader_availability(away())  # redelivered
    assert await approved_while_down(h) == ["l-vm-social", "l-vm-social"]  # the report and the written report
    doc = await h.store.get("INC-1")
    assert doc is not None
    [entry] = [e for e in doc["timeline"] if e["kind"] == "on_duty_from_roster"]
    assert "l-vm-safety（出差，由l-vm-social代理）" in entry["text"]
    [plan] = [r for r in doc["routing_plan"] if "in_charge" in r["roles"]]
    assert plan["person_id"] == "l-vm-social" and plan["acting_for"] == "l-vm-safety"
    view = await h.svc.on_shift_view(START)
    assert [(a["leader_id"], a["acting_leader"]) for a in view["leaders_away"]] == [("l-vm-safety", "l-vm-social")]


async def test_a_cancelled_absence_stays_cancelled_whichever_event_arrives_first(rules: Rules) -> None:
    h = await down(rules)
    await h.svc.on_leader_availability(away(cancelled=True))  # the cancellation overtook the registration
    await h.svc.on_leader_availability(away())
    assert (await h.svc.on_shift_view(START))["leaders_away"] == []
    assert await approved_while_down(h) == ["l-vm-safety", "l-vm-safety"]  # he is back: he gets it himself
