"""Scheduling's HTTP routes: today's roster, who is on duty, the duty log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.scheduling.service import SchedulingService
from shared.auth import STAFF, Principal, Require, Role
from shared.clock import as_utc
from shared.contracts import Category, OnDutyAnswer, OnDutyQuery

Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}


def build_api(svc: SchedulingService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/scheduling", tags=["scheduling"])

    @router.get("/on-duty", summary="当前值班人员、带班领导及分管领导")
    async def on_duty(who: Staff, at: datetime | None = None, category: Category | None = None) -> OnDutyAnswer:
        return await svc.who_is_on_duty(OnDutyQuery(at=at or svc.clock.now(), category=category))

    @router.get("/shifts", summary="某时段的班次")
    async def shifts(who: Staff, start: datetime | None = None, days: int = 1) -> list[dict[str, Any]]:
        begin = as_utc(start) if start else svc.clock.now() - timedelta(hours=12)
        return [_public(d) for d in await svc.store.shifts_between(begin, begin + timedelta(days=days))]

    @router.get("/duty-log", summary="值班工作日志")
    async def duty_log(who: Staff, start: datetime | None = None, hours: int = 24) -> list[dict[str, Any]]:
        begin = as_utc(start) if start else svc.clock.now() - timedelta(hours=hours)
        return [_public(d) for d in await svc.store.log_between(begin, begin + timedelta(hours=hours))]

    return router
