"""An attach writes only the incident fields that change (IncidentWriter.refresh with the placement index's
``written``): the stored incident must be exactly what writing every field would give, whether the incident
came from this process's own writes or from a store read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.service import IntakeService, Sender
from services.intake.service_incidents import REFRESHED
from services.intake.store import IntakeStore
from shared.clock import ManualClock
from shared.outbox import Outbox
from shared.settings import IntakeSettings
from shared.store import database
from tests.helpers import sample_report

SENDER = Sender(channel="http", user="test")


def intake_on(store_url: str, clock: ManualClock) -> IntakeService:
    db = database(store_url, "intake")
    return IntakeService(store=IntakeStore(db), outbox=Outbox(db, clock=clock, bus_of=lambda: None),  # type: ignore[arg-type,return-value]
                         clock=clock, settings=IntakeSettings.build(store_url=store_url))


def spy_updates(svc: IntakeService) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    real = svc.store.update_incident

    async def update_incident(incident_id: str, fields: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        seen.append(dict(fields))
        await real(incident_id, fields, *args, **kwargs)

    svc.store.update_incident = update_incident  # type: ignore[method-assign]
    return seen


async def test_an_attach_sets_only_what_changed_and_the_incident_is_as_a_full_write_leaves_it() -> None:
    url = f"memory://updates-{uuid.uuid4().hex}"
    clock = ManualClock(datetime(2026, 11, 28, 2, 30, tzinfo=UTC))
    svc = intake_on(url, clock)
    sets = spy_updates(svc)
    first = await svc.receive(svc.normalise(sample_report(system="wuming-yjj", report_id="y-1")), sender=SENDER)
    clock.advance(timedelta(minutes=3))
    same = await svc.receive(svc.normalise(sample_report(system="wuming-gaj", report_id="g-1", unit="武鸣区公安局")),
                             sender=SENDER)
    assert same.status == "attached" and same.incident_id == first.incident_id
    assert set(sets[-1]) == {"updated_at"}  # nothing the second unit said changes the incident's facts
    clock.advance(timedelta(minutes=3))
    worse = sample_report(system="wuming-ajj", report_id="a-1", unit="武鸣区应急管理局")
    worse["casualties"] = {**worse["casualties"], "deaths": worse["casualties"]["deaths"] + 2}
    raised = await svc.receive(svc.normalise(worse), sender=SENDER)
    assert raised.incident_id == first.incident_id
    assert "casualties" in sets[-1] and "title" not in sets[-1]

    # a second process (a fresh index, read from the store) computes every field: the stored ones agree
    other = intake_on(url, clock)
    clock.advance(timedelta(minutes=3))
    other_sets = spy_updates(other)
    await other.receive(other.normalise(sample_report(system="wuming-wjw", report_id="w-1", unit="武鸣区卫健局")),
                        sender=SENDER)
    assert set(other_sets[-1]) == {"updated_at"}
    stored = await svc.store.get_incident(first.incident_id)
    assert stored is not None
    cached = other._indexes[0].get(first.incident_id)
    assert cached is not None
    for key in REFRESHED:
        assert stored[key] == cached.written[key], key
    assert stored["casualties"]["deaths"] == worse["casualties"]["deaths"]
    assert len(stored["report_keys"]) == 4
