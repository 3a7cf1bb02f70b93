"""Issue 4 §12 over the in-memory broker: an invalid rules file (at start-up and on reload), rules naming people
the directory does not know, an instruction for an unknown incident, an approval by someone without the role
— each a precise error, nothing half-applied."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services import demo
from services.app import embedded
from services.escalation.domain.rules import RulesError
from shared.settings import EscalationSettings
from tests.service.conftest import System
from tests.service.test_escalation import API, opened, requested
from tests.service.test_spine import escalation_view

RULES = EscalationSettings().rules_file.read_text(encoding="utf-8")


def _system(tmp_path: Path, rules: str) -> tuple:
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    users, _ = demo.demo_users()
    return embedded(users=users, overrides={"rules_file": path, "spool_dir": tmp_path / "spool",
                                            "store_url": f"memory://bad-{uuid.uuid4().hex}"})


def test_an_invalid_rules_file_stops_the_start_naming_each_bad_field(tmp_path: Path) -> None:
    broken = RULES.replace("deaths: {I: 30, II: 10, III: 3}", "deaths: {I: 3, II: 10, III: 30}", 1)
    broken = broken.replace("remind_after_minutes: 5", "remind_after_minutes: five")
    with pytest.raises(RulesError) as info:
        _system(tmp_path, broken)
    problems = {p: zh for p, zh, _ in info.value.problems}
    assert "review.remind_after_minutes" in problems and "应为整数" in problems["review.remind_after_minutes"]
    assert "grading.production_safety" in problems and "deaths" in problems["grading.production_safety"]


async def test_demo_rules_naming_a_leader_nobody_knows_refuse_to_start(tmp_path: Path) -> None:
    app, runtime = _system(tmp_path, RULES.replace("l-vm-social", "l-vm-nobody"))
    with pytest.raises(RulesError) as info:
        await runtime.start()
    problems = {p: zh for p, zh, _ in info.value.problems}
    assert problems == {"routing.leaders[2].id": "'l-vm-nobody' 不在通讯录中，按此规则发出的通知无人接收"}
    assert runtime._tasks == []  # nothing started: no consumer, no timer loop


async def test_reload_keeps_the_rules_when_an_addressee_is_unknown(system: System) -> None:
    svc = system.component("escalation").state["service"]
    before = svc.rules.version
    svc.read_rules = lambda: RULES.replace("市应急管理局]", "市应急管理厅]").replace(before, "next")
    r = await system.client.post(f"{API}/rules:reload", headers=system.auth("admin"))
    assert r.status_code == 422 and r.json()["code"] == "invalid_rules"
    assert "routing.cc_by_category.production_safety[0]" in r.json()["message"] and "市应急管理厅" in r.json()["message"]
    assert svc.rules.version == before


async def test_an_instruction_for_an_unknown_incident_relays_nothing(system: System) -> None:
    r = await system.client.post(f"{API}/items", headers=system.auth("duty_officer"), json={
        "kind": "supervision", "text": "督办：查明原因", "given_by": "l-mayor", "given_at": "2026-11-28T10:00:00+08:00",
        "lead_unit": "市应急管理局", "incident_id": "INC-NOPE", "due_at": "2026-12-01T18:00:00+08:00"})
    assert r.status_code == 422 and r.json()["code"] == "invalid" and "INC-NOPE" in r.json()["message"]
    assert (await system.client.get(f"{API}/items", headers=system.auth("duty_officer"))).json() == []
    notifications = (await system.client.get("/api/v1/notifications", headers=system.auth("duty_officer"))).json()
    assert notifications == []  # not relayed to the unit
    escalation = system.component("escalation").state["service"]
    assert await escalation.store.timers_of({"kind": "supervision_reminder"}) == []


async def test_approvals_by_someone_without_the_role_change_nothing(system: System) -> None:
    incident_id, view = await opened(system, report_id="NR-1")
    for role in ("duty_officer", "leader", "unit_system", "secretary_general"):
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth(role),
                                     json={"shown_revision": view["revision"]})
        assert r.status_code == 403, role
        assert "值班室负责人" in r.json()["detail"]["message"]
    r = await system.client.post(f"{API}/incidents/{incident_id}/bulletins", headers=system.auth("duty_officer"),
                                 json={"signer": "孙秘书长", "what_happened": "车间反应釜发生爆炸。"})
    for role in ("duty_officer", "duty_head", "leader"):
        denied = await system.client.post(f"{API}/bulletins/{r.json()['id']}:approve", headers=system.auth(role))
        assert denied.status_code == 403, role
    after = await escalation_view(system, incident_id)
    assert after["review"]["state"] == "awaiting_review" and after["revision"] == view["revision"]
    assert "l-vm-safety" not in requested(after) and "province_duty_office" not in requested(after)
