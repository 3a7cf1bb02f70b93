"""Wiring of the notify service (no rules here)."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.rabbit import RabbitBroker

from services.notify.api import build_api
from services.notify.gateways.base import DeliveryEvent
from services.notify.gateways.factory import build_routes
from services.notify.handlers import register
from services.notify.sending import GatewayPool, SendPolicy
from services.notify.service import NotifyService
from services.notify.service_events import Events
from services.notify.service_notices import Notices
from services.notify.store import NotifyStore
from shared.bus import Bus
from shared.clock import Clock
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import NotifySettings
from shared.store import database

log = structlog.get_logger("zhiban.notify")


def build(settings: NotifySettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "notify")
    bus = Bus(broker, service="notify")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus)
    store = NotifyStore(db)
    holder: dict[str, Any] = {}

    async def on_event(event: DeliveryEvent) -> None:  # SMPP receipts, call progress and keypresses
        await holder["events"].receipt(event)

    def on_inbound(sender: str, text: str) -> None:  # SMPP MO (called from the SMPP thread's loop hop)
        holder["events"].pending_replies.append((sender, text))

    routes = build_routes(settings, on_event, on_inbound)
    policy = SendPolicy(attempts=settings.send_attempts, initial_wait=settings.send_initial_wait_s,
                        max_wait=settings.send_max_wait_s, breaker_threshold=settings.breaker_threshold,
                        breaker_cooldown_s=settings.breaker_cooldown_s, rate_per_s=settings.gateway_rate_per_s,
                        burst=settings.gateway_burst)
    svc = NotifyService(store=store, outbox=outbox, clock=clock, pool=GatewayPool(routes, clock=clock, policy=policy),
                        settings=settings)
    events = Events(svc)
    holder["events"] = events
    events.notices = Notices(svc)
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    return Component(
        name="notify",
        bus_routers=[router],
        http_router=build_api(svc, events, events.notices),
        startup=[store.setup, outbox.setup],
        background=[lambda: outbox.relay_forever(every_s=settings.outbox_poll_seconds),
                    lambda: events.forever(settings.timer_poll_seconds)],
        state={"service": svc, "events": events, "outbox": outbox, "bus": bus, "store": store},
    )
