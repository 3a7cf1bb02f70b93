"""The outbox relay with a publish window: events go out in the order added, a failed one is kept for a
retry and the others are removed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from shared.bus import Bus
from shared.clock import ManualClock
from shared.outbox import Outbox
from shared.store import database
from tests.helpers import eventually


class Event(BaseModel):
    n: int


class RecordingBus:
    def __init__(self, fail: set[str]) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def publish_json(self, routing_key: str, payload: Any, *, message_id: str) -> None:
        self.sent.append(message_id)
        if message_id in self.fail:
            raise ConnectionError("broker said no")

    publish_batch = Bus.publish_batch  # one publish_json per event, gathered


async def test_window_keeps_order_and_keeps_the_failed_event() -> None:
    db = database(f"memory://outbox-{uuid.uuid4().hex}", "t")
    bus = RecordingBus(fail={"e5"})
    outbox = Outbox(db, clock=ManualClock(datetime(2026, 11, 28, tzinfo=UTC)), bus_of=lambda: bus,  # type: ignore[arg-type,return-value]
                    publish_window=4)
    for n in range(10):
        await outbox.add(f"e{n}", "t.x", Event(n=n))
    assert await outbox.flush() == 9
    assert bus.sent == [f"e{n}" for n in range(10)]
    left = await db["outbox"].find({}).to_list(None)
    assert [d["_id"] for d in left] == ["e5"] and left[0]["attempts"] == 1 and left[0]["retry_at"]


async def test_broker_back_sends_what_was_kept_without_waiting_out_the_back_off() -> None:
    db = database(f"memory://outbox-{uuid.uuid4().hex}", "t")
    bus = RecordingBus(fail={"e0", "e1"})  # the broker is down
    outbox = Outbox(db, clock=ManualClock(datetime(2026, 11, 28, tzinfo=UTC)), bus_of=lambda: bus)  # type: ignore[arg-type,return-value]
    for n in range(2):
        await outbox.add(f"e{n}", "t.x", Event(n=n))
    assert await outbox.flush() == 0  # both kept, each with a back-off (the clock stands still)
    assert await outbox.pending_count() == 2
    bus.sent.clear()
    bus.fail.clear()  # the broker is back ...
    assert await outbox.flush() == 0  # ... but each kept event still waits out its back-off
    assert bus.sent == []
    outbox.broker_back(object())  # the connection's reconnect callback
    assert await outbox.flush() == 2
    assert bus.sent == ["e0", "e1"] and await outbox.pending_count() == 0


async def test_add_many_keeps_the_order_and_an_event_added_before_is_left_as_it_was() -> None:
    db = database(f"memory://outbox-{uuid.uuid4().hex}", "t")
    bus = RecordingBus(fail=set())
    outbox = Outbox(db, clock=ManualClock(datetime(2026, 11, 28, tzinfo=UTC)), bus_of=lambda: bus,  # type: ignore[arg-type,return-value]
                    publish_window=4)
    await outbox.add("e1", "t.x", Event(n=1))
    await outbox.add_many([("e0", "t.x", Event(n=0)), ("e1", "t.x", Event(n=99)), ("e2", "t.x", Event(n=2))])
    assert await outbox.pending_count() == 3
    assert (await db["outbox"].find_one({"_id": "e1"}))["payload"] == {"n": 1}  # a redelivery adds nothing new
    assert await outbox.flush() == 3
    assert bus.sent == ["e1", "e0", "e2"]


T0 = datetime(2026, 11, 28, tzinfo=UTC)


def new_outbox(bus: RecordingBus, clock: ManualClock | None = None, **kwargs: Any) -> tuple[Any, Outbox]:
    db = database(f"memory://outbox-{uuid.uuid4().hex}", "t")
    outbox = Outbox(db, clock=clock or ManualClock(T0), bus_of=lambda: bus, **kwargs)  # type: ignore[arg-type,return-value]
    return db, outbox


async def store_elsewhere(db: Any, event_id: str, n: int) -> None:
    """What another process of the service (or one that crashed before publishing) leaves in the outbox."""
    await db["outbox"].insert_one({"_id": event_id, "routing_key": "t.x", "payload": {"n": n}, "added_at": T0,
                                   "seq": f"{T0.timestamp():020.6f}:{n:012d}", "attempts": 0})


async def test_an_event_stored_by_another_process_goes_out_on_a_full_read_only() -> None:
    bus = RecordingBus(fail=set())
    db, outbox = new_outbox(bus)
    await store_elsewhere(db, "left-by-a-crash", 0)
    await outbox.add("e0", "t.x", Event(n=0))
    assert await outbox.flush(read_store=False) == 2  # the first flush reads the store, woken by an add or not
    assert bus.sent == ["left-by-a-crash", "e0"]

    await store_elsewhere(db, "x1", 1)
    await outbox.add("e1", "t.x", Event(n=1))
    assert await outbox.flush(read_store=False) == 1  # woken by an add: what this process added, from memory
    assert bus.sent[2:] == ["e1"]
    assert await outbox.pending_count() == 1 and outbox.unpublished_here() == 0  # x1 is in the store only

    assert await outbox.flush() == 1  # a full read (the relay's timed one) finds it
    assert bus.sent[3:] == ["x1"]
    assert await outbox.pending_count() == 0 and outbox.unpublished_here() == 0


async def test_after_add_many_meets_a_stored_event_the_next_flush_reads_the_store() -> None:
    bus = RecordingBus(fail=set())
    db, outbox = new_outbox(bus, publish_window=2)
    assert await outbox.flush(read_store=False) == 0  # the first read (of an empty store) is done
    await outbox.add("e1", "t.x", Event(n=1))
    await store_elsewhere(db, "x0", 0)
    await outbox.add_many([("e1", "t.x", Event(n=99)), ("e2", "t.x", Event(n=2)), ("e3", "t.x", Event(n=3))])
    assert await outbox.pending_count() == 4

    # which of the batch were written is for the store to say: it is read, though the relay was woken by an add
    assert await outbox.flush(read_store=False) == 4
    assert sorted(bus.sent) == ["e1", "e2", "e3", "x0"]  # each once
    assert bus.sent.index("e1") < bus.sent.index("e2") < bus.sent.index("e3")
    assert await outbox.pending_count() == 0 and outbox.unpublished_here() == 0
    assert await outbox.flush(read_store=False) == 0 and len(bus.sent) == 4


async def test_a_failed_publish_from_memory_keeps_its_back_off_in_the_store_and_in_memory() -> None:
    bus = RecordingBus(fail={"e1"})
    clock = ManualClock(T0)
    db, outbox = new_outbox(bus, clock)
    assert await outbox.flush(read_store=False) == 0  # the first read is done: from now on, memory
    for n in range(3):
        await outbox.add(f"e{n}", "t.x", Event(n=n))
    assert await outbox.flush(read_store=False) == 2
    [kept] = await db["outbox"].find({}).to_list(None)
    assert kept["_id"] == "e1" and kept["attempts"] == 1 and kept["retry_at"] == T0 + timedelta(seconds=1)
    assert "broker said no" in kept["last_error"]
    assert outbox.unpublished_here() == 1 and await outbox.pending_count() == 1

    await store_elsewhere(db, "x9", 9)  # memory only: the store has one more than this process knows of
    assert outbox.unpublished_here() == 1 and await outbox.pending_count() == 2

    bus.sent.clear()
    assert await outbox.flush(read_store=False) == 0 and bus.sent == []  # its back-off is not over
    clock.advance(timedelta(seconds=1))
    assert await outbox.flush(read_store=False) == 0 and bus.sent == ["e1"]  # fails again: memory counted it
    kept = await db["outbox"].find_one({"_id": "e1"})
    assert kept["attempts"] == 2 and kept["retry_at"] == T0 + timedelta(seconds=3)

    bus.fail.clear()
    clock.advance(timedelta(seconds=2))
    assert await outbox.flush(read_store=False) == 1 and bus.sent == ["e1", "e1"]
    assert outbox.unpublished_here() == 0 and await outbox.pending_count() == 1  # x9 waits for a full read
    assert await outbox.flush() == 1 and await outbox.pending_count() == 0


async def test_a_relay_kept_busy_by_adds_still_reads_the_store_every_so_often() -> None:
    bus = RecordingBus(fail=set())
    db, outbox = new_outbox(bus)
    reads: list[bool] = []
    flush = outbox.flush

    async def recorded_flush(*, read_store: bool = True) -> int:
        reads.append(read_store)
        return await flush(read_store=read_store)

    outbox.flush = recorded_flush  # type: ignore[method-assign]

    async def sent(event_id: str) -> bool:
        return event_id in bus.sent

    adding = True

    async def keep_adding() -> None:
        n = 1
        while adding:
            await outbox.add(f"e{n}", "t.x", Event(n=n))
            n += 1
            await asyncio.sleep(0.002)  # an add far more often than every_s: the relay never waits that long

    relay = asyncio.create_task(outbox.relay_forever(every_s=0.05))
    adder = None
    try:
        await outbox.add("e0", "t.x", Event(n=0))
        await eventually(lambda: sent("e0"), timeout=5)  # the first flush has read the store
        adder = asyncio.create_task(keep_adding())
        await eventually(lambda: sent("e3"), timeout=5)
        reads.clear()
        await store_elsewhere(db, "x0", 0)
        await eventually(lambda: sent("x0"), timeout=5)
        assert False in reads and True in reads  # woken by adds, and a full read all the same
        adding = False
        await adder

        async def all_sent() -> bool:
            return await outbox.pending_count() == 0

        await eventually(all_sent, timeout=5)
    finally:
        adding = False
        relay.cancel()
        for task in (relay, adder):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert len(bus.sent) == len(set(bus.sent))  # each once


async def test_after_add_meets_a_stored_event_the_next_flush_reads_the_store() -> None:
    """A redelivered input adds an event a crashed process stored and never published: it goes out at once."""
    bus = RecordingBus(fail=set())
    db, outbox = new_outbox(bus)
    assert await outbox.flush(read_store=False) == 0
    await store_elsewhere(db, "x0", 0)
    assert await outbox.add("x0", "t.x", Event(n=0)) is False
    assert await outbox.flush(read_store=False) == 1
    assert bus.sent == ["x0"]


async def test_an_event_another_process_published_is_not_published_again_from_memory() -> None:
    bus_a, bus_b = RecordingBus(fail=set()), RecordingBus(fail=set())
    db, a = new_outbox(bus_a)
    b = Outbox(db, clock=ManualClock(T0), bus_of=lambda: bus_b)  # type: ignore[arg-type,return-value]
    assert await a.flush(read_store=False) == 0
    await a.add("e1", "t.x", Event(n=1))
    assert await b.flush() == 1  # the other process, sharing the collection, published it first
    assert await a.flush() == 0  # the full read drops it from a's memory
    assert bus_a.sent == [] and a.unpublished_here() == 0
