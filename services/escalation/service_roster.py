"""The published roster and leaders' absences as escalation holds them (issue 6 §4, §8).

Scheduling's on-duty answer (request/reply) stays **primary**: it alone knows the swaps and substitutes made
after publication (they change scheduling's shifts, not the published roster), vacancies filled, and the
leader in charge with whoever acts for them. The roster held here is the **fallback** for when that answer does
not come (scheduling down or too slow): the officers and the shift leader on shift now, from the newest roster
that covers this instant (domain/roster.py), and leaders away from the ``leader.availability_changed`` events,
which the rules' routing table turns into the acting leader. Every answer taken from here is marked on the
incident's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog

from services.escalation.domain.roster import HeldPart, HeldShift, OnShift, near_days, on_shift, summaries
from services.escalation.domain.routing import AwayPeriod
from shared.clock import as_utc, to_local
from shared.contracts import OnDutyAnswer
from shared.contracts.scheduling import LeaderAvailabilityChanged, RosterPublished

log = structlog.get_logger("zhiban.escalation")
AWAY_WORDS = {"travel": "出差", "visit": "考察", "leave": "请假"}


@dataclass(frozen=True)
class HeldDuty:
    """An on-duty answer made from the held roster, with what it was made from."""

    answer: OnDutyAnswer
    on_shift: OnShift
    away: list[AwayPeriod]


def part_doc(event: RosterPublished, received_at: datetime) -> dict[str, Any]:
    return {
        "_id": f"{event.roster_id}:{event.part}", "roster_id": event.roster_id, "part": event.part,
        "parts": event.parts, "period_start": event.period_start.isoformat(),
        "period_end": event.period_end.isoformat(), "part_start": event.part_start.isoformat(),
        "part_end": event.part_end.isoformat(), "published_at": as_utc(event.published_at),
        "approved_by": event.approved_by, "received_at": received_at,
        "shifts": [{"shift_id": s.shift_id, "start": as_utc(s.start), "end": as_utc(s.end), "kind": s.kind,
                    "officers": list(s.officers), "shift_leader": s.shift_leader, "leader_at_home": s.leader_at_home}
                   for s in event.shifts],
    }


def part_of(doc: dict[str, Any]) -> HeldPart:
    return HeldPart(
        roster_id=doc["roster_id"], part=doc["part"], parts=doc["parts"],
        period_start=date.fromisoformat(doc["period_start"]), period_end=date.fromisoformat(doc["period_end"]),
        part_start=date.fromisoformat(doc["part_start"]), part_end=date.fromisoformat(doc["part_end"]),
        published_at=as_utc(doc["published_at"]),
        shifts=tuple(HeldShift(s["shift_id"], as_utc(s["start"]), as_utc(s["end"]), tuple(s.get("officers", [])),
                               s.get("shift_leader"), s.get("leader_at_home"), s.get("kind", "day"))
                     for s in doc.get("shifts", [])),
    )


class RosterUseCases:
    async def on_roster_published(self: Any, event: RosterPublished) -> bool:
        """One part of a published roster, kept as it came; False when it was here already."""
        added = await self.store.add_roster_part(part_doc(event, self.clock.now()))
        if added:
            log.info("roster part held", roster_id=event.roster_id, part=event.part, parts=event.parts,
                     shifts=len(event.shifts))
        return bool(added)

    async def on_leader_availability(self: Any, event: LeaderAvailabilityChanged) -> None:
        start, end = as_utc(event.start), as_utc(event.end)
        key = f"{event.leader_id}:{start:%Y%m%dT%H%M%S}:{end:%Y%m%dT%H%M%S}:{event.kind}"
        await self.store.note_away(key, {"leader_id": event.leader_id, "start": start, "end": end, "kind": event.kind,
                                         "acting_leader": event.acting_leader, "changed_at": as_utc(event.changed_at)},
                                   cancelled=event.cancelled)

    async def held_on_shift(self: Any, at: datetime) -> OnShift | None:
        first, last = (d.isoformat() for d in near_days(at))
        parts = [part_of(d) for d in await self.store.roster_parts_near(first, last)]
        rosters = summaries([part_of({**d, "shifts": []}) for d in await self.store.roster_summaries_near(first, last)])
        return on_shift(rosters, parts, at)

    async def held_away(self: Any, at: datetime) -> list[AwayPeriod]:
        return [AwayPeriod(d["leader_id"], as_utc(d["start"]), as_utc(d["end"]), d.get("acting_leader"),
                           AWAY_WORDS.get(d["kind"], d["kind"])) for d in await self.store.away_at(at)]

    async def held_duty(self: Any, at: datetime) -> HeldDuty | None:
        """The fallback answer; None when no held roster has anyone on shift at ``at``."""
        shift = await self.held_on_shift(at)
        if shift is None or not (shift.officers or shift.shift_leader):
            return None
        answer = OnDutyAnswer(at=at, duty_officers=list(shift.officers), shift_leader=shift.shift_leader)
        return HeldDuty(answer, shift, await self.held_away(at))

    def _held_entry(self: Any, held: HeldDuty) -> dict[str, Any]:
        shift = held.on_shift
        published = f"{to_local(shift.published_at):%Y-%m-%d %H:%M}"
        text = (f"值班安排服务未应答，按已发布排班表 {shift.roster_id}（{published} 发布）确定当班："
                f"值班人员 {'、'.join(shift.officers) or '无'}；带班领导 {shift.shift_leader or '未排'}")
        if held.away:
            text += "；外出领导：" + "、".join(
                f"{a.person_id}（{a.reason}{'，由' + a.acting_person_id + '代理' if a.acting_person_id else ''}）"
                for a in held.away)
        if shift.pending_newer:
            text += f"；较新的排班表 {'、'.join(shift.pending_newer)} 尚未完整收到"
        key = f"on_duty_roster:{shift.roster_id}:{'+'.join(s.shift_id for s in shift.shifts)}"
        return self._entry(key, "on_duty_from_roster", text, source="published_roster", roster_id=shift.roster_id,
                           duty_officers=list(shift.officers), shift_leader=shift.shift_leader)

    async def on_shift_view(self: Any, at: datetime) -> dict[str, Any]:
        """What escalation holds for ``at``: the shifts on by the published roster, and the leaders away."""
        shift = await self.held_on_shift(at)
        away = await self.store.away_at(at)
        view: dict[str, Any] = {
            "at": at, "at_local": f"{to_local(at):%Y-%m-%d %H:%M}", "source": "published_roster",
            "roster_id": None, "published_at": None, "pending_newer": [], "duty_officers": [], "shift_leader": None,
            "shifts": [],
            "leaders_away": [{"leader_id": d["leader_id"], "kind": d["kind"], "acting_leader": d.get("acting_leader"),
                              "start": as_utc(d["start"]), "end": as_utc(d["end"])} for d in away],
        }
        if shift is not None:
            view.update(roster_id=shift.roster_id, published_at=shift.published_at,
                        pending_newer=list(shift.pending_newer), duty_officers=list(shift.officers),
                        shift_leader=shift.shift_leader,
                        shifts=[{"shift_id": s.shift_id, "kind": s.kind, "start": s.start, "end": s.end,
                                 "start_local": f"{to_local(s.start):%Y-%m-%d %H:%M}",
                                 "end_local": f"{to_local(s.end):%Y-%m-%d %H:%M}", "officers": list(s.officers),
                                 "shift_leader": s.shift_leader, "leader_at_home": s.leader_at_home}
                                for s in shift.shifts])
        return view
