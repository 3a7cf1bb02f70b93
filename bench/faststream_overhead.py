"""Why intake's reports are consumed with aio-pika (docs/adr/0004): FastStream's per-message cost alone.

Three consumers of the same 2,000 reports on a quorum queue (prefetch 32), alternated: aio-pika validating
each report (= row (a) of benchmarks.md), a FastStream subscriber whose handler validates the raw body
(no decoding), and a FastStream subscriber that takes the contract model. Messages per second.

    .venv/bin/python -m bench.faststream_overhead
"""

from __future__ import annotations

import asyncio
import time

from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue
from faststream.rabbit.schemas import Channel

from bench.broker_bench import fresh_vhost, prefill, raw_consume, reports
from shared.contracts import ReportV1

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def faststream_consume(amqp_url: str, n: int, *, model: bool) -> float:
    async with fresh_vhost(amqp_url) as url:
        await prefill(url, "bench.fs", reports(n, "fs"), declare={"x-queue-type": "quorum"})
        broker = RabbitBroker(url, default_channel=Channel(prefetch_count=32), logger=None)
        done = asyncio.Event()
        stamps: list[float] = []
        queue = RabbitQueue("bench.fs", durable=True, queue_type=QueueType.QUORUM)

        def seen() -> None:
            stamps.append(time.perf_counter())
            if len(stamps) == n:
                done.set()

        if model:
            @broker.subscriber(queue)
            async def with_model(body: ReportV1) -> None:
                seen()
        else:
            async def raw(msg: object) -> bytes:
                return bytes(msg.body)  # type: ignore[attr-defined]

            @broker.subscriber(queue, decoder=raw)
            async def with_bytes(body: bytes) -> None:
                ReportV1.model_validate_json(body)
                seen()

        await broker.start()
        await asyncio.wait_for(done.wait(), 120)
        await broker.stop()
        return (n - 1) / (stamps[-1] - stamps[0])


async def main(rounds: int = 2, n: int = 2000) -> None:
    print("| round | aio-pika consume + validate | FastStream, raw body + validate | FastStream, contract model |")
    print("|---:|---:|---:|---:|")
    for k in range(rounds):
        raw = await raw_consume(AMQP_URL, n)
        fs_bytes = await faststream_consume(AMQP_URL, n, model=False)
        fs_model = await faststream_consume(AMQP_URL, n, model=True)
        print(f"| {k + 1} | {raw:,.0f} msg/s | {fs_bytes:,.0f} msg/s | {fs_model:,.0f} msg/s |")


if __name__ == "__main__":
    asyncio.run(main())
