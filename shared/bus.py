"""Bus plumbing shared by every service: the broker, publishing, parking bad input, delayed retry.

Handlers stay thin: ``subscribe(router, consumer, Model)`` gives them a validated contract model; anything
that cannot become one (not JSON, fails the contract, too large) is parked with its reason and acked,
so it never crashes a consumer and is never lost. A handler raising ``RetryLater`` has its message parked
for a while in the consumer's TTL retry queue; any other exception is nacked back to the quorum queue,
whose ``x-delivery-limit`` dead-letters a poison message to parking after that many attempts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from faststream import AckPolicy, BaseMiddleware
from faststream.rabbit import Channel, RabbitBroker, RabbitRouter
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel, ValidationError

from shared import metrics
from shared.settings import ServiceSettings
from shared.topology import EVENTS, PARKING_EXCHANGE, Consumer, retry_queue, work_queue
from shared.validation_zh import message_zh

log = structlog.get_logger("zhiban.bus")
RETRIES_HEADER = "x-zhiban-retries"
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


class RetryLater(Exception):  # noqa: N818 - a signal, not an error
    """A transient failure (a peer did not answer): try this message again after the retry delay."""


class Parked(Exception):  # noqa: N818
    """This message can never be processed as it is: park it for a person, with a code and a reason."""

    def __init__(self, code: str, reason_zh: str) -> None:
        super().__init__(f"{code}: {reason_zh}")
        self.code = code
        self.reason_zh = reason_zh


def make_broker(settings: ServiceSettings) -> RabbitBroker:
    return RabbitBroker(
        settings.amqp_url,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True, prefetch_count=settings.prefetch),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        graceful_timeout=10.0,
        log_level=logging.DEBUG,  # per-message access lines are debug: at WARNING they flood the log
    )


PUBLISH_TIMEOUT_S = 30.0


class Bus:
    """Publishes contract models on the events exchange: persistent, confirmed, unroutable raises.

    While the broker is down (a restart, an outage) aio-pika's robust connection reconnects by itself, but a
    publish or request made meanwhile can wait for the connection instead of failing — FastStream's request
    timeout does not cover setting up the reply consumer. Both are bounded here, so a caller gets TimeoutError
    in time: the outbox keeps the event and retries it, escalation falls back to the roster it holds."""

    def __init__(self, broker: RabbitBroker, *, service: str, publish_timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self.broker = broker
        self.service = service
        self.publish_timeout_s = publish_timeout_s

    async def publish(
        self, routing_key: str, message: BaseModel, *, message_id: str, headers: dict[str, Any] | None = None
    ) -> None:
        await self.publish_json(
            routing_key, message.model_dump(mode="json", by_alias=True), message_id=message_id, headers=headers
        )

    async def publish_json(
        self, routing_key: str, payload: Any, *, message_id: str, headers: dict[str, Any] | None = None
    ) -> None:
        async with asyncio.timeout(self.publish_timeout_s):
            await self.broker.publish(
                payload,
                exchange=EVENTS,
                routing_key=routing_key,
                persist=True,
                mandatory=True,
                message_id=message_id,
                headers={"x-zhiban-from": self.service, **(headers or {})},
                content_type="application/json",
            )
        metrics.labelled(metrics.PUBLISHED, self.service, routing_key).inc()

    async def publish_batch(self, items: list[tuple[str, Any, str]]) -> list[BaseException | None]:
        """Publish (routing key, JSON payload, message id) items at once (their confirms awaited together);
        one outcome per item, None when confirmed. The outbox relay sends its events this way.

        Through FastStream like every publish. A channel of the bus's own, with aio-pika directly, was tried
        (ADR 0005): intake's CPU per report did not change, and the 99th percentile of publish → notify.send
        at 20 reports/s rose from 100–150 ms to 0.4–1.2 s, so it was taken out."""
        results = await asyncio.gather(*(self.publish_json(key, payload, message_id=message_id)
                                          for key, payload, message_id in items), return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]

    async def request(self, routing_key: str, message: BaseModel, *, timeout: float) -> Any:
        """Ask and wait for the answer: TimeoutError after ``timeout`` seconds in all, the broker down included."""
        async with asyncio.timeout(timeout):
            reply = await self.broker.request(
                message.model_dump(mode="json", by_alias=True),
                exchange=EVENTS,
                routing_key=routing_key,
                timeout=timeout,
                content_type="application/json",
            )
            return await reply.decode()

    async def park(self, msg: RabbitMessage, *, code: str, reason_zh: str, consumer: str) -> None:
        raw = msg.raw_message
        routing_key = getattr(raw, "routing_key", "") or ""
        await self.broker.publish(
            msg.body,
            exchange=PARKING_EXCHANGE,
            routing_key=f"parked.{self.service}.{consumer}",
            persist=True,
            message_id=msg.message_id,
            headers={
                **{k: v for k, v in (msg.headers or {}).items() if isinstance(v, str | int | float | bool)},
                "x-zhiban-reason": code,
                "x-zhiban-error": reason_zh,
                "x-zhiban-service": self.service,
                "x-zhiban-consumer": consumer,
                "x-zhiban-routing-key": routing_key,
                "x-zhiban-user-id": getattr(raw, "user_id", None) or "",
            },
        )
        metrics.labelled(metrics.PARKED, self.service, code).inc()
        log.warning("message parked", service=self.service, code=code, reason=reason_zh, routing_key=routing_key)

    async def retry_later(self, msg: RabbitMessage, c: Consumer, *, delay_ms: int, max_retries: int, reason: str) -> None:
        """Hold the message in the consumer's TTL queue, then redeliver it; park it when retries run out."""
        headers = dict(msg.headers or {})
        retries = int(headers.get(RETRIES_HEADER, 0)) + 1
        if retries > max_retries:
            await self.park(msg, code="retries_exhausted", consumer=c.name,
                            reason_zh=f"重试{max_retries}次仍未成功，转人工处理：{reason}")
            return
        routing_key, user = delivered_as(msg, c)
        await self.broker.declare_queue(retry_queue(c, delay_ms=delay_ms))
        await self.broker.publish(
            msg.body,
            queue=c.retry_queue_name,
            persist=True,
            message_id=msg.message_id,
            # the original routing key and broker-validated user travel as headers: the message comes back
            # from the retry queue on the default exchange, keyed by the queue's name, and this service may
            # not publish as another user (RabbitMQ refuses a user_id that is not the connection's)
            headers={**headers, RETRIES_HEADER: retries, RETRIED_ROUTING_KEY: routing_key, RETRIED_USER: user or ""},
            content_type=msg.content_type,
        )


