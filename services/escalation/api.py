"""Escalation's HTTP routes: an incident's level, grading and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.escalation.service import EscalationService
from shared.auth import STAFF, Principal, Require, Role
from shared.clock import to_local
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]


def build_api(svc: EscalationService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/escalation", tags=["escalation"])

    @router.get("/incidents", summary="已定级事件列表")
    async def list_incidents(
        who: Staff,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in d.items() if k != "_id"}, "id": d["_id"]} for d in await svc.store.list(skip=skip, limit=limit)]

    @router.get("/incidents/{incident_id}", summary="事件的级别、定级依据、通知状态与时间线")
    async def get_incident(incident_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.get(incident_id)
        if doc is None:
            raise ApiError(404, "not_found", f"事件不存在或尚未处理：{incident_id}")
        timeline = sorted(doc.get("timeline", []), key=lambda e: e["at"])
        return {
            **{k: v for k, v in doc.items() if k not in ("_id", "timeline")},
            "id": doc["_id"],
            "timeline": [{**e, "at_local": f"{to_local(e['at']):%Y-%m-%d %H:%M}"} for e in timeline],
        }

    @router.get("/rules", summary="当前生效的规则版本")
    async def rules(who: Staff) -> dict[str, Any]:
        return {"version": svc.rules.version}

    return router
