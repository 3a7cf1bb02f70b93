"""Intake's HTTP routes for reports coming in: one, a batch, CAP XML, officer entry (api_officer.py);
refused submissions are kept for a person. Incidents and public opinion are in api_incidents.py."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.intake.api_incidents import Page, build_incident_api, public
from services.intake.api_officer import build_officer_api
from services.intake.domain.cap import parse_cap
from services.intake.domain.errors import ReportRejected
from services.intake.service import IntakeService, Sender
from shared.auth import STAFF, Principal, Require, Role
from shared.bus import Parked
from shared.http import ApiError

Reporter = Annotated[Principal, Depends(Require(Role.unit_system, Role.duty_officer, Role.duty_head, Role.admin))]
STATUS_OF = {"too_large": 413, "not_json": 400, "not_utf8": 400, "not_object": 400, "invalid_text": 400,
             "not_xml": 400, "batch_too_large": 413}
REPORT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "zhiban.report/1（见 docs/contracts/）"}}}}}


def sender_of(who: Principal) -> Sender:
    is_unit = Role.unit_system in who.roles
    return Sender(channel="http", user=who.id, system=who.system if is_unit else None)


class Intake:
    """What the report routes share: keep refused input, turn refusals into {code, field, message}."""

    def __init__(self, svc: IntakeService) -> None:
        self.svc = svc

    async def refuse(self, raw: bytes, err: ReportRejected, who: Principal, *, channel: str,
                     content_type: str = "application/json") -> ApiError:
        """Keep what was received (for a person to fix and resubmit) and say precisely why not."""
        try:
            text: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        digest = hashlib.sha256(raw).hexdigest()
        await self.svc.store.reject({
            "_id": f"{err.code}:{digest}", "rejected_at": self.svc.clock.now(), "times": 1, "code": err.code,
            "field": err.field, "message": err.message_zh, "channel": channel, "by": who.id,
            "content_type": content_type, "size": len(raw),
            "body_text": text[:300_000] if text is not None else None,
            "body_base64": None if text is not None else base64.b64encode(raw[:300_000]).decode(),
        })
        return ApiError(STATUS_OF.get(err.code, 422), err.code, err.message_zh, field=err.field)

    async def take(self, raw: bytes | dict[str, Any], who: Principal, *, channel: str,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Normalise and place one report; ApiError (kept in ``rejected``) when it cannot be a report."""
        try:
            report = self.svc.normalise(raw)
        except ReportRejected as err:
            body = raw if isinstance(raw, bytes) else json.dumps(raw, ensure_ascii=False, default=str).encode()
            raise await self.refuse(body, err, who, channel=channel) from None
        try:
            result = await self.svc.receive(report, sender=sender_of(who), extra=extra)
        except Parked as refused:
            raise ApiError(403, refused.code, refused.reason_zh, field="source.system") from refused
        return result.as_dict()


def build_api(svc: IntakeService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])
    intake = Intake(svc)

    @router.post("/reports", status_code=201, summary="报送一条突发事件信息（zhiban.report/1）",
                 openapi_extra=REPORT_BODY)
    async def post_report(request: Request, who: Reporter) -> dict[str, Any]:
        return await intake.take(await request.body(), who, channel="http")

    @router.post("/reports:batch", summary="批量报送，逐条返回结果（{\"reports\": [...]}）")
    async def post_batch(request: Request, who: Reporter) -> dict[str, Any]:
        raw = await request.body()
        limit = svc.settings.batch_limit
        if len(raw) > svc.settings.max_message_bytes * min(limit, 16):
            raise ApiError(413, "too_large", f"批量报文过大：{len(raw)} 字节")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "not_json", "批量报文不是合法的UTF-8 JSON", field="") from None
        items = body.get("reports") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise ApiError(422, "missing_field", "批量报文应为 {\"reports\": [报告, …]}，且至少一条", field="reports")
        if len(items) > limit:
            raise ApiError(413, "batch_too_large", f"一次最多报送 {limit} 条，本次 {len(items)} 条", field="reports")
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            try:
                if not isinstance(item, dict):
                    raise ApiError(400, "not_object", "每条报告必须是一个JSON对象（{…}）", field="")
                results.append({"index": index, **await intake.take(item, who, channel="http-batch")})
            except ApiError as err:
                results.append({"index": index, "status": "rejected", "code": err.code,
                                "field": err.extra.get("field", ""), "message": err.message})
        return {"results": results, "accepted": sum(r["status"] != "rejected" for r in results),
                "rejected": sum(r["status"] == "rejected" for r in results)}

    @router.post("/reports:cap", status_code=201, summary="接收预警系统的CAP 1.2 XML（原文保存）",
                 openapi_extra={"requestBody": {"required": True, "content": {"application/xml": {}}}})
    async def post_cap(request: Request, who: Reporter,
                       system: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=64)] = None,
                       ) -> dict[str, Any]:
        raw = await request.body()
        source = (who.system if Role.unit_system in who.roles else None) or system or svc.settings.cap_system
        try:
            alert = parse_cap(raw, system=source, areas=svc.areas, max_bytes=svc.settings.max_message_bytes,
                              default_area_code=svc.settings.region)
        except ReportRejected as err:
            raise await intake.refuse(raw, err, who, channel="cap", content_type="application/xml") from None
        original_id = "cap:" + hashlib.sha256(raw).hexdigest()
        await svc.store.keep_original({"_id": original_id, "kind": "cap", "content_type": "application/xml",
                                       "size": len(raw), "data": raw, "kept_at": svc.clock.now()})
        result = await intake.take(alert.report, who, channel="cap", extra={"original": original_id})
        return {**result, "original": original_id, "cap": {"identifier": alert.identifier, "sender": alert.sender,
                                                           "msg_type": alert.msg_type, "version": alert.version}}

    @router.get("/reports/rejected", summary="被拒收的报送原文（供人工修正后重报）")
    async def list_rejected(
        request: Request,
        who: Annotated[Principal, Depends(Require(*STAFF))],
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Page:
        total, docs = await svc.store.list_rejected(skip=skip, limit=limit)
        return Page(total=total, items=[public(d) for d in docs])

    router.include_router(build_officer_api(svc, intake))
    router.include_router(build_incident_api(svc))
    return router
