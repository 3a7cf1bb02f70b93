"""The spine over the in-memory broker: a county report on the bus ends as a graded incident with its
notifications delivered to the spool and recorded on the timeline."""

from __future__ import annotations

import json

from shared.topology import EVENTS
from tests.helpers import eventually, sample_report
from tests.service.conftest import System


async def publish_report(system: System, report: dict, *, routing_key: str = "report.450110.wuming-yjj") -> None:
    await system.runtime.broker.publish(
        json.dumps(report, ensure_ascii=False).encode(), exchange=EVENTS, routing_key=routing_key
    )


async def incident_ids(system: System) -> list[str]:
    page = (await system.client.get("/api/v1/incidents", headers=system.auth("duty_officer"))).json()
    return [item["id"] for item in page["items"]]


async def escalation_view(system: System, incident_id: str) -> dict:
    r = await system.client.get(f"/api/v1/escalation/incidents/{incident_id}", headers=system.auth("duty_officer"))
    return r.json() if r.status_code == 200 else {}


async def approve_for_leaders(system: System, incident_id: str) -> None:
    """R-05: a 较大 incident reaches leaders only after the duty-room head approves what they saw."""

    async def held() -> dict:
        view = await escalation_view(system, incident_id)
        return view if (view.get("review") or {}).get("state") == "awaiting_review" else {}

    view = await eventually(held)
    r = await system.client.post(f"/api/v1/escalation/incidents/{incident_id}/review:approve",
                                 headers=system.auth("duty_head"), json={"shown_revision": view["revision"]})
    assert r.status_code == 200, r.text


def officer_and_leader(view: dict) -> list[str]:
    """States of the notifications to people in the directory (units and the party duty room have none here):
    the officer, the leader's report and the leader's written report."""
    return [s for k, s in view.get("notifications", {}).items() if "_initial_" in k or k.endswith("_l-vm-safety")]


async def test_bus_report_is_graded_routed_delivered_and_on_the_timeline(system: System) -> None:
    await publish_report(system, sample_report())
    [incident_id] = await eventually(lambda: incident_ids(system))
    await approve_for_leaders(system, incident_id)

    async def delivered() -> dict:
        view = await escalation_view(system, incident_id)
        states = officer_and_leader(view)
        return view if len(states) == 3 and all(s == "delivered" for s in states) else {}

    view = await eventually(delivered)
    assert view["level"] == "III"  # 3 deaths: 较大 under the production-safety table (以上 includes)
    assert view["on_duty"]["leader_in_charge"] == "l-vm-safety"
    kinds = [entry["kind"] for entry in view["timeline"]]
    assert kinds[:2] == ["report", "grading"]
    assert {e["person_id"] for e in view["timeline"] if e["kind"] == "notification"} >= {"l-vm-safety"}
    assert "notification_status" in kinds
    # one file for the officer, two for the leader: the report and the written report (the cc units and the
    # party-committee duty room get theirs too)
    assert len(list(system.spool.glob("*p-duty*.json"))) == 1
    assert len(list(system.spool.glob("*_r*_l-vm-safety*.json"))) == 1
    assert len(list(system.spool.glob("*_w*_l-vm-safety*.json"))) == 1
    assert len(list(system.spool.glob("*party_committee_duty_room*.json"))) == 1
    leader_file = next(p for p in system.spool.glob("*_r*_l-vm-safety*.json"))
    text = json.loads(leader_file.read_text(encoding="utf-8"))["text"]
    assert "较大（III级）" in text and "死亡3人" in text and "请阅示" in text

    notes = (await system.client.get(f"/api/v1/notifications?incident_id={incident_id}",
                                     headers=system.auth("duty_officer"))).json()
    notes = [n for n in notes if n["person_id"].startswith(("p-", "l-"))]
    assert {n["state"] for n in notes} == {"delivered"}
    assert [h["state"] for h in notes[0]["history"]] == ["pending", "sending", "sent", "delivered"]


async def test_level_iv_only_tells_the_duty_officer(system: System) -> None:
    report = sample_report(report_id="WM-2", casualties={"deaths": 1, "injuries": 2}, title="某厂发生机械伤害事故")
    await publish_report(system, report)
    [incident_id] = await eventually(lambda: incident_ids(system))

    async def routed() -> dict:
        view = await escalation_view(system, incident_id)
        return view if view.get("routed") else {}

    view = await routed() or await eventually(routed)
    assert view["level"] == "IV"
    requested = [e["person_id"] for e in view["timeline"] if e["kind"] == "notification"]
    assert requested and all(p.startswith("p-duty") for p in requested)


async def test_redelivered_report_creates_nothing_twice(system: System) -> None:
    report = sample_report(report_id="WM-DUP")
    for _ in range(3):
        await publish_report(system, report)
    [incident_id] = await eventually(lambda: incident_ids(system))
    detail = (await system.client.get(f"/api/v1/incidents/{incident_id}", headers=system.auth("duty_officer"))).json()
    assert len(detail["reports"]) == 1
    assert detail["reports"][0]["duplicates"] == 2

    await approve_for_leaders(system, incident_id)

    async def settled() -> bool:
        view = await escalation_view(system, incident_id)
        states = officer_and_leader(view)
        return bool(view) and all(s == "delivered" for s in states) and len(states) == 3

    await eventually(settled)
    names = [p.name for p in system.spool.glob("*.json")]
    assert len(names) == len(set(names))
    assert sum("p-duty" in n for n in names) == 1 and sum("l-vm-safety" in n for n in names) == 2  # + written


async def test_follow_up_attaches_and_regrades(system: System) -> None:
    await publish_report(system, sample_report(report_id="A1"))
    [incident_id] = await eventually(lambda: incident_ids(system))
    follow = sample_report(report_id="A2", follow_up_of="A1", title="续报：死亡人数升至11人",
                           casualties={"deaths": 11, "injuries": 9})
    await publish_report(system, follow)

    async def regraded() -> dict:
        view = await escalation_view(system, incident_id)
        return view if view.get("level") == "II" else {}

    view = await eventually(regraded)
    assert sum(1 for e in view["timeline"] if e["kind"] == "grading") == 2
    assert await incident_ids(system) == [incident_id]


async def test_classified_incident_sends_only_the_collection_notice(system: System) -> None:
    secret = "某涉密单位发生泄密相关事件详情"
    await publish_report(system, sample_report(report_id="S1", classification="classified", text=secret,
                                               title="涉密事件"))
    await eventually(lambda: _spooled(system))
    for path in system.spool.glob("*.json"):
        body = path.read_text(encoding="utf-8")
        assert "机要渠道" in body
        assert secret not in body and "涉密事件" not in body


async def _spooled(system: System) -> bool:
    return len(list(system.spool.glob("*.json"))) >= 1


async def test_metrics_count_handled_messages(system: System) -> None:
    await publish_report(system, sample_report(report_id="M1"))
    await eventually(lambda: incident_ids(system))
    text = (await system.client.get("/metrics")).text
    assert 'zhiban_handled_total{consumer="reports",outcome="ok",service="intake"}' in text
    assert "zhiban_published_total" in text
