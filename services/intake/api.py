"""Intake's HTTP routes: reports in (unit systems and officers), incidents and parked messages out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, ValidationError

from services.intake.service import IntakeService, Sender
from shared.auth import STAFF, Principal, Require, Role
from shared.bus import Parked
from shared.contracts import Category, ReportV1
from shared.http import ApiError

Reporter = Annotated[Principal, Depends(Require(Role.unit_system, Role.duty_officer, Role.duty_head, Role.admin))]
Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]


class Page(BaseModel):
    total: int
    items: list[dict[str, Any]]


class BatchIn(BaseModel):
    reports: list[dict[str, Any]] = Field(min_length=1)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "_id"}
    out["id"] = doc["_id"]
    return out


def build_api(svc: IntakeService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])

    def sender_of(who: Principal) -> Sender:
        is_unit = Role.unit_system in who.roles
        return Sender(channel="http", user=who.id, system=who.system if is_unit else None)

    async def receive(report: ReportV1, who: Principal) -> dict[str, Any]:
        try:
            result = await svc.receive(report, sender=sender_of(who))
        except Parked as refused:
            raise ApiError(403, refused.code, refused.reason_zh) from refused
        return result.as_dict()

    @router.post("/reports", status_code=201, summary="报送一条突发事件信息（zhiban.report/1）")
    async def post_report(report: ReportV1, who: Reporter) -> dict[str, Any]:
        return await receive(report, who)

    @router.post("/reports:batch", summary="批量报送，逐条返回结果")
    async def post_batch(batch: BatchIn, who: Reporter) -> dict[str, Any]:
        if len(batch.reports) > svc.settings.batch_limit:
            raise ApiError(413, "batch_too_large", f"一次最多报送 {svc.settings.batch_limit} 条，本次 {len(batch.reports)} 条")
        results: list[dict[str, Any]] = []
        for index, raw in enumerate(batch.reports):
            try:
                report = ReportV1.model_validate(raw)
            except ValidationError as exc:
                fields = "；".join(f"{'.'.join(map(str, e['loc']))}：{e['msg']}" for e in exc.errors()[:5])
                results.append({"index": index, "status": "rejected", "code": "contract", "message": fields})
                continue
            try:
                results.append({"index": index, **await receive(report, who)})
            except ApiError as err:
                results.append({"index": index, "status": "rejected", "code": err.code, "message": err.message})
        return {"results": results}

    @router.get("/incidents", summary="事件列表（可按时间、地区、类别、状态筛选，分页）")
    async def list_incidents(
        who: Staff,
        since: datetime | None = None,
        until: datetime | None = None,
        area_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
        category: Category | None = None,
        status: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        query: dict[str, Any] = {}
        if since or until:
            query["opened_at"] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v}
        if area_code:
            query["area_code"] = {"$regex": f"^{area_code}"}
        if category:
            query["category"] = category.value
        if status:
            query["status"] = status
        total, docs = await svc.store.list_incidents(query, skip=skip, limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    @router.get("/incidents/{incident_id}", summary="事件详情及其全部报告")
    async def get_incident(incident_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.get_incident(incident_id)
        if doc is None:
            raise ApiError(404, "not_found", f"事件不存在：{incident_id}")
        reports = await svc.store.reports_of(incident_id)
        return {**public(doc), "reports": [public(r) for r in reports]}

    @router.get("/parked", summary="待人工处理的消息（格式错误、不符合契约、过大、冒用身份、多次失败）")
    async def list_parked(
        who: Annotated[Principal, Depends(Require(*STAFF))],
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        total, docs = await svc.store.list_parked(skip=skip, limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    return router
