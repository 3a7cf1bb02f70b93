"""Meeting and activity notices (R-25; issue 5 §9): written, approved by an office leader before
they go out, receipts from each recipient, reminders to those who have not answered, a summary
for the organiser. Scheduling owns meetings; notify owns the notice and its delivery.

Immutable: every operation returns a new ``Notice``. Changing the text after approval sends it
back to draft — what goes out is exactly what the leader approved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

OFFICE_LEADER_ROLE = "office_leader"


class Approval(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    sent = "sent"


class Answer(StrEnum):
    read = "read"  # 已阅
    attending = "attending"  # 参加
    not_attending = "not_attending"  # 不参加
    substitute = "substitute"  # 代参加


ANSWER_NAMES = {Answer.read: "已阅", Answer.attending: "参加", Answer.not_attending: "不参加", Answer.substitute: "代参加"}


class NoticeError(ValueError):
    pass


@dataclass(frozen=True)
class Receipt:
    person_id: str
    answer: Answer
    at: datetime
    substitute: str = ""  # who attends instead
    reason: str = ""  # e.g. why not attending


@dataclass(frozen=True)
class Notice:
    id: str
    title: str
    body: str
    when: datetime
    place: str
    organiser_id: str
    drafted_by: str
    recipients: tuple[str, ...]
    approval: Approval = Approval.draft
    approved_by: str = ""
    decided_at: datetime | None = None
    rejection_reason: str = ""
    sent_at: datetime | None = None
    receipts: dict[str, Receipt] = field(default_factory=dict)  # latest meaningful receipt per person
    reminders: dict[str, tuple[datetime, ...]] = field(default_factory=dict)


def edit(notice: Notice, *, title: str | None = None, body: str | None = None, place: str | None = None,
         when: datetime | None = None) -> Notice:
    if notice.approval is Approval.sent:
        raise NoticeError("通知已发出，不能修改；如需更正请另发更正通知")
    return replace(
        notice,
        title=notice.title if title is None else title,
        body=notice.body if body is None else body,
        place=notice.place if place is None else place,
        when=notice.when if when is None else when,
        approval=Approval.draft,
        approved_by="",
        decided_at=None,
    )


def submit(notice: Notice) -> Notice:
    if notice.approval not in (Approval.draft, Approval.rejected):
        raise NoticeError(f"通知当前状态为“{notice.approval}”，不能提交审核")
    if not notice.recipients:
        raise NoticeError("通知没有接收人")
    if not notice.title.strip() or not notice.body.strip():
        raise NoticeError("通知标题和正文不能为空")
    return replace(notice, approval=Approval.submitted, rejection_reason="")


def _check_can_decide(notice: Notice, approver_roles: frozenset[str]) -> None:
    if notice.approval is not Approval.submitted:
        raise NoticeError("只有已提交审核的通知才能审批")
    if OFFICE_LEADER_ROLE not in approver_roles:
        raise NoticeError("通知须经办公室领导审定")


def approve(notice: Notice, *, approver_id: str, approver_roles: frozenset[str], at: datetime) -> Notice:
    _check_can_decide(notice, approver_roles)
    return replace(notice, approval=Approval.approved, approved_by=approver_id, decided_at=at)


def reject(notice: Notice, *, approver_id: str, approver_roles: frozenset[str], at: datetime, reason: str) -> Notice:
    _check_can_decide(notice, approver_roles)
    if not reason.strip():
        raise NoticeError("退回通知须说明理由")
    return replace(notice, approval=Approval.rejected, approved_by=approver_id, decided_at=at, rejection_reason=reason)


def mark_sent(notice: Notice, *, at: datetime) -> Notice:
    """Called once the deliveries are requested; refuses anything not approved."""
    if notice.approval is not Approval.approved:
        raise NoticeError("通知未经办公室领导审定，不能发出")
    return replace(notice, approval=Approval.sent, sent_at=at)


def record_receipt(notice: Notice, receipt: Receipt) -> Notice:
    """A later answer replaces an earlier one, except that 已阅 never overwrites an attendance answer."""
    if notice.approval is not Approval.sent:
        raise NoticeError("通知尚未发出，不能登记回执")
    if receipt.person_id not in notice.recipients:
        raise NoticeError(f"“{receipt.person_id}”不是该通知的接收人")
    if receipt.answer is Answer.substitute and not receipt.substitute.strip():
        raise NoticeError("代参加须写明参加人姓名")
    previous = notice.receipts.get(receipt.person_id)
    if previous is not None and receipt.answer is Answer.read and previous.answer is not Answer.read:
        return notice
    return replace(notice, receipts={**notice.receipts, receipt.person_id: receipt})


_SUBSTITUTE = re.compile(r"^(?:3|代|由|派)\s*[：:，,]?\s*(.*?)(?:代为?)?(?:参加|出席)?$")


def parse_notice_reply(text: str) -> tuple[Answer, str] | None:
    """``1``/``参加`` -> attending; ``2``/``不参加``/``请假`` -> not attending (rest is the reason);
    ``3 王五``/``由王五代参加`` -> substitute 王五; ``收到``/``已阅`` -> read. Anything else: None."""
    value = unicodedata.normalize("NFKC", text).strip()
    if value in ("1", "参加", "出席", "准时参加"):
        return Answer.attending, ""
    for prefix in ("2", "不参加", "不能参加", "无法参加"):
        if value.startswith(prefix):
            return Answer.not_attending, value[len(prefix):].strip(" ，,：:")
    if value.startswith("请假"):
        return Answer.not_attending, value
    if match := _SUBSTITUTE.match(value):
        name = match.group(1).strip(" ，,")
        if name:
            return Answer.substitute, name
    if value in ("收到", "已阅", "已收到", "知道了"):
        return Answer.read, ""
    return None


def non_responders(notice: Notice) -> list[str]:
    """Recipients without an attendance answer (已阅 alone is not an answer to a meeting notice)."""
    return [
        p for p in notice.recipients
        if p not in notice.receipts or notice.receipts[p].answer is Answer.read
    ]


def reminders_due(
    notice: Notice, *, now: datetime, first_after: timedelta, every: timedelta, max_reminders: int = 2
) -> list[str]:
    """Who gets a reminder now: no answer yet, ``first_after`` since sending, ``every`` since their
    last reminder, at most ``max_reminders``, and never after the meeting has started."""
    if notice.approval is not Approval.sent or notice.sent_at is None or now >= notice.when:
        return []
    if now - notice.sent_at < first_after:
        return []
    due = []
    for person in non_responders(notice):
        sent = notice.reminders.get(person, ())
        if len(sent) < max_reminders and (not sent or now - sent[-1] >= every):
            due.append(person)
    return due


def record_reminder(notice: Notice, person_id: str, *, at: datetime) -> Notice:
    return replace(notice, reminders={**notice.reminders, person_id: (*notice.reminders.get(person_id, ()), at)})


@dataclass(frozen=True)
class NoticeSummary:
    attending: tuple[str, ...]
    not_attending: tuple[tuple[str, str], ...]  # (person, reason)
    substitutes: tuple[tuple[str, str], ...]  # (person, substitute)
    read_only: tuple[str, ...]
    silent: tuple[str, ...]
    text: str


def summarise(notice: Notice, names: dict[str, str] | None = None) -> NoticeSummary:
    """The organiser's report: counts and names per answer, in the recipients' order."""
    def name(p: str) -> str:
        return (names or {}).get(p, p)

    by: dict[Answer, list[Receipt]] = {a: [] for a in Answer}
    for person in notice.recipients:
        if person in notice.receipts:
            by[notice.receipts[person].answer].append(notice.receipts[person])
    silent = tuple(p for p in notice.recipients if p not in notice.receipts)
    lines = [
        f"《{notice.title}》回执情况：共{len(notice.recipients)}人，"
        f"参加{len(by[Answer.attending])}人，代参加{len(by[Answer.substitute])}人，"
        f"不参加{len(by[Answer.not_attending])}人，仅已阅{len(by[Answer.read])}人，未回复{len(silent)}人。"
    ]
    if by[Answer.substitute]:
        lines.append("代参加：" + "；".join(f"{name(r.person_id)}由{r.substitute}代" for r in by[Answer.substitute]))
    if by[Answer.not_attending]:
        lines.append("不参加：" + "；".join(
            name(r.person_id) + (f"（{r.reason}）" if r.reason else "") for r in by[Answer.not_attending]
        ))
    if silent or by[Answer.read]:
        lines.append("待确认：" + "、".join(name(p) for p in (*silent, *(r.person_id for r in by[Answer.read]))))
    return NoticeSummary(
        attending=tuple(r.person_id for r in by[Answer.attending]),
        not_attending=tuple((r.person_id, r.reason) for r in by[Answer.not_attending]),
        substitutes=tuple((r.person_id, r.substitute) for r in by[Answer.substitute]),
        read_only=tuple(r.person_id for r in by[Answer.read]),
        silent=silent,
        text="\n".join(lines),
    )
