"""The written report (书面报告, R-06, R-08) over the in-memory broker: once the review gate has passed, each
leader receiving a 较大 incident also gets the written report as a notification of its own — fax first, then
e-mail — so the leader acknowledging the phone call does not stop it, and its delivery meets the written
deadline. A classified incident's written report carries only notify's fixed notice (R-10)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from shared.clock import ManualClock
from tests.helpers import eventually
from tests.service import test_escalation_clock
from tests.service.conftest import System
from tests.service.test_escalation import API
from tests.service.test_escalation_deadlines import deadline, entries, start, until
from tests.service.test_spine import escalation_view

START = test_escalation_clock.START
manual_system = test_escalation_clock.manual_system


def notifications(view: dict, purpose: str) -> list[dict]:
    return [e for e in view["timeline"] if e["kind"] == "notification" and e.get("purpose") == purpose]


def spooled(system: System, notification_id: str) -> list[dict]:
    """What notify's spool gateway wrote for this notification (one file per step)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in system.spool.rglob("*.json")]
    return [f for f in found if f["notification_id"].startswith(notification_id)]


async def test_phone_acknowledged_the_written_report_still_goes_by_fax_and_meets_its_deadline(
        manual_system: Any) -> None:
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="WR-1")
    try:
        assert view["level"] == "III" and deadline(view, "written")["state"] == "open"
        assert notifications(view, "written_report") == []  # nothing before the review gate has passed
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve",
                                     headers=system.auth("duty_head"), json={"shown_revision": view["revision"]})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: notifications(v, "written_report"))
        [phone] = [e for e in notifications(view, "leader_in_charge") if e["person_id"] == "l-vm-safety"]
        assert phone["channels"][0] == "phone"

        async def phone_delivered() -> dict:
            r = await system.client.get(f"/api/v1/notifications/{phone['notification_id']}",
                                        headers=system.auth("duty_head"))
            return r.json() if r.status_code == 200 and r.json()["state"] == "delivered" else {}

        await eventually(phone_delivered)
        r = await system.client.post(f"/api/v1/notifications/{phone['notification_id']}/acknowledge",
                                     headers=system.auth("duty_officer"))
        assert r.status_code == 200 and r.json() == {"outcome": "acknowledged"}, r.text

        [written] = notifications(view, "written_report")  # the leader in charge only: III has no principal
        assert written["person_id"] == "l-vm-safety" and written["channels"] == ["fax", "email"]
        assert "书面报告" in written["text"]
        view = await until(system, incident_id, lambda v: deadline(v, "written")["state"] == "met")
        met = deadline(view, "written")
        assert "书面报告" in met["met_by"] and "fax" in met["met_by"] and "l-vm-safety" in met["met_by"]
        assert "书面报告" not in deadline(view, "phone")["met_by"]  # the phone report was the phone call
        statuses = [e for e in entries(view, "notification_status")
                    if e["notification_id"] == written["notification_id"]]
        assert "delivered" in {e["state"] for e in statuses}
        assert any("书面报告（初报）" in e["text"] for e in entries(view, "deadline_met"))

        phone_doc = (await system.client.get(f"/api/v1/notifications/{phone['notification_id']}",
                                             headers=system.auth("duty_head"))).json()
        assert phone_doc["state"] == "acknowledged"  # notify stopped the phone chain: no fax from that one
        [fax] = spooled(system, written["notification_id"])  # the spool stands in for the fax gateway
        assert "书面报告" in fax["subject"] and "此为书面报告" in fax["text"]
        assert len(spooled(system, phone["notification_id"])) == 1  # the phone step only: no SMS, no fax after it

        clock.advance(timedelta(hours=2, minutes=1))  # past the written limit (2 h for 较大)
        svc = system.component("escalation").state["service"]
        await svc.fire_due()
        view = await escalation_view(system, incident_id)
        assert deadline(view, "written")["state"] == "met"
        assert not any("书面报告" in e["text"] for e in entries(view, "deadline_missed"))
        assert len(notifications(view, "written_report")) == 1  # sent once
    finally:
        await gen.aclose()


