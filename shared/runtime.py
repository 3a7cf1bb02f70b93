"""Wiring shared by every entry point: a service is a Component (bus router, HTTP router, start-up and
background tasks); ``serve`` runs one or more of them on one broker — the real RabbitMQ, or FastStream's
in-process broker in embedded mode — behind one FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from fastapi import APIRouter, FastAPI
from faststream.rabbit import RabbitBroker, RabbitRouter, TestRabbitBroker

from shared.audit import AuditLog
from shared.auth import UserRegistry, whoami_router
from shared.bus import guard_middleware
from shared.clock import Clock
from shared.http import create_http_app
from shared.settings import ServiceSettings
from shared.store import database
from shared.topology import parking_queue

log = structlog.get_logger("zhiban.runtime")


@dataclass
class Component:
    name: str
    bus_routers: list[RabbitRouter]
    http_router: APIRouter
    startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    # subscribers that run only on the in-process bus (and are documented in the AsyncAPI document): on the
    # real broker the ``pumps`` consume those queues instead (intake's reports, docs/adr/0004)
    in_memory_routers: list[RabbitRouter] = field(default_factory=list)
    pumps: list[Pump] = field(default_factory=list)


class Pump(Protocol):
    async def start(self, broker: RabbitBroker) -> None: ...

    async def stop(self) -> None: ...


def new_router(bus_of: Any, settings: ServiceSettings) -> RabbitRouter:
    return RabbitRouter(middlewares=[guard_middleware(bus_of, settings)])


@dataclass
class Runtime:
    broker: RabbitBroker
    components: list[Component]
    in_memory: bool
    # a service process (the CLI) sets it: once started, everything allocated so far — the area table, jieba's
    # dictionary, the code — is moved out of the collector's sight (gc.freeze), so the full collections a
    # busy consumer triggers do not walk it again each time (a quarter of intake's time under load); the
    # process-wide collector settings are the process's to choose, so tests (many runtimes in one
    # process) leave it off
    freeze_heap: bool = False
    _test_broker: Any = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        for component in self.components:
            for step in component.startup:
                await step()
        if self.in_memory:
            for component in self.components:  # a publish runs the consumers inline: one at a time
                if (outbox := component.state.get("outbox")) is not None:
                    outbox.publish_window = 1
            self._test_broker = TestRabbitBroker(self.broker)
            await self._test_broker.__aenter__()
        else:
            await self.broker.start()
            await self.broker.declare_queue(parking_queue())
            # aio-pika's robust connection reconnects by itself after a broker outage and restores the channels
            # and consumers; the outboxes kept what could not be published meanwhile: send it at once
            for component in self.components:
                for pump in component.pumps:
                    await pump.start(self.broker)
            connection = getattr(self.broker, "_connection", None)
            for component in self.components:
                if connection is not None and (outbox := component.state.get("outbox")) is not None:
                    connection.reconnect_callbacks.add(outbox.broker_back)
        if self.freeze_heap:
            gc.collect()
            gc.freeze()
            # and young objects are collected every 10,000 allocations instead of 700: a consumer's messages
            # mostly die young, so fewer of them are walked again in the older generations (about a tenth
            # less of intake's CPU per report, docs/benchmarks-intake.md)
            gc.set_threshold(10_000, 10, 10)
        for component in self.components:
            for task in component.background:
                self._tasks.append(asyncio.create_task(task(), name=f"{component.name}:{task.__name__}"))
        log.info("services started", services=[c.name for c in self.components], in_memory=self.in_memory)

    async def stop(self) -> None:
        pending = set(self._tasks)
        for _ in range(5):  # a task that swallowed one cancellation gets another
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=2.0)
            if not pending:
                break
        if pending:
            log.error("background tasks did not stop", tasks=[t.get_name() for t in pending])
        self._tasks.clear()
        if self._test_broker is not None:
            await self._test_broker.__aexit__(None, None, None)
            self._test_broker = None
        else:
            for component in self.components:
                for pump in component.pumps:
                    await pump.stop()
            await self.broker.stop()


def build_runtime(broker: RabbitBroker, components: list[Component], *, in_memory: bool,
                  freeze_heap: bool = False) -> Runtime:
    for component in components:
        for router in [*component.bus_routers, *(component.in_memory_routers if in_memory else [])]:
            broker.include_router(router)
    return Runtime(broker=broker, components=components, in_memory=in_memory, freeze_heap=freeze_heap)


def build_http_app(
    runtime: Runtime, *, title: str, users: UserRegistry, settings: ServiceSettings, clock: Clock
) -> FastAPI:
    audit = AuditLog(database(settings.store_url, "audit"), clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await audit.setup()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    routers = [*(c.http_router for c in runtime.components), whoami_router()]
    app = create_http_app(title=title, routers=routers, lifespan=lifespan, max_body_bytes=settings.max_http_body_bytes)
    app.state.users = users
    app.state.audit = audit
    app.state.runtime = runtime
    return app
