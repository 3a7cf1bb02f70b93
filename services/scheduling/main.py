"""Wiring of the scheduling service (no rules here)."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from services.scheduling.api import build_api
from services.scheduling.handlers import register
from services.scheduling.service import SchedulingService
from services.scheduling.store import SchedulingStore
from shared.bus import Bus
from shared.clock import Clock
from shared.runtime import Component, new_router
from shared.settings import SchedulingSettings
from shared.store import database


def build(settings: SchedulingSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "scheduling")
    bus = Bus(broker, service="scheduling")
    store = SchedulingStore(db)
    svc = SchedulingService(store=store, clock=clock)
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    return Component(
        name="scheduling",
        bus_routers=[router],
        http_router=build_api(svc),
        startup=[store.setup],
        state={"service": svc, "bus": bus, "store": store},
    )
