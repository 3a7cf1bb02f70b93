"""Intake keeps escalation's level (incident.graded) on the incident: the incident list filters by it, the
timeline shows it, a redelivered grading changes nothing and an older grading never overwrites a newer one."""

from __future__ import annotations

from datetime import timedelta

from shared.contracts import IncidentGraded
from shared.contracts.events import Level
from shared.topology import EVENTS, INCIDENT_GRADED
from tests.helpers import eventually, sample_report
from tests.service.conftest import System
from tests.service.test_spine import publish_report


async def listed(system: System, query: str) -> dict:
    r = await system.client.get(f"/api/v1/incidents?{query}", headers=system.auth("duty_officer"))
    assert r.status_code == 200, r.text
    return r.json()


async def detail(system: System, incident_id: str) -> dict:
    r = await system.client.get(f"/api/v1/incidents/{incident_id}", headers=system.auth("duty_officer"))
    assert r.status_code == 200, r.text
    return r.json()


async def publish_grading(system: System, event: IncidentGraded, revision: int) -> None:
    await system.runtime.broker.publish(event.model_dump(mode="json", by_alias=True), exchange=EVENTS,
                                        routing_key=INCIDENT_GRADED,
                                        message_id=f"{INCIDENT_GRADED}:{event.incident_id}:{revision}")


async def test_graded_incident_is_found_by_level_and_a_stale_grading_does_not_overwrite(system: System) -> None:
    # 3 deaths at a chemical plant: escalation grades it 较大 (III) from the report alone
    await publish_report(system, sample_report(report_id="LV-1"))

    async def graded() -> dict:
        found = await listed(system, "level=III")
        return found if found["total"] == 1 else {}

    page = await eventually(graded, timeout=15)
    incident_id = page["items"][0]["id"]
    assert page["items"][0]["level"] == "III"
    for query in ("level=IV", "level=I&level=II", "level=I,IV"):
        assert (await listed(system, query))["total"] == 0, query
    for query in ("level=III", "level=iii", "level=II,III", "level=IV&level=III"):
        assert [i["id"] for i in (await listed(system, query))["items"]] == [incident_id], query
    assert (await listed(system, "level=III&category=fire"))["total"] == 0  # and the other filters still apply
    first = await detail(system, incident_id)
    recorded = first["grading"]
    assert [e for e in first["timeline"] if e["kind"] == "graded"][-1]["text"].startswith("定级：III级（较大）")

    # a later grading (an officer raised it to II) arrives, then an older one (IV) that was delayed
    newer = IncidentGraded(incident_id=incident_id, graded_at=recorded["graded_at"], level=Level.II,
                           category="production_safety", rules_version="test")
    newer = newer.model_copy(update={"graded_at": newer.graded_at + timedelta(minutes=5)})
    await publish_grading(system, newer, revision=7)
    await eventually(lambda: listed(system, "level=II"))
    stale = newer.model_copy(update={"level": Level.IV, "graded_at": newer.graded_at - timedelta(minutes=1)})
    await publish_grading(system, stale, revision=6)
    await publish_grading(system, newer, revision=7)  # and the newer one redelivered
    # the same time, an earlier revision: escalation's revision breaks the tie
    await publish_grading(system, newer.model_copy(update={"level": Level.IV}), revision=5)

    after = await detail(system, incident_id)
    assert after["level"] == "II" and after["grading"]["event_id"] == f"{INCIDENT_GRADED}:{incident_id}:7"
    assert (await listed(system, "level=IV"))["total"] == 0
    assert [i["id"] for i in (await listed(system, "level=II"))["items"]] == [incident_id]
    levels = [e["level"] for e in after["timeline"] if e["kind"] == "graded"]
    assert levels[-1] == "II" and levels.count("II") == 1 and "IV" not in levels


async def test_bad_level_is_refused_precisely(system: System) -> None:
    for query in ("level=V", "level=III,4", "level=", "level=I&level=高"):
        r = await system.client.get(f"/api/v1/incidents?{query}", headers=system.auth("duty_officer"))
        assert r.status_code == 422, (query, r.text)
        body = r.json()
        assert body["code"] == "invalid_level" and body["field"] == "level" and "I、II、III、IV" in body["message"]


async def test_grading_of_an_unknown_incident_is_parked(system: System) -> None:
    event = IncidentGraded(incident_id="INC-NOPE", graded_at="2026-11-28T02:00:00Z", level=Level.IV,
                           category="fire", rules_version="test")
    await publish_grading(system, event, revision=1)

    async def parked() -> list:
        r = await system.client.get("/api/v1/parked", headers=system.auth("duty_officer"))
        return [p for p in r.json()["items"] if p["reason"] == "unknown_incident"]

    found = await eventually(parked)
    assert "INC-NOPE" in found[0]["error"]
