"""Handover records and the duty log: open, edit, sign, confirm; manual entries; DOCX/PDF export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.scheduling.api import PREFIX, Officer, Staff, public, refusals
from services.scheduling.documents import docx_table, pdf_table
from services.scheduling.service_handover import HandoverService
from shared.clock import to_local
from shared.http import ApiError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KIND_ZH = {"manual": "手工记录", "notification": "通知", "roster": "排班", "roster_change": "换班",
           "leader_availability": "领导外出"}


class OpenBody(BaseModel):
    at: datetime | None = None


class EditBody(BaseModel):
    done: list[str] | None = None
    notes: str | None = Field(default=None, max_length=5000)


class EntryBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


def build_handover_api(handovers: HandoverService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling: handover & duty log"])
    clock = handovers.core.clock

    @router.post("/handovers", status_code=201, summary="打开交接班记录（待办事项自动汇集）")
    async def open_record(body: OpenBody, who: Officer) -> dict[str, Any]:
        return public(await handovers.open(body.at or clock.now()))

    @router.get("/handovers", summary="交接班记录")
    async def listing(who: Staff) -> list[dict[str, Any]]:
        return [public(d) for d in await handovers.store.all("handovers")]

    @router.get("/handovers/{key}", summary="交接班记录详情（含书面交接内容）")
    async def detail(key: str, who: Staff) -> dict[str, Any]:
        with refusals():
            text = await handovers.summary(key)
        doc = await handovers.store.get("handovers", key) or {}
        return {**public(doc), "summary": text}

    @router.patch("/handovers/{key}", summary="填写已办事项和其他说明")
    async def edit(key: str, body: EditBody, who: Officer) -> dict[str, Any]:
        with refusals():
            return public(await handovers.edit(key, done=body.done, notes=body.notes))

    @router.post("/handovers/{key}/sign", summary="交班人员签字")
    async def sign(key: str, who: Officer) -> dict[str, Any]:
        with refusals():
            return public(await handovers.sign(key, who.id))

    @router.post("/handovers/{key}/confirm", summary="接班人员确认")
    async def confirm(key: str, who: Officer) -> dict[str, Any]:
        with refusals():
            return public(await handovers.confirm(key, who.id))

    @router.post("/duty-log", status_code=201, summary="值班人员手工记录")
    async def entry(body: EntryBody, who: Officer) -> dict[str, Any]:
        return public(await handovers.manual_entry(body.text, who.id))

    @router.get("/shifts/{shift_id}/duty-log", summary="某班次的值班日志（format=docx或pdf可导出）")
    async def shift_log(shift_id: str, who: Staff, request: Request, format: str = "json") -> Any:
        with refusals():
            shift, entries = await handovers.shift_log(shift_id)
        await request.app.state.audit.record(who=who.id, action="read_duty_log", target=shift_id, outcome="ok",
                                             detail={"format": format})
        if format == "json":
            return {"shift": public(shift), "entries": [public(e) for e in entries]}
        title = "值班工作日志"
        subtitle = (f"班次：{shift_id}（{to_local(shift['start']):%Y-%m-%d %H:%M}至{to_local(shift['end']):%m-%d %H:%M}）"
                    f"  值班员：{'、'.join(shift.get('officers', []))}  带班领导：{shift.get('shift_leader') or '—'}")
        header = ["时间", "类别", "内容", "记录人"]
        rows = [[f"{to_local(e['at']):%m-%d %H:%M}", KIND_ZH.get(e["kind"], "事件"), e["text"], e.get("by") or "系统"]
                for e in entries] or [["—", "—", "本班次无记录", "—"]]
        if format == "docx":
            return Response(docx_table(title, subtitle, header, rows), media_type=DOCX,
                            headers={"Content-Disposition": f'attachment; filename="duty-log-{shift_id}.docx"'})
        if format == "pdf":
            return Response(pdf_table(title, subtitle, header, rows), media_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="duty-log-{shift_id}.pdf"'})
        raise ApiError(422, "bad_format", f"不支持的导出格式“{format}”：只能是json、docx或pdf")

    return router
