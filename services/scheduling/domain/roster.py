"""Roster generation (R-18, R-19): shifts on the official calendar, filled fairly and in rotation.

Workdays and weekends are led by the duty-room head; every day inside an official break is a
holiday day, led by the leaders' rotation with another leader on duty at home, and staffed in
addition by one office section chosen by a rolling rotation that continues across calls through
`RotationState` (input and output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.models import LOCAL_TZ, Person, Role, Shift, Unavailability


class ShiftTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    start: time
    end: time  # not after start: the shift ends the next day


class SensitivePeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    start: date
    end: date
    officers_per_shift: int = Field(default=2, ge=1)


class RosterConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    shifts: tuple[ShiftTemplate, ...] = (
        ShiftTemplate(kind="day", start=time(8, 0), end=time(17, 30)),
        ShiftTemplate(kind="night", start=time(17, 30), end=time(8, 0)),
    )
    officers_per_shift: int = Field(default=1, ge=1)
    holiday_officers_per_shift: int | None = None  # 双人值班 on holidays when set to 2
    holiday_staff_per_shift: int = Field(default=1, ge=0)
    sensitive_periods: tuple[SensitivePeriod, ...] = ()


class RotationState(BaseModel):
    """Where each rotation stopped; stored after a roster is approved and passed to the next one."""

    section_order: list[str] = Field(default_factory=list)
    next_section: int = 0
    leader_order: list[str] = Field(default_factory=list)
    next_leader: int = 0
    next_home_leader: int = 0
    member_next: dict[str, int] = Field(default_factory=dict)


class RosterDraft(BaseModel):
    shifts: list[Shift]
    rotation_state: RotationState
    warnings: list[str] = Field(default_factory=list)


def initial_rotation(people: Sequence[Person]) -> RotationState:
    sections = sorted({p.group_id for p in people if Role.SECTION_STAFF in p.roles and p.group_id})
    leaders = sorted(p.person_id for p in people if Role.SHIFT_LEADER in p.roles)
    # The at-home rotation starts half-way round so the two leaders of a day differ.
    return RotationState(section_order=sections, leader_order=leaders, next_home_leader=len(leaders) // 2)


def _dates(start: date, end: date) -> Iterable[date]:
    for i in range((end - start).days + 1):
        yield start + timedelta(days=i)


class _Fairness:
    """Per-officer counters; the officer with the fewest of the slot's kind goes first."""

    def __init__(self, officers: list[str]) -> None:
        self.total = dict.fromkeys(officers, 0)
        self.nights = dict.fromkeys(officers, 0)
        self.weekend = dict.fromkeys(officers, 0)
        self.holiday = dict.fromkeys(officers, 0)
        self.last_seq = dict.fromkeys(officers, -1)
        self.last_end: dict[str, datetime] = {}
        self.last_night_date: dict[str, date] = {}

    def key(self, pid: str, shift: Shift) -> tuple[int, int, int, int]:
        special = self.holiday[pid] if shift.day_type == "holiday" else (
            self.weekend[pid] if shift.day_type == "weekend" else 0)
        night = self.nights[pid] if shift.is_night else 0
        return (special, night, self.total[pid], self.last_seq[pid])

    def record(self, pid: str, shift: Shift, seq: int) -> None:
        self.total[pid] += 1
        self.nights[pid] += shift.is_night
        self.weekend[pid] += shift.day_type == "weekend"
        self.holiday[pid] += shift.day_type == "holiday"
        self.last_seq[pid] = seq
        self.last_end[pid] = shift.end
        if shift.is_night:
            self.last_night_date[pid] = shift.date


def _build_shifts(d: date, config: RosterConfig, calendar: OfficialCalendar) -> list[Shift]:
    brk = calendar.holiday_break(d)
    day_type = "holiday" if brk else ("workday" if calendar.is_workday(d) else "weekend")
    required = config.officers_per_shift
    if brk and config.holiday_officers_per_shift:
        required = config.holiday_officers_per_shift
    for period in config.sensitive_periods:
        if period.start <= d <= period.end:
            required = max(required, period.officers_per_shift)
    shifts = []
    for tpl in config.shifts:
        start = datetime.combine(d, tpl.start, LOCAL_TZ)
        end_day = d if tpl.end > tpl.start else d + timedelta(days=1)
        shifts.append(Shift(
            shift_id=f"{d.isoformat()}-{tpl.kind}", date=d, kind=tpl.kind, start=start,
            end=datetime.combine(end_day, tpl.end, LOCAL_TZ), day_type=day_type,
            holiday_name=brk.name if brk else None, required_officers=required,
        ))
    return shifts


