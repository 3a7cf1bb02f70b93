"""Scheduling's repository: people, leaders, shifts and the duty log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.store import is_duplicate_key


class SchedulingStore:
    def __init__(self, db: Any) -> None:
        self.people = db["people"]
        self.leaders = db["leaders"]
        self.shifts = db["shifts"]
        self.duty_log = db["duty_log"]

    async def setup(self) -> None:
        await self.shifts.create_index([("start", 1), ("end", 1)])
        await self.duty_log.create_index([("at", 1)])

    async def upsert(self, collection: str, doc: dict[str, Any]) -> None:
        await getattr(self, collection).replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def shifts_around(self, at: datetime) -> list[dict[str, Any]]:
        return list(await self.shifts.find({"start": {"$lte": at}, "end": {"$gt": at}}).to_list(None))

    async def shifts_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return list(await self.shifts.find({"start": {"$lt": end}, "end": {"$gt": start}}).sort("start", 1).to_list(None))

    async def all_leaders(self) -> list[dict[str, Any]]:
        return list(await self.leaders.find({}).to_list(None))

    async def all_people(self) -> list[dict[str, Any]]:
        return list(await self.people.find({}).sort("_id", 1).to_list(None))

    async def log(self, entry: dict[str, Any]) -> bool:
        try:
            await self.duty_log.insert_one(entry)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def log_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return list(await self.duty_log.find({"at": {"$gte": start, "$lt": end}}).sort("at", 1).to_list(None))
