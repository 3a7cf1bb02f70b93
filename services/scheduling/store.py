"""Scheduling's repository: people, groups, calendar years, rosters, shifts, changes, timers, the duty log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.store import is_duplicate_key

COLLECTIONS = (
    "people", "groups", "leaders", "shifts", "duty_log", "calendar_years", "rosters", "rotation", "changes",
    "absences", "timers", "incidents", "handovers", "itineraries", "away", "bookings", "units", "spot_checks",
    "feed_keys", "documents",
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
                                                 "claimed_at": None, "fired_at": None, "attempts": 0,
                                                 "failures": []})

    async def claim_due_timer(self, now: datetime, *, stale_before: datetime) -> dict[str, Any] | None:
        """One due timer, claimed atomically so that it fires once even with two pollers. A claim older than
        ``stale_before`` belongs to a poller that died inside the handler: the timer is taken over."""
        doc = await self.timers.find_one_and_update(
            {"fired_at": None, "due_at": {"$lte": now},
             "$or": [{"claimed_at": None}, {"claimed_at": {"$lte": stale_before}}]},
            {"$set": {"claimed_at": now}}, sort=[("due_at", 1)],
        )
        return dict(doc) if doc else None

    async def timer_fired(self, key: str, at: datetime, result: str) -> None:
        await self.timers.update_one({"_id": key}, {"$set": {"fired_at": at, "result": result}})

    async def timer_failed(self, key: str, at: datetime, error: str, *, retry_at: datetime | None) -> None:
        """Record a failed run; release the timer to run again at ``retry_at``, or close it as failed."""
        update: dict[str, Any] = {"$push": {"failures": {"at": at, "error": error}}, "$inc": {"attempts": 1}}
        if retry_at is not None:
            update["$set"] = {"claimed_at": None, "due_at": retry_at}
        else:
            update["$set"] = {"fired_at": at, "failed": True, "result": f"失败：{error}"}
        await self.timers.update_one({"_id": key}, update)

    async def failed_timers(self) -> list[dict[str, Any]]:
        """Timers that failed at least once: still retrying or given up."""
        return list(await self.timers.find({"attempts": {"$gt": 0}}).sort("due_at", 1).to_list(None))
