"""Service tier: all four services in one process on FastStream's in-memory broker and the store stand-in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def component(self, name: str) -> Any:
        return next(c for c in self.runtime.components if c.name == name)


def _record_outbox_adds(runtime: Runtime) -> None:
    """Every event a service adds to its outbox, kept on ``outbox.added`` for tests to read: the relay deletes
    an event from the outbox once published, so reading the collection races with it."""
    for component in runtime.components:
        box = (component.state or {}).get("outbox")
        if box is None:
            continue
        box.added = []
        original = box.add

        async def add(event_id: str, routing_key: str, message: Any, _box: Any = box, _add: Any = original) -> bool:
            new = await _add(event_id, routing_key, message)
            if new:
                _box.added.append({"_id": event_id, "routing_key": routing_key,
                                   "payload": message.model_dump(mode="json", by_alias=True)})
            return bool(new)

        box.add = add


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    users, tokens = demo.demo_users()
    spool = tmp_path / "spool"
    app, runtime = embedded(
        users=users,
        overrides={"spool_dir": spool, "store_url": f"memory://svc-{uuid.uuid4().hex}", "outbox_poll_seconds": 0.05},
    )
    _record_outbox_adds(runtime)
    await app.state.audit.setup()
    await runtime.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test") as client:
        yield System(client=client, runtime=runtime, tokens=tokens, spool=spool, app=app)
    await runtime.stop()
