"""Bus benchmarks on the real broker, in one run: (a) raw aio-pika consume+validate throughput,
(b) intake throughput and its ratio to (a), (c) latency from a county's publish to the notify.send
command at a fixed offered rate. Each part runs in its own fresh RabbitMQ virtual host."""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika

from services.app import build_components
from shared.bus import make_broker
from shared.clock import SystemClock
from shared.contracts import ReportV1
from shared.runtime import build_runtime
from shared.settings import ServiceSettings
from shared.store import database
from tests.helpers import sample_report


def _ctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@asynccontextmanager
async def fresh_vhost(amqp_url: str) -> AsyncIterator[str]:
    vhost = f"zhiban-bench-{uuid.uuid4().hex[:8]}"
    _ctl("add_vhost", vhost)
    _ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    parts = urlsplit(amqp_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
    finally:
        _ctl("delete_vhost", vhost)


def reports(n: int, tag: str, *, distinct_days: bool = False) -> list[bytes]:
    out = []
    for i in range(n):
        # different counties and days: every report is its own event. The day repeats after 252 reports
        # (intake then attaches the report to the earlier incident); ``distinct_days`` gives every report its
        # own day, for runs of more than 252 that must all open incidents
        day = (date(2024, 1, 1) + timedelta(days=i)).isoformat() if distinct_days else f"2026-0{1 + i % 9}-{1 + i % 28:02d}"
        report = sample_report(report_id=f"{tag}-{i}", title=f"BENCH-{tag}-{i} 某厂发生事故",
                               area_code=("450102", "450103", "450110", "450126", "450181")[i % 5],
                               occurred_at=f"{day}T09:{i % 60:02d}:00+08:00")
        out.append(json.dumps(report, ensure_ascii=False).encode())
    return out


async def prefill(url: str, queue_name: str, bodies: list[bytes], *, declare: dict[str, Any] | None) -> None:
    """Fill a plain queue (raw benchmark) or, with ``declare=None``, publish as county systems do: to
    zhiban.events on report.<area>.<system>, the key intake checks against the report's source."""
    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    if declare is not None:
        await channel.declare_queue(queue_name, durable=True, arguments=declare)
        exchange, keys = channel.default_exchange, [queue_name] * len(bodies)
    else:
        exchange = await channel.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
        keys = [f"report.{json.loads(b)['area_code']}.{json.loads(b)['source']['system']}" for b in bodies]
    for body, key in zip(bodies, keys, strict=True):
        await exchange.publish(aio_pika.Message(body, delivery_mode=2), routing_key=key)
    await connection.close()


async def bind_sink(url: str, pattern: str) -> None:
    connection = await aio_pika.connect(url)
    channel = await connection.channel()
    events = await channel.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
    sink = await channel.declare_queue("bench.sink", durable=True, arguments={"x-queue-type": "quorum"})
    await sink.bind(events, pattern)
    await connection.close()


def cpu_seconds() -> float:
    """CPU time this process has used (user + system): unlike a rate, it does not depend on what else the
    machine runs meanwhile, as long as the work itself is the same."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Measured:
    rate: float  # messages per second, from the first message done to the last
    cpu_ms: float  # this process's CPU time per message over the same span, in milliseconds


async def raw_consume(amqp_url: str, n: int) -> float:
    """aio-pika alone: consume, validate against the contract, ack. Messages per second."""
    return (await raw_measured(amqp_url, n)).rate


async def intake_consume(amqp_url: str, n: int) -> float:
    """The intake service on the same broker (``intake_measured``). Messages per second."""
    return (await intake_measured(amqp_url, n)).rate


async def raw_measured(amqp_url: str, n: int) -> Measured:
    """aio-pika alone: consume, validate against the contract, ack."""
    async with fresh_vhost(amqp_url) as url:
        await prefill(url, "bench.raw", reports(n, "raw"), declare={"x-queue-type": "quorum"})
        connection = await aio_pika.connect(url)
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=32)
        queue = await channel.declare_queue("bench.raw", durable=True, arguments={"x-queue-type": "quorum"})
        done = asyncio.Event()
        seen = 0
        first = first_cpu = 0.0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen, first, first_cpu
            ReportV1.model_validate_json(message.body)
            await message.ack()
            seen += 1
            if seen == 1:
                first, first_cpu = time.perf_counter(), cpu_seconds()
            if seen == n:
                done.set()

        await queue.consume(on_message)
        await done.wait()
        elapsed, cpu = time.perf_counter() - first, cpu_seconds() - first_cpu
        await connection.close()
        return Measured((n - 1) / elapsed, 1000 * cpu / (n - 1))


async def intake_measured(amqp_url: str, n: int) -> Measured:
    """The intake service on the same broker: validate, deduplicate, place, store, outbox — and the outbox
    drained (every incident event published with a confirm). Like (a) from the first message done to the
    last (start-up excluded in both)."""
    async with fresh_vhost(amqp_url) as url:
        store = f"memory://bench-{uuid.uuid4().hex[:6]}"
        overrides = {"amqp_url": url, "store_url": store}
        broker = make_broker(ServiceSettings.build(**overrides))
        runtime = build_runtime(broker, build_components(["intake"], broker=broker, clock=SystemClock(),
                                                         overrides=overrides, seed_demo=False), in_memory=False)
        await runtime.start()  # declares the topology
        await runtime.stop()
        await bind_sink(url, "incident.#")  # stands in for escalation, so intake's events have a route
        await prefill(url, "zhiban.intake.reports", reports(n, "intake"), declare=None)
        broker = make_broker(ServiceSettings.build(**overrides))
        components = build_components(["intake"], broker=broker, clock=SystemClock(), overrides=overrides,
                                      seed_demo=False)
        runtime = build_runtime(broker, components, in_memory=False, freeze_heap=True)  # as the CLI runs it
        svc, outbox = components[0].state["service"], components[0].state["outbox"]
        db = database(store, "intake")
        done: list[float] = []
        first_cpu: list[float] = []
        submit = svc.submit

        def placed(_: Any) -> None:
            done.append(time.perf_counter())
            if len(done) == 1:
                first_cpu.append(cpu_seconds())

        def timed_submit(*args: Any, **kwargs: Any) -> Any:  # every report, from the pump or receive()
            future = submit(*args, **kwargs)
            future.add_done_callback(placed)
            return future

        svc.submit = timed_submit  # type: ignore[method-assign]
        await runtime.start()
        deadline = time.perf_counter() + 600
        # polled from memory while intake works (counting the store's outbox every few milliseconds would
        # take time from intake); the store confirms at the end
        while len(done) < n or outbox.unpublished_here() or await outbox.pending_count():
            if time.perf_counter() > deadline or await db["parked"].count_documents({}):
                raise RuntimeError(f"intake did not take all {n} reports (see its parked messages)")
            await asyncio.sleep(0.005 if len(done) >= n else 0.02)
        elapsed, cpu = time.perf_counter() - done[0], cpu_seconds() - first_cpu[0]
        await runtime.stop()
        return Measured((n - 1) / elapsed, 1000 * cpu / (n - 1))


async def publish_to_notify_latency(amqp_url: str, *, rate: float, seconds: float) -> dict[str, float]:
    """intake + escalation + scheduling on the real broker; a county publishes at ``rate`` per second;
    the time until escalation's first notify.send for that report is measured."""
    async with fresh_vhost(amqp_url) as url:
        overrides = {"amqp_url": url, "store_url": f"memory://lat-{uuid.uuid4().hex[:6]}", "outbox_poll_seconds": 0.2}
        broker = make_broker(ServiceSettings.build(**overrides))
        components = build_components(["intake", "escalation", "scheduling"], broker=broker, clock=SystemClock(),
                                      overrides=overrides, seed_demo=True)
        runtime = build_runtime(broker, components, in_memory=False, freeze_heap=True)
        await runtime.start()
        connection = await aio_pika.connect(url)
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
        probe = await channel.declare_queue("bench.notify-probe", exclusive=True)
        await probe.bind(events, "notify.send")
        sent_at: dict[str, float] = {}
        latencies: dict[str, float] = {}

        async def on_command(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            subject = json.loads(message.body)["subject"]
            tag = subject.split("BENCH-")[1].split(" ")[0]
            if tag in sent_at and tag not in latencies:
                latencies[tag] = time.perf_counter() - sent_at[tag]

        await probe.consume(on_command)
        total = int(rate * seconds)
        bodies = reports(total, "lat", distinct_days=True)
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            sent_at[f"lat-{i}"] = time.perf_counter()
            await events.publish(aio_pika.Message(body, delivery_mode=2), routing_key="report.450110.wuming-yjj")
        deadline = time.perf_counter() + 30
        while len(latencies) < total and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        await connection.close()
        await runtime.stop()
        values = sorted(latencies.values())
        return {
            "offered_rate": rate,
            "reports": total,
            "answered": len(values),
            "p50_ms": 1000 * statistics.median(values),
            "p99_ms": 1000 * values[min(len(values) - 1, int(0.99 * len(values)))],
        }


def latency_table(amqp_url: str, rates: list[float], seconds: float) -> list[str]:
    """(c) at each offered rate, one fresh virtual host and store each: markdown table rows."""
    rows = []
    for rate in rates:
        r = asyncio.run(publish_to_notify_latency(amqp_url, rate=rate, seconds=seconds))
        rows.append(f"| (c) publish → notify.send latency at {rate:g} reports/s for {seconds:g} s "
                    f"({r['answered']}/{r['reports']} answered) | p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms |")
    return rows


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description="the latency curve (c) alone")
    parser.add_argument("--rates", default="1,5,10,20", help="offered reports per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    print("\n".join(latency_table(url, [float(x) for x in args.rates.split(",")], args.seconds)))
