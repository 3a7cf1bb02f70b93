"""Notify over its own service layer with a ManualClock: exactly one delivery per step, receipts and
acknowledgements through the state machine, silence moves to the next method then reports back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import demo
from services.app import embedded
from services.notify.gateways.base import OutboundMessage, SendResult
from shared.clock import ManualClock
from shared.contracts import SendNotification
from shared.contracts.events import NotifyChannel

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SECRET = "kannel-secret-123"


class Recording:
    """A gateway that records every message it is handed (the SMSC's view)."""

    def __init__(self, name: str = "rec", channel: str = "sms", *, fail: str = "") -> None:
        self.name, self.channel, self.fail = name, channel, fail
        self.sent: list[OutboundMessage] = []

    async def send(self, msg: OutboundMessage) -> SendResult:
        if self.fail == "transient":
            return SendResult(False, self.name, transient_error=True, detail="网关暂时不可用")
        if self.fail == "garbage":
            return SendResult(False, self.name, detail="Kannel 返回无法识别的应答 200：<html>")
        self.sent.append(msg)
        return SendResult(True, self.name, gateway_message_id=f"gw-{len(self.sent)}", detail="0: Accepted")


@dataclass
class Notify:
    client: httpx.AsyncClient
    clock: ManualClock
    svc: Any
    events: Any
    gw: Recording
    spool: Path
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def doc(self, nid: str) -> dict[str, Any]:
        return await self.svc.store.message(nid)


@pytest.fixture
async def notify(tmp_path: Path) -> AsyncIterator[Notify]:
    users, tokens = demo.demo_users()
    clock = ManualClock(START)
    app, runtime = embedded(users=users, clock=clock, overrides={
        "spool_dir": tmp_path / "spool", "store_url": f"memory://nt-{uuid.uuid4().hex}", "outbox_poll_seconds": 0.05,
        "receipt_secrets": {"kannel": SECRET}, "timer_poll_seconds": 3600, "retry_after_s": 60,
        "send_initial_wait_s": 0, "send_max_wait_s": 0})
    await app.state.audit.setup()
    await runtime.start()
    component = next(c for c in runtime.components if c.name == "notify")
    svc, events = component.state["service"], component.state["events"]
    gw = Recording()
    svc.pool.routes["sms"] = [gw]
    svc.pool.routes["phone"] = [Recording("voice", "phone")]
    svc.pool.breakers.update({"rec": svc.pool.breakers["spool"], "voice": svc.pool.breakers["spool"]})
    svc.pool.buckets.update({"rec": svc.pool.buckets["spool"], "voice": svc.pool.buckets["spool"]})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test") as client:
        yield Notify(client, clock, svc, events, gw, tmp_path / "spool", tokens)
    await runtime.stop()


def command(nid: str = "n-1", person: str = "p-duty-1", **kw: Any) -> SendNotification:
    return SendNotification(notification_id=nid, person_id=person, subject=kw.pop("subject", "测试事件"),
                            body=kw.pop("body", "某地发生测试事件，请知悉。"), requested_at=START, **kw)


async def test_same_id_twice_and_concurrently_sends_once(notify: Notify) -> None:
    import asyncio

    results = await asyncio.gather(*(notify.svc.send(command()) for _ in range(5)))
    await notify.svc.send(command())
    assert len(notify.gw.sent) == 1
    assert "sent" in results
    doc = await notify.doc("n-1")
    assert [h["state"] for h in doc["history"]] == ["pending", "sending", "sent"]
    assert doc["plan"][0]["value"] == "+8613807710011"


async def test_kannel_receipt_moves_state_and_unknown_receipt_is_recorded(notify: Notify) -> None:
    await notify.svc.send(command())
    r = await notify.client.get("/api/v1/notify/dlr", params={"gw": "kannel", "secret": SECRET, "nid": "n-1",
                                                              "type": "1", "status": "DELIVRD"})
    assert r.json() == {"outcome": "delivered"}
    r = await notify.client.get("/api/v1/notify/dlr", params={"gw": "kannel", "secret": SECRET, "nid": "nobody",
                                                              "type": "1"})
    assert r.json() == {"outcome": "unknown_message"}
    r = await notify.client.get("/api/v1/notify/dlr", params={"gw": "kannel", "secret": SECRET, "nid": "n-1",
                                                              "type": "garbage"})
    assert r.json() == {"outcome": "malformed"}
    assert (await notify.client.get("/api/v1/notify/dlr", params={"gw": "kannel", "nid": "n-1", "type": "1"})
            ).status_code == 401
    assert (await notify.client.get("/api/v1/notify/dlr", params={"gw": "kannel", "secret": "wrong", "nid": "n-1",
                                                                  "type": "1"})).status_code == 401
    recorded = (await notify.client.get("/api/v1/notify/receipts", headers=notify.auth("duty_officer"))).json()
    assert {r["outcome"] for r in recorded} == {"unknown_message", "malformed"}
    assert (await notify.doc("n-1"))["state"] == "delivered"


async def test_sms_reply_acknowledges_and_stops_the_chain(notify: Notify) -> None:
    await notify.svc.send(command())
    code = (await notify.doc("n-1"))["ack_code"]
    assert f"回复{code}确认收到" in notify.gw.sent[0].text
    r = await notify.client.get("/api/v1/notify/mo", params={"gw": "kannel", "secret": SECRET,
                                                             "from": "13807710011", "text": f"收到 {code}"})
    assert r.json() == {"outcome": "acknowledged"}
    notify.clock.advance(timedelta(hours=2))
    await notify.events.run_due()
    doc = await notify.doc("n-1")
    assert doc["state"] == "acknowledged" and doc["step"] == 0 and doc["reported_at"] is None
    assert len(notify.gw.sent) == 1


async def test_silence_calls_next_then_reports_back(notify: Notify) -> None:
    await notify.svc.send(command())
    notify.clock.advance(timedelta(minutes=11))  # sms: 10 minutes of silence tolerated
    await notify.events.run_due()
    doc = await notify.doc("n-1")
    assert doc["step"] == 1 and doc["plan"][1]["channel"] == "phone" and doc["state"] == "sent"
    voice = notify.svc.pool.routes["phone"][0]
    assert len(voice.sent) == 1 and voice.sent[0].notification_id == "n-1--s1" and "按1" in voice.sent[0].text
    for _ in range(3):
        notify.clock.advance(timedelta(minutes=4))
        await notify.events.run_due()
    doc = await notify.doc("n-1")
    assert doc["reported_at"] is not None
    outbox = notify.svc.outbox.collection
    event = await outbox.find_one({"_id": "notify.unacknowledged:n-1"})
    assert event["payload"]["person_id"] == "p-duty-1" and event["payload"]["tried"] == ["sms", "phone", "phone"]


async def test_ack_link_acknowledges_and_forged_link_is_refused(notify: Notify) -> None:
    await notify.svc.send(command(channels=[NotifyChannel.email, NotifyChannel.sms]))
    from services.notify.service_steps import ack_link

    link = ack_link(notify.svc, await notify.doc("n-1"))
    path = link.split("http://127.0.0.1:8003", 1)[1]
    assert (await notify.client.get(path)).status_code == 200
    assert (await notify.doc("n-1"))["state"] == "acknowledged"
    assert (await notify.client.get(path[:-3] + "AAA")).status_code == 401


async def test_transient_failure_retried_by_timer_then_fails_over_to_next_method(notify: Notify) -> None:
    notify.gw.fail = "transient"
    assert await notify.svc.send(command()) == "failed_temporary"
    notify.gw.fail = ""
    notify.clock.advance(timedelta(seconds=61))
    await notify.events.run_due()
    doc = await notify.doc("n-1")
    assert doc["state"] == "sent" and doc["round"] == 1 and len(notify.gw.sent) == 1


async def test_garbage_from_gateway_and_bad_input_are_recorded_failures(notify: Notify) -> None:
    notify.gw.fail = "garbage"
    assert await notify.svc.send(command()) == "failed_permanent"
    assert "无法识别" in (await notify.doc("n-1"))["history"][-1]["detail"]
    assert await notify.svc.send(command("n-2", person="nobody")) == "failed_permanent"
    assert "nobody" in (await notify.doc("n-2"))["history"][-1]["detail"]


async def test_classified_never_reaches_a_gateway_and_ucs2_is_counted(notify: Notify) -> None:
    await notify.svc.send(command(classification="classified", body="绝密内容：某某部署情况如下"))
    text = notify.gw.sent[0].text
    assert "绝密内容" not in text and "请通过机要渠道查收" in text and "测试事件" not in text
    body = "长" * 140
    await notify.svc.send(command("n-3", person="p-duty-2", body=body))
    doc = await notify.doc("n-3")
    assert doc["encoding"] == "UCS-2" and doc["segments"] == 3  # ~150 UCS-2 units: 67 per part


def _recording_fax(notify: Notify) -> Recording:
    fax = Recording("faxrec", "fax")
    notify.svc.pool.routes["fax"] = [fax]
    notify.svc.pool.breakers["faxrec"] = notify.svc.pool.breakers["spool"]
    notify.svc.pool.buckets["faxrec"] = notify.svc.pool.buckets["spool"]
    return fax


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed (apt-get install poppler-utils)")
async def test_fax_cover_names_the_person_not_their_id(notify: Notify) -> None:
    fax = _recording_fax(notify)
    await notify.svc.send(command("f-1", person="l-mayor", channels=[NotifyChannel.fax]))
    cover = _pdf_text(fax.sent[0].document_pdf)
    assert "收电单位：周市长" in cover.replace(" ", "") and "l-mayor" not in cover


async def test_fax_gets_masthead_cover_and_oversize_fails(notify: Notify) -> None:
    fax = _recording_fax(notify)
    await notify.svc.send(command("f-1", person="l-mayor", channels=[NotifyChannel.fax]))
    assert fax.sent[0].document_pdf.startswith(b"%PDF-") and fax.sent[0].to == "+867715550199"
    notify.svc.settings.fax_max_bytes = 100
    assert await notify.svc.send(command("f-2", person="l-vm-safety", channels=[NotifyChannel.fax])) == \
        "failed_permanent"
    assert "传真文件过大" in (await notify.doc("f-2"))["history"][-1]["detail"]


async def test_directory_masked_reveal_audited_private_needs_permission(notify: Notify) -> None:
    people = {"people": [{"id": "l-x", "name": "测试领导", "contacts": [
        {"kind": "mobile", "value": "13912345678"},
        {"kind": "private_phone", "value": "13987654321"},
        {"kind": "home_address", "value": "青秀区某路1号"}]}]}
    r = await notify.client.post("/api/v1/directory/people", json=people, headers=notify.auth("duty_head"))
    assert r.status_code == 200
    bad = {"people": [{"id": "l-y", "name": "错号", "contacts": [{"kind": "mobile", "value": "1381234"}]}]}
    r = await notify.client.post("/api/v1/directory/people", json=bad, headers=notify.auth("duty_head"))
    assert r.status_code == 422 and "11位" in r.json()["message"]
    listing = (await notify.client.get("/api/v1/directory", headers=notify.auth("duty_officer"))).text
    assert "13912345678" not in listing and "5678" in listing and "13987654321" not in listing
    assert "青秀区" not in listing
    r = await notify.client.get("/api/v1/directory/l-x/contacts", headers=notify.auth("duty_officer"))
    assert "+8613912345678" in r.text and "13987654321" not in r.text
    r = await notify.client.get("/api/v1/directory/l-x/contacts?include_private=true",
                                headers=notify.auth("duty_officer"))
    assert r.status_code == 403
    r = await notify.client.get("/api/v1/directory/l-x/contacts?include_private=true",
                                headers=notify.auth("duty_head"))
    assert "+8613987654321" in r.text and "青秀区某路1号" in r.text
    audit = [a["action"] for a in await notify.client._transport.app.state.audit.recent()]  # type: ignore[attr-defined]
    assert audit.count("reveal_contacts") == 1 and audit.count("reveal_private_contacts") == 2
    notes = (await notify.client.get("/api/v1/notifications", headers=notify.auth("duty_officer"))).text
    assert "13912345678" not in json.dumps(notes)


_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=8, max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=_texts.map(lambda t: t[:200]), body=_texts, channels=st.lists(st.sampled_from(
    [NotifyChannel.sms, NotifyChannel.phone, NotifyChannel.email, NotifyChannel.fax]), min_size=1, max_size=4),
    person=st.sampled_from(["p-duty-1", "l-mayor", "l-sg"]))
