"""Escalation's outbox relay starts only once the timer wait queues are declared: the first incidents' timers
go to those queues, and published before they exist each would come back unroutable and wait out a
back-off (seen in make bench once the relay got fast)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.escalation.main import build
from shared.clock import SystemClock
from shared.settings import EscalationSettings


class SlowBroker:
    """Declares nothing until ``ready`` is set (a broker still answering the first declarations)."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self._connection = None

    async def declare_exchange(self, exchange: Any) -> Any:
        await self.ready.wait()
        raise RuntimeError("no exchanges here")  # declare_wait_queues logs it and goes on


async def test_the_relay_publishes_nothing_before_the_wait_queues_exist() -> None:
    broker = SlowBroker()
    settings = EscalationSettings.build(store_url=f"memory://relay-wait-{uuid.uuid4().hex[:6]}",
                                        outbox_poll_seconds=0.01, timer_poll_seconds=0.01)
    component = build(settings, broker=broker, clock=SystemClock())  # type: ignore[arg-type]
    outbox = component.state["outbox"]
    flushes: list[float] = []

    async def flush(**_: Any) -> int:
        flushes.append(asyncio.get_running_loop().time())
        return 0

    outbox.flush = flush
    tasks = [asyncio.create_task(task()) for task in component.background]
    try:
        await asyncio.sleep(0.1)  # ten poll periods: a relay that did not wait would have flushed by now
        assert flushes == []
        broker.ready.set()
        for _ in range(100):
            if flushes:
                break
            await asyncio.sleep(0.01)
        assert flushes, "the relay did not start once the wait queues were declared"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
