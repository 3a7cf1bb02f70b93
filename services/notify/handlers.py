"""Notify's bus handler: one notify.send → one delivery."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.notify.gateways.base import GatewayError
from services.notify.service import NotifyService
from shared.bus import Bus, RetryLater, subscribe
from shared.contracts import SendNotification
from shared.settings import NotifySettings
from shared.topology import consumer


def register(router: RabbitRouter, bus_of: Callable[[], Bus], svc: NotifyService, settings: NotifySettings) -> None:
    @subscribe(router, bus_of, consumer("notify", "send"), SendNotification, settings)
    async def send_notification(command: SendNotification, msg: RabbitMessage) -> None:
        """Deliver one message to one person through the configured gateway (idempotent per notification_id)."""
        try:
            await svc.send(command)
        except GatewayError as exc:  # transient: the state is recorded; try again after the retry delay
            raise RetryLater(exc.detail) from exc
