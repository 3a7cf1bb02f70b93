"""iCalendar feeds: a person's shifts and a leader's published itinerary, in Asia/Shanghai time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from icalendar import Calendar, Event

from services.scheduling.domain.itinerary import ItineraryItem
from services.scheduling.domain.models import KIND_LABELS, Shift

PRODID = "-//Zhiban//scheduling//ZH"
CONFIDENTIAL_SUMMARY = "公务活动"


class FeedInvalid(ValueError):
    """The produced feed did not parse back; never served."""


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    return cal


def _finish(cal: Calendar) -> bytes:
    # The VTIMEZONE for every TZID used (Asia/Shanghai), so clients need no tz database of their own.
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    try:
        parsed = Calendar.from_ical(data)
    except ValueError as exc:
        raise FeedInvalid(f"生成的日历订阅无法解析：{exc}") from exc
    if not parsed.walk("VTIMEZONE"):
        raise FeedInvalid("生成的日历订阅缺少Asia/Shanghai时区定义")
    return data


def shifts_feed(person_id: str, person_name: str, shifts: Sequence[Shift], generated_at: datetime,
                names: Mapping[str, str] | None = None) -> bytes:
    """The person's own shifts (officer, holiday staff or shift leader)."""
    names = names or {}
    cal = _calendar(f"{person_name}的值班安排")
    for shift in sorted(shifts, key=lambda s: s.start):
        if person_id not in shift.people() and person_id != shift.leader_at_home:
            continue
        role = ("带班" if person_id == shift.leader else "在家值班" if person_id == shift.leader_at_home
                else "值班")
        event = Event()
        event.add("uid", f"{shift.shift_id}-{person_id}@zhiban")
        event.add("dtstamp", generated_at)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        label = KIND_LABELS.get(shift.kind, shift.kind)
        event.add("summary", f"{role}：{shift.holiday_name + ' ' if shift.holiday_name else ''}{label}")
        leader = names.get(shift.leader or "", shift.leader or "")
        together = "、".join(names.get(p, p) for p in [*shift.officers, *shift.holiday_staff] if p != person_id)
        event.add("description", f"带班领导：{leader}" + (f"；同班：{together}" if together else ""))
        cal.add_component(event)
    return _finish(cal)


def itinerary_feed(leader_id: str, leader_name: str, items: Sequence[ItineraryItem], generated_at: datetime) -> bytes:
    """A leader's published itinerary; confidential items show only “公务活动”, no place or detail."""
    cal = _calendar(f"{leader_name}的活动安排")
    for n, item in enumerate(sorted((i for i in items if i.leader_id == leader_id), key=lambda i: i.start)):
        event = Event()
        event.add("uid", f"{leader_id}-{item.start:%Y%m%dT%H%M}-{n}@zhiban")
        event.add("dtstamp", generated_at)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        if item.confidential:
            event.add("summary", CONFIDENTIAL_SUMMARY)
            event.add("class", "CONFIDENTIAL")
        else:
            event.add("summary", item.activity)
            if item.location:
                event.add("location", item.location)
            event.add("class", "PUBLIC")
        cal.add_component(event)
    return _finish(cal)
