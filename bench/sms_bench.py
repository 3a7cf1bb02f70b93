"""SMS path benchmark: messages per second through our Kannel adapter into real Kannel (fake SMSC),
and the time from ``send()`` to Kannel's acceptance. Prints a markdown table.

Usage (root, Kannel installed by scripts/install_gateways.sh):
    python bench/sms_bench.py [--messages 500] [--concurrency 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.notify.gateways.base import OutboundMessage  # noqa: E402
from services.notify.gateways.kannel import KannelConfig, KannelSmsGateway  # noqa: E402
from tests.integration.gateways.harness import Daemons  # noqa: E402
from tests.integration.gateways.kannel_env import (  # noqa: E402
    BEARERBOX,
    SENDSMS_PASSWORD,
    SENDSMS_USER,
    start_kannel,
)

TEXT = "【值班】东城区暴雨红色预警，请于30分钟内到岗。回复1确认"


async def timed_pool(
    send_one: Callable[[int], Awaitable[None]], *, messages: int, concurrency: int
) -> tuple[float, list[float]]:
    """``messages`` sends by ``concurrency`` workers; the elapsed time and each send's latency."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            await send_one(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def run_batch(gateway: KannelSmsGateway, *, messages: int, concurrency: int, tag: str) -> tuple[float, list[float]]:
    async def send_one(i: int) -> None:
        result = await gateway.send(OutboundMessage(f"bench-{tag}-{i}", f"+86138{i:08d}", TEXT))
        if not result.accepted:
            raise RuntimeError(f"not accepted: {result.detail}")

    return await timed_pool(send_one, messages=messages, concurrency=concurrency)


async def run_service(sendsms_url: str, *, messages: int, concurrency: int) -> tuple[float, list[float]]:
    """The same path through notify's service layer: notify.send handled (message stored, step claimed,
    text rendered, state machine, outbox) until Kannel accepted it and the state is ``sent``."""
    from datetime import UTC, datetime

    from services.notify.gateways.factory import build_routes
    from services.notify.sending import GatewayPool, SendPolicy
    from services.notify.service import NotifyService
    from services.notify.store import NotifyStore
    from shared.clock import SystemClock
    from shared.contracts import SendNotification
    from shared.outbox import Outbox
    from shared.settings import NotifySettings
    from shared.store import database

    settings = NotifySettings(gateways={"sms": ["kannel"]}, kannel_sendsms_url=sendsms_url,
                              kannel_username=SENDSMS_USER, kannel_password=SENDSMS_PASSWORD,
                              recipient_limit=10**6, gateway_rate_per_s=10**6, gateway_burst=10**6,
                              store_url=f"memory://bench-{concurrency}")
    clock = SystemClock()
    db = database(settings.store_url, "notify")
    store = NotifyStore(db)
    await store.setup()

    async def ignore(_event: object) -> None:
        return None

    routes = build_routes(settings, ignore)
    svc = NotifyService(store=store, outbox=Outbox(db, clock=clock, bus_of=lambda: None),  # type: ignore[arg-type,return-value]
                        clock=clock, settings=settings,
                        # the gateway rate limit is configuration; lifted here to measure the path itself
                        pool=GatewayPool(routes, clock=clock, policy=SendPolicy(rate_per_s=1e6, burst=1e6)))
    await store.upsert_person({"_id": "bench", "name": "压测", "contacts": [{"kind": "mobile", "value": "+8613800000000"}]})
    async def send_one(i: int) -> None:
        cmd = SendNotification(notification_id=f"svc-{concurrency}-{i}", person_id="bench", subject="值班",
                               body=TEXT, requested_at=datetime.now(UTC))
        state = await svc.send(cmd)
        if state != "sent":
            raise RuntimeError(f"not sent: {state}")

    return await timed_pool(send_one, messages=messages, concurrency=concurrency)


def _row(concurrency: int, messages: int, elapsed: float, latencies: list[float]) -> str:
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    return (f"| {concurrency} | {messages} | {messages / elapsed:.0f} | "
            f"{statistics.median(latencies) * 1000:.1f} | {p95 * 1000:.1f} | {latencies[-1] * 1000:.1f} |")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    if not os.path.exists(BEARERBOX):  # noqa: ASYNC240 - once, before the loop does any work
        print("Kannel not installed: run scripts/install_gateways.sh", file=sys.stderr)
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="zhiban-bench-"))
    daemons = Daemons(run_dir=run_dir)
    try:
        run = start_kannel(daemons, link="fake")
        config = KannelConfig(sendsms_url=run.sendsms_url, username=SENDSMS_USER, password=SENDSMS_PASSWORD,
                              dlr_callback_url="http://127.0.0.1:9/dlr", dlr_mask=0)  # no DLR traffic in the timing
        rows, service_rows = [], []
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            gateway = KannelSmsGateway(config)
            try:
                elapsed, latencies = await run_batch(gateway, messages=args.messages, concurrency=concurrency,
                                                     tag=str(concurrency))
            finally:
                await gateway.aclose()
            rows.append(_row(concurrency, args.messages, elapsed, latencies))
            elapsed, latencies = await run_service(run.sendsms_url, messages=args.messages, concurrency=concurrency)
            service_rows.append(_row(concurrency, args.messages, elapsed, latencies))
    finally:
        daemons.stop_all()
        shutil.rmtree(run_dir, ignore_errors=True)
    print("SMS via Kannel sendsms (bearerbox + smsbox + fakesmsc on loopback, UCS-2 Chinese text)\n")
    print("| concurrency | messages | msg/s | send→accepted p50 ms | p95 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\nThrough notify's service layer (notify.send handled → claim → Kannel accepted → state sent; "
          "in-process store stand-in)\n")
    print("| concurrency | messages | msg/s | notify.send→accepted p50 ms | p95 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(service_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
