"""Two intake service instances sharing one store, as two processes sharing a MongoDB: each keeps an
in-process placement index, and the claim's epoch must make each see what the other placed
(services/intake/placement_index.py). Without that check, process A would decide on its stale copy and
open a second incident for an event process B had already opened."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.intake.service import IntakeService, Sender
from services.intake.store import IntakeStore
from shared.clock import ManualClock
from shared.outbox import Outbox
from shared.settings import IntakeSettings
from shared.store import database
from tests.helpers import sample_report

SENDER = Sender(channel="http", user="test")


def intake_on(store_url: str, clock: ManualClock) -> IntakeService:
    db = database(store_url, "intake")
    settings = IntakeSettings.build(store_url=store_url)
    return IntakeService(store=IntakeStore(db), outbox=Outbox(db, clock=clock, bus_of=lambda: None),  # type: ignore[arg-type,return-value]
                         clock=clock, settings=settings)


def event(n: int, system: str, **changes: Any) -> dict[str, Any]:
    """Two unlike events in one district on one morning: a chemical-plant blast and a road crash."""
    base = sample_report(system=system, report_id=f"{system}-{n}", unit=f"{system}单位")
    if n == 2:
        base.update(place="武鸣区双桥镇国道210线", category="road_traffic", title="国道210线发生两车相撞事故",
                    text="10时05分许，国道210线双桥镇路段两辆货车相撞，2人受伤。",
                    occurred_at="2026-11-28T10:05:00+08:00",
                    casualties={"deaths": 0, "injuries": 2, "serious_injuries": 0, "missing": 0, "trapped": 0})
    base.update(changes)
    return base


async def test_a_process_sees_the_incident_another_opened_since_its_last_placement() -> None:
    url = f"memory://placement-{uuid.uuid4().hex}"
    clock = ManualClock(datetime(2026, 11, 28, 2, 30, tzinfo=UTC))
    a, b = intake_on(url, clock), intake_on(url, clock)

    first = await a.receive(a.normalise(event(1, "wuming-yjj")), sender=SENDER)  # A opens the blast, indexes its morning
    assert first.status == "opened"
    index_a = a._indexes[0]
    assert first.incident_id in index_a.incidents and index_a.covered is not None

    crash = await b.receive(b.normalise(event(2, "wuming-jtj")), sender=SENDER)  # B opens the crash: A did not see it
    assert crash.status == "opened"
    assert crash.incident_id not in index_a.incidents

    follow = await a.receive(a.normalise(event(2, "wuming-gaj")), sender=SENDER)  # the crash, from another unit, on A
    assert follow.status == "attached", follow.match
    assert follow.incident_id == crash.incident_id
    assert crash.incident_id in index_a.incidents  # A read the partition again: B had held the claim

    incidents = await IntakeStore(database(url, "intake")).incidents.find({}).to_list(None)
    assert len(incidents) == 2


async def test_the_index_is_kept_while_no_other_process_placed() -> None:
    url = f"memory://placement-{uuid.uuid4().hex}"
    clock = ManualClock(datetime(2026, 11, 28, 2, 30, tzinfo=UTC))
    a = intake_on(url, clock)
    await a.receive(a.normalise(event(1, "wuming-yjj")), sender=SENDER)
    loads = a._indexes[0].loads
    second = await a.receive(a.normalise(event(1, "wuming-xfj", place="武鸣区城厢镇某化工厂")), sender=SENDER)
    assert second.status == "attached"
    assert a._indexes[0].loads == loads  # the same event time: answered from memory, no store read
    third = await a.receive(a.normalise(event(2, "wuming-jtj")), sender=SENDER)  # 25 min later: one slice read
    assert third.status == "opened" and a._indexes[0].loads == loads + 1
    # and what it holds is what the store holds
    stored = await a._load(0, datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))
    cached = {c.incident_id: c for c in a._indexes[0].incidents.values()}
    assert {s.incident_id for s in stored} == set(cached)
    for s in stored:
        c = cached[s.incident_id]
        assert (c.primary_report, c.casualties, c.event_from, c.event_to, c.primary_flags) == \
            (s.primary_report, s.casualties, s.event_from, s.event_to, s.primary_flags)
        assert c.reports == s.reports


async def test_a_failed_placement_drops_the_index() -> None:
    url = f"memory://placement-{uuid.uuid4().hex}"
    clock = ManualClock(datetime(2026, 11, 28, 2, 30, tzinfo=UTC))
    a = intake_on(url, clock)
    await a.receive(a.normalise(event(1, "wuming-yjj")), sender=SENDER)

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("store went away")

    a.writer.open = broken  # type: ignore[method-assign]
    try:
        await a.receive(a.normalise(event(2, "wuming-jtj")), sender=SENDER)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the placement should have failed")
    assert a._indexes[0].epoch is None and not a._indexes[0].incidents
