"""Leaders away (acting leader in the on-duty answer, event on the bus), itineraries and the four tables,
meeting rooms with conflicts named, iCal feeds by bearer token or per-person key."""

from __future__ import annotations

import io

from icalendar import Calendar
from openpyxl import load_workbook

from tests.service.conftest import System
from tests.service.test_scheduling_rosters import API, outbox


async def test_leader_away_names_the_acting_leader_and_is_published(system: System) -> None:
    body = {"leader_id": "l-vm-safety", "kind": "travel", "start": "2026-12-01T08:00:00+08:00",
            "end": "2026-12-03T18:00:00+08:00", "destination": "北京", "acting_leader_id": "l-vm-social"}
    r = await system.client.post(f"{API}/leaders/away", json=body, headers=system.auth("secretary_general"))
    assert r.status_code == 201, r.text
    answer = (await system.client.get(f"{API}/on-duty", params={"at": "2026-12-02T10:00:00+08:00",
                                                                "category": "production_safety"},
                                      headers=system.auth("duty_officer"))).json()
    assert answer["leader_in_charge"] == "l-vm-social" and answer["acting_for"] == "l-vm-safety"
    [event] = await outbox(system, "leader.availability_changed")
    assert event["payload"]["acting_leader"] == "l-vm-social" and event["payload"]["cancelled"] is False

    r = await system.client.delete(f"{API}/leaders/away/{r.json()['id']}", headers=system.auth("secretary_general"))
    assert r.status_code == 200
    answer = (await system.client.get(f"{API}/on-duty", params={"at": "2026-12-02T10:00:00+08:00",
                                                                "category": "production_safety"},
                                      headers=system.auth("duty_officer"))).json()
    assert answer["leader_in_charge"] == "l-vm-safety" and answer["acting_for"] is None


async def test_itineraries_missing_and_the_four_tables(system: System) -> None:
    r = await system.client.get(f"{API}/itineraries/missing", params={"kind": "weekly", "period_start": "2026-10-05"},
                                headers=system.auth("duty_officer"))
    info = r.json()
    assert info["due"].startswith("2026-09-30T17:30")  # Friday 10-02 is 国庆 → the last workday before
    assert {m["person_id"] for m in info["missing"]} == {"l-mayor", "l-vm-safety", "l-vm-social", "l-sg"}
    plan = {"leader_id": "l-mayor", "kind": "weekly", "period_start": "2026-12-07",
            "items": [{"leader_id": "l-mayor", "start": "2026-12-08T09:00:00+08:00",
                       "end": "2026-12-08T11:00:00+08:00", "activity": "市政府常务会议", "location": "市政府"},
                      {"leader_id": "l-mayor", "start": "2026-12-09T15:00:00+08:00",
                       "end": "2026-12-09T17:00:00+08:00", "activity": "内部会商", "confidential": True}]}
    r = await system.client.post(f"{API}/itineraries", json=plan, headers=system.auth("secretary_general"))
    assert r.status_code == 201
    r = await system.client.post(f"{API}/itineraries/remind", params={"kind": "weekly", "period_start": "2026-12-07"},
                                 headers=system.auth("duty_head"))
    assert sorted(r.json()["reminded"]) == ["l-sg", "l-vm-safety", "l-vm-social"]
    params = {"week_start": "2026-12-07", "day": "2026-12-08"}
    tables = (await system.client.get(f"{API}/itineraries/tables", params=params,
                                      headers=system.auth("secretary_general"))).json()
    assert [r["activity"] for r in tables["weekly_leaders"]][0] == "市政府常务会议"
    r = await system.client.get(f"{API}/itineraries/tables", params={**params, "format": "xlsx"},
                                headers=system.auth("secretary_general"))
    assert len(load_workbook(io.BytesIO(r.content)).worksheets) == 4
    r = await system.client.get(f"{API}/itineraries/tables", params={**params, "format": "pdf"},
                                headers=system.auth("secretary_general"))
    assert r.content.startswith(b"%PDF")

    r = await system.client.get(f"{API}/feeds/itinerary/l-mayor.ics", headers=system.auth("secretary_general"))
    events = Calendar.from_ical(r.content).walk("VEVENT")
    assert sorted(str(e["summary"]) for e in events) == ["公务活动", "市政府常务会议"]
    assert "内部会商" not in r.text


