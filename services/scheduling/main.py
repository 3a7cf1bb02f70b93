"""Wiring of the scheduling service (no rules here)."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import structlog
from fastapi import APIRouter
from faststream.rabbit import RabbitBroker

from services.scheduling.api import build_api
from services.scheduling.api_handover import build_handover_api
from services.scheduling.api_office import build_office_api
from services.scheduling.api_people import build_people_api
from services.scheduling.api_roster import build_roster_api
from services.scheduling.api_spotcheck import build_spotcheck_api
from services.scheduling.domain.itinerary import ItineraryConfig
from services.scheduling.handlers import register, register_own_events
from services.scheduling.service import SchedulingService, TimerPolicy
from services.scheduling.service_handover import HandoverService, handover_config
from services.scheduling.service_office import OfficeService, TablesDelivery
from services.scheduling.service_roster import RosterService
from services.scheduling.store import SchedulingStore
from shared.bus import Bus
from shared.clock import Clock
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import SchedulingSettings
from shared.store import database

log = structlog.get_logger("zhiban.scheduling")


async def relay(outbox: Outbox, *, every_s: float) -> None:
    """The outbox relay, stopping for good once cancelled: an in-process publish runs consumers inline, and a
    cancellation landing inside one of them can be swallowed there (task.cancelling() still tells)."""
    task = asyncio.current_task()
    while task is None or not task.cancelling():
        try:
            await outbox.flush()
        except Exception as exc:  # noqa: BLE001 - the relay keeps the event; try again next round
            log.warning("scheduling outbox relay failed; will retry", error=str(exc)[:200])
        await asyncio.sleep(every_s)


def build(settings: SchedulingSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "scheduling")
    bus = Bus(broker, service="scheduling")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus, publish_window=settings.outbox_publish_window)
    store = SchedulingStore(db)
    svc = SchedulingService(store=store, clock=clock, outbox=outbox, timer_policy=TimerPolicy(
        max_attempts=settings.timer_max_attempts, retry=timedelta(seconds=settings.timer_retry_seconds),
        lease=timedelta(seconds=settings.timer_lease_seconds)))
    rosters = RosterService(svc, vacancy_lead=timedelta(minutes=settings.vacancy_lead_minutes),
                            part_max_bytes=min(settings.roster_part_max_bytes, settings.max_message_bytes))
    handovers = HandoverService(svc, handover_config(settings.handover_morning, settings.handover_end_of_day,
                                                     settings.handover_reminder_minutes,
                                                     settings.handover_confirm_minutes))
    office = OfficeService(svc, ItineraryConfig(
        weekly_due_weekday=settings.itinerary_weekly_due_weekday,
        weekly_due_time=time.fromisoformat(settings.itinerary_weekly_deadline),
        daily_due_time=time.fromisoformat(settings.itinerary_daily_deadline),
        reminder_before=timedelta(minutes=settings.itinerary_reminder_minutes),
        tables_after=timedelta(minutes=settings.itinerary_tables_after_minutes),
        daily_on_rest_days=settings.itinerary_daily_on_rest_days,
    ), TablesDelivery(to=tuple(settings.itinerary_tables_to), base_url=settings.public_base_url.rstrip("/"),
                      link_valid=timedelta(days=settings.document_link_days), secret=settings.document_link_secret))
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    register_own_events(router, lambda: bus, svc, settings)
    http = APIRouter()
    for part in (build_api(svc), build_people_api(svc, rosters), build_roster_api(rosters), build_handover_api(handovers),
                 build_office_api(office), build_spotcheck_api(svc)):
        http.include_router(part)
    return Component(
        name="scheduling",
        bus_routers=[router],
        http_router=http,
        startup=[store.setup, outbox.setup, svc.load_calendar],
        background=[lambda: relay(outbox, every_s=settings.outbox_poll_seconds),
                    lambda: svc.timers_forever(every_s=settings.timer_poll_seconds, before=[handovers.plan, office.plan])],
        state={"service": svc, "rosters": rosters, "handovers": handovers, "office": office, "outbox": outbox, "bus": bus, "store": store},
    )
