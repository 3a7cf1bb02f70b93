"""Our SMPP adapter (smpplib in a thread) against a real SMPP 3.4 server: the npm `smpp` SMSC simulator."""

from __future__ import annotations

import asyncio

import pytest

from services.notify.gateways.base import DeliveryEvent, DeliveryOutcome, OutboundMessage
from services.notify.gateways.smpp import SmppConfig, SmppSmsGateway

from .harness import wait_until
from .smsc_env import PASSWORD, SYSTEM_ID, require_smsc_simulator, start_smsc

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CHINESE = "【值班】东城区暴雨红色预警，请立即到岗。回复1确认"


async def _collect(events: list[DeliveryEvent], predicate, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.05)):
        if predicate(events):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"receipts so far: {events}")


async def test_chinese_submit_sm_in_ucs2_and_receipt_parsed(daemons) -> None:  # type: ignore[no-untyped-def]
    require_smsc_simulator()
    smsc = start_smsc(daemons)
    events: list[DeliveryEvent] = []
    gateway = SmppSmsGateway(SmppConfig("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD), on_event=events.append)
    try:
        result = await gateway.send(OutboundMessage("ntf-smpp-1", "+8613800138000", CHINESE))
        assert result.accepted, result.detail
        await _collect(events, lambda ev: any(e.outcome is DeliveryOutcome.delivered for e in ev))
    finally:
        await gateway.stop()
    [submit] = smsc.events("submit_sm")
    assert submit["dest"] == "8613800138000"
    assert submit["data_coding"] == 8  # UCS-2
    assert submit["text"] == CHINESE
    assert submit["registered_delivery"] & 1
    assert result.gateway_message_id == submit["message_id"]
    [receipt] = events
    assert receipt.notification_id == "ntf-smpp-1"
    assert receipt.gateway_message_id == submit["message_id"]
    assert receipt.raw["stat"] == "DELIVRD"


async def test_long_chinese_text_is_segmented_with_udh(daemons) -> None:  # type: ignore[no-untyped-def]
    require_smsc_simulator()
    smsc = start_smsc(daemons)
    text = "各单位请注意：" + "请值班领导立即到岗处置并报告现场情况。" * 8  # 159 characters -> 3 parts of 67
    gateway = SmppSmsGateway(SmppConfig("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD))
    try:
        result = await gateway.send(OutboundMessage("ntf-smpp-long", "+8613900139000", text))
    finally:
        await gateway.stop()
    assert result.accepted, result.detail
    submits = smsc.events("submit_sm")
    assert len(submits) == 3
    assert all(s["esm_class"] & 0x40 for s in submits)  # UDH indicator
    assert [s["udh"][0][-4:] for s in submits] == ["0301", "0302", "0303"]  # total 3, parts 1..3
    assert "".join(s["text"] for s in submits) == text


async def test_undeliverable_receipt_and_throttle_is_transient(daemons) -> None:  # type: ignore[no-untyped-def]
    require_smsc_simulator()
    smsc = start_smsc(daemons)
    events: list[DeliveryEvent] = []
    gateway = SmppSmsGateway(SmppConfig("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD), on_event=events.append)
    try:
        undeliverable = await gateway.send(OutboundMessage("ntf-undeliv", "+8613800000098", "测试"))
        throttled = await gateway.send(OutboundMessage("ntf-throttle", "+8613800000099", "测试"))
        await _collect(events, lambda ev: len(ev) >= 1)
    finally:
        await gateway.stop()
    assert undeliverable.accepted
    assert events[0].outcome is DeliveryOutcome.undelivered
    assert not throttled.accepted and throttled.transient_error
    assert "0x58" in throttled.detail


async def test_bad_password_and_reconnect_after_smsc_restart(daemons) -> None:  # type: ignore[no-untyped-def]
    require_smsc_simulator()
    smsc = start_smsc(daemons, password="other")
    gateway = SmppSmsGateway(SmppConfig("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD, reconnect_delay=0.2))
    try:
        refused = await gateway.send(OutboundMessage("ntf-bind", "+8613800138000", "测试"))
        assert not refused.accepted and refused.transient_error  # gateway unusable: fail over, retry later
        assert "绑定" in refused.detail
    finally:
        await gateway.stop()

    daemons.stop_all()
    good = start_smsc(daemons)
    gateway = SmppSmsGateway(SmppConfig("127.0.0.1", good.port, SYSTEM_ID, PASSWORD, reconnect_delay=0.2))
    try:
        assert (await gateway.send(OutboundMessage("ntf-a", "+8613800138000", "一"))).accepted
        daemons.stop(daemons.procs[-1])  # the SMSC goes away ...
        wait_until(lambda: not gateway.bound.is_set(), timeout=5, what="the adapter to notice the drop")
        again = start_smsc(daemons, port=good.port)  # ... and comes back on the same port
        wait_until(lambda: gateway.bound.is_set(), timeout=10, what="the adapter to rebind")
        assert (await gateway.send(OutboundMessage("ntf-b", "+8613800138000", "二"))).accepted
    finally:
        await gateway.stop()
    assert [s["text"] for s in again.events("submit_sm")] == ["二"]