async def test_a_delivered_written_report_asks_for_no_acknowledgement_and_no_chain_follows(
        manual_system: Any) -> None:
    """Delivery is the goal of the written report (ack_required=False): once its fax is delivered, notify's silence
    time passing moves it nowhere — no e-mail, no phone or SMS to the leader, no notify.unacknowledged."""
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="WR-4")
    try:
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve",
                                     headers=system.auth("duty_head"), json={"shown_revision": view["revision"]})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: notifications(v, "written_report"))
        [written] = notifications(view, "written_report")
        nid = written["notification_id"]
        [asked] = [e["payload"] for e in system.events("escalation", "notify.send") if e["payload"]["notification_id"] == nid]
        assert asked["ack_required"] is False
        view = await until(system, incident_id, lambda v: v["notifications"].get(nid.replace(".", "_")) == "delivered")

        notify = system.component("notify").state
        doc = await notify["service"].store.message(nid)
        assert doc["ack_required"] is False and doc["ack_code"] is None
        assert [p["channel"] for p in doc["plan"]] == ["fax"]  # l-vm-safety has no e-mail; never the mobile
        [fax] = spooled(system, nid)
        assert "确认" not in fax["text"] and "/ack/" not in fax["text"] and "此为书面报告" in fax["text"]

        for _ in range(3):  # fax silence is 20 minutes: well past it, three times over
            clock.advance(timedelta(minutes=30))
            await notify["events"].run_due()
        doc = await notify["service"].store.message(nid)
        assert doc["state"] == "delivered" and doc["step"] == 0 and doc["reported_at"] is None
        assert len(spooled(system, nid)) == 1
        assert [e for e in system.events("notify", "notify.unacknowledged")
                if e["payload"]["notification_id"] == nid] == []
        states = [e["payload"]["state"] for e in system.events("notify", "notify.status")
                  if e["payload"]["notification_id"] == nid]
        assert states[-1] == "delivered" and "pending" not in states[1:]  # no second step was ever started
        view = await escalation_view(system, incident_id)
        assert not [e for e in entries(view, "notification_unacknowledged") if e["notification_id"] == nid]
        assert deadline(view, "written")["state"] == "met"
    finally:
        await gen.aclose()


async def test_a_classified_incident_s_written_report_is_only_the_fixed_notice(manual_system: Any) -> None:
    secret = "某涉密单位发生泄密相关事件详情"
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="WR-2",
                                                 classification="classified", text=secret, title="涉密事件")
    try:
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve",
                                     headers=system.auth("duty_head"), json={"shown_revision": view["revision"]})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: notifications(v, "written_report"))
        [written] = notifications(view, "written_report")

        async def faxed() -> list[dict]:
            return spooled(system, written["notification_id"])

        [fax] = await eventually(faxed)
        body = json.dumps(fax, ensure_ascii=False)
        assert "机要渠道" in body
        assert secret not in body and "涉密事件" not in body
    finally:
        await gen.aclose()


async def test_no_written_report_while_the_incident_waits_for_review(manual_system: Any) -> None:
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="WR-3")
    try:
        r = await system.client.post(f"{API}/incidents/{incident_id}/urgent", headers=system.auth("duty_officer"),
                                     json={"comment": "情况紧急，先报分管领导"})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: notifications(v, "leader_in_charge"))
        assert view["review"]["state"] == "awaiting_post_review"
        assert notifications(view, "written_report") == []  # urgent: phone first; written after the review
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:post", headers=system.auth("duty_head"),
                                     json={"comment": "同意"})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: notifications(v, "written_report"))
        assert {e["person_id"] for e in notifications(view, "written_report")} == {"l-vm-safety"}
    finally:
        await gen.aclose()
