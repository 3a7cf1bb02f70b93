"""End-to-end tier: the embedded system (the app ``zhiban run`` serves) on a free loopback port, driven through
the web console by real headless Chromium (Debian's /usr/bin/chromium) with Playwright for Python.

Without Chromium or Playwright the tests skip with the reason — unless REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from services import demo
from services.app import embedded

CHROMIUM = Path(os.environ.get("ZHIBAN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
WAIT_MS = 20_000  # the machine is shared; Playwright's waits end as soon as the text is there


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver, or set ZHIBAN_CHROMIUM)"
    return None


@dataclass
class LiveSystem:
    base_url: str
    tokens: dict[str, str]

    @property
    def console(self) -> str:
        return f"{self.base_url}/console/"

    def api(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        """The same API as a second person would use it (e.g. to change an incident under a reviewer's eyes)."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture
def live_system(tmp_path: Path) -> Iterator[LiveSystem]:
    """The embedded system exactly as ``zhiban run`` builds it, served by uvicorn in a thread on a free port."""
    users, tokens = demo.demo_users()
    app, _ = embedded(users=users, overrides={"spool_dir": tmp_path / "spool",
                                              "store_url": f"memory://e2e-{uuid.uuid4().hex}"})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the embedded system did not start")
        time.sleep(0.05)
    try:
        yield LiveSystem(base_url=f"http://127.0.0.1:{port}", tokens=tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _browser_problem()
    if problem is not None:
        if REQUIRE_BROWSER:
            pytest.fail(problem + " and REQUIRE_BROWSER=1")
        pytest.skip(problem)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # far from Beijing on purpose: the console must show Asia/Shanghai times whatever the browser's zone
    context = browser.new_context(locale="zh-CN", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"
