"""baresip user agents on loopback (GATEWAYS.md §3): the gateway UA notify drives over ctrl_tcp, and a
"phone" UA that answers by itself and can press keys (ctrl_tcp ``sndcode``: RFC 2833 telephone-event)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.notify.gateways.voice import VoiceConfig, netstring, read_netstring, render_baresip_config

from .harness import Daemons, free_port, wait_for_port


def start_gateway_ua(daemons: Daemons, *, name: str = "gateway-ua") -> VoiceConfig:
    ua_dir = daemons.run_dir / name
    ua_dir.mkdir()
    tts = daemons.run_dir / "tts.wav"
    sip_port, ctrl_port = free_port(), free_port()
    (ua_dir / "config").write_text(render_baresip_config(sip_listen=f"127.0.0.1:{sip_port}",
                                                         ctrl_listen=f"127.0.0.1:{ctrl_port}", tts_wav_path=tts))
    (ua_dir / "accounts").write_text("<sip:notify@127.0.0.1>;regint=0\n")
    proc = daemons.start(["baresip", "-4", "-f", str(ua_dir)], log_name=f"{name}.log")
    wait_for_port(ctrl_port, proc=proc)
    return VoiceConfig("127.0.0.1", ctrl_port, tts, answer_timeout_seconds=10, call_timeout_seconds=60)


@dataclass
class Phone:
    sip_uri: str
    ctrl_port: int
    events: list[dict[str, object]] = field(default_factory=list)

    async def on_answer(self, action: Callable[[Phone], Awaitable[None]], *, within: float = 30) -> None:
        """Waits for this phone's CALL_ESTABLISHED, runs ``action``, then keeps recording events until
        the call is closed (or ``within`` seconds pass)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
        self._writer = writer
        try:
            async with asyncio.timeout(within):
                while True:
                    message = await read_netstring(reader)
                    self.events.append(message)
                    if message.get("type") == "CALL_ESTABLISHED":
                        await action(self)
                    elif message.get("type") == "CALL_CLOSED":
                        return
        finally:
            writer.close()

    async def press(self, keys: str) -> None:
        self._writer.write(netstring({"command": "sndcode", "params": keys, "token": f"key-{keys}"}))
        await self._writer.drain()


def start_phone(daemons: Daemons, *, user: str = "leader", name: str = "phone-ua") -> Phone:
    """Auto-answers; its own audio is 60 s of silence (a call ends when the UA's source file ends)."""
    ua_dir = daemons.run_dir / name
    ua_dir.mkdir()
    silence = ua_dir / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(silence), "trim", "0", "60"],
                   check=True, timeout=30)
    sip_port = free_port(socket.SOCK_DGRAM)
    ctrl_port = free_port()
    config = render_baresip_config(sip_listen=f"127.0.0.1:{sip_port}", ctrl_listen=f"127.0.0.1:{ctrl_port}",
                                   tts_wav_path=silence)
    (ua_dir / "config").write_text(config)
    (ua_dir / "accounts").write_text(f"<sip:{user}@127.0.0.1:{sip_port}>;regint=0;answermode=auto\n")
    proc = daemons.start(["baresip", "-4", "-f", str(ua_dir)], log_name=f"{name}.log")
    wait_for_port(ctrl_port, proc=proc)
    return Phone(f"sip:{user}@127.0.0.1:{sip_port}", ctrl_port)
