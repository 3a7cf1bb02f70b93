"""Kannel (bearerbox + smsbox) with its fake SMSC: our adapter sends Chinese text, receipts come back."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import pytest

from services.notify.gateways.base import DeliveryOutcome, OutboundMessage
from services.notify.gateways.kannel import KannelConfig, KannelSmsGateway, parse_dlr

from .harness import CallbackServer, require, wait_until
from .kannel_env import BEARERBOX, FAKESMSC, SENDSMS_PASSWORD, SENDSMS_USER, SMSBOX, start_kannel
from .smsc_env import require_smsc_simulator, start_smsc

pytestmark = [pytest.mark.slow, pytest.mark.integration]

def _got_messages(run) -> list[str]:  # type: ignore[no-untyped-def]
    return [ln for ln in run.fakesmsc_output().splitlines() if "Got message" in ln]


def _ucs2_text(line: str) -> str:
    """fakesmsc prints ``<from to ucs-2 %-escaped-UTF-16BE>`` or ``<from to udh %… data %…>`` per part."""
    body = line.rstrip(">")
    body = body.split(" data ", 1)[1] if " udh " in body else body.split(" ucs-2 ", 1)[1]
    return unquote_to_bytes(body).decode("utf-16-be")


CHINESE = "【值班】红色预警：东城区暴雨，请于30分钟内到岗。回复1确认"


def _gateway(run, callback: CallbackServer, *, password: str = SENDSMS_PASSWORD) -> KannelSmsGateway:  # type: ignore[no-untyped-def]
    return KannelSmsGateway(KannelConfig(sendsms_url=run.sendsms_url, username=SENDSMS_USER, password=password,
                                         dlr_callback_url=callback.url, sender="12345"))


async def test_chinese_sms_reaches_fake_smsc_and_receipts_arrive(daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    run = start_kannel(daemons, link="fake")
    async with CallbackServer() as callback:
        gateway = _gateway(run, callback)
        result = await gateway.send(OutboundMessage("ntf/2026-001", "+8613800138000", CHINESE))
        await gateway.aclose()
        assert result.accepted, result.detail
        assert result.detail.startswith("0: Accepted")

        line = wait_until(lambda: _got_messages(run), timeout=10, what="fakesmsc to print the message")[0]
        assert "<12345 +8613800138000 ucs-2 " in line
        assert _ucs2_text(line) == CHINESE

        queries = await callback.wait_for(lambda qs: any("type=1" in q for q in qs), within=10)
    events = [parse_dlr(q) for q in queries]
    assert {e.notification_id for e in events} == {"ntf/2026-001"}
    assert DeliveryOutcome.delivered in {e.outcome for e in events}
    assert all(e.raw["to"] == "+8613800138000" for e in events)


async def test_long_chinese_text_is_split_into_udh_parts(daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    run = start_kannel(daemons, link="fake")
    async with CallbackServer() as callback:
        gateway = _gateway(run, callback)
        result = await gateway.send(OutboundMessage("ntf-long", "+8613900139000", "请立即到岗处置。" * 12))  # 96 chars
        await gateway.aclose()
    assert result.accepted, result.detail
    lines = wait_until(lambda: len(_got_messages(run)) >= 2 and _got_messages(run), timeout=10, what="two parts")
    assert len(lines) == 2  # 96 UCS-2 characters > 70: two parts of at most 67
    assert all(" udh %05%00%03" in ln for ln in lines)  # concatenation header: ref, total, part number
    assert "".join(_ucs2_text(ln) for ln in lines) == "请立即到岗处置。" * 12


async def test_wrong_password_is_a_permanent_refusal(daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    run = start_kannel(daemons, link="fake")
    async with CallbackServer() as callback:
        gateway = _gateway(run, callback, password="wrong")
        result = await gateway.send(OutboundMessage("ntf-auth", "+8613800138000", "测试"))
        await gateway.aclose()
    assert not result.accepted
    assert not result.transient_error
    assert "403" in result.detail


async def test_kannel_down_is_transient(daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX, FAKESMSC)
    run = start_kannel(daemons, link="fake")
    daemons.stop_all()
    async with CallbackServer() as callback:
        gateway = _gateway(run, callback)
        result = await gateway.send(OutboundMessage("ntf-down", "+8613800138000", "测试"))
        await gateway.aclose()
    assert not result.accepted
    assert result.transient_error


async def test_kannel_over_a_real_smpp_link_gets_smsc_receipt(daemons) -> None:  # type: ignore[no-untyped-def]
    require(BEARERBOX, SMSBOX)
    require_smsc_simulator()
    smsc = start_smsc(daemons, system_id="kannel", password="kpass")  # the credentials in kannel.conf
    run = start_kannel(daemons, link="smpp", smsc_port=smsc.port)
    async with CallbackServer() as callback:
        gateway = _gateway(run, callback)
        result = await gateway.send(OutboundMessage("ntf-via-smpp", "+8613800138000", CHINESE))
        await gateway.aclose()
        assert result.accepted, result.detail
        queries = await callback.wait_for(lambda qs: any("type=1" in q for q in qs), within=15)
    [submit] = smsc.events("submit_sm")
    assert submit["text"] == CHINESE
    delivered = [e for e in map(parse_dlr, queries) if e.outcome is DeliveryOutcome.delivered]
    assert len(delivered) == 1
    assert delivered[0].notification_id == "ntf-via-smpp"
    assert delivered[0].gateway_message_id == submit["message_id"]  # %F joins the receipt to the submit_sm
    assert delivered[0].raw["status"].startswith(f"id:{submit['message_id']} ")
