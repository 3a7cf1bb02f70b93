"""Starts and stops real gateway daemons for the integration tests: own session, stop by process group."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def require(*executables: str) -> None:
    """Skips with a visible reason when gateway software is missing; fails instead under REQUIRE_GATEWAYS=1."""
    missing = [exe for exe in executables if not (Path(exe).is_file() if "/" in exe else shutil.which(exe))]
    if not missing:
        return
    reason = f"gateway software not installed: {', '.join(missing)} (run scripts/install_gateways.sh)"
    if os.environ.get("REQUIRE_GATEWAYS") == "1":
        pytest.fail(reason + " and REQUIRE_GATEWAYS=1")
    pytest.skip(reason)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before opening port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Daemons:
    """Every process a test started; ``stop_all`` ends them by process group, never by name."""

    run_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, args: Sequence[str], *, log_name: str, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.run_dir / log_name, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            list(args), cwd=cwd or self.run_dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], *, grace: float = 5.0) -> None:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(proc.pid, signal.SIGKILL)  # leftovers in the group (e.g. faxsend children)
        if proc.poll() is None:
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


class CallbackServer:
    """A tiny asyncio HTTP server recording the request targets it gets (stands in for notify's api)."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CallbackServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dlr"

    def queries(self) -> list[str]:
        return [urlsplit(t).query for t in self.targets]

    async def wait_for(self, predicate, *, within: float) -> list[str]:  # type: ignore[no-untyped-def]
        deadline = asyncio.get_running_loop().time() + within
        while not predicate(self.queries()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"callbacks seen so far: {self.targets}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass
        return self.queries()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode("latin-1")
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.split()
            if len(parts) >= 2:
                self.targets.append(parts[1])
                self.arrived.set()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        finally:
            writer.close()


def make_pdf(line: str) -> bytes:
    """A one-page PDF (reportlab) for fax tests."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=A4)
    page.setFont("Helvetica-Bold", 28)
    page.drawString(72, 760, line)
    page.showPage()
    page.save()
    return buf.getvalue()


def wait_for_udp_port(port: int, *, timeout: float = 5.0) -> None:
    """Waits until something binds 127.0.0.1:<port>/udp (Linux /proc/net/udp; SIPp has no TCP port)."""
    needle = f"0100007F:{port:04X}"
    wait_until(lambda: needle in Path("/proc/net/udp").read_text(), timeout=timeout, what=f"udp port {port}")
