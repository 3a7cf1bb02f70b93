"""Wiring of the intake service (no rules here)."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker, RabbitRouter

from services.intake.api import build_api
from services.intake.domain.textsim import warm_up
from services.intake.handlers import bind_partitions, register
from services.intake.report_pump import ReportPump
from services.intake.service import IntakeService
from services.intake.store import IntakeStore
from shared.bus import Bus
from shared.clock import Clock
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import IntakeSettings
from shared.store import database


def build(settings: IntakeSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "intake")
    bus = Bus(broker, service="intake")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus, publish_window=settings.outbox_publish_window)
    store = IntakeStore(db)
    svc = IntakeService(store=store, outbox=outbox, clock=clock, settings=settings)
    router = new_router(lambda: bus, settings)
    reports_router = new_router(lambda: bus, settings)
    keeper = RabbitRouter()
    consumers = register(router, reports_router, keeper, lambda: bus, svc, settings)

    async def bind() -> None:
        await bind_partitions(broker, settings, svc)

    async def load_dictionary() -> None:
        warm_up()  # jieba's dictionary, read once at start-up rather than on the first report
    return Component(
        name="intake",
        bus_routers=[router, keeper],
        http_router=build_api(svc),
        startup=[store.setup, outbox.setup, load_dictionary],
        background=[lambda: outbox.relay_forever(every_s=settings.outbox_poll_seconds), bind],
        state={"service": svc, "outbox": outbox, "bus": bus, "store": store},
        in_memory_routers=[reports_router],
        pumps=[ReportPump(svc, lambda: bus, settings, consumers)],
    )
