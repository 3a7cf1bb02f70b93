"""Instructions through to closure, the upward bulletin (PDF with embedded fonts), late-report statistics."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from tests.helpers import eventually
from tests.service.conftest import System
from tests.service.test_escalation import API, opened


def _run(command: list[str], data: bytes) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()


async def test_instruction_relayed_fed_back_reviewed_and_closed(system: System) -> None:
    incident_id, _ = await opened(system, report_id="I1")
    r = await system.client.post(f"{API}/items", headers=system.auth("duty_officer"), json={
        "kind": "instruction", "text": "全力搜救，查明原因", "given_by": "l-mayor",
        "given_at": "2026-11-28T10:30:00+08:00", "lead_unit": "武鸣区人民政府", "supporting_units": ["市应急管理局"],
        "due_at": "2026-12-30T18:00:00+08:00", "incident_id": incident_id})
    assert r.status_code == 200, r.text
    item = r.json()
    assert item["state"] == "relayed" and item["relayed_to"] == ["武鸣区人民政府", "市应急管理局"]
    url = f"{API}/items/{item['id']}"
    r = await system.client.post(f"{url}/feedback", headers=system.auth("unit_system"),
                                 json={"unit": "市应急管理局", "text": "已完成"})
    assert r.status_code == 422  # only the lead unit feeds back
    r = await system.client.post(f"{url}/accept", headers=system.auth("unit_system"), json={})
    assert r.status_code == 403
    r = await system.client.post(f"{url}/feedback", headers=system.auth("unit_system"),
                                 json={"unit": "武鸣区人民政府", "text": "搜救结束，原因调查中"})
    assert r.status_code == 200 and r.json()["state"] == "feedback_submitted"
    for step in ("accept", "close"):
        r = await system.client.post(f"{url}/{step}", headers=system.auth("duty_officer"), json={})
        assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed"
    view = (await system.client.get(f"{API}/incidents/{incident_id}", headers=system.auth("duty_officer"))).json()
    assert sum(1 for e in view["timeline"] if e["kind"] == "instruction") >= 3


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
async def test_bulletin_is_approved_by_the_secretary_general_faxed_and_rendered(system: System) -> None:
    incident_id, _ = await opened(system, report_id="B1")
    r = await system.client.post(f"{API}/incidents/{incident_id}/bulletins", headers=system.auth("duty_officer"),
                                 json={"signer": "孙秘书长", "what_happened": "车间反应釜发生爆炸。"})
    assert r.status_code == 200, r.text
    bid = r.json()["id"]
    r = await system.client.post(f"{API}/bulletins/{bid}:approve", headers=system.auth("duty_head"))
    assert r.status_code == 403
    r = await system.client.post(f"{API}/bulletins/{bid}:approve", headers=system.auth("secretary_general"))
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = await system.client.post(f"{API}/bulletins/{bid}:approve", headers=system.auth("secretary_general"))
    assert r.status_code == 409
    pdf = await system.client.get(f"{API}/bulletins/{bid}.pdf", headers=system.auth("duty_officer"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    fonts = _run(["pdffonts", "-"], pdf.content)
    assert "yes" in fonts.splitlines()[-1]  # emb column
    text = _run(["pdftotext", "-", "-"], pdf.content)
    assert "武鸣区城厢镇某化工厂" in text and "3人死亡" in text
    docx = await system.client.get(f"{API}/bulletins/{bid}.docx", headers=system.auth("duty_officer"))
    assert docx.status_code == 200 and docx.content[:2] == b"PK"

    async def faxed() -> dict:
        view = (await system.client.get(f"{API}/incidents/{incident_id}", headers=system.auth("duty_officer"))).json()
        return view if any(e.get("notification_id") == f"{bid}_fax" for e in view["timeline"]) else {}

    await eventually(faxed)


async def test_timeliness_statistics_export_and_determination(system: System) -> None:
    incident_id, _ = await opened(system, report_id="L1")
    rows = (await system.client.get(f"{API}/reporting/timeliness", headers=system.auth("duty_officer"))).json()
    assert rows and rows[0]["unit"] == "武鸣区应急管理局" and rows[0]["limit_minutes"] == 60
    stats = await system.client.get(f"{API}/reporting/statistics?by=level&by=category",
                                    headers=system.auth("duty_head"))
    assert stats.status_code == 200 and stats.json()[0]["count"] == 1
    xlsx = await system.client.get(f"{API}/reporting/statistics.xlsx?by=unit", headers=system.auth("duty_head"))
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["统计"]["A2"].value == "武鸣区应急管理局"
    bad = await system.client.get(f"{API}/reporting/statistics?by=colour", headers=system.auth("duty_head"))
    assert bad.status_code == 422
    missed = await system.client.post(f"{API}/reporting/missed", headers=system.auth("duty_head"),
                                      json={"武鸣区人民政府": ["450110"]})
    assert missed.json()[0]["unit"] == "武鸣区人民政府"
    r = await system.client.post(f"{API}/reporting/determinations", headers=system.auth("duty_officer"), json={
        "incident_id": incident_id, "unit": "武鸣区应急管理局", "finding": "瞒报", "reasoning": "x"})
    assert r.status_code == 403
    r = await system.client.post(f"{API}/reporting/determinations", headers=system.auth("duty_head"), json={
        "incident_id": incident_id, "unit": "武鸣区应急管理局", "finding": "无", "reasoning": "按时报送，无隐瞒"})
    assert r.status_code == 200 and r.json()["finding"] == "无"
    notice = (await system.client.get(f"{API}/reporting/notice-draft", headers=system.auth("duty_head"))).json()
    assert "通报" in notice["draft"]