def _take_next(order: list[str], start: int, ok: set[str], exclude: set[str]) -> tuple[str | None, int]:
    """The next available person in a rotation from `start`; the index after them."""
    for step in range(len(order)):
        idx = (start + step) % len(order)
        if order[idx] in ok and order[idx] not in exclude:
            return order[idx], idx + 1
    return None, start


def generate_roster(
    period_start: date,
    period_end: date,
    people: Sequence[Person],
    config: RosterConfig,
    calendar: OfficialCalendar,
    rotation_state: RotationState | None = None,
    unavailability: Sequence[Unavailability] = (),
) -> RosterDraft:
    """Raises CalendarYearMissing before doing anything if a year of the period has no official entry."""
    for year in range(period_start.year, period_end.year + 1):
        calendar.breaks(year)
    state = (rotation_state or initial_rotation(people)).model_copy(deep=True)
    active = [p for p in people if p.active]
    officers = sorted(p.person_id for p in active if Role.DUTY_OFFICER in p.roles)
    heads = [p.person_id for p in active if Role.DUTY_HEAD in p.roles]
    members: dict[str, list[str]] = {}
    for p in sorted(active, key=lambda p: p.person_id):
        if Role.SECTION_STAFF in p.roles and p.group_id:
            members.setdefault(p.group_id, []).append(p.person_id)
    away: dict[str, list[Unavailability]] = {}
    for u in unavailability:
        away.setdefault(u.person_id, []).append(u)
    active_ids = {p.person_id for p in active}

    def free(pid: str, d: date) -> bool:
        return pid in active_ids and not any(u.covers(d) for u in away.get(pid, ()))

    fair = _Fairness(officers)
    warnings: list[str] = []
    shifts: list[Shift] = []
    seq = 0
    for d in _dates(period_start, period_end):
        todays = _build_shifts(d, config, calendar)
        available_today = {pid for pid in active_ids if free(pid, d)}
        leader, home, section = _leaders_and_section(d, todays[0].day_type, heads, available_today,
                                                     state, warnings)
        section_people = _section_staff(section, members, state, available_today,
                                        config.holiday_staff_per_shift * len(todays)) if section else []
        for shift in todays:
            shift.leader, shift.leader_at_home, shift.section = leader, home, section
            if section_people:
                shift.holiday_staff = section_people[: config.holiday_staff_per_shift]
                section_people = section_people[config.holiday_staff_per_shift:]
            _fill_officers(shift, officers, fair, available_today, seq, warnings)
            seq += 1
            shifts.append(shift)
    _balance(shifts, officers, free)
    return RosterDraft(shifts=shifts, rotation_state=state, warnings=warnings)


def _leaders_and_section(
    d: date, day_type: str, heads: list[str], available: set[str], state: RotationState, warnings: list[str]
) -> tuple[str | None, str | None, str | None]:
    if day_type != "holiday":
        head = next((h for h in heads if h in available), None)
        if head:
            return head, None, None
        warnings.append(f"{d}值班室负责人不能带班，已从领导轮值中递补带班领导")
        leader, state.next_leader = _take_next(state.leader_order, state.next_leader, available, set())
        return leader, None, None
    leader, state.next_leader = _take_next(state.leader_order, state.next_leader, available, set())
    home, state.next_home_leader = _take_next(
        state.leader_order, state.next_home_leader, available, {leader} if leader else set())
    if leader is None or home is None:
        warnings.append(f"{d}节假日可带班或在家值班的领导不足，请秘书长指定")
    section = None
    if state.section_order:
        section = state.section_order[state.next_section % len(state.section_order)]
        state.next_section = (state.next_section + 1) % len(state.section_order)
    return leader, home, section


