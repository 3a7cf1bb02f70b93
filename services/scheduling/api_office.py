"""Leaders' availability and itineraries, the four tables (XLSX/PDF), meeting rooms, iCal feeds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from services.scheduling.api import PREFIX, Head, Staff, public, refusals
from services.scheduling.documents import itinerary_tables_pdf, itinerary_tables_xlsx
from services.scheduling.domain.itinerary import AwayPeriod, ItineraryItem, PlanKind, PlanSubmission
from services.scheduling.service_office import OfficeService
from shared.auth import STAFF, Principal, Require, Role, _bearer
from shared.http import ApiError

SECRETARIAT = Require(Role.secretary_general, Role.duty_head, Role.leader, Role.admin)
Secretariat = Annotated[Principal, Depends(SECRETARIAT)]
Booker = Annotated[Principal, Depends(Require(*STAFF, Role.leader))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanBody(BaseModel):
    leader_id: str
    kind: PlanKind
    period_start: date
    items: list[ItineraryItem] = Field(default_factory=list)


class BookingBody(BaseModel):
    room_id: str = Field(min_length=1)
    start: datetime
    end: datetime
    title: str = Field(min_length=1, max_length=200)
    attendees: int = Field(default=0, ge=0)


class BookingChange(BaseModel):
    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    attendees: int | None = None


def build_office_api(office: OfficeService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling: leaders, rooms, feeds"])
    clock = office.core.clock

    @router.post("/leaders/away", status_code=201, summary="登记领导出差、出访、请假及代理领导（发布到消息总线）")
    async def away(body: AwayPeriod, who: Secretariat) -> dict[str, Any]:
        with refusals():
            return public(await office.record_away(body, by=who.id))

    @router.delete("/leaders/away/{away_id}", summary="取消外出登记")
    async def cancel_away(away_id: str, who: Secretariat) -> dict[str, Any]:
        with refusals():
            return public(await office.cancel_away(away_id, by=who.id))

    @router.post("/itineraries", status_code=201, summary="报送领导一周或次日活动安排")
    async def submit(body: PlanBody, who: Secretariat) -> dict[str, Any]:
        sub = PlanSubmission(**body.model_dump(), submitted_by=who.id, submitted_at=clock.now())
        return public(await office.submit(sub))

    @router.get("/itineraries/missing", summary="未按时报送的领导及截止时间（遇节假日顺延到前一个工作日）")
    async def missing(who: Staff, kind: PlanKind, period_start: date) -> dict[str, Any]:
        with refusals():
            return await office.missing(kind, period_start)

    @router.post("/itineraries/remind", summary="提醒未报送者")
    async def remind(who: Head, kind: PlanKind, period_start: date) -> dict[str, Any]:
        with refusals():
            return {"reminded": await office.remind(kind, period_start)}

    @router.get("/itineraries/tables", summary="四张表（周/日 × 市领导/秘书长），format=json、xlsx或pdf")
    async def tables(who: Secretariat, request: Request, week_start: date, day: date, format: str = "json") -> Any:
        data = await office.tables(week_start, day)
        await request.app.state.audit.record(who=who.id, action="read_itinerary_tables", target=str(week_start),
                                             outcome="ok", detail={"format": format})
        if format == "json":
            return data
        if format == "xlsx":
            return Response(itinerary_tables_xlsx(data), media_type=XLSX)
        if format == "pdf":
            return Response(itinerary_tables_pdf(data, f"{week_start}当周 / {day}"), media_type="application/pdf")
        raise ApiError(422, "bad_format", f"不支持的格式“{format}”：只能是json、xlsx或pdf")

    async def document_reader(request: Request, doc_id: str, expires: int | None = None, key: str | None = None,
                              credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:  # noqa: B008
        """Bearer token of the secretariat; or the signed, expiring link sent through notify."""
        if key and expires and not credentials and office.link_valid(doc_id, expires, key, clock.now()):
            return "link"
        principal = await SECRETARIAT(request, credentials)
        return principal.id

    @router.get("/documents/{doc_id}.{fmt}", summary="下载已发送的四张表（签名链接或秘书处令牌），fmt=xlsx或pdf")
    async def document(doc_id: str, fmt: str, request: Request,
                       who: str = Depends(document_reader)) -> Response:  # noqa: B008
        if fmt not in ("xlsx", "pdf"):
            raise ApiError(422, "bad_format", f"不支持的格式“{fmt}”：只能是xlsx或pdf")
        with refusals():
            doc = await office.document(doc_id)
        await request.app.state.audit.record(who=who, action="download_document", target=doc_id, outcome="ok",
                                             detail={"format": fmt})
        return Response(bytes(doc["files"][fmt]), media_type=XLSX if fmt == "xlsx" else "application/pdf")

    @router.post("/rooms/bookings", status_code=201, summary="预订会议室（时间冲突时说明与哪个预订冲突）")
    async def book(body: BookingBody, who: Booker) -> dict[str, Any]:
        with refusals():
            return public(await office.book(**body.model_dump(), organiser=who.name))

    @router.patch("/rooms/bookings/{booking_id}", summary="变更预订")
    async def change(booking_id: str, body: BookingChange, who: Booker) -> dict[str, Any]:
        with refusals():
            return public(await office.change_booking(booking_id, **body.model_dump()))

    @router.delete("/rooms/bookings/{booking_id}", summary="取消预订")
    async def cancel(booking_id: str, who: Booker) -> dict[str, Any]:
        with refusals():
            return public(await office.cancel_booking(booking_id))

    @router.get("/rooms/bookings", summary="会议室预订")
    async def bookings(who: Booker) -> list[dict[str, Any]]:
        return [public(d) for d in await office.store.all("bookings", sort="start")]

    @router.post("/feeds/keys/{person_id}", summary="签发个人日历订阅密钥（只显示一次；存哈希）")
    async def feed_key(person_id: str, who: Principal = Depends(Require())) -> dict[str, str]:  # noqa: B008
        if who.id != person_id and not who.has_any((Role.admin, Role.duty_head)):
            raise ApiError(403, "forbidden", "只能为本人签发日历订阅密钥")
        key = await office.issue_feed_key(person_id)
        return {"person_id": person_id, "key": key,
                "url_hint": f"{PREFIX}/feeds/shifts/{person_id}.ics?key={key}"}

    async def feed_reader(request: Request, person_id: str, key: str | None = None,
                          credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:  # noqa: B008
        """Bearer token as everywhere; or ``?key=`` — the hashed per-person secret for calendar clients."""
        if key and not credentials and await office.feed_key_valid(person_id, key):
            return person_id
        principal = await Require()(request, credentials)
        return principal.id

    @router.get("/feeds/shifts/{person_id}.ics", summary="个人值班日历订阅（iCalendar）")
    async def shifts_feed(person_id: str, who: str = Depends(feed_reader)) -> Response:  # noqa: B008
        with refusals():
            return Response(await office.shifts_ics(person_id), media_type="text/calendar; charset=utf-8")

    @router.get("/feeds/itinerary/{person_id}.ics", summary="领导活动日历订阅（保密活动只显示“公务活动”）")
    async def itinerary_feed(person_id: str, who: str = Depends(feed_reader)) -> Response:  # noqa: B008
        with refusals():
            return Response(await office.itinerary_ics(person_id), media_type="text/calendar; charset=utf-8")

    return router

