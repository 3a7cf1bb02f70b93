"""Replays with a ManualClock: the same reports give the same deadlines; due timers fire once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.clock import ManualClock
from tests.helpers import eventually, sample_report
from tests.service.conftest import System, running_system
from tests.service.test_spine import escalation_view, incident_ids, publish_report

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Shanghai, the day shift


@pytest.fixture
def manual_system(tmp_path: Path) -> Any:
    async def make(clock: ManualClock) -> AsyncIterator[System]:
        async with running_system(tmp_path / uuid.uuid4().hex, clock=clock, timer_poll_seconds=3600) as running:
            yield running

    return make


async def _deadlines_of(make: Any) -> list[tuple[str, str, str]]:
    clock = ManualClock(START)
    gen = make(clock)
    system = await gen.__anext__()
    try:
        report = sample_report(report_id="R-1", received_at="2026-11-28T09:55:00+08:00")
        await publish_report(system, report)
        [incident_id] = await eventually(lambda: incident_ids(system))

        async def planned() -> dict:
            view = await escalation_view(system, incident_id)
            return view if view.get("deadlines") else {}

        view = await eventually(planned)
        return [(d["kind"], d["stage"], d["due_local"]) for d in view["deadlines"]]
    finally:
        await gen.aclose()


async def test_replay_gives_the_same_deadlines(manual_system: Any) -> None:
    first = await _deadlines_of(manual_system)
    second = await _deadlines_of(manual_system)
    assert first == second
    # 较大: phone 60 min and written 120 min from receipt; follow-ups at 17:00 then 08:00 (NORMS §1)
    assert ("phone", "初报", "2026-11-28 10:55") in first
    assert ("written", "初报", "2026-11-28 11:55") in first
    assert ("follow_up", "续报一", "2026-11-28 17:00") in first
    assert ("follow_up", "续报二", "2026-11-29 08:00") in first


async def test_late_review_reminds_then_escalates_to_the_head_once(manual_system: Any) -> None:
    clock = ManualClock(START)
    gen = manual_system(clock)
    system = await gen.__anext__()
    try:
        await publish_report(system, sample_report(report_id="RV-1"))
        [incident_id] = await eventually(lambda: incident_ids(system))

        async def planned() -> dict:  # on_duty is written last, after the review timers are planned
            view = await escalation_view(system, incident_id)
            return view if view.get("on_duty") else {}

        await eventually(planned)
        svc = system.component("escalation").state["service"]
        clock.advance(timedelta(minutes=11))
        fired = await svc.fire_due()
        assert fired >= 2
        assert await svc.fire_due() == 0  # claimed once: nothing fires twice

        async def escalated() -> dict:
            view = await escalation_view(system, incident_id)
            return view if any(e["kind"] == "review_escalation" for e in view["timeline"]) else {}

        view = await eventually(escalated)
        heads = [e for e in view["timeline"] if e["kind"] == "notification" and e["person_id"] == "p-head"]
        assert heads  # the duty-room head is told the review is late
        timers = await svc.store.timers_of({"incident_id": incident_id, "kind": "review_escalation"})
        assert [t["state"] for t in timers] == ["fired"]
    finally:
        await gen.aclose()
