"""The outbox relay on the real broker: a burst of events (an incident plans dozens of timers) goes out
with its publishes pipelined, still in the order added, each once, and leaves the outbox empty. With
``bus.direct`` (what the runtime sets on the real broker) the relay publishes on an aio-pika channel of the
bus's own: same properties as ``publish_json``, an unroutable event kept, a closed channel replaced."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from shared.bus import Bus, make_broker, subscribe
from shared.clock import SystemClock
from shared.outbox import Outbox
from shared.runtime import new_router
from shared.settings import ServiceSettings
from shared.store import database
from shared.topology import Consumer
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


@pytest.fixture
async def direct_bus(vhost_url: str) -> AsyncIterator[Bus]:
    """A started broker's bus publishing as the runtime makes it (``direct``); its FastStream path refuses."""
    broker = make_broker(ServiceSettings.build(amqp_url=vhost_url))
    bus = Bus(broker, service="testsvc", publish_timeout_s=10)
    await broker.start()
    bus.direct = True

    async def not_this_way(*args: object, **kwargs: object) -> None:
        raise AssertionError("publish_batch went through publish_json")

    bus.publish_json = not_this_way  # type: ignore[method-assign]
    try:
        yield bus
    finally:
        await bus.close()
        await broker.stop()


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


async def test_a_direct_burst_goes_out_in_order_once_with_the_properties_of_publish_json(
        direct_bus: Bus, sink: aio_pika.abc.AbstractQueue) -> None:
    outbox = Outbox(database(f"memory://outbox-{uuid.uuid4().hex[:6]}", "testsvc"), clock=SystemClock(),
                    bus_of=lambda: direct_bus, publish_window=WINDOW)
    await outbox.setup()
    n = 3 * WINDOW + 5
    for i in range(n):
        await outbox.add(f"e{i}", f"test.outbox.{i % 3}", Step(n=i))
    assert await outbox.flush() == n
    assert await outbox.pending_count() == 0 and outbox.unpublished_here() == 0
    received = await take(sink, n)
    assert [json.loads(m.body) for m in received] == [{"n": i} for i in range(n)]
    assert [m.message_id for m in received] == [f"e{i}" for i in range(n)]
    assert [m.routing_key for m in received] == [f"test.outbox.{i % 3}" for i in range(n)]
    for message in received:
        assert message.content_type == "application/json"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.headers["x-zhiban-from"] == "testsvc"


async def test_an_unroutable_event_is_a_delivery_error_and_is_kept_while_the_others_go_out(
        direct_bus: Bus, sink: aio_pika.abc.AbstractQueue) -> None:
    outcomes = await direct_bus.publish_batch([("test.outbox.1", {"n": 1}, "a"), ("nowhere.bound", {"n": 2}, "b"),
                                               ("test.outbox.2", {"n": 3}, "c")])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], aio_pika.exceptions.DeliveryError)
    channel = direct_bus._channel
    assert channel is not None and not channel.is_closed  # a delivery error is not a channel error: it stays

    outbox = Outbox(database(f"memory://outbox-{uuid.uuid4().hex[:6]}", "testsvc"), clock=SystemClock(),
                    bus_of=lambda: direct_bus, publish_window=WINDOW)
    await outbox.add("e0", "test.outbox.0", Step(n=0))
    await outbox.add("e1", "nowhere.bound", Step(n=1))
    await outbox.add("e2", "test.outbox.2", Step(n=2))
    assert await outbox.flush() == 2
    [kept] = await outbox.collection.find({}).to_list(None)
    assert kept["_id"] == "e1" and kept["attempts"] == 1 and kept["retry_at"]
    assert outbox.unpublished_here() == 1
    assert [m.message_id for m in await take(sink, 4)] == ["a", "c", "e0", "e2"]
    assert direct_bus._channel is channel


async def test_after_close_the_next_batch_opens_a_new_channel(direct_bus: Bus, sink: aio_pika.abc.AbstractQueue) -> None:
    assert await direct_bus.publish_batch([("test.outbox.0", {"n": 0}, "before")]) == [None]
    first = direct_bus._channel
    await direct_bus.close()
    assert first is not None and first.is_closed
    assert await direct_bus.publish_batch([("test.outbox.0", {"n": 1}, "after")]) == [None]
    assert direct_bus._channel is not None and direct_bus._channel is not first
    assert [m.message_id for m in await take(sink, 2)] == ["before", "after"]


async def test_a_channel_error_drops_the_channel_and_the_next_batch_opens_a_new_one(
        direct_bus: Bus, amqp: aio_pika.abc.AbstractChannel) -> None:
    # no zhiban.events yet: the broker closes the channel a publish names it on (404), not a delivery error
    [outcome] = await direct_bus.publish_batch([("test.outbox.0", {"n": 0}, "lost")])
    assert isinstance(outcome, aio_pika.exceptions.ChannelNotFoundEntity)
    assert direct_bus._channel is None
    events = await amqp.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await amqp.declare_queue("test.outbox-sink", durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(events, "test.outbox.#")
    assert await direct_bus.publish_batch([("test.outbox.0", {"n": 1}, "found")]) == [None]
    assert [m.message_id for m in await take(queue, 1)] == ["found"]


CONSUMED = Consumer("testsvc", "consumed", "test.consumed")


class Note(BaseModel):
    n: int
    text: str


async def test_a_faststream_subscriber_takes_a_direct_publish_as_it_takes_publish_json(vhost_url: str) -> None:
    settings = ServiceSettings.build(amqp_url=vhost_url)
    broker: RabbitBroker = make_broker(settings)
    bus = Bus(broker, service="testsvc", publish_timeout_s=10)
    router = new_router(lambda: bus, settings)
    got: dict[str, tuple[Note, str | None, object]] = {}

    @subscribe(router, lambda: bus, CONSUMED, Note, settings)
    async def consume(note: Note, msg) -> None:  # noqa: ANN001
        got[msg.message_id] = (note, msg.content_type, msg.headers.get("x-zhiban-from"))

    broker.include_router(router)
    await broker.start()
    try:
        note = Note(n=1, text="震情通报：南宁市")
        await bus.publish("test.consumed", note, message_id="via-faststream")
        bus.direct = True
        assert await bus.publish_batch([("test.consumed", note.model_dump(mode="json"), "via-aio-pika")]) == [None]

        async def both() -> bool:
            return len(got) == 2

        await eventually(both, timeout=10)
        assert got["via-aio-pika"] == got["via-faststream"] == (note, "application/json", "testsvc")
    finally:
        await bus.close()
        await broker.stop()
