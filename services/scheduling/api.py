"""Scheduling's HTTP routes: who is on duty, shifts, the duty log; the areas live in api_<area>.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.scheduling.domain.calendar import CalendarEntryInvalid, CalendarYearMissing
from services.scheduling.domain.handover import HandoverError
from services.scheduling.domain.rooms import BookingConflict
from services.scheduling.domain.swaps import OverlappingShifts, SwapRuleViolation
from services.scheduling.service import SchedulingService
from services.scheduling.service_roster import RosterStateError
from shared.auth import STAFF, Principal, Require, Role
from shared.clock import as_utc
from shared.contracts import Category, OnDutyAnswer, OnDutyQuery
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]
Head = Annotated[Principal, Depends(Require(Role.duty_head, Role.admin))]
Admin = Annotated[Principal, Depends(Require(Role.admin))]
SecretaryGeneral = Annotated[Principal, Depends(Require(Role.secretary_general))]
Officer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.shift_leader, Role.admin))]

PREFIX = "/api/v1/scheduling"


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}


@contextmanager
def refusals() -> Iterator[None]:
    """Domain refusals become precise Chinese API errors."""
    try:
        yield
    except CalendarYearMissing as exc:
        raise ApiError(422, "calendar_year_missing", str(exc), year=exc.year) from exc
    except CalendarEntryInvalid as exc:
        raise ApiError(422, "calendar_entry_invalid", str(exc)) from exc
    except OverlappingShifts as exc:
        raise ApiError(422, "overlapping_shifts", str(exc)) from exc
    except SwapRuleViolation as exc:
        raise ApiError(422, "swap_rule_broken", str(exc)) from exc
    except RosterStateError as exc:
        raise ApiError(409, "roster_state", str(exc)) from exc
    except BookingConflict as exc:
        raise ApiError(409, "booking_conflict", str(exc), conflicting=exc.existing.model_dump(mode="json")) from exc
    except HandoverError as exc:
        raise ApiError(409, "handover_out_of_turn", str(exc)) from exc
    except LookupError as exc:
        raise ApiError(404, "not_found", str(exc.args[0]) if exc.args else "未找到") from exc
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc)) from exc


def build_api(svc: SchedulingService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling"])

    @router.get("/on-duty", summary="当前值班人员、带班领导及分管领导")
    async def on_duty(who: Staff, at: datetime | None = None, category: Category | None = None) -> OnDutyAnswer:
        return await svc.who_is_on_duty(OnDutyQuery(at=at or svc.clock.now(), category=category))

    @router.get("/shifts", summary="某时段的班次")
    async def shifts(who: Staff, start: datetime | None = None, days: int = 1) -> list[dict[str, Any]]:
        begin = as_utc(start) if start else svc.clock.now() - timedelta(hours=12)
        return [public(d) for d in await svc.store.shifts_between(begin, begin + timedelta(days=days))]

    @router.get("/duty-log", summary="值班工作日志")
    async def duty_log(who: Staff, start: datetime | None = None, hours: int = 24) -> list[dict[str, Any]]:
        begin = as_utc(start) if start else svc.clock.now() - timedelta(hours=hours)
        return [public(d) for d in await svc.store.log_between(begin, begin + timedelta(hours=hours))]

    @router.get("/timers/failed", summary="执行失败的定时任务（重试中或已放弃），不会静默丢失")
    async def failed_timers(who: Head) -> list[dict[str, Any]]:
        return [public(d) for d in await svc.store.failed_timers()]

    return router
