"""Escalation over the in-memory broker: assessment, level decisions, the review gate, routing, timers."""

from __future__ import annotations

from typing import Any

from tests.helpers import eventually, sample_report
from tests.service.conftest import System
from tests.service.test_spine import escalation_view, incident_ids, publish_report

API = "/api/v1/escalation"


async def opened(system: System, **changes: Any) -> tuple[str, dict]:
    await publish_report(system, sample_report(**changes))
    [incident_id] = await eventually(lambda: incident_ids(system))

    async def ready() -> dict:
        view = await escalation_view(system, incident_id)
        return view if view.get("on_duty") else {}

    return incident_id, await eventually(ready)


def requested(view: dict) -> list[str]:
    return [e["person_id"] for e in view["timeline"] if e["kind"] == "notification"]


async def test_level_iii_waits_for_review_then_goes_to_the_leader(system: System) -> None:
    incident_id, view = await opened(system)
    assert view["level"] == "III" and view["review"]["state"] == "awaiting_review"
    assert view["rules_version"] and all(e["rules_version"] for e in view["timeline"])
    assert requested(view) and all(p.startswith("p-duty") for p in requested(view))  # officer told at once

    r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth("duty_officer"),
                                 json={"shown_revision": view["revision"]})
    assert r.status_code == 403  # an officer cannot approve
    r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth("duty_head"),
                                 json={"shown_revision": view["revision"], "comment": "同意报送"})
    assert r.status_code == 200, r.text

    async def leader_told() -> dict:
        v = await escalation_view(system, incident_id)
        return v if "l-vm-safety" in requested(v) else {}

    view = await eventually(leader_told)
    assert view["review"]["state"] == "approved"
    leader = next(e for e in view["timeline"] if e["kind"] == "notification" and e["person_id"] == "l-vm-safety")
    assert leader["channels"] == ["phone", "sms", "fax"]
    assert "party_committee_duty_room" in requested(view)  # 较大 goes to the party-committee duty room too
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds.index("review") < len(kinds) - 1


async def test_stale_approval_is_refused_and_nothing_changes(system: System) -> None:
    incident_id, view = await opened(system)
    shown = view["revision"]
    follow = sample_report(report_id="F2", follow_up_of=sample_report()["source"]["report_id"],
                           title="续报：死亡人数升至4人", casualties={"deaths": 4})
    await publish_report(system, follow)

    async def bumped() -> dict:
        v = await escalation_view(system, incident_id)
        return v if v.get("revision", 0) > shown else {}

    await eventually(bumped)
    r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth("duty_head"),
                                 json={"shown_revision": shown})
    assert r.status_code == 409 and r.json()["code"] == "stale_approval"
    after = await escalation_view(system, incident_id)
    assert after["review"]["state"] == "awaiting_review"
    assert "l-vm-safety" not in requested(after)
    assert [s["stage"] for s in after["stages"]] == ["初报", "续报一"]


async def test_officer_overrides_level_with_reason_and_history_is_kept(system: System) -> None:
    incident_id, view = await opened(system, report_id="O1", casualties={"deaths": 1}, title="某厂机械伤害")
    assert view["level"] == "IV" and view["review"]["state"] == "not_required"
    url = f"{API}/incidents/{incident_id}/level"
    r = await system.client.post(url, headers=system.auth("duty_officer"),
                                 json={"action": "override", "level": "III", "shown_revision": view["revision"]})
    assert r.status_code == 422 and "理由" in r.json()["message"]
    r = await system.client.post(url, headers=system.auth("leader"),
                                 json={"action": "confirm", "shown_revision": view["revision"]})
    assert r.status_code == 403
    r = await system.client.post(url, headers=system.auth("duty_officer"), json={
        "action": "override", "level": "III", "reason": "涉及危化品，可能扩大", "shown_revision": view["revision"]})
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "III" and r.json()["review"] == "awaiting_review"
    view = await escalation_view(system, incident_id)
    actions = [e["action"] for e in view["level_history"]["entries"]]
    assert actions[0] == "suggested" and "overridden" in actions
    assert any(e["kind"] == "level_decision" for e in view["timeline"])


async def test_urgent_bypass_goes_straight_to_the_leader_and_awaits_post_review(system: System) -> None:
    incident_id, _ = await opened(system, report_id="U1")
    r = await system.client.post(f"{API}/incidents/{incident_id}/urgent", headers=system.auth("duty_officer"),
                                 json={"comment": "爆炸仍在持续，情况特别紧急"})
    assert r.status_code == 200, r.text
    assert r.json()["review"]["state"] == "awaiting_post_review"

    async def leader_told() -> dict:
        v = await escalation_view(system, incident_id)
        return v if "l-vm-safety" in requested(v) else {}

    view = await eventually(leader_told)
    assert any(e["kind"] == "urgent_bypass" for e in view["timeline"])
    assert "party_committee_duty_room" not in requested(view)  # urgent: only the leaders
    r = await system.client.post(f"{API}/incidents/{incident_id}/review:post", headers=system.auth("duty_head"),
                                 json={"comment": "补审同意"})
    assert r.status_code == 200 and r.json()["review"]["state"] == "post_reviewed"


async def test_deadlines_become_durable_timers_with_stable_keys(system: System) -> None:
    incident_id, view = await opened(system, report_id="T1")
    timers = (await system.client.get(f"{API}/incidents/{incident_id}/timers", headers=system.auth("duty_officer")))
    items = timers.json()["items"]
    kinds = {t["kind"] for t in items}
    assert {"deadline_overdue", "review_reminder", "review_escalation"} <= kinds
    keys = [t["id"] for t in items]
    assert len(keys) == len(set(keys))
    assert {d["stage"] for d in view["deadlines"]} >= {"初报", "续报一", "终报"}


async def test_rules_reload_is_admin_only_and_keeps_rules_on_error(system: System, tmp_path: Any) -> None:
    svc = system.component("escalation").state["service"]
    r = await system.client.post(f"{API}/rules:reload", headers=system.auth("duty_officer"))
    assert r.status_code == 403
    r = await system.client.post(f"{API}/rules:reload", headers=system.auth("admin"))
    assert r.status_code == 200 and r.json()["version"] == svc.rules.version
    before = svc.rules.version
    svc.read_rules = lambda: "version: x\ngrading:\n  fire: {criteria: {deaths: {I: 3, III: 30}}}\n"
    r = await system.client.post(f"{API}/rules:reload", headers=system.auth("admin"))
    assert r.status_code == 422 and "grading.fire" in r.json()["message"]
    assert svc.rules.version == before


async def test_instruction_for_unknown_incident_is_refused(system: System) -> None:
    r = await system.client.post(f"{API}/items", headers=system.auth("duty_officer"), json={
        "kind": "instruction", "text": "全力救治伤员", "given_by": "l-mayor", "given_at": "2026-11-28T10:00:00+08:00",
        "lead_unit": "市应急管理局", "incident_id": "INC-NOPE"})
    assert r.status_code == 422 and "不存在" in r.json()["message"]
    r = await system.client.get(f"{API}/items", headers=system.auth("duty_officer"))
    assert r.json() == []
