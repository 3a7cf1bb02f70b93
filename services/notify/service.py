"""Notify's service layer: one delivery per request, whatever the broker redelivers.

The notification id is the message's key: a second ``notify.send`` with the same id finds the message
and does nothing once it has left ``pending``/``sending``. A message found in ``sending`` (the process died
during a send) is sent again only through a gateway that is idempotent per id (the spool writes one file
per id); every transition is stored, then published through the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from services.notify.domain.masking import mask_contact
from services.notify.gateways.base import Gateway, GatewayError, OutboundMessage
from shared.clock import Clock
from shared.contracts import NotificationStatus, SendNotification
from shared.contracts.events import DeliveryState, NotifyChannel
from shared.contracts.report import Classification
from shared.outbox import Outbox
from shared.topology import NOTIFY_STATUS

log = structlog.get_logger("zhiban.notify")

CLASSIFIED_NOTICE = "您有一份密件，请通过机要渠道查收。"
FINISHED = {DeliveryState.sent, DeliveryState.delivered, DeliveryState.acknowledged, DeliveryState.failed_permanent}
ADDRESS_FIELD = {"sms": "mobile", "phone": "mobile", "fax": "fax", "email": "email", "spool": "mobile"}


def outbound_text(cmd: SendNotification) -> tuple[str, str]:
    """R-10: classified content never travels on a plain channel — only the notice to collect it."""
    if cmd.classification == Classification.classified:
        return "【密件通知】", f"{CLASSIFIED_NOTICE}（编号 {cmd.notification_id}）"
    return cmd.subject, f"{cmd.subject}\n{cmd.body}"


class NotifyService:
    def __init__(self, *, store: Any, outbox: Outbox, clock: Clock, gateways: Mapping[str, Gateway]) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.gateways = gateways

    async def _move(self, cmd: SendNotification, state: DeliveryState, *, gateway: str | None = None,
                    channel: str | None = None, detail: str = "", extra: dict[str, Any] | None = None) -> None:
        now = self.clock.now()
        entry = {"state": state.value, "at": now, "gateway": gateway, "detail": detail}
        await self.store.move(cmd.notification_id, to=state.value, entry=entry, extra=extra)
        status = NotificationStatus(
            notification_id=cmd.notification_id,
            person_id=cmd.person_id,
            incident_id=cmd.incident_id,
            state=state,
            channel=NotifyChannel(channel) if channel else None,
            gateway=gateway,
            at=now,
            detail=detail,
        )
        await self.outbox.add(f"{NOTIFY_STATUS}:{cmd.notification_id}:{state.value}", NOTIFY_STATUS, status)

    def _choose(self, cmd: SendNotification) -> tuple[str, Gateway] | None:
        for channel in cmd.channels:
            if channel.value in self.gateways:
                return channel.value, self.gateways[channel.value]
        return None

    async def send(self, cmd: SendNotification) -> str:
        now = self.clock.now()
        created = await self.store.create_message(
            {
                "_id": cmd.notification_id,
                "person_id": cmd.person_id,
                "incident_id": cmd.incident_id,
                "classification": cmd.classification.value,
                "subject": cmd.subject if cmd.classification == Classification.plain else "【密件】",
                "requested_at": cmd.requested_at,
                "requested_by": cmd.requested_by,
                "state": DeliveryState.pending.value,
                "history": [{"state": "pending", "at": now}],
            }
        )
        if not created:
            existing = await self.store.message(cmd.notification_id)
            if existing and DeliveryState(existing["state"]) in FINISHED:
                log.info("duplicate notify.send ignored", notification_id=cmd.notification_id)
                return str(existing["state"])
        else:
            await self.outbox.add(
                f"{NOTIFY_STATUS}:{cmd.notification_id}:pending",
                NOTIFY_STATUS,
                NotificationStatus(notification_id=cmd.notification_id, person_id=cmd.person_id,
                                   incident_id=cmd.incident_id, state=DeliveryState.pending, at=now),
            )
        person = await self.store.person(cmd.person_id)
        if person is None:
            await self._move(cmd, DeliveryState.failed_permanent, detail=f"通讯录中无此人：{cmd.person_id}")
            return DeliveryState.failed_permanent.value
        chosen = self._choose(cmd)
        if chosen is None:
            wanted = "、".join(c.value for c in cmd.channels)
            await self._move(cmd, DeliveryState.failed_permanent, detail=f"没有可用的网关：{wanted}")
            return DeliveryState.failed_permanent.value
        channel, gateway = chosen
        address = person.get("contacts", {}).get(ADDRESS_FIELD[channel]) or ""
        subject, text = outbound_text(cmd)
        await self._move(cmd, DeliveryState.sending, gateway=gateway.name, channel=channel)
        try:
            result = (
                await gateway.send(
                    OutboundMessage(notification_id=cmd.notification_id, to=address, text=text, subject=subject)
                )
            ).raise_for_failure()
        except GatewayError as exc:
            state = DeliveryState.failed_temporary if exc.transient else DeliveryState.failed_permanent
            await self._move(cmd, state, gateway=gateway.name, channel=channel, detail=exc.detail)
            if exc.transient:
                raise
            return state.value
        await self._move(cmd, DeliveryState.sent, gateway=gateway.name, channel=channel,
                         detail=f"发往 {mask_contact(address)}", extra={"gateway_message_id": result.gateway_message_id})
        if gateway.channel == "spool":  # the spool directory is itself the destination
            await self._move(cmd, DeliveryState.delivered, gateway=gateway.name, channel=channel)
            return DeliveryState.delivered.value
        return DeliveryState.sent.value
