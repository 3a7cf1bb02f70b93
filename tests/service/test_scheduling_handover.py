"""Handover and the duty log over the in-memory broker: pending incidents collected from escalation's
events, sign/confirm in turn, a reminder before and the head alerted after; manual entries exported."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from docx import Document

from shared.clock import SHANGHAI
from tests.helpers import eventually, sample_report
from tests.service.conftest import System
from tests.service.test_scheduling_rosters import API, outbox, publish_roster
from tests.service.test_spine import publish_report


async def test_handover_collects_pending_incidents_and_alerts_the_head_when_unconfirmed(system: System) -> None:
    await publish_roster(system, date(2026, 12, 21), date(2026, 12, 22))
    await publish_report(system, sample_report(report_id="HO-1"))
    store = system.component("scheduling").state["store"]
    await eventually(lambda: store.all("incidents"))

    at = datetime(2026, 12, 22, 8, 0, tzinfo=SHANGHAI)
    r = await system.client.post(f"{API}/handovers", json={"at": at.isoformat()}, headers=system.auth("duty_officer"))
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["id"] == "handover-20261222-0800"
    [pending] = record["pending_incidents"]
    assert pending["title"].startswith(sample_report()["title"])
    assert record["outgoing"] and record["incoming"] and record["outgoing"] != record["incoming"]

    r = await system.client.post(f"{API}/handovers/{record['id']}/confirm", headers=system.auth("duty_officer"))
    assert r.status_code == 409 and "交班人员尚未签字" in r.json()["message"]
    r = await system.client.patch(f"{API}/handovers/{record['id']}", json={"notes": "化工厂事故续报待跟进"},
                                  headers=system.auth("duty_officer"))
    assert r.status_code == 200
    detail = (await system.client.get(f"{API}/handovers/{record['id']}", headers=system.auth("duty_head"))).json()
    assert "待办事件（1项）" in detail["summary"] and "化工厂事故续报待跟进" in detail["summary"]

    handovers = system.component("scheduling").state["handovers"]
    svc = system.component("scheduling").state["service"]
    await handovers.plan(at - timedelta(hours=8))
    await svc.fire_due(now=at - timedelta(minutes=9))
    reminders = [e for e in await outbox(system, "notify.send") if e["_id"].startswith(f"scheduling:{record['id']}:reminder:")]
    assert {e["payload"]["person_id"] for e in reminders} == {*record["outgoing"], *record["incoming"]}

    signed = await handovers.sign(record["id"], record["outgoing"][0])
    assert signed["state"] == "signed"
    await svc.fire_due(now=at + timedelta(minutes=16))
    [alert] = [e for e in await outbox(system, "notify.send")
               if e["_id"].startswith(f"scheduling:{record['id']}:overdue:")]
    assert alert["payload"]["person_id"] == "p-head" and "接班人员未确认" in alert["payload"]["body"]


async def test_handover_confirmed_in_time_raises_no_alert(system: System) -> None:
    await publish_roster(system, date(2026, 12, 23), date(2026, 12, 23))
    at = datetime(2026, 12, 23, 17, 30, tzinfo=SHANGHAI)
    handovers = system.component("scheduling").state["handovers"]
    svc = system.component("scheduling").state["service"]
    record = await handovers.open(at)
    await handovers.sign(record["_id"], record["outgoing"][0])
    await handovers.confirm(record["_id"], record["incoming"][0])
    await handovers.plan(at - timedelta(hours=10))
    await svc.fire_due(now=at + timedelta(minutes=20))
    assert not [e for e in await outbox(system, "notify.send") if e["_id"].startswith("scheduling:handover-20261223-1730")
                and ":overdue:" in e["_id"]]


async def test_duty_log_takes_manual_entries_and_exports_docx_and_pdf(system: System) -> None:
    r = await system.client.post(f"{API}/duty-log", json={"text": "22:10 接市应急局电话，核实武鸣区情况"},
                                 headers=system.auth("duty_officer"))
    assert r.status_code == 201 and r.json()["by"] == "p-duty-1"
    store = system.component("scheduling").state["store"]
    [shift] = await store.shifts_around(system.component("scheduling").state["service"].clock.now())

    r = await system.client.get(f"{API}/shifts/{shift['_id']}/duty-log", headers=system.auth("duty_officer"))
    assert "核实武鸣区情况" in str(r.json()["entries"])
    r = await system.client.get(f"{API}/shifts/{shift['_id']}/duty-log?format=docx", headers=system.auth("duty_head"))
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any("核实武鸣区情况" in c for c in cells) and doc.paragraphs[0].text == "值班工作日志"
    r = await system.client.get(f"{API}/shifts/{shift['_id']}/duty-log?format=pdf", headers=system.auth("duty_head"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert b"UMing" in r.content or b"STSong" in r.content
    r = await system.client.get(f"{API}/shifts/{shift['_id']}/duty-log?format=odt", headers=system.auth("duty_head"))
    assert r.status_code == 422 and "不支持的导出格式" in r.json()["message"]
