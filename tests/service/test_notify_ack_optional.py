"""A message sent with ``ack_required=False`` (the written report): delivery ends it — no silence timer, no next
contact method, no ``notify.unacknowledged`` — and its texts ask for no acknowledgement; a failure on one
requested channel still moves to the next requested one, and when none delivers the last status published is
``failed_permanent``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.notify.gateways.base import DeliveryEvent, DeliveryOutcome
from shared.contracts.events import NotifyChannel
from shared.topology import NOTIFY_STATUS, NOTIFY_UNACKNOWLEDGED
from tests.service import test_notify_delivery
from tests.service.test_notify_delivery import Notify, Recording, command

notify = test_notify_delivery.notify
WRITTEN = [NotifyChannel.fax, NotifyChannel.email]
LEADER = {"people": [{"id": "l-w", "name": "书面领导", "contacts": [
    {"kind": "fax", "value": "0771-5550188"}, {"kind": "email", "value": "leader-w@gov.cn"},
    {"kind": "mobile", "value": "13912340001"}]}]}


def gateway(notify: Notify, name: str, channel: str, fail: str = "") -> Recording:
    gw = Recording(name, channel, fail=fail)
    notify.svc.pool.routes[channel] = [gw]
    notify.svc.pool.breakers[name] = notify.svc.pool.breakers["spool"]
    notify.svc.pool.buckets[name] = notify.svc.pool.buckets["spool"]
    return gw


async def setup(notify: Notify, *, fax_fail: str = "", mail_fail: str = "") -> tuple[Recording, Recording]:
    r = await notify.client.post("/api/v1/directory/people", json=LEADER, headers=notify.auth("duty_head"))
    assert r.status_code == 200, r.text
    return gateway(notify, "faxrec", "fax", fax_fail), gateway(notify, "mailrec", "email", mail_fail)


async def published(notify: Notify, routing_key: str, nid: str) -> list[dict[str, Any]]:
    rows = await notify.svc.outbox.collection.find({"routing_key": routing_key}).to_list(None)
    return [r["payload"] for r in rows if r["payload"]["notification_id"] == nid]


async def test_a_delivered_fax_without_ack_stays_delivered_past_the_silence_time(notify: Notify) -> None:
    fax, mail = await setup(notify)
    assert await notify.svc.send(command("w-1", person="l-w", channels=WRITTEN, ack_required=False)) == "sent"
    doc = await notify.doc("w-1")
    assert [p["channel"] for p in doc["plan"]] == ["fax", "email"]  # the leader's mobile is not in it
    assert doc["ack_code"] is None and doc["ack_to"] is None
    [sent] = fax.sent
    assert "确认" not in sent.text and "/ack/" not in sent.text and "测试事件" in sent.text
    assert await notify.events.receipt(DeliveryEvent("w-1", "faxrec", DeliveryOutcome.delivered, detail="DONE")) \
        == "delivered"
    for _ in range(3):  # fax silence is 20 minutes; e-mail's 30: well past both
        notify.clock.advance(timedelta(minutes=40))
        await notify.events.run_due()
    doc = await notify.doc("w-1")
    assert doc["state"] == "delivered" and doc["step"] == 0 and doc["reported_at"] is None
    assert len(fax.sent) == 1 and mail.sent == [] and notify.gw.sent == []
    timers = await notify.svc.store.timers.find({"data.id": "w-1"}).to_list(None)
    assert [(t["kind"], t["outcome"]) for t in timers] == [("receipt", "已送达，无需确认")]
    assert await published(notify, NOTIFY_UNACKNOWLEDGED, "w-1") == []
    # an SMS reply cannot match it: there is no code to reply with
    r = await notify.client.get("/api/v1/notify/mo", params={"gw": "kannel", "secret": test_notify_delivery.SECRET,
                                                             "from": "13912340001", "text": "收到"})
    assert r.json()["outcome"] != "acknowledged"
    assert (await notify.doc("w-1"))["state"] == "delivered"


async def test_the_same_fax_wanting_ack_moves_on_after_silence(notify: Notify) -> None:
    """The control: without the flag, a delivered fax nobody acknowledges moves on, as before."""
    fax, mail = await setup(notify)
    await notify.svc.send(command("w-2", person="l-w", channels=WRITTEN))
    doc = await notify.doc("w-2")
    assert doc["ack_code"] and doc["ack_code"] in fax.sent[0].text
    await notify.events.receipt(DeliveryEvent("w-2", "faxrec", DeliveryOutcome.delivered, detail="DONE"))
    notify.clock.advance(timedelta(minutes=21))
    await notify.events.run_due()
    doc = await notify.doc("w-2")
    assert doc["step"] == 1 and len(mail.sent) == 1 and "确认收到" in mail.sent[0].text


async def test_a_failed_fax_without_ack_fails_over_to_email_which_ends_it(notify: Notify) -> None:
    fax, mail = await setup(notify, fax_fail="garbage")
    assert await notify.svc.send(command("w-3", person="l-w", channels=WRITTEN, ack_required=False)) == \
        "failed_permanent"
    await notify.events.run_due()  # the "next" timer is due at once
    doc = await notify.doc("w-3")
    assert doc["step"] == 1 and doc["state"] == "sent" and len(mail.sent) == 1
    assert mail.sent[0].notification_id == "w-3--s1" and "确认" not in mail.sent[0].text
    await notify.events.receipt(DeliveryEvent("w-3--s1", "mailrec", DeliveryOutcome.delivered))
    notify.clock.advance(timedelta(hours=2))
    await notify.events.run_due()
    doc = await notify.doc("w-3")
    assert doc["state"] == "delivered" and doc["step"] == 1 and doc["reported_at"] is None
    assert notify.gw.sent == [] and len(mail.sent) == 1  # never the mobile
    states = [(s["channel"], s["state"]) for s in await published(notify, NOTIFY_STATUS, "w-3")]
    assert ("fax", "failed_permanent") in states and states[-1] == ("email", "delivered")
    assert await published(notify, NOTIFY_UNACKNOWLEDGED, "w-3") == []


async def test_nothing_delivers_without_ack_reports_failed_permanent_not_unacknowledged(notify: Notify) -> None:
    fax, mail = await setup(notify, fax_fail="garbage", mail_fail="garbage")
    await notify.svc.send(command("w-4", person="l-w", channels=WRITTEN, ack_required=False))
    for _ in range(2):
        await notify.events.run_due()
    doc = await notify.doc("w-4")
    assert doc["state"] == "failed_permanent" and doc["step"] == 1 and doc["reported_at"] is not None
    assert notify.gw.sent == [] and notify.svc.pool.routes["phone"][0].sent == []
    states = [(s["channel"], s["state"]) for s in await published(notify, NOTIFY_STATUS, "w-4")]
    assert states[-1] == ("email", "failed_permanent") and ("fax", "failed_permanent") in states
    assert await published(notify, NOTIFY_UNACKNOWLEDGED, "w-4") == []


async def test_a_fax_without_receipt_moves_to_email_after_the_fax_wait(notify: Notify) -> None:
    fax, mail = await setup(notify)
    await notify.svc.send(command("w-5", person="l-w", channels=WRITTEN, ack_required=False))
    notify.clock.advance(timedelta(minutes=19))
    await notify.events.run_due()
    assert (await notify.doc("w-5"))["step"] == 0 and mail.sent == []
    notify.clock.advance(timedelta(minutes=2))  # 20 minutes for fax, and no "DONE" from the fax gateway
    await notify.events.run_due()
    doc = await notify.doc("w-5")
    assert doc["step"] == 1 and len(mail.sent) == 1
    assert any("超时未收到送达回执，改用电子邮件" in h["detail"] for h in doc["history"])
    notify.clock.advance(timedelta(minutes=31))  # no receipt by e-mail either: nothing is left to try
    await notify.events.run_due()
    doc = await notify.doc("w-5")
    assert doc["state"] == "sent" and doc["reported_at"] is not None and notify.gw.sent == []
    assert await published(notify, NOTIFY_UNACKNOWLEDGED, "w-5") == []
