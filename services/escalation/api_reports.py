"""Upward bulletin (R-13) and late/missed reporting (R-14, R-15) routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from services.escalation.domain.bulletin import BulletinError as ComposeError
from services.escalation.domain.lateness import DeterminationError
from services.escalation.render import FontNotFound
from services.escalation.service_reports import BulletinError
from services.escalation.service_routing import UpwardRefused
from shared.auth import Principal, Require, Role
from shared.http import ApiError

Office = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head))]
SecGen = Annotated[Principal, Depends(Require(Role.secretary_general))]
Reader = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.shift_leader,
                                              Role.secretary_general, Role.admin))]
Determiner = Annotated[Principal, Depends(Require(Role.duty_head, Role.secretary_general))]
MEDIA = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class BulletinDraft(BaseModel):
    signer: str = Field(min_length=1, max_length=50)
    what_happened: str = Field(min_length=1, max_length=5000)
    event: str | None = Field(default=None, max_length=100)
    response: str | None = Field(default=None, max_length=5000)


class UpwardReport(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class DeterminationIn(BaseModel):
    incident_id: str
    unit: str = Field(min_length=1, max_length=100)
    finding: Literal["谎报", "瞒报", "无"]
    reasoning: str = Field(max_length=5000)
    evidence: list[str] = Field(default_factory=list, max_length=50)


def add_report_routes(router: APIRouter, svc: Any) -> None:
    from services.escalation.api import domain_errors

    @router.post("/incidents/{incident_id}/bulletins", summary="依据核实事实拟制《突发公共事件直报信息》")
    async def draft(incident_id: str, body: BulletinDraft, who: Office) -> dict[str, Any]:
        async with domain_errors():
            try:
                rec = await svc.draft_bulletin(incident_id, signer=body.signer, what_happened=body.what_happened,
                                               by=who.id, event=body.event, response=body.response)
            except ComposeError as exc:
                raise ApiError(422, "invalid", str(exc)) from exc
        return {"id": rec["_id"], "state": rec["state"], "text": rec["text"]}

    @router.post("/bulletins/{bulletin_id}:approve", summary="秘书长签批直报信息，交通知服务传真报省")
    async def approve(bulletin_id: str, who: SecGen) -> dict[str, Any]:
        async with domain_errors():
            try:
                rec = await svc.approve_bulletin(bulletin_id, by=who.id)
            except BulletinError as exc:
                raise ApiError(409, "wrong_state", str(exc)) from exc
        return {"id": rec["_id"], "state": rec["state"], "approved_by": rec["approved_by"]}

    @router.post("/incidents/{incident_id}/upward", summary="一般事件直接报上级值班室（较大及以上只能报送签批的直报信息）")
    async def upward(incident_id: str, body: UpwardReport, who: Office) -> dict[str, Any]:
        async with domain_errors():
            try:
                doc = await svc.report_upward(incident_id, by=who.id, text=body.text)
            except UpwardRefused as exc:
                raise ApiError(409, "bulletin_only", str(exc)) from exc
        return {"id": incident_id, "level": doc.get("level"), "revision": doc["revision"]}

    @router.get("/bulletins/{bulletin_id}.{fmt}", summary="直报信息文件（PDF 嵌入字体 / DOCX）")
    async def file(bulletin_id: str, fmt: Literal["pdf", "docx"], who: Reader, request: Request) -> Response:
        async with domain_errors():
            try:
                data = await svc.render_bulletin(bulletin_id, fmt)
            except FontNotFound as exc:
                raise ApiError(503, "no_font", f"服务器未安装中文字体：{exc}") from exc
        await request.app.state.audit.record(who=who.id, action="read_bulletin", target=bulletin_id, outcome="200",
                                             detail={"format": fmt})
        return Response(data, media_type=MEDIA[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{bulletin_id}.{fmt}"'})

    @router.get("/reporting/timeliness", summary="各单位首报用时与迟报")
    async def timeliness(who: Reader) -> list[dict[str, Any]]:
        return await svc.timeliness()

    @router.post("/reporting/missed", summary="漏报线索：辖区内未报送的单位（单位→行政区划代码前缀）")
    async def missed(unit_areas: dict[str, list[str]], who: Reader) -> list[dict[str, Any]]:
        return await svc.missed(unit_areas)

    @router.post("/reporting/determinations", summary="谎报、瞒报的人工认定")
    async def determine(body: DeterminationIn, who: Determiner) -> dict[str, Any]:
        role = "secretary_general" if who.has_any((Role.secretary_general,)) else "duty_head"
        try:
            doc = await svc.determine(incident_id=body.incident_id, unit=body.unit, finding=body.finding,
                                      reasoning=body.reasoning, by=who.id, role=role, evidence=body.evidence)
        except DeterminationError as exc:
            raise ApiError(422, "invalid", str(exc)) from exc
        return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}

    @router.get("/reporting/determinations", summary="认定记录")
    async def determinations(who: Reader) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in d.items() if k != "_id"}, "id": d["_id"]} for d in
                await svc.store.list_determinations()]

    @router.get("/reporting/statistics", summary="按周期、等级、类别、地区、单位统计")
    async def stats(who: Reader, by: Annotated[list[str], Query()] = ["period"],  # noqa: B006
                    period: Literal["day", "week", "month", "quarter", "year"] = "month") -> list[dict[str, Any]]:
        try:
            return await svc.statistics(by=by, period=period)
        except ValueError as exc:
            raise ApiError(422, "invalid", str(exc)) from exc

    @router.get("/reporting/statistics.xlsx", summary="统计与迟报明细导出（XLSX）")
    async def stats_xlsx(who: Reader, by: Annotated[list[str], Query()] = ["period"],  # noqa: B006
                         period: Literal["day", "week", "month", "quarter", "year"] = "month") -> Response:
        try:
            data = await svc.statistics_xlsx(by=by, period=period)
        except ValueError as exc:
            raise ApiError(422, "invalid", str(exc)) from exc
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="statistics.xlsx"'})

    @router.get("/reporting/notice-draft", summary="迟报通报草稿（待审批）")
    async def notice(who: Reader) -> dict[str, str]:
        return {"draft": await svc.draft_notice()}
