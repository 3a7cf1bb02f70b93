"""Wiring of the notify service (no rules here)."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from services.notify.api import build_api
from services.notify.gateways.base import Gateway
from services.notify.gateways.spool import SpoolGateway
from services.notify.handlers import register
from services.notify.service import NotifyService
from services.notify.store import NotifyStore
from shared.bus import Bus
from shared.clock import Clock
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import NotifySettings
from shared.store import database


def build(settings: NotifySettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "notify")
    bus = Bus(broker, service="notify")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus)
    store = NotifyStore(db)
    spool = SpoolGateway(settings.spool_dir)
    gateways: dict[str, Gateway] = {"sms": spool, "phone": spool, "fax": spool, "email": spool, "spool": spool}
    svc = NotifyService(store=store, outbox=outbox, clock=clock, gateways=gateways)
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    return Component(
        name="notify",
        bus_routers=[router],
        http_router=build_api(svc),
        startup=[store.setup, outbox.setup],
        background=[lambda: outbox.relay_forever(every_s=settings.outbox_poll_seconds)],
        state={"service": svc, "outbox": outbox, "bus": bus, "store": store},
    )
