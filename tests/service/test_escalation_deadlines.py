"""Report clocks met or missed (R-08, R-12) and the one way up (R-13), over the in-memory broker.

A deadline is met by the stage it waits for — a leader reached, a 续报 in its window, the 终报, the bulletin
sent — once, with the time and what met it; its reminder and overdue timers never fire after that, and the
timeline says "met" or "missed"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.clock import ManualClock
from tests.helpers import eventually, sample_report
from tests.service import test_escalation_clock
from tests.service.conftest import System
from tests.service.test_escalation import API, opened, requested
from tests.service.test_spine import escalation_view, incident_ids, publish_report

START = test_escalation_clock.START
manual_system = test_escalation_clock.manual_system  # the same fixture: a system on a ManualClock


def deadline(view: dict, kind: str, stage: str = "初报") -> dict:
    return next(d for d in view["deadlines"] if d["kind"] == kind and d["stage"] == stage)


def entries(view: dict, kind: str) -> list[dict]:
    return [e for e in view["timeline"] if e["kind"] == kind]


async def until(system: System, incident_id: str, check: Any) -> dict:
    async def probe() -> dict:
        view = await escalation_view(system, incident_id)
        return view if view and check(view) else {}

    return await eventually(probe)


async def start(make: Any, clock: ManualClock, **changes: Any) -> tuple[Any, System, str, dict]:
    gen = make(clock)
    system = await gen.__anext__()
    await publish_report(system, sample_report(**changes))
    [incident_id] = await eventually(lambda: incident_ids(system))
    view = await until(system, incident_id, lambda v: v.get("deadlines") and v.get("on_duty"))
    return gen, system, incident_id, view


async def test_leader_reached_meets_the_phone_deadline_and_its_timers_never_fire(manual_system: Any) -> None:
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="DM-1")
    try:
        svc = system.component("escalation").state["service"]
        assert deadline(view, "phone")["state"] == "open"
        r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve",
                                     headers=system.auth("duty_head"), json={"shown_revision": view["revision"]})
        assert r.status_code == 200, r.text
        view = await until(system, incident_id, lambda v: entries(v, "deadline_met"))
        phone = deadline(view, "phone")
        assert phone["state"] == "met" and "l-vm-safety" in phone["met_by"] and phone["met_at"]
        [met] = entries(view, "deadline_met")
        assert "电话报告（初报）" in met["text"] and "按时完成" in met["text"]
        phone_timers = await svc.store.timers_of({"incident_id": incident_id, "data.deadline": phone["key"]})
        assert phone_timers and {t["state"] for t in phone_timers} == {"cancelled"}

        # the written report escalation sends by fax after release meets the written deadline (not the phone one)
        view = await until(system, incident_id, lambda v: deadline(v, "written")["state"] == "met")
        assert "书面报告" in deadline(view, "written")["met_by"]
        clock.advance(timedelta(hours=2, minutes=1))  # past the phone (1 h) and written (2 h) limits
        assert await svc.fire_due() > 0  # the follow-up reminders, say: not these two
        view = await escalation_view(system, incident_id)
        missed = " ".join(e["text"] for e in entries(view, "deadline_missed"))
        assert "书面报告（初报）" not in missed and "电话报告" not in missed
        assert deadline(view, "phone")["state"] == "met" and deadline(view, "written")["state"] == "met"
        assert {t["state"] for t in await svc.store.timers_of({"data.deadline": phone["key"]})} == {"cancelled"}
        assert len(entries(view, "deadline_met")) == 2  # later deliveries meet nothing twice
    finally:
        await gen.aclose()


async def test_follow_up_meets_its_window_and_the_final_report_closes_the_clock(manual_system: Any) -> None:
    clock = ManualClock(START)
    gen, system, incident_id, view = await start(manual_system, clock, report_id="DF-1")
    try:
        svc = system.component("escalation").state["service"]
        first = deadline(view, "follow_up", "续报一")  # 17:00 the same day (NORMS §1)
        assert first["due_local"].endswith("17:00")
        clock.advance(timedelta(hours=4))  # 14:00
        await publish_report(system, sample_report(report_id="DF-2", follow_up_of="DF-1", title="续报：伤员已全部送医",
                                                   received_at="2026-11-28T14:00:00+08:00"))
        view = await until(system, incident_id, lambda v: deadline(v, "follow_up", "续报一")["state"] == "met")
        assert "续报一" in deadline(view, "follow_up", "续报一")["met_by"]
        assert deadline(view, "follow_up", "续报二")["state"] == "open"  # one report, one window

        clock.advance(timedelta(hours=19))  # 09:00 next day: 续报二 (08:00) has passed without a report
        await svc.fire_due()
        view = await until(system, incident_id, lambda v: deadline(v, "follow_up", "续报二")["state"] == "missed")
        assert any("续报（续报二）" in e["text"] for e in entries(view, "deadline_missed"))
        await publish_report(system, sample_report(report_id="DF-3", follow_up_of="DF-1", title="终报：处置完毕",
                                                   received_at="2026-11-29T09:00:00+08:00"))
        view = await until(system, incident_id, lambda v: deadline(v, "final", "终报")["state"] == "met")
        assert deadline(view, "follow_up", "续报二")["state"] == "missed"  # a late report does not undo a miss
        later = [d for d in view["deadlines"] if d["kind"] == "follow_up" and d["due_local"] > "2026-11-29 09:00"]
        assert later == []  # no follow-ups after the 终报
        pending = await svc.store.timers_of({"incident_id": incident_id, "state": "pending",
                                             "kind": {"$in": ["deadline_reminder", "deadline_overdue"]}})
        assert pending == []  # nothing left to remind of: written and upward timers fired, the rest met or dropped
    finally:
        await gen.aclose()


async def test_bulletin_sent_meets_the_upward_deadline(system: System) -> None:
    incident_id, view = await opened(system, report_id="DU-1")
    assert deadline(view, "upward")["state"] == "open"
    r = await system.client.post(f"{API}/incidents/{incident_id}/bulletins", headers=system.auth("duty_officer"),
                                 json={"signer": "孙秘书长", "what_happened": "车间反应釜发生爆炸。"})
    assert r.status_code == 200, r.text
    r = await system.client.post(f"{API}/bulletins/{r.json()['id']}:approve", headers=system.auth("secretary_general"))
    assert r.status_code == 200, r.text
    view = await until(system, incident_id, lambda v: deadline(v, "upward")["state"] == "met")
    assert "province_duty_office" in deadline(view, "upward")["met_by"]
    assert deadline(view, "phone")["state"] == "open"  # the bulletin is not a report to the city's leaders


async def test_officer_records_a_call_and_a_written_report(system: System) -> None:
    incident_id, view = await opened(system, report_id="DC-1")
    url = f"{API}/incidents/{incident_id}"
    future = {"person": "l-vm-safety", "summary": "电话报告事故情况", "reported_to_leader": True,
              "at": "2099-01-01T00:00:00+08:00"}
    r = await system.client.post(f"{url}/calls", headers=system.auth("duty_officer"), json=future)
    assert r.status_code == 422 and "不能晚于当前时间" in r.json()["message"]
    assert entries(await escalation_view(system, incident_id), "call") == []  # nothing half-applied
    r = await system.client.post(f"{url}/calls", headers=system.auth("leader"), json={**future, "at": None})
    assert r.status_code == 403

    r = await system.client.post(f"{url}/calls", headers=system.auth("duty_officer"),
                                 json={"person": "市应急管理局", "summary": "核实伤亡", "direction": "out"})
    assert r.status_code == 200 and all(d["state"] == "open" for d in r.json()["deadlines"])  # not a report
    r = await system.client.post(f"{url}/calls", headers=system.auth("duty_officer"),
                                 json={"person": "l-vm-safety", "summary": "电话报告事故情况", "reported_to_leader": True})
    assert r.status_code == 200
    assert next(d for d in r.json()["deadlines"] if d["kind"] == "phone")["state"] == "met"
    r = await system.client.post(f"{url}/written-reports", headers=system.auth("duty_officer"),
                                 json={"to": "l-vm-safety", "document_ref": "值班信息〔2026〕88号"})
    assert r.status_code == 200
    assert next(d for d in r.json()["deadlines"] if d["kind"] == "written")["state"] == "met"
    view = await escalation_view(system, incident_id)
    assert len(entries(view, "call")) == 2 and len(entries(view, "written_report")) == 1
    assert len(entries(view, "deadline_met")) == 2


async def test_level_iii_goes_up_only_as_the_approved_bulletin(system: System) -> None:
    incident_id, view = await opened(system, report_id="UP-1")
    assert view["level"] == "III"
    before = await escalation_view(system, incident_id)
    r = await system.client.post(f"{API}/incidents/{incident_id}/upward", headers=system.auth("duty_officer"),
                                 json={"text": "武鸣区某化工厂爆炸，3人死亡"})
    assert r.status_code == 409 and r.json()["code"] == "bulletin_only"
    assert "III级" in r.json()["message"] and "《突发公共事件直报信息》" in r.json()["message"]
    after = await escalation_view(system, incident_id)
    # the officer's notification may still report progress meanwhile; nothing else is added
    changes = [e for e in after["timeline"][len(before["timeline"]):] if e["kind"] != "notification_status"]
    assert not changes and "province_duty_office" not in requested(after)
    notified = (await system.client.get("/api/v1/notifications", params={"incident_id": incident_id},
                                        headers=system.auth("duty_officer"))).json()
    assert all(n["person_id"] != "province_duty_office" for n in notified)


async def test_a_level_iv_incident_may_be_reported_up_directly(system: System) -> None:
    incident_id, view = await opened(system, report_id="UP-4", casualties={"deaths": 1}, title="某厂机械伤害")
    assert view["level"] == "IV"
    r = await system.client.post(f"{API}/incidents/{incident_id}/upward", headers=system.auth("duty_officer"),
                                 json={"text": "某厂机械伤害，1人死亡"})
    assert r.status_code == 200, r.text
    view = await escalation_view(system, incident_id)
    assert "province_duty_office" in requested(view)


async def test_a_bulletin_drafted_before_the_incident_changed_cannot_be_approved(system: System) -> None:
    incident_id, view = await opened(system, report_id="BS-1")
    r = await system.client.post(f"{API}/incidents/{incident_id}/bulletins", headers=system.auth("duty_officer"),
                                 json={"signer": "孙秘书长", "what_happened": "车间反应釜发生爆炸。"})
    bid = r.json()["id"]
    await publish_report(system, sample_report(report_id="BS-2", follow_up_of="BS-1", title="续报：死亡人数升至4人",
                                               casualties={"deaths": 4}))
    await until(system, incident_id, lambda v: v["revision"] > view["revision"])
    r = await system.client.post(f"{API}/bulletins/{bid}:approve", headers=system.auth("secretary_general"))
    assert r.status_code == 409 and r.json()["code"] == "stale" and "重新拟制" in r.json()["message"]
    svc = system.component("escalation").state["service"]
    assert (await svc.store.get_bulletin(bid))["state"] == "draft"
    after = await escalation_view(system, incident_id)
    assert not any(e["key"].startswith(f"bulletin:{bid}:approved") for e in after["timeline"])
