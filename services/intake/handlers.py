"""Intake's bus handlers: reports from unit systems, and the parking keeper."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.intake.domain.errors import ReportRejected
from services.intake.partitions import partition_bindings, partition_consumer
from services.intake.service import IntakeService, Sender
from shared.bus import Bus, Parked, body_digest, delivered_as, subscribe
from shared.contracts import IncidentGraded
from shared.settings import IntakeSettings
from shared.topology import EVENTS, PARKING_EXCHANGE, Consumer, consumer, parking_queue, work_queue


def register(
    router: RabbitRouter,
    reports_router: RabbitRouter,
    keeper_router: RabbitRouter,
    bus_of: Callable[[], Bus],
    svc: IntakeService,
    settings: IntakeSettings,
) -> list[Consumer]:
    """``keeper_router`` has no parking guard: whatever reaches parking is kept as it is. ``reports_router``
    holds the report subscribers, which run on the in-process bus only: on the real broker report_pump.py
    consumes the same queues. Returns the report consumers this process runs (one queue, or its share of
    the partition queues)."""

    def receiver(c: Consumer) -> Any:
        async def receive_report(_: Any, msg: RabbitMessage) -> None:
            """A county or department system reports an incident (zhiban.report/1) on report.<area>.<system>."""
            await receive_from_bus(svc, msg, c)

        return receive_report

    consumers = report_consumers(settings)
    for c in consumers:
        partitioned = settings.partitions > 1
        subscribe(reports_router, bus_of, c, dict[str, Any], settings, single_active=partitioned,
                  name=f"receive_report_{c.name.replace('.', '_')}" if partitioned else None)(receiver(c))

    @subscribe(router, bus_of, consumer("intake", "incident-graded"), IncidentGraded, settings)
    async def on_graded(event: IncidentGraded, msg: RabbitMessage) -> None:
        """Escalation graded an incident (incident.graded): keep its level for the incident list's level
        filter and put it on the timeline; an older grading never overwrites a newer one."""
        await svc.record_grading(event, msg.message_id)

    @keeper_router.subscriber(parking_queue(), PARKING_EXCHANGE, decoder=raw_body, title="zhiban.parked:keep")
    async def keep_parked(body: bytes, msg: RabbitMessage) -> None:
        """Everything parked by any service is recorded for a person to read, fix and resubmit."""
        await svc.record_parked(parked_record(msg, svc.clock.now()))

    return consumers


async def receive_from_bus(svc: IntakeService, msg: Any, c: Consumer) -> None:
    """One report from the bus, as the FastStream subscriber (in-process bus) and report_pump.py (real broker)
    both take it: normalised, or parked with the precise reason; the sender as the broker validated it."""
    try:
        report = svc.normalise(bytes(msg.body))
    except ReportRejected as refused:
        raise parked_for(refused) from None
    await svc.receive(report, sender=bus_sender(msg, c))


def bus_sender(msg: Any, c: Consumer) -> Sender:
    """Who sent a report on the bus: the broker-validated user and the routing key it was first published with."""
    routing_key, user = delivered_as(msg, c)
    return Sender(channel="bus", user=user, routing_key=routing_key)


CONTRACT_CODES = {"missing_field", "invalid_field", "bad_schema"}


def parked_for(refused: ReportRejected) -> Parked:
    """Contract failures park under the bus-wide code ``contract`` (as the guard does), the precise code
    and field in the reason; the others (unknown_area, in_future, ...) under their own code."""
    where = f"字段 {refused.field}" if refused.field else "整条消息"
    if refused.code in CONTRACT_CODES:
        return Parked("contract", f"不符合消息契约：{refused.message_zh}（{refused.code}，{where}）")
    return Parked(refused.code, f"{refused.message_zh}（{where}）")


def report_consumers(settings: IntakeSettings) -> list[Consumer]:
    if settings.partitions == 1:
        return [consumer("intake", "reports")]
    ids = settings.partition_ids if settings.partition_ids is not None else range(settings.partitions)
    return [partition_consumer(k) for k in ids]


async def bind_partitions(broker: Any, settings: IntakeSettings, svc: IntakeService) -> None:
    """Bind each partition queue this process runs to the report keys of its cities (idempotent)."""
    if settings.partitions == 1:
        return
    bindings = partition_bindings(svc.areas, settings.partitions)
    for c in report_consumers(settings):
        k = int(c.name.rsplit(".p", 1)[1])
        queue = await broker.declare_queue(work_queue(c, delivery_limit=settings.delivery_limit, single_active=True))
        for pattern in bindings[k]:
            await queue.bind(EVENTS.name, routing_key=pattern)


async def raw_body(msg: Any) -> bytes:
    """Parked messages are kept byte for byte: never decoded, never validated."""
    return bytes(msg.body)


def parked_record(msg: RabbitMessage, now: Any) -> dict[str, Any]:
    headers = dict(msg.headers or {})
    deaths = headers.get("x-death") or []
    reason = headers.get("x-zhiban-reason")
    error = headers.get("x-zhiban-error")
    first = deaths[0] if deaths and isinstance(deaths[0], dict) else {}
    queue = str(headers.get("x-first-death-queue") or first.get("queue") or "")
    routing_key = str(headers.get("x-zhiban-routing-key") or (first.get("routing-keys") or [""])[0])
    if reason is None:  # dead-lettered by the broker: the delivery limit was reached, or it was rejected
        reason = str(first.get("reason") or "dead_lettered")
        error = f"多次处理失败，已达投递上限，转入待处理区（原队列 {queue or '未知'}，原因 {reason}）"
    body: bytes = msg.body
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "_id": f"{reason}:{routing_key}:{body_digest(body)}",
        "parked_at": now,
        "times": 1,
        "reason": reason,
        "error": error,
        "service": headers.get("x-zhiban-service") or (queue.split(".")[1] if queue.count(".") >= 2 else "未知"),
        "routing_key": routing_key,
        "user_id": headers.get("x-zhiban-user-id") or getattr(msg.raw_message, "user_id", None),
        "message_id": msg.message_id,
        "body_text": text,
        "body_base64": None if text is not None else base64.b64encode(body).decode(),
        "size": len(body),
        "headers": {k: str(v)[:500] for k, v in headers.items()},
    }