def _section_staff(section: str, members: dict[str, list[str]], state: RotationState,
                   available: set[str], needed: int) -> list[str]:
    order = members.get(section, [])
    chosen: list[str] = []
    start = state.member_next.get(section, 0)
    for step in range(len(order)):
        if len(chosen) == needed:
            break
        idx = (start + step) % len(order)
        if order[idx] in available:
            chosen.append(order[idx])
            state.member_next[section] = (idx + 1) % len(order)
    # One person may have to cover both shifts of a small section's day; never leave the slot empty.
    while chosen and len(chosen) < needed:
        chosen.append(chosen[len(chosen) % len(set(chosen))])
    return chosen


def _fill_officers(shift: Shift, officers: list[str], fair: _Fairness, available: set[str], seq: int,
                   warnings: list[str]) -> None:
    prev_day = shift.date - timedelta(days=1)
    eligible = [
        pid for pid in officers
        if pid in available
        and (pid not in fair.last_end or fair.last_end[pid] <= shift.start)
        # A night is not followed by a day shift for the same person.
        and not (not shift.is_night and fair.last_night_date.get(pid) == prev_day)
    ]
    eligible.sort(key=lambda pid: fair.key(pid, shift))
    shift.officers = eligible[: shift.required_officers]
    for pid in shift.officers:
        fair.record(pid, shift, seq)
    if len(shift.officers) < shift.required_officers:
        warnings.append(f"{shift.shift_id}需值班员{shift.required_officers}人，仅能安排{len(shift.officers)}人")


METRICS = ("shifts", "nights", "weekend", "holiday")


def _adds(shift: Shift) -> tuple[int, int, int, int]:
    """What one shift adds to each of METRICS."""
    return 1, int(shift.is_night), int(shift.day_type == "weekend"), int(shift.day_type == "holiday")


