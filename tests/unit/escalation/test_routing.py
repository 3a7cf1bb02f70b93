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
    assert plan.person_ids() == ["vice_mayor_safety", "party_committee_duty_room", "市应急管理局", "county:450103"]
    leader = plan.recipients[0]
    assert leader.roles == ("in_charge",) and leader.channels == ("phone", "sms", "fax")
    assert plan.recipients[1].channels == ("sms", "fax")  # written copies: no phone call
    assert plan.rules_version == rules.version


def test_level_ii_adds_principal(rules: Rules) -> None:
    plan = route(_view(level="II", category="food_poisoning"), rules, [])
    assert plan.person_ids()[:2] == ["vice_mayor_health", "mayor"]
    assert plan.recipients[1].roles == ("principal",)


def test_level_iv_goes_in_charge_only_in_writing(rules: Rules) -> None:
    plan = route(_view(level="IV", area_code=None), rules, [])
    assert plan.person_ids() == ["vice_mayor_safety", "市应急管理局"]
    assert plan.recipients[0].channels == ("sms", "fax")


def test_urgent_puts_phone_first(rules: Rules) -> None:
    plan = route(_view(level="IV", urgent=True, area_code=None), rules, [])
    assert plan.recipients[0].channels == ("sms", "fax")  # level IV has no phone configured: nothing invented
    plan = route(_view(level="III", urgent=True), rules, [])
    assert plan.recipients[0].channels[0] == "phone"


def test_away_leader_is_replaced_by_acting_person(rules: Rules) -> None:
    away = [AwayPeriod("vice_mayor_safety", AT - timedelta(days=1), AT + timedelta(days=2), "vice_mayor_nature", "出差")]
    plan = route(_view(), rules, away)
    first = plan.recipients[0]
    assert first.person_id == "vice_mayor_nature" and first.acting_for == "vice_mayor_safety"
    assert first.notes == ("vice_mayor_safety出差，由vice_mayor_nature代为接收",)


def test_away_period_is_end_exclusive_and_default_acting_is_used(rules: Rules) -> None:
    ended = [AwayPeriod("vice_mayor_safety", AT - timedelta(days=1), AT)]
    assert route(_view(), rules, ended).recipients[0].person_id == "vice_mayor_safety"
    no_deputy_named = [AwayPeriod("vice_mayor_safety", AT, AT + timedelta(hours=1), None, "请假")]
    assert route(_view(), rules, no_deputy_named).recipients[0].person_id == "executive_vice_mayor"


def test_acting_leader_who_is_also_principal_gets_one_message(rules: Rules) -> None:
    away = [AwayPeriod("vice_mayor_safety", AT, AT + timedelta(hours=1), "mayor", "考察")]
    plan = route(_view(level="I"), rules, away)
    mayor = [r for r in plan.recipients if r.person_id == "mayor"]
    assert len(mayor) == 1 and mayor[0].roles == ("in_charge", "principal")


def test_chain_of_away_people_stops_at_loop(rules: Rules) -> None:
    away = [
        AwayPeriod("vice_mayor_safety", AT, AT + timedelta(hours=1), "executive_vice_mayor"),
        AwayPeriod("executive_vice_mayor", AT, AT + timedelta(hours=1), "vice_mayor_safety"),
    ]
    first = route(_view(), rules, away).recipients[0]
    assert first.person_id == "executive_vice_mayor" and "无可用代理人" in first.notes[-1]


def test_silence_schedule_and_next_person(rules: Rules) -> None:
    leader = route(_view(), rules, []).recipients[0]
    attempts = leader.attempts(AT)
    assert [(a.channel, a.at) for a in attempts] == [
        ("phone", AT), ("sms", AT + timedelta(minutes=10)), ("fax", AT + timedelta(minutes=20))]
    assert leader.silence_at(AT) == AT + timedelta(minutes=30)
    nxt = next_on_silence(leader, rules, [], AT + timedelta(minutes=30))
    assert nxt is not None and nxt.person_id == "executive_vice_mayor" and nxt.roles == ("escalated",)
    mayor = next_on_silence(nxt, rules, [], AT)
    assert mayor is not None and mayor.person_id == "mayor"
    assert next_on_silence(mayor, rules, [], AT) is None


def test_unheld_category_goes_to_fallback(rules: Rules) -> None:
    assert route(_view(category="natural_disaster"), rules, []).recipients[0].person_id == "vice_mayor_nature"
    assert route(_view(category="unknown_kind"), rules, []).recipients[0].person_id == "executive_vice_mayor"
