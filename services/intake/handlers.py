"""Intake's bus handlers: reports from unit systems, and the parking keeper."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.intake.service import IntakeService, Sender
from shared.bus import Bus, body_digest, subscribe
from shared.contracts import ReportV1
from shared.settings import IntakeSettings
from shared.topology import PARKING_EXCHANGE, consumer, parking_queue


def register(
    router: RabbitRouter,
    keeper_router: RabbitRouter,
    bus_of: Callable[[], Bus],
    svc: IntakeService,
    settings: IntakeSettings,
) -> None:
    """``keeper_router`` has no parking guard: whatever reaches parking is kept as it is."""

    @subscribe(router, bus_of, consumer("intake", "reports"), ReportV1, settings)
    async def receive_report(report: ReportV1, msg: RabbitMessage) -> None:
        """A county or department system reports an incident (zhiban.report/1) on report.<area>.<system>."""
        user = getattr(msg.raw_message, "user_id", None)
        await svc.receive(report, sender=Sender(channel="bus", user=user))

    @keeper_router.subscriber(parking_queue(), PARKING_EXCHANGE, decoder=raw_body, title="zhiban.parked:keep")
    async def keep_parked(body: bytes, msg: RabbitMessage) -> None:
        """Everything parked by any service is recorded for a person to read, fix and resubmit."""
        await svc.record_parked(parked_record(msg, svc.clock.now()))


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
