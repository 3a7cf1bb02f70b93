"""A RabbitMQ node of one test's own, on loopback, that the test may stop and start again.

The shared broker at AMQP_URL is used by other runs at the same time and must never be restarted; a test
that restarts "the broker" starts this private node instead: its own node name, AMQP and distribution ports,
data directory (kept across its restarts, as a real node's disk is), log directory, Erlang cookie (a fresh
HOME, so the shared node's cookie is neither read nor needed) and no plugins. Everything listens on
127.0.0.1 only. It runs the distribution's own start script (``/usr/lib/rabbitmq/bin``: the Debian wrapper in
``/usr/sbin`` would switch to the rabbitmq user and the shared node's home).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT_DIRS = (Path("/usr/lib/rabbitmq/bin"), Path("/usr/local/lib/rabbitmq/bin"))
LOOPBACK_DIST = "-kernel inet_dist_use_interface {127,0,0,1}"


def rabbit_scripts() -> Path | None:
    """Where rabbitmq-server and rabbitmqctl run as the calling user, or None (no RabbitMQ installed)."""
    for d in SCRIPT_DIRS:
        if (d / "rabbitmq-server").exists() and (d / "rabbitmqctl").exists():
            return d
    found = shutil.which("rabbitmq-server")
    if found and (Path(found).parent / "rabbitmqctl").exists() and Path(found).parent != Path("/usr/sbin"):
        return Path(found).parent
    return None


@dataclass
class RabbitNode:
    scripts: Path
    base: Path
    port: int
    dist_port: int
    name: str = field(default_factory=lambda: f"zhiban-restart-{uuid.uuid4().hex[:8]}@localhost")
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        (self.base / "home").mkdir(parents=True, exist_ok=True)
        (self.base / "log").mkdir(exist_ok=True)
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq.conf").write_text("")  # not /etc/rabbitmq's: that one listens on 5672
        (self.base / "rabbitmq-env.conf").write_text("")  # nor its env file (node name, flags)
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(self.base / "home"),  # its own Erlang cookie, made on first start
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": LOOPBACK_DIST,
        }

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.scripts / "rabbitmqctl"), "-q", "-n", self.name, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=True)

    def log(self) -> str:
        texts = [p.read_text(errors="replace") for p in sorted((self.base / "log").glob("*.log"))]
        return "\n".join(t[-3000:] for t in texts)

    def start(self, timeout: float = 90) -> None:
        """Start the node (on the same data directory as before) and wait until it takes AMQP connections."""
        assert self.proc is None or self.proc.poll() is not None, "node already running"
        self.starts += 1
        with (self.base / f"server-{self.starts}.out").open("wb") as out:
            self.proc = subprocess.Popen([str(self.scripts / "rabbitmq-server")], env=self.env(), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"RabbitMQ node {self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.ctl("await_startup", "--timeout", "10", timeout=20)
                return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.5)
        raise AssertionError(f"RabbitMQ node {self.name} not up after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """A clean stop of the whole node (as ``systemctl stop rabbitmq-server`` does)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.ctl("stop", timeout=60)
            self.proc.wait(timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        """As a crash or power loss would: SIGKILL to the node's process group, no shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
