"""Notify's repository: the contact directory it owns, every message with its state history, the
durable timers (retries, silence), receipts that matched nothing, and meeting notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from shared.store import is_duplicate_key

# demo/legacy form {kind: value}: priority follows this order
_KIND_ORDER = ("mobile", "office_phone", "sip", "fax", "email", "private_phone", "home_address")


def contacts_as_list(contacts: Any) -> list[dict[str, Any]]:
    if isinstance(contacts, dict):
        return [{"kind": k, "value": contacts[k]} for k in _KIND_ORDER if contacts.get(k)]
    return list(contacts or [])


class NotifyStore:
    def __init__(self, db: Any) -> None:
        self.messages = db["messages"]
        self.people = db["people"]
        self.timers = db["timers"]
        self.receipts = db["receipts"]
        self.notices = db["notices"]
        self.sends = db["sends"]

    async def setup(self) -> None:
        await self.messages.create_index([("incident_id", 1), ("requested_at", 1)])
        await self.messages.create_index([("ack_to", 1), ("ack_code", 1)])
        await self.timers.create_index([("fired_at", 1), ("due_at", 1)])
        await self.sends.create_index([("person_id", 1), ("at", 1)])

    # -- directory --------------------------------------------------------------------------------

    async def upsert_person(self, person: dict[str, Any]) -> None:
        """Stores a person; contacts are validated by the caller (service.import_people); the demo's
        {kind: value} form is turned into the ordered list here."""
        doc = {**person, "contacts": contacts_as_list(person.get("contacts"))}
        await self.people.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def person(self, person_id: str) -> dict[str, Any] | None:
        return await self.people.find_one({"_id": person_id})

    async def list_people(self) -> list[dict[str, Any]]:
        return list(await self.people.find({}).sort("_id", 1).to_list(None))

    async def person_by_number(self, number: str) -> dict[str, Any] | None:
        # imported people hold E.164; the demo seed holds national numbers
        return await self.people.find_one({"contacts.value": {"$in": [number, number.removeprefix("+86")]}})

    # -- messages ---------------------------------------------------------------------------------

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

    async def claim(self, notification_id: str, *, step: int, from_states: list[str], token: str, owner: str,
                    at: datetime, entry: dict[str, Any]) -> dict[str, Any] | None:
        """The one atomic step that makes a send exactly-once: only one caller moves the message out of
        ``from_states`` into ``sending`` for this step; everyone else gets None."""
        return await self.messages.find_one_and_update(
            {"_id": notification_id, "step": step, "state": {"$in": from_states}},
            {"$set": {"state": "sending", "claim": token, "claim_owner": owner, "claimed_at": at},
             "$push": {"history": entry}},
            return_document=ReturnDocument.AFTER,
        )

    async def move(self, notification_id: str, *, expect: str, to: str, entry: dict[str, Any],
                   extra: dict[str, Any] | None = None, step: int | None = None) -> bool:
        """Compare-and-set on the state: False when somebody moved the message meanwhile."""
        query: dict[str, Any] = {"_id": notification_id, "state": expect}
        if step is not None:
            query["step"] = step
        result = await self.messages.update_one(
            query, {"$set": {"state": to, **(extra or {})}, "$push": {"history": entry}}
        )
        return bool(result.modified_count)

    async def set_message(self, notification_id: str, fields: dict[str, Any]) -> None:
        await self.messages.update_one({"_id": notification_id}, {"$set": fields})

    async def stuck_sending(self, *, older_than: datetime, owner: str) -> list[dict[str, Any]]:
        query = {"state": "sending", "$or": [{"claimed_at": {"$lt": older_than}}, {"claim_owner": {"$ne": owner}}]}
        return list(await self.messages.find(query).to_list(None))

    async def open_codes(self, address: str) -> list[str]:
        docs = await self.messages.find(
            {"ack_to": address, "acknowledged_at": None, "ack_code": {"$ne": None}}, {"ack_code": 1}
        ).to_list(None)
        return [d["ack_code"] for d in docs]

    async def open_for_number(self, address: str, code: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"ack_to": address, "acknowledged_at": None, "reported_at": None}
        if code is not None:
            query["ack_code"] = code
        return list(await self.messages.find(query).to_list(None))

    async def list_messages(self, query: dict[str, Any], *, skip: int, limit: int) -> list[dict[str, Any]]:
        return list(await self.messages.find(query).sort("requested_at", -1).skip(skip).limit(limit).to_list(None))

    async def record_send(self, person_id: str, at: datetime) -> None:
        await self.sends.insert_one({"person_id": person_id, "at": at})

    async def sends_since(self, person_id: str, since: datetime) -> list[datetime]:
        docs = await self.sends.find({"person_id": person_id, "at": {"$gt": since}}).to_list(None)
        return [d["at"] for d in docs]

    # -- durable timers -----------------------------------------------------------------------------

    async def add_timer(self, key: str, *, kind: str, due_at: datetime, data: dict[str, Any]) -> bool:
        try:
            await self.timers.insert_one({"_id": key, "kind": kind, "due_at": due_at, "data": data,
                                          "claimed_at": None, "fired_at": None})
            return True
        except Exception as exc:
            if is_duplicate_key(exc):
                return False
            raise

    async def due_timers(self, now: datetime) -> list[dict[str, Any]]:
        return list(await self.timers.find({"fired_at": None, "claimed_at": None, "due_at": {"$lte": now}})
                    .sort("due_at", 1).to_list(None))

    async def claim_timer(self, key: str, now: datetime) -> dict[str, Any] | None:
        return await self.timers.find_one_and_update(
            {"_id": key, "claimed_at": None}, {"$set": {"claimed_at": now}}, return_document=ReturnDocument.AFTER
        )

    async def fire_timer(self, key: str, now: datetime, outcome: str) -> None:
        await self.timers.update_one({"_id": key}, {"$set": {"fired_at": now, "outcome": outcome}})

    # -- receipts that could not be applied, kept for a person ----------------------------------------

    async def record_receipt(self, doc: dict[str, Any]) -> None:
        await self.receipts.insert_one(doc)

    async def list_receipts(self, *, limit: int) -> list[dict[str, Any]]:
        return list(await self.receipts.find({}, {"_id": 0}).sort("at", -1).limit(limit).to_list(None))

    # -- notices ------------------------------------------------------------------------------------

    async def save_notice(self, doc: dict[str, Any]) -> None:
        await self.notices.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def notice(self, notice_id: str) -> dict[str, Any] | None:
        return await self.notices.find_one({"_id": notice_id})

    async def notices_sent(self) -> list[dict[str, Any]]:
        return list(await self.notices.find({"approval": "sent"}).to_list(None))
