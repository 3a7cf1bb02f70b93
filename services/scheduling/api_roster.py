"""Rosters: draft, approval by the secretary-general, publication; swaps, absences and vacancies."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.scheduling.api import PREFIX, Head, Officer, SecretaryGeneral, Staff, public, refusals
from services.scheduling.domain.roster import RosterConfig, SensitivePeriod, ShiftTemplate
from services.scheduling.service_roster import RosterService


class RosterRequest(BaseModel):
    start: date
    end: date
    officers_per_shift: int | None = Field(default=None, ge=1, le=6)
    holiday_officers_per_shift: int | None = Field(default=None, ge=1, le=6)
    day_start: time | None = None
    night_start: time | None = None
    sensitive_periods: list[SensitivePeriod] = Field(default_factory=list)


class ChangeBody(BaseModel):
    shift_id: str
    person_out: str
    person_in: str
    reported_to: str
    other_shift_id: str | None = None
    note: str = ""


class AbsenceBody(BaseModel):
    shift_id: str
    person_id: str
    approved: bool = False


def _config(base: RosterConfig, body: RosterRequest) -> RosterConfig:
    update: dict[str, Any] = {}
    if body.officers_per_shift:
        update["officers_per_shift"] = body.officers_per_shift
    if body.holiday_officers_per_shift:
        update["holiday_officers_per_shift"] = body.holiday_officers_per_shift
    if body.sensitive_periods:
        update["sensitive_periods"] = tuple(body.sensitive_periods)
    if body.day_start or body.night_start:
        day = body.day_start or base.shifts[0].start
        night = body.night_start or base.shifts[1].start
        update["shifts"] = (ShiftTemplate(kind="day", start=day, end=night),
                            ShiftTemplate(kind="night", start=night, end=day))
    return base.model_copy(update=update)


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    return public({**doc, "shift_count": len(doc.get("shifts", []))})


def build_roster_api(rosters: RosterService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling: rosters"])

    @router.post("/rosters", status_code=201, summary="生成某时段的排班草稿")
    async def draft(body: RosterRequest, who: Head) -> dict[str, Any]:
        with refusals():
            return _summary(await rosters.draft(body.start, body.end, by=who.id, config=_config(rosters.config, body)))

    @router.get("/rosters", summary="排班表列表")
    async def listing(who: Staff) -> list[dict[str, Any]]:
        return [{k: v for k, v in _summary(d).items() if k != "shifts"} for d in await rosters.store.all("rosters")]

    @router.get("/rosters/{roster_id}", summary="排班表详情（含公平性统计和与制度规定天数的差异）")
    async def detail(roster_id: str, who: Staff) -> dict[str, Any]:
        with refusals():
            return _summary(await rosters._roster(roster_id))

    @router.post("/rosters/{roster_id}/approve", summary="秘书长审批排班表")
    async def approve(roster_id: str, who: SecretaryGeneral) -> dict[str, Any]:
        with refusals():
            return _summary(await rosters.approve(roster_id, by=who.id))

    @router.post("/rosters/{roster_id}/publish", summary="发布已审批的排班表（通知值班人员，发布到消息总线）")
    async def publish(roster_id: str, who: Head) -> dict[str, Any]:
        with refusals():
            return _summary(await rosters.publish(roster_id, by=who.id))

    @router.post("/changes", status_code=201, summary="换班、顶班、替班（按R-20规则检查并记录）")
    async def change(body: ChangeBody, who: Officer) -> dict[str, Any]:
        with refusals():
            return public(await rosters.change(**body.model_dump(), by=who.id))

    @router.get("/changes", summary="班次变更记录")
    async def changes(who: Staff) -> list[dict[str, Any]]:
        return [public(d) for d in await rosters.store.all("changes", sort="at")]

    @router.post("/absences", status_code=201, summary="报告缺岗（空岗立即提醒值班室负责人）")
    async def absence(body: AbsenceBody, who: Officer) -> dict[str, Any]:
        with refusals():
            found = await rosters.report_absence(**body.model_dump(), by=who.id)
        return {"vacancies": [v.model_dump(mode="json") for v in found]}

    @router.get("/vacancies", summary="未来31天的空岗")
    async def vacancies(who: Staff) -> list[dict[str, Any]]:
        return [v.model_dump(mode="json") for v in await rosters.current_vacancies()]

    return router
