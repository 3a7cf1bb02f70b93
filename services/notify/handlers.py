"""Notify's bus handler: one notify.send → at most one delivery per step (the claim in service.py)."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.notify.service import NotifyService
from shared.bus import Bus, subscribe
from shared.contracts import SendNotification
from shared.settings import NotifySettings
from shared.topology import consumer


def register(router: RabbitRouter, bus_of: Callable[[], Bus], svc: NotifyService, settings: NotifySettings) -> None:
    @subscribe(router, bus_of, consumer("notify", "send"), SendNotification, settings)
    async def send_notification(command: SendNotification, msg: RabbitMessage) -> None:
        """Deliver one message to one person (idempotent per notification_id). Transient gateway trouble is
        recorded as failed_temporary and retried by notify's own durable timer, not by redelivery."""
        await svc.send(command)
