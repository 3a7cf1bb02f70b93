"""Escalation consumes the published roster on the real broker (issue 6 §4, §13): scheduling publishes a roster,
escalation — a separate process — keeps it from ``roster.published``; with scheduling stopped, a new incident's
review still goes to the officer on shift by that roster, and the timeline says where the answer came from."""

from __future__ import annotations

import json
import re
from datetime import datetime

import httpx
import pytest

from shared.clock import to_local
from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, publish_json
from tests.integration.test_scheduling_roster import _add_tokens, publish_roster_around

pytestmark = pytest.mark.integration

ESCALATION = "/api/v1/escalation"


async def test_scheduling_stopped_escalation_routes_by_the_roster_it_consumed(cluster: Cluster, amqp) -> None:
    today = to_local(datetime.now().astimezone()).date()
    if today.year not in (2025, 2026):
        pytest.skip("the checked-in calendar covers 2025-2026")
    _add_tokens(cluster)
    cluster.start("intake")
    escalation = cluster.start("escalation", env={"ZHIBAN_ESCALATION_ON_DUTY_TIMEOUT_S": "2"})
    scheduling = cluster.start("scheduling")
    cluster.start("notify")

    roster_id, shifts = await publish_roster_around(cluster, scheduling.base_url, today)

    async with httpx.AsyncClient(base_url=escalation.base_url, timeout=10) as esc:
        async def held() -> dict:  # roster.published came to the escalation process over the broker
            r = await esc.get(f"{ESCALATION}/on-shift", headers=cluster.auth("duty_head"))
            return r.json() if r.status_code == 200 and r.json()["roster_id"] == roster_id else {}

        view = await eventually(held, timeout=60)
        now = datetime.now().astimezone()
        current = next(s for s in shifts if datetime.fromisoformat(s["start"]) <= now < datetime.fromisoformat(s["end"]))
        on_shift = current["officers"]
        assert view["duty_officers"] == on_shift and view["shift_leader"] == current["leader"]

        scheduling.stop()  # nobody answers scheduling.query.on_duty any more
        await publish_json(amqp, "report.450110.wuming-yjj", sample_report(report_id="IT-ROSTER-DOWN-1"))

        async def incident() -> dict:
            r = await esc.get(f"{ESCALATION}/incidents", headers=cluster.auth("duty_officer"))
            items = r.json() if r.status_code == 200 else []
            if not items:
                return {}
            r = await esc.get(f"{ESCALATION}/incidents/{items[0]['id']}", headers=cluster.auth("duty_officer"))
            return r.json() if r.status_code == 200 and r.json().get("on_duty") else {}

        found = await eventually(incident, timeout=40)
        assert found["on_duty_source"] == "published_roster"
        assert found["review"]["state"] == "awaiting_review"  # 较大: held for the shift leader's review
        assert found["on_duty"]["duty_officers"] == on_shift
        [entry] = [e for e in found["timeline"] if e["kind"] == "on_duty_from_roster"]
        assert roster_id in entry["text"] and "值班安排服务未应答" in entry["text"]

    spool = cluster.workdir / "spool"

    async def officers_told() -> set[str]:
        ids = [json.loads(p.read_text(encoding="utf-8"))["notification_id"] for p in spool.glob("*.json")]
        return {m.group(0) for i in ids if i.startswith(found["id"]) for m in [re.search(r"p-duty-\d+", i)] if m}

    assert await eventually(officers_told, timeout=60) == set(on_shift)
