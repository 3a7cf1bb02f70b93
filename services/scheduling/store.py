"""Scheduling's repository: people, groups, calendar years, rosters, shifts, changes, timers, the duty log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.store import is_duplicate_key

COLLECTIONS = (
    "people", "groups", "leaders", "shifts", "duty_log", "calendar_years", "rosters", "rotation", "changes",
    "absences", "timers", "incidents", "handovers", "itineraries", "away", "bookings", "units", "spot_checks",
    "feed_keys",
)


class SchedulingStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        for name in COLLECTIONS:
            setattr(self, name, db[name])

    async def setup(self) -> None:
        await self.shifts.create_index([("start", 1), ("end", 1)])
        await self.duty_log.create_index([("at", 1)])
        await self.timers.create_index([("fired_at", 1), ("due_at", 1)])
        await self.bookings.create_index([("room", 1), ("start", 1)])

    async def upsert(self, collection: str, doc: dict[str, Any]) -> None:
        await getattr(self, collection).replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        doc = await getattr(self, collection).find_one({"_id": key})
        return dict(doc) if doc else None

    async def all(self, collection: str, query: dict[str, Any] | None = None, sort: str = "_id") -> list[dict[str, Any]]:
        return list(await getattr(self, collection).find(query or {}).sort(sort, 1).to_list(None))

    async def insert_once(self, collection: str, doc: dict[str, Any]) -> bool:
        """Insert under a deterministic id; False when it was there already (a replay)."""
        try:
            await getattr(self, collection).insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def shifts_around(self, at: datetime) -> list[dict[str, Any]]:
        return list(await self.shifts.find({"start": {"$lte": at}, "end": {"$gt": at}}).to_list(None))

    async def shifts_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return list(await self.shifts.find({"start": {"$lt": end}, "end": {"$gt": start}}).sort("start", 1).to_list(None))

    async def replace_shifts(self, start: datetime, end: datetime, docs: list[dict[str, Any]]) -> None:
        """A published roster replaces whatever covered its period (an earlier roster or demo shifts)."""
        await self.shifts.delete_many({"start": {"$lt": end}, "end": {"$gt": start}})
        if docs:
            await self.shifts.insert_many(docs)

    async def all_leaders(self) -> list[dict[str, Any]]:
        return list(await self.leaders.find({}).to_list(None))

    async def all_people(self) -> list[dict[str, Any]]:
        return list(await self.people.find({}).sort("_id", 1).to_list(None))

    async def log(self, entry: dict[str, Any]) -> bool:
        return await self.insert_once("duty_log", entry)

    async def log_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return list(await self.duty_log.find({"at": {"$gte": start, "$lt": end}}).sort("at", 1).to_list(None))

    # durable timers -------------------------------------------------------------------------------
    async def add_timer(self, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        return await self.insert_once("timers", {"_id": key, "kind": kind, "due_at": due_at, "payload": payload,
                                                 "claimed_at": None, "fired_at": None})

    async def claim_due_timer(self, now: datetime) -> dict[str, Any] | None:
        """One due timer, claimed atomically so that it fires once even with two pollers."""
        doc = await self.timers.find_one_and_update(
            {"claimed_at": None, "due_at": {"$lte": now}}, {"$set": {"claimed_at": now}}, sort=[("due_at", 1)]
        )
        return dict(doc) if doc else None

    async def timer_fired(self, key: str, at: datetime, result: str) -> None:
        await self.timers.update_one({"_id": key}, {"$set": {"fired_at": at, "result": result}})
