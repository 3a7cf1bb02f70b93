"""Swaps, substitutes and vacancies (R-20): every change checked, recorded, and no slot left empty."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.scheduling.domain.models import Person, Role, Shift, shift_label


class SwapRuleViolation(ValueError):
    """A change that breaks a rule of R-20; the message says which, in Chinese."""


class OverlappingShifts(ValueError):
    """One person would be on two shifts at the same time."""


class ChangeRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    shift_id: str
    person_out: str
    person_in: str
    # For a swap between duty-room officers: the shift of person_in that person_out takes over.
    other_shift_id: str | None = None
    reported_to: str
    reported_at: datetime
    note: str = ""


class ChangeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: ChangeRequest
    kind: str  # "swap" / "replace" / "substitute"
    description: str


class Absence(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    shift_id: str
    approved: bool = False


class Vacancy(BaseModel):
    model_config = ConfigDict(frozen=True)

    shift_id: str
    slot: str
    person_id: str | None
    reason: str
    alert_to: list[str]
    started: bool
    message: str


def _name(people: Mapping[str, Person], pid: str | None) -> str:
    if pid is None:
        return "（无）"
    return people[pid].name if pid in people else pid


def person_conflicts(shifts: Sequence[Shift], pid: str, people: Mapping[str, Person]) -> list[str]:
    """Every pair of overlapping shifts of one person, as Chinese sentences."""
    own = sorted((s for s in shifts if pid in s.people()), key=lambda s: s.start)
    return [
        f"{_name(people, pid)}的{shift_label(a)}与{shift_label(b)}时间重叠，同一人不能同时值两个班"
        for i, a in enumerate(own) for b in own[i + 1:] if a.overlaps(b)
    ]


def apply_change(
    shifts: Sequence[Shift], request: ChangeRequest, people: Mapping[str, Person]
) -> tuple[list[Shift], ChangeRecord]:
    """The roster after the change, and the record to keep; raises when a rule is broken."""
    by_id = {s.shift_id: s for s in shifts}
    shift = by_id.get(request.shift_id)
    if shift is None:
        raise SwapRuleViolation(f"找不到班次{request.shift_id}")
    out_name, in_name = _name(people, request.person_out), _name(people, request.person_in)
    newcomer = people.get(request.person_in)
    if newcomer is None or not newcomer.active:
        raise SwapRuleViolation(f"{in_name}不在在职人员名单中，不能顶班")
    if request.reported_at >= shift.start:
        raise SwapRuleViolation(f"调换{shift_label(shift)}须在该班开始前报告，{request.reported_at:%m-%d %H:%M}报告已晚")

    if request.person_out in shift.officers:
        kind, description = _duty_room_change(by_id, shift, request, people, newcomer)
    elif request.person_out in shift.holiday_staff:
        if request.reported_to != shift.leader:
            raise SwapRuleViolation(
                f"节假日值班人员自行安排替班须报告当班带班领导{_name(people, shift.leader)}，"
                f"不能只报告{_name(people, request.reported_to)}")
        kind = "substitute"
        description = f"{shift_label(shift)}：{out_name}由{in_name}替班，已报告带班领导{_name(people, shift.leader)}"
    else:
        raise SwapRuleViolation(f"{out_name}不在{shift_label(shift)}的值班人员中")

    updated = [_replaced(s, request, kind) for s in shifts]
    problems = [msg for pid in {request.person_in, request.person_out}
                for msg in person_conflicts(updated, pid, people)]
    if problems:
        raise OverlappingShifts("；".join(sorted(set(problems))))
    return updated, ChangeRecord(request=request, kind=kind, description=description)


def _duty_room_change(by_id: Mapping[str, Shift], shift: Shift, request: ChangeRequest,
                      people: Mapping[str, Person], newcomer: Person) -> tuple[str, str]:
    out_name, in_name = _name(people, request.person_out), newcomer.name
    if Role.DUTY_OFFICER not in newcomer.roles:
        raise SwapRuleViolation(f"值班室工作人员只能与值班室工作人员换班，{in_name}不是值班室工作人员")
    reported = people.get(request.reported_to)
    if reported is None or Role.DUTY_HEAD not in reported.roles:
        raise SwapRuleViolation(f"值班室工作人员换班须事先报告值班室负责人，{_name(people, request.reported_to)}不是值班室负责人")
    if request.other_shift_id is None:
        return "replace", f"{shift_label(shift)}：{out_name}由{in_name}顶班，已报告值班室负责人{reported.name}"
    other = by_id.get(request.other_shift_id)
    if other is None or request.person_in not in other.officers:
        raise SwapRuleViolation(f"{in_name}不在班次{request.other_shift_id}中，无法对调")
    if request.reported_at >= other.start:
        raise SwapRuleViolation(f"对调的{shift_label(other)}已开始，须在开始前报告")
    return "swap", (f"{out_name}与{in_name}对调：{shift_label(shift)}↔{shift_label(other)}，"
                    f"已报告值班室负责人{reported.name}")


def _replaced(shift: Shift, request: ChangeRequest, kind: str) -> Shift:
    def swap_in(ids: list[str], old: str, new: str) -> list[str]:
        return [new if pid == old else pid for pid in ids]

    if shift.shift_id == request.shift_id:
        field = "holiday_staff" if kind == "substitute" else "officers"
        return shift.model_copy(update={field: swap_in(getattr(shift, field), request.person_out, request.person_in)})
    if kind == "swap" and shift.shift_id == request.other_shift_id:
        return shift.model_copy(update={"officers": swap_in(shift.officers, request.person_in, request.person_out)})
    return shift


def vacancies(
    shifts: Sequence[Shift],
    now: datetime,
    people: Mapping[str, Person],
    absences: Sequence[Absence] = (),
) -> list[Vacancy]:
    """Slots of current and future shifts that nobody will fill; each is an alert to the head now."""
    absent = {(a.shift_id, a.person_id): a for a in absences}
    heads = sorted(p.person_id for p in people.values() if Role.DUTY_HEAD in p.roles and p.active)
    found: list[Vacancy] = []

    def why_missing(shift: Shift, pid: str) -> str | None:
        if pid not in people or not people[pid].active:
            return "已被移出人员名单"
        absence = absent.get((shift.shift_id, pid))
        if absence is not None:
            return "已请假但未安排替班" if absence.approved else "未经批准缺岗"
        return None

    def add(shift: Shift, slot: str, pid: str | None, reason: str) -> None:
        started = shift.start <= now
        timing = "该班已开始，须立即补岗" if started else f"须在{shift.start:%m-%d %H:%M}前补岗"
        message = f"{shift_label(shift)}{slot}空缺：{_name(people, pid) if pid else ''}{reason}，{timing}（不得空岗）"
        found.append(Vacancy(shift_id=shift.shift_id, slot=slot, person_id=pid, reason=reason,
                             alert_to=heads, started=started, message=message))

    for shift in sorted(shifts, key=lambda s: s.start):
        if shift.end <= now:
            continue
        for pid in shift.officers:
            reason = why_missing(shift, pid)
            if reason:
                add(shift, "值班员", pid, reason)
        if len(shift.officers) < shift.required_officers:
            add(shift, "值班员", None, f"应到{shift.required_officers}人，仅排{len(shift.officers)}人")
        for pid in shift.holiday_staff:
            reason = why_missing(shift, pid)
            if reason:
                add(shift, "节假日值班人员", pid, reason)
        if shift.leader is None:
            add(shift, "带班领导", None, "未安排")
        else:
            reason = why_missing(shift, shift.leader)
            if reason:
                add(shift, "带班领导", shift.leader, reason)
    return found
