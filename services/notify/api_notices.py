"""Meeting and activity notices (R-25) over HTTP. Office leader = secretary-general or duty head
(service_notices.OFFICE_LEADERS); the approver may not be the drafter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from services.notify.domain import notices as dn
from services.notify.service_notices import OFFICE_LEADERS, Notices, to_doc
from shared.auth import STAFF, Principal, Require, Role
from shared.http import ApiError

Staff = Annotated[Principal, Depends(Require(*STAFF))]
Drafter = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.admin))]
Leader = Annotated[Principal, Depends(Require(*OFFICE_LEADERS))]


class Draft(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)
    when: AwareDatetime
    place: str = Field(min_length=1, max_length=100)
    recipients: list[str] = Field(min_length=1, max_length=500)
    organiser_id: str


class Decision(BaseModel):
    approve: bool
    reason: str = ""


class ReceiptIn(BaseModel):
    person_id: str
    answer: dn.Answer
    substitute: str = ""
    reason: str = ""


def _out(n: dn.Notice) -> dict[str, Any]:
    doc = to_doc(n)
    return {"id": doc.pop("_id"), **doc}


def add_routes(router: APIRouter, notices: Notices) -> None:
    async def run(notice_id: str, step: Callable[[dn.Notice], Awaitable[dn.Notice]]) -> dict[str, Any]:
        notice = await notices.get(notice_id)
        if notice is None:
            raise ApiError(404, "not_found", f"通知不存在：{notice_id}")
        try:
            return _out(await step(notice))
        except dn.NoticeError as exc:
            raise ApiError(409, "notice_refused", str(exc)) from exc

    @router.post("/notices", summary="起草会议/活动通知")
    async def draft(body: Draft, who: Drafter) -> dict[str, Any]:
        if await notices.get(body.id) is not None:
            raise ApiError(409, "exists", f"通知编号已存在：{body.id}")
        try:
            n = await notices.draft(body.id, title=body.title, body=body.body, when=body.when, place=body.place,
                                    recipients=body.recipients, organiser_id=body.organiser_id, who=who)
        except dn.NoticeError as exc:
            raise ApiError(422, "unknown_person", str(exc)) from exc
        return _out(n)

    @router.post("/notices/{notice_id}/submit", summary="提交办公室领导审定")
    async def submit(notice_id: str, who: Drafter) -> dict[str, Any]:
        return await run(notice_id, lambda n: notices.save(dn.submit(n)))

    @router.post("/notices/{notice_id}/decision", summary="办公室领导审定（同意或退回）")
    async def decide(notice_id: str, body: Decision, who: Leader) -> dict[str, Any]:
        return await run(notice_id, lambda n: notices.decide(n, who, approve=body.approve, reason=body.reason))

    @router.post("/notices/{notice_id}/send", summary="发出已审定的通知")
    async def send(notice_id: str, who: Drafter) -> dict[str, Any]:
        return await run(notice_id, notices.send)

    @router.post("/notices/{notice_id}/receipts", summary="登记回执（已阅/参加/不参加/代参加）")
    async def receipt(notice_id: str, body: ReceiptIn, who: Staff) -> dict[str, Any]:
        return await run(notice_id, lambda n: notices.receipt(n, body.person_id, body.answer,
                                                               substitute=body.substitute, reason=body.reason))

    @router.get("/notices/{notice_id}", summary="通知及回执")
    async def get(notice_id: str, who: Staff) -> dict[str, Any]:
        return await run(notice_id, _same)

    @router.get("/notices/{notice_id}/summary", summary="组织者回执汇总")
    async def summary(notice_id: str, who: Staff) -> dict[str, Any]:
        notice = await notices.get(notice_id)
        if notice is None:
            raise ApiError(404, "not_found", f"通知不存在：{notice_id}")
        return await notices.summary(notice)


async def _same(n: dn.Notice) -> dn.Notice:
    return n