async def test_room_conflict_names_the_booking_and_room_service_is_told(system: System) -> None:
    store = system.component("scheduling").state["store"]
    await store.upsert("people", {"_id": "p-room", "name": "会务员", "roles": [], "group_id": "room_service"})
    booking = {"room_id": "第一会议室", "start": "2026-12-10T09:00:00+08:00", "end": "2026-12-10T10:00:00+08:00",
               "title": "防汛会商", "attendees": 12}
    r = await system.client.post(f"{API}/rooms/bookings", json=booking, headers=system.auth("duty_head"))
    assert r.status_code == 201
    first = r.json()["id"]
    r = await system.client.post(f"{API}/rooms/bookings",
                                 json={**booking, "start": "2026-12-10T09:30:00+08:00", "title": "安全检查"},
                                 headers=system.auth("duty_officer"))
    assert r.status_code == 409 and "防汛会商" in r.json()["message"] and first in r.json()["message"]
    r = await system.client.delete(f"{API}/rooms/bookings/{first}", headers=system.auth("duty_head"))
    assert r.status_code == 200
    told = [e["payload"]["body"] for e in await outbox(system, "notify.send") if e["payload"]["person_id"] == "p-room"]
    assert len(told) == 2 and "会议室新增" in told[0] and "会议室取消" in told[1]


async def test_shift_feed_by_token_or_per_person_key(system: System) -> None:
    url = f"{API}/feeds/shifts/p-duty-1.ics"
    assert (await system.client.get(url)).status_code == 401
    r = await system.client.get(url, headers=system.auth("duty_officer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(r.content).walk("VTIMEZONE")
    key = (await system.client.post(f"{API}/feeds/keys/p-duty-1", headers=system.auth("duty_officer"))).json()["key"]
    assert (await system.client.get(url, params={"key": key})).status_code == 200
    assert (await system.client.get(url, params={"key": "fk_wrong"})).status_code == 401
    assert (await system.client.get(f"{API}/feeds/shifts/p-duty-2.ics", params={"key": key})).status_code == 401
    r = await system.client.post(f"{API}/feeds/keys/p-duty-2", headers=system.auth("duty_officer"))
    assert r.status_code == 403


async def test_spot_checks_draw_record_summarise_and_draft_a_notice(system: System) -> None:
    units = [{"unit_id": f"u{i}", "name": f"{name}应急管理局"} for i, name in enumerate(["兴宁区", "青秀区", "武鸣区"])]
    assert (await system.client.put(f"{API}/units", json=units, headers=system.auth("duty_head"))).status_code == 200
    r = await system.client.post(f"{API}/spot-checks/draw", json={"count": 2, "seed": 7},
                                 headers=system.auth("duty_officer"))
    again = await system.client.post(f"{API}/spot-checks/draw", json={"count": 2, "seed": 7},
                                     headers=system.auth("duty_officer"))
    assert r.json()["units"] == again.json()["units"] and len(r.json()["units"]) == 2
    picked = [u["unit_id"] for u in r.json()["units"]]
    await system.client.post(f"{API}/spot-checks", json={"unit_id": picked[0], "method": "phone", "outcome": "normal",
                                                         "answer_seconds": 8}, headers=system.auth("duty_officer"))
    r = await system.client.post(f"{API}/spot-checks", json={"unit_id": picked[1], "method": "phone",
                                                             "outcome": "no_answer"}, headers=system.auth("duty_officer"))
    assert r.status_code == 201, r.text
    body = (await system.client.get(f"{API}/spot-checks/summary", headers=system.auth("duty_head"))).json()
    assert len(body["summaries"]) == 2
    assert "值班抽查情况的通报" in body["notice_draft"] and "存在问题的单位如下" in body["notice_draft"]