RETRIED_ROUTING_KEY = "x-zhiban-retried-routing-key"
RETRIED_USER = "x-zhiban-retried-user-id"


def delivered_as(msg: Any, c: Consumer) -> tuple[str, str | None]:
    """The routing key and broker-validated user (AMQP ``user_id``) a message was first published with.

    A message back from the consumer's own retry queue arrives on the default exchange keyed by the work
    queue's name, published by this service: its original key and user are in the headers ``retry_later``
    set. Only then are those headers trusted — no publisher on zhiban.events can deliver that way, and a
    header a unit system sets on its own report is ignored."""
    raw = msg.raw_message
    routing_key = getattr(raw, "routing_key", "") or ""
    user = getattr(raw, "user_id", None)
    if getattr(raw, "exchange", None) == "" and routing_key == c.queue_name:
        headers = msg.headers or {}
        return str(headers.get(RETRIED_ROUTING_KEY) or ""), (str(headers.get(RETRIED_USER) or "") or None)
    return routing_key, user


def body_problem(body: bytes, *, max_bytes: int) -> Parked | None:
    """What is wrong with a raw body before any contract is tried, in words a person reads."""
    if len(body) > max_bytes:
        return Parked("too_large", f"消息过大：{len(body)} 字节，上限 {max_bytes} 字节")
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Parked("not_utf8", f"消息不是UTF-8编码（第{exc.start}字节）")
    except json.JSONDecodeError as exc:
        return Parked("not_json", f"消息不是合法的JSON：第{exc.lineno}行第{exc.colno}列，{exc.msg}")
    return None


