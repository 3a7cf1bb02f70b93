"""The report pump settles a batch with as few frames as is safe: one ``multiple`` ack when the acked
deliveries are consecutive on their channel, one ack each when a nacked delivery lies between them, nothing
on a channel that closed meanwhile (the broker delivers those again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiormq.abc import DeliveredMessage
from pamqp import commands as spec
from pamqp.header import ContentHeader

from services.intake.report_pump import Delivery, ReportPump


@dataclass
class FakeChannel:
    is_closed: bool = False
    frames: list[tuple[str, int, bool]] = field(default_factory=list)

    async def basic_ack(self, tag: int, multiple: bool = False) -> None:
        self.frames.append(("ack", tag, multiple))

    async def basic_nack(self, tag: int, requeue: bool = True) -> None:
        self.frames.append(("nack", tag, requeue))


def delivery(channel: Any, tag: int) -> Delivery:
    deliver = spec.Basic.Deliver(consumer_tag="c", delivery_tag=tag, exchange="zhiban.events",
                                 routing_key="report.450122.wuming-yjj")
    return Delivery(DeliveredMessage(delivery=deliver, header=ContentHeader(), body=b"{}", channel=channel))


async def test_consecutive_acks_go_as_one_multiple_ack() -> None:
    channel = FakeChannel()
    await ReportPump._settle([delivery(channel, t) for t in (7, 5, 6)], [])
    assert channel.frames == [("ack", 7, True)]


async def test_a_nacked_delivery_between_acks_gets_its_nack_and_the_others_one_ack_each() -> None:
    channel = FakeChannel()
    await ReportPump._settle([delivery(channel, t) for t in (5, 7)], [delivery(channel, 6)])
    assert channel.frames == [("nack", 6, True), ("ack", 5, False), ("ack", 7, False)]


async def test_a_nacked_delivery_before_the_acks_still_allows_one_multiple_ack() -> None:
    channel = FakeChannel()
    await ReportPump._settle([delivery(channel, t) for t in (6, 7, 8)], [delivery(channel, 5)])
    assert channel.frames == [("nack", 5, True), ("ack", 8, True)]


async def test_each_channel_is_settled_on_its_own_and_a_closed_one_is_left_alone() -> None:
    old, new = FakeChannel(is_closed=True), FakeChannel()
    await ReportPump._settle([delivery(old, 41), delivery(old, 42), delivery(new, 1), delivery(new, 2)], [])
    assert old.frames == []
    assert new.frames == [("ack", 2, True)]


def test_a_delivery_reads_as_the_parts_parking_and_the_sender_check_use() -> None:
    d = delivery(FakeChannel(), 3)
    assert d.raw_message is d and d.tag == 3 and d.routing_key == "report.450122.wuming-yjj"
    assert d.exchange == "zhiban.events" and d.user_id is None and d.headers == {} and d.body == b"{}"


class FakeService:
    """normalise fails unexpectedly on one body; every other report is placed at once."""

    def normalise(self, body: bytes) -> bytes:
        if body == b"boom":
            raise RuntimeError("a bug met this body")
        return body

    def submit(self, report: bytes, *, sender: Any) -> Any:
        import asyncio

        future = asyncio.get_running_loop().create_future()
        future.set_result(object())
        return future


def pump_with(svc: Any) -> ReportPump:
    from shared.settings import IntakeSettings
    from shared.topology import consumer

    class Bus:
        service = "intake"

    return ReportPump(svc, lambda: Bus(), IntakeSettings(), [consumer("intake", "reports")])


def with_body(channel: Any, tag: int, body: bytes) -> Delivery:
    d = delivery(channel, tag)
    return Delivery(DeliveredMessage(delivery=d.message.delivery, header=d.message.header, body=body, channel=channel))


async def test_an_unexpected_error_on_one_delivery_sends_back_only_that_one() -> None:
    pump, channel = pump_with(FakeService()), FakeChannel()
    c = pump.consumers[0]
    await pump.handle([(with_body(channel, 1, b"ok"), c), (with_body(channel, 2, b"boom"), c),
                       (with_body(channel, 3, b"ok"), c)])
    assert channel.frames == [("nack", 2, True), ("ack", 1, False), ("ack", 3, False)]


async def test_a_batch_that_fails_as_a_whole_goes_back_to_the_queue() -> None:
    import asyncio

    pump, channel = pump_with(FakeService()), FakeChannel()

    async def failing(batch: Any) -> None:
        raise RuntimeError("the pump itself failed")

    pump.handle = failing  # type: ignore[method-assign]
    worker = asyncio.get_running_loop().create_task(pump._work())
    c = pump.consumers[0]
    await pump._receiver(c)(with_body(channel, 1, b"ok").message)
    await pump._receiver(c)(with_body(channel, 2, b"ok").message)
    for _ in range(50):
        if len(channel.frames) == 2:
            break
        await asyncio.sleep(0)
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    assert channel.frames == [("nack", 1, True), ("nack", 2, True)]
