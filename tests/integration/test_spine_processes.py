"""The spine on the real broker: the four services as separate processes, a county system publishing
with aio-pika, the spool file appearing with the right text; bad input parked; poison stopped."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.auth import Role, UserRegistry
from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, publish_json

pytestmark = pytest.mark.integration


def _parked(cluster: Cluster, intake_url: str) -> list[dict]:
    r = httpx.get(intake_url + "/api/v1/parked", headers=cluster.auth("duty_officer"), timeout=30)
    r.raise_for_status()
    return r.json()["items"]


def _first_incident(cluster: Cluster, intake_url: str) -> str:
    page = httpx.get(intake_url + "/api/v1/incidents", headers=cluster.auth("duty_officer"), timeout=30).json()
    return page["items"][0]["id"] if page["items"] else ""


def add_duty_head(cluster: Cluster) -> None:
    """The duty-room head approves 较大 incidents before leaders are told (R-05)."""
    registry = UserRegistry.load(cluster.users_file)
    cluster.tokens["duty_head"] = registry.issue(id="p-head", name="陈建国", roles=[Role.duty_head])
    registry.save(cluster.users_file)


def _held(cluster: Cluster, escalation_url: str, incident_id: str) -> dict:
    r = httpx.get(f"{escalation_url}/api/v1/escalation/incidents/{incident_id}", headers=cluster.auth("duty_officer"),
                  timeout=30)
    view = r.json() if r.status_code == 200 else {}
    return view if (view.get("review") or {}).get("state") == "awaiting_review" else {}


def _approve(cluster: Cluster, escalation_url: str, incident_id: str, revision: int) -> httpx.Response:
    return httpx.post(f"{escalation_url}/api/v1/escalation/incidents/{incident_id}/review:approve",
                      headers=cluster.auth("duty_head"), json={"shown_revision": revision}, timeout=30)


async def approve(cluster: Cluster, escalation_url: str, incident_id: str) -> None:
    async def held() -> dict:
        return _held(cluster, escalation_url, incident_id)

    view = await eventually(held, timeout=60)
    r = _approve(cluster, escalation_url, incident_id, view["revision"])
    assert r.status_code == 200, r.text


async def test_report_flows_through_four_processes_to_the_spool(cluster: Cluster, amqp) -> None:
    add_duty_head(cluster)
    intake = cluster.start("intake")
    escalation = cluster.start("escalation")
    cluster.start("scheduling")
    cluster.start("notify")

    await publish_json(amqp, "report.450110.wuming-yjj", sample_report(report_id="IT-1"))
    spool = cluster.workdir / "spool"

    async def incident_id() -> str:
        return _first_incident(cluster, intake.base_url)

    await approve(cluster, escalation.base_url, await eventually(incident_id, timeout=60))

    async def spooled() -> list:
        return sorted(spool.glob("*.json")) if spool.exists() else []

    async def leader_told() -> list[str]:
        texts = [json.loads(p.read_text(encoding="utf-8"))["text"] for p in await spooled()]
        return texts if len(texts) >= 2 and any("请阅示" in t for t in texts) else []

    texts = await eventually(leader_told, timeout=60)
    leader_text = next(t for t in texts if "请阅示" in t)
    assert "较大（III级）" in leader_text and "武鸣区城厢镇某化工厂" in leader_text

    async with httpx.AsyncClient(timeout=30) as http:
        incidents = (await http.get(intake.base_url + "/api/v1/incidents", headers=cluster.auth("duty_officer"))).json()
    [incident] = incidents["items"]

    async def recorded() -> dict:
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.get(f"{escalation.base_url}/api/v1/escalation/incidents/{incident['id']}",
                               headers=cluster.auth("duty_officer"))
        view = r.json() if r.status_code == 200 else {}
        states = [s for k, s in view.get("notifications", {}).items() if "_initial_" in k or k.endswith("_l-vm-safety")]
        # the officer, the leader (phone first) and the leader's written report (fax first)
        return view if len(states) == 3 and all(s == "delivered" for s in states) else {}

    view = await eventually(recorded, timeout=60)
    assert view["level"] == "III"
    assert any(e["kind"] == "notification_status" and e["state"] == "delivered" for e in view["timeline"])


async def test_malformed_messages_are_parked_with_their_reason_once(cluster: Cluster, amqp) -> None:
    intake = cluster.start("intake", seed_demo=False)
    await publish_json(amqp, "report.450110.x", b"{not json")
    await publish_json(amqp, "report.450110.x", b"{not json")  # the same bad message again
    await publish_json(amqp, "report.450110.x", {"schema": "zhiban.report/1", "title": "缺少来源"})
    await publish_json(amqp, "report.450110.x", b"\xff\xfe\x00bad")
    await publish_json(amqp, "report.450110.x", json.dumps({"pad": "x" * 300_000}).encode())

    async def all_parked() -> list[dict]:
        items = _parked(cluster, intake.base_url)
        return items if len(items) >= 4 else []

    try:
        items = await eventually(all_parked, timeout=20)
    except AssertionError:
        print(intake.log()[-4000:])
        raise
    by_reason = {item["reason"]: item for item in items}
    assert set(by_reason) == {"not_json", "contract", "not_utf8", "too_large"}
    assert by_reason["not_json"]["times"] == 2 and by_reason["not_json"]["body_text"] == "{not json"
    assert "source" in by_reason["contract"]["error"]
    assert by_reason["too_large"]["size"] > 256 * 1024
    assert all(item["service"] == "intake" for item in items)
