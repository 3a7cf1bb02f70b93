"""The review gate (R-05) and the urgent bypass (R-07), as an immutable state machine.

draft ──submit──▶ awaiting_review ──approve / edit_and_approve──▶ approved
  │                   │  ▲                                            (may go to leaders)
  │                   │  └──submit── returned ◀──return_for_changes──┘ (from awaiting_review)
  │ submit, nothing requires review ──▶ not_required
  └─send_urgent (also from awaiting_review, returned)──▶ awaiting_post_review ──post_review──▶ post_reviewed
Every transition is recorded (who, role, when, which incident revision); nothing is half-applied: an error
leaves the case as it was because cases are never mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.escalation.domain.grading import LEVEL_NAMES, at_least
from services.escalation.domain.rules_schema import ReviewRules

OnDuty = Callable[[str, str, datetime], bool]  # (person_id, role, at) -> on duty now in that role?
ROLE_NAMES = {"duty_head": "值班室负责人", "shift_leader": "带班领导", "duty_officer": "值班人员"}
STATE_NAMES = {
    "draft": "草稿", "awaiting_review": "待审核", "approved": "已审核", "returned": "已退回",
    "not_required": "无需审核", "awaiting_post_review": "紧急直报待补审", "post_reviewed": "已补审",
}
RELEASED = frozenset({"approved", "not_required", "awaiting_post_review", "post_reviewed"})


class ReviewError(ValueError):
    def __init__(self, code: str, message: str):
        self.code = code  # wrong_state | not_authorised | not_on_duty | stale_approval | comment_required
        super().__init__(message)


@dataclass(frozen=True)
class Actor:
    person_id: str
    role: str


@dataclass(frozen=True)
class ReviewEvent:
    action: str
    by: str
    role: str
    at: datetime
    revision: int
    comment: str = ""
    edits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewCase:
    incident_id: str
    state: str = "draft"
    required_because: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    released_revision: int | None = None  # the revision leaders may receive
    history: tuple[ReviewEvent, ...] = ()

    @property
    def may_go_to_leaders(self) -> bool:
        return self.state in RELEASED

    def _with(self, state: str, event: ReviewEvent, **changes: Any) -> ReviewCase:
        return replace(self, state=state, history=self.history + (event,), **changes)


@dataclass(frozen=True)
class ReviewTimer:
    kind: str  # review_reminder | review_escalation
    at: datetime
    to_roles: tuple[str, ...]


def review_reasons(level: str | None, sensitive: bool, may_escalate: bool, rules: ReviewRules) -> list[str]:
    """Why this incident needs review (regulation 三(二)); empty when it does not."""
    reasons = []
    if at_least(level, rules.required_from_level):
        reasons.append(f"等级为{LEVEL_NAMES[level or 'IV']}")
    if sensitive and rules.sensitive_requires_review:
        reasons.append("敏感事件")
    if may_escalate and rules.may_escalate_requires_review:
        reasons.append("可能升级")
    return reasons


def submit(case: ReviewCase, *, reasons: list[str], by: Actor, at: datetime, revision: int) -> ReviewCase:
    _expect(case, {"draft", "returned"}, "提交审核")
    if not reasons:
        event = ReviewEvent("released_without_review", by.person_id, by.role, at, revision, "无需审核")
        return case._with("not_required", event, released_revision=revision)
    event = ReviewEvent("submitted", by.person_id, by.role, at, revision, "；".join(reasons))
    return case._with("awaiting_review", event, required_because=tuple(reasons), submitted_at=at)


def approve(
    case: ReviewCase, *, by: Actor, shown_revision: int, current_revision: int, on_duty: OnDuty,
    rules: ReviewRules, at: datetime, comment: str = "", edits: dict[str, Any] | None = None,
) -> ReviewCase:
    """Approve what the reviewer saw; with ``edits`` the caller stores them as revision current+1, released."""
    _expect(case, {"awaiting_review"}, "审核通过")
    _check_reviewer(by, shown_revision, current_revision, on_duty, rules, at)
    released = current_revision + 1 if edits else current_revision
    action = "edited_and_approved" if edits else "approved"
    event = ReviewEvent(action, by.person_id, by.role, at, released, comment, dict(edits or {}))
    return case._with("approved", event, released_revision=released)


def return_for_changes(
    case: ReviewCase, *, by: Actor, shown_revision: int, current_revision: int, on_duty: OnDuty,
    rules: ReviewRules, at: datetime, comment: str,
) -> ReviewCase:
    _expect(case, {"awaiting_review"}, "退回")
    if not comment.strip():
        raise ReviewError("comment_required", "退回时必须填写修改意见")
    _check_reviewer(by, shown_revision, current_revision, on_duty, rules, at)
    event = ReviewEvent("returned", by.person_id, by.role, at, current_revision, comment.strip())
    return case._with("returned", event)


def send_urgent(case: ReviewCase, *, by: Actor, reason: str, at: datetime, revision: int) -> ReviewCase:
    """R-07: the officer reports straight to the principal or in-charge leader; reviewed afterwards."""
    _expect(case, {"draft", "awaiting_review", "returned"}, "紧急直报")
    if not reason.strip():
        raise ReviewError("comment_required", "紧急直报必须说明理由")
    event = ReviewEvent("sent_urgent", by.person_id, by.role, at, revision, reason.strip())
    return case._with("awaiting_post_review", event, released_revision=revision)


def post_review(
    case: ReviewCase, *, by: Actor, on_duty: OnDuty, rules: ReviewRules, at: datetime, comment: str,
) -> ReviewCase:
    _expect(case, {"awaiting_post_review"}, "补审")
    revision = case.released_revision if case.released_revision is not None else 0
    _check_reviewer(by, revision, revision, on_duty, rules, at)
    event = ReviewEvent("post_reviewed", by.person_id, by.role, at, revision, comment.strip())
    return case._with("post_reviewed", event)


def review_timers(case: ReviewCase, rules: ReviewRules) -> list[ReviewTimer]:
    """A reminder to the reviewers, then an escalation to the head, if review is still pending."""
    if case.state != "awaiting_review" or case.submitted_at is None:
        return []
    start = case.submitted_at
    return [
        ReviewTimer("review_reminder", start + timedelta(minutes=rules.remind_after_minutes),
                    tuple(rules.approver_roles)),
        ReviewTimer("review_escalation", start + timedelta(minutes=rules.escalate_after_minutes),
                    (rules.escalate_to_role,)),
    ]


def _expect(case: ReviewCase, allowed: set[str], what: str) -> None:
    if case.state not in allowed:
        raise ReviewError("wrong_state", f"事件{case.incident_id}当前状态为“{STATE_NAMES[case.state]}”，不能{what}")


def _check_reviewer(by: Actor, shown: int, current: int, on_duty: OnDuty, rules: ReviewRules,
                    at: datetime) -> None:
    if by.role not in rules.approver_roles:
        allowed = "或".join(ROLE_NAMES.get(r, r) for r in rules.approver_roles)
        raise ReviewError("not_authorised", f"只有{allowed}可以审核（当前角色：{ROLE_NAMES.get(by.role, by.role)}）")
    if not on_duty(by.person_id, by.role, at):
        raise ReviewError("not_on_duty", f"{by.person_id}此刻不是在岗的{ROLE_NAMES.get(by.role, by.role)}，不能审核")
    if shown != current:
        raise ReviewError("stale_approval", f"事件已在您查看后更新（您看到第{shown}版，当前第{current}版），请重新查看后再审核")
