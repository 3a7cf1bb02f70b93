"""Intake's HTTP routes for incidents (list, detail with timeline, split and merge by hand), parked
messages and public-opinion items (舆情)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.intake.domain.errors import ReportRejected
from services.intake.domain.grading import parse_levels
from services.intake.domain.publicopinion import parse_public_opinion
from services.intake.service import IntakeError, IntakeService
from shared.auth import STAFF, Principal, Require, Role
from shared.contracts import Category
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]
Officer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head))]


class Page(BaseModel):
    total: int
    items: list[dict[str, Any]]


class SplitIn(BaseModel):
    report_key: str = Field(min_length=3, max_length=200, description="要拆出的报告（system/report_id）")
    reason: str = Field(min_length=1, max_length=500, description="理由")


class MergeIn(BaseModel):
    other_incident_id: str = Field(min_length=1, max_length=64, description="并入本事件的另一事件")
    reason: str = Field(min_length=1, max_length=500)


class LinkIn(BaseModel):
    incident_id: str = Field(min_length=1, max_length=64)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "data")}
    out["id"] = doc["_id"]
    return out


def build_incident_api(svc: IntakeService) -> APIRouter:
    router = APIRouter()

    @router.get("/incidents", summary="事件列表（按时间、地区（含下级）、类别、等级、状态筛选，分页）")
    async def list_incidents(
        who: Staff,
        since: datetime | None = None,
        until: datetime | None = None,
        time_field: Literal["opened_at", "occurred_at", "updated_at"] = "opened_at",
        area_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        category: Category | None = None,
        status: Literal["open", "merged", "empty"] | None = None,
        level: Annotated[list[str] | None, Query(
            description="事件等级 I、II、III、IV（值班应急处置定级）：可重复（level=I&level=II）或逗号分隔（level=I,II）")] = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        query: dict[str, Any] = {}
        if level:
            levels, bad = parse_levels(level)
            if bad is not None:
                raise ApiError(422, "invalid_level", f"事件等级无效：“{bad}”，应为 I、II、III、IV 之一", field="level")
            query["level"] = {"$in": levels}
        if since or until:
            query[time_field] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v}
        if area_code:
            query["area_code"] = {"$in": [area_code, *svc.areas.descendants(area_code)]}
        if category:
            query["category"] = category.value
        if status:
            query["status"] = status
        total, docs = await svc.store.list_incidents(query, skip=skip, limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    @router.get("/incidents/{incident_id}", summary="事件详情：全部报告（首报在前）与时间线")
    async def get_incident(incident_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.get_incident(incident_id)
        if doc is None:
            raise ApiError(404, "not_found", f"事件不存在：{incident_id}")
        reports = await svc.store.reports_of(incident_id)
        reports.sort(key=lambda r: (not r["primary"], r["received_at"]))
        opinion = (await svc.store.list_opinion({"incident_id": incident_id}, skip=0, limit=200))[1]
        return {**public(doc), "reports": [public(r) for r in reports], "public_opinion": [public(o) for o in opinion]}

    @router.post("/incidents/{incident_id}:split", summary="人工拆分：将一份报告拆出为新事件（记入时间线）")
    async def split(incident_id: str, body: SplitIn, who: Officer) -> dict[str, Any]:
        try:
            new_id = await svc.split(incident_id, body.report_key, officer=f"{who.name}（{who.id}）", reason=body.reason)
        except IntakeError as err:
            raise ApiError(err.status, err.code, err.message_zh) from None
        return {"incident_id": incident_id, "new_incident_id": new_id}

    @router.post("/incidents/{incident_id}:merge", summary="人工合并：将另一事件并入本事件（记入时间线）")
    async def merge(incident_id: str, body: MergeIn, who: Officer) -> dict[str, Any]:
        try:
            await svc.merge(incident_id, body.other_incident_id, officer=f"{who.name}（{who.id}）", reason=body.reason)
        except IntakeError as err:
            raise ApiError(err.status, err.code, err.message_zh) from None
        return {"incident_id": incident_id, "merged": body.other_incident_id}

    @router.get("/parked", summary="待人工处理的消息（格式错误、不符合契约、过大、冒用身份、多次失败）")
    async def list_parked(
        who: Annotated[Principal, Depends(Require(*STAFF))],
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        total, docs = await svc.store.list_parked(skip=skip, limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    @router.post("/public-opinion", status_code=201, summary="登记一条舆情（来源链接、平台、时间、摘要、传播量）")
    async def post_opinion(request: Request, who: Officer) -> dict[str, Any]:
        try:
            raw = await request.json()
        except ValueError:
            raise ApiError(400, "not_json", "请求体不是合法的JSON") from None
        if not isinstance(raw, dict):
            raise ApiError(400, "not_object", "请求体必须是一个JSON对象（{…}）")
        try:
            item = parse_public_opinion({**raw, "recorded_by": who.id}, now=svc.clock.now())
        except ReportRejected as err:
            raise ApiError(422, err.code, err.message_zh, field=err.field) from None
        if item.incident_id and await svc.store.get_incident(item.incident_id) is None:
            raise ApiError(404, "not_found", f"事件不存在：{item.incident_id}", field="incident_id")
        doc = {"_id": f"po:{item.platform.value}:{item.source_url}", **item.model_dump(mode="json"),
               "published_at": item.published_at, "recorded_at": svc.clock.now(), "total_reach": item.total_reach}
        created = await svc.store.add_opinion(doc)
        if created and item.incident_id:
            await _on_timeline(svc, item.incident_id, doc["_id"], who)
        return {"id": doc["_id"], "created": created}

    @router.get("/public-opinion", summary="舆情列表（可按关联事件筛选）")
    async def list_opinion(
        who: Staff,
        incident_id: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        total, docs = await svc.store.list_opinion({"incident_id": incident_id} if incident_id else {}, skip=skip,
                                                   limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    @router.post("/public-opinion/{item_id:path}:link", summary="将舆情关联到事件")
    async def link_opinion(item_id: str, body: LinkIn, who: Officer) -> dict[str, Any]:
        if await svc.store.get_incident(body.incident_id) is None:
            raise ApiError(404, "not_found", f"事件不存在：{body.incident_id}", field="incident_id")
        doc = await svc.store.link_opinion(item_id, body.incident_id)
        if doc is None:
            raise ApiError(404, "not_found", f"舆情不存在：{item_id}")
        await _on_timeline(svc, body.incident_id, item_id, who)
        return public(doc)

    return router


async def _on_timeline(svc: IntakeService, incident_id: str, item_id: str, who: Principal) -> None:
    entry = {"at": svc.clock.now(), "kind": "public_opinion", "item": item_id, "by": who.id,
             "text": f"关联舆情：{item_id}（{who.name}）"}
    await svc.store.update_incident(incident_id, {}, [entry])
