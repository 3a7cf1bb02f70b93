"""The outbox relay with a publish window: events go out in the order added, a failed one is kept for a
retry and the others are removed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.bus import Bus
from shared.clock import ManualClock
from shared.outbox import Outbox
from shared.store import database


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

    publish_batch = Bus.publish_batch  # as on the in-process bus: one publish_json per event, gathered
    direct = False


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