async def test_property_classified_content_never_in_any_outbound_message(
        notify: Notify, subject: str, body: str, channels: list[NotifyChannel], person: str) -> None:
    seen: list[OutboundMessage] = []
    for channel in ("sms", "phone", "email", "fax"):
        rec = Recording(f"cap-{channel}", channel)
        rec.sent = seen
        notify.svc.pool.routes[channel] = [rec]
        notify.svc.pool.breakers[rec.name] = notify.svc.pool.breakers["spool"]
        notify.svc.pool.buckets[rec.name] = notify.svc.pool.buckets["spool"]
    nid = f"c-{uuid.uuid4().hex}"
    await notify.svc.send(SendNotification(notification_id=nid, person_id=person, channels=channels,
                                           classification="classified", subject=subject, body=body,
                                           requested_at=START))
    notify.clock.advance(timedelta(hours=3))  # silence: every contact method of the plan is tried
    for _ in range(6):
        await notify.events.run_due()
        notify.clock.advance(timedelta(hours=1))
    assert seen
    for msg in seen:
        assert re.fullmatch(r"机要件领取通知", msg.subject)
        assert re.match(r"^(机要件领取通知\n)?您有一份机要件，请通过机要渠道查收。编号：[JY\-0-9A-F，,]+。", msg.text)
        assert body not in msg.text and subject not in msg.text
    stored = await notify.doc(nid)
    assert stored["body"] == "" and stored["subject"] == ""