class _Balancer:
    """Counts per officer, with who holds which shift by date, to move or swap shifts after the greedy pass.

    The greedy pass keeps each count level on its own, but a slot counts in up to three metrics at once
    (a weekend night: shifts, nights, weekend) and near the end of a year the people lowest in one metric
    are not always the lowest in the others, so a spread of two can remain. A move gives a shift from an
    officer with the most to one with the least; a swap exchanges two shifts between them; either is kept
    only if it obeys the same rules as the greedy pass and makes the spreads strictly better. When the rest
    rules block both (a tight rotation), the shift is passed on through a third officer.
    """

    def __init__(self, shifts: Sequence[Shift], officers: list[str],
                 free: Callable[[str, date], bool]) -> None:
        self.free = free
        self.counts = {pid: [0, 0, 0, 0] for pid in officers}
        self.held: dict[str, dict[date, list[Shift]]] = {pid: {} for pid in officers}
        for s in shifts:
            for pid in s.officers:
                if pid in self.counts:
                    self._count(pid, s, +1)

    def _count(self, pid: str, s: Shift, sign: int) -> None:
        c = self.counts[pid]
        for i, n in enumerate(_adds(s)):
            c[i] += sign * n
        days = self.held[pid].setdefault(s.date, [])
        if sign > 0:
            days.append(s)
        else:
            days.remove(s)

    def spreads(self) -> list[int]:
        columns = list(zip(*self.counts.values(), strict=True))
        return [max(col) - min(col) for col in columns]

    def score(self) -> tuple[int, int, int]:
        """Lower is better: how far the spreads are over one, the spreads, then the sum of squared counts
        (which falls whenever a shift goes from someone with two more to someone with fewer)."""
        spreads = self.spreads()
        squares = sum(n * n for c in self.counts.values() for n in c)
        return sum(max(0, x - 1) for x in spreads), sum(spreads), squares

    def can_take(self, pid: str, s: Shift, instead_of: Shift | None = None) -> bool:
        """Whether ``pid`` may hold ``s`` (giving up ``instead_of``): free that day, not already on it, no
        overlap, and never a day shift right after a night."""
        if pid in s.officers or not self.free(pid, s.date):
            return False
        for offset in (-1, 0, 1):
            for t in self.held[pid].get(s.date + timedelta(days=offset), ()):
                if t is instead_of:
                    continue
                if t.start < s.end and s.start < t.end:
                    return False
                if t.is_night and not s.is_night and offset == -1:
                    return False
                if s.is_night and not t.is_night and offset == 1:
                    return False
        return True

    def _give(self, s: Shift, giver: str, taker: str) -> None:
        s.officers[s.officers.index(giver)] = taker
        self._count(giver, s, -1)
        self._count(taker, s, +1)

    def _try_move(self, s: Shift, a: str, b: str, best: tuple[int, int, int]) -> bool:
        if not self.can_take(b, s):
            return False
        self._give(s, a, b)
        if self.score() < best:
            return True
        self._give(s, b, a)
        return False

    def _try_swap(self, s1: Shift, a: str, s2: Shift, b: str, best: tuple[int, int, int]) -> bool:
        if not (self.can_take(b, s1, instead_of=s2) and self.can_take(a, s2, instead_of=s1)):
            return False
        self._give(s1, a, b)
        self._give(s2, b, a)
        if self.score() < best:
            return True
        self._give(s2, a, b)
        self._give(s1, b, a)
        return False

    def improve_once(self) -> bool:
        """One improving move or swap between the highest and lowest of a metric that is off by two."""
        best = self.score()
        spreads = self.spreads()
        for m in sorted(range(len(METRICS)), key=lambda i: -spreads[i]):
            if spreads[m] <= 1:
                break
            top = max(c[m] for c in self.counts.values())
            low = min(c[m] for c in self.counts.values())
            highs = [p for p, c in self.counts.items() if c[m] == top]
            lows = [p for p, c in self.counts.items() if c[m] == low]
            for a in highs:
                mine = [s for days in self.held[a].values() for s in days if _adds(s)[m]]
                for b in lows:
                    if any(self._try_move(s, a, b, best) for s in mine):
                        return True
                    theirs = [s for days in self.held[b].values() for s in days if not _adds(s)[m]]
                    for s1 in mine:
                        if any(self._try_swap(s1, a, s2, b, best) for s2 in theirs):
                            return True
            # Neither: pass it on through a third officer (a gives to c, c gives another to b).
            for a in highs:
                for b in lows:
                    if any(self._try_chain(a, c, b, m, best) for c in self.counts if c not in (a, b)):
                        return True
        return False

    def _try_chain(self, a: str, c: str, b: str, m: int, best: tuple[int, int, int]) -> bool:
        for s1 in [s for days in self.held[a].values() for s in days if _adds(s)[m]]:
            if not self.can_take(c, s1):
                continue
            self._give(s1, a, c)
            for s2 in [s for days in self.held[c].values() for s in days if _adds(s)[m] and s is not s1]:
                if self.can_take(b, s2):
                    self._give(s2, c, b)
                    if self.score() < best:
                        return True
                    self._give(s2, b, c)
            self._give(s1, c, a)
        return False


def _balance(shifts: Sequence[Shift], officers: list[str], free: Callable[[str, date], bool],
             max_steps: int = 1000) -> None:
    """Bring every count within one where the rules allow (see _Balancer); bounded, so it always ends."""
    if len(officers) < 2:
        return
    balancer = _Balancer(shifts, officers, free)
    for _ in range(max_steps):
        if balancer.score()[0] == 0 or not balancer.improve_once():
            return


def fairness_report(roster: RosterDraft | Sequence[Shift], officer_ids: Iterable[str] = ()) -> dict[str, object]:
    """Counts per duty officer and the spread (max − min) of each count."""
    shifts = roster.shifts if isinstance(roster, RosterDraft) else roster
    counts: dict[str, dict[str, int]] = {
        pid: {"shifts": 0, "nights": 0, "weekend": 0, "holiday": 0} for pid in officer_ids}
    for shift in shifts:
        for pid in shift.officers:
            c = counts.setdefault(pid, {"shifts": 0, "nights": 0, "weekend": 0, "holiday": 0})
            c["shifts"] += 1
            c["nights"] += shift.is_night
            c["weekend"] += shift.day_type == "weekend"
            c["holiday"] += shift.day_type == "holiday"
    spreads = {
        metric: (max(c[metric] for c in counts.values()) - min(c[metric] for c in counts.values())) if counts else 0
        for metric in ("shifts", "nights", "weekend", "holiday")
    }
    return {"per_person": counts, "spread": spreads}
