"""What comes back: delivery receipts, acknowledgements (SMS reply, keypress, link), due timers, and
messages a crash left in ``sending``. Each goes through the state machine; whatever cannot be applied
(unknown message, garbage, impossible transition) is recorded for a person, never a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import structlog

from services.notify.domain.acks import AckError, parse_sms_reply, verify_ack_token
from services.notify.domain.numbers import InvalidContact, validate_phone
from services.notify.domain.state import DeliveryEvent as Ev
from services.notify.domain.state import IllegalTransition
from services.notify.gateways.base import DeliveryEvent, DeliveryOutcome, MalformedReceipt
from services.notify.service import NotifyService, gateway_key, split_gateway_key

log = structlog.get_logger("zhiban.notify.events")

OUTCOME_EVENTS: dict[DeliveryOutcome, Ev | None] = {
    DeliveryOutcome.delivered: Ev.delivered,
    DeliveryOutcome.undelivered: Ev.permanent_failure,
    DeliveryOutcome.gateway_accepted: Ev.accepted,
    DeliveryOutcome.gateway_rejected: Ev.transient_failure,
    DeliveryOutcome.failed: Ev.transient_failure,
    DeliveryOutcome.acknowledged: Ev.acknowledged,
    DeliveryOutcome.queued: None,
    DeliveryOutcome.ringing: None,
    DeliveryOutcome.answered: None,
}


class Events:
    def __init__(self, svc: NotifyService) -> None:
        self.svc = svc
        self.store = svc.store
        self.clock = svc.clock
        self.pending_replies: list[tuple[str, str]] = []  # SMPP MO from the gateway's thread
        self.notices: Any = None  # service_notices.Notices, set by main

    async def _record(self, kind: str, outcome: str, detail: str, **fields: Any) -> str:
        await self.store.record_receipt({"at": self.clock.now(), "kind": kind, "outcome": outcome,
                                         "detail": detail, **fields})
        log.warning("receipt not applied", kind=kind, outcome=outcome, detail=detail)
        return outcome

    # -- receipts ---------------------------------------------------------------------------------

    async def receipt(self, event: DeliveryEvent) -> str:
        nid, step = split_gateway_key(event.notification_id)
        doc = await self.store.message(nid)
        if doc is None:
            return await self._record("receipt", "unknown_message", f"回执对应的通知不存在：{nid}",
                                      gateway=event.gateway, outcome_reported=event.outcome.value)
        if doc["step"] != step:
            return await self._record("receipt", "other_step", f"回执属于第{step + 1}种联系方式，当前已是第{doc['step'] + 1}种",
                                      notification_id=nid, gateway=event.gateway)
        wanted = OUTCOME_EVENTS.get(event.outcome)
        if wanted is None:
            await self.store.messages.update_one({"_id": nid}, {"$push": {"progress": {
                "at": self.clock.now(), "outcome": event.outcome.value, "detail": event.detail}}})
            return "noted"
        if wanted is Ev.acknowledged:
            return await self.acknowledge(nid, via=f"{event.gateway}:按键", detail=event.detail)
        try:
            moved = await self.svc.apply(doc, wanted, detail=f"回执：{event.detail}"[:300], gateway=event.gateway)
        except IllegalTransition as exc:
            return await self._record("receipt", "illegal", str(exc), notification_id=nid, gateway=event.gateway)
        return moved["state"] if moved else "stale"

    async def malformed(self, problem: MalformedReceipt, raw: dict[str, str], gateway: str) -> str:
        safe = {k: v for k, v in raw.items() if k not in ("secret", "to")}
        return await self._record("receipt", "malformed", str(problem), gateway=gateway, raw=safe)

    # -- acknowledgements --------------------------------------------------------------------------

    async def acknowledge(self, notification_id: str, *, via: str, detail: str = "") -> str:
        doc = await self.store.message(notification_id)
        if doc is None:
            return await self._record("ack", "unknown_message", f"确认对应的通知不存在：{notification_id}", via=via)
        if doc.get("acknowledged_at"):
            return "already_acknowledged"
        try:
            moved = await self.svc.apply(doc, Ev.acknowledged, detail=f"{via} {detail}".strip(),
                                         extra={"acknowledged_at": self.clock.now(), "ack_via": via})
        except IllegalTransition as exc:
            return await self._record("ack", "illegal", str(exc), notification_id=notification_id, via=via)
        return "acknowledged" if moved else "stale"

    async def sms_reply(self, sender: str, text: str) -> str:
        try:
            number = validate_phone(sender)
        except InvalidContact as exc:
            return await self._record("sms_reply", "bad_sender", str(exc))
        reply = parse_sms_reply(text)
        if (reply is None or reply.code is None) and self.notices is not None:
            person = await self.store.person_by_number(number)
            answered = await self.notices.sms_reply(person["_id"], text) if person else None
            if answered:
                return answered
        if reply is None:
            return await self._record("sms_reply", "unparsed", "回复中没有可识别的确认码", sender_tail=number[-4:])
        open_ = await self.store.open_for_number(number, reply.code)
        if len(open_) != 1:
            what = "没有匹配的待确认通知" if not open_ else f"有{len(open_)}条待确认通知，无法判断确认的是哪一条"
            return await self._record("sms_reply", "no_match" if not open_ else "ambiguous", what,
                                      sender_tail=number[-4:], code=reply.code)
        return await self.acknowledge(open_[0]["_id"], via="短信回复", detail=reply.code or "")

    async def link(self, token: str) -> tuple[str, str]:
        """(outcome, notification id); AckError for a forged or expired link."""
        data = verify_ack_token(token, secret=self.svc.ack_secret, now=self.clock.now())
        return await self.acknowledge(data.notification_id, via="确认链接"), data.notification_id

    # -- timers and crash recovery ------------------------------------------------------------------

    async def run_due(self) -> int:
        while self.pending_replies:
            await self.sms_reply(*self.pending_replies.pop(0))
        now = self.clock.now()
        fired = 0
        for timer in await self.store.due_timers(now):
            if await self.store.claim_timer(timer["_id"], now) is None:
                continue
            data = timer["data"]
            if timer["kind"] == "retry":
                outcome = await self.svc.attempt(data["id"], data["step"])
            elif timer["kind"] == "silence":
                outcome = await self.svc.next_method(data["id"], data["step"], reason="超时未确认")
            elif timer["kind"] == "receipt":  # no acknowledgement wanted, and no delivery receipt in time
                outcome = await self.svc.next_method(data["id"], data["step"], reason="超时未收到送达回执")
            elif timer["kind"] == "next":
                outcome = await self.svc.next_method(data["id"], data["step"], reason="发送失败")
            else:
                outcome = "unknown_timer"
            await self.store.fire_timer(timer["_id"], now, str(outcome))
            fired += 1
        await self.recover_stuck()
        if self.notices is not None:
            fired += await self.notices.remind_due()
        return fired

    async def recover_stuck(self) -> None:
        """A step left in ``sending`` past the lease: ask the gateway if it can tell (the spool can);
        otherwise mark it for a person — a blind resend could be a second SMS or call."""
        now = self.clock.now()
        lease = timedelta(seconds=self.svc.settings.send_lease_s)
        for doc in await self.store.stuck_sending(older_than=now - lease, owner=self.svc.instance):
            if doc.get("claimed_at") and doc["claimed_at"].replace(tzinfo=now.tzinfo) > now - lease:
                continue
            channel = (doc.get("plan") or [{}])[doc["step"]].get("channel", "sms")
            gateways = self.svc.pool.routes.get(channel, [])
            answers = []
            for gateway in gateways:
                lookup = getattr(gateway, "lookup", None)
                answers.append(await lookup(_key(doc)) if lookup else None)
            if any(a is True for a in answers):
                await self.svc.apply(doc, Ev.accepted, detail="重启后核对：网关已受理", gateway="lookup")
            elif answers and all(a is False for a in answers):
                await self.svc.apply(doc, Ev.transient_failure, detail="重启后核对：网关未收到，将重发")
            else:
                await self.svc.apply(doc, Ev.transient_failure, extra={"needs_person": True},
                                     detail="发送中断，网关无法查询是否已发出（unknown）：请人工核实，不自动重发")

    async def forever(self, every_s: float) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # noqa: BLE001 - the poller must outlive one bad timer
                log.exception("notify timers failed")
            await asyncio.sleep(every_s)


def _key(doc: dict[str, Any]) -> str:
    return gateway_key(doc["_id"], doc["step"])


__all__ = ["AckError", "Events"]
