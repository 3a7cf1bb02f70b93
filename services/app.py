"""Entry points: one service as its own process on the real broker, or all four in one process
(embedded mode: FastStream's in-process broker and the in-process MongoDB stand-in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from services import demo
from services.console import mount_console
from services.escalation.main import build as build_escalation
from services.intake.main import build as build_intake
from services.notify.main import build as build_notify
from services.scheduling.main import build as build_scheduling
from shared.auth import UserRegistry
from shared.bus import make_broker
from shared.clock import Clock, SystemClock
from shared.runtime import Component, Runtime, build_http_app, build_runtime
from shared.settings import (
    EscalationSettings,
    IntakeSettings,
    NotifySettings,
    SchedulingSettings,
    ServiceSettings,
)

SERVICES: dict[str, tuple[type[ServiceSettings], Callable[..., Component]]] = {
    "intake": (IntakeSettings, build_intake),
    "escalation": (EscalationSettings, build_escalation),
    "notify": (NotifySettings, build_notify),
    "scheduling": (SchedulingSettings, build_scheduling),
}


def demo_seeder(component: Component, clock: Clock) -> Callable[[], Any] | None:
    if component.name == "scheduling":
        return lambda: demo.seed_scheduling(component.state["store"], clock)
    if component.name == "notify":
        return lambda: demo.seed_notify(component.state["store"])
    if component.name == "escalation":  # the demo directory is known here: the rules must address it
        return lambda: component.state["service"].use_directory(demo.directory_ids(), set(demo.COUNTIES))
    return None


def build_components(
    names: list[str], *, broker: RabbitBroker, clock: Clock, overrides: dict[str, Any], seed_demo: bool
) -> list[Component]:
    components = []
    for name in names:
        settings_cls, build = SERVICES[name]
        settings = settings_cls.build(**overrides)
        component = build(settings, broker=broker, clock=clock)
        seeder = demo_seeder(component, clock) if seed_demo else None
        if seeder is not None:
            component.startup.append(seeder)
        components.append(component)
    return components


def service_app(
    name: str, *, users: UserRegistry | None = None, clock: Clock | None = None, seed_demo: bool = False,
    overrides: dict[str, Any] | None = None, freeze_heap: bool = False,
) -> FastAPI:
    """One service, as in production: the real RabbitMQ at AMQP_URL, its own store. ``freeze_heap``: the
    service is the process (the CLI), see Runtime.freeze_heap."""
    clock = clock or SystemClock()
    settings_cls, _ = SERVICES[name]
    settings = settings_cls.build(**(overrides or {}))
    broker = make_broker(settings)
    components = build_components([name], broker=broker, clock=clock, overrides=overrides or {}, seed_demo=seed_demo)
    runtime = build_runtime(broker, components, in_memory=False, freeze_heap=freeze_heap)
    users = users or UserRegistry.load(settings.users_file)
    return build_http_app(runtime, title=f"Zhiban {name}", users=users, settings=settings, clock=clock)


def embedded(
    *, users: UserRegistry, clock: Clock | None = None, seed_demo: bool = True, overrides: dict[str, Any] | None = None,
    freeze_heap: bool = False,
) -> tuple[FastAPI, Runtime]:
    """All four services in one process on the in-process bus and store stand-in."""
    clock = clock or SystemClock()
    overrides = {"store_url": "memory://embedded", **(overrides or {})}
    settings = ServiceSettings.build(**overrides)
    broker = make_broker(settings)
    components = build_components(list(SERVICES), broker=broker, clock=clock, overrides=overrides, seed_demo=seed_demo)
    runtime = build_runtime(broker, components, in_memory=True, freeze_heap=freeze_heap)
    app = build_http_app(runtime, title="Zhiban 值班 (embedded)", users=users, settings=settings, clock=clock)
    mount_console(app)  # the console calls intake's and escalation's routes: only this app serves them both
    return app, runtime
