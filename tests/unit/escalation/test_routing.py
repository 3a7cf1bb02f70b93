"""Routing (R-06): in-charge leader by category, principal from level II, acting leader when away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.escalation.domain.routing import AwayPeriod, IncidentView, next_on_silence, route
from services.escalation.domain.rules import Rules

AT = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def _view(**kw: object) -> IncidentView:
    base: dict[str, object] = {"incident_id": "inc-1", "category": "production_safety", "level": "III",
                               "area_code": "450103", "at": AT}
    base.update(kw)
    return IncidentView(**base)  # type: ignore[arg-type]


def test_level_iii_goes_to_leader_in_charge_cc_and_party_room(rules: Rules) -> None:
    plan = route(_view(), rules, [])
    assert plan.person_ids() == ["l-vm-safety", "party_committee_duty_room", "市应急管理局", "county:450103"]
    leader = plan.recipients[0]
    assert leader.roles == ("in_charge",) and leader.channels == ("phone", "sms", "fax")
    assert plan.recipients[1].channels == ("sms", "fax")  # written copies: no phone call
    assert plan.rules_version == rules.version


def test_level_ii_adds_principal(rules: Rules) -> None:
    plan = route(_view(level="II", category="food_poisoning"), rules, [])
    assert plan.person_ids()[:2] == ["l-vm-social", "l-mayor"]
    assert plan.recipients[1].roles == ("principal",)


def test_level_iv_goes_in_charge_only_in_writing(rules: Rules) -> None:
    plan = route(_view(level="IV", area_code=None), rules, [])
    assert plan.person_ids() == ["l-vm-safety", "市应急管理局"]
    assert plan.recipients[0].channels == ("sms", "fax")


def test_urgent_puts_phone_first(rules: Rules) -> None:
    plan = route(_view(level="IV", urgent=True, area_code=None), rules, [])
    assert plan.recipients[0].channels == ("sms", "fax")  # level IV has no phone configured: nothing invented
    plan = route(_view(level="III", urgent=True), rules, [])
    assert plan.recipients[0].channels[0] == "phone"


def test_away_leader_is_replaced_by_acting_person(rules: Rules) -> None:
    away = [AwayPeriod("l-vm-safety", AT - timedelta(days=1), AT + timedelta(days=2), "l-mayor", "出差")]
    plan = route(_view(), rules, away)
    first = plan.recipients[0]
    assert first.person_id == "l-mayor" and first.acting_for == "l-vm-safety"
    assert first.notes == ("l-vm-safety出差，由l-mayor代为接收",)


def test_away_period_is_end_exclusive_and_default_acting_is_used(rules: Rules) -> None:
    ended = [AwayPeriod("l-vm-safety", AT - timedelta(days=1), AT)]
    assert route(_view(), rules, ended).recipients[0].person_id == "l-vm-safety"
    no_deputy_named = [AwayPeriod("l-vm-safety", AT, AT + timedelta(hours=1), None, "请假")]
    assert route(_view(), rules, no_deputy_named).recipients[0].person_id == "l-vm-social"  # default_acting


def test_acting_leader_who_is_also_principal_gets_one_message(rules: Rules) -> None:
    away = [AwayPeriod("l-vm-safety", AT, AT + timedelta(hours=1), "l-mayor", "考察")]
    plan = route(_view(level="I"), rules, away)
    mayor = [r for r in plan.recipients if r.person_id == "l-mayor"]
    assert len(mayor) == 1 and mayor[0].roles == ("in_charge", "principal")


def test_chain_of_away_people_stops_at_loop(rules: Rules) -> None:
    away = [
        AwayPeriod("l-vm-safety", AT, AT + timedelta(hours=1), "l-vm-social"),
        AwayPeriod("l-vm-social", AT, AT + timedelta(hours=1), "l-vm-safety"),
    ]
    first = route(_view(), rules, away).recipients[0]
    assert first.person_id == "l-vm-social" and "无可用代理人" in first.notes[-1]


def test_silence_schedule_and_next_person(rules: Rules) -> None:
    leader = route(_view(), rules, []).recipients[0]
    attempts = leader.attempts(AT)
    assert [(a.channel, a.at) for a in attempts] == [
        ("phone", AT), ("sms", AT + timedelta(minutes=10)), ("fax", AT + timedelta(minutes=20))]
    assert leader.silence_at(AT) == AT + timedelta(minutes=30)
    nxt = next_on_silence(leader, rules, [], AT + timedelta(minutes=30))
    assert nxt is not None and nxt.person_id == "l-mayor" and nxt.roles == ("escalated",)
    assert next_on_silence(nxt, rules, [], AT) is None  # the principal is the end of the chain


def test_unheld_category_goes_to_fallback(rules: Rules) -> None:
    assert route(_view(category="natural_disaster"), rules, []).recipients[0].person_id == "l-vm-safety"
    assert route(_view(category="unknown_kind"), rules, []).recipients[0].person_id == "l-mayor"
