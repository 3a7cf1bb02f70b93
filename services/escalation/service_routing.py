"""Routing use cases (R-06): tell the officers at once; once released, the leaders per route(), channels in
order; silence moves to the next channel, then to the next person (durable timers)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from services.escalation.domain.deadlines import Happening
from services.escalation.domain.grading import at_least
from services.escalation.domain.notice_text import casualty_phrase, incident_notice
from services.escalation.domain.review import ReviewCase
from services.escalation.domain.routing import (
    AwayPeriod,
    IncidentView,
    Recipient,
    next_on_silence,
    route,
    status_order_key,
    upward_refusal,
)
from shared.clock import as_utc, to_local
from shared.contracts import NotificationStatus, OnDutyAnswer, SendNotification
from shared.contracts.escalation import TimerDue
from shared.contracts.events import NotifyChannel
from shared.contracts.notify import NotificationUnacknowledged
from shared.topology import NOTIFY_SEND

ROLE_WORDS = {"in_charge": "分管领导", "principal": "主要领导", "party_duty_room": "市委值班室", "cc": "抄送单位",
              "escalated": "转报领导", "duty_officer": "值班人员", "duty_head": "值班室负责人"}
LEADER_ROLES = ("in_charge", "principal", "escalated")
WRITTEN_REPORT_CHANNELS = ("fax", "email")
REVIEW_PASSED = ("not_required", "approved", "post_reviewed")  # an urgent bypass writes after its post-review
STATE_NAMES = {"sending": "发送中", "sent": "已发出", "delivered": "已送达", "acknowledged": "已确认",
               "failed_temporary": "暂时失败（将重试）", "failed_permanent": "发送失败", "pending": "待发送"}


class UpwardRefused(Exception):
    """A report to the provincial duty office that may only go as the approved bulletin: nothing was sent."""


def short_id(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def field_name(notification_id: str) -> str:
    return notification_id.replace(".", "_").replace("$", "_")


class RoutingUseCases:
    def _notice(self: Any, doc: dict[str, Any], purpose: str) -> tuple[str, str]:
        facts = doc["facts"]
        occurred = doc.get("occurred_at")
        return incident_notice(
            title=doc["title"], level=doc.get("level"), category=doc["category"], place=doc.get("place"),
            occurred_local=to_local(as_utc(occurred)) if occurred else None,
            casualties=casualty_phrase(facts.get("deaths"), facts.get("serious_injuries"), facts.get("injuries"),
                                       facts.get("missing")),
            unit=doc["unit"], purpose=purpose,
        )

    async def _send(self: Any, doc: dict[str, Any], *, notification_id: str, person: str, channels: list[str],
                    purpose: str, text: str, subject: str | None = None, body: str | None = None,
                    ack_required: bool = True) -> None:
        """Every notification escalation sends about an incident goes through here — except the approved
        bulletin (service_reports.py), the one way a 较大+ incident may go up to the provincial duty office."""
        if person == self.rules.upward.addressee:
            refusal = upward_refusal(doc.get("level"), self.rules.upward, as_bulletin=False)
            if refusal is not None:
                raise UpwardRefused(refusal)
        if subject is None or body is None:
            subject, body = self._notice(doc, purpose)
        command = SendNotification(
            notification_id=notification_id, person_id=person, channels=[NotifyChannel(c) for c in channels],
            classification=doc.get("classification", "plain"), subject=subject, body=body,
            incident_id=doc["_id"], requested_at=self.clock.now(), ack_required=ack_required,
        )
        if await self.outbox.add(f"{NOTIFY_SEND}:{notification_id}", NOTIFY_SEND, command):
            await self.store.add_timeline(doc["_id"], self._entry(
                f"notify_requested:{notification_id}", "notification", text, notification_id=notification_id,
                person_id=person, channels=channels, purpose=purpose))

    async def _tell_officers(self: Any, doc: dict[str, Any], answer: OnDutyAnswer) -> None:
        """The duty officer is told at once, whatever the review gate says (R-05)."""
        for person in answer.duty_officers:
            await self._send(doc, notification_id=f"{doc['_id']}_initial_{person}", person=person, channels=["sms"],
                             purpose="duty_officer", text=f"通知值班人员 {person}")

    def _plan(self: Any, doc: dict[str, Any], answer: OnDutyAnswer, *, urgent: bool,
              held_away: list[AwayPeriod] | None = None) -> list[Recipient]:
        """route() over the rules; scheduling's answer names the real leaders and who acts for whom. Without it
        (the answer came from the held roster), the leaders away held from scheduling's events stand in."""
        now = self.clock.now()
        away = list(held_away or [])
        if answer.acting_for and answer.leader_in_charge:
            away.append(AwayPeriod(answer.acting_for, now, now + timedelta(minutes=1), answer.leader_in_charge,
                                   "不在岗（值班安排行程）"))
        view = IncidentView(doc["_id"], doc["category"], doc.get("level"), doc.get("area_code"), now,
                            sensitive=bool(doc.get("sensitive")), urgent=urgent)
        plan = route(view, self.rules, away).recipients
        out = []
        for r in plan:
            if "in_charge" in r.roles and answer.leader_in_charge:
                r = Recipient(answer.leader_in_charge, r.roles, r.channels, r.ack_timeout_minutes,
                              acting_for=answer.acting_for, if_silent=r.if_silent or answer.principal_leader,
                              notes=r.notes)
            elif "principal" in r.roles and answer.principal_leader:
                r = Recipient(answer.principal_leader, r.roles, r.channels, r.ack_timeout_minutes, notes=r.notes)
            out.append(r)
        merged: dict[str, Recipient] = {}
        for r in out:
            if r.person_id in merged:
                old = merged[r.person_id]
                r = Recipient(old.person_id, old.roles + r.roles, old.channels, old.ack_timeout_minutes,
                              old.acting_for, old.if_silent, old.notes + r.notes)
            merged[r.person_id] = r
        return list(merged.values())

    def _leaders_wanted(self: Any, doc: dict[str, Any], urgent: bool) -> bool:
        return urgent or bool(doc.get("sensitive")) or bool(doc.get("may_escalate")) or at_least(
            doc.get("level"), self.rules.notify_leader_from_level)

    async def _release(self: Any, doc: dict[str, Any], answer: OnDutyAnswer, case: ReviewCase, *,
                       away: list[AwayPeriod] | None = None) -> None:
        """Released (approved, not required, urgent): the leaders receive this revision, once."""
        urgent = case.state in ("awaiting_post_review", "post_reviewed")
        revision = case.released_revision if case.released_revision is not None else doc["revision"]
        if not self._leaders_wanted(doc, urgent) or self.rules.routing is None:
            await self.store.set(doc["_id"], {"routed": True, "routing_plan": []})  # decided: officers only
            return
        recipients = self._plan(doc, answer, urgent=urgent, held_away=away)
        if urgent:  # straight to the principal or in-charge leader only
            recipients = [r for r in recipients if set(r.roles) & {"in_charge", "principal"}]
        level_key = doc.get("level") or "IV"
        for r in recipients:
            purpose = "leader_in_charge" if set(r.roles) & set(LEADER_ROLES) else "cc"
            nid = f"{doc['_id']}_r{revision}_{r.person_id}"
            words = "、".join(ROLE_WORDS.get(x, x) for x in r.roles)
            acting = f"（代{r.acting_for}）" if r.acting_for else ""
            await self._send(doc, notification_id=nid, person=r.person_id, channels=list(r.channels), purpose=purpose,
                             text=f"{'紧急直报' if urgent else '报送'}{words} {r.person_id}{acting}（{level_key}级，"
                                  f"渠道：{'→'.join(r.channels)}）")
            if set(r.roles) & set(LEADER_ROLES):
                await self._plan_silence(doc, r, nid)
        if case.state in REVIEW_PASSED and self._written_required(doc):
            for r in recipients:
                if set(r.roles) & set(LEADER_ROLES):
                    await self._send_written_report(doc, r, revision)
        await self.store.set(doc["_id"], {"routed": True, "released_level": doc.get("level"),
                                          "released_revision": revision,
                                          "routing_plan": [asdict(r) for r in recipients]})

    def _written_required(self: Any, doc: dict[str, Any]) -> bool:
        """The rules' report limits for the level include a written report (NORMS §1)."""
        return "written" in dict(self.rules.report_limits.get(doc.get("level") or "IV", {}))

    async def _send_written_report(self: Any, doc: dict[str, Any], r: Recipient, revision: int) -> None:
        """The written report (书面报告, R-06: phone first, then the written report by fax) as a notification of
        its own: an acknowledged phone call ends the leader's notification, never the written report. Fax, then
        e-mail; its delivery over either meets the written deadline (purpose ``written_report``). Delivery is
        the goal, so no acknowledgement is asked (``ack_required=False``): notify tries fax then e-mail only,
        stops at delivery and never reports it unacknowledged. A classified incident keeps its classification:
        notify sends only the fixed notice (R-10)."""
        nid = f"{doc['_id']}_w{revision}_{r.person_id}"
        subject, body = self._notice(doc, "written_report")
        acting = f"（代{r.acting_for}）" if r.acting_for else ""
        await self._send(doc, notification_id=nid, person=r.person_id, channels=list(WRITTEN_REPORT_CHANNELS),
                         purpose="written_report", subject=subject, body=body, ack_required=False,
                         text=f"书面报告 {r.person_id}{acting}（{doc.get('level') or 'IV'}级，"
                              f"渠道：{'→'.join(WRITTEN_REPORT_CHANNELS)}）")

    async def _plan_silence(self: Any, doc: dict[str, Any], r: Recipient, nid: str) -> None:
        """Notify works down the recipient's channels (phone → SMS → fax) and reports
        ``notify.unacknowledged`` when all stayed silent; escalation then picks the next person. This timer
        is the same step for when that report never comes (notify down): whichever comes first claims it."""
        sent_at = self.clock.now()
        await self._timer(TimerDue(
            key=f"{doc['_id']}:silence:{nid}:next", kind="silence_next_person", due_at=r.silence_at(sent_at),
            incident_id=doc["_id"], to_people=[r.person_id],
            data={"notification_id": nid, "recipient": asdict(r)}))

    async def on_notification_status(self: Any, event: NotificationStatus) -> None:
        if event.incident_id is None:
            return
        doc = await self.store.get(event.incident_id)
        if doc is None:
            return
        text = (f"通知 {event.person_id}：{STATE_NAMES[event.state.value]}（{event.gateway or event.channel or ''}）"
                f"{event.detail}")
        await self.store.add_timeline(event.incident_id, self._entry(
            f"notify:{event.notification_id}:{event.state.value}", "notification_status", text, event.at,
            notification_id=event.notification_id, state=event.state.value))
        field = field_name(event.notification_id)
        await self.store.set_if_newer(event.incident_id, f"notification_order.{field}",
                                      status_order_key(event.state.value, event.at),
                                      {f"notifications.{field}": event.state.value})
        happening = self._happening_of(doc, event)
        if happening is not None:
            await self._meet(event.incident_id, happening)

    def _happening_of(self: Any, doc: dict[str, Any], event: NotificationStatus) -> Happening | None:
        """A leader reached, or the bulletin sent upward: what the report clocks wait for (R-08)."""
        asked = next((e for e in doc.get("timeline", []) if e.get("notification_id") == event.notification_id
                      and e["kind"] in ("notification", "bulletin") and e.get("purpose")), None)
        if asked is None:
            return None
        channel = event.channel.value if event.channel else None
        words = f"通知 {event.person_id} {STATE_NAMES[event.state.value]}（{channel or event.gateway or ''}）"
        if asked["purpose"] == "leader_in_charge":
            return Happening("leader_notified", event.at, words, channel, event.state.value)
        if asked["purpose"] == "written_report":
            return Happening("written_delivered", event.at, f"书面报告：{words}", channel, event.state.value)
        if asked["purpose"] == "upward":
            return Happening("upward_sent", event.at, f"向上级报告：{words}", channel, event.state.value)
        return None

    async def on_unacknowledged(self: Any, event: NotificationUnacknowledged) -> None:
        """Notify tried every contact method of this person in vain: the next person, now, once."""
        if event.incident_id is None:
            return
        doc = await self.store.get(event.incident_id)
        if doc is None:
            return
        tried = "、".join(c.value for c in event.tried) or "全部方式"
        await self.store.add_timeline(event.incident_id, self._entry(
            f"unacknowledged:{event.notification_id}", "notification_unacknowledged",
            f"{event.person_id} 经{tried}均未确认", event.at, notification_id=event.notification_id))
        claimed = await self.store.claim(f"{event.incident_id}:silence:{event.notification_id}:next", self.clock.now())
        if claimed is not None:
            await self._fire(claimed)

    async def _fire_silence(self: Any, timer: dict[str, Any], doc: dict[str, Any] | None) -> str:
        nid = timer["data"]["notification_id"]
        if doc is not None and doc.get("notifications", {}).get(field_name(nid)) == "acknowledged":
            return "已确认，无需转报"
        if doc is None:
            return "事件记录不在本库，无法转报"
        r = Recipient(**{**timer["data"]["recipient"], "roles": tuple(timer["data"]["recipient"]["roles"]),
                         "channels": tuple(timer["data"]["recipient"]["channels"]),
                         "notes": tuple(timer["data"]["recipient"]["notes"])})
        nxt = next_on_silence(r, self.rules, [], self.clock.now()) if self.rules.routing else None
        if nxt is None:
            return "无人可转报"
        new_id = f"{nid}_next_{nxt.person_id}"
        await self._send(doc, notification_id=new_id, person=nxt.person_id, channels=list(nxt.channels),
                         purpose="leader_in_charge", text=f"{r.person_id} 未确认，转报 {nxt.person_id}")
        await self._plan_silence(doc, nxt, new_id)
        return f"转报 {nxt.person_id}"
