"""Exactly one SMS per request through real Kannel (bearerbox + smsbox + fakesmsc) on the real broker:
notify, configured by settings alone to send SMS through its Kannel adapter, is killed (SIGKILL) while
the send is in flight — Kannel has taken the message, notify has not recorded the answer — and
restarted. The broker redelivers the unacked notify.send to a process whose memory:// store is empty;
the send journal (gateways/journal.py) finds the interrupted hand-over, so the message is marked for a
person instead of sent again. fakesmsc — the network — must have seen it exactly once, also after the
same command is published once more. See docs/notify-exactly-once.md."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.helpers import eventually
from tests.integration.conftest import Cluster, publish_json

from .harness import require
from .kannel_env import BEARERBOX, FAKESMSC, SENDSMS_PASSWORD, SENDSMS_USER, SMSBOX, KannelRun, start_kannel

pytestmark = [pytest.mark.slow, pytest.mark.integration]

NID = "drill-kannel-kill-1"
COMMAND = {
    "schema": "zhiban.notify.send/1", "notification_id": NID, "person_id": "p-duty-1",
    "channels": ["sms"], "classification": "plain", "subject": "演练", "body": "这是一条经 Kannel 的演练通知。",
    "requested_at": datetime(2026, 11, 28, 2, 0, tzinfo=UTC).isoformat(),
}


def _got(run: KannelRun) -> list[str]:
    return [line for line in run.fakesmsc_output().splitlines() if "Got message" in line]


def _state(cluster: Cluster, base_url: str) -> dict[str, Any]:
    r = httpx.get(f"{base_url}/api/v1/notifications/{NID}", headers=cluster.auth("duty_officer"), timeout=5)
    return r.json() if r.status_code == 200 else {}


async def test_kill_during_kannel_send_then_restart_sends_one_sms(cluster: Cluster, amqp, daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    kannel = start_kannel(daemons, link="fake")
    env = {
        "ZHIBAN_NOTIFY_GATEWAYS": json.dumps({"sms": ["kannel"]}),
        "ZHIBAN_NOTIFY_KANNEL_SENDSMS_URL": kannel.sendsms_url,
        "ZHIBAN_NOTIFY_KANNEL_USERNAME": SENDSMS_USER,
        "ZHIBAN_NOTIFY_KANNEL_PASSWORD": SENDSMS_PASSWORD,
        "ZHIBAN_NOTIFY_KANNEL_SENDER": "12345",
        "ZHIBAN_NOTIFY_SEND_JOURNAL_DIR": str(cluster.workdir / "send-journal"),
    }
    first = cluster.start("notify", env={**env, "ZHIBAN_NOTIFY_DRILL_SEND_DELAY_S": "60"})
    await publish_json(amqp, "notify.send", COMMAND)

    async def reached_the_network() -> list[str]:
        return _got(kannel)

    [line] = await eventually(reached_the_network, timeout=30)
    assert "+8613807710011" in line and " ucs-2 " in line  # p-duty-1's mobile, Chinese as UCS-2
    assert _state(cluster, first.base_url)["state"] == "sending"  # Kannel took it; the answer is not recorded
    first.kill()

    second = cluster.start("notify", env=env)

    async def settled() -> dict[str, Any]:
        doc = _state(cluster, second.base_url)
        return doc if doc.get("state") == "failed_temporary" else {}

    doc = await eventually(settled, timeout=40)
    assert doc["needs_person"] is True  # a person checks (and may resend); notify does not guess
    assert "发送中断" in doc["history"][-1]["detail"] or "中断" in doc["history"][-1]["detail"]

    await publish_json(amqp, "notify.send", COMMAND)  # a caller repeating the same id
    await asyncio.sleep(3)  # time for a wrong second SMS to reach fakesmsc (it prints within ~0.1 s)
    assert len(_got(kannel)) == 1, _got(kannel)
    assert _state(cluster, second.base_url)["state"] == "failed_temporary"
