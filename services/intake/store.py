"""Intake's repository over its own database: reports as received, incidents, parked messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.store import is_duplicate_key


def report_key(system: str, report_id: str) -> str:
    return f"{system}/{report_id}"


class IntakeStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.reports = db["reports"]
        self.incidents = db["incidents"]
        self.parked = db["parked"]
        self.originals = db["originals"]

    async def setup(self) -> None:
        await self.reports.create_index([("incident_id", 1), ("received_at", 1)])
        await self.incidents.create_index([("opened_at", -1)])
        await self.incidents.create_index([("area_code", 1), ("occurred_at", 1)])
        await self.parked.create_index([("parked_at", -1)])

    async def insert_report(self, doc: dict[str, Any]) -> bool:
        """False when this (system, report_id) was received before: a resend or a redelivery."""
        try:
            await self.reports.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def count_duplicate(self, key: str, at: datetime) -> dict[str, Any] | None:
        return await self.reports.find_one_and_update(
            {"_id": key}, {"$inc": {"duplicates": 1}, "$set": {"last_duplicate_at": at}}, return_document=True
        )

    async def get_report(self, key: str) -> dict[str, Any] | None:
        return await self.reports.find_one({"_id": key})

    async def reports_of(self, incident_id: str) -> list[dict[str, Any]]:
        return list(await self.reports.find({"incident_id": incident_id}).sort("received_at", 1).to_list(None))

    async def insert_incident(self, doc: dict[str, Any]) -> bool:
        try:
            await self.incidents.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def attach(self, incident_id: str, report_key_: str, entry: dict[str, Any]) -> None:
        await self.incidents.update_one(
            {"_id": incident_id},
            {"$addToSet": {"report_keys": report_key_}, "$push": {"timeline": entry}},
        )

    async def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        return await self.incidents.find_one({"_id": incident_id})

    async def list_incidents(self, query: dict[str, Any], *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total = await self.incidents.count_documents(query)
        docs = await self.incidents.find(query).sort("opened_at", -1).skip(skip).limit(limit).to_list(None)
        return int(total), list(docs)

    async def keep_original(self, doc: dict[str, Any]) -> None:
        await self.originals.insert_one(doc)

    async def park(self, doc: dict[str, Any]) -> bool:
        try:
            await self.parked.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                await self.parked.update_one({"_id": doc["_id"]}, {"$inc": {"times": 1}})
                return False
            raise

    async def list_parked(self, *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total = await self.parked.count_documents({})
        docs = await self.parked.find({}).sort("parked_at", -1).skip(skip).limit(limit).to_list(None)
        return int(total), list(docs)
