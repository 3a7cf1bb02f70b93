"""SMS through Kannel's HTTP interface (smsbox ``/cgi-bin/sendsms``) and its DLR callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx

from services.notify.gateways.base import (
    DeliveryEvent,
    DeliveryOutcome,
    GatewayError,
    MalformedReceipt,
    OutboundMessage,
    SendResult,
    id_to_token,
    token_to_id,
)

# Kannel DLR type codes (dlr-mask bits): 1 delivered, 2 undelivered, 4 queued on SMSC,
# 8 SMSC accepted (ack), 16 SMSC rejected (nack, incl. "Retries Exceeded").
DLR_TYPES: dict[int, DeliveryOutcome] = {
    1: DeliveryOutcome.delivered,
    2: DeliveryOutcome.undelivered,
    4: DeliveryOutcome.queued,
    8: DeliveryOutcome.gateway_accepted,
    16: DeliveryOutcome.gateway_rejected,
}
ALL_DLR_TYPES = 31

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def needs_ucs2(text: str) -> bool:
    """Chinese (anything outside the GSM 7-bit alphabet) must go as UCS-2 (Kannel coding=2)."""
    return any(ch not in _GSM7_BASIC for ch in text)


@dataclass(frozen=True)
class KannelConfig:
    sendsms_url: str  # e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    username: str
    password: str
    dlr_callback_url: str  # our endpoint, e.g. http://127.0.0.1:8080/gateways/kannel/dlr
    sender: str = ""
    smsc_id: str = ""  # route to one SMSC link; empty = Kannel's routing
    dlr_mask: int = ALL_DLR_TYPES
    timeout_seconds: float = 10.0


class KannelSmsGateway:
    channel = "sms"

    def __init__(self, config: KannelConfig, *, name: str = "kannel", client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.name = name
        self._client = client or httpx.AsyncClient(timeout=config.timeout_seconds)
        self._owns_client = client is None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def dlr_url_for(self, notification_id: str) -> str:
        # Kannel expands %d/%A/... itself; our id is made %-free so that expansion cannot touch it.
        joiner = "&" if "?" in self.config.dlr_callback_url else "?"  # the callback may carry gw= and secret=
        return (
            f"{self.config.dlr_callback_url}{joiner}nid={id_to_token(notification_id)}"
            "&type=%d&status=%A&to=%p&smsc=%i&ts=%T&smscmsgid=%F"
        )

    def request_params(self, msg: OutboundMessage) -> dict[str, str]:
        params = {
            "username": self.config.username,
            "password": self.config.password,
            "to": msg.to,
            "text": msg.text,
            "charset": "utf-8",
            "coding": "2" if needs_ucs2(msg.text) else "0",
            "dlr-mask": str(self.config.dlr_mask),
            "dlr-url": self.dlr_url_for(msg.notification_id),  # passed via params: httpx encodes the % escapes
        }
        if self.config.sender:
            params["from"] = self.config.sender
        if self.config.smsc_id:
            params["smsc"] = self.config.smsc_id
        return params

    async def send(self, msg: OutboundMessage) -> SendResult:
        try:
            reply = await self._client.get(self.config.sendsms_url, params=self.request_params(msg))
        except httpx.ConnectError as exc:
            return GatewayError(f"无法连接 Kannel：{exc}", transient=True).as_result(self.name)
        except httpx.TimeoutException as exc:
            # Kannel may or may not have taken it; the caller's idempotency key guards the retry.
            return GatewayError(f"Kannel 响应超时（是否已受理未知）：{exc!r}", transient=True).as_result(self.name)
        except httpx.TransportError as exc:
            return GatewayError(f"与 Kannel 通信失败：{exc!r}", transient=True).as_result(self.name)
        return classify_sendsms_reply(reply.status_code, reply.text, gateway=self.name)


def classify_sendsms_reply(status: int, body: str, *, gateway: str = "kannel") -> SendResult:
    """202 "0: Accepted…" / "3: Queued…" are acceptances; 4xx permanent; 5xx transient; anything else garbage."""
    text = body.strip()
    if status == 202 and (text.startswith("0:") or text.startswith("3:")):
        return SendResult(accepted=True, gateway=gateway, detail=text)
    if 500 <= status < 600:
        return SendResult(accepted=False, gateway=gateway, transient_error=True, detail=f"Kannel 暂时故障 {status}：{text}")
    if 400 <= status < 500:
        return SendResult(accepted=False, gateway=gateway, detail=f"Kannel 拒绝 {status}：{text}")
    # Unknown reply: do not retry blindly, the message may have been taken.
    return SendResult(accepted=False, gateway=gateway, detail=f"Kannel 返回无法识别的应答 {status}：{text[:200]}")


def parse_dlr(query: str | Mapping[str, str], *, gateway: str = "kannel") -> DeliveryEvent:
    """Parses the dlr-url callback query (``nid``, ``type``, ``status``, ...) into a DeliveryEvent."""
    fields = dict(parse_qsl(query, keep_blank_values=True)) if isinstance(query, str) else dict(query)
    token = fields.get("nid", "")
    if not token:
        raise MalformedReceipt("回执缺少通知编号（nid）")
    try:
        code = int(fields.get("type", ""))
    except ValueError as exc:
        raise MalformedReceipt(f"回执类型不是数字：{fields.get('type')!r}") from exc
    if code not in DLR_TYPES:
        raise MalformedReceipt(f"未知的回执类型：{code}")
    status = fields.get("status", "")
    smpp_fields = parse_smpp_receipt_text(status)
    return DeliveryEvent(
        notification_id=token_to_id(token),
        gateway=gateway,
        outcome=DLR_TYPES[code],
        gateway_message_id=fields.get("smscmsgid") or smpp_fields.get("id") or None,
        detail=status,
        raw=fields,
    )


def parse_smpp_receipt_text(text: str) -> dict[str, str]:
    """``id:1000 sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD err:000 text:…`` → fields."""
    out: dict[str, str] = {}
    rest = text
    if "text:" in rest:  # the tail is free text that may contain colons
        rest, _, out["text"] = rest.partition("text:")
    rest = rest.replace("submit date:", "submit_date:").replace("done date:", "done_date:")
    for part in rest.split():
        key, sep, value = part.partition(":")
        if sep:
            out[key.lower()] = value
    return out
