"""Notify's HTTP routes: notifications and the (masked) contact directory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.notify.domain.masking import masked_contacts
from services.notify.service import NotifyService
from shared.auth import STAFF, Principal, Require, Role
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF))]
Dialer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.shift_leader))]


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}


def build_api(svc: NotifyService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["notify"])

    @router.get("/notifications", summary="通知及其投递状态")
    async def list_notifications(
        who: Staff,
        incident_id: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, Any]]:
        query = {"incident_id": incident_id} if incident_id else {}
        return [_public(d) for d in await svc.store.list_messages(query, skip=skip, limit=limit)]

    @router.get("/notifications/{notification_id}", summary="一条通知的状态历史")
    async def get_notification(notification_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.message(notification_id)
        if doc is None:
            raise ApiError(404, "not_found", f"通知不存在：{notification_id}")
        return _public(doc)

    @router.get("/directory", summary="通讯录（联系方式已脱敏）")
    async def directory(who: Staff) -> list[dict[str, Any]]:
        people = await svc.store.list_people()
        return [
            {"id": p["_id"], "name": p["name"], "title": p.get("title"), "contacts": masked_contacts(p.get("contacts", {}))}
            for p in people
        ]

    @router.get("/directory/{person_id}/contacts", summary="查看完整联系方式（仅限需拨打的岗位，留痕）")
    async def reveal(person_id: str, who: Dialer, request: Request) -> dict[str, Any]:
        person = await svc.store.person(person_id)
        if person is None:
            raise ApiError(404, "not_found", f"通讯录中无此人：{person_id}")
        await request.app.state.audit.record(
            who=who.id, action="reveal_contacts", target=person_id, outcome="200", detail={"name": person["name"]}
        )
        return {"id": person_id, "name": person["name"], "contacts": person.get("contacts", {})}

    return router
