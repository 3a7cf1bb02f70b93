"""Notify's service layer: one request to reach one person, tried over that person's contact methods
in turn until somebody acknowledges — and never two deliveries of the same step. A request with
``ack_required=False`` (a written report) only needs delivery: its requested channels are tried in turn
until one delivers, and delivery ends it.

A message (``notification_id``) has a plan (the person's usable contact methods, the caller's channels
first) and a current ``step``. Each step is one delivery with the domain state machine (state.py):
pending → sending → sent → delivered → acknowledged, or failed_temporary / failed_permanent. The
step is claimed with one ``find_one_and_update`` (pending/failed_temporary → sending, with a claim token)
before any gateway is called, so a redelivered or repeated ``notify.send`` finds it claimed or done and
sends nothing. The gateway sees ``<id>`` (step 0) or ``<id>--s<n>`` as its idempotency key. See
docs/notify-exactly-once.md for what happens to a message left in ``sending`` by a crash.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.notify import service_steps as steps
from services.notify.domain.acks import DEFAULT_TIMEOUTS
from services.notify.domain.classified import is_classified
from services.notify.domain.directory import UnknownPerson
from services.notify.domain.policy import recipient_throttle
from services.notify.domain.state import DeliveryEvent as Ev
from services.notify.domain.state import IllegalTransition, transition
from services.notify.domain.templates import load_templates
from services.notify.gateways.base import OutboundMessage
from services.notify.sending import GatewayPool
from services.notify.service_directory import to_person
from services.notify.store import NotifyStore
from shared.clock import Clock
from shared.contracts import NotificationStatus, SendNotification
from shared.contracts.events import DeliveryState, NotifyChannel
from shared.contracts.notify import NotificationUnacknowledged
from shared.outbox import Outbox
from shared.settings import NotifySettings
from shared.topology import NOTIFY_STATUS, NOTIFY_UNACKNOWLEDGED

log = structlog.get_logger("zhiban.notify")
S = DeliveryState


def gateway_key(notification_id: str, step: int) -> str:
    return notification_id if step == 0 else f"{notification_id}--s{step}"


def split_gateway_key(key: str) -> tuple[str, int]:
    head, sep, tail = key.rpartition("--s")
    return (head, int(tail)) if sep and tail.isdigit() else (key, 0)


class NotifyService:
    def __init__(self, *, store: NotifyStore, outbox: Outbox, clock: Clock, pool: GatewayPool,
                 settings: NotifySettings) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.pool = pool
        self.settings = settings
        self.templates = load_templates()
        self.instance = uuid.uuid4().hex  # this process: claims of another instance may belong to the dead
        self.ack_secret = (settings.ack_secret or uuid.uuid4().hex + uuid.uuid4().hex).encode()

    # -- recording and publishing ---------------------------------------------------------------

    async def publish(self, doc: dict[str, Any], state: S, *, at: datetime, detail: str = "",
                      gateway: str | None = None) -> None:
        step, rnd = doc.get("step", 0), doc.get("round", 0)
        key = f"{NOTIFY_STATUS}:{doc['_id']}" + (f":s{step}" if step else "") + (f":r{rnd}" if rnd else "")
        channel = steps.current_channel(doc)
        await self.outbox.add(f"{key}:{state.value}", NOTIFY_STATUS, NotificationStatus(
            notification_id=doc["_id"], person_id=doc["person_id"], incident_id=doc.get("incident_id"), state=state,
            channel=NotifyChannel(channel) if channel else None, gateway=gateway, at=at, detail=detail))

    async def apply(self, doc: dict[str, Any], event: Ev, *, detail: str = "", gateway: str | None = None,
                    extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """One state-machine transition, stored with compare-and-set and published. None: stale or lost race."""
        now = self.clock.now()
        step = transition(S(doc["state"]), event, at=now, detail=detail)
        if not step.changed:
            log.info("stale news ignored", notification_id=doc["_id"], state=doc["state"], news=event.value)
            return None
        entries = [{"state": s.value, "at": now, "step": doc.get("step", 0), "gateway": gateway,
                    "detail": "（由后续回执推定）", "event": event.value} for s in step.implied]
        entry = {"state": step.state.value, "at": now, "step": doc.get("step", 0), "gateway": gateway,
                 "detail": detail, "event": event.value}
        moved = await self.store.move(doc["_id"], expect=doc["state"], to=step.state.value, entry=entry, extra=extra, step=doc.get("step", 0))
        if not moved:
            return None
        for implied in entries:
            await self.store.messages.update_one({"_id": doc["_id"]}, {"$push": {"history": implied}})
        new = {**doc, "state": step.state.value, **(extra or {})}
        for implied_state in step.implied:
            await self.publish(new, implied_state, at=now, gateway=gateway, detail="（由后续回执推定）")
        await self.publish(new, step.state, at=now, detail=detail, gateway=gateway)
        await self.after(new, step.state)
        return new

    async def after(self, doc: dict[str, Any], state: S) -> None:
        """What follows a state: wait for an acknowledgement, retry later, or try the next method. Without
        an acknowledgement wanted: wait for the delivery receipt only, and delivery is final."""
        step, now = doc.get("step", 0), self.clock.now()
        if state in (S.sent, S.delivered):
            wait = self.settings.ack_timeouts_s.get(steps.current_channel(doc) or "sms")
            timeout = timedelta(seconds=wait) if wait is not None else DEFAULT_TIMEOUTS.get(
                NotifyChannel(steps.current_channel(doc) or "sms"), timedelta(minutes=10))
            if not doc.get("ack_required", True):
                key = f"receipt:{doc['_id']}:{step}"
                if state is S.delivered:  # the goal: nothing more waits on this message
                    await self.store.fire_timer(key, now, "已送达，无需确认")
                else:
                    await self.store.add_timer(key, kind="receipt", due_at=now + timeout,
                                               data={"id": doc["_id"], "step": step})
                return
            await self.store.add_timer(f"ack:{doc['_id']}:{step}", kind="silence", due_at=now + timeout,
                                       data={"id": doc["_id"], "step": step})
        elif state is S.failed_temporary and not doc.get("needs_person"):
            rnd = doc.get("round", 0)
            if rnd < self.settings.retry_rounds:
                await self.store.add_timer(f"retry:{doc['_id']}:{step}:{rnd}", kind="retry",
                                           due_at=now + timedelta(seconds=self.settings.retry_after_s * 2 ** rnd),
                                           data={"id": doc["_id"], "step": step})
            else:
                await self.apply(doc, Ev.permanent_failure, detail=f"已重试{rnd}轮仍失败")
        elif state is S.failed_permanent:
            await self.store.add_timer(f"next:{doc['_id']}:{step}", kind="next", due_at=now,
                                       data={"id": doc["_id"], "step": step})

    # -- the use case: notify.send ---------------------------------------------------------------

    async def send(self, cmd: SendNotification) -> str:
        now = self.clock.now()
        classified = is_classified(cmd)
        person_doc = await self.store.person(cmd.person_id)
        plan = steps.plan_for(to_person(person_doc), cmd.channels, now,
                              requested_only=not cmd.ack_required) if person_doc else []
        ack_to = steps.sms_address(plan) if cmd.ack_required else None  # no code: no reply can match it
        doc = {
            "_id": cmd.notification_id, "person_id": cmd.person_id, "incident_id": cmd.incident_id,
            "classification": "classified" if classified else "plain",
            "subject": "" if classified else cmd.subject, "body": "" if classified else cmd.body,
            "channels": [c.value for c in cmd.channels], "requested_at": cmd.requested_at,
            "requested_by": cmd.requested_by, "ack_required": cmd.ack_required, "plan": plan, "step": 0, "round": 0,
            "state": S.pending.value,
            "history": [{"state": "pending", "at": now, "step": 0, "detail": "", "event": "request"}],
            "ack_to": ack_to, "ack_code": await steps.fresh_code(self.store, ack_to) if cmd.ack_required else None,
            "acknowledged_at": None,
            "reported_at": None, "claim": None,
        }
        if await self.store.create_message(doc):
            await self.publish(doc, S.pending, at=now)
        else:
            log.info("notify.send for a known id: nothing new is sent", notification_id=cmd.notification_id)
        stored = await self.store.message(cmd.notification_id)
        if stored is None:
            return S.pending.value
        if stored["state"] == S.pending.value and stored["step"] == 0 and person_doc is None:
            await self.apply(stored, Ev.permanent_failure, detail=str(UnknownPerson(cmd.person_id)))
            return S.failed_permanent.value
        if stored["state"] == S.pending.value and not stored["plan"]:
            wanted = "、".join(c.value for c in cmd.channels)
            await self.apply(stored, Ev.permanent_failure, detail=f"该人员没有可用于（{wanted}）的有效联系方式")
            return S.failed_permanent.value
        return await self.attempt(cmd.notification_id, stored["step"], message=cmd)

    async def attempt(self, notification_id: str, step: int, *, message: Any = None) -> str:
        """Claim this step and hand it to a gateway, once. Anything but pending/failed_temporary: no send."""
        doc = await self.store.message(notification_id)
        if doc is None or doc["step"] != step:
            return "stale"
        current = S(doc["state"])
        if current not in (S.pending, S.failed_temporary) or doc.get("needs_person"):
            return current.value
        now = self.clock.now()
        window = timedelta(seconds=self.settings.recipient_window_s)
        decision = recipient_throttle(await self.store.sends_since(doc["person_id"], now - window), now=now,
                                      limit=self.settings.recipient_limit, window=window)
        if not decision.allowed and decision.retry_at is not None:
            await self.store.add_timer(f"throttle:{notification_id}:{step}:{decision.retry_at.isoformat()}",
                                       kind="retry", due_at=decision.retry_at, data={"id": notification_id, "step": step})
            await self.store.set_message(notification_id, {"throttled_until": decision.retry_at})
            return current.value
        event = Ev.send if current is S.pending else Ev.retry
        try:
            transition(current, event, at=now)
        except IllegalTransition:
            return current.value
        token = uuid.uuid4().hex
        entry = {"state": "sending", "at": now, "step": step, "detail": "", "event": event.value}
        claimed = await self.store.claim(notification_id, step=step, from_states=[current.value], token=token,
                                         owner=self.instance, at=now, entry=entry)
        if claimed is None:
            return "claimed_elsewhere"
        if current is S.failed_temporary:
            claimed["round"] = claimed.get("round", 0) + 1
            await self.store.set_message(notification_id, {"round": claimed["round"]})
        await self.publish(claimed, S.sending, at=now)
        await self.store.record_send(doc["person_id"], now)
        return await self._hand_over(claimed, message)

    async def _hand_over(self, doc: dict[str, Any], message: Any) -> str:
        channel = steps.current_channel(doc) or "sms"
        address = doc["plan"][doc["step"]]["value"]
        try:
            recipient = (await self.store.person(doc["person_id"]) or {}).get("name") if channel == "fax" else None
            out = steps.outbound(self, doc, message, channel, recipient_name=recipient)
        except ValueError as exc:  # e.g. an oversize fax document: refused before any gateway
            await self.apply(doc, Ev.permanent_failure, detail=str(exc))
            return S.failed_permanent.value
        await self.store.set_message(doc["_id"], {"segments": out.segments, "encoding": out.encoding})
        result = await self.pool.send(channel, OutboundMessage(
            notification_id=gateway_key(doc["_id"], doc["step"]), to=address, text=out.text, subject=out.subject,
            document_pdf=out.document_pdf, attempt=doc.get("round", 0)))
        fresh = await self.store.message(doc["_id"]) or doc
        if fresh.get("claim") != doc["claim"]:
            return str(fresh["state"])
        if result.in_doubt:  # as recover_stuck does for a crash: no automatic resend, a person checks
            moved = await self.apply(fresh, Ev.transient_failure, detail=result.detail, gateway=result.gateway,
                                     extra={"needs_person": True})
            return (moved or fresh)["state"]
        if not result.accepted:
            event = Ev.transient_failure if result.transient_error else Ev.permanent_failure
            moved = await self.apply(fresh, event, detail=result.detail, gateway=result.gateway)
            return (moved or fresh)["state"]
        detail = f"发往 {steps.masked(channel, address)}；{result.detail}"
        moved = await self.apply(fresh, Ev.accepted, detail=detail, gateway=result.gateway,
                                 extra={"gateway_message_id": result.gateway_message_id, "gateway": result.gateway})
        if moved is not None and steps.is_spool(self.pool, channel):  # the spool directory is the destination
            moved = await self.apply(moved, Ev.delivered, detail="已写入投递目录", gateway=result.gateway)
        latest = await self.store.message(doc["_id"])
        return str((latest or doc)["state"])

    # -- silence: the next contact method, then report back ---------------------------------------

    async def next_method(self, notification_id: str, step: int, *, reason: str) -> str:
        """The next step of the plan after silence, a failure, or (no acknowledgement wanted) a missing
        delivery receipt; past the last step, report back: ``notify.unacknowledged`` — or, when no
        acknowledgement was wanted, nothing more than the last step's published state."""
        doc = await self.store.message(notification_id)
        if doc is None or doc["step"] != step or doc.get("acknowledged_at") or doc.get("reported_at"):
            return "nothing"
        wants_ack = doc.get("ack_required", True)
        if not wants_ack and doc["state"] == S.delivered.value:  # delivered while this timer was due: final
            return "nothing"
        now = self.clock.now()
        if step + 1 < len(doc["plan"]):
            nxt = doc["plan"][step + 1]
            entry = {"state": "pending", "at": now, "step": step + 1, "event": "next_method",
                     "detail": f"{reason}，改用{steps.CHANNEL_NAMES.get(nxt['channel'], nxt['channel'])}"}
            result = await self.store.messages.update_one(
                {"_id": notification_id, "step": step, "acknowledged_at": None},
                {"$set": {"step": step + 1, "round": 0, "state": "pending", "claim": None, "needs_person": False},
                 "$push": {"history": entry}})
            if not result.modified_count:
                return "nothing"
            moved = {**doc, "step": step + 1, "round": 0, "state": "pending"}
            await self.publish(moved, S.pending, at=now, detail=entry["detail"])
            return await self.attempt(notification_id, step + 1)
        result = await self.store.messages.update_one({"_id": notification_id, "reported_at": None},
                                                      {"$set": {"reported_at": now}})
        if result.modified_count and not wants_ack:  # failed_permanent (or sent without receipt) was published
            log.warning("no requested channel delivered", notification_id=notification_id, state=doc["state"])
            return "undelivered"
        if result.modified_count:
            tried = [NotifyChannel(p["channel"]) for p in doc["plan"]]
            await self.outbox.add(f"{NOTIFY_UNACKNOWLEDGED}:{notification_id}", NOTIFY_UNACKNOWLEDGED,
                                  NotificationUnacknowledged(notification_id=notification_id,
                                                             person_id=doc["person_id"],
                                                             incident_id=doc.get("incident_id"), tried=tried, at=now,
                                                             detail=f"{reason}；各联系方式均已尝试"))
        return "reported"
