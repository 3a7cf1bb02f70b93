"""Escalation's repository: its view of each incident, durable timers, supervised items, bulletins,
determinations. Changes to an incident are guarded by its ``revision`` (optimistic concurrency)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from shared.store import is_duplicate_key


class EscalationStore:
    def __init__(self, db: Any) -> None:
        self.incidents = db["incidents"]
        self.timers = db["timers"]
        self.items = db["items"]
        self.bulletins = db["bulletins"]
        self.determinations = db["determinations"]
        self.roster_parts = db["roster_parts"]  # roster.published parts as they came (_id roster_id:part)
        self.leader_away = db["leader_away"]  # leader.availability_changed, one document per absence

    async def setup(self) -> None:
        await self.incidents.create_index([("opened_at", -1)])
        await self.timers.create_index([("state", 1), ("due_at", 1)])
        await self.timers.create_index([("incident_id", 1)])
        await self.items.create_index([("incident_id", 1)])
        await self.roster_parts.create_index([("part_start", 1), ("part_end", 1)])
        await self.roster_parts.create_index([("period_start", 1), ("period_end", 1)])
        await self.leader_away.create_index([("start", 1), ("end", 1)])

    # ------------------------------------------------------------------ incidents
    async def create(self, doc: dict[str, Any]) -> bool:
        return await _insert(self.incidents, doc)

    async def get(self, incident_id: str) -> dict[str, Any] | None:
        return await self.incidents.find_one({"_id": incident_id})

    async def exists(self, incident_id: str) -> bool:
        return await self.incidents.count_documents({"_id": incident_id}, limit=1) > 0

    async def add_timeline(self, incident_id: str, entry: dict[str, Any]) -> bool:
        """Append once: an entry's ``key`` makes a redelivered event a no-op."""
        result = await self.incidents.update_one(
            {"_id": incident_id, "timeline.key": {"$ne": entry["key"]}}, {"$push": {"timeline": entry}}
        )
        return bool(result.modified_count)

    async def set(self, incident_id: str, fields: dict[str, Any]) -> None:
        await self.incidents.update_one({"_id": incident_id}, {"$set": fields})

    async def set_if_newer(self, incident_id: str, order_field: str, order_key: str, fields: dict[str, Any]) -> bool:
        """Set ``fields`` only if ``order_key`` sorts after what ``order_field`` holds (or it holds nothing): events
        that arrive out of order never move a value back."""
        result = await self.incidents.update_one(
            {"_id": incident_id, "$or": [{order_field: {"$exists": False}}, {order_field: {"$lt": order_key}}]},
            {"$set": {**fields, order_field: order_key}},
        )
        return bool(result.modified_count)

    async def update_at_revision(
        self, incident_id: str, revision: int, fields: dict[str, Any], entries: list[dict[str, Any]]
    ) -> bool:
        """One write: the new fields and timeline entries, only if nobody changed the incident meanwhile."""
        update: dict[str, Any] = {"$set": fields}
        if entries:
            update["$push"] = {"timeline": {"$each": entries}}
        result = await self.incidents.update_one({"_id": incident_id, "revision": revision}, update)
        return bool(result.modified_count)

    async def mark_met(self, incident_id: str, key: str, record: dict[str, Any], entry: dict[str, Any]) -> bool:
        """A deadline met, with its timeline entry, in one write — only the first happening counts."""
        result = await self.incidents.update_one(
            {"_id": incident_id, f"deadline_met.{key}": {"$exists": False}},
            {"$set": {f"deadline_met.{key}": record}, "$push": {"timeline": entry}},
        )
        return bool(result.modified_count)

    async def list(self, *, skip: int, limit: int) -> list[dict[str, Any]]:
        docs = await self.incidents.find({}, {"timeline": 0}).sort("opened_at", -1).skip(skip).limit(limit).to_list(None)
        return list(docs)

    async def all_incidents(self) -> list[dict[str, Any]]:
        return list(await self.incidents.find({}, {"timeline": 0}).to_list(None))

    # ------------------------------------------------------------------ timers
    async def plan_timer(self, doc: dict[str, Any]) -> bool:
        """Add a pending timer once (unique key); False when it was planned (or fired) before."""
        return await _insert(self.timers, {**doc, "state": "pending", "fired_at": None})

    async def ensure_timer(self, doc: dict[str, Any]) -> None:
        """A timer arriving from the broker that this store does not know (e.g. the store was lost)."""
        await self.timers.update_one(
            {"_id": doc["_id"]}, {"$setOnInsert": {**doc, "state": "pending", "fired_at": None}}, upsert=True
        )

    async def claim_due(self, now: datetime) -> dict[str, Any] | None:
        """Claim one due timer with a single find_one_and_update: only one claimer ever gets it."""
        return await self.timers.find_one_and_update(
            {"state": "pending", "due_at": {"$lte": now}},
            {"$set": {"state": "fired", "fired_at": now}},
            sort=[("due_at", 1)],
            return_document=ReturnDocument.AFTER,
        )

    async def claim(self, key: str, now: datetime) -> dict[str, Any] | None:
        return await self.timers.find_one_and_update(
            {"_id": key, "state": "pending"}, {"$set": {"state": "fired", "fired_at": now}},
            return_document=ReturnDocument.AFTER,
        )

    async def record_firing(self, key: str, fields: dict[str, Any]) -> None:
        await self.timers.update_one({"_id": key}, {"$set": fields})

    async def cancel_timers(self, query: dict[str, Any], now: datetime, reason: str) -> int:
        result = await self.timers.update_many(
            {**query, "state": "pending"}, {"$set": {"state": "cancelled", "fired_at": now, "cancel_reason": reason}}
        )
        return int(result.modified_count)

    async def timers_of(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await self.timers.find(query).sort("due_at", 1).to_list(None))

    # ------------------------------------------------------------------ supervised items
    async def create_item(self, doc: dict[str, Any]) -> bool:
        return await _insert(self.items, doc)

    async def get_item(self, item_id: str) -> dict[str, Any] | None:
        return await self.items.find_one({"_id": item_id})

    async def replace_item(self, item_id: str, version: int, doc: dict[str, Any]) -> bool:
        result = await self.items.replace_one({"_id": item_id, "version": version}, {**doc, "version": version + 1})
        return bool(result.modified_count)

    async def list_items(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await self.items.find(query).sort("given_at", -1).to_list(None))

    # ------------------------------------------------------------------ the published roster, leaders away
    async def add_roster_part(self, doc: dict[str, Any]) -> bool:
        """Kept once as it came: a redelivered part adds nothing (which roster wins is decided on reading)."""
        return await _insert(self.roster_parts, doc)

    async def roster_parts_near(self, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Parts (with shifts) whose shift starts fall between the two local days (ISO dates)."""
        return list(await self.roster_parts.find(
            {"part_start": {"$lte": last_day}, "part_end": {"$gte": first_day}}).to_list(None))

    async def roster_summaries_near(self, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Every part (without shifts) of the rosters whose period touches the two local days."""
        return list(await self.roster_parts.find(
            {"period_start": {"$lte": last_day}, "period_end": {"$gte": first_day}}, {"shifts": 0}).to_list(None))

    async def note_away(self, key: str, fields: dict[str, Any], *, cancelled: bool) -> None:
        """A leader's absence: registered once; a cancellation sticks whichever of the two arrives first."""
        update: dict[str, Any] = {"$setOnInsert": fields if cancelled else {**fields, "cancelled": False}}
        if cancelled:
            update["$set"] = {"cancelled": True}
        await self.leader_away.update_one({"_id": key}, update, upsert=True)

    async def away_at(self, at: datetime) -> list[dict[str, Any]]:
        return list(await self.leader_away.find(
            {"start": {"$lte": at}, "end": {"$gt": at}, "cancelled": False}).sort("start", 1).to_list(None))

    # ------------------------------------------------------------------ bulletins, determinations
    async def put_bulletin(self, doc: dict[str, Any]) -> bool:
        return await _insert(self.bulletins, doc)

    async def get_bulletin(self, bulletin_id: str) -> dict[str, Any] | None:
        return await self.bulletins.find_one({"_id": bulletin_id})

    async def set_bulletin(self, bulletin_id: str, expect_state: str, fields: dict[str, Any]) -> bool:
        result = await self.bulletins.update_one({"_id": bulletin_id, "state": expect_state}, {"$set": fields})
        return bool(result.modified_count)

    async def count_bulletins(self) -> int:
        return int(await self.bulletins.count_documents({}))

    async def add_determination(self, doc: dict[str, Any]) -> bool:
        return await _insert(self.determinations, doc)

    async def list_determinations(self) -> list[dict[str, Any]]:
        return list(await self.determinations.find({}).sort("decided_at", -1).to_list(None))


async def _insert(collection: Any, doc: dict[str, Any]) -> bool:
    try:
        await collection.insert_one(doc)
        return True
    except Exception as exc:
        if is_duplicate_key(exc):
            return False
        raise
