"""The outbox relay on the real broker: a burst of events (an incident plans dozens of timers) goes out
with its publishes pipelined, still in the order added, each once, and leaves the outbox empty; an
unroutable event is kept for a retry while the others go out."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import pytest
from pydantic import BaseModel

from shared.bus import Bus, make_broker
from shared.clock import SystemClock
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.store import database
from tests.helpers import eventually

pytestmark = pytest.mark.integration


WINDOW = ServiceSettings().outbox_publish_window  # what escalation and scheduling run with


class Step(BaseModel):
    n: int


async def test_a_burst_goes_out_in_order_once_and_pipelined(vhost_url: str, amqp: aio_pika.abc.AbstractChannel) -> None:
    events = await amqp.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
    sink = await amqp.declare_queue("test.outbox-sink", durable=True, arguments={"x-queue-type": "quorum"})
    await sink.bind(events, "test.outbox.#")
    broker = make_broker(ServiceSettings.build(amqp_url=vhost_url))
    bus = Bus(broker, service="testsvc")
    in_flight = peak = 0
    publish = bus.publish_json

    async def counted(*args: object, **kwargs: object) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await publish(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            in_flight -= 1

    bus.publish_json = counted  # type: ignore[method-assign]
    outbox = Outbox(database(f"memory://outbox-{uuid.uuid4().hex[:6]}", "testsvc"), clock=SystemClock(),
                    bus_of=lambda: bus, publish_window=WINDOW)
    await broker.start()
    try:
        await outbox.setup()
        n = 3 * WINDOW + 5
        for i in range(n):  # several routing keys, as timers go to several wait queues
            await outbox.add(f"e{i}", f"test.outbox.{i % 3}", Step(n=i))
        assert await outbox.flush() == n
        assert await outbox.pending_count() == 0
        assert 1 < peak <= WINDOW
        received = []
        while len(received) < n:
            message = await sink.get(no_ack=True, fail=False, timeout=5)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            received.append(Step.model_validate_json(message.body).n)
        assert received == list(range(n))
        await asyncio.sleep(0.3)
        assert await sink.get(no_ack=True, fail=False) is None  # each once
    finally:
        await broker.stop()


@pytest.fixture
async def sink(amqp: aio_pika.abc.AbstractChannel) -> aio_pika.abc.AbstractQueue:
    """A queue for every ``test.outbox.*`` event (nothing is bound for any other key)."""
    events = await amqp.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await amqp.declare_queue("test.outbox-sink", durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(events, "test.outbox.#")
    return queue


async def take(queue: aio_pika.abc.AbstractQueue, n: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """The next ``n`` messages of the queue, then a check that no more come."""
    received: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def got_all() -> bool:
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            received.append(message)
        return len(received) >= n

    await eventually(got_all, timeout=10)
    await asyncio.sleep(0.3)
    assert await queue.get(no_ack=True, fail=False) is None  # each once
    return received


async def test_an_unroutable_event_is_kept_while_the_others_go_out(vhost_url: str,
                                                                   sink: aio_pika.abc.AbstractQueue) -> None:
    broker = make_broker(ServiceSettings.build(amqp_url=vhost_url))
    bus = Bus(broker, service="testsvc", publish_timeout_s=10)
    await broker.start()
    try:
        outbox = Outbox(database(f"memory://outbox-{uuid.uuid4().hex[:6]}", "testsvc"), clock=SystemClock(),
                        bus_of=lambda: bus, publish_window=WINDOW)
        await outbox.add("e0", "test.outbox.0", Step(n=0))
        await outbox.add("e1", "nowhere.bound", Step(n=1))
        await outbox.add("e2", "test.outbox.2", Step(n=2))
        assert await outbox.flush() == 2
        [kept] = await outbox.collection.find({}).to_list(None)
        assert kept["_id"] == "e1" and kept["attempts"] == 1 and kept["retry_at"]
        assert outbox.unpublished_here() == 1
        received = await take(sink, 2)
        assert [m.message_id for m in received] == ["e0", "e2"]
        assert [json.loads(m.body) for m in received] == [{"n": 0}, {"n": 2}]
    finally:
        await broker.stop()
