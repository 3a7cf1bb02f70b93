"""Review gate (R-05) and urgent bypass (R-07) use cases over the pure state machine in domain/review.py.
The reviewer must hold the role and, for the shift leader, be the one on duty now (asked from scheduling);
the approval names the revision the reviewer saw — a stale one is refused and nothing is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.escalation.codec import review_from_doc, review_to_doc
from services.escalation.domain.review import (
    STATE_NAMES,
    Actor,
    ReviewCase,
    ReviewError,
    approve,
    post_review,
    return_for_changes,
    send_urgent,
    submit,
)
from services.escalation.errors import ConflictError
from shared.auth import Principal

EDITABLE = {"title": "标题", "place": "地点", "measures": "处置情况"}


class ReviewUseCases:
    def _review_entry(self: Any, case: ReviewCase, revision: int) -> dict[str, Any]:
        last = case.history[-1] if case.history else None
        text = f"审核状态：{STATE_NAMES[case.state]}"
        if last is not None:
            text += f"（{last.by}，{last.comment}）" if last.comment else f"（{last.by}）"
        n = len(case.history)
        return self._entry(f"review:{case.submitted_at or ''}:{n}:{case.state}", "review", text,
                           state=case.state, revision=revision, by=last.by if last else None)

    async def _reviewer(self: Any, who: Principal, category: str) -> tuple[Actor, Any]:
        """The role the caller reviews in, and an on-duty check answered by scheduling (asked once, now)."""
        roles = [r for r in self.rules.review.approver_roles if r in {str(x) for x in who.roles}] \
            if self.rules.review else []
        answer = await self._on_duty(category)
        role = "shift_leader" if "shift_leader" in roles and answer.shift_leader == who.id else (
            roles[0] if roles else next(iter(sorted(str(r) for r in who.roles)), "unknown"))

        def on_duty(person: str, role_: str, at: datetime) -> bool:
            if role_ == "shift_leader":
                return answer.shift_leader == person
            return role_ == "duty_head"  # the head of the duty room answers for it at any hour

        return Actor(who.id, role), on_duty

    async def review_step(self: Any, incident_id: str, who: Principal, step: str, *, shown_revision: int | None,
                           comment: str = "", edits: dict[str, Any] | None = None) -> dict[str, Any]:
        doc = await self.store.get(incident_id)
        if doc is None:
            raise LookupError(f"事件不存在或尚未处理：{incident_id}")
        if self.rules.review is None:
            raise ReviewError("wrong_state", "规则文件未配置审核（review），无需审核")
        case = review_from_doc(incident_id, doc.get("review"))
        now, current = self.clock.now(), doc["revision"]
        fields: dict[str, Any] = {}
        shown = current if shown_revision is None else shown_revision
        if step in ("approve", "return", "post_review"):
            actor, on_duty = await self._reviewer(who, doc["category"])
        else:
            actor, on_duty = Actor(who.id, "duty_officer"), None
        if step == "approve":
            bad = sorted(set(edits or {}) - set(EDITABLE))
            if bad:
                raise ReviewError("bad_edit", f"审核时只能修改：{'、'.join(EDITABLE.values())}（不可修改：{'、'.join(bad)}）")
            case = approve(case, by=actor, shown_revision=shown, current_revision=current, on_duty=on_duty,
                           rules=self.rules.review, at=now, comment=comment, edits=edits)
            if edits:
                fields.update({k: str(v) for k, v in edits.items()})
                fields["revision"] = current + 1
        elif step == "return":
            case = return_for_changes(case, by=actor, shown_revision=shown, current_revision=current,
                                      on_duty=on_duty, rules=self.rules.review, at=now, comment=comment)
        elif step == "resubmit":
            reasons = list(case.required_because) or ["退回修改后重新提交"]
            case = submit(case, reasons=reasons, by=actor, at=now, revision=current)
        elif step == "urgent":
            case = send_urgent(case, by=actor, reason=comment, at=now, revision=current)
        else:
            case = post_review(case, by=actor, on_duty=on_duty, rules=self.rules.review, at=now, comment=comment)
        fields["review"] = review_to_doc(case)
        if step != "resubmit" and case.state != "awaiting_review":
            await self.store.cancel_timers({"incident_id": incident_id, "kind": {"$in": [
                "review_reminder", "review_escalation"]}}, now, f"审核已处理（{STATE_NAMES[case.state]}）")
        entry = self._review_entry(case, fields.get("revision", current))
        if edits:
            entry["text"] += "；修改：" + "；".join(f"{EDITABLE[k]}→{v}" for k, v in edits.items())
        if step == "urgent":
            entry["kind"] = "urgent_bypass"
        if not await self.store.update_at_revision(incident_id, current, fields, [entry]):
            raise ConflictError(f"事件 {incident_id} 已被他人更新，请刷新后重试")
        updated = await self.store.get(incident_id)
        await self._proceed(updated)
        return updated
