"""Scheduling's service layer, the core: people, the official calendar, who is on duty, the duty log,
notifications through the outbox and durable timers. Areas (roster, handover, …) build on this core."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.scheduling.domain import people_io
from services.scheduling.domain.calendar import OfficialCalendar, YearSchedule, regulation_gaps
from services.scheduling.domain.models import Group, Person, Role
from services.scheduling.domain.on_duty import Away, Leader, Shift, on_duty
from services.scheduling.store import SchedulingStore
from shared.clock import Clock, as_utc
from shared.contracts import OnDutyAnswer, OnDutyQuery, SendNotification
from shared.contracts.events import NotifyChannel
from shared.outbox import Outbox
from shared.topology import NOTIFY_SEND

log = structlog.get_logger("zhiban.scheduling")

# People seeded with the system's access roles are read with the scheduling roles they imply.
ROLE_ALIASES = {"leader": Role.CITY_LEADER.value, "secretary_general": Role.SHIFT_LEADER.value,
                "shift_leader": Role.SHIFT_LEADER.value}

TimerHandler = Callable[[dict[str, Any], datetime], Awaitable[str]]


@dataclass(frozen=True)
class TimerPolicy:
    """How a failing timer is retried: exponential backoff from ``retry``, at most ``max_attempts`` runs;
    a claim older than ``lease`` is taken to be a crashed poller's and the timer is run again."""

    max_attempts: int = 5
    retry: timedelta = timedelta(seconds=30)
    max_retry: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=10)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.retry * (2 ** (attempts - 1)), self.max_retry)


def leader_of(doc: dict[str, Any]) -> Leader:
    return Leader(
        id=doc["_id"],
        domains=frozenset(doc.get("domains", [])),
        principal=bool(doc.get("principal")),
        away=tuple(
            Away(as_utc(a["start"]), as_utc(a["end"]), a.get("acting"), a.get("reason", "外出"))
            for a in doc.get("away", [])
        ),
    )


def shift_of(doc: dict[str, Any]) -> Shift:
    return Shift(as_utc(doc["start"]), as_utc(doc["end"]), tuple(doc["officers"]), doc.get("shift_leader"))


def person_of(doc: dict[str, Any]) -> Person:
    roles = frozenset(Role(ROLE_ALIASES.get(r, r)) for r in doc.get("roles", []) if ROLE_ALIASES.get(r, r) in
                      set(Role))
    return Person(person_id=doc["_id"], name=doc.get("name") or doc["_id"], roles=roles,
                  group_id=doc.get("group_id"), title=doc.get("title", ""), phone=doc.get("phone", ""),
                  active=doc.get("active", True))


def person_doc(p: Person) -> dict[str, Any]:
    return {"_id": p.person_id, "name": p.name, "roles": sorted(r.value for r in p.roles), "group_id": p.group_id,
            "title": p.title, "phone": p.phone, "active": p.active}


