"""Leader instructions, supervision items and assigned tasks (R-11, R-27)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from services.escalation.codec import public
from shared.auth import Principal, Require, Role

Office = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.secretary_general))]
Unit = Annotated[Principal, Depends(Require(Role.unit_system, Role.duty_officer, Role.duty_head))]
Reader = Annotated[Principal, Depends(Require(Role.duty_officer, Role.duty_head, Role.shift_leader,
                                              Role.secretary_general, Role.leader, Role.admin))]


class NewItem(BaseModel):
    kind: Literal["instruction", "supervision", "task"]
    text: str = Field(min_length=1, max_length=5000)
    given_by: str = Field(min_length=1, max_length=64, description="作出批示或交办的领导")
    given_at: AwareDatetime
    lead_unit: str = Field(min_length=1, max_length=100)
    supporting_units: list[str] = Field(default_factory=list, max_length=30)
    due_at: AwareDatetime | None = None
    incident_id: str | None = None
    standard: str = Field(default="", max_length=2000, description="办结标准")


class Step(BaseModel):
    version: int | None = Field(default=None, ge=0)
    text: str = Field(default="", max_length=5000)
    comment: str = Field(default="", max_length=2000)
    document_ref: str | None = Field(default=None, max_length=200)
    due_at: AwareDatetime | None = None
    unit: str | None = Field(default=None, max_length=100, description="反馈单位（值班人员代录时填写）")


def add_item_routes(router: APIRouter, svc: Any) -> None:
    from services.escalation.api import domain_errors

    @router.post("/items", summary="登记领导批示、督办事项或交办事项，并立即传达")
    async def register(body: NewItem, who: Office) -> dict[str, Any]:
        async with domain_errors():
            return public(await svc.register_item(
                kind=body.kind, text=body.text, given_by=body.given_by, given_at=body.given_at,
                lead_unit=body.lead_unit, due_at=body.due_at, incident_id=body.incident_id,
                supporting_units=body.supporting_units, standard=body.standard, by=who.id))

    @router.get("/items", summary="批示、督办、交办事项列表")
    async def list_items(who: Reader, incident_id: str | None = None,
                         state: Annotated[str | None, Query(max_length=30)] = None) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("incident_id", incident_id), ("state", state)) if v}
        return [public(d) for d in await svc.store.list_items(query)]

    @router.post("/items/{item_id}/{step}", summary="办理：start / feedback（单位） / return / accept / new_instruction / close")
    async def item_step(item_id: str, step: Literal["start", "feedback", "return", "accept", "new_instruction", "close"],
                        body: Step, who: Unit) -> dict[str, Any]:
        unit_steps = step in ("start", "feedback")
        if not unit_steps and not who.has_any((Role.duty_officer, Role.duty_head)):
            from shared.http import ApiError

            raise ApiError(403, "forbidden", "权限不足：审核反馈、续批、办结需由值班人员或值班室负责人操作")
        by = (body.unit or who.name) if unit_steps else who.id
        async with domain_errors():
            return public(await svc.item_step(item_id, step, by=by, version=body.version, text=body.text,
                                              comment=body.comment, document_ref=body.document_ref,
                                              due_at=body.due_at))
