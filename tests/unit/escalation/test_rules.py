"""Invalid rules files give precise errors: the path of the bad field, in Chinese and in English."""

from __future__ import annotations

import pytest
import yaml

from services.escalation.domain.rules import Rules, RulesError, load_rules, unknown_addressees


def _broken(rules_text: str, mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(rules_text)
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True)


def _problem_paths(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules(text)
    return [p for p, _, _ in info.value.problems]


def test_shipped_defaults_load(rules: Rules) -> None:
    assert rules.version
    assert rules.table_for("fire") == rules.table_for("production_safety")
    assert rules.routing is not None and rules.review is not None and rules.follow_ups is not None


def test_yaml_syntax_error_names_line() -> None:
    with pytest.raises(RulesError) as info:
        load_rules("version: x\ngrading: {a: [1,\n")
    assert "YAML 语法错误" in str(info.value) and "行" in str(info.value)


def test_top_level_not_mapping() -> None:
    assert _problem_paths("- a\n- b\n") == ["(root)"]


def test_rising_threshold(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["grading"]["production_safety"]["criteria"]["deaths"] = {"I": 3, "II": 10, "III": 30}
    with pytest.raises(RulesError) as info:
        load_rules(_broken(rules_text, mutate))
    (path, zh, en), = info.value.problems
    assert path == "grading.production_safety"
    assert "不得上升" in zh and "must not rise" in en


def test_typo_in_field_name(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["review"]["remind_after_minute"] = 5
    paths = _problem_paths(_broken(rules_text, mutate))
    assert "review.remind_after_minute" in paths


def test_missing_and_wrong_type(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        del d["version"]
        d["report_limits"]["I"]["phone"]["minutes"] = "half an hour"
    with pytest.raises(RulesError) as info:
        load_rules(_broken(rules_text, mutate))
    found = {p: zh for p, zh, _ in info.value.problems}
    assert found["version"] == "缺少必填字段"
    assert found["report_limits.I.phone.minutes"].startswith("应为整数")


def test_bad_clock_and_bad_time(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["report_limits"]["II"]["written"]["clock"] = "reported"
        d["follow_ups"]["by_level"]["I"]["times"] = ["8:00", "17:00"]
    paths = _problem_paths(_broken(rules_text, mutate))
    assert "report_limits.II.written.clock" in paths
    assert "follow_ups.by_level.I.times" in paths


def test_unknown_leader_reference(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["routing"]["principal"] = "nobody"
    with pytest.raises(RulesError) as info:
        load_rules(_broken(rules_text, mutate))
    (path, zh, en), = info.value.problems
    assert path == "routing" and "nobody" in zh and "unknown leader" in en


def test_unknown_same_as_and_report_kind(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["grading"]["fire"]["same_as"] = "firee"
    assert _problem_paths(_broken(rules_text, mutate)) == ["(root)"]

    def mutate2(d: dict) -> None:  # type: ignore[type-arg]
        d["report_limits"]["I"]["fax"] = {"minutes": 5, "clock": "occurred"}
    with pytest.raises(RulesError, match="未知报告类型"):
        load_rules(_broken(rules_text, mutate2))


def test_review_reminder_after_escalation_is_refused(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["review"]["remind_after_minutes"] = 30
    with pytest.raises(RulesError, match="提醒时间必须早于升级时间"):
        load_rules(_broken(rules_text, mutate))


def test_major_event_dates(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["sensitive"]["major_events"] = [{"name": "会", "start": "2027-03-10", "end": "2027-03-01"}]
    assert _problem_paths(_broken(rules_text, mutate)) == ["sensitive.major_events.0"]


def test_routing_may_not_address_the_upward_office(rules_text: str) -> None:
    def mutate(d: dict) -> None:  # type: ignore[type-arg]
        d["routing"]["cc_by_category"]["fire"].append("province_duty_office")
    with pytest.raises(RulesError) as info:
        load_rules(_broken(rules_text, mutate))
    (path, zh, en), = info.value.problems
    assert "routing.cc_by_category.fire[2]" in zh and "直报信息" in zh and "upward" in en


def test_shipped_rules_address_only_people_the_demo_directory_knows(rules: Rules) -> None:
    from services import demo

    assert unknown_addressees(rules, demo.directory_ids(), area_codes=set(demo.COUNTIES)) == []
    leaders = {x.id for x in rules.routing.leaders}  # type: ignore[union-attr]
    assert leaders == {x["_id"] for x in demo.LEADERS}
    # each leader holds in the rules the domains scheduling gives them in the demo: both answer alike
    for leader in demo.LEADERS:
        held = next(x for x in rules.routing.leaders if x.id == leader["_id"])  # type: ignore[union-attr]
        assert set(held.categories) == set(leader["domains"]), leader["_id"]


def test_unknown_addressees_name_the_path(rules: Rules) -> None:
    from services import demo

    known = demo.directory_ids() - {"l-vm-social", "市地震局", "county:450126"}
    problems = unknown_addressees(rules, known, area_codes=set(demo.COUNTIES))
    paths = {p for p, _, _ in problems}
    assert paths == {"routing.leaders[2].id", "routing.cc_by_category.earthquake[0]", "routing.cc_county_of_area"}
    assert all("不在通讯录中" in zh for _, zh, _ in problems)
