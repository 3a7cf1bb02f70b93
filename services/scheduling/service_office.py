"""Leaders' availability and itineraries (R-22, R-23), meeting rooms (R-24) and iCal feeds."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from services.scheduling.documents import ITINERARY_TABLES, itinerary_tables_pdf, itinerary_tables_xlsx
from services.scheduling.domain import ical, rooms
from services.scheduling.domain.itinerary import (
    AWAY_LABELS,
    AwayPeriod,
    ItineraryConfig,
    ItineraryItem,
    Leader,
    LeaderGroup,
    PlanKind,
    PlanSubmission,
    compile_tables,
    daily_deadline,
    missing_submitters,
    missing_text,
    monday_of,
    needs_daily_plan,
    reminder_text,
    upcoming_deadlines,
    weekly_deadline,
)
from services.scheduling.domain.models import Role
from services.scheduling.service import SchedulingService
from services.scheduling.service_roster import domain_shift
from shared.clock import as_utc, to_local
from shared.contracts import LeaderAvailabilityChanged
from shared.contracts.events import NotifyChannel
from shared.topology import LEADER_AVAILABILITY_CHANGED

TABLES = ITINERARY_TABLES
API_PREFIX = "/api/v1/scheduling"
log = structlog.get_logger("zhiban.scheduling")
ROOM_SERVICE_GROUP = "room_service"  # people of this group are the meeting-room service staff


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TablesDelivery:
    """Where the four tables go and how: ``to`` person ids (empty: people titled 秘书长), the links' base URL,
    how long a link works, and the secret the links are signed with."""

    to: tuple[str, ...] = ()
    base_url: str = "http://127.0.0.1:8004"
    link_valid: timedelta = timedelta(days=7)
    secret: str = "change-me-scheduling-document-secret"


class OfficeService:
    def __init__(self, core: SchedulingService, config: ItineraryConfig | None = None,
                 delivery: TablesDelivery | None = None) -> None:
        self.core = core
        self.store = core.store
        self.config = config or ItineraryConfig()
        self.delivery = delivery or TablesDelivery()
        core.timer_handlers["itinerary_reminder"] = self._reminder_timer
        core.timer_handlers["itinerary_deadline"] = self._deadline_timer
        core.timer_handlers["itinerary_tables"] = self._tables_timer

    # leaders away, with the acting leader -----------------------------------------------------------
    async def record_away(self, period: AwayPeriod, *, by: str) -> dict[str, Any]:
        if period.end <= period.start:
            raise ValueError(f"外出结束时间{to_local(period.end):%m-%d %H:%M}须晚于开始时间")
        n = await self.store.away.count_documents({}) + 1
        away_id = f"away-{n}"
        doc = {"_id": away_id, "leader_id": period.leader_id, "kind": period.kind.value,
               "start": as_utc(period.start), "end": as_utc(period.end), "destination": period.destination,
               "acting": period.acting_leader_id, "by": by, "cancelled": False}
        await self.store.away.insert_one(doc)
        await self.store.leaders.update_one({"_id": period.leader_id}, {"$push": {"away": {
            "id": away_id, "start": doc["start"], "end": doc["end"], "acting": period.acting_leader_id,
            "reason": AWAY_LABELS[period.kind]}}, "$setOnInsert": {"domains": [], "principal": False}}, upsert=True)
        await self._publish(doc, cancelled=False)
        acting = f"，由{period.acting_leader_id}代理" if period.acting_leader_id else "，未指定代理领导"
        await self.core.log_event(key=f"away:{away_id}", kind="leader_availability", by=by,
                                  text=f"{period.leader_id}{AWAY_LABELS[period.kind]}{acting}")
        return doc

    async def cancel_away(self, away_id: str, *, by: str) -> dict[str, Any]:
        doc = await self.store.get("away", away_id)
        if doc is None:
            raise LookupError(f"找不到外出记录{away_id}")
        await self.store.away.update_one({"_id": away_id}, {"$set": {"cancelled": True}})
        await self.store.leaders.update_one({"_id": doc["leader_id"]}, {"$pull": {"away": {"id": away_id}}})
        await self._publish(doc, cancelled=True)
        return {**doc, "cancelled": True}

    async def _publish(self, doc: dict[str, Any], *, cancelled: bool) -> None:
        if self.core.outbox is None:
            return
        event = LeaderAvailabilityChanged(leader_id=doc["leader_id"], start=as_utc(doc["start"]),
                                          end=as_utc(doc["end"]), kind=doc["kind"], acting_leader=doc.get("acting"),
                                          cancelled=cancelled, changed_at=self.core.clock.now())
        suffix = ":cancelled" if cancelled else ""
        await self.core.outbox.add(f"leader.availability:{doc['_id']}{suffix}", LEADER_AVAILABILITY_CHANGED, event)

    # itineraries ----------------------------------------------------------------------------------
    async def leaders(self) -> list[Leader]:
        found = []
        for n, p in enumerate((await self.core.people()).values()):
            if Role.CITY_LEADER in p.roles:
                found.append(Leader(person_id=p.person_id, name=p.name, title=p.title, group=LeaderGroup.CITY, order=n))
            elif Role.SHIFT_LEADER in p.roles and "秘书长" in (p.title or ""):
                found.append(Leader(person_id=p.person_id, name=p.name, title=p.title,
                                    group=LeaderGroup.SECRETARIES_GENERAL, order=n))
        return found

    async def submit(self, sub: PlanSubmission) -> dict[str, Any]:
        n = await self.store.itineraries.count_documents({}) + 1
        doc = {"_id": f"plan-{n}", **sub.model_dump(mode="json"), "submitted_at": as_utc(sub.submitted_at)}
        await self.store.itineraries.insert_one(doc)
        return doc

    async def submissions(self) -> list[PlanSubmission]:
        return [PlanSubmission.model_validate({k: v for k, v in d.items() if k != "_id"})
                for d in await self.store.all("itineraries")]

    def deadline(self, kind: PlanKind, period_start: date) -> datetime:
        if kind is PlanKind.WEEKLY:
            return weekly_deadline(period_start, self.core.calendar, self.config)
        return daily_deadline(period_start, self.core.calendar, self.config)

    async def missing(self, kind: PlanKind, period_start: date, now: datetime | None = None) -> dict[str, Any]:
        due = self.deadline(kind, period_start)
        gone = missing_submitters(await self.leaders(), await self.submissions(), kind, period_start,
                                  now or self.core.clock.now())
        return {"kind": kind.value, "period_start": period_start.isoformat(), "due": due.isoformat(),
                "missing": [x.model_dump() for x in gone], "reminder": reminder_text(gone, kind, due) if gone else "",
                "summary": missing_text(gone, kind, period_start, due)}

    async def remind(self, kind: PlanKind, period_start: date, now: datetime | None = None) -> list[str]:
        """One reminder per missing leader (to the leader's office: their secretary reads it)."""
        info = await self.missing(kind, period_start, now)
        due = datetime.fromisoformat(info["due"])
        told = []
        for leader in info["missing"]:
            secretary = (await self.store.get("leaders", leader["person_id"]) or {}).get("secretary") or leader["person_id"]
            text = reminder_text([Leader.model_validate(leader)], kind, due)
            await self.core.notify(f"itinerary:{kind.value}:{period_start}:{leader['person_id']}", secretary,
                                   "领导活动安排报送提醒", text)
            told.append(secretary)
        return told

    async def tables(self, week_start: date, day: date | None) -> dict[str, list[dict[str, Any]]]:
        """The four tables; without ``day`` the two next-day tables are empty (a week with no working day)."""
        four = compile_tables(await self.leaders(), await self.submissions(), week_start, day or week_start)
        return {name: [] if day is None and name.startswith("daily") else
                [r.model_dump(mode="json") for r in getattr(four, name)] for name in TABLES}

    # itinerary timers: a reminder before each deadline, the missing list at it, the tables after it ---------
    async def plan(self, now: datetime) -> None:
        """Timers for the deadlines of the coming days (idempotent keys; called by the timer loop). Deadlines
        follow the official calendar; a year without an official entry plans nothing for it (logged)."""
        skipped: set[int] = set()
        deadlines = upcoming_deadlines(now, self.core.calendar, self.config, skipped=skipped)
        if skipped:
            log.warning("itinerary deadlines not planned: no official calendar", years=sorted(skipped))
        for dl in deadlines:
            payload = {"kind": dl.kind.value, "period_start": dl.period_start.isoformat()}
            name = f"{dl.kind.value}:{dl.period_start.isoformat()}"
            if now < dl.due:
                await self.store.add_timer(f"itinerary-reminder:{name}", "itinerary_reminder",
                                           as_utc(dl.due - self.config.reminder_before), payload)
            await self.store.add_timer(f"itinerary-deadline:{name}", "itinerary_deadline", as_utc(dl.due), payload)
            tables_at = as_utc(dl.due + self.config.tables_after)
            if dl.kind is PlanKind.DAILY:
                await self.store.add_timer(f"itinerary-tables:{name}", "itinerary_tables", tables_at, {
                    "week_start": monday_of(dl.period_start).isoformat(), "day": dl.period_start.isoformat()})
            elif not any(needs_daily_plan(dl.period_start + timedelta(days=i), self.core.calendar, self.config)
                         for i in range(7)):
                await self.store.add_timer(f"itinerary-tables:{name}", "itinerary_tables", tables_at, {
                    "week_start": dl.period_start.isoformat(), "day": None})

    async def _reminder_timer(self, payload: dict[str, Any], now: datetime) -> str:
        told = await self.remind(PlanKind(payload["kind"]), date.fromisoformat(payload["period_start"]), now)
        return f"提醒{len(told)}人" if told else "均已报送"

    async def _deadline_timer(self, payload: dict[str, Any], now: datetime) -> str:
        kind, period_start = PlanKind(payload["kind"]), date.fromisoformat(payload["period_start"])
        info = await self.missing(kind, period_start, now)
        await self.core.log_event(key=f"itinerary-deadline:{kind.value}:{period_start}", kind="itinerary",
                                  text=info["summary"])
        if info["missing"]:
            for head in await self.core.heads():
                await self.core.notify(f"itinerary-missing:{kind.value}:{period_start}:{head}", head,
                                       "领导活动安排未报送名单", info["summary"])
        return f"未报送{len(info['missing'])}人"

    async def _tables_timer(self, payload: dict[str, Any], now: datetime) -> str:
        day = date.fromisoformat(payload["day"]) if payload.get("day") else None
        doc = await self.deliver_tables(date.fromisoformat(payload["week_start"]), day, now)
        return f"四张表{doc['_id']}已发送{len(doc['sent_to'])}人"

    # the four tables to the secretary-general: stored, announced through notify with signed download links ---
    async def table_recipients(self) -> list[str]:
        if self.delivery.to:
            return list(self.delivery.to)
        return [p.person_id for p in (await self.core.people()).values()
                if p.active and "秘书长" in p.title and "副秘书长" not in p.title]

    def link_key(self, doc_id: str, expires: int) -> str:
        return hmac.new(self.delivery.secret.encode(), f"{doc_id}|{expires}".encode(), hashlib.sha256).hexdigest()

    def link_valid(self, doc_id: str, expires: int, key: str, now: datetime) -> bool:
        return now.timestamp() < expires and hmac.compare_digest(self.link_key(doc_id, expires), key)

    async def deliver_tables(self, week_start: date, day: date | None, now: datetime) -> dict[str, Any]:
        """Compile the four tables, keep the XLSX and PDF in the store, and tell the secretary-general through
        notify with two signed links (a document cannot travel on the bus: notify.send carries text only).
        Idempotent: the same tables and links again, one notification per person."""
        data = await self.tables(week_start, day)
        label = f"{week_start:%Y年%m月%d日}当周" + (f"、{day:%m月%d日}" if day else "")
        doc_id = f"tables-{week_start:%Y%m%d}-{day:%Y%m%d}" if day else f"tables-{week_start:%Y%m%d}-week"
        recipients = await self.table_recipients()
        doc = {"_id": doc_id, "kind": "itinerary_tables", "week_start": week_start.isoformat(),
               "day": day.isoformat() if day else None, "created_at": now, "sent_to": recipients,
               "counts": {name: len(rows) for name, rows in data.items()},
               "files": {"xlsx": itinerary_tables_xlsx(data), "pdf": itinerary_tables_pdf(data, label)}}
        await self.store.upsert("documents", doc)
        expires = int((now + self.delivery.link_valid).timestamp())
        links = {fmt: f"{self.delivery.base_url}{API_PREFIX}/documents/{doc_id}.{fmt}?expires={expires}"
                      f"&key={self.link_key(doc_id, expires)}" for fmt in ("xlsx", "pdf")}
        missing = []
        for kind, start in ((PlanKind.WEEKLY, monday_of(week_start)), *(((PlanKind.DAILY, day),) if day else ())):
            info = await self.missing(kind, start, now)
            if info["missing"]:
                missing.append(info["summary"])
        counts = "，".join(f"{TABLES[name]}{n}项" for name, n in doc["counts"].items())
        body = (f"{label}领导活动安排四张表已汇总：{counts}。\n" + "".join(f"{m}\n" for m in missing)
                + f"下载（{self.delivery.link_valid.days}天内有效）：\nExcel：{links['xlsx']}\nPDF：{links['pdf']}")
        for pid in recipients:
            await self.core.notify(f"itinerary-tables:{doc_id}:{pid}", pid, "领导活动安排四张表", body,
                                   channels=[NotifyChannel.email, NotifyChannel.sms])
        await self.core.log_event(key=f"itinerary-tables:{doc_id}", kind="itinerary",
                                  text=f"{label}四张表已发送{'、'.join(recipients) or '（无收件人，请配置）'}")
        if not recipients:
            log.warning("four tables compiled but nobody to send them to", doc=doc_id)
        return doc

    async def document(self, doc_id: str) -> dict[str, Any]:
        doc = await self.store.get("documents", doc_id)
        if doc is None:
            raise LookupError(f"找不到文件{doc_id}")
        return doc

    async def itinerary_items(self, leader_id: str) -> list[ItineraryItem]:
        return [i.model_copy(update={"start": to_local(i.start), "end": to_local(i.end)})
                for s in await self.submissions() if s.leader_id == leader_id for i in s.items]

    # meeting rooms ----------------------------------------------------------------------------------
    async def _bookings(self) -> list[rooms.Booking]:
        return [rooms.Booking.model_validate({**{k: v for k, v in d.items() if k != "_id"},
                                              "start": as_utc(d["start"]), "end": as_utc(d["end"])})
                for d in await self.store.all("bookings")]

    async def _save_bookings(self, bookings: list[rooms.Booking], booking_id: str, action: str) -> dict[str, Any]:
        b = next(x for x in bookings if x.booking_id == booking_id)
        doc = {"_id": b.booking_id, **b.model_dump(mode="json"), "start": as_utc(b.start), "end": as_utc(b.end)}
        await self.store.upsert("bookings", doc)
        local = b.model_copy(update={"start": to_local(b.start), "end": to_local(b.end)})
        n = await self.store.bookings.count_documents({})
        for person in await self.store.all("people", {"group_id": ROOM_SERVICE_GROUP, "active": {"$ne": False}}):
            await self.core.notify(f"room:{booking_id}:{action}:{n}:{person['_id']}", person["_id"], "会议室服务",
                                   rooms.room_service_notice(local, action))
        return doc

    async def book(self, *, room_id: str, start: datetime, end: datetime, title: str, organiser: str,
                   attendees: int) -> dict[str, Any]:
        existing = await self._bookings()
        wanted = rooms.Booking(booking_id=f"bk-{len(existing) + 1}", room_id=room_id, start=as_utc(start),
                               end=as_utc(end), title=title, organiser=organiser, attendees=attendees)
        return await self._save_bookings(rooms.book(existing, wanted), wanted.booking_id, "book")

    async def change_booking(self, booking_id: str, **updates: Any) -> dict[str, Any]:
        updates = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in updates.items() if v is not None}
        return await self._save_bookings(rooms.change(await self._bookings(), booking_id, **updates), booking_id,
                                         "change")

    async def cancel_booking(self, booking_id: str) -> dict[str, Any]:
        return await self._save_bookings(rooms.cancel(await self._bookings(), booking_id), booking_id, "cancel")

    # iCal feeds, with a per-person secret key for calendar clients that cannot send headers -----------
    async def issue_feed_key(self, person_id: str) -> str:
        key = "fk_" + secrets.token_urlsafe(24)
        await self.store.upsert("feed_keys", {"_id": person_id, "sha256": _key_hash(key),
                                              "issued_at": self.core.clock.now()})
        return key

    async def feed_key_valid(self, person_id: str, key: str) -> bool:
        doc = await self.store.get("feed_keys", person_id)
        return bool(doc) and hmac.compare_digest(doc["sha256"], _key_hash(key))

    async def shifts_ics(self, person_id: str) -> bytes:
        people = await self.core.people()
        if person_id not in people:
            raise LookupError(f"找不到人员{person_id}")
        now = self.core.clock.now()
        docs = await self.store.all("shifts", {"$or": [{"officers": person_id}, {"shift_leader": person_id},
                                                      {"holiday_staff": person_id}, {"leader_at_home": person_id}]})
        names = {pid: p.name for pid, p in people.items()}
        return ical.shifts_feed(person_id, people[person_id].name, [domain_shift(d) for d in docs], now, names)

    async def itinerary_ics(self, leader_id: str) -> bytes:
        people = await self.core.people()
        if leader_id not in people:
            raise LookupError(f"找不到领导{leader_id}")
        return ical.itinerary_feed(leader_id, people[leader_id].name, await self.itinerary_items(leader_id),
                                   self.core.clock.now())
