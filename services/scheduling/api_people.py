"""People, groups and the official calendar: import/export CSV/XLSX, view a year, add next year."""

from __future__ import annotations

import zipfile
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.scheduling.api import PREFIX, Admin, Head, Staff, public, refusals
from services.scheduling.domain import people_io
from services.scheduling.domain.calendar import YearSchedule
from services.scheduling.service import SchedulingService, person_doc
from services.scheduling.service_roster import RosterService
from shared.http import ApiError

UNREADABLE = (UnicodeDecodeError, OSError, KeyError, ValueError, zipfile.BadZipFile)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_xlsx(request: Request, fmt: str | None) -> bool:
    if fmt:
        if fmt not in ("csv", "xlsx"):
            raise ApiError(422, "bad_format", f"不支持的格式“{fmt}”：只能是csv或xlsx")
        return fmt == "xlsx"
    return "spreadsheetml" in request.headers.get("content-type", "")


def build_people_api(svc: SchedulingService, rosters: RosterService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling: people & calendar"])

    @router.get("/people", summary="人员名单")
    async def people(who: Staff) -> list[dict[str, Any]]:
        return [public(person_doc(p)) for p in (await svc.people()).values()]

    @router.post("/people/import", summary="导入人员（CSV/XLSX，错误按行号报告，正确的行保留）")
    async def import_people(who: Head, request: Request, format: str | None = None) -> dict[str, Any]:
        body = await request.body()
        try:
            result = await svc.import_people(body, xlsx=_is_xlsx(request, format))
        except UNREADABLE as exc:
            raise ApiError(422, "unreadable_file", f"文件无法读取：请上传UTF-8编码的CSV或XLSX文件（{type(exc).__name__}）") from exc
        return {"imported": len(result.people), "errors": [{"row": e.row, "message": str(e)} for e in result.errors]}

    @router.post("/groups/import", summary="导入处室和议事协调机构（CSV/XLSX）")
    async def import_groups(who: Head, request: Request, format: str | None = None) -> dict[str, Any]:
        body = await request.body()
        try:
            result = await svc.import_groups(body, xlsx=_is_xlsx(request, format))
        except UNREADABLE as exc:
            raise ApiError(422, "unreadable_file", f"文件无法读取：请上传UTF-8编码的CSV或XLSX文件（{type(exc).__name__}）") from exc
        return {"imported": len(result.groups), "errors": [{"row": e.row, "message": str(e)} for e in result.errors]}

    @router.get("/people/export", summary="导出人员名单（CSV/XLSX）")
    async def export_people(who: Staff, request: Request, format: str = "csv") -> Response:
        people = list((await svc.people()).values())
        await request.app.state.audit.record(who=who.id, action="export_people", target="people", outcome="ok",
                                             detail={"format": format, "count": len(people)})
        if _is_xlsx(request, format):
            return Response(people_io.export_people_xlsx(people), media_type=XLSX,
                            headers={"Content-Disposition": 'attachment; filename="people.xlsx"'})
        return Response(people_io.export_people_csv(people), media_type="text/csv; charset=utf-8")

    @router.get("/groups/export", summary="导出处室名单（CSV/XLSX）")
    async def export_groups(who: Staff, request: Request, format: str = "csv") -> Response:
        groups = await svc.groups()
        if _is_xlsx(request, format):
            return Response(people_io.export_groups_xlsx(groups), media_type=XLSX)
        return Response(people_io.export_groups_csv(groups), media_type="text/csv; charset=utf-8")

    @router.delete("/people/{person_id}", summary="移出人员（其未来班次即成空岗，立即提醒值班室负责人）")
    async def remove_person(person_id: str, who: Head) -> dict[str, Any]:
        doc = await svc.store.get("people", person_id)
        if doc is None:
            raise ApiError(404, "not_found", f"找不到人员{person_id}")
        await svc.store.people.update_one({"_id": person_id}, {"$set": {"active": False}})
        found = await rosters.alert_vacancies(None, phase="now")
        return {"removed": person_id, "vacancies": [v.model_dump(mode="json") for v in found]}

    @router.get("/calendar/{year}", summary="某年官方节假日安排及与制度规定天数的差异")
    async def calendar_year(year: int, who: Staff) -> dict[str, Any]:
        with refusals():
            return svc.calendar_year(year)

    @router.put("/calendar/{year}", summary="管理员录入国务院公布的下一年节假日安排")
    async def add_year(year: int, schedule: YearSchedule, who: Admin, replace: bool = False) -> dict[str, Any]:
        with refusals():
            await svc.add_calendar_year(year, schedule, replace=replace, by=who.id)
            return svc.calendar_year(year)

    return router
