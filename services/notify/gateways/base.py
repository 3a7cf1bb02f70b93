"""The one adapter protocol every notify gateway implements, its value types and failover."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one address. ``notification_id`` is the idempotency key end to end."""

    notification_id: str
    to: str  # phone number (E.164), SIP URI, fax number or e-mail address, per channel
    text: str
    subject: str = ""
    document_pdf: bytes | None = None
    attempt: int = 0  # the retry round of this step: (notification_id, attempt) is one hand-over


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    gateway: str
    gateway_message_id: str | None = None
    transient_error: bool = False
    detail: str = ""
    # an earlier hand-over of the same message was interrupted and the gateway cannot say whether it went
    # out: neither retried nor failed over (that could be a second SMS or call); a person decides
    in_doubt: bool = False

    def raise_for_failure(self) -> SendResult:
        """Turns a refusal into ``GatewayError`` so tenacity can retry transient ones."""
        if not self.accepted:
            raise GatewayError(self.detail, transient=self.transient_error and not self.in_doubt,
                               gateway=self.gateway, in_doubt=self.in_doubt)
        return self


class GatewayError(Exception):
    """A gateway refused or could not be reached. ``transient``: the same send may succeed later."""

    def __init__(self, detail: str, *, transient: bool, gateway: str = "", in_doubt: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transient = transient
        self.gateway = gateway
        self.in_doubt = in_doubt

    def as_result(self, gateway: str) -> SendResult:
        return SendResult(accepted=False, gateway=gateway, transient_error=self.transient, detail=self.detail,
                          in_doubt=self.in_doubt)


class DeliveryOutcome(StrEnum):
    """What a gateway reported after acceptance (receipt, call progress, fax job state)."""

    queued = "queued"  # still inside the gateway
    gateway_accepted = "gateway_accepted"  # the network (SMSC, modem) took it
    gateway_rejected = "gateway_rejected"  # the network refused it after the gateway accepted
    ringing = "ringing"
    answered = "answered"
    delivered = "delivered"  # handset receipt, fax received, message played to the end
    acknowledged = "acknowledged"  # the person confirmed (keypress)
    undelivered = "undelivered"
    failed = "failed"


@dataclass(frozen=True)
class DeliveryEvent:
    notification_id: str
    gateway: str
    outcome: DeliveryOutcome
    gateway_message_id: str | None = None
    detail: str = ""
    raw: dict[str, str] = field(default_factory=dict)


class MalformedReceipt(ValueError):
    """A receipt/callback that cannot be understood; recorded, never silently dropped."""


DeliveryListener = Callable[[DeliveryEvent], Awaitable[None] | None]


@runtime_checkable
class Gateway(Protocol):
    name: str
    channel: str  # a shared.contracts.events.NotifyChannel value

    async def send(self, msg: OutboundMessage) -> SendResult: ...


class FailoverGateway:
    """Tries gateways in order; moves to the next only when one is *down* (transient failure).

    A permanent refusal (bad number, rejected document) is returned as is: another gateway would
    refuse it too, and trying it would only risk a second delivery.
    """

    def __init__(self, gateways: Sequence[Gateway], *, name: str | None = None) -> None:
        if not gateways:
            raise ValueError("FailoverGateway 需要至少一个网关")
        channels = {g.channel for g in gateways}
        if len(channels) != 1:
            raise ValueError(f"FailoverGateway 的网关必须属于同一渠道，实际为 {sorted(channels)}")
        self.gateways = list(gateways)
        self.channel = gateways[0].channel
        self.name = name or "failover(" + ",".join(g.name for g in gateways) + ")"

    async def send(self, msg: OutboundMessage) -> SendResult:
        failures: list[str] = []
        for gateway in self.gateways:
            try:
                result = await gateway.send(msg)
            except GatewayError as exc:  # adapters should return results, but be forgiving
                result = exc.as_result(gateway.name)
            if result.accepted or not result.transient_error:
                return result
            failures.append(f"{gateway.name}: {result.detail}")
        return SendResult(
            accepted=False, gateway=self.name, transient_error=True, detail="所有网关均不可用；" + "；".join(failures)
        )


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, GatewayError) and exc.transient


async def send_with_retry(
    gateway: Gateway, msg: OutboundMessage, *, attempts: int = 4, initial_wait: float = 0.5, max_wait: float = 30.0
) -> SendResult:
    """Retries transient failures only, with exponential backoff and jitter; returns the last result."""
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=initial_wait, max=max_wait),
            retry=retry_if_exception(is_transient),
            reraise=True,
        ):
            with attempt:
                return (await gateway.send(msg)).raise_for_failure()
    except GatewayError as exc:
        return exc.as_result(gateway.name)
    raise AssertionError("unreachable: tenacity either returns or reraises")


_TOKEN_SAFE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def id_to_token(notification_id: str) -> str:
    """A notification id as a token safe inside URLs, file names and Kannel's %-escaped dlr-url."""
    if _TOKEN_SAFE.fullmatch(notification_id):
        return notification_id
    return "x." + notification_id.encode("utf-8").hex()


def token_to_id(token: str) -> str:
    if token.startswith("x."):
        try:
            return bytes.fromhex(token[2:]).decode("utf-8")
        except ValueError as exc:
            raise MalformedReceipt(f"无法解析的通知编号标记：{token!r}") from exc
    if not _TOKEN_SAFE.fullmatch(token):
        raise MalformedReceipt(f"无法解析的通知编号标记：{token!r}")
    return token
