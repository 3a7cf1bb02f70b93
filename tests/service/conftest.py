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


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    users, tokens = demo.demo_users()
    spool = tmp_path / "spool"
    app, runtime = embedded(
        users=users,
        overrides={"spool_dir": spool, "store_url": f"memory://svc-{uuid.uuid4().hex}", "outbox_poll_seconds": 0.05},
    )
    await app.state.audit.setup()
    await runtime.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test") as client:
        yield System(client=client, runtime=runtime, tokens=tokens, spool=spool, app=app)
    await runtime.stop()
