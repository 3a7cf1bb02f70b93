"""Intake's repository over its own database: reports as received, incidents, parked and refused input,
originals (CAP XML, scanned faxes), public-opinion items, and the per-partition placement claims."""

from __future__ import annotations

from datetime import datetime, timedelta
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
        self.rejected = db["rejected"]
        self.claims = db["claims"]
        self.opinion = db["public_opinion"]

    async def setup(self) -> None:
        await self.reports.create_index([("incident_id", 1), ("received_at", 1)])
        await self.incidents.create_index([("opened_at", -1)])
        await self.incidents.create_index([("area_code", 1), ("occurred_at", 1)])
        await self.parked.create_index([("parked_at", -1)])
        await self.incidents.create_index([("partition", 1), ("status", 1), ("event_to", 1)])
        await self.rejected.create_index([("rejected_at", -1)])
        await self.opinion.create_index([("incident_id", 1), ("published_at", -1)])
        await self.incidents.create_index([("level", 1), ("opened_at", -1)])

    async def insert_report(self, doc: dict[str, Any]) -> bool:
        """False when this (system, report_id) was received before: a resend or a redelivery."""
        try:
            await self.reports.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def insert_reports(self, docs: list[dict[str, Any]]) -> None:
        """A batch of new reports, checked absent under the placement claim: a duplicate key here means
        the claim was lost meanwhile, and raises (the batch is placed again, one report at a time)."""
        if len(docs) == 1:
            await self.reports.insert_one(docs[0])
        else:
            await self.reports.insert_many(docs, ordered=True)

    async def reports_by_key(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The reports among ``keys`` received before, in one query."""
        if len(keys) == 1:
            doc = await self.reports.find_one({"_id": keys[0]})
            return {doc["_id"]: doc} if doc is not None else {}
        return {d["_id"]: d for d in await self.reports.find({"_id": {"$in": keys}}).to_list(None)}

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

    async def insert_incidents(self, docs: list[dict[str, Any]]) -> bool:
        """False when one of them was there already (a repair opened it): the others are inserted."""
        if len(docs) == 1:
            return await self.insert_incident(docs[0])
        try:
            await self.incidents.insert_many(docs, ordered=False)
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

    async def set_grading(self, incident_id: str, grading: dict[str, Any], entry: dict[str, Any]) -> bool:
        """Record escalation's grading unless one graded later is recorded already: one conditional update,
        so a redelivered or overtaken incident.graded changes nothing. False when nothing changed."""
        result = await self.incidents.update_one(
            {"_id": incident_id, "$or": [{"grading.order": {"$exists": False}}, {"grading.order": {"$lt": grading["order"]}}]},
            {"$set": {"level": grading["level"], "grading": grading}, "$push": {"timeline": entry}},
        )
        return bool(result.modified_count)

    async def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        return await self.incidents.find_one({"_id": incident_id})

    async def list_incidents(self, query: dict[str, Any], *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total = await self.incidents.count_documents(query)
        docs = await self.incidents.find(query).sort("opened_at", -1).skip(skip).limit(limit).to_list(None)
        return int(total), list(docs)

    async def keep_original(self, doc: dict[str, Any]) -> None:
        """Originals are keyed by content: the same bytes kept twice are one document."""
        try:
            await self.originals.insert_one(doc)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise

    async def get_original(self, original_id: str) -> dict[str, Any] | None:
        return await self.originals.find_one({"_id": original_id})

    # ---- placement ---------------------------------------------------------------------------------
    async def claim(self, key: str, holder: str, now: datetime, lease: timedelta) -> int | None:
        """Take the placement claim of a partition: one atomic single-document update (a lease, so a
        crashed holder does not block the partition for ever). Returns the claim's epoch, which every
        acquisition increments (placement_index.py); None when another holder has it."""
        try:
            doc = await self.claims.find_one_and_update(
                {"_id": key, "$or": [{"holder": None}, {"until": {"$lt": now}}]},
                {"$set": {"holder": holder, "until": now + lease}, "$inc": {"epoch": 1}},
                upsert=True,
                return_document=True,
            )
        except Exception as exc:
            if is_duplicate_key(exc):
                return None
            raise
        if doc is None or doc.get("holder") != holder:
            return None
        return int(doc["epoch"])

    async def release(self, key: str, holder: str) -> None:
        await self.claims.update_one({"_id": key, "holder": holder}, {"$set": {"holder": None}})

    async def candidates(self, partition: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Open incidents of a partition whose reports' event times reach into [since, until]."""
        query = {"partition": partition, "status": "open", "event_to": {"$gte": since}, "event_from": {"$lte": until}}
        return list(await self.incidents.find(query).sort("_id", 1).to_list(None))

    async def reports_in(self, incident_ids: list[str]) -> list[dict[str, Any]]:
        return list(await self.reports.find({"incident_id": {"$in": incident_ids}}).to_list(None))

    async def set_report(self, key: str, fields: dict[str, Any]) -> None:
        await self.reports.update_one({"_id": key}, {"$set": fields})

    async def update_incident(
        self, incident_id: str, fields: dict[str, Any], entries: list[dict[str, Any]], add_keys: list[str] = (),  # type: ignore[assignment]
        remove_keys: list[str] = (),  # type: ignore[assignment]
    ) -> None:
        update: dict[str, Any] = {"$push": {"timeline": {"$each": entries}}}
        if fields:
            update["$set"] = fields
        if add_keys:
            update["$addToSet"] = {"report_keys": {"$each": list(add_keys)}}
        await self.incidents.update_one({"_id": incident_id}, update)
        if remove_keys:
            await self.incidents.update_one({"_id": incident_id}, {"$pull": {"report_keys": {"$in": list(remove_keys)}}})

    # ---- refused HTTP input, public opinion -------------------------------------------------------
    async def reject(self, doc: dict[str, Any]) -> None:
        try:
            await self.rejected.insert_one(doc)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            await self.rejected.update_one({"_id": doc["_id"]}, {"$inc": {"times": 1}})

    async def list_rejected(self, *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total = await self.rejected.count_documents({})
        docs = await self.rejected.find({}).sort("rejected_at", -1).skip(skip).limit(limit).to_list(None)
        return int(total), list(docs)

    async def add_opinion(self, doc: dict[str, Any]) -> bool:
        try:
            await self.opinion.insert_one(doc)
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def list_opinion(self, query: dict[str, Any], *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total = await self.opinion.count_documents(query)
        docs = await self.opinion.find(query).sort("published_at", -1).skip(skip).limit(limit).to_list(None)
        return int(total), list(docs)

    async def link_opinion(self, item_id: str, incident_id: str) -> dict[str, Any] | None:
        return await self.opinion.find_one_and_update(
            {"_id": item_id}, {"$set": {"incident_id": incident_id}}, return_document=True
        )

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
