"""Which gateways a channel uses, from NotifySettings (wiring only, no rules).

``settings.gateways`` maps a channel to gateway names in failover order, e.g.
``{"sms": ["kannel", "smpp"], "fax": ["hylafax", "emailfax"], "phone": ["baresip"]}``.
A channel that is not listed goes to the spool, so the embedded mode and drills need no gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.notify.gateways.base import DeliveryListener, Gateway, OutboundMessage, SendResult
from services.notify.gateways.emailfax import EmailFaxConfig, EmailFaxGateway
from services.notify.gateways.hylafax import HylafaxConfig, HylafaxGateway
from services.notify.gateways.journal import JournalledGateway
from services.notify.gateways.kannel import KannelConfig, KannelSmsGateway
from services.notify.gateways.smpp import SmppConfig, SmppSmsGateway
from services.notify.gateways.spool import SpoolGateway
from services.notify.gateways.voice import BaresipVoiceGateway, VoiceConfig
from shared.settings import NotifySettings

CHANNELS = ("sms", "phone", "fax", "email", "spool")
KNOWN = ("spool", "kannel", "smpp", "emailfax", "hylafax", "baresip")


class DrillDelay:
    """Drills and tests only (``drill_send_delay_s``): the gateway took the message, and the answer
    comes back late — the window in which a crash leaves a message in ``sending``."""

    def __init__(self, inner: Gateway, delay_s: float) -> None:
        self.inner, self.delay_s = inner, delay_s
        self.name, self.channel = inner.name, inner.channel

    async def send(self, msg: OutboundMessage) -> SendResult:
        result = await self.inner.send(msg)
        await asyncio.sleep(self.delay_s)
        return result

    async def lookup(self, notification_id: str) -> bool | None:
        lookup = getattr(self.inner, "lookup", None)
        return await lookup(notification_id) if lookup else None

    async def stop(self) -> None:
        stop = getattr(self.inner, "stop", None)
        if stop is not None:
            await stop()


def callback_url(settings: NotifySettings, gateway: str, path: str) -> str:
    secret = settings.receipt_secrets.get(gateway, "")
    return f"{settings.public_base_url.rstrip('/')}/api/v1/notify/{path}?gw={gateway}&secret={secret}"


def build_gateway(name: str, settings: NotifySettings, on_event: DeliveryListener,
                  on_inbound: Callable[[str, str], None] | None = None) -> Gateway:
    if name == "spool":
        return SpoolGateway(settings.spool_dir)
    if name == "kannel":
        return KannelSmsGateway(KannelConfig(
            sendsms_url=settings.kannel_sendsms_url, username=settings.kannel_username,
            password=settings.kannel_password, dlr_callback_url=callback_url(settings, "kannel", "dlr"),
            sender=settings.kannel_sender))
    if name == "smpp":
        return SmppSmsGateway(SmppConfig(host=settings.smpp_host, port=settings.smpp_port,
                                         system_id=settings.smpp_system_id, password=settings.smpp_password),
                              on_event=on_event, on_inbound=on_inbound)
    if name == "emailfax":
        return EmailFaxGateway(EmailFaxConfig(smtp_host=settings.smtp_host, smtp_port=settings.smtp_port,
                                              gateway_domain=settings.fax_mail_domain,
                                              mail_from=settings.fax_mail_from,
                                              max_document_bytes=settings.fax_max_bytes))
    if name == "hylafax":
        return HylafaxGateway(HylafaxConfig(host=settings.hylafax_host, port=settings.hylafax_port,
                                            max_document_bytes=settings.fax_max_bytes,
                                            poll_interval_seconds=settings.hylafax_poll_s), on_event=on_event)
    if name == "baresip":
        return BaresipVoiceGateway(VoiceConfig(ctrl_host=settings.voice_ctrl_host, ctrl_port=settings.voice_ctrl_port,
                                               tts_wav_path=settings.voice_tts_wav), on_event=on_event)
    raise ValueError(f"未知的网关“{name}”，可用：{'、'.join(KNOWN)}")


def build_routes(settings: NotifySettings, on_event: DeliveryListener,
                 on_inbound: Callable[[str, str], None] | None = None) -> dict[str, list[Gateway]]:
    built: dict[str, Gateway] = {}
    routes: dict[str, list[Gateway]] = {}
    for channel in CHANNELS:
        names = settings.gateways.get(channel) or ["spool"]
        for name in names:
            if name not in built:
                gateway = build_gateway(name, settings, on_event, on_inbound)
                if settings.drill_send_delay_s:
                    gateway = DrillDelay(gateway, settings.drill_send_delay_s)
                if settings.send_journal_dir is not None and name != "spool":  # the spool is its own journal
                    gateway = JournalledGateway(gateway, settings.send_journal_dir)
                built[name] = gateway
        routes[channel] = [built[n] for n in names]
    return routes
