"""Transactional outbox: where a write and a publish must both happen, the event is first stored.

The store has no multi-document transactions, so a service writes its state, then adds the event to
``outbox`` under a deterministic id (a unique key: adding it twice before it is sent is harmless). One
relay task per service publishes what was added, in order, and removes it. Woken by an add, it publishes
what this process added (kept in memory as well); every ``every_s`` it reads the whole collection. A crash between the write and the publish
leaves the event in the outbox; the relay (or the redelivered message, which adds the same id again)
publishes it. Consumers are idempotent, so at-least-once is safe. Handlers never publish inline: with
the in-process bus a publish runs the consumers at once, and a chain that comes back to the same service
must not wait on itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel

from shared.bus import Bus
from shared.clock import Clock
from shared.store import is_duplicate_key

log = structlog.get_logger("zhiban.outbox")


class Outbox:
    def __init__(self, db: Any, *, clock: Clock, bus_of: Callable[[], Bus], publish_window: int = 1) -> None:
        self.collection = db["outbox"]
        # events published at once before their confirms are awaited (sent in order on one channel). 1 = one
        # at a time. The runtime keeps 1 on the in-process bus, where a publish runs the consumers inline.
        self.publish_window = publish_window
        self.clock = clock
        self._bus_of = bus_of
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._added = 0  # events this process has numbered (the end of ``seq``)
        self._retry_all = False
        # what this process added and has not published yet, in the order added: the relay woken by an add
        # publishes from here instead of reading the collection back. The collection stays the truth: every
        # timed flush (and the first) reads it whole — events another process or a crash left, an add whose
        # write failed part-way — and an event is removed from both only once published.
        self._ready: dict[str, dict[str, Any]] = {}
        self._read_store = True

    async def setup(self) -> None:
        await self.collection.create_index([("seq", 1)])

    async def add(self, event_id: str, routing_key: str, message: BaseModel) -> bool:
        """Store an event to publish; False when that event id was stored before (a redelivery)."""
        now = self.clock.now()
        doc = {
            "_id": event_id,
            "routing_key": routing_key,
            "payload": message.model_dump(mode="json", by_alias=True),
            "added_at": now,
            "seq": self._next_seq(now),
            "attempts": 0,
        }
        try:
            await self.collection.insert_one(doc)
            self._ready[event_id] = doc
            return True
        except Exception as exc:
            # a duplicate: stored before, maybe by a process that crashed before publishing it; anything
            # else: was it written? Either way the next flush reads the store to know
            self._read_store = True
            if is_duplicate_key(exc):
                return False
            raise
        finally:
            self._wake.set()

    async def add_many(self, events: list[tuple[str, str, BaseModel]]) -> None:
        """Store several events in one write (in this order); one already stored is left as it is."""
        if len(events) == 1:
            await self.add(*events[0])
            return
        now = self.clock.now()
        docs: list[dict[str, Any]] = [{"_id": event_id, "routing_key": routing_key, "payload": message.model_dump(mode="json", by_alias=True),
                 "added_at": now, "seq": self._next_seq(now), "attempts": 0}
                for event_id, routing_key, message in events]
        try:
            await self.collection.insert_many(docs, ordered=False)
        except Exception as exc:
            # some were stored before (a redelivery), or the write failed part-way: the next read tells
            self._read_store = True
            if not is_duplicate_key(exc):
                raise
        else:
            self._ready.update((doc["_id"], doc) for doc in docs)
        finally:
            self._wake.set()

    def _next_seq(self, now: datetime) -> str:
        """Order of publication: the time it was added, then the order within this process (the clock of a
        replay may stand still). Sorts as text, so no counter document is written for every event."""
        self._added += 1
        return f"{now.timestamp():020.6f}:{self._added:012d}"

    async def flush(self, *, read_store: bool = True) -> int:
        """Publish every stored, unpublished event in the order added. Returns how many went out.
        ``read_store=False`` (the relay woken by an add): only what this process added, unless the store
        must be read anyway (the first flush, after a failed write)."""
        sent = 0
        async with self._lock:
            now = self.clock.now()
            retry_all = self._retry_all
            if read_store or retry_all or self._read_store:
                await self._read_all()
            self._retry_all = False
            bus = self._bus_of()
            due = [doc for doc in self._ready.values()
                   if retry_all or not (doc.get("retry_at") and doc["retry_at"] > now)]
            window = max(1, self.publish_window)
            for start in range(0, len(due), window):
                chunk = due[start:start + window]
                results = await bus.publish_batch([(doc["routing_key"], doc["payload"], doc["_id"]) for doc in chunk])
                published = []
                for doc, result in zip(chunk, results, strict=True):
                    if isinstance(result, asyncio.CancelledError):
                        raise result
                    if isinstance(result, BaseException):
                        attempts = doc.get("attempts", 0) + 1
                        retry = {"attempts": attempts, "retry_at": now + timedelta(seconds=min(60, 0.5 * 2**attempts)),
                                 "last_error": str(result)[:500]}
                        doc.update(retry)
                        await self.collection.update_one({"_id": doc["_id"]}, {"$set": retry})
                        log.warning("outbox publish failed; kept", event_id=doc["_id"], error=str(result)[:200])
                        continue
                    published.append(doc["_id"])
                # published: the outbox keeps only what is still to go, so every flush stays cheap; an event
                # added again later (a redelivered input) goes out again, and consumers are idempotent
                if len(published) == 1:
                    await self.collection.delete_one({"_id": published[0]})
                elif published:
                    await self.collection.delete_many({"_id": {"$in": published}})
                for event_id in published:
                    self._ready.pop(event_id, None)
                sent += len(published)
        return sent

    def broker_back(self, *_: object) -> None:
        """The broker connection is back after an outage: publish what was kept now, not after its back-off
        (which grows to a minute while the broker is down). A reconnect callback of the connection."""
        self._retry_all = True
        self._wake.set()

    async def _read_all(self) -> None:
        """Bring the memory in line with the store: what is stored (payloads read only for events this
        process does not hold), in order; an event held here but no longer stored was published by another
        process sharing the collection (or removed by hand) and is dropped, unless it was added while the
        store was read."""
        added_before = self._added
        # what is stored, without the payloads: those this process holds already are not read again
        # (a busy relay has hundreds waiting at each timed read)
        marks = await self.collection.find({}, {"_id": 1, "seq": 1, "attempts": 1, "retry_at": 1}).to_list(None)
        unknown = [m["_id"] for m in marks if m["_id"] not in self._ready]
        stored = {doc["_id"]: doc for doc in await self.collection.find({"_id": {"$in": unknown}}).to_list(None)} \
            if unknown else {}
        ready: dict[str, dict[str, Any]] = {}
        for mark in marks:
            doc = stored.get(mark["_id"]) or self._ready.get(mark["_id"])
            if doc is not None:
                doc.update(mark)  # the store's attempts and back-off win
                ready[mark["_id"]] = doc
        ready.update((k, v) for k, v in self._ready.items() if k not in ready and _number(v) > added_before)
        self._ready = dict(sorted(ready.items(), key=lambda kv: kv[1]["seq"]))
        self._read_store = False

    def unpublished_here(self) -> int:
        """Events this process added and has not published yet (memory only: a cheap check for a busy loop;
        ``pending_count`` asks the store)."""
        return len(self._ready)

    async def pending_count(self) -> int:
        return int(await self.collection.count_documents({}))

    async def relay_forever(self, *, every_s: float) -> None:
        loop = asyncio.get_running_loop()
        read_at = loop.time()
        while True:
            woken = True
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that races with
                # the wake-up, and the relay would then outlive its service
                async with asyncio.timeout(every_s):
                    await self._wake.wait()
            except TimeoutError:
                woken = False  # the timed flush reads the store (what another process or a crash left)
            self._wake.clear()
            # a relay kept busy by adds still reads the store every ``every_s``
            read_store = not woken or loop.time() - read_at >= every_s
            if read_store:
                read_at = loop.time()
            try:
                await self.flush(read_store=read_store)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay failed; will retry", error=str(exc)[:200])


def _number(doc: dict[str, Any]) -> int:
    """The per-process number at the end of an event's ``seq``."""
    return int(str(doc["seq"]).rsplit(":", 1)[1])
