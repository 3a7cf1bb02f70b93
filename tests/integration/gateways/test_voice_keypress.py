"""Acknowledgement by keypress over a real SIP call: notify (voice channel → baresip adapter) calls a
baresip phone that answers by itself; the phone presses 1 (RFC 2833 telephone-event via ctrl_tcp
``sndcode``); baresip reports CALL_DTMF_START "1" and the notification becomes acknowledged, so the
chain of contact methods stops: no next method, no "unacknowledged" report."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from shared.contracts.events import NotifyChannel
from shared.topology import NOTIFY_STATUS, NOTIFY_UNACKNOWLEDGED

from .harness import require
from .notify_env import Notify, command, embedded_notify
from .voice_env import Phone, start_gateway_ua, start_phone

pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def _import_leader(notify: Notify, phone: Phone) -> None:
    """A person whose first method is the SIP phone, then e-mail (the next method on silence; it goes to the
    spool here, so the control test does not wait for a second call to an unreachable number)."""
    r = await notify.client.post("/api/v1/directory/people", headers=notify.auth("admin"), json={"people": [{
        "id": "l-sip", "name": "韦副市长", "title": "副市长", "roles": ["leader"],
        "contacts": [{"kind": "sip", "value": phone.sip_uri}, {"kind": "email", "value": "weifs@nanning.gov.cn"}]}]})
    assert r.status_code == 200, r.text


def _record_outbox(notify: Notify) -> dict[str, dict]:
    """Every event notify hands to its outbox (the relay publishes and then deletes them)."""
    seen: dict[str, dict] = {}
    add = notify.svc.outbox.add

    async def recording(event_id: str, routing_key: str, message):  # type: ignore[no-untyped-def]
        seen[event_id] = message.model_dump(mode="json")
        return await add(event_id, routing_key, message)

    notify.svc.outbox.add = recording
    return seen


async def _call(notify: Notify, phone: Phone, nid: str, *, press: str | None) -> dict:
    async def answered(p: Phone) -> None:
        if press is not None:
            await asyncio.sleep(0.5)  # the person hears the start of the message, then presses
            await p.press(press)

    listening = asyncio.create_task(phone.on_answer(answered, within=60))
    state = await notify.svc.send(command(nid, "l-sip", [NotifyChannel.phone]))
    await listening
    doc = await notify.doc(nid)
    assert doc["plan"][0] == {"channel": "phone", "kind": "sip", "value": phone.sip_uri}
    return {"state": state, **doc}


async def test_pressing_1_acknowledges_and_stops_the_chain(daemons, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    require("baresip", "espeak-ng", "sox")
    config = start_gateway_ua(daemons)
    phone = start_phone(daemons)
    async with embedded_notify(tmp_path, gateways={"phone": ["baresip"]}, voice_ctrl_port=config.ctrl_port,
                               voice_tts_wav=config.tts_wav_path) as notify:
        await _import_leader(notify, phone)
        published = _record_outbox(notify)
        doc = await _call(notify, phone, "call-ack-1", press="1")
        assert doc["state"] == "acknowledged", doc["history"]
        assert doc["ack_via"].startswith("baresip") and doc["acknowledged_at"] is not None
        assert any("按键 1" in h["detail"] for h in doc["history"] if h["state"] == "acknowledged")
        assert any(e.get("type") == "CALL_ESTABLISHED" for e in phone.events)

        # published back on the bus (through the outbox) ...
        assert published[f"{NOTIFY_STATUS}:call-ack-1:acknowledged"]["state"] == "acknowledged"
        # ... and silence timers find nothing to do: no next method, no report to escalation
        notify.clock.advance(timedelta(hours=2))
        await notify.events.run_due()
        doc = await notify.doc("call-ack-1")
        assert doc["state"] == "acknowledged" and doc["step"] == 0 and doc["reported_at"] is None
        assert not any(key.startswith(NOTIFY_UNACKNOWLEDGED) for key in published)
        # the keypress came while the call (the send) was still going: sent and delivered are implied by it
        assert [k.rsplit(":", 1)[1] for k in published if k.startswith(NOTIFY_STATUS)] == [
            "pending", "sending", "sent", "delivered", "acknowledged"]


async def test_a_call_without_the_key_is_only_delivered_and_silence_moves_on(daemons, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The control: the same call, the phone presses 3 (not an acknowledgement): delivered, and after the
    phone's silence timeout notify moves to the person's next method (e-mail, by the spool here)."""
    require("baresip", "espeak-ng", "sox")
    config = start_gateway_ua(daemons)
    phone = start_phone(daemons)
    async with embedded_notify(tmp_path, gateways={"phone": ["baresip"]}, voice_ctrl_port=config.ctrl_port,
                               voice_tts_wav=config.tts_wav_path) as notify:
        await _import_leader(notify, phone)
        doc = await _call(notify, phone, "call-noack-1", press="3")
        assert doc["state"] == "delivered", doc["history"]
        assert doc["acknowledged_at"] is None
        notify.clock.advance(timedelta(hours=1))
        await notify.events.run_due()
        doc = await notify.doc("call-noack-1")
        assert doc["step"] == 1 and doc["plan"][1]["channel"] == "email" and doc["state"] == "delivered"
