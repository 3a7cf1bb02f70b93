"""Durable timers on the real broker: the escalation process is killed with a deadline pending and its
in-memory store lost; the timer, also held by the broker in a fixed-TTL wait queue, still fires after the
restart — once: one firing record, each reminder delivered once by notify."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.escalation.service_routing import short_id
from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, publish_json

pytestmark = pytest.mark.integration


def _get(url: str, cluster: Cluster) -> dict | list:
    r = httpx.get(url, headers=cluster.auth("duty_officer"), timeout=5)
    return r.json() if r.status_code == 200 else {}


async def test_pending_timer_survives_a_restart_and_fires_once(cluster: Cluster, amqp) -> None:
    intake = cluster.start("intake")
    escalation = cluster.start("escalation")
    cluster.start("scheduling")
    notify = cluster.start("notify")
    # 重大 (11 dead): the phone report is due 30 min after occurrence — here about 25 s from now
    occurred = datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=25)
    report = sample_report(report_id="TIMER-1", occurred_at=occurred.isoformat(), casualties={"deaths": 11},
                           title="某化工厂爆炸事故造成11人死亡")
    await publish_json(amqp, "report.450110.wuming-yjj", report)

    async def incident() -> str:
        items = _get(intake.base_url + "/api/v1/incidents", cluster)
        return items["items"][0]["id"] if items and items["items"] else ""

    incident_id = await eventually(incident, timeout=30)

    async def phone_timer_on_broker() -> dict:
        data = _get(f"{escalation.base_url}/api/v1/escalation/incidents/{incident_id}/timers", cluster)
        phone = [t for t in (data or {}).get("items", []) if t["id"].startswith(f"{incident_id}:phone:")
                 and t["kind"] == "deadline_overdue"]
        return phone[0] if phone and data["outbox_pending"] == 0 else {}

    timer = await eventually(phone_timer_on_broker, timeout=20)
    assert timer["state"] == "pending"  # precondition: not fired before the crash
    escalation.kill()  # as a crash would: its memory:// store is gone with it

    restarted = cluster.start("escalation")
    assert _get(f"{restarted.base_url}/api/v1/escalation/incidents/{incident_id}", cluster) == {}  # store lost

    async def fired() -> dict:
        data = _get(f"{restarted.base_url}/api/v1/escalation/incidents/{incident_id}/timers", cluster)
        mine = [t for t in (data or {}).get("items", []) if t["id"] == timer["id"]]
        return mine[0] if mine and mine[0]["state"] == "fired" else {}

    record = await eventually(fired, timeout=60)
    prefix = f"t{short_id(timer['id'])}_"

    async def reminded() -> list:
        notes = _get(f"{notify.base_url}/api/v1/notifications?incident_id={incident_id}", cluster) or []
        mine = [n for n in notes if n["id"].startswith(prefix)]
        return mine if mine and all(n["state"] == "delivered" for n in mine) else []

    notes = await eventually(reminded, timeout=30)
    assert {n["person_id"] for n in notes} >= {"p-head"}  # overdue goes to the duty-room head too
    await asyncio.sleep(7)  # let every wait queue tier turn over once more: a second copy would show now
    again = await fired()
    assert again["fired_at"] == record["fired_at"]
    later = [n for n in _get(f"{notify.base_url}/api/v1/notifications?incident_id={incident_id}", cluster)
             if n["id"].startswith(prefix)]
    assert len(later) == len(notes)
    for n in later:
        assert [h["state"] for h in n["history"]].count("pending") == 1
