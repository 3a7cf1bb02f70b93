"""Acknowledgement by SMS reply through real Kannel: notify sends the SMS (with its ack code) through its
Kannel adapter; Kannel's delivery receipt comes back over HTTP to notify's dlr route; then the handset
(fakesmsc) answers with the code, and smsbox's sms-service passes the MO to notify's /api/v1/notify/mo
(get-url with the gateway's own secret). The notification becomes acknowledged and the chain stops."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from shared.contracts.events import NotifyChannel

from .harness import free_port, require
from .kannel_env import BEARERBOX, FAKESMSC, SENDSMS_PASSWORD, SENDSMS_USER, SMSBOX, send_mo, start_kannel
from .notify_env import command, embedded_notify, serving
from .test_kannel import _got_messages, _ucs2_text

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "kannel-mo-secret-1"


async def test_sms_reply_with_the_code_acknowledges_through_kannel(daemons, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    kannel = start_kannel(daemons, link="fake",
                          mo_url=f"{base}/api/v1/notify/mo?gw=kannel&secret={SECRET}&from=%p&text=%a")
    async with embedded_notify(
            tmp_path, gateways={"sms": ["kannel"]}, kannel_sendsms_url=kannel.sendsms_url,
            kannel_username=SENDSMS_USER, kannel_password=SENDSMS_PASSWORD, kannel_sender="12345",
            public_base_url=base, receipt_secrets={"kannel": SECRET}) as notify, serving(notify, port):
        assert await notify.svc.send(command("mo-ack-1", "p-duty-1", [NotifyChannel.sms])) == "sent"
        doc = await notify.wait_state("mo-ack-1", {"delivered"}, within=20)  # Kannel's DLR over HTTP
        code = doc["ack_code"]
        [line] = _got_messages(kannel)
        assert f"回复{code}确认收到" in _ucs2_text(line)  # what the person read on the handset

        # a reply with a wrong code is recorded, not guessed
        send_mo(daemons, kannel, "13807710011", "12345", "OK 9753" if code != "9753" else "OK 8642")
        await _until_recorded(notify)
        assert (await notify.doc("mo-ack-1"))["state"] == "delivered"

        send_mo(daemons, kannel, "13807710011", "12345", f"OK {code}")
        doc = await notify.wait_state("mo-ack-1", {"acknowledged"}, within=20)
        assert doc["ack_via"] == "短信回复" and doc["acknowledged_at"] is not None

        notify.clock.advance(timedelta(hours=2))  # past the SMS silence timeout: nothing moves on
        await notify.events.run_due()
        doc = await notify.doc("mo-ack-1")
        assert doc["state"] == "acknowledged" and doc["step"] == 0 and doc["reported_at"] is None
    mo_side = (kannel.run_dir / "fakesmsc-mo.log").read_text(errors="replace")
    assert len(_got_messages(kannel)) == 1 and "Got message" not in mo_side  # no second SMS, no auto-reply


async def _until_recorded(notify, within: float = 20) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.2)):
        r = await notify.client.get("/api/v1/notify/receipts", headers=notify.auth("duty_officer"))
        if any(x.get("kind") == "sms_reply" for x in r.json()):
            assert [x["outcome"] for x in r.json() if x.get("kind") == "sms_reply"] == ["no_match"]
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the wrong-code reply never reached notify")
