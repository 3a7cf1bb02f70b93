"""Review gate (R-05) and urgent bypass (R-07) routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from shared.auth import Principal, Require, Role

Reviewer = Annotated[Principal, Depends(Require(Role.duty_head, Role.shift_leader))]
Officer = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head))]


class Approval(BaseModel):
    shown_revision: int = Field(ge=0, description="审核人看到的事件版本号；事件已更新则拒绝")
    comment: str = Field(default="", max_length=2000)
    edits: dict[str, str] | None = Field(default=None, description="修改后通过：title / place / measures")


class Returned(BaseModel):
    shown_revision: int = Field(ge=0)
    comment: str = Field(max_length=2000)


class Comment(BaseModel):
    comment: str = Field(default="", max_length=2000)


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "revision": doc["revision"], "review": doc["review"], "level": doc.get("level")}


def add_review_routes(router: APIRouter, svc: Any) -> None:
    from services.escalation.api import domain_errors

    @router.post("/incidents/{incident_id}/review:approve", summary="审核通过（可先修改后通过）")
    async def approve(incident_id: str, body: Approval, who: Reviewer) -> dict[str, Any]:
        async with domain_errors():
            return _summary(await svc.review_step(incident_id, who, "approve", shown_revision=body.shown_revision,
                                                   comment=body.comment, edits=body.edits))

    @router.post("/incidents/{incident_id}/review:return", summary="退回修改（须写明意见）")
    async def return_(incident_id: str, body: Returned, who: Reviewer) -> dict[str, Any]:
        async with domain_errors():
            return _summary(await svc.review_step(incident_id, who, "return", shown_revision=body.shown_revision,
                                                   comment=body.comment))

    @router.post("/incidents/{incident_id}/review:submit", summary="退回后重新提交审核")
    async def resubmit(incident_id: str, body: Comment, who: Officer) -> dict[str, Any]:
        async with domain_errors():
            return _summary(await svc.review_step(incident_id, who, "resubmit", shown_revision=None,
                                                   comment=body.comment))

    @router.post("/incidents/{incident_id}/urgent", summary="紧急直报分管或主要领导（事后补审）")
    async def urgent(incident_id: str, body: Comment, who: Officer) -> dict[str, Any]:
        async with domain_errors():
            return _summary(await svc.review_step(incident_id, who, "urgent", shown_revision=None,
                                                   comment=body.comment))

    @router.post("/incidents/{incident_id}/review:post", summary="紧急直报的事后补审")
    async def post(incident_id: str, body: Comment, who: Reviewer) -> dict[str, Any]:
        async with domain_errors():
            return _summary(await svc.review_step(incident_id, who, "post_review", shown_revision=None,
                                                   comment=body.comment))
