"""Who is on duty at a moment, and which leader is in charge of a category (with acting leaders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    officers: tuple[str, ...]
    shift_leader: str | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Away:
    start: datetime
    end: datetime
    acting: str | None
    reason: str = "外出"


@dataclass(frozen=True)
class Leader:
    id: str
    domains: frozenset[str]
    principal: bool = False
    away: tuple[Away, ...] = field(default_factory=tuple)

    def away_at(self, at: datetime) -> Away | None:
        return next((a for a in self.away if a.start <= at < a.end), None)


@dataclass(frozen=True)
class OnDuty:
    duty_officers: tuple[str, ...]
    shift_leader: str | None
    leader_in_charge: str | None
    acting_for: str | None
    principal_leader: str | None


def on_duty(shifts: list[Shift], leaders: list[Leader], *, at: datetime, category: str | None) -> OnDuty:
    """Officers of every shift covering ``at``; the leader of ``category``, or whoever acts while away."""
    current = [s for s in shifts if s.covers(at)]
    officers = tuple(dict.fromkeys(o for s in current for o in s.officers))
    shift_leader = next((s.shift_leader for s in current if s.shift_leader), None)
    principal = next((ldr.id for ldr in leaders if ldr.principal), None)
    in_charge = next((ldr for ldr in leaders if category and category in ldr.domains), None)
    leader_id, acting_for = None, None
    if in_charge is not None:
        away = in_charge.away_at(at)
        if away is None:
            leader_id = in_charge.id
        else:
            leader_id, acting_for = (away.acting or principal), in_charge.id
    return OnDuty(officers, shift_leader, leader_id, acting_for, principal)