def contract_problem(exc: ValidationError) -> Parked:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"][1:] if p != "body") or "（整条消息）"
        parts.append(f"字段 {where}：{message_zh(err)}")
    return Parked("contract", "不符合消息契约：" + "；".join(parts))


def subscribe(
    router: RabbitRouter,
    bus_of: Callable[[], Bus],
    c: Consumer,
    model: type[BaseModel],
    settings: ServiceSettings,
    *,
    returns: Any = None,
    single_active: bool = False,
    name: str | None = None,
) -> Callable[[Callable[[Any, RabbitMessage], Awaitable[Any]]], Any]:
    """Register ``fn(payload, msg)`` on the consumer's quorum queue with parking and retry around it.
    ``name`` distinguishes one function subscribed to several queues (it names the AsyncAPI operation)."""

    def decorate(fn: Callable[[Any, RabbitMessage], Awaitable[Any]]) -> Any:
        async def handler(body: Any, msg: RabbitMessage) -> Any:
            service = bus_of().service
            outcome = "error"
            try:
                with metrics.labelled(metrics.LATENCY, service, c.name).time():
                    result = await fn(body, msg)
                outcome = "ok"
                return result
            except RetryLater as exc:
                outcome = "retry"
                log.info("retry later", consumer=c.queue_name, reason=str(exc))
                await bus_of().retry_later(msg, c, delay_ms=settings.retry_delay_ms,
                                           max_retries=settings.max_retries, reason=str(exc))
                return None
            except Parked as parked:
                outcome = "parked"
                await bus_of().park(msg, code=parked.code, reason_zh=parked.reason_zh, consumer=c.name)
                return None
            finally:
                metrics.labelled(metrics.HANDLED, service, c.name, outcome).inc()

        handler.__name__ = name or fn.__name__
        handler.__qualname__ = name or fn.__qualname__
        handler.__doc__ = fn.__doc__
        handler.__annotations__ = {"body": model, "msg": RabbitMessage, "return": returns}
        return router.subscriber(
            work_queue(c, delivery_limit=settings.delivery_limit, single_active=single_active),
            EVENTS,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{c.queue_name}:consume",
            description=fn.__doc__,
        )(handler)

    return decorate


def guard_middleware(bus_of: Callable[[], Bus], settings: ServiceSettings) -> type[BaseMiddleware]:
    """Router middleware: bad bodies and contract failures are parked (and acked) before a handler runs."""

    class Guard(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            problem = body_problem(msg.body, max_bytes=settings.max_message_bytes)
            consumer = _consumer_name(msg)
            if problem is not None:
                await bus_of().park(msg, code=problem.code, reason_zh=problem.reason_zh, consumer=consumer)
                return None
            try:
                return await call_next(msg)
            except ValidationError as exc:
                parked = contract_problem(exc)
                await bus_of().park(msg, code=parked.code, reason_zh=parked.reason_zh, consumer=consumer)
                return None

        async def publish_scope(self, call_next: Any, cmd: Any) -> Any:
            # A handler's reply goes to the asker's direct reply-to, which RabbitMQ (3.x) treats as no queue: a
            # mandatory reply comes back NO_ROUTE although it was delivered, and with on_return_raises the
            # answered query was nacked, redelivered up to its delivery limit and parked. Replies are sent
            # without mandatory; one the asker no longer waits for (it timed out) is rightly dropped.
            if str(getattr(cmd, "destination", "")).startswith(DIRECT_REPLY_TO):
                cmd.publish_options["mandatory"] = False
            return await call_next(cmd)

    return Guard


def _consumer_name(msg: Any) -> str:
    return getattr(msg.raw_message, "routing_key", "") or "unknown"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
