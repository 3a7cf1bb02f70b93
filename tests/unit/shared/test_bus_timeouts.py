"""While the broker is down a publish or a request can wait for the reconnection instead of failing (seen with
aio-pika's robust connection: FastStream's request timeout does not cover setting up the reply consumer). The
Bus bounds both, so the outbox keeps the event and escalation falls back to its held roster in time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.bus import Bus
from shared.contracts import OnDutyQuery


class WaitingBroker:
    """A broker whose connection is gone: every call waits for it to come back."""

    def __init__(self) -> None:
        self.calls = 0

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        await asyncio.Event().wait()

    async def request(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        await asyncio.Event().wait()


async def test_a_request_gives_up_after_its_timeout_while_the_broker_is_away() -> None:
    broker = WaitingBroker()
    bus = Bus(broker, service="t")  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bus.request("q.x", OnDutyQuery(at=datetime.now(UTC)), timeout=0.1), 5)
    assert broker.calls == 1


async def test_a_publish_gives_up_after_the_publish_timeout() -> None:
    broker = WaitingBroker()
    bus = Bus(broker, service="t", publish_timeout_s=0.1)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bus.publish_json("e.x", {"n": 1}, message_id="m1"), 5)
    assert broker.calls == 1
