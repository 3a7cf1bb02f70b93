"""Leader instructions and supervision (NORMS §7): the state machine, reminders, precise refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.domain.instructions import (
    InstructionError,
    SupervisedItem,
    accept,
    close,
    new_instruction,
    register,
    relay,
    reminder_schedule,
    return_feedback,
    start,
    submit_feedback,
)
from services.escalation.domain.rules import Rules

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
KNOWN = {"inc-1"}


def _instruction(**kw: object) -> SupervisedItem:
    args: dict[str, object] = dict(
        item_id="ins-1", kind="instruction", text="请市应急管理局立即组织救援，核实伤亡", given_by="l-vm-safety",
        given_at=T0, lead_unit="市应急管理局", supporting_units=("某县人民政府",), due_at=T0 + timedelta(days=2),
        incident_exists=KNOWN.__contains__, incident_id="inc-1", standard="书面报告救援进展", by="zhang", at=T0,
    )
    args.update(kw)
    return register(**args)  # type: ignore[arg-type]


def test_full_cycle_to_closed() -> None:
    item = _instruction()
    item = relay(item, units=["市应急管理局", "某县人民政府"], by="zhang", at=T0 + timedelta(minutes=2))
    item = start(item, unit="市应急管理局", at=T0 + timedelta(minutes=30))
    item = submit_feedback(item, unit="市应急管理局", text="已救出2人", at=T0 + timedelta(hours=5))
    item = return_feedback(item, by="li", comment="缺少失踪人员情况", at=T0 + timedelta(hours=6))
    assert item.state == "returned"
    item = submit_feedback(item, unit="市应急管理局", text="已救出2人，失踪1人仍在搜救", at=T0 + timedelta(hours=8),
                           document_ref="doc-7")
    assert item.feedback is not None and item.feedback.text.endswith("仍在搜救")  # the single document replaced
    item = close(accept(item, by="li", at=T0 + timedelta(hours=9)), by="li", at=T0 + timedelta(hours=10))
    assert item.state == "closed"
    assert [e.action for e in item.history] == [
        "registered", "relayed", "started", "feedback_submitted", "returned", "feedback_submitted",
        "accepted", "closed"]


def test_unknown_incident_is_refused() -> None:
    with pytest.raises(InstructionError, match="事件 inc-9 不存在"):
        _instruction(incident_id="inc-9")


def test_instruction_needs_incident_but_task_does_not() -> None:
    with pytest.raises(InstructionError, match="必须关联事件"):
        _instruction(incident_id=None)
    task = _instruction(kind="task", incident_id=None, text="汇总节日值班表")
    assert task.kind == "task" and task.state == "registered"


def test_due_before_given_is_refused() -> None:
    with pytest.raises(InstructionError, match="办理时限必须晚于"):
        _instruction(due_at=T0 - timedelta(hours=1))


def test_relay_must_reach_every_responsible_unit() -> None:
    with pytest.raises(InstructionError, match="缺少责任单位：某县人民政府"):
        relay(_instruction(), units=["市应急管理局"], by="zhang", at=T0)


def test_only_lead_unit_gives_feedback() -> None:
    item = relay(_instruction(), units=["市应急管理局", "某县人民政府"], by="zhang", at=T0)
    with pytest.raises(InstructionError, match="不是牵头单位"):
        submit_feedback(item, unit="某县人民政府", text="x", at=T0)


def test_cannot_close_before_acceptance() -> None:
    item = relay(_instruction(), units=["市应急管理局", "某县人民政府"], by="zhang", at=T0)
    with pytest.raises(InstructionError, match="当前状态为“已传达”，不能办结"):
        close(item, by="li", at=T0)


def test_new_instruction_sends_it_out_again() -> None:
    item = relay(_instruction(), units=["市应急管理局", "某县人民政府"], by="zhang", at=T0)
    item = accept(submit_feedback(item, unit="市应急管理局", text="完成", at=T0), by="li", at=T0)
    again = new_instruction(item, text="举一反三开展排查", given_at=T0 + timedelta(days=1),
                            due_at=T0 + timedelta(days=7), by="zhang", at=T0 + timedelta(days=1))
    assert again.state == "relayed" and "举一反三" in again.text and again.due_at == T0 + timedelta(days=7)


def test_reminders_and_overdue(rules: Rules) -> None:
    item = relay(_instruction(), units=["市应急管理局", "某县人民政府"], by="zhang", at=T0)
    due = T0 + timedelta(days=2)
    assert reminder_schedule(item, rules.supervision) == [
        due - timedelta(hours=24), due - timedelta(hours=2),
        due + timedelta(hours=24), due + timedelta(hours=48), due + timedelta(hours=72)]
    assert item.is_overdue(due + timedelta(minutes=1)) and not item.is_overdue(due)
    done = submit_feedback(item, unit="市应急管理局", text="完成", at=T0)
    assert reminder_schedule(done, rules.supervision) == []