class SchedulingService:
    def __init__(self, *, store: SchedulingStore, clock: Clock, outbox: Outbox | None = None,
                 timer_policy: TimerPolicy | None = None) -> None:
        self.store = store
        self.timer_policy = timer_policy or TimerPolicy()
        self.clock = clock
        self.outbox = outbox
        self.calendar = OfficialCalendar.load()
        self.timer_handlers: dict[str, TimerHandler] = {}
        self.incident_hooks: list[Callable[[str, str, dict[str, Any]], Awaitable[None]]] = []

    # people and groups ----------------------------------------------------------------------------
    async def people(self) -> dict[str, Person]:
        return {d["_id"]: person_of(d) for d in await self.store.all_people()}

    async def groups(self) -> list[Group]:
        return [Group(group_id=d["_id"], name=d["name"], kind=d.get("kind", "section"))
                for d in await self.store.all("groups")]

    async def import_people(self, data: bytes, *, xlsx: bool) -> people_io.PeopleImport:
        known = [g.group_id for g in await self.groups()]
        result = (people_io.import_people_xlsx(data, known) if xlsx
                  else people_io.import_people_csv(data.decode("utf-8-sig"), known))
        for person in result.people:
            await self.store.upsert("people", person_doc(person))
        return result

    async def import_groups(self, data: bytes, *, xlsx: bool) -> people_io.GroupImport:
        result = (people_io.import_groups_xlsx(data) if xlsx
                  else people_io.import_groups_csv(data.decode("utf-8-sig")))
        for group in result.groups:
            await self.store.upsert("groups", {"_id": group.group_id, "name": group.name, "kind": group.kind.value})
        return result

    # the official calendar ------------------------------------------------------------------------
    async def load_calendar(self) -> None:
        for doc in await self.store.all("calendar_years"):
            self.calendar.add_year(int(doc["_id"]), YearSchedule.model_validate(doc["schedule"]), replace=True)

    async def add_calendar_year(self, year: int, schedule: YearSchedule, *, replace: bool, by: str) -> None:
        self.calendar.add_year(year, schedule, replace=replace)  # raises CalendarEntryInvalid in Chinese
        await self.store.upsert("calendar_years", {"_id": str(year), "schedule": schedule.model_dump(mode="json"),
                                                   "added_by": by, "added_at": self.clock.now()})

    def calendar_year(self, year: int) -> dict[str, Any]:
        breaks = self.calendar.breaks(year)  # raises CalendarYearMissing
        return {"year": year, "source": self.calendar.source(year).model_dump(mode="json"),
                "breaks": [{**b.model_dump(mode="json"), "days": b.length} for b in breaks],
                "regulation_gaps": [g.model_dump() for g in regulation_gaps(self.calendar, year)]}

    # who is on duty (answers escalation) ----------------------------------------------------------
    async def who_is_on_duty(self, query: OnDutyQuery) -> OnDutyAnswer:
        at = as_utc(query.at)
        shifts = [shift_of(d) for d in await self.store.shifts_around(at)]
        leaders = [leader_of(d) for d in await self.store.all_leaders()]
        found = on_duty(shifts, leaders, at=at, category=query.category.value if query.category else None)
        return OnDutyAnswer(
            at=query.at,
            duty_officers=list(found.duty_officers),
            shift_leader=found.shift_leader,
            leader_in_charge=found.leader_in_charge,
            acting_for=found.acting_for,
            principal_leader=found.principal_leader,
        )

    async def log_event(self, *, key: str, kind: str, text: str, incident_id: str | None = None,
                        by: str | None = None) -> bool:
        """One line of the duty log (R-17); a redelivered event is logged once."""
        return await self.store.log({"_id": key, "at": self.clock.now(), "kind": kind, "text": text,
                                     "incident_id": incident_id, "by": by})

    async def incident_event(self, schema: str, incident_id: str, extra: dict[str, Any]) -> None:
        """Escalation's incident events, for whoever keeps track (the handover's pending items)."""
        for hook in self.incident_hooks:
            await hook(schema, incident_id, extra)

    # notifications and timers ---------------------------------------------------------------------
    async def notify(self, notification_id: str, person_id: str, subject: str, body: str,
                     channels: list[NotifyChannel] | None = None) -> bool:
        """A SendNotification command through the outbox; the id makes a replay harmless. ``channels``: tried
        first (notify then works down the person's other contact methods); default SMS."""
        if self.outbox is None:
            return False
        command = SendNotification(notification_id=notification_id[:128], person_id=person_id, subject=subject[:200],
                                   body=body, requested_at=self.clock.now(), requested_by="scheduling",
                                   **({"channels": channels} if channels else {}))
        return await self.outbox.add(f"scheduling:{notification_id}"[:200], NOTIFY_SEND, command)

    async def heads(self) -> list[str]:
        return sorted(p.person_id for p in (await self.people()).values() if Role.DUTY_HEAD in p.roles and p.active)

    async def fire_due(self, now: datetime | None = None) -> int:
        """Fire every due timer once (claimed atomically); returns how many fired. A handler that raises does
        not lose its timer: the failure is recorded on it and it is released to run again after a backoff,
        up to ``timer_policy.max_attempts``; then it is closed as failed, logged, and the head is told."""
        now = now or self.clock.now()
        fired = 0
        stale_before = now - self.timer_policy.lease
        while (timer := await self.store.claim_due_timer(now, stale_before=stale_before)) is not None:
            handler = self.timer_handlers.get(timer["kind"])
            try:
                if handler is None:
                    raise LookupError(f"未知的定时任务类型“{timer['kind']}”")
                result = await handler(timer["payload"], now)
            except Exception as exc:  # noqa: BLE001 - recorded on the timer, retried, never silently dropped
                await self._timer_failed(timer, now, exc)
                continue
            await self.store.timer_fired(timer["_id"], now, result)
            fired += 1
        return fired

    async def _timer_failed(self, timer: dict[str, Any], now: datetime, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = int(timer.get("attempts") or 0) + 1
        if attempts < self.timer_policy.max_attempts:
            retry_at = now + self.timer_policy.backoff(attempts)
            log.warning("timer failed; will retry", timer=timer["_id"], attempt=attempts, retry_at=str(retry_at),
                        error=error[:200])
            await self.store.timer_failed(timer["_id"], now, error, retry_at=retry_at)
            return
        log.error("timer failed for good", timer=timer["_id"], attempts=attempts, error=error[:200])
        await self.store.timer_failed(timer["_id"], now, error, retry_at=None)
        text = f"定时任务{timer['_id']}（{timer['kind']}）连续{attempts}次执行失败，已停止重试，请人工处理。最后一次错误：{error[:200]}"
        await self.log_event(key=f"timer-failed:{timer['_id']}", kind="timer_failed", text=text)
        for head in await self.heads():
            await self.notify(f"timer-failed:{timer['_id']}:{head}", head, "定时任务执行失败", text)

    async def _fire_due_at(self, now: datetime) -> None:
        await self.fire_due(now)

    async def timers_forever(self, *, every_s: float, before: list[Callable[[datetime], Awaitable[None]]]) -> None:
        """Plan (each step on its own: one failing does not stop the others), then fire what is due."""
        task = asyncio.current_task()
        while task is None or not task.cancelling():
            for step in [*before, self._fire_due_at]:
                try:
                    await step(self.clock.now())
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep polling; failed timers are recorded by fire_due
                    log.warning("timer poll step failed", error=str(exc)[:200])
            await asyncio.sleep(every_s)
