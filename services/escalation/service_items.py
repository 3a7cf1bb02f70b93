"""Leader instructions (批示), supervision (督办) and assigned tasks (R-11, R-27) over domain/instructions.py:
registered, relayed at once through notify, fed back, reviewed, closed; 催办 by durable timers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.escalation.domain import instructions as ins
from services.escalation.errors import ConflictError
from services.escalation.service_routing import short_id
from shared.clock import as_utc
from shared.contracts import SendNotification
from shared.contracts.escalation import TimerDue
from shared.contracts.events import NotifyChannel
from shared.topology import NOTIFY_SEND


def item_from_doc(doc: dict[str, Any]) -> ins.SupervisedItem:
    fb = doc.get("feedback")
    return ins.SupervisedItem(
        item_id=doc["_id"], kind=doc["kind"], text=doc["text"], given_by=doc["given_by"],
        given_at=as_utc(doc["given_at"]), lead_unit=doc["lead_unit"],
        due_at=as_utc(doc["due_at"]) if doc.get("due_at") else None, incident_id=doc.get("incident_id"),
        supporting_units=tuple(doc.get("supporting_units", [])), standard=doc.get("standard", ""),
        state=doc["state"], relayed_to=tuple(doc.get("relayed_to", [])),
        feedback=ins.Feedback(**{**fb, "at": as_utc(fb["at"])}) if fb else None,
        history=tuple(ins.ItemEvent(**{**e, "at": as_utc(e["at"])}) for e in doc.get("history", [])),
    )


def item_to_doc(item: ins.SupervisedItem) -> dict[str, Any]:
    d = asdict(item)
    d["_id"] = d.pop("item_id")
    return d


class ItemUseCases:
    async def register_item(self: Any, *, kind: str, text: str, given_by: str, given_at: Any, lead_unit: str,
                            due_at: Any, incident_id: str | None, supporting_units: list[str], standard: str,
                            by: str) -> dict[str, Any]:
        now = self.clock.now()
        exists = await self.store.exists(incident_id) if incident_id else False
        item_id = f"{kind[:3]}-{short_id(kind, text, given_by, str(given_at), lead_unit, str(incident_id))}"
        item = ins.register(item_id=item_id, kind=kind, text=text, given_by=given_by, given_at=as_utc(given_at),
                            lead_unit=lead_unit, due_at=as_utc(due_at) if due_at else None,
                            incident_exists=lambda _id: exists, incident_id=incident_id,
                            supporting_units=tuple(supporting_units), standard=standard, by=by, at=now)
        # relayed at once to the units concerned
        units = [item.lead_unit, *item.supporting_units]
        item = ins.relay(item, units=units, by=by, at=now)
        doc = {**item_to_doc(item), "version": 0}
        if not await self.store.create_item(doc):
            existing = await self.store.get_item(item_id)
            assert existing is not None
            return existing
        for unit in units:
            await self._item_notice(item, unit, f"item:{item_id}:relay:{unit}",
                                    f"【{ins.KINDS[item.kind]}】{item.text[:60]}", item.text)
        if item.kind == "instruction":  # feedback to the leader and copy to the office: recorded here
            await self._item_timeline(item, f"登记{ins.KINDS[item.kind]}（{item.given_by}）并传达：{'、'.join(units)}")
        await self._plan_item_reminders(item)
        return doc

    async def item_step(self: Any, item_id: str, step: str, *, by: str, version: int | None = None,
                        **args: Any) -> dict[str, Any]:
        doc = await self.store.get_item(item_id)
        if doc is None:
            raise LookupError(f"事项不存在：{item_id}")
        item = item_from_doc(doc)
        now = self.clock.now()
        if step == "start":
            item = ins.start(item, unit=by, at=now)
        elif step == "feedback":
            item = ins.submit_feedback(item, unit=by, text=args.get("text", ""), at=now,
                                       document_ref=args.get("document_ref"))
        elif step == "return":
            item = ins.return_feedback(item, by=by, comment=args.get("comment", ""), at=now)
        elif step == "accept":
            item = ins.accept(item, by=by, at=now)
        elif step == "new_instruction":
            item = ins.new_instruction(item, text=args.get("text", ""), given_at=now,
                                       due_at=as_utc(args["due_at"]) if args.get("due_at") else item.due_at,
                                       by=by, at=now)
        elif step == "close":
            item = ins.close(item, by=by, at=now)
        else:
            raise ins.InstructionError(f"未知操作：{step}")
        current = doc["version"] if version is None else version
        if not await self.store.replace_item(item_id, current, item_to_doc(item)):
            raise ConflictError(f"事项 {item_id} 已被他人更新，请刷新后重试")
        last = item.history[-1]
        await self._item_timeline(item, f"{ins.KINDS[item.kind]}{ins.STATE_NAMES[item.state]}（{last.by}）{last.detail}")
        if step == "new_instruction":
            for unit in item.relayed_to:
                await self._item_notice(item, unit, f"item:{item_id}:renew:{len(item.history)}:{unit}",
                                        f"【{ins.KINDS[item.kind]}·续批】", args.get("text", ""))
            await self._plan_item_reminders(item)
        if step == "return":
            await self._item_notice(item, item.lead_unit, f"item:{item_id}:returned:{len(item.history)}",
                                    f"【反馈被退回】{item.text[:40]}", args.get("comment", ""))
        if item.state in ("feedback_submitted", "closed", "accepted"):
            await self.store.cancel_timers({"item_id": item_id}, now, ins.STATE_NAMES[item.state])
        out = await self.store.get_item(item_id)
        assert out is not None
        return out

    async def _item_notice(self: Any, item: ins.SupervisedItem, unit: str, key: str, subject: str, body: str) -> None:
        nid = f"i{short_id(key)}_{short_id(unit)}"
        command = SendNotification(notification_id=nid, person_id=unit, channels=[NotifyChannel.fax, NotifyChannel.sms],
                                   subject=subject[:200], body=body[:10000], incident_id=item.incident_id,
                                   requested_at=self.clock.now())
        await self.outbox.add(f"{NOTIFY_SEND}:{nid}", NOTIFY_SEND, command)

    async def _item_timeline(self: Any, item: ins.SupervisedItem, text: str) -> None:
        if item.incident_id:
            await self.store.add_timeline(item.incident_id, self._entry(
                f"item:{item.item_id}:{len(item.history)}", "instruction", text, item_id=item.item_id))

    async def _plan_item_reminders(self: Any, item: ins.SupervisedItem) -> None:
        for at in ins.reminder_schedule(item, self.rules.supervision):
            await self._timer(TimerDue(
                key=f"item:{item.item_id}:remind:{at:%Y%m%dT%H%MZ}", kind="supervision_reminder", due_at=at,
                incident_id=item.incident_id, item_id=item.item_id, to_people=[item.lead_unit],
                subject=f"【催办】{ins.KINDS[item.kind]}", body=f"请按时限办理并反馈：{item.text[:200]}"))

    async def _fire_supervision(self: Any, timer: dict[str, Any]) -> str:
        doc = await self.store.get_item(timer["item_id"]) if timer.get("item_id") else None
        if doc is not None and doc["state"] not in ("registered", "relayed", "in_progress", "returned"):
            return f"已{ins.STATE_NAMES[doc['state']]}，不再催办"
        for unit in timer.get("to_people", []):
            nid = f"c{short_id(timer['_id'])}_{short_id(unit)}"
            await self.outbox.add(f"{NOTIFY_SEND}:{nid}", NOTIFY_SEND, SendNotification(
                notification_id=nid, person_id=unit, channels=[NotifyChannel.sms], subject=timer["subject"],
                body=timer["body"], incident_id=timer.get("incident_id"), requested_at=self.clock.now()))
        return f"已催办 {'、'.join(timer.get('to_people', []))}"
