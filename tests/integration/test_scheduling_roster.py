"""Scheduling on the real broker: a roster published through scheduling's API decides whom escalation
notifies — intake, escalation, notify and scheduling as separate processes."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import httpx
import pytest

from shared.auth import Role, UserRegistry
from shared.clock import to_local
from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, publish_json

pytestmark = pytest.mark.integration

API = "/api/v1/scheduling"


def _add_tokens(cluster: Cluster) -> None:
    registry = UserRegistry.load(cluster.users_file)
    cluster.tokens["duty_head"] = registry.issue(id="p-head", name="陈建国", roles=[Role.duty_head])
    cluster.tokens["secretary_general"] = registry.issue(id="l-sg", name="孙秘书长", roles=[Role.secretary_general])
    registry.save(cluster.users_file)


async def publish_roster_around(cluster: Cluster, base_url: str, today: date) -> tuple[str, list[dict]]:
    """Draft, approve and publish a one-officer roster from yesterday to tomorrow through scheduling's API."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        period = {"start": (today - timedelta(days=1)).isoformat(), "end": (today + timedelta(days=1)).isoformat(),
                  "officers_per_shift": 1}
        r = await client.post(f"{API}/rosters", json=period, headers=cluster.auth("duty_head"))
        assert r.status_code == 201, r.text
        roster_id = r.json()["id"]
        r = await client.post(f"{API}/rosters/{roster_id}/approve", headers=cluster.auth("secretary_general"))
        assert r.status_code == 200, r.text
        r = await client.post(f"{API}/rosters/{roster_id}/publish", headers=cluster.auth("duty_head"))
        assert r.status_code == 200, r.text
        return roster_id, r.json()["shifts"]


async def test_escalation_notifies_the_officer_of_the_published_roster(cluster: Cluster, amqp) -> None:
    now = datetime.now().astimezone()
    today = to_local(now).date()
    if today.year not in (2025, 2026):
        pytest.skip("the checked-in calendar covers 2025-2026")
    _add_tokens(cluster)
    cluster.start("intake")
    cluster.start("escalation")
    scheduling = cluster.start("scheduling")
    cluster.start("notify")

    roster_id, shifts = await publish_roster_around(cluster, scheduling.base_url, today)
    async with httpx.AsyncClient(base_url=scheduling.base_url, timeout=10) as client:
        now = datetime.now().astimezone()
        current = next(s for s in shifts if datetime.fromisoformat(s["start"]) <= now < datetime.fromisoformat(s["end"]))
        on_shift = set(current["officers"])

        async def bus_confirmed() -> list:  # the roster.published event came back over the real broker
            r = await client.get(f"{API}/duty-log", headers=cluster.auth("duty_officer"))
            return [e for e in r.json() if e["id"].startswith(f"bus:roster.published:{roster_id}:")]

        await eventually(bus_confirmed, timeout=20)

    await publish_json(amqp, "report.450110.wuming-yjj", sample_report(report_id="IT-ROSTER-1"))
    spool = cluster.workdir / "spool"

    async def officers_told() -> set[str]:
        if not spool.exists():
            return set()
        ids = [json.loads(p.read_text(encoding="utf-8"))["notification_id"] for p in spool.glob("*.json")]
        # escalation's notifications (not scheduling's roster notices) name the person in their id
        return {m.group(0) for i in ids if not i.startswith("roster:") for m in [re.search(r"p-duty-\d+", i)] if m}

    told = await eventually(officers_told, timeout=60)
    assert told == on_shift
