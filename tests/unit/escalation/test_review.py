"""The review gate (R-05) and urgent bypass (R-07): states, roles, duty, stale approvals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.domain.review import (
    Actor,
    ReviewCase,
    ReviewError,
    approve,
    post_review,
    return_for_changes,
    review_reasons,
    review_timers,
    send_urgent,
    submit,
)
from services.escalation.domain.rules import Rules

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
OFFICER = Actor("zhang", "duty_officer")
HEAD = Actor("li", "duty_head")
SHIFT_LEADER = Actor("wang", "shift_leader")


def on_duty(person: str, role: str, at: datetime) -> bool:
    return person in {"li", "wang"}


def off_duty(person: str, role: str, at: datetime) -> bool:
    return False


@pytest.fixture
def pending(rules: Rules) -> ReviewCase:
    assert rules.review is not None
    reasons = review_reasons("III", False, False, rules.review)
    return submit(ReviewCase("inc-1"), reasons=reasons, by=OFFICER, at=T0, revision=1)


def test_which_incidents_need_review(rules: Rules) -> None:
    assert rules.review is not None
    assert review_reasons("III", False, False, rules.review) == ["等级为较大"]
    assert review_reasons("IV", False, False, rules.review) == []
    assert review_reasons("IV", True, True, rules.review) == ["敏感事件", "可能升级"]
    assert review_reasons(None, False, False, rules.review) == []


def test_level_iv_is_released_without_review() -> None:
    case = submit(ReviewCase("inc-2"), reasons=[], by=OFFICER, at=T0, revision=1)
    assert case.state == "not_required" and case.may_go_to_leaders and case.released_revision == 1


def test_approve_releases_what_was_shown(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None and not pending.may_go_to_leaders
    case = approve(pending, by=SHIFT_LEADER, shown_revision=1, current_revision=1, on_duty=on_duty,
                   rules=rules.review, at=T0 + timedelta(minutes=3))
    assert case.state == "approved" and case.may_go_to_leaders and case.released_revision == 1
    assert [e.action for e in case.history] == ["submitted", "approved"]
    assert case.history[-1].by == "wang"


def test_edit_then_approve_releases_the_next_revision(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    case = approve(pending, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty, rules=rules.review,
                   at=T0, edits={"title": "某县某矿发生透水事故造成3人死亡"})
    assert case.released_revision == 2
    assert case.history[-1].action == "edited_and_approved" and "title" in case.history[-1].edits


def test_return_then_resubmit_then_approve(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    returned = return_for_changes(pending, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty,
                                  rules=rules.review, at=T0, comment="伤亡人数请核实")
    assert returned.state == "returned" and not returned.may_go_to_leaders
    again = submit(returned, reasons=["等级为较大"], by=OFFICER, at=T0 + timedelta(minutes=5), revision=2)
    done = approve(again, by=HEAD, shown_revision=2, current_revision=2, on_duty=on_duty, rules=rules.review, at=T0)
    assert done.state == "approved" and done.released_revision == 2


def test_return_needs_a_comment(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    with pytest.raises(ReviewError, match="修改意见") as info:
        return_for_changes(pending, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty,
                           rules=rules.review, at=T0, comment="  ")
    assert info.value.code == "comment_required"


def test_officer_cannot_approve(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    with pytest.raises(ReviewError, match="只有值班室负责人或带班领导可以审核") as info:
        approve(pending, by=OFFICER, shown_revision=1, current_revision=1, on_duty=on_duty, rules=rules.review, at=T0)
    assert info.value.code == "not_authorised"


def test_shift_leader_not_on_duty_cannot_approve(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    with pytest.raises(ReviewError, match="不是在岗") as info:
        approve(pending, by=SHIFT_LEADER, shown_revision=1, current_revision=1, on_duty=off_duty,
                rules=rules.review, at=T0)
    assert info.value.code == "not_on_duty"


def test_stale_approval_is_refused_and_nothing_changes(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    with pytest.raises(ReviewError, match="您看到第1版，当前第2版") as info:
        approve(pending, by=HEAD, shown_revision=1, current_revision=2, on_duty=on_duty, rules=rules.review, at=T0)
    assert info.value.code == "stale_approval"
    assert pending.state == "awaiting_review" and len(pending.history) == 1


def test_cannot_approve_twice(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    done = approve(pending, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty, rules=rules.review, at=T0)
    with pytest.raises(ReviewError, match="已审核") as info:
        approve(done, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty, rules=rules.review, at=T0)
    assert info.value.code == "wrong_state"


def test_urgent_bypass_then_post_review(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    urgent = send_urgent(pending, by=OFFICER, reason="化工厂爆炸，特别紧急", at=T0 + timedelta(minutes=1), revision=1)
    assert urgent.state == "awaiting_post_review" and urgent.may_go_to_leaders
    assert urgent.history[-1].action == "sent_urgent"
    reviewed = post_review(urgent, by=HEAD, on_duty=on_duty, rules=rules.review, at=T0 + timedelta(hours=1),
                           comment="同意")
    assert reviewed.state == "post_reviewed"


def test_urgent_bypass_needs_reason() -> None:
    with pytest.raises(ReviewError, match="紧急直报必须说明理由"):
        send_urgent(ReviewCase("inc-3"), by=OFFICER, reason="", at=T0, revision=1)


def test_review_timers_remind_then_escalate(pending: ReviewCase, rules: Rules) -> None:
    assert rules.review is not None
    reminder, escalation = review_timers(pending, rules.review)
    assert reminder.at == T0 + timedelta(minutes=5) and set(reminder.to_roles) == {"duty_head", "shift_leader"}
    assert escalation.at == T0 + timedelta(minutes=10) and escalation.to_roles == ("duty_head",)
    done = approve(pending, by=HEAD, shown_revision=1, current_revision=1, on_duty=on_duty, rules=rules.review, at=T0)
    assert review_timers(done, rules.review) == []
