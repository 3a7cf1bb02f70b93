"""The one adapter protocol every gateway implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: str
    to: str
    text: str
    subject: str = ""
    document_pdf: bytes | None = None


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    gateway_message_id: str | None = None
    delivered: bool = False  # the gateway is itself the destination (spool) or confirmed at once
    detail: str = ""


class GatewayError(Exception):
    def __init__(self, detail: str, *, transient: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transient = transient


class Gateway(Protocol):
    name: str
    channel: str

    async def send(self, msg: OutboundMessage) -> SendResult: ...
