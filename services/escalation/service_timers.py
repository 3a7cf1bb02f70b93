"""Durable timers (R-08, R-05, R-06, R-11): planned in the store under a unique key and, when enabled,
also put on the broker (fixed-TTL wait queues). Whoever claims a due timer first (one
find_one_and_update on ``state: pending``) fires it; every other copy finds it fired. See docs/escalation.md."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from services.escalation.domain.clocks import KIND_NAMES, IncidentClockFacts, deadlines
from services.escalation.domain.deadlines import STATE_NAMES as DEADLINE_STATES
from services.escalation.domain.deadlines import Happening, Met, Planned, met_by, state_of
from services.escalation.domain.review import ReviewCase, review_timers
from services.escalation.service_routing import ROLE_WORDS, short_id
from shared.bus import RetryLater
from shared.clock import as_utc, to_local
from shared.contracts.escalation import TimerDue
from shared.topology import TIMER_TIERS_S, TIMER_WAIT

log = structlog.get_logger("zhiban.escalation.timers")


def tier_for(seconds: float) -> int:
    """The longest wait queue not beyond the remaining time (the shortest when already due)."""
    return max((t for t in TIMER_TIERS_S if t <= seconds), default=TIMER_TIERS_S[0])


def timer_doc(t: TimerDue) -> dict[str, Any]:
    return {"_id": t.key, **t.model_dump(mode="python", exclude={"key", "schema_"})}


def timer_message(doc: dict[str, Any]) -> TimerDue:
    fields = {k: doc[k] for k in TimerDue.model_fields if k not in ("key", "schema_") and k in doc}
    return TimerDue(key=doc["_id"], **{**fields, "due_at": as_utc(doc["due_at"])})


class TimerUseCases:
    async def _timer(self: Any, t: TimerDue) -> bool:
        if not await self.store.plan_timer(timer_doc(t)):
            return False
        if self.recirculate is not None and self.broker_live():
            wait = (t.due_at - self.clock.now()).total_seconds()
            await self.outbox.add(f"timer:{t.key}", f"{TIMER_WAIT}.{tier_for(wait)}", t)
        return True

    async def _plan_deadlines(self: Any, doc: dict[str, Any]) -> None:
        """Every deadline of the current level; a changed level cancels the deadlines that no longer apply."""
        occurred = doc.get("occurred_at")
        final = next((s["at"] for s in doc.get("stages", []) if s["stage"] == "终报"), None)
        found = deadlines(IncidentClockFacts(doc["_id"], doc["category"], as_utc(final) if final else None),
                          doc.get("level"), as_utc(occurred) if occurred else None, as_utc(doc["received_at"]),
                          self.rules, self.calendar)
        now = self.clock.now()
        met = doc.get("deadline_met", {})
        keep = []
        for d in found:
            if d.key in met:  # met: nothing left to remind of
                continue
            what = f"{KIND_NAMES[d.kind]}（{d.stage}）"
            for i, reminder in enumerate(d.reminders):
                if reminder.at > now:
                    key = f"{doc['_id']}:{d.key}:remind:{i}"
                    keep.append(key)
                    await self._timer(TimerDue(
                        key=key, kind="deadline_reminder", due_at=reminder.at, incident_id=doc["_id"],
                        to_roles=list(reminder.to_roles), subject=f"【时限提醒】{doc['title']}",
                        body=f"{what}应于{d.due_local}前完成：{doc['title']}", data={"deadline": d.key, "stage": d.stage}))
            key = f"{doc['_id']}:{d.key}:overdue"
            keep.append(key)
            await self._timer(TimerDue(
                key=key, kind="deadline_overdue", due_at=d.due_at, incident_id=doc["_id"],
                to_roles=list(d.overdue_to), subject=f"【已超时】{doc['title']}",
                body=f"{what}时限{d.due_local}已到：{doc['title']}，请立即报告", data={"deadline": d.key,
                                                                              "stage": d.stage}))
        await self.store.cancel_timers({"incident_id": doc["_id"], "kind": {"$in": ["deadline_reminder",
                                        "deadline_overdue"]}, "_id": {"$nin": keep}}, now,
                                      "时限重算（等级变化、已终报或已完成）")
        await self.store.set(doc["_id"], {"deadlines": [
            {"key": d.key, "kind": d.kind, "stage": d.stage, "due_at": d.due_at, "started_by": d.started_by,
             "due_local": d.due_local} for d in found]})

    async def _plan_review_timers(self: Any, doc: dict[str, Any], case: ReviewCase) -> None:
        for t in review_timers(case, self.rules.review):
            await self._timer(TimerDue(
                key=f"{doc['_id']}:review:{case.submitted_at:%Y%m%dT%H%M%S}:{t.kind}", kind=t.kind, due_at=t.at,
                incident_id=doc["_id"], to_roles=list(t.to_roles), subject=f"【待审核】{doc['title']}",
                body=f"事件《{doc['title']}》待审核（{'；'.join(case.required_because)}），请尽快审核",
                data={"submitted_at": case.submitted_at.isoformat() if case.submitted_at else ""}))

    # ------------------------------------------------------------------ firing
    async def fire_due(self: Any) -> int:
        """Claim and fire every due timer in the store; returns how many fired."""
        fired = 0
        task = asyncio.current_task()
        while (timer := await self.store.claim_due(self.clock.now())) is not None:
            await self._fire(timer)
            fired += 1
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
        return fired

    async def timers_forever(self: Any, *, every_s: float) -> None:
        task = asyncio.current_task()
        while True:
            try:
                await self.fire_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed firing must not stop the clock; it is logged
                log.warning("timer poll failed; will retry", error=str(exc)[:300])
            if task is not None and task.cancelling():  # a cancel swallowed inside a request: stop anyway
                raise asyncio.CancelledError
            await asyncio.sleep(every_s)

    async def on_timer_message(self: Any, t: TimerDue) -> None:
        """A timer back from a broker wait queue: not due yet → round again; due → claim and fire once."""
        now = self.clock.now()
        if t.due_at > now:
            if self.recirculate is not None:
                await self.recirculate(t, tier_for((t.due_at - now).total_seconds()))
            return
        await self.store.ensure_timer(timer_doc(t))
        claimed = await self.store.claim(t.key, now)
        if claimed is not None:
            await self._fire(claimed)

    async def _fire(self: Any, timer: dict[str, Any]) -> None:
        doc = await self.store.get(timer["incident_id"]) if timer.get("incident_id") else None
        kind = timer["kind"]
        if kind.startswith("silence"):
            result = await self._fire_silence(timer, doc)
        elif kind.startswith("review") and doc is not None and (doc.get("review") or {}).get("state") != \
                "awaiting_review":
            result = "已审核，不再提醒"
        elif kind == "supervision_reminder":
            result = await self._fire_supervision(timer)
        elif kind.startswith("deadline") and doc is not None and \
                (timer.get("data") or {}).get("deadline") in doc.get("deadline_met", {}):
            await self.store.record_firing(timer["_id"], {"result": "时限已完成，不再提醒", "fired_by": "escalation"})
            return
        else:
            result = await self._remind(timer, doc)
        await self.store.record_firing(timer["_id"], {"result": result, "fired_by": "escalation"})
        if doc is not None:
            word = {"deadline_overdue": "deadline_missed"}.get(kind, kind)
            await self.store.add_timeline(doc["_id"], self._entry(
                f"timer:{timer['_id']}", word, f"{timer.get('body') or timer['subject']}（{result}）",
                timer_key=timer["_id"], due_local=f"{to_local(as_utc(timer['due_at'])):%Y-%m-%d %H:%M}"))

    async def _people_for(self: Any, roles: list[str], fallback: list[str],
                          category: str | None) -> tuple[list[str], list[str]]:
        """Who to remind for these roles, and the roles nobody could be found for. Without an on-duty answer
        (scheduling silent and no held roster covering now, e.g. while the broker is down) the configured
        duty-room head is still known: a firing in a broker outage reminds at least the head, whose
        notification waits in the outbox until the broker is back."""
        try:
            answer = await self._on_duty(category)
        except RetryLater:
            answer = None
        people: list[str] = []
        unknown: list[str] = []
        for role in roles:
            if role == "duty_head" and (head := self.duty_head_id or (answer.shift_leader if answer else "")):
                people.append(head)
            elif answer is not None and role == "duty_officer":
                people += answer.duty_officers
            elif answer is not None and role == "shift_leader" and answer.shift_leader:
                people.append(answer.shift_leader)
            elif answer is None:
                unknown.append(role)
        return list(dict.fromkeys(people + list(fallback))), unknown

    async def _remind(self: Any, timer: dict[str, Any], doc: dict[str, Any] | None) -> str:
        people, unknown = await self._people_for(timer.get("to_roles", []), timer.get("to_people", []),
                                                 doc["category"] if doc else None)
        stub = doc or {"_id": timer.get("incident_id") or "none", "classification": "plain"}
        for person in people:
            await self._send(stub, notification_id=f"t{short_id(timer['_id'])}_{person}", person=person,
                             channels=["sms"], purpose="reminder", text=f"提醒 {person}：{timer['subject']}",
                             subject=timer["subject"], body=timer["body"])
        words = "、".join(ROLE_WORDS.get(r, r) for r in timer.get("to_roles", []) if r not in unknown)
        result = f"已提醒{words}（{'、'.join(people) or '无人在岗'}）" if words or people else "未能提醒任何人"
        if unknown:
            missing = "、".join(ROLE_WORDS.get(r, r) for r in unknown)
            result += f"；值班安排服务未应答且无已发布排班表，未能确定{missing}"
        return result

    # ------------------------------------------------------------------ deadlines met
    async def _meet(self: Any, incident_id: str, happening: Happening) -> list[Met]:
        """Record the deadlines this happening meets — once each, with when and what met it — cancel their
        reminders and overdue timers, and put "met" on the timeline. Idempotent: a met deadline stays met."""
        doc = await self.store.get(incident_id)
        if doc is None:
            return []
        planned = [Planned(d["key"], d["kind"], d["stage"], as_utc(d["due_at"])) for d in doc.get("deadlines", [])]
        done: list[Met] = []
        for m in met_by(planned, doc.get("deadline_met", {}), happening):
            d = next(x for x in planned if x.key == m.key)
            what = f"{KIND_NAMES[d.kind]}（{d.stage}）"
            due = f"{to_local(d.due_at):%Y-%m-%d %H:%M}"
            late = f"，逾期{int((m.at - d.due_at).total_seconds() // 60)}分钟" if m.late else ""
            entry = self._entry(f"deadline_met:{m.key}", "deadline_met",
                                f"{what}时限{due}：{'逾期完成' if m.late else '按时完成'}（{m.by}{late}）", m.at,
                                deadline=m.key, late=m.late)
            record = {"at": m.at, "by": m.by, "late": m.late}
            if await self.store.mark_met(incident_id, m.key, record, entry):
                done.append(m)
            await self.store.cancel_timers({"incident_id": incident_id, "data.deadline": m.key, "kind": {"$in": [
                "deadline_reminder", "deadline_overdue"]}}, self.clock.now(), f"{what}已完成")
        return done

    def deadline_view(self: Any, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Each planned deadline with its state (met, met late, missed, open) and what met it."""
        met = doc.get("deadline_met", {})
        now = self.clock.now()
        out = []
        for d in doc.get("deadlines", []):
            m = met.get(d["key"])
            state = state_of(Planned(d["key"], d["kind"], d["stage"], as_utc(d["due_at"])),
                             Met(d["key"], as_utc(m["at"]), m["by"], m["late"]) if m else None, now)
            out.append({**d, "state": state, "state_name": DEADLINE_STATES[state],
                        "met_at": m["at"] if m else None, "met_by": m["by"] if m else None})
        return out
