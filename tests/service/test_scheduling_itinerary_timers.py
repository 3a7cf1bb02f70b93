"""Leaders' itineraries on timers (R-22): before each deadline the secretaries of leaders who have not
submitted are reminded, at the deadline the head gets the list of who is missing, and after it the four
tables go to the secretary-general through notify as signed, expiring download links (a document cannot
travel in notify.send, which carries text; the files stay in scheduling's store). Roster publication of a
whole year for 200 people in parts that each fit the bus's message limit."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook

from services.scheduling.service_roster import encoded_size, roster_parts
from shared.clock import SHANGHAI
from tests.helpers import eventually
from tests.service.conftest import System
from tests.service.test_scheduling_rosters import API, outbox, publish_roster

FRIDAY = datetime(2026, 12, 11, 8, 0, tzinfo=SHANGHAI)  # deadlines for the week of 12-14 and for Monday 12-14
DUE = FRIDAY.replace(hour=17, minute=30)


async def _sent(system: System, prefix: str) -> list[dict]:
    return [e["payload"] for e in await outbox(system, "notify.send") if e["_id"].startswith(f"scheduling:{prefix}")]


async def test_reminder_missing_list_and_the_four_tables_on_timers(system: System) -> None:
    c = system.component("scheduling")
    svc, office, store = c.state["service"], c.state["office"], c.state["store"]
    for kind, items in (("weekly", [("2026-12-15T09:00:00+08:00", "市政府常务会议")]),
                        ("daily", [("2026-12-14T15:00:00+08:00", "调研防汛工作")])):
        plan = {"leader_id": "l-mayor", "kind": kind, "period_start": "2026-12-14",
                "items": [{"leader_id": "l-mayor", "start": start, "end": start.replace("T09", "T11")
                           .replace("T15", "T17"), "activity": what, "location": "市政府"} for start, what in items]}
        r = await system.client.post(f"{API}/itineraries", json=plan, headers=system.auth("secretary_general"))
        assert r.status_code == 201

    await office.plan(FRIDAY)
    timers = {t["_id"]: t for t in await store.all("timers", {"_id": {"$regex": "^itinerary-.*2026-12-14"}})}
    assert set(timers) == {f"itinerary-{step}:{kind}:2026-12-14" for step in ("reminder", "deadline")
                           for kind in ("weekly", "daily")} | {"itinerary-tables:daily:2026-12-14"}

    await svc.fire_due(now=DUE - timedelta(hours=2))  # the reminder, two hours before (configurable)
    reminded = await _sent(system, "itinerary:weekly:2026-12-14:")
    assert sorted(p["person_id"] for p in reminded) == ["l-sg", "l-vm-safety", "l-vm-social"]  # not the mayor
    assert all("12月11日17:30前报送" in p["body"] for p in reminded)

    await svc.fire_due(now=DUE)
    [missing] = await _sent(system, "itinerary-missing:weekly:2026-12-14:")
    assert missing["person_id"] == "p-head"
    assert missing["body"].startswith("截至12月11日17:30，12月14日当周工作安排尚未报送3人：")
    assert "周市长" not in missing["body"]
    log = await store.get("duty_log", "itinerary-deadline:weekly:2026-12-14")
    assert log["text"] == missing["body"]
    assert not await _sent(system, "itinerary-tables:tables-20261214-20261214:")  # not before the deadline + 30 minutes

    await svc.fire_due(now=DUE + timedelta(minutes=30))
    [sent] = await _sent(system, "itinerary-tables:tables-20261214-20261214:")
    assert sent["person_id"] == "l-sg" and sent["channels"] == ["email", "sms"]
    assert "市领导一周活动安排1项" in sent["body"] and "市领导次日活动安排1项" in sent["body"]
    assert "尚未报送3人" in sent["body"]
    links = dict(re.findall(r"(Excel|PDF)：(\S+)", sent["body"]))
    xlsx_url = urlsplit(links["Excel"])
    assert xlsx_url.path == f"{API}/documents/tables-20261214-20261214.xlsx"

    r = await system.client.get(xlsx_url.path, params=parse_qs(xlsx_url.query))  # no token: the link's key
    assert r.status_code == 200
    sheets = load_workbook(io.BytesIO(r.content)).worksheets
    assert len(sheets) == 4 and sheets[0].cell(2, 5).value == "市政府常务会议"
    assert sheets[2].cell(2, 5).value == "调研防汛工作"
    pdf = urlsplit(links["PDF"])
    r = await system.client.get(pdf.path, params=parse_qs(pdf.query))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")

    query = {k: v[0] for k, v in parse_qs(xlsx_url.query).items()}
    forged = {**query, "key": "0" * 64}
    assert (await system.client.get(xlsx_url.path, params=forged)).status_code == 401
    stretched = {**query, "expires": str(int(query["expires"]) + 86400)}  # the key signs the expiry
    assert (await system.client.get(xlsx_url.path, params=stretched)).status_code == 401
    other = f"{API}/documents/tables-20261214-20261215.xlsx"
    assert (await system.client.get(other, params=query)).status_code == 401
    r = await system.client.get(xlsx_url.path, headers=system.auth("secretary_general"))
    assert r.status_code == 200
    assert (await system.client.get(xlsx_url.path, headers=system.auth("duty_officer"))).status_code == 403

    await svc.fire_due(now=DUE + timedelta(hours=1))
    assert len(await _sent(system, "itinerary-tables:tables-20261214-20261214:")) == 1  # sent once


async def test_expired_link_is_refused(system: System) -> None:
    office = system.component("scheduling").state["office"]
    long_ago = datetime(2026, 1, 9, 18, 0, tzinfo=SHANGHAI)
    doc = await office.deliver_tables(date(2026, 1, 12), date(2026, 1, 12), long_ago)
    expires = int((long_ago + timedelta(days=7)).timestamp())
    r = await system.client.get(f"{API}/documents/{doc['_id']}.pdf",
                                params={"expires": expires, "key": office.link_key(doc["_id"], expires)})
    assert r.status_code == 401


async def test_a_year_for_200_people_is_published_in_parts_under_the_limit(system: System) -> None:
    store = system.component("scheduling").state["store"]
    for i in range(80):
        await store.upsert("people", {"_id": f"o{i:03d}", "name": f"值班员{i}", "roles": ["duty_officer"],
                                      "active": True})
    for i in range(200 - len(await store.all_people())):
        await store.upsert("people", {"_id": f"s{i:03d}", "name": f"处室人员{i}", "roles": ["section_staff"],
                                      "group_id": f"sec{i % 12:02d}", "active": True})
    assert len(await store.all_people()) == 200
    published = await publish_roster(system, date(2026, 1, 1), date(2026, 12, 31))
    events = [e["payload"] for e in await outbox(system, "roster.published")]
    limit = 64 * 1024  # the configured part size (the bus refuses above 256 KiB)
    assert len(events) == 12 and [e["part"] for e in events] == list(range(1, 13))
    assert all(e["parts"] == 12 and e["roster_id"] == published["id"] for e in events)
    assert all(len(json.dumps(e).encode()) < limit for e in events)
    ids = [s["shift_id"] for e in events for s in e["shifts"]]
    assert len(ids) == len(set(ids)) == 730 == len(published["shifts"])
    assert (events[1]["part_start"], events[1]["part_end"]) == ("2026-02-01", "2026-02-28")

    async def logged() -> list:
        return await store.all("duty_log", {"_id": {"$regex": f"^bus:roster.published:{published['id']}:"}})

    assert len(await eventually(lambda: _all_parts(logged), timeout=20)) == 12  # every part came off the bus


async def _all_parts(logged) -> list | None:
    found = await logged()
    return found if len(found) == 12 else None


def test_parts_split_further_when_a_month_is_too_large() -> None:
    from shared.contracts import PublishedShift

    start = datetime(2026, 3, 1, 8, 0, tzinfo=SHANGHAI)
    shifts = [PublishedShift(shift_id=f"s{i}", start=start + timedelta(hours=12 * i),
                             end=start + timedelta(hours=12 * i + 12), kind="day", day_type="workday",
                             officers=[f"officer-{j:03d}" for j in range(40)]) for i in range(60)]
    parts = roster_parts("r", date(2026, 3, 1), date(2026, 3, 30), "l-sg", start, shifts, max_bytes=16 * 1024)
    assert len(parts) > 1 and all(encoded_size(p) <= 16 * 1024 for p in parts)
    assert [s.shift_id for p in parts for s in p.shifts] == [s.shift_id for s in shifts]
    assert all(p.parts == len(parts) for p in parts) and [p.part for p in parts] == list(range(1, len(parts) + 1))
    whole = roster_parts("r", date(2026, 3, 1), date(2026, 3, 30), "l-sg", start, shifts, max_bytes=10**9)
    assert len(whole) == 1 and encoded_size(whole[0]) > 16 * 1024
