"""Reports from the bus on the real broker, consumed with aio-pika directly (docs/adr/0004-intake-report-pump.md).

Every other consumer in Zhiban is a FastStream subscriber. Reports are the one stream that county systems
can send by the thousand in a major emergency, and FastStream's per-message machinery (its middlewares,
dependency injection, message model) alone costs about as much as consuming the message: a handler that
does nothing runs at half the rate of aio-pika's own consumer on this machine. Intake's report queues are
therefore consumed here, on a channel of their own with a larger prefetch, so that the reports delivered
together are placed together (``IntakeService.receive`` batches them per partition).

What a message gets is what the FastStream subscriber gives it (handlers.py ``receive_report``, still used on
the in-process bus and in the AsyncAPI document): the same body checks and parking reasons, the same sender
check (the broker-validated ``user_id`` and the routing key), ``RetryLater`` to the consumer's retry queue,
``Parked`` to parking, anything else nacked back to the quorum queue, whose delivery limit parks a poison
message. A message is acked only after its report is stored (or parked).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import structlog
from aio_pika.abc import AbstractRobustChannel
from aiormq.abc import AbstractChannel as WireChannel
from aiormq.abc import DeliveredMessage
from faststream.rabbit import RabbitBroker

from services.intake.domain.errors import ReportRejected
from services.intake.handlers import bus_sender, parked_for
from services.intake.service import QUIET_TURNS, IntakeService, ReceiveResult
from shared import metrics
from shared.bus import Bus, Parked, RetryLater, body_problem
from shared.settings import IntakeSettings
from shared.topology import EVENTS, Consumer, work_queue

log = structlog.get_logger("zhiban.intake.pump")


@dataclass(frozen=True)
class Delivery:
    """A delivered message seen as the parts of FastStream's RabbitMessage that Bus.park, Bus.retry_later and
    delivered_as read (``raw_message`` is itself: routing key, exchange, user)."""

    message: DeliveredMessage

    @property
    def raw_message(self) -> Delivery:
        return self

    @property
    def body(self) -> bytes:
        return self.message.body

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.message.header.properties.headers or {})

    @property
    def message_id(self) -> str | None:
        return self.message.header.properties.message_id

    @property
    def content_type(self) -> str | None:
        return self.message.header.properties.content_type

    @property
    def user_id(self) -> str | None:
        return self.message.header.properties.user_id

    @property
    def routing_key(self) -> str:
        return self.message.routing_key or ""

    @property
    def exchange(self) -> str | None:
        return self.message.exchange

    @property
    def tag(self) -> int:
        return int(self.message.delivery_tag or 0)


class ReportPump:
    """Consumes the report queues on a channel of its own and hands what arrived together to the placers
    at once: one task takes every delivery waiting, normalises each (or parks it), queues each for its
    partition's placer (``IntakeService.submit``), waits for all of them, parks or delays those that need it,
    nacks those that failed, and acks the rest with one ``multiple`` ack."""

    def __init__(self, svc: IntakeService, bus_of: Any, settings: IntakeSettings, consumers: list[Consumer]) -> None:
        self.svc = svc
        self.bus_of = bus_of
        self.settings = settings
        self.consumers = consumers
        self._channel: AbstractRobustChannel | None = None
        self._wire: WireChannel | None = None
        self._tags: list[str] = []
        self._broker: RabbitBroker
        self._restart: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._inbox: list[tuple[Delivery, Consumer]] = []
        self._arrived = asyncio.Event()

    async def start(self, broker: RabbitBroker) -> None:
        """Declare and bind the report queues as the FastStream subscriber would, then consume them; after
        the broker connection comes back (a broker restart), consume again on a fresh channel."""
        self._broker = broker
        await self._consume()
        connection = broker._connection
        if connection is not None:
            connection.reconnect_callbacks.add(self._reconnected)

    def _reconnected(self, *_: object) -> None:
        # aio-pika restores its robust channels itself, but not a consumer made on the wire channel below
        # (tests/integration/test_escalation_broker_restart.py): start over on a new channel
        self._restart = asyncio.get_running_loop().create_task(self._consume_again())

    async def _consume_again(self) -> None:
        try:
            await self.stop()
            await self._consume()
        except Exception as exc:
            log.error("report pump could not consume again after a reconnect", error=str(exc)[:300])

    async def _consume(self) -> None:
        broker = self._broker
        connection = broker._connection  # FastStream's robust aio-pika connection
        if connection is None:
            raise RuntimeError("the broker is not connected")
        exchange = await broker.declare_exchange(EVENTS)
        partitioned = self.settings.partitions > 1
        self._channel = await connection.channel(publisher_confirms=False)  # type: ignore[assignment]
        assert self._channel is not None
        await self._channel.set_qos(prefetch_count=self.settings.report_prefetch)
        # aiormq's channel under aio-pika's: a delivery reaches us without aio-pika's message object and the
        # task it starts per message, and is acked with the others of its batch
        self._wire = wire = await self._channel.get_underlay_channel()
        self._worker = asyncio.get_running_loop().create_task(self._work(), name="intake:report-pump")
        for c in self.consumers:
            declared = work_queue(c, delivery_limit=self.settings.delivery_limit, single_active=partitioned)
            queue = await broker.declare_queue(declared)
            await queue.bind(exchange, routing_key=c.routing_key)
            ok = await wire.basic_consume(c.queue_name, self._receiver(c), no_ack=False)
            self._tags.append(str(ok.consumer_tag))
        log.info("report pump consuming", queues=[c.queue_name for c in self.consumers],
                 prefetch=self.settings.report_prefetch)

    async def stop(self) -> None:
        wire, self._wire = self._wire, None
        for tag in self._tags:
            try:
                if wire is not None and not wire.is_closed:
                    await wire.basic_cancel(tag)
            except Exception as exc:  # the connection may be gone already
                log.info("report pump: cancel failed", error=str(exc)[:200])
        self._tags.clear()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        self._inbox.clear()  # unacked: the broker delivers them again (a report is placed once, by its key)
        if self._channel is not None:
            try:
                await self._channel.close()
            except Exception as exc:
                log.info("report pump: channel close failed", error=str(exc)[:200])
            self._channel = None

    def _receiver(self, c: Consumer) -> Any:
        async def delivered(message: DeliveredMessage) -> None:
            self._inbox.append((Delivery(message), c))
            self._arrived.set()

        return delivered

    async def _work(self) -> None:
        limit = self.settings.placement_batch
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            # let the deliveries on their way join (a delivery takes a few turns of the event loop from the
            # socket to here): take the inbox once it has not grown for QUIET_TURNS turns
            size, quiet, turns = len(self._inbox), 0, 0
            while quiet < QUIET_TURNS and len(self._inbox) < limit and turns < 64:
                await asyncio.sleep(0)
                quiet, size, turns = (quiet + 1 if len(self._inbox) == size else 0), len(self._inbox), turns + 1
            batch, self._inbox = self._inbox, []
            if batch:
                try:
                    await self.handle(batch)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # never lose the pump, nor leave a delivery unsettled (a later ``multiple`` ack would
                    # take it along unplaced): the whole batch goes back to the queue
                    log.exception("report pump batch failed; back to the queue", error=str(exc)[:300])
                    await self._settle([], [d for d, _ in batch])

    async def handle(self, batch: list[tuple[Delivery, Consumer]]) -> None:
        """Every delivery of ``batch`` settled: acked once its report is stored (or it is parked or delayed),
        nacked back to the queue if that failed."""
        started = time.perf_counter()
        bus: Bus = self.bus_of()
        acks: list[Delivery] = []
        nacks: list[Delivery] = []
        placing: list[tuple[Delivery, Consumer, asyncio.Future[ReceiveResult]]] = []
        outcomes: dict[tuple[str, str], int] = {}
        for delivery, c in batch:
            try:
                outcome = await self._take(bus, delivery, c, placing, acks, nacks)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # this delivery alone goes back to the queue (its delivery limit parks it)
                log.exception("report failed; back to the queue", consumer=c.queue_name, error=str(exc)[:300])
                nacks.append(delivery)
                outcome = "error"
            if outcome is not None:
                outcomes[c.name, outcome] = outcomes.get((c.name, outcome), 0) + 1
        results = await asyncio.gather(*(f for _, _, f in placing), return_exceptions=True)
        for (delivery, c, _), result in zip(placing, results, strict=True):
            outcome = "ok"
            if isinstance(result, Parked):
                outcome = "parked"
                await self._park(bus, delivery, c, result, acks, nacks)
            elif isinstance(result, RetryLater):
                outcome = "retry"
                log.info("retry later", consumer=c.queue_name, reason=str(result))
                await self._keep(bus.retry_later(delivery, c, delay_ms=self.settings.retry_delay_ms,  # type: ignore[arg-type]
                                                 max_retries=self.settings.max_retries, reason=str(result)),
                                 delivery, acks, nacks)
            elif isinstance(result, BaseException):  # an error, or its placement was cancelled
                outcome = "error"
                log.error("report failed; back to the queue", consumer=c.queue_name, error=str(result)[:300])
                nacks.append(delivery)
            else:
                acks.append(delivery)
            outcomes[c.name, outcome] = outcomes.get((c.name, outcome), 0) + 1
        await self._settle(acks, nacks)
        took = time.perf_counter() - started
        for (name, outcome), count in outcomes.items():
            metrics.labelled(metrics.HANDLED, bus.service, name, outcome).inc(count)
            latency = metrics.labelled(metrics.LATENCY, bus.service, name)
            for _ in range(count):
                latency.observe(took)

    async def _take(self, bus: Bus, delivery: Delivery, c: Consumer,
                    placing: list[tuple[Delivery, Consumer, asyncio.Future[ReceiveResult]]],
                    acks: list[Delivery], nacks: list[Delivery]) -> str | None:
        """Normalise one delivery and queue it for placement (None), or park it now ("parked")."""
        try:
            report = self.svc.normalise(delivery.body)
        except ReportRejected as refused:
            problem = body_problem(delivery.body, max_bytes=self.settings.max_message_bytes)
            if problem is not None:  # as the bus guard does: parked under the routing key it came on
                await self._keep(bus.park(delivery, code=problem.code, reason_zh=problem.reason_zh,  # type: ignore[arg-type]
                                          consumer=delivery.routing_key or "unknown"), delivery, acks, nacks)
            else:
                await self._park(bus, delivery, c, parked_for(refused), acks, nacks)
            return "parked"
        try:
            placing.append((delivery, c, self.svc.submit(report, sender=bus_sender(delivery, c))))
        except Parked as parked:
            await self._park(bus, delivery, c, parked, acks, nacks)
            return "parked"
        return None

    async def _park(self, bus: Bus, delivery: Delivery, c: Consumer, parked: Parked, acks: list[Delivery],
                    nacks: list[Delivery]) -> None:
        await self._keep(bus.park(delivery, code=parked.code, reason_zh=parked.reason_zh, consumer=c.name),  # type: ignore[arg-type]
                         delivery, acks, nacks)

    @staticmethod
    async def _keep(kept: Any, delivery: Delivery, acks: list[Delivery], nacks: list[Delivery]) -> None:
        """Ack once the message is kept elsewhere (parking, the retry queue); if that fails, nack it back."""
        try:
            await kept
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("could not park or delay a report; back to the queue", error=str(exc)[:300])
            nacks.append(delivery)
            return
        acks.append(delivery)

    @staticmethod
    async def _settle(acks: list[Delivery], nacks: list[Delivery]) -> None:
        """Nacks first, one by one; then the acks of each channel at once when none of that channel's
        deliveries up to the last one acked stays unsettled, else one by one. A delivery whose channel has
        closed meanwhile (a reconnect) is left alone: the broker delivers it again."""
        for delivery in nacks:
            try:
                await delivery.message.channel.basic_nack(delivery.tag, requeue=True)
            except Exception as exc:  # the channel is gone: the broker redelivers it anyway
                log.info("nack failed", error=str(exc)[:200])
        by_channel: dict[int, list[Delivery]] = {}
        for delivery in acks:
            by_channel.setdefault(id(delivery.message.channel), []).append(delivery)
        for group in by_channel.values():
            channel = group[0].message.channel
            try:
                if channel.is_closed:
                    continue
                tags = sorted(d.tag for d in group)
                # every delivery of this batch is in acks or nacks, and the batches before are settled: one
                # ``multiple`` ack is safe when the acked tags are consecutive (no nacked one among them)
                if tags[-1] - tags[0] + 1 == len(tags):
                    await channel.basic_ack(tags[-1], multiple=True)
                else:
                    for tag in tags:
                        await channel.basic_ack(tag)
            except Exception as exc:
                log.info("ack failed; the broker delivers again", error=str(exc)[:200])
