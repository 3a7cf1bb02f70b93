"""Integration tier: the real RabbitMQ at AMQP_URL, services as separate processes.

Each test gets its own RabbitMQ virtual host (created with rabbitmqctl, deleted afterwards), so runs
never see each other's queues. Without a broker the tests skip with the reason — unless
REQUIRE_BROKER=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import httpx
import pytest

from shared.auth import Role, UserRegistry
from tests.integration.rabbit_node import RabbitNode, rabbit_scripts

REPO_ROOT = Path(__file__).resolve().parents[2]
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REQUIRE_BROKER = os.environ.get("REQUIRE_BROKER") == "1"


def _broker_answers(url: str) -> str | None:
    async def probe() -> None:
        connection = await aio_pika.connect(url, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no broker here
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def broker_url() -> str:
    problem = _broker_answers(AMQP_URL)
    if problem is not None:
        message = f"no RabbitMQ answers at {AMQP_URL} ({problem})"
        if REQUIRE_BROKER:
            pytest.fail(message + " and REQUIRE_BROKER=1")
        pytest.skip(message)
    return AMQP_URL


def with_vhost(url: str, vhost: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, parts.fragment))


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=True)


@pytest.fixture
def vhost_url(broker_url: str) -> Iterator[str]:
    """A fresh virtual host on the real broker for this test (guest has full rights on it)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl not found: cannot make an isolated virtual host")
    vhost = f"zhiban-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield with_vhost(broker_url, vhost)
    finally:
        rabbitmqctl("delete_vhost", vhost)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServiceProcess:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready after {timeout}s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def kill(self) -> None:
        """As a crash would: no graceful shutdown."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class Cluster:
    amqp_url: str
    workdir: Path
    users_file: Path
    tokens: dict[str, str]
    processes: list[ServiceProcess] = field(default_factory=list)

    def start(self, service: str, *, seed_demo: bool = True, env: dict[str, str] | None = None,
              wait: bool = True) -> ServiceProcess:
        port = free_port()
        log_path = self.workdir / f"{service}-{port}.log"
        environment = {
            **os.environ,
            "AMQP_URL": self.amqp_url,
            "ZHIBAN_USERS_FILE": str(self.users_file),
            "ZHIBAN_NOTIFY_SPOOL_DIR": str(self.workdir / "spool"),
            "ZHIBAN_STORE_URL": f"memory://{service}",
            "PYTHONPATH": str(REPO_ROOT),
            **(env or {}),
        }
        command = [sys.executable, "-m", "services.cli", "serve", service, "--port", str(port)]
        if seed_demo:
            command.append("--seed-demo")
        with log_path.open("wb") as log:
            proc = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        process = ServiceProcess(service, port, proc, log_path)
        self.processes.append(process)
        if wait:
            process.wait_ready()
        return process

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@contextlib.contextmanager
def running_cluster(amqp_url: str, workdir: Path) -> Iterator[Cluster]:
    """Services started through the yielded Cluster talk to ``amqp_url``; all are stopped afterwards."""
    registry = UserRegistry()
    tokens = {
        "duty_officer": registry.issue(id="p-duty-1", name="李明", roles=[Role.duty_officer]),
        "admin": registry.issue(id="admin", name="管理员", roles=[Role.admin]),
    }
    users_file = workdir / "users.json"
    registry.save(users_file)
    c = Cluster(amqp_url=amqp_url, workdir=workdir, users_file=users_file, tokens=tokens)
    try:
        yield c
    finally:
        for process in reversed(c.processes):
            process.stop()


@pytest.fixture
def cluster(vhost_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Start services as separate processes on this test's virtual host; all stopped afterwards."""
    with running_cluster(vhost_url, tmp_path) as c:
        yield c


@pytest.fixture
def rabbit_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitNode]:
    """A RabbitMQ node of this test's own (tests/integration/rabbit_node.py), started; the test may stop and
    start it again. Never the shared broker, which other runs are using."""
    scripts = rabbit_scripts()
    if scripts is None:
        message = "rabbitmq-server is not installed: cannot start a private RabbitMQ node"
        if REQUIRE_BROKER:
            pytest.fail(message + " and REQUIRE_BROKER=1")
        pytest.skip(message)
    node = RabbitNode(scripts=scripts, base=tmp_path_factory.mktemp("rabbit"), port=free_port(), dist_port=free_port())
    try:
        node.start()
        yield node
    finally:
        node.stop()
        node.kill()


@pytest.fixture
async def amqp(vhost_url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain aio-pika channel on this test's virtual host, as a county system would use."""
    connection = await aio_pika.connect_robust(vhost_url)
    channel = await connection.channel(publisher_confirms=True)
    try:
        yield channel
    finally:
        await connection.close()


async def publish_json(channel: aio_pika.abc.AbstractChannel, routing_key: str, body: dict | bytes, **props: object) -> None:
    exchange = await channel.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    await exchange.publish(aio_pika.Message(data, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **props),  # type: ignore[arg-type]
                           routing_key=routing_key)


ProcessFactory = Callable[..., ServiceProcess]
