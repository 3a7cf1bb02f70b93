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
from dataclasses import dataclass
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustQueue
from faststream.rabbit import RabbitBroker

from services.intake.domain.errors import ReportRejected
from services.intake.handlers import parked_for, receive_normalised
from services.intake.service import IntakeService
from shared import metrics
from shared.bus import Bus, Parked, RetryLater, body_problem
from shared.settings import IntakeSettings
from shared.topology import EVENTS, Consumer, work_queue

log = structlog.get_logger("zhiban.intake.pump")


@dataclass(frozen=True)
class Delivery:
    """An aio-pika message seen as the parts of FastStream's RabbitMessage that Bus.park and
    Bus.retry_later read."""

    raw_message: AbstractIncomingMessage

    @property
    def body(self) -> bytes:
        return self.raw_message.body

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.raw_message.headers or {})

    @property
    def message_id(self) -> str | None:
        return self.raw_message.message_id

    @property
    def content_type(self) -> str | None:
        return self.raw_message.content_type


class ReportPump:
    def __init__(self, svc: IntakeService, bus_of: Any, settings: IntakeSettings, consumers: list[Consumer]) -> None:
        self.svc = svc
        self.bus_of = bus_of
        self.settings = settings
        self.consumers = consumers
        self._channel: AbstractRobustChannel | None = None
        self._queues: list[tuple[AbstractRobustQueue, str]] = []
        self._broker: RabbitBroker
        self._restart: asyncio.Task[None] | None = None
        self._metrics: dict[tuple[Any, tuple[str, ...]], Any] = {}

    async def start(self, broker: RabbitBroker) -> None:
        """Declare and bind the report queues as the FastStream subscriber would, then consume them; after
        the broker connection comes back (a broker restart), consume again on a fresh channel."""
        self._broker = broker
        await self._consume()
        connection = broker._connection
        if connection is not None:
            connection.reconnect_callbacks.add(self._reconnected)

    def _reconnected(self, *_: object) -> None:
        # aio-pika restores its robust channels itself, but a restored pump channel did not get its consumer
        # back (tests/integration/test_escalation_broker_restart.py caught it): start over on a new channel
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
        for c in self.consumers:
            declared = work_queue(c, delivery_limit=self.settings.delivery_limit, single_active=partitioned)
            queue = await broker.declare_queue(declared)
            await queue.bind(exchange, routing_key=c.routing_key)
            own = await self._channel.get_queue(c.queue_name, ensure=False)
            tag = await own.consume(self._handler(c))
            self._queues.append((own, tag))  # type: ignore[arg-type]
        log.info("report pump consuming", queues=[c.queue_name for c in self.consumers],
                 prefetch=self.settings.report_prefetch)

    async def stop(self) -> None:
        for queue, tag in self._queues:
            try:
                await queue.cancel(tag)
            except Exception as exc:  # the connection may be gone already
                log.info("report pump: cancel failed", error=str(exc)[:200])
        self._queues.clear()
        if self._channel is not None:
            try:
                await self._channel.close()
            except Exception as exc:
                log.info("report pump: channel close failed", error=str(exc)[:200])
            self._channel = None

    def _handler(self, c: Consumer) -> Any:
        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await self.handle(message, c)

        return on_message

    def _metric(self, metric: Any, *labels: str) -> Any:
        """A labelled child of a metric, looked up once (prometheus_client's ``labels`` costs per call)."""
        child = self._metrics.get((metric, labels))
        if child is None:
            child = self._metrics[(metric, labels)] = metric.labels(*labels)
        return child

    async def handle(self, message: AbstractIncomingMessage, c: Consumer) -> None:
        bus: Bus = self.bus_of()
        delivery = Delivery(message)
        outcome = "error"
        try:
            with self._metric(metrics.LATENCY, bus.service, c.name).time():
                try:
                    report = self.svc.normalise(message.body)
                except ReportRejected as refused:
                    problem = body_problem(message.body, max_bytes=self.settings.max_message_bytes)
                    if problem is not None:  # as the bus guard does: parked under the routing key it came on
                        outcome = "parked"
                        await self._settle(message, bus.park(delivery, code=problem.code,  # type: ignore[arg-type]
                                                             reason_zh=problem.reason_zh,
                                                             consumer=message.routing_key or "unknown"))
                        return
                    raise parked_for(refused) from None
                await receive_normalised(self.svc, report, delivery, c)
            outcome = "ok"
            await message.ack()
        except Parked as parked:
            outcome = "parked"
            await self._settle(message, bus.park(delivery, code=parked.code, reason_zh=parked.reason_zh,  # type: ignore[arg-type]
                                                 consumer=c.name))
        except RetryLater as exc:
            outcome = "retry"
            log.info("retry later", consumer=c.queue_name, reason=str(exc))
            await self._settle(message, bus.retry_later(delivery, c, delay_ms=self.settings.retry_delay_ms,  # type: ignore[arg-type]
                                                        max_retries=self.settings.max_retries, reason=str(exc)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("report failed; back to the queue", consumer=c.queue_name, error=str(exc)[:300])
            await self._nack(message)
        finally:
            self._metric(metrics.HANDLED, bus.service, c.name, outcome).inc()

    async def _settle(self, message: AbstractIncomingMessage, kept: Any) -> None:
        """Ack once the message is kept elsewhere (parking, the retry queue); if that fails, nack it back."""
        try:
            await kept
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("could not park or delay a report; back to the queue", error=str(exc)[:300])
            await self._nack(message)
            return
        await message.ack()

    @staticmethod
    async def _nack(message: AbstractIncomingMessage) -> None:
        try:
            await message.nack(requeue=True)
        except Exception as exc:  # the channel is gone: the broker redelivers it anyway
            log.info("nack failed", error=str(exc)[:200])
