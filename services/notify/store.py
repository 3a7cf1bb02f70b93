"""Notify's repository: the contact directory it owns, and every message with its state history."""

from __future__ import annotations

from typing import Any

from shared.store import is_duplicate_key


class NotifyStore:
    def __init__(self, db: Any) -> None:
        self.messages = db["messages"]
        self.people = db["people"]

    async def setup(self) -> None:
        await self.messages.create_index([("incident_id", 1), ("requested_at", 1)])

    async def upsert_person(self, person: dict[str, Any]) -> None:
        await self.people.replace_one({"_id": person["_id"]}, person, upsert=True)

    async def person(self, person_id: str) -> dict[str, Any] | None:
        return await self.people.find_one({"_id": person_id})

    async def list_people(self) -> list[dict[str, Any]]:
        return list(await self.people.find({}).sort("_id", 1).to_list(None))

    async def create_message(self, doc: dict[str, Any]) -> bool:
        try:
            await self.messages.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def message(self, notification_id: str) -> dict[str, Any] | None:
        return await self.messages.find_one({"_id": notification_id})

    async def move(self, notification_id: str, *, to: str, entry: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        await self.messages.update_one(
            {"_id": notification_id}, {"$set": {"state": to, **(extra or {})}, "$push": {"history": entry}}
        )

    async def list_messages(self, query: dict[str, Any], *, skip: int, limit: int) -> list[dict[str, Any]]:
        return list(await self.messages.find(query).sort("requested_at", -1).skip(skip).limit(limit).to_list(None))
