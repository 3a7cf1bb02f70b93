"""Voice: baresip (our gateway UA, driven over ctrl_tcp) calls SIPp acting as the phone."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from services.notify.gateways.base import DeliveryEvent, DeliveryOutcome, OutboundMessage
from services.notify.gateways.voice import BaresipVoiceGateway, VoiceConfig

from .harness import Daemons, free_port, require, wait_for_udp_port
from .voice_env import start_gateway_ua

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _sipp_uas(daemons: Daemons, port: int) -> Path:
    trace = daemons.run_dir / "sipp-messages.log"
    proc = daemons.start(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
                          "-mp", str(free_port()), "-rtp_echo", "-m", "1", "-nostdin", "-trace_msg",
                          "-message_file", str(trace)], log_name="sipp.out")
    del proc
    wait_for_udp_port(port)  # SIPp's UAS listens on UDP only
    return trace


async def test_call_is_answered_and_the_speech_played_to_the_end(daemons) -> None:  # type: ignore[no-untyped-def]
    require("baresip", "sipp", "espeak-ng", "sox")
    config = start_gateway_ua(daemons)
    phone_port = free_port(socket.SOCK_DGRAM)
    trace = _sipp_uas(daemons, phone_port)
    events: list[DeliveryEvent] = []
    gateway = BaresipVoiceGateway(config, on_event=events.append)
    result = await gateway.send(OutboundMessage("ntf-call-1", f"sip:leader@127.0.0.1:{phone_port}",
                                                "值班通知：东城区暴雨红色预警，请立即到岗。"))
    assert result.accepted, result.detail
    assert [e.outcome for e in events] == [DeliveryOutcome.ringing, DeliveryOutcome.answered,
                                          DeliveryOutcome.delivered]
    assert "end of file" in events[-1].detail
    assert config.tts_wav_path.stat().st_size > 8000  # at least half a second of 8 kHz speech
    sipp = daemons.procs[-1]
    assert sipp.wait(timeout=10) == 0  # SIPp exits 0 after one complete call
    messages = trace.read_text(errors="replace")
    for step in ("INVITE sip:", "SIP/2.0 180", "SIP/2.0 200", "ACK sip:", "BYE sip:"):
        assert step in messages


async def test_unanswered_call_is_a_transient_failure(daemons) -> None:  # type: ignore[no-untyped-def]
    require("baresip", "espeak-ng", "sox")
    config = start_gateway_ua(daemons)
    dead_port = free_port()
    gateway = BaresipVoiceGateway(VoiceConfig(config.ctrl_host, config.ctrl_port, config.tts_wav_path,
                                              answer_timeout_seconds=2, call_timeout_seconds=10))
    result = await gateway.send(OutboundMessage("ntf-call-2", f"sip:nobody@127.0.0.1:{dead_port}", "测试"))
    assert not result.accepted and result.transient_error
    assert "未接通" in result.detail
