from datetime import datetime, time, timedelta, timezone

import pytest

from services.notify.domain.directory import (
    PRIVATE_HIDDEN,
    WORKING_HOURS,
    AvailabilityWindow,
    ContactKind,
    Person,
    UnknownPerson,
    contact,
    find_person,
    masked_view,
)
from services.notify.domain.numbers import InvalidContact
from shared.contracts.events import NotifyChannel

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=CST)
MONDAY_23 = datetime(2026, 11, 30, 23, 0, tzinfo=CST)


def leader() -> Person:
    return Person(
        id="p-001",
        name="张三",
        roles=frozenset({"leader"}),
        contacts=(
            contact("office_phone", "010-12345678", windows=[WORKING_HOURS]),
            contact(ContactKind.mobile, "13812345678"),
            contact(ContactKind.sip, "sip:8001@pbx.gov.cn"),
            contact(ContactKind.fax, "010-87654321"),
            contact(ContactKind.email, "zhangsan@gov.cn"),
            contact(ContactKind.private_phone, "13900001111"),
            contact(ContactKind.home_address, "某市某区幸福路10号"),
        ),
    )


def test_contact_validates_and_marks_private_kinds():
    assert contact("mobile", "138 1234 5678").value == "+8613812345678"
    assert contact("private_phone", "13900001111").private
    assert contact("mobile", "13900001111", private=True).private
    with pytest.raises(InvalidContact, match="11位"):
        contact("mobile", "1380000")
    with pytest.raises(InvalidContact, match="家庭住址为空"):
        contact("home_address", "   ")


def test_overnight_window_belongs_to_the_day_it_starts():
    home_duty = AvailabilityWindow(frozenset({0}), time(22, 0), time(7, 0))  # Monday night
    assert home_duty.covers(MONDAY_23)
    assert home_duty.covers(datetime(2026, 12, 1, 6, 59, tzinfo=CST))  # Tuesday early morning
    assert not home_duty.covers(datetime(2026, 12, 1, 7, 0, tzinfo=CST))
    assert not home_duty.covers(datetime(2026, 11, 30, 6, 0, tzinfo=CST))  # Monday early: Sunday's night


def test_contact_plan_keeps_priority_and_skips_private_and_closed_windows():
    person = leader()
    daytime = person.contact_plan(MONDAY_10)
    assert [c for c, _ in daytime] == [
        NotifyChannel.phone, NotifyChannel.phone, NotifyChannel.sms, NotifyChannel.phone,
        NotifyChannel.fax, NotifyChannel.email,
    ]
    assert daytime[0][1].kind is ContactKind.office_phone
    night = person.contact_plan(MONDAY_23, channels=[NotifyChannel.phone])
    assert [m.kind for _, m in night] == [ContactKind.mobile, ContactKind.sip]
    emergency = person.contact_plan(MONDAY_23, channels=[NotifyChannel.phone], include_private=True)
    assert emergency[-1][1].kind is ContactKind.private_phone


def test_person_availability():
    weekdays_only = Person("p-2", "李四", availability=(WORKING_HOURS,))
    assert weekdays_only.is_available(MONDAY_10)
    assert not weekdays_only.is_available(MONDAY_23)
    assert Person("p-3", "王五").is_available(MONDAY_23)


def test_unknown_person_is_a_precise_error():
    with pytest.raises(UnknownPerson, match="p-404"):
        find_person({"p-001": leader()}, "p-404")


def _values(view):
    return {c.kind: c.value for c in view.contacts}


def test_default_view_masks_everything_and_hides_private():
    view = masked_view(leader(), can_dial=False, can_see_private=False)
    values = _values(view)
    assert values[ContactKind.mobile] == "+86138****5678"
    assert values[ContactKind.office_phone] == "+8610****5678"
    assert values[ContactKind.email] == "z***@gov.cn"
    assert values[ContactKind.sip] == "sip:8***@pbx.gov.cn"
    assert values[ContactKind.private_phone] == PRIVATE_HIDDEN
    assert values[ContactKind.home_address] == PRIVATE_HIDDEN
    assert view.revealed == ()
    rendered = repr(view)
    for secret in ("12345678", "13900001111", "幸福路", "zhangsan", "87654321"):
        assert secret not in rendered


def test_dialler_sees_plain_numbers_not_private_ones_and_view_is_audited():
    view = masked_view(leader(), can_dial=True, can_see_private=False)
    values = _values(view)
    assert values[ContactKind.mobile] == "+8613812345678"
    assert values[ContactKind.private_phone] == PRIVATE_HIDDEN
    assert ContactKind.mobile in view.revealed and ContactKind.private_phone not in view.revealed


def test_private_permission_without_dialling_shows_private_masked():
    values = _values(masked_view(leader(), can_dial=False, can_see_private=True))
    assert values[ContactKind.private_phone] == "+86139****1111"
    assert values[ContactKind.home_address] == "某市某区****"


def test_both_permissions_reveal_private_and_are_audited():
    view = masked_view(leader(), can_dial=True, can_see_private=True)
    assert _values(view)[ContactKind.home_address] == "某市某区幸福路10号"
    assert set(view.revealed) == set(ContactKind)
