"""Sensitive (敏感) rules (NORMS §3, regulation 三(二)): time, place, people, subject. Each hit names its rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.escalation.domain.calendar import HolidayCalendar, local
from services.escalation.domain.rules_schema import SensitiveRules


@dataclass(frozen=True)
class SensitiveHit:
    kind: str  # time | place | people | subject
    rule: str  # which rule fired, e.g. "major_events[0]" or "place_keywords"
    matched: str  # what matched, in words a person reads

    def describe(self) -> str:
        return f"敏感{_KIND_ZH[self.kind]}：{self.matched}（规则 {self.rule}）"


_KIND_ZH = {"time": "时间", "place": "地点", "people": "人员", "subject": "事项"}


def sensitive_hits(
    *, text: str, area_code: str | None, occurred_at: datetime | None, rules: SensitiveRules,
    calendar: HolidayCalendar,
) -> list[SensitiveHit]:
    hits: list[SensitiveHit] = []
    if occurred_at is not None:
        day = local(occurred_at).date()
        name = calendar.holiday_name(day) if rules.statutory_holidays else None
        if name:
            hits.append(SensitiveHit("time", "statutory_holidays", f"{day.isoformat()} {name}"))
        for i, event in enumerate(rules.major_events):
            in_area = not event.area_codes or any((area_code or "").startswith(c) for c in event.area_codes)
            if event.start <= day <= event.end and in_area:
                hits.append(SensitiveHit("time", f"major_events[{i}]", f"{event.name}（{event.start}至{event.end}）"))
        for i, anniversary in enumerate(rules.anniversaries):
            if day.strftime("%m-%d") == anniversary.month_day:
                hits.append(SensitiveHit("time", f"anniversaries[{i}]", anniversary.name))
    for i, place in enumerate(rules.place_areas):
        if area_code and area_code.startswith(place.area_code_prefix):
            hits.append(SensitiveHit("place", f"place_areas[{i}]", f"{place.name}（{area_code}）"))
    for kind, rule, words in (
        ("place", "place_keywords", rules.place_keywords),
        ("people", "people_keywords", rules.people_keywords),
        ("subject", "subject_keywords", rules.subject_keywords),
    ):
        found = [w for w in words if w and w in text]
        if found:
            hits.append(SensitiveHit(kind, rule, "、".join(found)))
    return hits
