"""Meeting and activity notices (R-25): draft → submit → approve by an office leader → send to each
recipient through the normal send path → receipts (API or SMS reply) → reminders → organiser's summary.

Office leader: the domain's ``office_leader`` is held by ``Role.secretary_general`` (秘书长/副秘书长) and
``Role.duty_head`` (值班室负责人); the approver may not be the drafter (four eyes).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from services.notify.domain import notices as dn
from services.notify.domain.templates import render
from services.notify.service import NotifyService
from shared.auth import Principal, Role
from shared.clock import to_local
from shared.contracts import SendNotification

OFFICE_LEADERS = (Role.secretary_general, Role.duty_head)


def to_doc(n: dn.Notice) -> dict[str, Any]:
    doc = asdict(n)
    doc["_id"] = doc.pop("id")
    doc["recipients"] = list(n.recipients)
    doc["receipts"] = {p: {**asdict(r), "answer": r.answer.value} for p, r in n.receipts.items()}
    doc["reminders"] = {p: list(ts) for p, ts in n.reminders.items()}
    doc["approval"] = n.approval.value
    return doc


def from_doc(doc: dict[str, Any]) -> dn.Notice:
    receipts = {p: dn.Receipt(**{**r, "answer": dn.Answer(r["answer"])}) for p, r in doc.get("receipts", {}).items()}
    return dn.Notice(id=doc["_id"], title=doc["title"], body=doc["body"], when=doc["when"], place=doc["place"],
                     organiser_id=doc["organiser_id"], drafted_by=doc["drafted_by"],
                     recipients=tuple(doc["recipients"]), approval=dn.Approval(doc["approval"]),
                     approved_by=doc.get("approved_by", ""), decided_at=doc.get("decided_at"),
                     rejection_reason=doc.get("rejection_reason", ""), sent_at=doc.get("sent_at"), receipts=receipts,
                     reminders={p: tuple(ts) for p, ts in doc.get("reminders", {}).items()})


class Notices:
    def __init__(self, svc: NotifyService) -> None:
        self.svc = svc
        self.store = svc.store

    async def get(self, notice_id: str) -> dn.Notice | None:
        doc = await self.store.notice(notice_id)
        return from_doc(doc) if doc else None

    async def save(self, notice: dn.Notice) -> dn.Notice:
        await self.store.save_notice(to_doc(notice))
        return notice

    async def draft(self, notice_id: str, *, title: str, body: str, when: datetime, place: str,
                    recipients: list[str], organiser_id: str, who: Principal) -> dn.Notice:
        unknown = [p for p in recipients if await self.store.person(p) is None]
        if unknown:
            raise dn.NoticeError(f"通讯录中没有这些接收人：{'、'.join(unknown)}")
        return await self.save(dn.Notice(notice_id, title, body, when, place, organiser_id, who.id, tuple(recipients)))

    async def decide(self, notice: dn.Notice, who: Principal, *, approve: bool, reason: str = "") -> dn.Notice:
        if who.id == notice.drafted_by:
            raise dn.NoticeError("拟稿人不能审定自己起草的通知")
        roles = frozenset({dn.OFFICE_LEADER_ROLE} if who.has_any(OFFICE_LEADERS) else set())
        now = self.svc.clock.now()
        if approve:
            return await self.save(dn.approve(notice, approver_id=who.id, approver_roles=roles, at=now))
        return await self.save(dn.reject(notice, approver_id=who.id, approver_roles=roles, at=now, reason=reason))

    def _text(self, notice: dn.Notice, template: str) -> str:
        when = f"{to_local(notice.when):%m月%d日%H:%M}"
        return render(self.svc.templates, template, office=self.svc.settings.office, title=notice.title, when=when,
                      place=notice.place, attendees="您")

    async def _send(self, notice: dn.Notice, person: str, nid: str, template: str) -> None:
        await self.svc.send(SendNotification(notification_id=nid, person_id=person, subject="",
                                             body=self._text(notice, template), requested_at=self.svc.clock.now(),
                                             requested_by=f"notice:{notice.id}"))

    async def send(self, notice: dn.Notice) -> dn.Notice:
        sent = await self.save(dn.mark_sent(notice, at=self.svc.clock.now()))
        for person in sent.recipients:
            await self._send(sent, person, f"notice_{sent.id}_{person}", "notice_sms")
        return sent

    async def receipt(self, notice: dn.Notice, person: str, answer: dn.Answer, *, substitute: str = "",
                      reason: str = "") -> dn.Notice:
        return await self.save(dn.record_receipt(notice, dn.Receipt(person, answer, self.svc.clock.now(),
                                                                    substitute, reason)))

    async def sms_reply(self, person_id: str, text: str) -> str | None:
        parsed = dn.parse_notice_reply(text)
        if parsed is None:
            return None
        open_ = [from_doc(d) for d in await self.store.notices_sent() if person_id in d["recipients"]]
        open_ = [n for n in open_ if n.when > self.svc.clock.now()]
        if len(open_) != 1:
            return None
        answer, extra = parsed
        await self.receipt(open_[0], person_id, answer, substitute=extra if answer is dn.Answer.substitute else "",
                           reason=extra if answer is dn.Answer.not_attending else "")
        return f"notice_{answer.value}"

    async def remind_due(self) -> int:
        now, settings, count = self.svc.clock.now(), self.svc.settings, 0
        for doc in await self.store.notices_sent():
            notice = from_doc(doc)
            due = dn.reminders_due(notice, now=now, first_after=timedelta(seconds=settings.notice_first_reminder_s),
                                   every=timedelta(seconds=settings.notice_reminder_every_s))
            for person in due:
                n = len(notice.reminders.get(person, ())) + 1
                notice = dn.record_reminder(notice, person, at=now)
                await self.save(notice)
                await self._send(notice, person, f"notice_{notice.id}_{person}_r{n}", "notice_reminder_sms")
                count += 1
        return count

    async def summary(self, notice: dn.Notice) -> dict[str, Any]:
        names = {p: (await self.store.person(p) or {}).get("name", p) for p in notice.recipients}
        s = dn.summarise(notice, names)
        return {**asdict(s), "approval": notice.approval.value}

