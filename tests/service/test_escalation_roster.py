"""Escalation consumes the published roster (issue 6 §4, §13) over the in-memory broker: scheduling publishes a
roster through its API; escalation keeps it; when scheduling stops answering the on-duty query, a new incident
still reaches the officer on shift by that roster, the timeline says the answer came from the published roster,
and the shift leader on it may approve the review."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

from services import demo
from shared.auth import Role
from shared.clock import ManualClock
from shared.contracts import OnDutyQuery
from tests.helpers import eventually, sample_report
from tests.service.conftest import System, running_system
from tests.service.test_escalation import requested
from tests.service.test_escalation_clock import START
from tests.service.test_scheduling_rosters import publish_roster as publish_through_api
from tests.service.test_spine import escalation_view, incident_ids, publish_report

API = "/api/v1/escalation"
SCHEDULING = "/api/v1/scheduling"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    """All four services on a ManualClock (2026-11-28 10:00 Shanghai, a Saturday), a short on-duty timeout."""
    users, tokens = demo.demo_users()
    tokens["shift_leader"] = users.issue(id="p-head", name="陈建国", roles=[Role.shift_leader])
    async with running_system(tmp_path / "spool", users=users, tokens=tokens, clock=ManualClock(START),
                              timer_poll_seconds=3600, on_duty_timeout_s=0.5) as running:
        yield running


async def publish_roster(system: System) -> tuple[str, dict]:
    """Draft, approve, publish 11-27…11-29 through scheduling's API; the shift covering START."""
    published = await publish_through_api(system, date(2026, 11, 27), date(2026, 11, 29), officers_per_shift=1)
    [current] = [s for s in published["shifts"]
                 if datetime.fromisoformat(s["start"]) <= START < datetime.fromisoformat(s["end"])]
    return published["id"], current


def stop_answering(system: System) -> None:
    """Scheduling goes silent on ``scheduling.query.on_duty`` (as when it is down): escalation's request times out."""
    scheduling = system.component("scheduling").state["service"]

    async def silent(query: OnDutyQuery) -> None:
        await asyncio.Event().wait()

    scheduling.who_is_on_duty = silent


async def test_scheduling_silent_an_incident_still_reaches_the_officer_on_shift_by_the_published_roster(
        system: System) -> None:
    roster_id, current = await publish_roster(system)
    on_shift = current["officers"]

    async def held() -> dict:
        r = await system.client.get(f"{API}/on-shift", headers=system.auth("duty_head"))
        return r.json() if r.status_code == 200 and r.json()["roster_id"] == roster_id else {}

    view = await eventually(held)  # roster.published travelled the bus and escalation keeps it
    assert view["duty_officers"] == on_shift and view["shift_leader"] == current["leader"] == "p-head"
    assert [s["shift_id"] for s in view["shifts"]] == [current["shift_id"]]
    assert view["source"] == "published_roster" and view["pending_newer"] == []

    stop_answering(system)
    await publish_report(system, sample_report(report_id="RO-1"))
    [incident_id] = await eventually(lambda: incident_ids(system))

    async def told() -> dict:
        v = await escalation_view(system, incident_id)
        return v if v.get("on_duty") else {}

    view = await eventually(told)
    assert view["on_duty_source"] == "published_roster"
    assert view["on_duty"]["duty_officers"] == on_shift
    assert requested(view) == on_shift  # the officer on shift by the roster, no one else
    [entry] = [e for e in view["timeline"] if e["kind"] == "on_duty_from_roster"]
    assert "值班安排服务未应答" in entry["text"] and roster_id in entry["text"]
    assert entry["duty_officers"] == on_shift and entry["shift_leader"] == "p-head"

    # the review gate: the shift leader on the held roster may approve while scheduling stays silent
    r = await system.client.post(f"{API}/incidents/{incident_id}/review:approve", headers=system.auth("shift_leader"),
                                 json={"shown_revision": view["revision"]})
    assert r.status_code == 200, r.text

    async def leader_told() -> dict:
        v = await escalation_view(system, incident_id)
        return v if "l-vm-safety" in requested(v) else {}

    await eventually(leader_told)


async def test_the_on_shift_view_is_for_the_duty_head(system: System) -> None:
    r = await system.client.get(f"{API}/on-shift", headers=system.auth("duty_officer"))
    assert r.status_code == 403
    r = await system.client.get(f"{API}/on-shift")
    assert r.status_code == 401
    r = await system.client.get(f"{API}/on-shift", headers=system.auth("duty_head"), params={"at": "2026-11-28T10:00"})
    assert r.status_code == 422  # an instant without a time zone is ambiguous
    r = await system.client.get(f"{API}/on-shift", headers=system.auth("duty_head"))
    assert r.status_code == 200 and r.json()["roster_id"] is None  # nothing published yet: nothing held
