"""Officer entry of telephone, fax and telegram reports (multipart: the report, the callback number, and for
fax/telegram the scanned original), and reading a kept original back."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from services.intake.service import IntakeService
from shared.auth import STAFF, Principal, Require, Role
from shared.http import ApiError

Officer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.admin))]
OFFICER_CHANNELS = {"phone": "电话", "fax": "传真", "telegram": "电报"}
# magic bytes of the scanned originals we keep: PDF, TIFF (both byte orders), PNG, JPEG
MAGIC = {b"%PDF-": "application/pdf", b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff",
         b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)


def build_officer_api(svc: IntakeService, intake: Any) -> APIRouter:
    router = APIRouter()

    @router.post("/reports:officer", status_code=201, summary="值班员录入电话、传真、电报报告（传真/电报须附扫描原件）")
    async def post_officer_report(
        who: Officer,
        report: Annotated[str, Form(description="报告内容（zhiban.report/1 的JSON；source 可省略）")],
        channel: Annotated[str, Form(pattern="^(phone|fax|telegram)$", description="phone | fax | telegram")],
        callback_number: Annotated[str, Form(min_length=3, max_length=32, description="回拨电话")],
        original: Annotated[UploadFile | None, File(description="扫描原件：PDF/TIFF/PNG/JPEG")] = None,
    ) -> dict[str, Any]:
        limit = svc.settings.attachment_max_bytes
        original_id = None
        if original is not None:
            data = await original.read(limit + 1)
            if len(data) > limit:
                raise ApiError(413, "attachment_too_large", f"原件过大：上限 {limit} 字节", field="original")
            kind = sniff(data)
            if kind is None:
                raise ApiError(415, "attachment_type", "原件须为PDF、TIFF、PNG或JPEG扫描件（按文件内容识别）",
                               field="original")
            original_id = f"scan:{hashlib.sha256(data).hexdigest()}"
            await svc.store.keep_original({"_id": original_id, "kind": "scan", "content_type": kind, "size": len(data),
                                           "filename": (original.filename or "")[:200], "data": data,
                                           "kept_at": svc.clock.now()})
        elif channel in ("fax", "telegram"):
            raise ApiError(422, "missing_field", f"{OFFICER_CHANNELS[channel]}报告须附扫描原件", field="original")
        try:
            raw = json.loads(report)
        except ValueError:
            raise ApiError(400, "not_json", "报告内容不是合法的JSON", field="report") from None
        if not isinstance(raw, dict):
            raise ApiError(400, "not_object", "报告内容必须是一个JSON对象（{…}）", field="report")
        raw["channel"] = channel
        if not isinstance(raw.get("source"), dict):
            digest = hashlib.sha256(f"{report}|{callback_number}".encode()).hexdigest()[:12].upper()
            raw["source"] = {"system": "duty-room", "unit": str(raw.pop("unit", "") or "值班室接报")[:100],
                             "report_id": f"DR-{digest}"}
        contact = raw.get("contact") if isinstance(raw.get("contact"), dict) else {}
        raw["contact"] = {**contact, "phone": contact.get("phone") or callback_number}
        extra = {"recorded_by": {"id": who.id, "name": who.name}, "callback_number": callback_number,
                 "original": original_id}
        return await intake.take(raw, who, channel=f"officer-{channel}", extra=extra)

    @router.get("/originals/{original_id}", summary="报告原件（CAP原文、传真/电报扫描件）")
    async def get_original(original_id: str, request: Request,
                           who: Annotated[Principal, Depends(Require(*STAFF))]) -> Response:
        doc = await svc.store.get_original(original_id)
        if doc is None:
            raise ApiError(404, "not_found", f"原件不存在：{original_id}")
        await request.app.state.audit.record(who=who.id, action="read_original", target=original_id, outcome="200")
        return Response(bytes(doc["data"]), media_type=doc["content_type"])

    return router
