"""Handover (R-21) and the duty log (R-17): records opened at each handover time with pending items
collected from escalation's events, signed and confirmed; a reminder before, the head alerted after."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from services.scheduling.domain.calendar import CalendarYearMissing
from services.scheduling.domain.handover import (
    HandoverConfig,
    HandoverRecord,
    PendingItem,
    handover_slots,
    handover_summary,
    open_handover,
)
from services.scheduling.service import SchedulingService
from shared.clock import as_utc, to_local

INSTRUCTION_WORDS = ("instruction", "directive")
CLOSED_WORDS = ("closed", "resolved", "finished")


def handover_config(morning: str, end_of_day: str, reminder_min: int, confirm_min: int) -> HandoverConfig:
    return HandoverConfig(morning=time.fromisoformat(morning), end_of_working_day=time.fromisoformat(end_of_day),
                          rest_day_evening=time.fromisoformat(end_of_day),
                          reminder_before=timedelta(minutes=reminder_min),
                          confirm_within=timedelta(minutes=confirm_min))


class HandoverService:
    def __init__(self, core: SchedulingService, config: HandoverConfig | None = None) -> None:
        self.core = core
        self.store = core.store
        self.config = config or HandoverConfig()
        core.timer_handlers["handover_reminder"] = self._reminder
        core.timer_handlers["handover_check"] = self._check
        core.incident_hooks.append(self.track)

    # pending items, from escalation's events on the bus ---------------------------------------------
    async def track(self, schema: str, incident_id: str, extra: dict[str, Any]) -> None:
        """Keep what a handover must pass on: open incidents, open instructions, deadlines."""
        report = extra.get("primary") or extra.get("report") or {}
        update: dict[str, Any] = {"last_event": schema, "updated_at": self.core.clock.now()}
        if report.get("title"):
            update["title"] = report["title"]
        if extra.get("level"):
            update["level"] = extra["level"]
        if any(w in schema for w in CLOSED_WORDS):
            update["status"] = "closed"
        await self.store.incidents.update_one(
            {"_id": incident_id}, {"$set": update, "$setOnInsert": {"status_opened": True}}, upsert=True)
        if any(w in schema for w in INSTRUCTION_WORDS):
            await self.store.incidents.update_one({"_id": incident_id}, {"$set": {
                "instruction": extra.get("text") or extra.get("instruction") or "领导批示待落实"}})
        due = extra.get("due_at") or extra.get("deadline")
        if due:
            await self.store.incidents.update_one({"_id": incident_id}, {"$set": {"due_at": due}})

    async def pending(self) -> tuple[list[PendingItem], list[PendingItem], list[PendingItem]]:
        docs = await self.store.all("incidents", {"status": {"$ne": "closed"}})
        incidents = [PendingItem(ref=d["_id"], title=_title(d)) for d in docs]
        instructions = [PendingItem(ref=d["_id"], title=f"{_title(d)}：{d['instruction']}")
                        for d in docs if d.get("instruction")]
        deadlines = [PendingItem(ref=d["_id"], title=_title(d), due=datetime.fromisoformat(str(d["due_at"])))
                     for d in docs if d.get("due_at")]
        return incidents, instructions, deadlines

    # records ------------------------------------------------------------------------------------------
    async def open(self, at: datetime) -> dict[str, Any]:
        """The handover record at ``at`` (idempotent): outgoing and incoming from the shifts either side."""
        key = f"handover-{to_local(at):%Y%m%d-%H%M}"
        if (doc := await self.store.get("handovers", key)) is not None:
            return doc
        outgoing = [o for d in await self.store.shifts_around(as_utc(at) - timedelta(minutes=1)) for o in d["officers"]]
        incoming = [o for d in await self.store.shifts_around(as_utc(at) + timedelta(minutes=1)) for o in d["officers"]]
        incidents, instructions, deadlines = await self.pending()
        record = open_handover(to_local(at), outgoing, incoming, pending_incidents=incidents,
                               open_instructions=instructions, deadlines=deadlines)
        doc = {"_id": key, **record.model_dump(mode="json")}
        await self.store.insert_once("handovers", doc)
        return await self.store.get("handovers", key) or doc

    async def _record(self, key: str) -> HandoverRecord:
        doc = await self.store.get("handovers", key)
        if doc is None:
            raise LookupError(f"找不到交接班记录{key}")
        return HandoverRecord.model_validate({k: v for k, v in doc.items() if k != "_id"})

    async def _save(self, key: str, record: HandoverRecord) -> dict[str, Any]:
        doc = {"_id": key, **record.model_dump(mode="json")}
        await self.store.upsert("handovers", doc)
        return doc

    async def edit(self, key: str, *, done: list[str] | None, notes: str | None) -> dict[str, Any]:
        record = await self._record(key)
        if record.state.value != "draft":
            raise ValueError("交接记录已签字，不能再修改")
        update = {k: v for k, v in {"done": done, "notes": notes}.items() if v is not None}
        return await self._save(key, record.model_copy(update=update))

    async def sign(self, key: str, by: str) -> dict[str, Any]:
        return await self._save(key, (await self._record(key)).sign(by, self.core.clock.now()))

    async def confirm(self, key: str, by: str) -> dict[str, Any]:
        return await self._save(key, (await self._record(key)).confirm(by, self.core.clock.now()))

    async def summary(self, key: str) -> str:
        return handover_summary(await self._record(key))

    # timers: a reminder before each handover, the head alerted when it is not confirmed in time -------
    async def plan(self, now: datetime) -> None:
        """Timers for today's and tomorrow's handovers (idempotent keys; called by the timer loop)."""
        today = to_local(now).date()
        for d in (today, today + timedelta(days=1)):
            for slot in self._slots(d):
                if slot - self.config.reminder_before < now or not await self._rostered(slot):
                    continue  # no reminder for a past handover, nor for one no published roster covers
                stamp = f"{slot:%Y%m%d-%H%M}"
                await self.store.add_timer(f"handover-reminder:{stamp}", "handover_reminder",
                                           as_utc(slot - self.config.reminder_before), {"at": slot.isoformat()})
                await self.store.add_timer(f"handover-check:{stamp}", "handover_check",
                                           as_utc(slot + self.config.confirm_within), {"at": slot.isoformat()})

    async def _rostered(self, slot: datetime) -> bool:
        return any(d.get("roster_id") for d in await self.store.shifts_around(as_utc(slot)))

    def _slots(self, d: date) -> list[datetime]:
        try:
            return handover_slots(d, self.core.calendar, self.config)
        except CalendarYearMissing:
            return []

    async def _reminder(self, payload: dict[str, Any], now: datetime) -> str:
        at = datetime.fromisoformat(payload["at"])
        doc = await self.open(at)
        for pid in dict.fromkeys([*doc["outgoing"], *doc["incoming"]]):
            await self.core.notify(f"{doc['_id']}:reminder:{pid}", pid, "交接班提醒",
                                   f"{to_local(at):%m-%d %H:%M}交接班，请交班人员整理待办事项并签字，接班人员确认。"
                                   f"待办事件{len(doc['pending_incidents'])}项。")
        return "reminded"

    async def _check(self, payload: dict[str, Any], now: datetime) -> str:
        at = datetime.fromisoformat(payload["at"])
        key = (await self.open(at))["_id"]
        alert = (await self._record(key)).overdue_alert(now, self.config, await self.core.heads())
        if alert is None:
            return "confirmed"
        for head in alert.alert_to:
            await self.core.notify(f"{key}:overdue:{head}", head, "交接班超时未确认", alert.message)
        return "head alerted"

    # the duty log: manual entries -------------------------------------------------------------------
    async def manual_entry(self, text: str, by: str) -> dict[str, Any]:
        n = await self.store.duty_log.count_documents({"kind": "manual"}) + 1
        key = f"manual:{by}:{n}"
        await self.core.log_event(key=key, kind="manual", text=text, by=by)
        return await self.store.get("duty_log", key) or {}

    async def shift_log(self, shift_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        shift = await self.store.get("shifts", shift_id)
        if shift is None:
            raise LookupError(f"找不到班次{shift_id}")
        return shift, await self.store.log_between(as_utc(shift["start"]), as_utc(shift["end"]))


def _title(doc: dict[str, Any]) -> str:
    level = f"（{doc['level']}级）" if doc.get("level") else ""
    return f"{doc.get('title') or doc['_id']}{level}"
