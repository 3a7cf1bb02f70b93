"""Voice: originate a SIP call through baresip (controlled over its ctrl_tcp netstring socket) and play
the message as speech (espeak-ng → 8 kHz mono WAV with sox).

baresip's ``audio_source`` is ``aufile,<tts_wav>``: the file is opened when the call's audio starts,
so each call writes its speech there first and calls are serialised (``call_max_calls 1``).
The call ends when the file ends; "completed" therefore means the message was played to the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.notify.gateways.base import (
    DeliveryEvent,
    DeliveryListener,
    DeliveryOutcome,
    GatewayError,
    OutboundMessage,
    SendResult,
)


@dataclass(frozen=True)
class VoiceConfig:
    ctrl_host: str
    ctrl_port: int
    tts_wav_path: Path  # the path configured as baresip's ``audio_source aufile,<path>``
    espeak_voice: str = "cmn"  # Mandarin
    espeak_speed: int = 150
    answer_timeout_seconds: float = 45.0
    call_timeout_seconds: float = 300.0
    ack_keys: Sequence[str] = ("1",)  # keypress that acknowledges the notification


@dataclass(frozen=True)
class CallReport:
    ringing: bool
    answered: bool
    completed: bool  # played to the end of the speech
    acknowledged: bool
    close_reason: str


async def synthesize_speech(text: str, wav_path: Path, *, voice: str = "cmn", speed: int = 150) -> None:
    """espeak-ng writes 22 kHz speech; sox converts it to what G.711 needs (8 kHz, mono, 16 bit)."""
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tts-") as tmp:
        raw = Path(tmp) / "speech.wav"
        await _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
        converted = wav_path.with_name(f".tmp-{wav_path.name}")  # sox picks the format by extension
        await _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(converted)])
        os.replace(converted, wav_path)  # baresip never sees a half-written file


async def _run(args: list[str]) -> None:
    try:
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError as exc:
        raise GatewayError(f"语音合成程序未安装：{args[0]}", transient=False) from exc
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise GatewayError(f"语音合成失败（{args[0]}）：{err.decode(errors='replace')[:200]}", transient=False)


def netstring(payload: dict[str, str]) -> bytes:
    body = json.dumps(payload).encode()
    return str(len(body)).encode() + b":" + body + b","


async def read_netstring(reader: asyncio.StreamReader) -> dict[str, object]:
    length = int((await reader.readuntil(b":"))[:-1])
    body = await reader.readexactly(length + 1)  # trailing ","
    return json.loads(body[:-1])  # type: ignore[no-any-return]


class BaresipVoiceGateway:
    channel = "phone"

    def __init__(self, config: VoiceConfig, *, name: str = "baresip", on_event: DeliveryListener | None = None) -> None:
        self.config = config
        self.name = name
        self._on_event = on_event
        self._lock = asyncio.Lock()  # one call at a time: one speech file, call_max_calls 1

    async def send(self, msg: OutboundMessage) -> SendResult:
        async with self._lock:
            try:
                await synthesize_speech(msg.text, self.config.tts_wav_path, voice=self.config.espeak_voice,
                                        speed=self.config.espeak_speed)
                report = await self.call(msg.notification_id, msg.to)
            except GatewayError as exc:
                return exc.as_result(self.name)
        if report.completed:
            detail = "电话已接通，语音播放完毕" + ("，对方已按键确认" if report.acknowledged else "")
            return SendResult(True, self.name, detail=detail)
        if report.answered:  # hung up early: the person heard part of it; calling again is reasonable
            return SendResult(False, self.name, transient_error=True, detail=f"通话中断：{report.close_reason}")
        return SendResult(False, self.name, transient_error=True, detail=f"未接通：{report.close_reason}")

    async def call(self, notification_id: str, sip_uri: str) -> CallReport:
        try:
            reader, writer = await asyncio.open_connection(self.config.ctrl_host, self.config.ctrl_port)
        except OSError as exc:
            raise GatewayError(f"无法连接语音网关（baresip）：{exc}", transient=True) from exc
        ringing = answered = completed = acknowledged = False
        reason = ""
        call_id: object = None
        try:
            writer.write(netstring({"command": "dial", "params": sip_uri, "token": notification_id}))
            await writer.drain()
            async with asyncio.timeout(self.config.call_timeout_seconds):
                while True:
                    timeout = None if answered else self.config.answer_timeout_seconds
                    message = await asyncio.wait_for(read_netstring(reader), timeout)
                    if message.get("response"):
                        if not message.get("ok"):
                            raise GatewayError(f"语音网关拒绝拨号：{message.get('data')}", transient=False)
                        continue
                    kind = str(message.get("type", ""))
                    if call_id is None and kind.startswith("CALL_") and message.get("id"):
                        call_id = message.get("id")  # CALL_LOCAL_SDP comes first and has no id
                    elif message.get("id") not in (None, call_id):
                        continue  # another call's event
                    param = str(message.get("param", ""))
                    if kind == "CALL_RINGING" and not ringing:
                        ringing = True
                        await self._emit(notification_id, DeliveryOutcome.ringing, param)
                    elif kind == "CALL_ESTABLISHED":
                        answered = True
                        await self._emit(notification_id, DeliveryOutcome.answered, param)
                    elif kind == "CALL_DTMF_START" and param in self.config.ack_keys and not acknowledged:
                        acknowledged = True
                        await self._emit(notification_id, DeliveryOutcome.acknowledged, f"按键 {param}")
                    elif kind == "CALL_CLOSED":
                        reason = param
                        completed = answered and "end of file" in param
                        outcome = DeliveryOutcome.delivered if completed else DeliveryOutcome.failed
                        await self._emit(notification_id, outcome, param)
                        break
        except TimeoutError:
            writer.write(netstring({"command": "hangup", "params": "", "token": "hangup"}))
            reason = "无人接听（超时）" if not answered else "通话超时"
            await self._emit(notification_id, DeliveryOutcome.failed, reason)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            raise GatewayError(f"语音网关连接中断：{exc!r}", transient=True) from exc
        finally:
            writer.close()
        return CallReport(ringing, answered, completed, acknowledged, reason)

    async def _emit(self, notification_id: str, outcome: DeliveryOutcome, detail: str) -> None:
        if self._on_event is None:
            return
        result = self._on_event(DeliveryEvent(notification_id, self.name, outcome, detail=detail))
        if asyncio.iscoroutine(result):
            await result


def render_baresip_config(*, sip_listen: str, ctrl_listen: str, tts_wav_path: Path) -> str:
    """The gateway UA's ``config`` (GATEWAYS.md §3): loopback-only, no sound card, speech from a file."""
    host = sip_listen.rsplit(":", 1)[0]
    return "\n".join([
        "poll_method epoll", f"sip_listen {sip_listen}", f"net_interface {host}", "call_local_timeout 30",
        "call_max_calls 1", "audio_player alsa,null", "audio_alert alsa,null", f"audio_source aufile,{tts_wav_path}",
        "module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so", "module alsa.so",
        "module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so", f"ctrl_tcp_listen {ctrl_listen}", "",
    ])
