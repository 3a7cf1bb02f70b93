"""The review gate as the service runs it (service.py, service_review.py): who may approve, what a refused step
leaves (nothing), what an approval releases (the leaders, once), return → resubmit → approve, edit-then-approve,
the urgent bypass and its post-review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.escalation.domain.review import ReviewError
from services.escalation.domain.rules import Rules
from services.escalation.errors import ConflictError
from tests.unit.escalation.service_harness import Harness, make, minutes, person

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
HEAD = person("p-head", "duty_head")
SHIFT_LEADER = person("p-sl", "shift_leader")


@pytest.fixture
async def h(rules: Rules) -> Harness:
    return await make(rules, START)


async def test_level_iii_waits_for_review_and_only_the_officer_is_told(h: Harness) -> None:
    doc = await h.open()
    assert doc["level"] == "III" and doc["review"]["state"] == "awaiting_review"
    assert doc["review"]["required_because"] == ["等级为较大"]
    assert await h.sent_to() == ["p-duty-1"]
    review_timers = await h.store.timers_of({"incident_id": "INC-1", "kind": {"$regex": "^review"}})
    assert [(t["kind"], t["due_at"]) for t in review_timers] == [
        ("review_reminder", START + minutes(5)), ("review_escalation", START + minutes(10))]


async def test_level_iv_is_not_held_and_not_sent_to_leaders(h: Harness) -> None:
    doc = await h.open(casualties={"deaths": 2}, title="某厂机械伤害", place="某厂")
    assert doc["level"] == "IV" and doc["review"]["state"] == "not_required"
    assert doc["routed"] is True and await h.sent_to() == ["p-duty-1"]


async def test_the_shift_leader_on_duty_approves_and_the_leaders_are_told_once(h: Harness) -> None:
    doc = await h.open()
    await h.svc.review_step("INC-1", SHIFT_LEADER, "approve", shown_revision=doc["revision"])
    after = await h.store.get("INC-1")
    assert after is not None
    assert after["review"]["state"] == "approved" and after["released_revision"] == doc["revision"]
    sent = await h.sent_to()
    assert "party_committee_duty_room" in sent
    rev = doc["revision"]

    async def to_leader() -> list[str]:
        return [p["notification_id"] for p in await h.sends() if p["person_id"] == "l-vm-safety"]

    # the report (phone first), then the written report of its own (fax first)
    assert await to_leader() == [f"INC-1_r{rev}_l-vm-safety", f"INC-1_w{rev}_l-vm-safety"]
    timers = await h.store.timers_of({"incident_id": "INC-1", "kind": {"$regex": "^review"}})
    assert {t["state"] for t in timers} == {"cancelled"}  # approved: no reminder, no escalation
    await h.svc._proceed(after)  # a redelivered event releases nothing twice
    assert await to_leader() == [f"INC-1_r{rev}_l-vm-safety", f"INC-1_w{rev}_l-vm-safety"]


@pytest.mark.parametrize(("who", "code"), [
    (person("p-other-sl", "shift_leader"), "not_on_duty"),  # a shift leader, but not the one on duty now
    (person("p-duty-1", "duty_officer"), "not_authorised"),  # without the role
    (person("l-vm-safety", "leader"), "not_authorised"),
])
async def test_an_approval_without_the_right_is_refused_and_nothing_is_written(
        h: Harness, who: object, code: str) -> None:
    doc = await h.open()
    before = await h.snapshot()
    with pytest.raises(ReviewError) as info:
        await h.svc.review_step("INC-1", who, "approve", shown_revision=doc["revision"])
    assert info.value.code == code and str(info.value)
    assert await h.snapshot() == before


async def test_a_stale_approval_is_refused_and_nothing_is_written(h: Harness) -> None:
    doc = await h.open()
    shown = doc["revision"]
    await h.follow_up(report_id="F-2", title="续报：死亡人数升至4人", casualties={"deaths": 4})
    before = await h.snapshot()
    with pytest.raises(ReviewError) as info:
        await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=shown)
    assert info.value.code == "stale_approval" and f"第{shown}版" in str(info.value)
    assert await h.snapshot() == before
    assert "l-vm-safety" not in await h.sent_to()


async def test_return_then_resubmit_then_approve(h: Harness) -> None:
    doc = await h.open()
    with pytest.raises(ReviewError) as info:
        await h.svc.review_step("INC-1", HEAD, "return", shown_revision=doc["revision"], comment=" ")
    assert info.value.code == "comment_required"
    doc = await h.svc.review_step("INC-1", HEAD, "return", shown_revision=doc["revision"], comment="伤亡人数需核实")
    assert doc["review"]["state"] == "returned" and "l-vm-safety" not in await h.sent_to()
    doc = await h.svc.review_step("INC-1", person("p-duty-1", "duty_officer"), "resubmit", shown_revision=None)
    assert doc["review"]["state"] == "awaiting_review"
    doc = await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=doc["revision"])
    assert doc["review"]["state"] == "approved" and "l-vm-safety" in await h.sent_to()
    actions = [(e["action"], e["by"]) for e in doc["review"]["history"]]
    assert actions[-4:] == [("submitted", "system"), ("returned", "p-head"), ("submitted", "p-duty-1"), ("approved", "p-head")]


async def test_edit_then_approve_releases_the_edited_revision(h: Harness) -> None:
    doc = await h.open()
    before = await h.snapshot()
    with pytest.raises(ReviewError) as info:
        await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=doc["revision"], edits={"level": "IV"})
    assert info.value.code == "bad_edit" and "level" in str(info.value)
    assert await h.snapshot() == before
    doc = await h.svc.review_step("INC-1", HEAD, "approve", shown_revision=doc["revision"],
                                   edits={"title": "武鸣区某化工厂爆炸事故（核实后）"})
    doc = await h.store.get("INC-1")
    assert doc is not None and doc["title"] == "武鸣区某化工厂爆炸事故（核实后）"
    assert doc["revision"] == before[0]["revision"] + 1 == doc["released_revision"]
    leader = next(p for p in await h.sends() if p["person_id"] == "l-vm-safety")
    assert "核实后" in leader["subject"] + leader["body"]


async def test_urgent_bypass_reaches_only_the_leaders_then_is_reviewed_afterwards(h: Harness) -> None:
    await h.open()
    doc = await h.svc.review_step("INC-1", person("p-duty-1", "duty_officer"), "urgent", shown_revision=None,
                                   comment="爆炸仍在持续")
    assert doc["review"]["state"] == "awaiting_post_review"
    sent = await h.sent_to()
    assert "l-vm-safety" in sent and "party_committee_duty_room" not in sent and "市应急管理局" not in sent
    assert any(e["kind"] == "urgent_bypass" for e in doc["timeline"])
    doc = await h.svc.review_step("INC-1", HEAD, "post_review", shown_revision=None, comment="补审同意")
    assert doc["review"]["state"] == "post_reviewed"


async def test_an_unknown_incident_is_a_lookup_error(h: Harness) -> None:
    with pytest.raises(LookupError, match="事件不存在"):
        await h.svc.review_step("INC-NOPE", HEAD, "approve", shown_revision=0)


async def test_a_level_decision_on_a_stale_revision_is_refused(h: Harness) -> None:
    doc = await h.open()
    before = await h.snapshot()
    with pytest.raises(ConflictError, match="请刷新后重试"):
        await h.svc.decide_level("INC-1", action="confirm", by="p-duty-1", shown_revision=doc["revision"] + 1)
    assert await h.snapshot() == before
