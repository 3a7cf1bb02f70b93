"""The published roster as escalation holds it (issue 6 §4): who is on shift at an instant, and who leads it.

Scheduling publishes a roster as ``roster.published`` in parts (one per month of shift starts, split further
when large); a later roster for an overlapping period supersedes the earlier one there (scheduling replaces the
shifts of its period). Parts arrive in any order, some twice. Escalation keeps every part as it came and
decides at read time, so the answer does not depend on the order of arrival:

- a roster *claims* an instant when one of its parts received so far spans it (from ``part_start`` 00:00 to the
  day after ``part_end`` 00:00, Asia/Shanghai, or longer where one of its shifts runs past midnight), or when all
  its parts are in and its period (``period_start`` 00:00 to the day after ``period_end``) holds the instant;
- of the rosters claiming the instant, the newest publication (``published_at``, then ``roster_id``) decides:
  its shifts covering the instant are the answer — none of an older roster's, even when an older part arrives
  last;
- a newer roster whose period holds the instant but whose part for it has not arrived yet is named as pending
  (the answer comes from what is held, and says so).

A shift covers ``[start, end)``: a night shift 18:00–08:00 covers 02:00 of the next day, and at 08:00 the day
shift has taken over. Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from services.escalation.domain.calendar import SHANGHAI, local


@dataclass(frozen=True)
class HeldShift:
    shift_id: str
    start: datetime
    end: datetime  # exclusive
    officers: tuple[str, ...] = ()
    shift_leader: str | None = None
    leader_at_home: str | None = None
    kind: str = "day"

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class HeldPart:
    roster_id: str
    part: int
    parts: int
    period_start: date
    period_end: date
    part_start: date
    part_end: date
    published_at: datetime
    shifts: tuple[HeldShift, ...] = ()

    def spans(self, at: datetime) -> bool:
        return _day_window(self.part_start, self.part_end, at) or any(s.covers(at) for s in self.shifts)


@dataclass(frozen=True)
class RosterSummary:
    """A roster as far as received: the parts in hand (without their shifts)."""

    roster_id: str
    parts: int
    received: frozenset[int]
    period_start: date
    period_end: date
    published_at: datetime

    @property
    def complete(self) -> bool:
        return self.received >= frozenset(range(1, self.parts + 1))

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.published_at, self.roster_id)


@dataclass(frozen=True)
class OnShift:
    at: datetime
    roster_id: str
    published_at: datetime
    shifts: tuple[HeldShift, ...]
    pending_newer: tuple[str, ...] = field(default_factory=tuple)

    @property
    def officers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for s in self.shifts for o in s.officers))

    @property
    def shift_leader(self) -> str | None:
        return next((s.shift_leader for s in self.shifts if s.shift_leader), None)


def summaries(parts: list[HeldPart]) -> list[RosterSummary]:
    by_roster: dict[str, list[HeldPart]] = {}
    for p in parts:
        by_roster.setdefault(p.roster_id, []).append(p)
    return [RosterSummary(rid, ps[0].parts, frozenset(p.part for p in ps), ps[0].period_start, ps[0].period_end,
                          ps[0].published_at) for rid, ps in by_roster.items()]


def on_shift(rosters: list[RosterSummary], parts: list[HeldPart], at: datetime) -> OnShift | None:
    """Who is on shift at ``at`` by the newest roster that claims it; None when no held roster does.

    ``rosters``: every roster whose period is near ``at`` (received parts, without shifts); ``parts``: the held
    parts near ``at`` with their shifts (a part not given cannot claim the instant)."""
    local(at)  # refuses naive datetimes
    claimants: dict[str, tuple[datetime, str]] = {}
    for r in rosters:
        if r.complete and _day_window(r.period_start, r.period_end, at):
            claimants[r.roster_id] = r.order
    for p in parts:
        if p.spans(at):
            claimants[p.roster_id] = (p.published_at, p.roster_id)
    if not claimants:
        return None
    winner = max(claimants, key=lambda rid: claimants[rid])
    order = claimants[winner]
    shifts = tuple(sorted((s for p in parts if p.roster_id == winner for s in p.shifts if s.covers(at)),
                          key=lambda s: (s.start, s.shift_id)))
    pending = tuple(sorted(r.roster_id for r in rosters if not r.complete and r.order > order
                           and _day_window(r.period_start, r.period_end, at)))
    return OnShift(at, winner, order[0], shifts, pending)


def near_days(at: datetime) -> tuple[date, date]:
    """The local days a shift covering ``at`` can have started on (the day before, for a night shift)."""
    day = local(at).date()
    return day - timedelta(days=1), day


def _day_window(first: date, last: date, at: datetime) -> bool:
    start = datetime.combine(first, time(0), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(0), SHANGHAI)
    return start <= at < end
