"""Escalation's repository: its view of each incident (grading, routing, timeline)."""

from __future__ import annotations

from typing import Any

from shared.store import is_duplicate_key


class EscalationStore:
    def __init__(self, db: Any) -> None:
        self.incidents = db["incidents"]

    async def setup(self) -> None:
        await self.incidents.create_index([("opened_at", -1)])

    async def create(self, doc: dict[str, Any]) -> bool:
        try:
            await self.incidents.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def get(self, incident_id: str) -> dict[str, Any] | None:
        return await self.incidents.find_one({"_id": incident_id})

    async def add_timeline(self, incident_id: str, entry: dict[str, Any]) -> bool:
        """Append once: an entry's ``key`` makes a redelivered event a no-op."""
        result = await self.incidents.update_one(
            {"_id": incident_id, "timeline.key": {"$ne": entry["key"]}}, {"$push": {"timeline": entry}}
        )
        return bool(result.modified_count)

    async def set(self, incident_id: str, fields: dict[str, Any]) -> None:
        await self.incidents.update_one({"_id": incident_id}, {"$set": fields})

    async def list(self, *, skip: int, limit: int) -> list[dict[str, Any]]:
        docs = await self.incidents.find({}, {"timeline": 0}).sort("opened_at", -1).skip(skip).limit(limit).to_list(None)
        return list(docs)
