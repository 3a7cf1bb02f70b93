from __future__ import annotations

from datetime import date, datetime

from icalendar import Calendar

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.ical import itinerary_feed, shifts_feed
from services.scheduling.domain.itinerary import ItineraryItem
from services.scheduling.domain.models import LOCAL_TZ
from services.scheduling.domain.roster import RosterConfig, generate_roster
from tests.unit.scheduling.helpers import office

NOW = datetime(2026, 2, 1, 9, tzinfo=LOCAL_TZ)


def test_person_feed_has_their_shifts_in_shanghai_time() -> None:
    people = office()
    draft = generate_roster(date(2026, 2, 14), date(2026, 2, 20), people, RosterConfig(), OfficialCalendar.load())
    data = shifts_feed("o03", "值班员3", draft.shifts, NOW)
    parsed = Calendar.from_ical(data)
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = parsed.walk("VEVENT")
    mine = [s for s in draft.shifts if "o03" in s.officers]
    assert len(events) == len(mine) > 0
    first = events[0]
    assert first.decoded("dtstart") == mine[0].start
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(first["SUMMARY"]).startswith("值班：")
    leader_events = Calendar.from_ical(shifts_feed("l00", "领导", draft.shifts, NOW)).walk("VEVENT")
    assert leader_events and all(str(e["SUMMARY"]).startswith(("带班：春节", "在家值班：春节"))
                                 for e in leader_events)


def test_confidential_itinerary_items_show_only_official_business() -> None:
    items = [
        ItineraryItem(leader_id="vm1", start=datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ),
                      end=datetime(2026, 3, 10, 11, tzinfo=LOCAL_TZ), activity="调研防汛工作", location="江堤"),
        ItineraryItem(leader_id="vm1", start=datetime(2026, 3, 10, 14, tzinfo=LOCAL_TZ),
                      end=datetime(2026, 3, 10, 16, tzinfo=LOCAL_TZ), activity="某专项会议", location="三号楼",
                      confidential=True),
        ItineraryItem(leader_id="vm2", start=datetime(2026, 3, 10, 14, tzinfo=LOCAL_TZ),
                      end=datetime(2026, 3, 10, 15, tzinfo=LOCAL_TZ), activity="别人的会"),
    ]
    data = itinerary_feed("vm1", "李某", items, NOW)
    events = Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["调研防汛工作", "公务活动"]
    assert "LOCATION" not in events[1] and "某专项会议".encode() not in data and "三号楼".encode() not in data
