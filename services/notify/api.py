"""Notify's HTTP routes: notifications (contacts masked), receipts and acknowledgements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.notify import api_directory, api_gateways, api_notices
from services.notify.service import NotifyService
from services.notify.service_events import Events
from services.notify.service_steps import masked
from shared.auth import STAFF, Principal, Require, Role
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF))]
Supervisor = Annotated[Principal, Depends(Require(Role.duty_head, Role.shift_leader, Role.admin))]


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A message as any staff member may see it: addresses masked, a classified one without content."""
    step = doc.get("step", 0)
    plan = [{"channel": p["channel"], "kind": p["kind"], "to": masked(p["channel"], p["value"])}
            for p in doc.get("plan", [])]
    keep = ("person_id", "incident_id", "classification", "subject", "state", "step", "channels", "requested_at",
            "requested_by", "ack_required", "history", "gateway", "gateway_message_id", "segments", "encoding", "acknowledged_at",
            "ack_via", "reported_at", "needs_person", "round")
    return {"id": doc["_id"], **{k: doc.get(k) for k in keep}, "plan": plan,
            "channel": plan[step]["channel"] if step < len(plan) else None}


def build_api(svc: NotifyService, events: Events, notices: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["notify"])

    @router.get("/notifications", summary="通知及其投递状态")
    async def list_notifications(
        who: Staff,
        incident_id: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, Any]]:
        query = {"incident_id": incident_id} if incident_id else {}
        return [public(d) for d in await svc.store.list_messages(query, skip=skip, limit=limit)]

    @router.get("/notifications/{notification_id}", summary="一条通知的状态历史")
    async def get_notification(notification_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.message(notification_id)
        if doc is None:
            raise ApiError(404, "not_found", f"通知不存在：{notification_id}")
        return public(doc)

    @router.post("/notifications/{notification_id}/acknowledge", summary="代为登记本人已确认（如电话中口头确认）")
    async def acknowledge(notification_id: str, who: Staff) -> dict[str, str]:
        outcome = await events.acknowledge(notification_id, via=f"值班人员代登记（{who.name}）")
        if outcome == "unknown_message":
            raise ApiError(404, "not_found", f"通知不存在：{notification_id}")
        if outcome == "illegal":
            raise ApiError(409, "not_sent", "该通知尚未发出，不能登记确认")
        return {"outcome": outcome}

    @router.post("/notifications/{notification_id}/resend", summary="人工核实后重发中断的通知")
    async def resend(notification_id: str, who: Supervisor) -> dict[str, str]:
        doc = await svc.store.message(notification_id)
        if doc is None:
            raise ApiError(404, "not_found", f"通知不存在：{notification_id}")
        if not doc.get("needs_person"):
            raise ApiError(409, "not_needed", "该通知不需要人工重发")
        await svc.store.set_message(notification_id, {"needs_person": False})
        return {"outcome": await svc.attempt(notification_id, doc["step"])}

    @router.get("/notify/receipts", summary="未能处理的回执与回复（留待人工）")
    async def receipts(who: Staff, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        return await svc.store.list_receipts(limit=limit)

    api_directory.add_routes(router, svc)
    api_gateways.add_routes(router, svc, events)
    api_notices.add_routes(router, notices)
    return router
