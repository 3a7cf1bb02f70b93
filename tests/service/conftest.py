"""Service tier: all four services in one process on FastStream's in-memory broker and the store stand-in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services import demo
from services.app import embedded
from shared.runtime import Runtime


@dataclass
class System:
    client: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[str, str]
    spool: Path
    app: Any
    added: dict[str, list[dict[str, Any]]]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def component(self, name: str) -> Any:
        return next(c for c in self.runtime.components if c.name == name)

    def events(self, service: str, routing_key: str) -> list[dict[str, Any]]:
        """Every event the service added to its outbox, in order — whether or not the relay has published
        (and so deleted) it yet; reading the outbox collection itself races the relay."""
        return [e for e in self.added[service] if e["routing_key"] == routing_key]


def _record_outbox_adds(runtime: Runtime) -> dict[str, list[dict[str, Any]]]:
    added: dict[str, list[dict[str, Any]]] = {}
    for component in runtime.components:
        outbox = component.state.get("outbox")
        if outbox is None:
            continue
        log = added.setdefault(component.name, [])
        original = outbox.add

        async def add(event_id: str, routing_key: str, message: Any, _original: Any = original,
                      _log: list[dict[str, Any]] = log) -> bool:
            stored = await _original(event_id, routing_key, message)
            if stored:
                _log.append({"_id": event_id, "routing_key": routing_key,
                             "payload": message.model_dump(mode="json", by_alias=True)})
            return stored

        outbox.add = add
    return added


@asynccontextmanager
async def running_system(spool: Path, *, users: Any = None, tokens: dict[str, str] | None = None,
                         clock: Any = None, **overrides: Any) -> AsyncIterator[System]:
    """All four services in one process on the in-memory broker, with what each adds to its outbox recorded.
    ``users``/``tokens`` default to the demo's; ``overrides`` go to every service's settings."""
    if users is None:
        users, tokens = demo.demo_users()
    settings = {"spool_dir": spool, "store_url": f"memory://svc-{uuid.uuid4().hex}", "outbox_poll_seconds": 0.05,
                **overrides}
    app, runtime = embedded(users=users, clock=clock, overrides=settings)
    await app.state.audit.setup()
    added = _record_outbox_adds(runtime)
    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test") as client:
            yield System(client=client, runtime=runtime, tokens=tokens or {}, spool=spool, app=app, added=added)
    finally:
        await runtime.stop()


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    async with running_system(tmp_path / "spool") as running:
        yield running
