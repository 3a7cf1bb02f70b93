"""Rosters (R-18, R-19, R-20): draft on the official calendar, approval, publication on the bus, swaps and
substitutes recorded, vacancies alerted to the head at once and again before the shift starts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from services.scheduling.domain.calendar import regulation_gaps
from services.scheduling.domain.models import LOCAL_TZ, Role, Shift, Unavailability, shift_label
from services.scheduling.domain.roster import RosterConfig, RotationState, fairness_report, generate_roster
from services.scheduling.domain.swaps import (
    Absence,
    ChangeRequest,
    SwapRuleViolation,
    Vacancy,
    apply_change,
    vacancies,
)
from services.scheduling.service import SchedulingService
from shared.clock import as_utc, to_local
from shared.contracts import PublishedShift, RosterPublished
from shared.topology import ROSTER_PUBLISHED


class RosterStateError(ValueError):
    """A step out of order (publish before approval, approve twice); the message is Chinese."""


def shift_doc(s: Shift, roster_id: str) -> dict[str, Any]:
    return {"_id": s.shift_id, "roster_id": roster_id, "date": s.date.isoformat(), "kind": s.kind,
            "start": as_utc(s.start), "end": as_utc(s.end), "day_type": s.day_type, "holiday_name": s.holiday_name,
            "required_officers": s.required_officers, "officers": list(s.officers), "shift_leader": s.leader,
            "leader_at_home": s.leader_at_home, "section": s.section, "holiday_staff": list(s.holiday_staff)}


def domain_shift(doc: dict[str, Any]) -> Shift:
    start, end = to_local(as_utc(doc["start"])), to_local(as_utc(doc["end"]))
    return Shift(shift_id=doc["_id"], date=date.fromisoformat(doc["date"]) if doc.get("date") else start.date(),
                 kind=doc.get("kind", "day"), start=start, end=end, day_type=doc.get("day_type", "workday"),
                 holiday_name=doc.get("holiday_name"), required_officers=doc.get("required_officers", 1),
                 officers=list(doc.get("officers", [])), leader=doc.get("shift_leader"),
                 leader_at_home=doc.get("leader_at_home"), section=doc.get("section"),
                 holiday_staff=list(doc.get("holiday_staff", [])))


def encoded_size(event: RosterPublished) -> int:
    """Bytes of the message body, measured with every non-ASCII character escaped (the larger encoding)."""
    return len(json.dumps(event.model_dump(mode="json", by_alias=True)).encode("utf-8"))


def roster_parts(roster_id: str, period_start: date, period_end: date, approved_by: str, published_at: datetime,
                 shifts: list[PublishedShift], *, max_bytes: int) -> list[RosterPublished]:
    """The roster.published messages of one roster: one per calendar month of shift starts, a month split in
    halves until each message is at most ``max_bytes`` (a roster for many people on duty at once)."""
    months: dict[tuple[int, int], list[PublishedShift]] = {}
    for s in sorted(shifts, key=lambda x: x.start):
        local = to_local(s.start).date()
        months.setdefault((local.year, local.month), []).append(s)

    def event(group: list[PublishedShift], part: int = 1, parts: int = 1) -> RosterPublished:
        days = [to_local(s.start).date() for s in group] or [period_start]
        return RosterPublished(roster_id=roster_id, period_start=period_start, period_end=period_end, part=part,
                               parts=parts, part_start=min(days), part_end=max(days), approved_by=approved_by,
                               published_at=published_at, shifts=group)

    groups: list[list[PublishedShift]] = []
    pending = list(months.values()) or [[]]
    while pending:
        group = pending.pop(0)
        if len(group) > 1 and encoded_size(event(group)) > max_bytes:
            half = len(group) // 2
            pending[:0] = [group[:half], group[half:]]
        else:
            groups.append(group)
    return [event(group, n, len(groups)) for n, group in enumerate(groups, start=1)]


class RosterService:
    def __init__(self, core: SchedulingService, *, config: RosterConfig | None = None,
                 vacancy_lead: timedelta = timedelta(hours=2), part_max_bytes: int = 64 * 1024) -> None:
        self.core = core
        self.part_max_bytes = part_max_bytes
        self.store = core.store
        self.config = config or RosterConfig()
        self.vacancy_lead = vacancy_lead
        core.timer_handlers["vacancy_check"] = self._vacancy_timer

    async def rotation(self) -> RotationState | None:
        doc = await self.store.get("rotation", "current")
        return RotationState.model_validate(doc["state"]) if doc else None

    async def draft(self, start: date, end: date, *, by: str, config: RosterConfig | None = None) -> dict[str, Any]:
        if end < start:
            raise ValueError(f"排班结束日期{end}早于开始日期{start}")
        if (end - start).days > 366:
            raise ValueError("一次排班不能超过366天")
        people = list((await self.core.people()).values())
        before = await self.rotation()
        unavailable = [u for d in await self.store.all("away") if (u := _unavailability(d)) is not None]
        roster = generate_roster(start, end, people, config or self.config, self.core.calendar, before, unavailable)
        officers = [p.person_id for p in people if Role.DUTY_OFFICER in p.roles and p.active]
        n = await self.store.rosters.count_documents({}) + 1
        doc = {"_id": f"roster-{start:%Y%m%d}-{end:%Y%m%d}-{n}", "status": "draft", "period_start": start.isoformat(),
               "period_end": end.isoformat(), "created_by": by, "created_at": self.core.clock.now(),
               "shifts": [s.model_dump(mode="json") for s in roster.shifts], "warnings": roster.warnings,
               "rotation_before": before.model_dump() if before else None,
               "rotation_after": roster.rotation_state.model_dump(),
               "fairness": fairness_report(roster, officers),
               "regulation_gaps": [g.model_dump() for y in range(start.year, end.year + 1)
                                   for g in regulation_gaps(self.core.calendar, y)
                                   if any(start <= b.end and b.start <= end for b in self.core.calendar.breaks(y)
                                          if b.name == g.name)]}
        await self.store.rosters.insert_one(doc)
        return doc

    async def _roster(self, roster_id: str) -> dict[str, Any]:
        doc = await self.store.get("rosters", roster_id)
        if doc is None:
            raise LookupError(f"找不到排班表{roster_id}")
        return doc

    async def approve(self, roster_id: str, *, by: str) -> dict[str, Any]:
        doc = await self._roster(roster_id)
        if doc["status"] != "draft":
            raise RosterStateError(f"排班表{roster_id}当前状态为“{STATUS[doc['status']]}”，只有草稿可以审批")
        await self.store.rosters.update_one({"_id": roster_id}, {"$set": {
            "status": "approved", "approved_by": by, "approved_at": self.core.clock.now()}})
        return await self._roster(roster_id)

    async def publish(self, roster_id: str, *, by: str) -> dict[str, Any]:
        doc = await self._roster(roster_id)
        if doc["status"] != "approved":
            raise RosterStateError(f"排班表{roster_id}当前状态为“{STATUS[doc['status']]}”，须经秘书长审批后才能发布")
        now = self.core.clock.now()
        shifts = [Shift.model_validate(s) for s in doc["shifts"]]
        start = datetime.combine(date.fromisoformat(doc["period_start"]), datetime.min.time(), LOCAL_TZ)
        end = max(s.end for s in shifts) if shifts else start
        await self.store.replace_shifts(as_utc(start), as_utc(end), [shift_doc(s, roster_id) for s in shifts])
        await self.store.upsert("rotation", {"_id": "current", "state": doc["rotation_after"], "roster_id": roster_id})
        await self.store.rosters.update_one({"_id": roster_id}, {"$set": {
            "status": "published", "published_by": by, "published_at": now}})
        published = [PublishedShift(shift_id=s.shift_id, start=s.start, end=s.end, kind=s.kind, day_type=s.day_type,
                                    holiday_name=s.holiday_name, officers=s.officers, shift_leader=s.leader,
                                    leader_at_home=s.leader_at_home, section=s.section,
                                    holiday_staff=s.holiday_staff) for s in shifts]
        if self.core.outbox is not None:
            for event in roster_parts(roster_id, date.fromisoformat(doc["period_start"]),
                                      date.fromisoformat(doc["period_end"]), doc["approved_by"], now, published,
                                      max_bytes=self.part_max_bytes):
                await self.core.outbox.add(f"roster.published:{roster_id}:{event.part}", ROSTER_PUBLISHED, event)
        await self._tell_participants(roster_id, doc, shifts)
        for s in shifts:
            await self.store.add_timer(f"vacancy:{s.shift_id}:{as_utc(s.start).isoformat()}", "vacancy_check",
                                       as_utc(s.start) - self.vacancy_lead, {"shift_id": s.shift_id})
        await self.core.log_event(key=f"roster:{roster_id}:published", kind="roster",
                                  text=f"排班表{doc['period_start']}至{doc['period_end']}已发布", by=by)
        return await self._roster(roster_id)

    async def _tell_participants(self, roster_id: str, doc: dict[str, Any], shifts: list[Shift]) -> None:
        mine: dict[str, list[str]] = {}
        for s in shifts:
            for pid in dict.fromkeys([*s.people(), *([s.leader_at_home] if s.leader_at_home else [])]):
                role = "带班" if pid == s.leader else "在家值班" if pid == s.leader_at_home else "值班"
                mine.setdefault(pid, []).append(f"{shift_label(s)} {role}")
        for pid, lines in sorted(mine.items()):
            more = f"\n……共{len(lines)}个班次" if len(lines) > 30 else ""
            body = (f"{doc['period_start']}至{doc['period_end']}值班表已经秘书长审批发布，您的安排：\n"
                    + "\n".join(lines[:30]) + more + "\n如需换班，须在班前报告值班室负责人。")
            await self.core.notify(f"roster:{roster_id}:{pid}", pid, "值班安排已发布", body)

    # swaps, substitutes, vacancies (R-20) ---------------------------------------------------------
    async def change(self, *, shift_id: str, person_out: str, person_in: str, reported_to: str,
                     other_shift_id: str | None, note: str, by: str) -> dict[str, Any]:
        now = self.core.clock.now()
        target = await self.store.get("shifts", shift_id)
        if target is None:
            raise ValueError(f"找不到已发布的班次{shift_id}")
        docs = {d["_id"]: d for d in await self.store.shifts_between(
            as_utc(target["start"]) - timedelta(days=2), as_utc(target["end"]) + timedelta(days=2))}
        if other_shift_id and other_shift_id not in docs and (other := await self.store.get("shifts", other_shift_id)):
            docs[other_shift_id] = other
        before = {k: domain_shift(d) for k, d in docs.items()}
        if person_in in before[shift_id].people():
            raise SwapRuleViolation(f"{person_in}已在班次{shift_id}中，不能再顶同一个班")
        request = ChangeRequest(shift_id=shift_id, person_out=person_out, person_in=person_in,
                                other_shift_id=other_shift_id, reported_to=reported_to, reported_at=now, note=note)
        updated, record = apply_change(list(before.values()), request, await self.core.people())
        for s in updated:
            old = before[s.shift_id]
            if (s.officers, s.holiday_staff) != (old.officers, old.holiday_staff):
                await self.store.shifts.update_one({"_id": s.shift_id}, {"$set": {
                    "officers": s.officers, "holiday_staff": s.holiday_staff}})
        n = await self.store.changes.count_documents({}) + 1
        entry = {"_id": f"change-{n}", "kind": record.kind, "description": record.description, "by": by, "at": now,
                 **request.model_dump(mode="json")}
        await self.store.changes.insert_one(entry)
        await self.core.log_event(key=f"change:{n}", kind="roster_change", text=record.description, by=by)
        await self.core.notify(f"change:{n}:{person_in}", person_in, "值班变更", record.description)
        return entry

    async def report_absence(self, *, shift_id: str, person_id: str, approved: bool, by: str) -> list[Vacancy]:
        if await self.store.get("shifts", shift_id) is None:
            raise ValueError(f"找不到已发布的班次{shift_id}")
        await self.store.upsert("absences", {"_id": f"{shift_id}:{person_id}", "shift_id": shift_id,
                                             "person_id": person_id, "approved": approved, "by": by})
        return await self.alert_vacancies([shift_id], phase="now")

    async def current_vacancies(self, shift_ids: list[str] | None = None) -> list[Vacancy]:
        now = self.core.clock.now()
        if shift_ids is None:
            docs = await self.store.shifts_between(now, now + timedelta(days=31))
        else:
            docs = [d for sid in shift_ids if (d := await self.store.get("shifts", sid))]
        absences = [Absence(person_id=a["person_id"], shift_id=a["shift_id"], approved=a["approved"])
                    for a in await self.store.all("absences")]
        return vacancies([domain_shift(d) for d in docs], now, await self.core.people(), absences)

    async def alert_vacancies(self, shift_ids: list[str] | None, *, phase: str) -> list[Vacancy]:
        found = await self.current_vacancies(shift_ids)
        for v in found:
            for head in v.alert_to:
                await self.core.notify(f"vacancy:{v.shift_id}:{v.slot}:{v.person_id or '-'}:{phase}:{head}", head,
                                       "值班空岗提醒", v.message)
        return found

    async def _vacancy_timer(self, payload: dict[str, Any], now: datetime) -> str:
        found = await self.alert_vacancies([payload["shift_id"]], phase="before")
        return f"{len(found)}处空岗" if found else "无空岗"


STATUS = {"draft": "草稿", "approved": "已审批", "published": "已发布"}


def _unavailability(doc: dict[str, Any]) -> Unavailability | None:
    """A leader's recorded absence (travel, visit, leave) keeps them off the roster on those days."""
    try:
        return Unavailability(person_id=doc["leader_id"], start=to_local(as_utc(doc["start"])).date(),
                              end=to_local(as_utc(doc["end"])).date(), reason=doc.get("kind", "外出"))
    except KeyError:
        return None
