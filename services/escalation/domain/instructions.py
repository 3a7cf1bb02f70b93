"""Leader instructions (批示), supervision (督办) and generic tasks (R-11, R-27; NORMS §7) — one state machine.

registered ─relay─▶ relayed ─start─▶ in_progress ─submit_feedback─▶ feedback_submitted
                                          ▲                              │ return_feedback  │ accept
                                          └── returned ◀─────────────────┘                  ▼
                     relayed ◀─new_instruction── accepted ─close (no new instruction)─▶ closed
Items are immutable; an invalid step raises InstructionError (Chinese message) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.escalation.domain.rules_schema import Supervision

STATE_NAMES = {
    "registered": "已登记", "relayed": "已传达", "in_progress": "办理中", "feedback_submitted": "已反馈",
    "returned": "已退回", "accepted": "已认可", "closed": "已办结",
}
KINDS = {"instruction": "领导批示", "supervision": "督办事项", "task": "交办事项"}
OPEN_STATES = frozenset({"registered", "relayed", "in_progress", "feedback_submitted", "returned"})


class InstructionError(ValueError):
    pass


@dataclass(frozen=True)
class Feedback:
    unit: str
    text: str
    at: datetime
    document_ref: str | None = None


@dataclass(frozen=True)
class ItemEvent:
    action: str
    by: str
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class SupervisedItem:
    item_id: str
    kind: str
    text: str
    given_by: str  # the leader who instructed, or who assigned the task
    given_at: datetime
    lead_unit: str
    due_at: datetime | None
    incident_id: str | None = None
    supporting_units: tuple[str, ...] = ()
    standard: str = ""  # standard of completion
    state: str = "registered"
    relayed_to: tuple[str, ...] = ()
    feedback: Feedback | None = None  # one document per instruction: a new one replaces the old
    history: tuple[ItemEvent, ...] = field(default_factory=tuple)

    def _step(self, state: str, action: str, by: str, at: datetime, detail: str = "", **changes: Any) -> SupervisedItem:
        return replace(self, state=state, history=self.history + (ItemEvent(action, by, at, detail),), **changes)

    def is_overdue(self, at: datetime) -> bool:
        return self.state in OPEN_STATES and self.due_at is not None and at > self.due_at


def register(
    *, item_id: str, kind: str, text: str, given_by: str, given_at: datetime, lead_unit: str,
    due_at: datetime | None, incident_exists: Callable[[str], bool], incident_id: str | None = None,
    supporting_units: tuple[str, ...] = (), standard: str = "", by: str, at: datetime,
) -> SupervisedItem:
    if kind not in KINDS:
        raise InstructionError(f"事项类型 {kind!r} 无效，只能是：{'、'.join(KINDS.values())}")
    if not text.strip():
        raise InstructionError(f"{KINDS[kind]}内容不能为空")
    if not lead_unit.strip():
        raise InstructionError("必须指定牵头（责任）单位")
    if kind == "instruction" and incident_id is None:
        raise InstructionError("领导批示必须关联事件")
    if incident_id is not None and not incident_exists(incident_id):
        raise InstructionError(f"事件 {incident_id} 不存在，无法登记{KINDS[kind]}")
    if due_at is not None and due_at <= given_at:
        raise InstructionError("办理时限必须晚于批示（交办）时间")
    item = SupervisedItem(item_id, kind, text.strip(), given_by, given_at, lead_unit, due_at, incident_id,
                          tuple(supporting_units), standard)
    return item._step("registered", "registered", by, at, text.strip())


def relay(item: SupervisedItem, *, units: list[str], by: str, at: datetime) -> SupervisedItem:
    """Relayed at once to the units concerned (the notifications themselves go through notify)."""
    _expect(item, {"registered"}, "传达")
    missing = [u for u in (item.lead_unit, *item.supporting_units) if u not in units]
    if missing:
        raise InstructionError(f"传达对象缺少责任单位：{'、'.join(missing)}")
    return item._step("relayed", "relayed", by, at, "、".join(units), relayed_to=tuple(units))


def start(item: SupervisedItem, *, unit: str, at: datetime) -> SupervisedItem:
    _expect(item, {"relayed", "returned"}, "开始办理")
    _lead_only(item, unit)
    return item._step("in_progress", "started", unit, at)


def submit_feedback(item: SupervisedItem, *, unit: str, text: str, at: datetime,
                    document_ref: str | None = None) -> SupervisedItem:
    _expect(item, {"relayed", "in_progress", "returned"}, "提交反馈")
    _lead_only(item, unit)
    if not text.strip():
        raise InstructionError("书面反馈内容不能为空")
    return item._step("feedback_submitted", "feedback_submitted", unit, at, text.strip(),
                      feedback=Feedback(unit, text.strip(), at, document_ref))


def return_feedback(item: SupervisedItem, *, by: str, comment: str, at: datetime) -> SupervisedItem:
    _expect(item, {"feedback_submitted"}, "退回反馈")
    if not comment.strip():
        raise InstructionError("退回反馈必须写明理由")
    return item._step("returned", "returned", by, at, comment.strip())


def accept(item: SupervisedItem, *, by: str, at: datetime) -> SupervisedItem:
    _expect(item, {"feedback_submitted"}, "认可反馈")
    return item._step("accepted", "accepted", by, at)


def new_instruction(item: SupervisedItem, *, text: str, given_at: datetime, due_at: datetime | None,
                    by: str, at: datetime) -> SupervisedItem:
    """The leader, shown the result, instructs again: the item goes back out with the new text."""
    _expect(item, {"accepted", "feedback_submitted"}, "登记新批示")
    if not text.strip():
        raise InstructionError("新批示内容不能为空")
    return item._step("relayed", "new_instruction", by, at, text.strip(), due_at=due_at,
                      text=f"{item.text}\n（{given_at:%Y-%m-%d %H:%M} 续批）{text.strip()}")


def close(item: SupervisedItem, *, by: str, at: datetime) -> SupervisedItem:
    """Closed when the feedback is accepted and the leader gave no new instruction."""
    _expect(item, {"accepted"}, "办结")
    return item._step("closed", "closed", by, at)


def reminder_schedule(item: SupervisedItem, rules: Supervision) -> list[datetime]:
    """催办 moments: before the due date, then repeatedly once overdue; none once feedback is in or closed."""
    if item.due_at is None or item.state not in {"registered", "relayed", "in_progress", "returned"}:
        return []
    due = item.due_at
    before = [due - timedelta(hours=h) for h in sorted(rules.remind_before_due_hours, reverse=True)]
    after = [due + timedelta(hours=rules.overdue_every_hours * k) for k in range(1, rules.overdue_repeats + 1)]
    return [t for t in before if t > item.given_at] + after


def _expect(item: SupervisedItem, allowed: set[str], what: str) -> None:
    if item.state not in allowed:
        raise InstructionError(f"{KINDS[item.kind]} {item.item_id} 当前状态为“{STATE_NAMES[item.state]}”，不能{what}")


def _lead_only(item: SupervisedItem, unit: str) -> None:
    if unit != item.lead_unit:
        raise InstructionError(f"{unit} 不是牵头单位（{item.lead_unit}），不能办理或反馈")
