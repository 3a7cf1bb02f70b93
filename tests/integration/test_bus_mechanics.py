"""The bus mechanisms every service relies on, on the real broker: a poison message stops after the
queue's delivery limit and is parked (not lost, not looping); a transient failure is retried later through
the TTL retry queue; retries are bounded."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker

from shared.bus import Bus, RetryLater, make_broker, subscribe
from shared.runtime import new_router
from shared.settings import ServiceSettings
from shared.topology import PARKING_EXCHANGE, Consumer, parking_queue
from tests.helpers import eventually
from tests.integration.conftest import publish_json

pytestmark = pytest.mark.integration

POISON = Consumer("testsvc", "poison", "test.poison")
FLAKY = Consumer("testsvc", "flaky", "test.flaky")
ASKED = Consumer("testsvc", "asked", "test.asked")
from pydantic import BaseModel  # noqa: E402


class Ping(BaseModel):
    n: int


async def parked_messages(channel: aio_pika.abc.AbstractChannel) -> list[aio_pika.abc.AbstractIncomingMessage]:
    queue = await channel.declare_queue(parking_queue().name, durable=True, arguments={"x-queue-type": "quorum"})
    exchange = await channel.declare_exchange(PARKING_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True)
    await queue.bind(exchange, "#")
    found = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        found.append(message)
    return found


async def start(vhost_url: str, **overrides: object) -> tuple[RabbitBroker, Bus, dict[str, int]]:
    settings = ServiceSettings.build(amqp_url=vhost_url, **overrides)
    broker = make_broker(settings)
    bus = Bus(broker, service="testsvc")
    router = new_router(lambda: bus, settings)
    calls = {"poison": 0, "flaky": 0, "asked": 0}

    @subscribe(router, lambda: bus, POISON, Ping, settings)
    async def always_fails(ping: Ping, msg) -> None:  # noqa: ANN001
        calls["poison"] += 1
        raise RuntimeError("a bug that fails every time")

    @subscribe(router, lambda: bus, FLAKY, Ping, settings)
    async def fails_until_third(ping: Ping, msg) -> None:  # noqa: ANN001
        calls["flaky"] += 1
        if calls["flaky"] < ping.n:
            raise RetryLater("peer not answering yet")

    @subscribe(router, lambda: bus, ASKED, Ping, settings, returns=Ping)
    async def answers(ping: Ping, msg) -> Ping:  # noqa: ANN001
        calls["asked"] += 1
        return Ping(n=ping.n + 1)

    broker.include_router(router)
    await broker.start()
    await broker.declare_queue(parking_queue())
    return broker, bus, calls


async def test_poison_message_stops_after_the_delivery_limit_and_is_parked(vhost_url: str, amqp) -> None:
    broker, _, calls = await start(vhost_url, delivery_limit=2)
    try:
        await publish_json(amqp, "test.poison", {"n": 1})
        parked = await eventually(lambda: parked_messages(amqp), timeout=20)
        await asyncio.sleep(1.0)  # would it come back? it must not
        assert calls["poison"] == 3  # first delivery + 2 redeliveries, then the broker dead-letters it
        [message] = parked
        assert json.loads(message.body) == {"n": 1}
        death = message.headers["x-death"][0]
        assert death["queue"] == POISON.queue_name and death["reason"] == "delivery_limit"
    finally:
        await broker.stop()


async def test_transient_failure_is_retried_later_then_succeeds(vhost_url: str, amqp) -> None:
    broker, _, calls = await start(vhost_url, retry_delay_ms=200)
    try:
        await publish_json(amqp, "test.flaky", {"n": 3})

        async def done() -> bool:
            return calls["flaky"] >= 3

        await eventually(done, timeout=20)
        await asyncio.sleep(0.5)
        assert calls["flaky"] == 3
        assert await parked_messages(amqp) == []
    finally:
        await broker.stop()


async def test_retries_are_bounded_then_parked_with_the_reason(vhost_url: str, amqp) -> None:
    broker, _, calls = await start(vhost_url, retry_delay_ms=100, max_retries=2)
    try:
        await publish_json(amqp, "test.flaky", {"n": 100})
        [message] = await eventually(lambda: parked_messages(amqp), timeout=20)
        assert calls["flaky"] == 3
        assert message.headers["x-zhiban-reason"] == "retries_exhausted"
        assert "peer not answering yet" in message.headers["x-zhiban-error"]
    finally:
        await broker.stop()


async def test_a_request_is_answered_once_and_nothing_is_parked(vhost_url: str, amqp) -> None:
    """Request/reply (escalation asks scheduling who is on duty) over the broker's direct reply-to: RabbitMQ
    3.x returns a mandatory reply there as NO_ROUTE although it was delivered; the answered query must not
    be nacked, redelivered and parked (it was, six deliveries per query, each one a parked record)."""
    broker, bus, calls = await start(vhost_url, delivery_limit=2)
    try:
        answers = [await bus.request(ASKED.routing_key, Ping(n=n), timeout=10) for n in (1, 2)]
        assert answers == [{"n": 2}, {"n": 3}]
        await asyncio.sleep(1.0)  # a nacked query would come back now
        assert calls["asked"] == 2
        assert await parked_messages(amqp) == []
    finally:
        await broker.stop()
