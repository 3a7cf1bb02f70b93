"""Notify itself (its service layer, API and gateway factory, in one process on the in-memory bus) wired to
real gateway software by settings only: ``gateways`` picks the adapters, as in production."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services import demo
from services.app import embedded
from shared.clock import ManualClock
from shared.contracts import SendNotification
from shared.contracts.events import NotifyChannel

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@dataclass
class Notify:
    client: httpx.AsyncClient
    clock: ManualClock
    svc: Any
    events: Any
    tokens: dict[str, str]
    app: Any

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def doc(self, nid: str) -> dict[str, Any]:
        return await self.svc.store.message(nid) or {}

    async def wait_state(self, nid: str, states: set[str], *, within: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            doc = await self.doc(nid)
            if doc.get("state") in states:
                return doc
            if loop.time() > deadline:
                raise TimeoutError(f"{nid} still {doc.get('state')} after {within} s: {doc.get('history')}")
            await asyncio.sleep(0.2)


def command(nid: str, person: str, channels: list[NotifyChannel], **kw: Any) -> SendNotification:
    return SendNotification(notification_id=nid, person_id=person, channels=channels,
                            subject=kw.pop("subject", "暴雨红色预警"), body=kw.pop("body", "青秀区暴雨，请立即到岗。"),
                            requested_at=START, **kw)


@asynccontextmanager
async def embedded_notify(tmp_path: Path, **overrides: Any) -> AsyncIterator[Notify]:
    """Timers do not poll by themselves (``run_due`` is called by the test) and the clock is manual, so
    nothing moves unless a gateway reports or the test advances time."""
    users, tokens = demo.demo_users()
    clock = ManualClock(START)
    app, runtime = embedded(users=users, clock=clock, overrides={
        "spool_dir": tmp_path / "spool", "store_url": f"memory://gw-{uuid.uuid4().hex}", "outbox_poll_seconds": 0.05,
        "timer_poll_seconds": 3600, "send_initial_wait_s": 0, "send_max_wait_s": 0, **overrides})
    await app.state.audit.setup()
    await runtime.start()
    component = next(c for c in runtime.components if c.name == "notify")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test") as client:
            yield Notify(client, clock, component.state["service"], component.state["events"], tokens, app)
    finally:
        for gateways in component.state["service"].pool.routes.values():
            for gateway in gateways:
                stop: Callable[[], Awaitable[None]] | None = getattr(gateway, "stop", None)
                if stop is not None:
                    await stop()
        await runtime.stop()


@asynccontextmanager
async def serving(notify: Notify, port: int) -> AsyncIterator[str]:
    """The same app over real HTTP on 127.0.0.1:<port>, for gateways that call notify (Kannel's dlr-url
    and sms-service get-url)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(notify.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError(f"uvicorn did not start on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
