"""assess(): level plus the sensitive rule that fired; the level history with override reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml

from services.escalation.domain.assessment import LevelChangeError, LevelHistory, assess
from services.escalation.domain.calendar import TableCalendar
from services.escalation.domain.grading import Facts
from services.escalation.domain.rules import Rules, load_rules

CALENDAR = TableCalendar(holidays={date(2026, 10, 1): "国庆节"})
WORKDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_plain_incident_is_not_sensitive(rules: Rules) -> None:
    a = assess(Facts(deaths=1), "fire", "某小区民房起火", "450103", WORKDAY, rules, CALENDAR)
    assert (a.level, a.sensitive, a.sensitive_reasons) == ("IV", False, [])
    assert a.rules_version == rules.version


def test_holiday_school_and_student_fire(rules: Rules) -> None:
    holiday_night = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)  # 10-01 00:30 in Shanghai
    a = assess(Facts(deaths=3), "fire", "某中学宿舍起火，学生疏散", "450103", holiday_night, rules, CALENDAR)
    assert a.level == "III" and a.sensitive
    assert [(h.kind, h.rule, h.matched) for h in a.hits] == [
        ("time", "statutory_holidays", "2026-10-01 国庆节"),
        ("place", "place_keywords", "中学"),
        ("people", "people_keywords", "学生"),
    ]
    assert a.sensitive_reasons[0] == "敏感时间：2026-10-01 国庆节（规则 statutory_holidays）"


def test_major_event_by_date_range_and_area(rules_text: str) -> None:
    data = yaml.safe_load(rules_text)
    data["sensitive"]["major_events"] = [{"name": "东盟博览会", "start": "2026-11-27", "end": "2026-11-30",
                                          "area_codes": ["4501"]}]
    data["sensitive"]["place_areas"] = [{"area_code_prefix": "450102", "name": "市政府所在城区"}]
    rules = load_rules(yaml.safe_dump(data, allow_unicode=True))
    inside = assess(Facts(), "other", "", "450102", WORKDAY, rules, CALENDAR)
    assert [h.rule for h in inside.hits] == ["major_events[0]", "place_areas[0]"]
    elsewhere = assess(Facts(), "other", "", "450200", WORKDAY, rules, CALENDAR)
    assert elsewhere.hits == []
    after = assess(Facts(), "other", "", "450103", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), rules, CALENDAR)
    assert after.hits == []  # 12-01 local: the event ended


def test_level_history_override_needs_reason(rules: Rules) -> None:
    a = assess(Facts(deaths=2), "production_safety", "", None, WORKDAY, rules, CALENDAR)
    h = LevelHistory().suggest(a, at=WORKDAY)
    assert h.current == "IV"
    with pytest.raises(LevelChangeError, match="必须填写理由"):
        h.override("III", reason="", by="zhang", at=WORKDAY, rules_version=rules.version)
    h = h.override("III", reason="另有3人下落不明", by="zhang", at=WORKDAY, rules_version=rules.version)
    h = h.set_may_escalate(True, reason="伤者病情危重", by="zhang", at=WORKDAY, rules_version=rules.version)
    assert h.current == "III" and h.suggested == "IV" and h.may_escalate
    assert [(e.action, e.by) for e in h.entries] == [
        ("suggested", "system"), ("overridden", "zhang"), ("may_escalate_set", "zhang")]
    follow_up = assess(Facts(deaths=4), "production_safety", "", None, WORKDAY, rules, CALENDAR)
    h = h.suggest(follow_up, at=WORKDAY).confirm(by="li", at=WORKDAY, rules_version=rules.version)
    assert h.current == "III" and h.entries[-1].action == "confirmed"
    with pytest.raises(LevelChangeError, match="无效"):
        h.override("V", reason="x", by="zhang", at=WORKDAY, rules_version=rules.version)
