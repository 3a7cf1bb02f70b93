"""Intake's report pump on the real broker (services/intake/report_pump.py, docs/adr/0004): reports delivered
together are placed together, and the pump settles every message as the FastStream subscriber does — a
transient failure through the retry queue, an unexpected error back to the queue, a refused report parked."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import pytest

from services.app import build_components
from services.intake.service import IntakeService
from shared.bus import RetryLater, make_broker
from shared.clock import SystemClock
from shared.runtime import Runtime, build_runtime
from shared.settings import ServiceSettings
from shared.store import database
from tests.helpers import eventually, sample_report

pytestmark = pytest.mark.integration


@asynccontextmanager
async def intake_on(vhost_url: str, **overrides: Any) -> AsyncIterator[tuple[Runtime, IntakeService, Any]]:
    settings = {"amqp_url": vhost_url, "store_url": f"memory://pump-{uuid.uuid4().hex[:8]}", "retry_delay_ms": 200,
                **overrides}
    broker = make_broker(ServiceSettings.build(**settings))
    components = build_components(["intake"], broker=broker, clock=SystemClock(), overrides=settings, seed_demo=False)
    runtime = build_runtime(broker, components, in_memory=False)
    await runtime.start()
    connection = await aio_pika.connect(vhost_url)  # stands in for escalation: intake's events have a route
    channel = await connection.channel()
    sink = await channel.declare_queue("test.sink", durable=True, arguments={"x-queue-type": "quorum"})
    await sink.bind("zhiban.events", "incident.#")
    await connection.close()
    try:
        yield runtime, components[0].state["service"], database(settings["store_url"], "intake")
    finally:
        await runtime.stop()


async def publish(vhost_url: str, reports: list[dict[str, Any]] | list[bytes]) -> None:
    connection = await aio_pika.connect(vhost_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange("zhiban.events", ensure=False)
    sends = []
    for item in reports:  # sent in this order, in one burst: the confirms are awaited together
        body = item if isinstance(item, bytes) else json.dumps(item, ensure_ascii=False).encode()
        report = item if isinstance(item, dict) else {"area_code": "450122", "source": {"system": "wuming-yjj"}}
        key = f"report.{report['area_code']}.{report['source']['system']}"
        sends.append(exchange.publish(aio_pika.Message(body, delivery_mode=2, message_id=uuid.uuid4().hex),
                                      routing_key=key))
    await asyncio.gather(*sends)
    await connection.close()


def fail_first(svc: IntakeService, times: int, error: Exception) -> dict[str, int]:
    """Make the next ``times`` placements raise ``error``; the returned ``left`` counts down to 0."""
    place = svc._place_batch
    failures = {"left": times}

    async def failing(partition: int, batch: list[Any]) -> list[Any]:
        if failures["left"]:
            failures["left"] -= 1
            raise error
        return await place(partition, batch)

    svc._place_batch = failing  # type: ignore[method-assign]
    return failures


def units_of_events(events: int, units: tuple[str, ...]) -> list[dict[str, Any]]:
    """``events`` different events (a day apart) in 武鸣区, each reported by every unit in ``units``,
    the units' reports interleaved as they would arrive."""
    out = []
    for unit in units:
        for e in range(events):
            out.append(sample_report(report_id=f"{unit}-{e}", system=unit, area_code="450122",
                                     occurred_at=f"2026-0{1 + e // 28}-{1 + e % 28:02d}T09:40:00+08:00"))
    return out


async def test_reports_delivered_together_are_placed_together_one_incident_per_event(vhost_url: str) -> None:
    async with intake_on(vhost_url) as (_, svc, db):
        sizes: list[int] = []
        place = svc._place_batch

        async def counted(partition: int, batch: list[Any]) -> list[Any]:
            sizes.append(len(batch))
            return await place(partition, batch)

        svc._place_batch = counted  # type: ignore[method-assign]
        reports = units_of_events(40, ("wuming-yjj", "wuming-xfj", "wuming-gaj"))
        await publish(vhost_url, reports)

        async def all_stored() -> bool:
            return bool(await db["reports"].count_documents({}) == len(reports))

        await eventually(all_stored, timeout=60)
        assert max(sizes) > 1, f"every report was placed alone: {sizes}"
        incidents = await db["incidents"].find({}).to_list(None)
        assert len(incidents) == 40
        for incident in incidents:  # the earliest received (the first unit's report) is the primary
            assert incident["primary_report"].startswith("wuming-yjj/")
            assert len(incident["report_keys"]) == 3


async def test_a_transient_failure_goes_through_the_retry_queue_and_the_report_is_placed_once(vhost_url: str) -> None:
    async with intake_on(vhost_url) as (_, svc, db):
        failures = fail_first(svc, 1, RetryLater("the placement claim is held by another process"))
        report = sample_report(report_id="retry-1", area_code="450122")
        await publish(vhost_url, [report])

        async def placed() -> dict[str, Any] | None:
            return await db["reports"].find_one({"_id": "wuming-yjj/retry-1"})  # type: ignore[no-any-return]

        doc = await eventually(placed, timeout=30)
        assert failures["left"] == 0 and doc["duplicates"] == 0
        assert await db["parked"].count_documents({}) == 0


async def test_an_unexpected_error_sends_the_report_back_to_the_queue_and_it_is_placed_on_redelivery(
        vhost_url: str) -> None:
    async with intake_on(vhost_url) as (_, svc, db):
        failures = fail_first(svc, 2, RuntimeError("the store went away for a moment"))
        await publish(vhost_url, [sample_report(report_id="nack-1", area_code="450122")])

        async def placed() -> dict[str, Any] | None:
            return await db["reports"].find_one({"_id": "wuming-yjj/nack-1"})  # type: ignore[no-any-return]

        await eventually(placed, timeout=30)
        assert failures["left"] == 0
        assert await db["incidents"].count_documents({}) == 1


async def test_a_refused_report_is_parked_with_its_reason_and_the_others_are_placed(vhost_url: str) -> None:
    async with intake_on(vhost_url) as (_, _svc, db):
        good = sample_report(report_id="ok-1", area_code="450122")
        unknown_area = sample_report(report_id="bad-area", area_code="459999")
        await publish(vhost_url, [good, unknown_area, b"{not json"])

        async def parked() -> list[dict[str, Any]] | None:
            items = await db["parked"].find({}).to_list(None)
            return items if len(items) == 2 else None

        items = {p["reason"]: p for p in await eventually(parked, timeout=30)}
        assert set(items) == {"unknown_area", "not_json"}
        assert "459999" in items["unknown_area"]["error"] and items["not_json"]["body_text"] == "{not json"
        assert await db["reports"].count_documents({}) == 1
