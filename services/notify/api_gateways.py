"""Routes the gateways and the recipients call. Kannel cannot send a bearer token, and a person opening
an ack link on a phone has none, so these authenticate differently (docs/notify-gateways.md):

- receipts (Kannel DLRs, HylaFAX's done/failed/requeued notify script), SMS replies and keypresses: ``gw=<gateway>&secret=<that gateway's secret>`` in the URL
  (NotifySettings.receipt_secrets), compared in constant time; missing or wrong → 401;
- ack links: the HMAC-signed token in the path; forged or expired → 401.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.notify.domain.acks import AckError, parse_keypress
from services.notify.gateways.base import DeliveryEvent, DeliveryOutcome, MalformedReceipt, token_to_id
from services.notify.gateways.hylafax import parse_webhook
from services.notify.gateways.kannel import parse_dlr
from services.notify.service import NotifyService
from services.notify.service_events import Events
from shared.http import ApiError


def _gateway(request: Request, svc: NotifyService) -> str:
    gateway = request.query_params.get("gw", "")
    secret = request.query_params.get("secret", "")
    expected = svc.settings.receipt_secrets.get(gateway, "")
    if not secret or not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise ApiError(401, "unauthenticated", "回调未携带有效的网关密钥")
    return gateway


def add_routes(router: APIRouter, svc: NotifyService, events: Events) -> None:
    @router.get("/notify/dlr", summary="Kannel 投递回执（dlr-url，网关密钥鉴权）")
    async def dlr(request: Request) -> dict[str, Any]:
        gateway = _gateway(request, svc)
        fields = dict(request.query_params)
        try:
            event = parse_dlr(fields, gateway=gateway)
        except MalformedReceipt as exc:
            return {"outcome": await events.malformed(exc, fields, gateway)}
        return {"outcome": await events.receipt(event)}

    @router.get("/notify/fax", summary="HylaFAX 传真任务通知（服务器 notify 脚本，网关密钥鉴权）")
    async def fax_job(request: Request) -> dict[str, Any]:
        gateway = _gateway(request, svc)
        fields = dict(request.query_params)
        try:
            event = parse_webhook(fields, gateway=gateway)
        except MalformedReceipt as exc:
            return {"outcome": await events.malformed(exc, fields, gateway)}
        return {"outcome": await events.receipt(event)}

    @router.get("/notify/mo", summary="短信回复（Kannel sms-service get-url，网关密钥鉴权）")
    async def mo(request: Request) -> dict[str, Any]:
        _gateway(request, svc)
        sender, text = request.query_params.get("from", ""), request.query_params.get("text", "")
        return {"outcome": await events.sms_reply(sender, text)}

    @router.get("/notify/keypress", summary="语音通话按键（网关密钥鉴权）")
    async def keypress(request: Request) -> dict[str, Any]:
        gateway = _gateway(request, svc)
        token, digits = request.query_params.get("nid", ""), request.query_params.get("dtmf", "")
        if parse_keypress(digits).value != "acknowledge":
            return {"outcome": "ignored"}
        try:
            nid = token_to_id(token)
        except MalformedReceipt as exc:
            return {"outcome": await events.malformed(exc, {"nid": token}, gateway)}
        event = DeliveryEvent(nid, gateway, DeliveryOutcome.acknowledged, detail=f"按键 {digits}")
        return {"outcome": await events.receipt(event)}

    @router.get("/notify/ack/{token}", summary="确认链接（签名令牌鉴权）", response_class=HTMLResponse)
    async def ack_link(token: str) -> HTMLResponse:
        try:
            outcome, _ = await events.link(token)
        except AckError as exc:
            raise ApiError(401, "invalid_ack_link", str(exc)) from exc
        text = {"acknowledged": "已确认收到，谢谢。", "already_acknowledged": "此前已确认，无需重复操作。"}.get(
            outcome, "确认未能登记，请回复短信确认码或致电值班室。")
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>值班室通知确认</title><p>{text}</p>")
