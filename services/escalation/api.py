"""Escalation's HTTP routes: incidents (level, history, review, timeline), rules, timers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from services.escalation.api_items import add_item_routes
from services.escalation.api_reports import add_report_routes
from services.escalation.api_review import add_review_routes
from services.escalation.codec import public
from services.escalation.domain.assessment import LevelChangeError
from services.escalation.domain.instructions import InstructionError
from services.escalation.domain.review import ReviewError
from services.escalation.domain.rules import RulesError
from services.escalation.errors import ConflictError, RecordError
from services.escalation.service import EscalationService
from shared.auth import STAFF, Principal, Require, Role
from shared.clock import as_utc, to_local
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]
Officer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head))]
Admin = Annotated[Principal, Depends(Require(Role.admin))]
Head = Annotated[Principal, Depends(Require(Role.duty_head))]
REVIEW_STATUS = {"wrong_state": 409, "stale_approval": 409, "not_authorised": 403, "not_on_duty": 403,
                 "comment_required": 422, "bad_edit": 422}


@asynccontextmanager
async def domain_errors() -> AsyncIterator[None]:
    """Each domain refusal becomes one precise error; nothing was written when it is raised."""
    try:
        yield
    except LookupError as exc:
        raise ApiError(404, "not_found", str(exc).strip("'\"")) from exc
    except ConflictError as exc:
        raise ApiError(409, "stale", str(exc)) from exc
    except ReviewError as exc:
        raise ApiError(REVIEW_STATUS.get(exc.code, 409), exc.code, str(exc)) from exc
    except (LevelChangeError, InstructionError, RecordError) as exc:
        raise ApiError(422, "invalid", str(exc)) from exc


class LevelDecision(BaseModel):
    action: Literal["confirm", "override", "may_escalate"]
    shown_revision: int = Field(ge=0, description="事件的版本号（查看时的 revision）")
    level: Literal["I", "II", "III", "IV"] | None = None
    reason: str = Field(default="", max_length=1000)
    may_escalate: bool | None = None


class CallLogged(BaseModel):
    person: str = Field(min_length=1, max_length=64, description="通话对象（人员编号或单位）")
    direction: Literal["out", "in"] = "out"
    summary: str = Field(min_length=1, max_length=2000)
    reported_to_leader: bool = Field(default=False, description="本次通话即向领导电话报告（满足电话报告时限）")
    at: AwareDatetime | None = Field(default=None, description="通话时间；缺省为现在")


class WrittenReport(BaseModel):
    to: str = Field(min_length=1, max_length=64)
    document_ref: str = Field(min_length=1, max_length=200, description="文号或材料名称")
    at: AwareDatetime | None = None


def timeline_view(doc: dict[str, Any]) -> list[dict[str, Any]]:
    timeline = sorted(doc.get("timeline", []), key=lambda e: as_utc(e["at"]))
    return [{**e, "at_local": f"{to_local(as_utc(e['at'])):%Y-%m-%d %H:%M}"} for e in timeline]


def build_api(svc: EscalationService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/escalation", tags=["escalation"])

    @router.get("/incidents", summary="已定级事件列表")
    async def list_incidents(
        who: Staff,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, Any]]:
        return [public(d) for d in await svc.store.list(skip=skip, limit=limit)]

    @router.get("/incidents/{incident_id}", summary="事件的级别、定级历史、审核、通知状态与时间线（精确到分钟）")
    async def get_incident(incident_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.get(incident_id)
        if doc is None:
            raise ApiError(404, "not_found", f"事件不存在或尚未处理：{incident_id}")
        return {**public({k: v for k, v in doc.items() if k not in ("timeline", "text_all")}),
                "deadlines": svc.deadline_view(doc), "timeline": timeline_view(doc)}

    @router.post("/incidents/{incident_id}/calls", summary="登记通话（向领导电话报告即满足电话报告时限）")
    async def log_call(incident_id: str, body: CallLogged, who: Officer) -> dict[str, Any]:
        async with domain_errors():
            doc = await svc.log_call(incident_id, by=who.id, person=body.person, direction=body.direction,
                                     summary=body.summary, reported_to_leader=body.reported_to_leader, at=body.at)
        return {"id": incident_id, "deadlines": svc.deadline_view(doc)}

    @router.post("/incidents/{incident_id}/written-reports", summary="登记以其他方式报送的书面报告（满足书面报告时限）")
    async def written_report(incident_id: str, body: WrittenReport, who: Officer) -> dict[str, Any]:
        async with domain_errors():
            doc = await svc.record_written_report(incident_id, by=who.id, to=body.to,
                                                  document_ref=body.document_ref, at=body.at)
        return {"id": incident_id, "deadlines": svc.deadline_view(doc)}

    @router.post("/incidents/{incident_id}/level", summary="值班人员确认或更改等级、标记可能升级（须说明理由）")
    async def decide_level(incident_id: str, body: LevelDecision, who: Officer) -> dict[str, Any]:
        async with domain_errors():
            doc = await svc.decide_level(incident_id, action=body.action, by=who.id,
                                         shown_revision=body.shown_revision, level=body.level, reason=body.reason,
                                         may_escalate=body.may_escalate)
        return {"id": incident_id, "level": doc["level"], "revision": doc["revision"],
                "may_escalate": doc["may_escalate"], "review": doc["review"]["state"]}

    @router.get("/incidents/{incident_id}/timers", summary="事件的时限与定时器（含已触发、已取消）")
    async def incident_timers(incident_id: str, who: Staff) -> dict[str, Any]:
        timers = await svc.store.timers_of({"incident_id": incident_id})
        return {"items": [public(t) for t in timers], "outbox_pending": await svc.outbox.pending_count()}

    @router.get("/on-shift", summary="按已发布排班表（本服务所存）某时刻的当班人员、带班领导与外出领导")
    async def on_shift(
        who: Head,
        at: Annotated[AwareDatetime | None, Query(description="时刻（含时区）；缺省为现在")] = None,
    ) -> dict[str, Any]:
        return await svc.on_shift_view(as_utc(at) if at is not None else svc.clock.now())

    @router.get("/rules", summary="当前生效的规则版本")
    async def rules(who: Staff) -> dict[str, Any]:
        return {"version": svc.rules.version}

    @router.post("/rules:reload", summary="重新加载规则文件（无需重启）；文件有误时保持原规则并逐项说明")
    async def reload_rules(request: Request, who: Admin) -> dict[str, Any]:
        before = svc.rules.version
        try:
            rules = svc.reload_rules()
        except RulesError as exc:
            raise ApiError(422, "invalid_rules", "规则文件无效，仍使用版本 " + before + "：" + "；".join(
                f"{path}：{zh}" for path, zh, _ in exc.problems)) from exc
        return {"version": rules.version, "previous": before}

    add_review_routes(router, svc)
    add_item_routes(router, svc)
    add_report_routes(router, svc)
    return router
