"""Wiring of the scheduling service (no rules here)."""

from __future__ import annotations

from fastapi import APIRouter
from faststream.rabbit import RabbitBroker

from services.scheduling.api import build_api
from services.scheduling.api_people import build_people_api
from services.scheduling.api_roster import build_roster_api
from services.scheduling.handlers import register, register_own_events
from services.scheduling.service import SchedulingService
from services.scheduling.service_roster import RosterService
from services.scheduling.store import SchedulingStore
from shared.bus import Bus
from shared.clock import Clock
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import SchedulingSettings
from shared.store import database


def build(settings: SchedulingSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "scheduling")
    bus = Bus(broker, service="scheduling")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus)
    store = SchedulingStore(db)
    svc = SchedulingService(store=store, clock=clock, outbox=outbox)
    rosters = RosterService(svc)
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    register_own_events(router, lambda: bus, svc, settings)
    http = APIRouter()
    for part in (build_api(svc), build_people_api(svc, rosters), build_roster_api(rosters)):
        http.include_router(part)
    return Component(
        name="scheduling",
        bus_routers=[router],
        http_router=http,
        startup=[store.setup, outbox.setup, svc.load_calendar],
        background=[lambda: outbox.relay_forever(every_s=settings.outbox_poll_seconds),
                    lambda: svc.timers_forever(every_s=settings.timer_poll_seconds, before=[])],
        state={"service": svc, "rosters": rosters, "outbox": outbox, "bus": bus, "store": store},
    )
