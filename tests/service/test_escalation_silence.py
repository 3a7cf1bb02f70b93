"""Silence across services: notify works down one person's channels and reports notify.unacknowledged;
escalation then tells the next person at once, and its own fallback timer does not fire a second time."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts.notify import NotificationUnacknowledged
from shared.topology import EVENTS, NOTIFY_UNACKNOWLEDGED
from tests.helpers import eventually
from tests.service.conftest import System
from tests.service.test_escalation import API, escalation_view, opened, requested


async def test_unacknowledged_leader_hands_over_to_the_next_person_once(system: System) -> None:
    incident_id, view = await opened(system)
    r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth("duty_head"),
                                 json={"shown_revision": view["revision"]})
    assert r.status_code == 200, r.text

    async def leader_told() -> dict:
        v = await escalation_view(system, incident_id)
        return v if "l-vm-safety" in requested(v) else {}

    view = await eventually(leader_told)
    leader = next(e for e in view["timeline"] if e["kind"] == "notification" and e["person_id"] == "l-vm-safety")
    silent = NotificationUnacknowledged(notification_id=leader["notification_id"], person_id="l-vm-safety",
                                        incident_id=incident_id, tried=["phone", "sms", "fax"],
                                        at=datetime.now(UTC))
    for _ in range(2):  # a redelivered report changes nothing twice
        await system.runtime.broker.publish(silent.model_dump(mode="json", by_alias=True), exchange=EVENTS,
                                            routing_key=NOTIFY_UNACKNOWLEDGED)

    async def handed_over() -> dict:
        v = await escalation_view(system, incident_id)
        return v if any(e["kind"] == "silence_next_person" for e in v["timeline"]) else {}

    view = await eventually(handed_over)
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds.count("notification_unacknowledged") == 1
    assert kinds.count("silence_next_person") == 1
    fired = next(e for e in view["timeline"] if e["kind"] == "silence_next_person")
    # the rules' if_silent chain: the leader in charge → the mayor (the principal)
    assert "转报 l-mayor" in fired["text"]
    escalation = system.component("escalation").state["service"]
    timer = await escalation.store.timers.find_one({"_id": f"{incident_id}:silence:{leader['notification_id']}:next"})
    assert timer["state"] == "fired"
    assert requested(view).count("l-mayor") == 1
