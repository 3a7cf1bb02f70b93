from datetime import datetime, timedelta, timezone

import pytest

from services.notify.domain.notices import (
    Answer,
    Approval,
    Notice,
    NoticeError,
    Receipt,
    approve,
    edit,
    mark_sent,
    non_responders,
    parse_notice_reply,
    record_receipt,
    record_reminder,
    reject,
    reminders_due,
    submit,
    summarise,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=CST)
LEADER = frozenset({"office_leader"})


def draft() -> Notice:
    return Notice(
        id="nt-1", title="全市防汛工作会议", body="请各单位主要负责同志参加。", when=T0 + timedelta(days=1),
        place="市政府第一会议室", organiser_id="u-org", drafted_by="u-clerk", recipients=("a", "b", "c", "d"),
    )


def sent() -> Notice:
    notice = approve(submit(draft()), approver_id="u-lead", approver_roles=LEADER, at=T0)
    return mark_sent(notice, at=T0 + timedelta(minutes=5))


def test_nothing_goes_out_without_office_leader_approval():
    with pytest.raises(NoticeError, match="未经办公室领导审定"):
        mark_sent(draft(), at=T0)
    with pytest.raises(NoticeError, match="未经办公室领导审定"):
        mark_sent(submit(draft()), at=T0)
    with pytest.raises(NoticeError, match="须经办公室领导审定"):
        approve(submit(draft()), approver_id="u-clerk", approver_roles=frozenset({"duty_officer"}), at=T0)
    assert sent().approval is Approval.sent


def test_editing_after_approval_needs_new_approval():
    approved = approve(submit(draft()), approver_id="u-lead", approver_roles=LEADER, at=T0)
    changed = edit(approved, place="市政府第二会议室")
    assert changed.approval is Approval.draft and changed.approved_by == ""
    with pytest.raises(NoticeError):
        mark_sent(changed, at=T0)
    with pytest.raises(NoticeError, match="已发出"):
        edit(sent(), title="x")


def test_rejection_needs_a_reason_and_can_be_resubmitted():
    submitted = submit(draft())
    with pytest.raises(NoticeError, match="理由"):
        reject(submitted, approver_id="u-lead", approver_roles=LEADER, at=T0, reason=" ")
    rejected = reject(submitted, approver_id="u-lead", approver_roles=LEADER, at=T0, reason="时间待定")
    assert rejected.approval is Approval.rejected and rejected.rejection_reason == "时间待定"
    assert submit(rejected).approval is Approval.submitted


def test_submit_checks_content():
    with pytest.raises(NoticeError, match="没有接收人"):
        submit(Notice(**{**draft().__dict__, "recipients": ()}))


def test_receipts_latest_wins_but_read_never_overwrites_an_answer():
    notice = sent()
    notice = record_receipt(notice, Receipt("a", Answer.attending, T0))
    notice = record_receipt(notice, Receipt("a", Answer.read, T0 + timedelta(minutes=1)))
    assert notice.receipts["a"].answer is Answer.attending
    notice = record_receipt(notice, Receipt("a", Answer.not_attending, T0 + timedelta(minutes=2), reason="出差"))
    assert notice.receipts["a"].answer is Answer.not_attending
    with pytest.raises(NoticeError, match="不是该通知的接收人"):
        record_receipt(notice, Receipt("zz", Answer.attending, T0))
    with pytest.raises(NoticeError, match="写明参加人"):
        record_receipt(notice, Receipt("b", Answer.substitute, T0))
    with pytest.raises(NoticeError, match="尚未发出"):
        record_receipt(draft(), Receipt("a", Answer.attending, T0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", (Answer.attending, "")), ("参加", (Answer.attending, "")), ("2 出差", (Answer.not_attending, "出差")),
     ("不参加，在外地", (Answer.not_attending, "在外地")), ("3 王五", (Answer.substitute, "王五")),
     ("由王五代参加", (Answer.substitute, "王五")), ("收到", (Answer.read, "")), ("今天吃什么", None)],
)
def test_parse_replies(text, expected):
    assert parse_notice_reply(text) == expected


def test_reminders_go_to_non_responders_on_schedule():
    notice = record_receipt(sent(), Receipt("a", Answer.attending, T0))
    notice = record_receipt(notice, Receipt("b", Answer.read, T0))
    assert non_responders(notice) == ["b", "c", "d"]
    sent_at = notice.sent_at
    assert sent_at is not None
    rules = dict(first_after=timedelta(hours=2), every=timedelta(hours=3), max_reminders=2)
    assert reminders_due(notice, now=sent_at + timedelta(hours=1), **rules) == []
    first = sent_at + timedelta(hours=2)
    assert reminders_due(notice, now=first, **rules) == ["b", "c", "d"]
    for person in ("b", "c", "d"):
        notice = record_reminder(notice, person, at=first)
    assert reminders_due(notice, now=first + timedelta(hours=1), **rules) == []
    assert reminders_due(notice, now=first + timedelta(hours=3), **rules) == ["b", "c", "d"]
    for person in ("b", "c", "d"):
        notice = record_reminder(notice, person, at=first + timedelta(hours=3))
    assert reminders_due(notice, now=first + timedelta(hours=9), **rules) == []  # max reached
    assert reminders_due(notice, now=notice.when, first_after=timedelta(0), every=timedelta(0), max_reminders=9) == []


def test_summary_for_the_organiser():
    notice = sent()
    notice = record_receipt(notice, Receipt("a", Answer.attending, T0))
    notice = record_receipt(notice, Receipt("b", Answer.substitute, T0, substitute="王五"))
    notice = record_receipt(notice, Receipt("c", Answer.not_attending, T0, reason="出差"))
    summary = summarise(notice, names={"a": "张局长", "b": "李局长", "c": "赵局长", "d": "钱局长"})
    assert summary.attending == ("a",) and summary.substitutes == (("b", "王五"),)
    assert summary.not_attending == (("c", "出差"),) and summary.silent == ("d",)
    assert "共4人，参加1人，代参加1人，不参加1人，仅已阅0人，未回复1人" in summary.text
    assert "李局长由王五代" in summary.text and "赵局长（出差）" in summary.text and "待确认：钱局长" in summary.text
