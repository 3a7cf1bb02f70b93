"""Report clocks (R-08): every deadline an incident is under, computed, never read from a clock.

Same inputs give the same deadlines (replay with a simulated clock); each deadline carries a stable key
the timer store can use for exactly-once firing. Minute limits run through nights and holidays (the duty
room works 24 h); only limits written in working days consult the holiday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.escalation.domain.calendar import SHANGHAI, HolidayCalendar, add_working_days, local
from services.escalation.domain.rules import REPORT_KINDS, Rules
from services.escalation.domain.rules_schema import Limit

KIND_NAMES = {"phone": "电话报告", "written": "书面报告", "upward": "向上级报告", "follow_up": "续报", "final": "终报"}
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class IncidentClockFacts:
    incident_id: str
    category: str
    closed_at: datetime | None = None  # 终报 made: no follow-ups after it


@dataclass(frozen=True)
class Reminder:
    at: datetime
    to_roles: tuple[str, ...]


@dataclass(frozen=True)
class Deadline:
    kind: str  # phone | written | upward | follow_up | final
    stage: str  # 初报 | 续报一 … | 终报
    due_at: datetime  # UTC
    started_by: str  # occurred | received | schedule
    reminders: tuple[Reminder, ...] = ()
    overdue_to: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable identity for a durable timer: re-planning yields the same key for the same deadline."""
        return f"{self.kind}:{self.stage}:{self.due_at.strftime('%Y%m%dT%H%MZ')}"

    @property
    def due_local(self) -> str:
        return local(self.due_at).strftime("%Y-%m-%d %H:%M")


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (stage names 续报一、续报二…)."""
    if not 0 < n < 100:
        raise ValueError(f"续报序号超出范围：{n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def stage_name(follow_up_number: int) -> str:
    return "初报" if follow_up_number == 0 else f"续报{chinese_ordinal(follow_up_number)}"


def deadlines(
    incident_facts: IncidentClockFacts, level: str | None, occurred_at: datetime | None, received_at: datetime,
    rules: Rules, calendar: HolidayCalendar,
) -> list[Deadline]:
    """All deadlines for the incident at this level. Unknown occurrence time falls back to receipt."""
    lv = level or "IV"
    starts = {"occurred": occurred_at or received_at, "received": received_at}
    found: list[Deadline] = []
    limits: dict[str, Limit] = dict(rules.report_limits.get(lv, {}))  # type: ignore[call-overload]
    for kind in REPORT_KINDS:
        limit = limits.get(kind)
        if limit is not None:
            due = _apply(limit, starts[limit.clock], calendar)
            found.append(_decorate(Deadline(kind, "初报", due, limit.clock), starts[limit.clock], rules))
    found += _follow_ups(incident_facts, lv, received_at, rules)
    if rules.final_report is not None:
        fr = rules.final_report
        days = fr.by_category.get(incident_facts.category, fr.default_days)
        start = starts[fr.clock]
        found.append(_decorate(Deadline("final", "终报", _utc(start + timedelta(days=days)), fr.clock), start, rules))
    order = {k: i for i, k in enumerate((*REPORT_KINDS, "follow_up", "final"))}
    return sorted(found, key=lambda d: (d.due_at, order[d.kind]))


def _follow_ups(facts: IncidentClockFacts, level: str, received_at: datetime, rules: Rules) -> list[Deadline]:
    plan = rules.follow_ups
    rule = plan.by_level.get(level) if plan else None  # type: ignore[call-overload]
    if plan is None or rule is None:
        return []
    earliest = received_at + timedelta(minutes=plan.min_gap_minutes)
    until = received_at + timedelta(days=plan.horizon_days)
    if facts.closed_at is not None:
        until = min(until, facts.closed_at)
    if rule.times:
        dues = [d for d in _fixed_times(rule.times, local(received_at).date(), plan.horizon_days + 1)
                if earliest <= d <= until]
    else:
        step = timedelta(days=1) / rule.per_day
        dues, due = [], received_at + step
        while due <= until:
            if due >= earliest:
                dues.append(_utc(due))
            due += step
    return [_decorate(Deadline("follow_up", stage_name(i), due, "schedule"), received_at, rules)
            for i, due in enumerate(dues, start=1)]


def _fixed_times(times: list[str], first_day: date, days: int) -> list[datetime]:
    """Local fixed times (e.g. 08:00 and 17:00 Asia/Shanghai) as UTC moments, day after day."""
    out = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for hhmm in times:
            hh, mm = (int(x) for x in hhmm.split(":"))
            out.append(datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI).astimezone(UTC))
    return out


def _apply(limit: Limit, start: datetime, calendar: HolidayCalendar) -> datetime:
    if limit.minutes is not None:
        return _utc(start + timedelta(minutes=limit.minutes))
    return add_working_days(start, limit.working_days or 0, calendar)


def _decorate(deadline: Deadline, started: datetime, rules: Rules) -> Deadline:
    reminders = tuple(
        Reminder(at, ("duty_officer",))
        for m in sorted(rules.reminders.before_minutes, reverse=True)
        if (at := deadline.due_at - timedelta(minutes=m)) > started
    )
    return Deadline(deadline.kind, deadline.stage, deadline.due_at, deadline.started_by, reminders,
                    tuple(rules.reminders.overdue_to))


def _utc(moment: datetime) -> datetime:
    local(moment)  # refuses naive datetimes
    return moment.astimezone(UTC)
