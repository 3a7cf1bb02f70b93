from __future__ import annotations

from datetime import date, datetime

import pytest

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.models import LOCAL_TZ, Person
from services.scheduling.domain.roster import RosterConfig, generate_roster
from services.scheduling.domain.swaps import (
    Absence,
    ChangeRequest,
    OverlappingShifts,
    SwapRuleViolation,
    apply_change,
    vacancies,
)
from tests.unit.scheduling.helpers import office


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="module")
def setting():
    people = office()
    draft = generate_roster(date(2026, 2, 9), date(2026, 2, 20), people, RosterConfig(),
                            OfficialCalendar.load())
    return draft.shifts, {p.person_id: p for p in people}


def shift(shifts, sid):
    return next(s for s in shifts if s.shift_id == sid)


def test_duty_officers_swap_when_reported_to_head_beforehand(setting) -> None:
    shifts, people = setting
    a, b = shift(shifts, "2026-02-10-day"), shift(shifts, "2026-02-12-day")
    pa, pb = a.officers[0], b.officers[0]
    updated, record = apply_change(shifts, ChangeRequest(
        shift_id=a.shift_id, person_out=pa, person_in=pb, other_shift_id=b.shift_id,
        reported_to="head", reported_at=at(2, 9)), people)
    assert shift(updated, a.shift_id).officers == [pb]
    assert shift(updated, b.shift_id).officers == [pa]
    assert record.kind == "swap" and "已报告值班室负责人值班室主任" in record.description
    assert shift(shifts, a.shift_id).officers == [pa]  # the input roster is untouched


def test_duty_officer_cannot_swap_with_section_staff(setting) -> None:
    shifts, people = setting
    a = shift(shifts, "2026-02-10-day")
    with pytest.raises(SwapRuleViolation, match="只能与值班室工作人员换班，s00不是值班室工作人员"):
        apply_change(shifts, ChangeRequest(shift_id=a.shift_id, person_out=a.officers[0], person_in="s00",
                                           reported_to="head", reported_at=at(2, 9)), people)


def test_swap_must_be_reported_to_head_and_before_the_shift(setting) -> None:
    shifts, people = setting
    a, b = shift(shifts, "2026-02-10-day"), shift(shifts, "2026-02-12-day")
    req = dict(shift_id=a.shift_id, person_out=a.officers[0], person_in=b.officers[0])
    with pytest.raises(SwapRuleViolation, match="须事先报告值班室负责人"):
        apply_change(shifts, ChangeRequest(**req, reported_to="l00", reported_at=at(2, 9)), people)
    with pytest.raises(SwapRuleViolation, match="须在该班开始前报告"):
        apply_change(shifts, ChangeRequest(**req, reported_to="head", reported_at=at(2, 10, 8)), people)


def test_holiday_substitute_reports_to_shift_leader(setting) -> None:
    shifts, people = setting
    h = shift(shifts, "2026-02-16-day")
    staff = h.holiday_staff[0]
    with pytest.raises(SwapRuleViolation, match="须报告当班带班领导"):
        apply_change(shifts, ChangeRequest(shift_id=h.shift_id, person_out=staff, person_in="s10",
                                           reported_to="head", reported_at=at(2, 14)), people)
    people = {**people, "s44": Person(person_id="s44", name="替班人", roles=frozenset())}
    updated, record = apply_change(shifts, ChangeRequest(
        shift_id=h.shift_id, person_out=staff, person_in="s44", reported_to=h.leader,
        reported_at=at(2, 14)), people)
    assert shift(updated, h.shift_id).holiday_staff == ["s44"]
    assert record.kind == "substitute" and "由替班人替班" in record.description


def test_overlapping_shift_for_one_person_is_refused(setting) -> None:
    shifts, people = setting
    day, night = shift(shifts, "2026-02-11-day"), shift(shifts, "2026-02-11-night")
    # A second desk the same night (a custom template): the night officer cannot also take it.
    odd = night.model_copy(update={"shift_id": "odd", "officers": [day.officers[0]]})
    with pytest.raises(OverlappingShifts, match="时间重叠，同一人不能同时值两个班"):
        apply_change([*shifts, odd], ChangeRequest(
            shift_id="odd", person_out=day.officers[0], person_in=night.officers[0],
            reported_to="head", reported_at=at(2, 9)), people)


def test_vacancies_removed_person_and_unapproved_absence(setting) -> None:
    shifts, people = setting
    a = shift(shifts, "2026-02-12-night")
    gone = a.officers[0]
    remaining = {pid: p for pid, p in people.items() if pid != gone}
    found = vacancies(shifts, at(2, 12), remaining)
    assert [v.shift_id for v in found if v.person_id == gone] == [
        s.shift_id for s in shifts if gone in s.officers and s.end > at(2, 12)]
    assert all("已被移出人员名单" in v.message and v.alert_to == ["head"] for v in found)
    b = shift(shifts, "2026-02-13-day")
    found = vacancies(shifts, at(2, 13, 8), people, [Absence(person_id=b.officers[0], shift_id=b.shift_id)])
    assert len(found) == 1 and found[0].started and "未经批准缺岗" in found[0].message
    assert "须立即补岗" in found[0].message


def test_no_vacancy_in_a_complete_roster(setting) -> None:
    shifts, people = setting
    assert vacancies(shifts, at(2, 9), people) == []
