"""Wiring of the escalation service (no rules here)."""

from __future__ import annotations

import yaml
from faststream.rabbit import RabbitBroker

from services.escalation.api import build_api
from services.escalation.domain.rules import Rules
from services.escalation.handlers import register
from services.escalation.service import EscalationService
from services.escalation.store import EscalationStore
from shared.bus import Bus
from shared.clock import Clock
from shared.contracts import OnDutyAnswer, OnDutyQuery
from shared.outbox import Outbox
from shared.runtime import Component, new_router
from shared.settings import EscalationSettings
from shared.store import database
from shared.topology import ON_DUTY_QUERY


def load_rules(settings: EscalationSettings) -> Rules:
    return Rules.model_validate(yaml.safe_load(settings.rules_file.read_text(encoding="utf-8")))


def build(settings: EscalationSettings, *, broker: RabbitBroker, clock: Clock) -> Component:
    db = database(settings.store_url, "escalation")
    bus = Bus(broker, service="escalation")
    outbox = Outbox(db, clock=clock, bus_of=lambda: bus)
    store = EscalationStore(db)

    async def ask_on_duty(query: OnDutyQuery) -> OnDutyAnswer:
        return OnDutyAnswer.model_validate(await bus.request(ON_DUTY_QUERY, query, timeout=settings.on_duty_timeout_s))

    svc = EscalationService(store=store, outbox=outbox, clock=clock, rules=load_rules(settings), ask_on_duty=ask_on_duty)
    router = new_router(lambda: bus, settings)
    register(router, lambda: bus, svc, settings)
    return Component(
        name="escalation",
        bus_routers=[router],
        http_router=build_api(svc),
        startup=[store.setup, outbox.setup],
        background=[lambda: outbox.relay_forever(every_s=settings.outbox_poll_seconds)],
        state={"service": svc, "outbox": outbox, "bus": bus},
    )
