"""Routing as the service runs it (service_routing.py): scheduling's answer names the leader in charge and who
acts for an away leader; the rules give channels, cc and the silence chain; one message per person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.escalation.domain.rules import Rules
from services.escalation.service_routing import UpwardRefused, field_name
from shared.contracts.events import DeliveryState, NotificationStatus
from shared.contracts.notify import NotificationUnacknowledged
from tests.unit.escalation.service_harness import Harness, make, minutes, person

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
HEAD = person("p-head", "duty_head")


async def approved(h: Harness, **changes: object) -> dict:
    doc = await h.open(**changes)
    await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=doc["revision"])
    out = await h.store.get("INC-1")
    assert out is not None
    return out


async def test_away_leader_the_acting_leader_receives_it(rules: Rules) -> None:
    # scheduling: l-vm-safety (production safety) is away on travel; l-vm-social acts for him
    h = await make(rules, START, answer={"leader_in_charge": "l-vm-social", "acting_for": "l-vm-safety",
                                         "principal_leader": "l-mayor"})
    doc = await approved(h)
    leaders = [p for p in await h.sends() if p["person_id"].startswith("l-")]
    assert [p["person_id"] for p in leaders] == ["l-vm-social", "l-vm-social"]  # not the away leader
    assert leaders[0]["channels"] == ["phone", "sms", "fax"]
    assert leaders[1]["channels"] == ["fax", "email"]  # the written report, to the acting leader too
    [plan] = [r for r in doc["routing_plan"] if "in_charge" in r["roles"]]
    assert plan["person_id"] == "l-vm-social" and plan["acting_for"] == "l-vm-safety"
    told = next(e for e in doc["timeline"] if e.get("person_id") == "l-vm-social")
    assert "代l-vm-safety" in told["text"]
    # silence: the acting leader's own chain (rules: l-vm-social → l-mayor)
    [timer] = await h.store.timers_of({"incident_id": "INC-1", "kind": "silence_next_person"})
    assert timer["to_people"] == ["l-vm-social"] and timer["data"]["recipient"]["if_silent"] == "l-mayor"
    assert timer["due_at"] == START + minutes(30)  # three channels × 10 min (III)


async def test_without_scheduling_naming_a_leader_the_rules_decide(rules: Rules) -> None:
    h = await make(rules, START)  # scheduling knows nobody for the category
    await approved(h)
    assert "l-vm-safety" in await h.sent_to()


async def test_acting_leader_who_is_also_the_principal_gets_one_message(rules: Rules) -> None:
    h = await make(rules, START, answer={"leader_in_charge": "l-mayor", "acting_for": "l-vm-safety",
                                         "principal_leader": "l-mayor"})
    doc = await approved(h, casualties={"deaths": 10}, title="重大爆炸事故")  # II: the principal too
    assert doc["level"] == "II"
    to_mayor = [p["notification_id"] for p in await h.sends() if p["person_id"] == "l-mayor"]
    rev = doc["released_revision"]
    assert to_mayor == [f"INC-1_r{rev}_l-mayor", f"INC-1_w{rev}_l-mayor"]  # one report, one written report
    [mayor] = [r for r in doc["routing_plan"] if r["person_id"] == "l-mayor"]
    assert set(mayor["roles"]) == {"in_charge", "principal"}


async def test_silent_leader_the_next_person_is_told_once(rules: Rules) -> None:
    h = await make(rules, START)
    await approved(h)
    nid = next(p["notification_id"] for p in await h.sends() if p["person_id"] == "l-vm-safety")
    event = NotificationUnacknowledged(notification_id=nid, person_id="l-vm-safety", incident_id="INC-1",
                                       tried=["phone", "sms", "fax"], at=START + minutes(30))
    await h.svc.on_unacknowledged(event)
    await h.svc.on_unacknowledged(event)  # redelivered
    h.clock.advance(minutes(31))
    await h.svc.fire_due()  # the fallback timer was claimed by the report: it fires no second time
    assert (await h.sent_to()).count("l-mayor") == 1


async def test_nothing_goes_to_the_provincial_office_by_routing_or_reminder(rules: Rules) -> None:
    h = await make(rules, START)
    doc = await approved(h)
    before = await h.snapshot()
    with pytest.raises(UpwardRefused, match="III级.*直报信息"):
        await h.svc._send(doc, notification_id="x", person="province_duty_office", channels=["fax"],
                          purpose="cc", text="抄送省值班室")
    assert await h.snapshot() == before


async def test_a_status_arriving_late_never_moves_the_notification_back(rules: Rules) -> None:
    h = await make(rules, START)
    await approved(h)
    nid = next(p["notification_id"] for p in await h.sends() if p["person_id"] == "l-vm-safety")
    field = field_name(nid)

    def status(state: DeliveryState, after: int) -> NotificationStatus:
        return NotificationStatus(notification_id=nid, incident_id="INC-1", person_id="l-vm-safety", state=state,
                                  channel="phone", at=START + minutes(after))

    async def state() -> str:
        doc = await h.store.get("INC-1")
        assert doc is not None
        return str(doc["notifications"][field])

    await h.svc.on_notification_status(status(DeliveryState.delivered, 2))
    await h.svc.on_notification_status(status(DeliveryState.sending, 1))  # older, arrived late
    await h.svc.on_notification_status(status(DeliveryState.sent, 2))  # same instant, less far along
    assert await state() == "delivered"
    await h.svc.on_notification_status(status(DeliveryState.acknowledged, 3))
    assert await state() == "acknowledged"
