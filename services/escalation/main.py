"""Wiring of the escalation service (no rules here)."""

from __future__ import annotations

import asyncio

import structlog
from faststream.rabbit import RabbitBroker

from services.escalation.api import build_api
from services.escalation.domain.rules import Rules, load_rules
from services.escalation.handlers import register
from services.escalation.holidays import load_calendar
from services.escalation.service import EscalationService
from services.escalation.store import EscalationStore
from shared.bus import Bus
from shared.clock import Clock
from shared.contracts import OnDutyAnswer, OnDutyQuery, TimerDue
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import EscalationSettings
from shared.store import database
from shared.topology import EVENTS, ON_DUTY_QUERY, TIMER_TIERS_S, TIMER_WAIT, timer_wait_queue

log = structlog.get_logger("zhiban.escalation")


def read_rules(settings: EscalationSettings) -> Rules:
    """Start-up: an invalid rules file stops the service with every problem named (RulesError)."""
    return load_rules(settings.rules_file.read_text(encoding="utf-8"))


async def declare_wait_queues(broker: RabbitBroker) -> None:
    """The broker side of the timers: one fixed-TTL wait queue per tier, bound on the events exchange."""
    try:
        exchange = await broker.declare_exchange(EVENTS)
        for seconds in TIMER_TIERS_S:
            queue = await broker.declare_queue(timer_wait_queue(seconds))
            await queue.bind(exchange, routing_key=f"{TIMER_WAIT}.{seconds}")
    except Exception as exc:  # the in-process test broker keeps no queues: the store's timers do the work
        log.info("timer wait queues not declared", reason=str(exc)[:200])


def build(settings: EscalationSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "escalation")
    bus = Bus(broker, service="escalation")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus, publish_window=settings.outbox_publish_window)
    store = EscalationStore(db)

    async def ask_on_duty(query: OnDutyQuery) -> OnDutyAnswer:
        return OnDutyAnswer.model_validate(await bus.request(ON_DUTY_QUERY, query, timeout=settings.on_duty_timeout_s))

    async def recirculate(timer: TimerDue, seconds: int) -> None:
        """Straight back to a wait queue, confirmed before the message in hand is acked (never lost)."""
        await bus.publish(f"{TIMER_WAIT}.{seconds}", timer, message_id=f"timer:{timer.key}")

    svc = EscalationService(
        store=store, outbox=outbox, clock=clock, rules=read_rules(settings), ask_on_duty=ask_on_duty,
        calendar=load_calendar(settings.holidays_file),
        read_rules=lambda: settings.rules_file.read_text(encoding="utf-8"),
        duty_head_id=settings.duty_head_id, recirculate=recirculate if settings.broker_timers else None,
        # the in-process test broker (embedded mode) has no connection and keeps no queues: store timers only
        broker_live=lambda: getattr(broker, "_connection", None) is not None,
    )
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)

    wait_queues = asyncio.Event()

    async def timers() -> None:
        try:
            if settings.broker_timers:
                await declare_wait_queues(broker)
        finally:
            wait_queues.set()
        await svc.timers_forever(every_s=settings.timer_poll_seconds)

    async def relay() -> None:
        # the timers the first incidents plan go to the wait queues: publish once they exist (else each
        # comes back unroutable and waits out a back-off)
        await wait_queues.wait()
        await outbox.relay_forever(every_s=settings.outbox_poll_seconds)

    return Component(
        name="escalation",
        bus_routers=[router],
        http_router=build_api(svc),
        startup=[store.setup, outbox.setup],
        background=[relay, timers],
        state={"service": svc, "outbox": outbox, "bus": bus, "store": store},
    )
