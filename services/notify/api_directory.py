"""The contact directory over HTTP: masked for every reader; one audited reveal for the roles that must
dial; private numbers and home addresses only for the roles in PRIVATE_VIEWERS and only when asked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.notify.service import NotifyService
from services.notify.service_directory import validate_record, view
from shared.auth import STAFF, Principal, Require, Role
from shared.http import ApiError

DIALERS = (Role.duty_officer, Role.duty_head, Role.shift_leader, Role.secretary_general)
# A leader's home address and private number: the office's head and the secretary-general only.
PRIVATE_VIEWERS = (Role.duty_head, Role.secretary_general)
Staff = Annotated[Principal, Depends(Require(*STAFF))]
Dialer = Annotated[Principal, Depends(Require(*DIALERS))]
Editor = Annotated[Principal, Depends(Require(Role.duty_head, Role.admin))]


class PeopleImport(BaseModel):
    people: list[dict[str, Any]] = Field(min_length=1, max_length=2000)


def add_routes(router: APIRouter, svc: NotifyService) -> None:
    @router.get("/directory", summary="通讯录（联系方式已脱敏）")
    async def directory(who: Staff) -> list[dict[str, Any]]:
        return [view(p, can_dial=False, can_see_private=False)[0] for p in await svc.store.list_people()]

    @router.get("/directory/{person_id}", summary="一人的通讯录条目（脱敏）")
    async def person(person_id: str, who: Staff) -> dict[str, Any]:
        doc = await svc.store.person(person_id)
        if doc is None:
            raise ApiError(404, "unknown_person", f"通讯录中没有编号为“{person_id}”的人员")
        return view(doc, can_dial=False, can_see_private=False)[0]

    @router.get("/directory/{person_id}/contacts", summary="查看完整联系方式（仅限需拨打的岗位，留痕）")
    async def reveal(person_id: str, who: Dialer, request: Request, include_private: bool = False) -> dict[str, Any]:
        doc = await svc.store.person(person_id)
        if doc is None:
            raise ApiError(404, "unknown_person", f"通讯录中没有编号为“{person_id}”的人员")
        if include_private and not who.has_any(PRIVATE_VIEWERS):
            await request.app.state.audit.record(who=who.id, action="reveal_private_contacts", target=person_id,
                                                 outcome="403")
            raise ApiError(403, "forbidden_private", "查看私人电话和家庭住址需要值班室负责人或秘书长权限")
        shown, revealed = view(doc, can_dial=True, can_see_private=include_private)
        await request.app.state.audit.record(
            who=who.id, action="reveal_private_contacts" if include_private else "reveal_contacts", target=person_id,
            outcome="200", detail={"name": doc.get("name"), "kinds": revealed})
        return shown

    @router.post("/directory/people", summary="导入或更新人员及联系方式（逐条校验）")
    async def import_people(body: PeopleImport, who: Editor) -> dict[str, Any]:
        docs, problems = [], []
        for i, record in enumerate(body.people):
            doc, errors = validate_record(record)
            if errors:
                problems.append({"index": i, "id": record.get("id"), "errors": errors})
            else:
                docs.append(doc)
        if problems:
            first = problems[0]
            raise ApiError(422, "invalid_people", f"第{first['index'] + 1}人（{first['id']}）：{first['errors'][0]}",
                           problems=problems)
        for doc in docs:
            await svc.store.upsert_person(doc)
        return {"imported": len(docs)}
