"""Leaders' availability and itineraries (R-22, R-23), meeting rooms (R-24) and iCal feeds."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Any

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
    reminder_text,
    weekly_deadline,
)
from services.scheduling.domain.models import Role
from services.scheduling.service import SchedulingService
from services.scheduling.service_roster import domain_shift
from shared.clock import as_utc, to_local
from shared.contracts import LeaderAvailabilityChanged
from shared.topology import LEADER_AVAILABILITY_CHANGED

TABLES = {"weekly_leaders": "市领导一周活动安排", "weekly_secretaries_general": "秘书长、副秘书长一周活动安排",
          "daily_leaders": "市领导次日活动安排", "daily_secretaries_general": "秘书长、副秘书长次日活动安排"}
ROOM_SERVICE_GROUP = "room_service"  # people of this group are the meeting-room service staff


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class OfficeService:
    def __init__(self, core: SchedulingService, config: ItineraryConfig | None = None) -> None:
        self.core = core
        self.store = core.store
        self.config = config or ItineraryConfig()

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

    async def missing(self, kind: PlanKind, period_start: date) -> dict[str, Any]:
        due = self.deadline(kind, period_start)
        gone = missing_submitters(await self.leaders(), await self.submissions(), kind, period_start,
                                  self.core.clock.now())
        return {"kind": kind.value, "period_start": period_start.isoformat(), "due": due.isoformat(),
                "missing": [x.model_dump() for x in gone], "reminder": reminder_text(gone, kind, due) if gone else ""}

    async def remind(self, kind: PlanKind, period_start: date) -> list[str]:
        """One reminder per missing leader (to the leader's office: their secretary reads it)."""
        info = await self.missing(kind, period_start)
        due = datetime.fromisoformat(info["due"])
        told = []
        for leader in info["missing"]:
            secretary = (await self.store.get("leaders", leader["person_id"]) or {}).get("secretary") or leader["person_id"]
            text = reminder_text([Leader.model_validate(leader)], kind, due)
            await self.core.notify(f"itinerary:{kind.value}:{period_start}:{leader['person_id']}", secretary,
                                   "领导活动安排报送提醒", text)
            told.append(secretary)
        return told

    async def tables(self, week_start: date, day: date) -> dict[str, list[dict[str, Any]]]:
        four = compile_tables(await self.leaders(), await self.submissions(), week_start, day)
        return {name: [r.model_dump(mode="json") for r in getattr(four, name)] for name in TABLES}

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
