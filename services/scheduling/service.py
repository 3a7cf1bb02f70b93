"""Scheduling's service layer: answer who is on duty; keep the duty log from the bus."""

from __future__ import annotations

from typing import Any

from services.scheduling.domain.on_duty import Away, Leader, Shift, on_duty
from services.scheduling.store import SchedulingStore
from shared.clock import Clock, as_utc
from shared.contracts import OnDutyAnswer, OnDutyQuery


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


class SchedulingService:
    def __init__(self, *, store: SchedulingStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

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

    async def log_event(self, *, key: str, kind: str, text: str, incident_id: str | None = None) -> None:
        """One line of the duty log (R-17); a redelivered event is logged once."""
        await self.store.log({"_id": key, "at": self.clock.now(), "kind": kind, "text": text, "incident_id": incident_id})
