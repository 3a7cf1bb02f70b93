"""Exactly one delivery per request on the real broker: notify is killed (SIGKILL) while a send is in
flight — the spool has taken the message, the answer has not come back — and restarted. The broker
redelivers the unacked notify.send; the restarted process (whose memory:// store is empty) must not
write a second file. See docs/notify-exactly-once.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.helpers import eventually
from tests.integration.conftest import Cluster, publish_json

pytestmark = pytest.mark.integration

COMMAND = {
    "schema": "zhiban.notify.send/1", "notification_id": "drill-kill-1", "person_id": "p-duty-1",
    "channels": ["sms"], "classification": "plain", "subject": "演练", "body": "这是一条演练通知。",
    "requested_at": datetime(2026, 11, 28, 2, 0, tzinfo=UTC).isoformat(),
}


def _state(cluster: Cluster, base_url: str) -> dict:
    r = httpx.get(f"{base_url}/api/v1/notifications/drill-kill-1", headers=cluster.auth("duty_officer"), timeout=5)
    return r.json() if r.status_code == 200 else {}


async def test_kill_during_send_then_restart_delivers_exactly_once(cluster: Cluster, amqp) -> None:
    first = cluster.start("notify", env={"ZHIBAN_NOTIFY_DRILL_SEND_DELAY_S": "60"})
    spool = cluster.workdir / "spool"
    await publish_json(amqp, "notify.send", COMMAND)

    async def spooled() -> list:
        return sorted(spool.glob("*.json")) if spool.exists() else []

    await eventually(spooled, timeout=30)
    assert _state(cluster, first.base_url)["state"] == "sending"  # the gateway took it; no answer yet
    first.kill()

    second = cluster.start("notify")

    async def final() -> dict:
        doc = _state(cluster, second.base_url)
        return doc if doc.get("state") == "delivered" else {}

    doc = await eventually(final, timeout=40)
    assert any("重复发送" in (h.get("detail") or "") for h in doc["history"])
    await publish_json(amqp, "notify.send", COMMAND)  # a caller repeating the same id
    await eventually(lambda: _published_and_settled(cluster, second.base_url), timeout=10)
    files = await spooled()
    assert [p.name for p in files] == ["drill-kill-1.json"]
    assert json.loads(files[0].read_text(encoding="utf-8"))["text"].startswith("【演练】这是一条演练通知。")


async def _published_and_settled(cluster: Cluster, base_url: str) -> bool:
    doc = _state(cluster, base_url)
    return doc.get("state") == "delivered" and len(doc["history"]) == 4
