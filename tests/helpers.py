"""Small helpers shared by tests of every tier."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.cli import SAMPLE_REPORT


def sample_report(**changes: Any) -> dict[str, Any]:
    report = copy.deepcopy(SAMPLE_REPORT)
    for key, value in changes.items():
        if key in ("system", "unit", "report_id"):
            report["source"][key] = value
        else:
            report[key] = value
    return report


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 10.0, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
