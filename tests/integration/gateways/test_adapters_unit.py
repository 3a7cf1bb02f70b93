"""Fast tests (no gateway software): file spool, failover, DLR parsing, reply classification."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notify.gateways.base import (
    DeliveryOutcome,
    FailoverGateway,
    MalformedReceipt,
    OutboundMessage,
    SendResult,
    id_to_token,
    send_with_retry,
    token_to_id,
)
from services.notify.gateways.hylafax import parse_webhook
from services.notify.gateways.journal import JournalledGateway
from services.notify.gateways.kannel import classify_sendsms_reply, needs_ucs2, parse_dlr
from services.notify.gateways.spool import SpoolGateway

FIXED = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)


async def test_spool_writes_one_utf8_json_file_per_notification(tmp_path: Path) -> None:
    spool = SpoolGateway(tmp_path / "out", clock=lambda: FIXED)
    msg = OutboundMessage("ntf/7", "+8613800138000", "请立即到岗", subject="预警", document_pdf=b"%PDF-1.4")
    first = await spool.send(msg)
    second = await spool.send(OutboundMessage("ntf/7", "+8613800138000", "另一段文字"))
    assert first.accepted and second.accepted
    assert "重复" in second.detail
    files = list((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [f"{id_to_token('ntf/7')}.json"]  # no temp files left behind
    raw = files[0].read_text(encoding="utf-8")
    assert "请立即到岗" in raw  # stored as UTF-8, not \u escapes
    record = json.loads(raw)
    assert record["text"] == "请立即到岗" and record["spooled_at"] == FIXED.isoformat()
    assert record["document_pdf_base64"] == "JVBERi0xLjQ="


async def test_spool_unwritable_directory_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = await SpoolGateway(blocker / "sub").send(OutboundMessage("n1", "x", "t"))
    assert not result.accepted and result.transient_error


class _Stub:
    channel = "sms"

    def __init__(self, name: str, results: list[SendResult]) -> None:
        self.name, self.results, self.calls = name, results, 0

    async def send(self, msg: OutboundMessage) -> SendResult:
        self.calls += 1
        return self.results.pop(0)


async def test_failover_uses_the_second_gateway_only_when_the_first_is_down() -> None:
    down = _Stub("a", [SendResult(False, "a", transient_error=True, detail="down")])
    up = _Stub("b", [SendResult(True, "b")])
    assert (await FailoverGateway([down, up]).send(OutboundMessage("n", "1", "t"))).gateway == "b"
    refused = _Stub("a", [SendResult(False, "a", detail="bad number")])
    spare = _Stub("b", [SendResult(True, "b")])
    result = await FailoverGateway([refused, spare]).send(OutboundMessage("n", "1", "t"))
    assert not result.accepted and spare.calls == 0  # permanent: no second gateway, no double send


async def test_send_with_retry_retries_transient_only() -> None:
    flaky = _Stub("a", [SendResult(False, "a", transient_error=True), SendResult(True, "a")])
    assert (await send_with_retry(flaky, OutboundMessage("n", "1", "t"), initial_wait=0.01)).accepted
    assert flaky.calls == 2
    refused = _Stub("a", [SendResult(False, "a", detail="403"), SendResult(True, "a")])
    assert not (await send_with_retry(refused, OutboundMessage("n", "1", "t"), initial_wait=0.01)).accepted
    assert refused.calls == 1


@pytest.mark.parametrize(("status", "body", "accepted", "transient"), [
    (202, "0: Accepted for delivery", True, False),
    (202, "3: Queued for later delivery", True, False),
    (403, "Authorization failed for sendsms", False, False),
    (400, "Empty receiver number not allowed, rejected", False, False),
    (503, "busy", False, True),
    (200, "<html>proxy page</html>", False, False),
])
def test_sendsms_replies_are_classified(status: int, body: str, accepted: bool, transient: bool) -> None:
    result = classify_sendsms_reply(status, body)
    assert (result.accepted, result.transient_error) == (accepted, transient)


def test_dlr_callback_parsed_including_smpp_receipt_text() -> None:
    event = parse_dlr("nid=abc-1&type=1&status=id%3A1000+sub%3A001+dlvrd%3A001+submit+date%3A2607010830+"
                      "done+date%3A2607010830+stat%3ADELIVRD+err%3A000+text%3A&to=%2B8613800138000&smscmsgid=1000")
    assert (event.notification_id, event.outcome, event.gateway_message_id) == ("abc-1", DeliveryOutcome.delivered,
                                                                                 "1000")
    assert parse_dlr({"nid": id_to_token("告警/1"), "type": "16"}).notification_id == "告警/1"
    for bad in ("type=1", "nid=a&type=3", "nid=a&type=x", "nid=x.zz&type=1", "nid=a%2Fb&type=1"):
        with pytest.raises(MalformedReceipt):
            parse_dlr(bad)


def test_tokens_round_trip_and_ucs2_detection() -> None:
    for nid in ("plain-ID_1", "含中文", "a/b c", "x.y"):
        assert token_to_id(id_to_token(nid)) == nid
    assert needs_ucs2("值班") and not needs_ucs2("Code 1234 {ok}")


class _Slow:
    """A gateway whose answer never comes back (the process dies during the call)."""

    name, channel = "slow", "sms"

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, msg: OutboundMessage) -> SendResult:
        self.calls += 1
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


async def test_journal_sends_once_and_a_crash_mid_call_is_in_doubt(tmp_path: Path) -> None:
    ok = _Stub("k", [SendResult(True, "k", gateway_message_id="m1"), SendResult(True, "k")])
    journal = JournalledGateway(ok, tmp_path)
    first = await journal.send(OutboundMessage("n/1", "+8613800138000", "t"))
    again = await JournalledGateway(ok, tmp_path).send(OutboundMessage("n/1", "+8613800138000", "t"))  # a restart
    assert first.accepted and again.accepted and ok.calls == 1
    assert again.gateway_message_id == "m1" and "重复发送" in again.detail
    assert (await journal.send(OutboundMessage("n/1", "+8613800138000", "t", attempt=1))).accepted  # next round
    assert ok.calls == 2

    slow = _Slow()
    call = asyncio.create_task(JournalledGateway(slow, tmp_path).send(OutboundMessage("n/2", "x", "t")))
    await asyncio.sleep(0.05)
    call.cancel()  # the process is gone while the gateway had the message
    with pytest.raises(asyncio.CancelledError):
        await call
    doubt = await JournalledGateway(slow, tmp_path).send(OutboundMessage("n/2", "x", "t"))
    assert not doubt.accepted and doubt.in_doubt and not doubt.transient_error and slow.calls == 1
    # in doubt is neither retried by tenacity nor failed over to a second gateway
    assert (await send_with_retry(JournalledGateway(slow, tmp_path), OutboundMessage("n/2", "x", "t"))).in_doubt
    assert slow.calls == 1


async def test_journal_forgets_a_refusal_so_a_retry_may_send(tmp_path: Path) -> None:
    flaky = _Stub("k", [SendResult(False, "k", transient_error=True, detail="down"), SendResult(True, "k")])
    result = await send_with_retry(JournalledGateway(flaky, tmp_path), OutboundMessage("n3", "x", "t"),
                                   initial_wait=0.01)
    assert result.accepted and flaky.calls == 2


def test_hylafax_webhook_parsed_and_garbage_refused() -> None:
    event = parse_webhook({"why": "done", "jobid": "7", "jobtag": id_to_token("告警/1"), "npages": "1",
                           "totpages": "1", "status": ""})
    assert (event.notification_id, event.outcome, event.gateway_message_id) == ("告警/1", DeliveryOutcome.delivered,
                                                                                "7")
    assert parse_webhook({"why": "requeued", "jobtag": "n1"}).outcome is DeliveryOutcome.queued
    assert parse_webhook({"why": "failed", "jobtag": "n1"}).outcome is DeliveryOutcome.failed
    for bad in ({"why": "done"}, {"why": "poll_done", "jobtag": "n1"}, {"why": "done", "jobtag": "a/b"}):
        with pytest.raises(MalformedReceipt):
            parse_webhook(bad)
