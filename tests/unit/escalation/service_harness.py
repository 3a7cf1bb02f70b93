"""EscalationService without a broker: the store stand-in, an outbox nobody relays (what it holds is what the
service asked to send), scheduling's answer set by the test, a ManualClock. Fast enough for unit tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.escalation.domain.calendar import HolidayCalendar, TableCalendar
from services.escalation.domain.rules import Rules
from services.escalation.service import EscalationService
from services.escalation.store import EscalationStore
from shared.auth import Principal, Role
from shared.clock import ManualClock
from shared.contracts import IncidentOpened, OnDutyAnswer, OnDutyQuery, ReportAttached, ReportV1
from shared.outbox import Outbox
from shared.store import database
from shared.topology import NOTIFY_SEND
from tests.helpers import sample_report


@dataclass
class Harness:
    svc: EscalationService
    clock: ManualClock
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> EscalationStore:
        return self.svc.store  # type: ignore[no-any-return]

    async def sends(self) -> list[dict[str, Any]]:
        """Every notify.send the service put in its outbox, in order."""
        docs = await self.svc.outbox.collection.find({"routing_key": NOTIFY_SEND}).sort("seq", 1).to_list(None)
        return [d["payload"] for d in docs]

    async def sent_to(self) -> list[str]:
        return [p["person_id"] for p in await self.sends()]

    async def open(self, incident_id: str = "INC-1", **changes: Any) -> dict[str, Any]:
        report = ReportV1.model_validate(sample_report(received_at=self.clock.now().isoformat(), **changes))
        await self.svc.on_incident_opened(IncidentOpened(incident_id=incident_id, opened_at=self.clock.now(),
                                                         primary=report))
        doc = await self.store.get(incident_id)
        assert doc is not None
        return doc

    async def follow_up(self, incident_id: str = "INC-1", **changes: Any) -> dict[str, Any]:
        report = ReportV1.model_validate(sample_report(received_at=self.clock.now().isoformat(), **changes))
        await self.svc.on_report_attached(ReportAttached(incident_id=incident_id, attached_at=self.clock.now(),
                                                         report=report))
        doc = await self.store.get(incident_id)
        assert doc is not None
        return doc

    async def snapshot(self, incident_id: str = "INC-1") -> tuple[Any, ...]:
        """What a refused step must leave untouched: the incident, its timers, the outbox."""
        doc = await self.store.get(incident_id)
        timers = await self.store.timers_of({"incident_id": incident_id})
        return doc, [(t["_id"], t["state"]) for t in timers], await self.sends()


def person(pid: str, *roles: str) -> Principal:
    return Principal(id=pid, name=pid, roles=frozenset(Role(r) for r in roles))


async def make(rules: Rules, start: datetime, *, calendar: HolidayCalendar | None = None,
               answer: dict[str, Any] | None = None) -> Harness:
    clock = ManualClock(start)
    db = database(f"memory://unit-esc-{uuid.uuid4().hex}", "escalation")
    store = EscalationStore(db)
    await store.setup()
    outbox = Outbox(db, clock=clock, bus_of=lambda: None)  # type: ignore[arg-type,return-value]
    await outbox.setup()
    current = {"duty_officers": ["p-duty-1"], "shift_leader": "p-sl", "leader_in_charge": None,
               "acting_for": None, "principal_leader": None, **(answer or {})}
    harness_ref: list[Harness] = []

    async def ask_on_duty(query: OnDutyQuery) -> OnDutyAnswer:
        return OnDutyAnswer(at=query.at, **harness_ref[0].answer)

    svc = EscalationService(store=store, outbox=outbox, clock=clock, rules=rules, ask_on_duty=ask_on_duty,
                            calendar=calendar or TableCalendar(), duty_head_id="p-head")
    harness = Harness(svc, clock, current)
    harness_ref.append(harness)
    return harness


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
