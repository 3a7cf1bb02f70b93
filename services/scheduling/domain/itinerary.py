"""Leaders' itineraries (R-22, R-23): deadlines on the calendar, who is missing, the four tables, availability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.scheduling.domain.calendar import CalendarYearMissing, OfficialCalendar
from services.scheduling.domain.models import LOCAL_TZ


class LeaderGroup(StrEnum):
    CITY = "city"  # 市长、副市长: plans from their secretaries
    SECRETARIES_GENERAL = "secretaries_general"  # 秘书长、副秘书长: plans from secretariat sections


class PlanKind(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"


class ItineraryConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    weekly_due_weekday: int = Field(default=4, ge=0, le=6)  # Friday (0 = Monday)
    weekly_due_time: time = time(17, 30)
    daily_due_time: time = time(17, 30)
    reminder_before: timedelta = timedelta(hours=2)  # to the secretaries of leaders not yet submitted
    tables_after: timedelta = timedelta(minutes=30)  # the four tables go to the secretary-general then
    daily_on_rest_days: bool = False  # next-day plans for working days only (make-up workdays included)


class Leader(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    title: str
    group: LeaderGroup
    order: int = 0  # protocol order in the tables


class ItineraryItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    leader_id: str
    start: datetime
    end: datetime
    activity: str
    location: str = ""
    confidential: bool = False


class PlanSubmission(BaseModel):
    model_config = ConfigDict(frozen=True)

    leader_id: str
    kind: PlanKind
    period_start: date  # the Monday for weekly plans, the day for daily plans
    submitted_by: str
    submitted_at: datetime
    items: tuple[ItineraryItem, ...] = ()


class AwayKind(StrEnum):
    TRAVEL = "travel"
    VISIT = "visit"
    LEAVE = "leave"


AWAY_LABELS = {AwayKind.TRAVEL: "出差", AwayKind.VISIT: "出访", AwayKind.LEAVE: "请假"}


class AwayPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    leader_id: str
    kind: AwayKind
    start: datetime
    end: datetime
    destination: str = ""
    acting_leader_id: str | None = None


class Availability(BaseModel):
    model_config = ConfigDict(frozen=True)

    leader_id: str
    available: bool
    away: AwayPeriod | None = None
    acting_leader_id: str | None = None
    note: str = ""


class TableRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    leader: str
    title: str
    date: date
    time: str
    activity: str
    location: str


class FourTables(BaseModel):
    weekly_leaders: list[TableRow] = Field(default_factory=list)
    weekly_secretaries_general: list[TableRow] = Field(default_factory=list)
    daily_leaders: list[TableRow] = Field(default_factory=list)
    daily_secretaries_general: list[TableRow] = Field(default_factory=list)


def weekly_deadline(week_start: date, calendar: OfficialCalendar, config: ItineraryConfig) -> datetime:
    """The Friday before the week, moved back to the last working day when that Friday is off."""
    days_back = (week_start.weekday() - config.weekly_due_weekday) % 7 or 7
    due_day = calendar.last_workday_on_or_before(week_start - timedelta(days=days_back))
    return datetime.combine(due_day, config.weekly_due_time, LOCAL_TZ)


def daily_deadline(plan_day: date, calendar: OfficialCalendar, config: ItineraryConfig) -> datetime:
    """The working day before the planned day, before the end of work."""
    due_day = calendar.last_workday_on_or_before(plan_day - timedelta(days=1))
    return datetime.combine(due_day, config.daily_due_time, LOCAL_TZ)


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def needs_daily_plan(d: date, calendar: OfficialCalendar, config: ItineraryConfig) -> bool:
    """A next-day plan is due for every working day (a make-up workday too), and rest days if configured."""
    return config.daily_on_rest_days or calendar.is_workday(d)


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: PlanKind
    period_start: date
    due: datetime


def upcoming_deadlines(now: datetime, calendar: OfficialCalendar, config: ItineraryConfig,
                       horizon: timedelta = timedelta(days=8), skipped: set[int] | None = None) -> list[Deadline]:
    """The weekly and next-day deadlines due from ``now − config.tables_after`` to ``now + horizon``, soonest
    first — what the timers must cover. A period in a year with no official calendar entry is left out (never
    guessed), and its year added to ``skipped`` for the caller to report."""
    lower, upper = now - config.tables_after, now + horizon
    today = now.astimezone(LOCAL_TZ).date()
    # A plan day can be far from its deadline: the first working day after a 9-day break is due before it.
    last = upper.astimezone(LOCAL_TZ).date() + timedelta(days=21)
    found: list[Deadline] = []

    def consider(kind: PlanKind, start: date) -> None:
        try:
            if kind is PlanKind.DAILY and not needs_daily_plan(start, calendar, config):
                return
            due = (weekly_deadline if kind is PlanKind.WEEKLY else daily_deadline)(start, calendar, config)
        except CalendarYearMissing as exc:
            if skipped is not None:
                skipped.add(exc.year)
            return
        if lower <= due <= upper:
            found.append(Deadline(kind=kind, period_start=start, due=due))

    week = monday_of(today)
    while week <= last:
        consider(PlanKind.WEEKLY, week)
        week += timedelta(days=7)
    day = today
    while day <= last:
        consider(PlanKind.DAILY, day)
        day += timedelta(days=1)
    return sorted(found, key=lambda x: (x.due, x.kind.value, x.period_start))


def _on_time(sub: PlanSubmission, due: datetime) -> bool:
    return sub.submitted_at <= due


def missing_submitters(
    leaders: Sequence[Leader], submissions: Sequence[PlanSubmission], kind: PlanKind, period_start: date,
    now: datetime,
) -> list[Leader]:
    """Leaders whose plan for the period has not arrived by `now` (to remind their secretaries)."""
    arrived = {s.leader_id for s in submissions
               if s.kind is kind and s.period_start == period_start and s.submitted_at <= now}
    return [leader for leader in sorted(leaders, key=lambda x: x.order) if leader.person_id not in arrived]


def missing_text(missing: Sequence[Leader], kind: PlanKind, period_start: date, due: datetime) -> str:
    """The list of who is missing at the deadline, for the duty-room head and the duty log."""
    what = f"{period_start:%m月%d日}当周工作安排" if kind is PlanKind.WEEKLY else f"{period_start:%m月%d日}活动安排"
    if not missing:
        return f"{what}已全部按时报送（截止{due:%m月%d日%H:%M}）。"
    names = "、".join(f"{x.name}（{x.title}）" for x in missing)
    return f"截至{due:%m月%d日%H:%M}，{what}尚未报送{len(missing)}人：{names}。"


def reminder_text(missing: Sequence[Leader], kind: PlanKind, due: datetime) -> str:
    what = "下周工作安排" if kind is PlanKind.WEEKLY else "次日活动安排"
    names = "、".join(f"{x.name}{x.title}" for x in missing)
    return f"请于{due:%m月%d日%H:%M}前报送{names}的{what}。"


def _rows(leaders: Sequence[Leader], items: Sequence[ItineraryItem]) -> list[TableRow]:
    by_id = {x.person_id: x for x in leaders}
    ordered = sorted((i for i in items if i.leader_id in by_id),
                     key=lambda i: (by_id[i.leader_id].order, i.start))
    return [TableRow(leader=by_id[i.leader_id].name, title=by_id[i.leader_id].title, date=i.start.date(),
                     time=f"{i.start:%H:%M}—{i.end:%H:%M}", activity=i.activity, location=i.location)
            for i in ordered]


def compile_tables(leaders: Sequence[Leader], submissions: Sequence[PlanSubmission], week_start: date,
                   day: date) -> FourTables:
    """The four tables for the secretary-general: weekly/daily × city leaders/secretaries-general.

    The latest submission per leader and period wins (a secretary may resend a corrected plan).
    """
    latest: dict[tuple[str, PlanKind, date], PlanSubmission] = {}
    for sub in sorted(submissions, key=lambda s: s.submitted_at):
        latest[(sub.leader_id, sub.kind, sub.period_start)] = sub

    def items(kind: PlanKind, start: date) -> list[ItineraryItem]:
        return [i for (_, k, s), sub in latest.items() if k is kind and s == start for i in sub.items]

    city = [x for x in leaders if x.group is LeaderGroup.CITY]
    secretaries = [x for x in leaders if x.group is LeaderGroup.SECRETARIES_GENERAL]
    weekly, daily = items(PlanKind.WEEKLY, week_start), items(PlanKind.DAILY, day)
    return FourTables(weekly_leaders=_rows(city, weekly), weekly_secretaries_general=_rows(secretaries, weekly),
                      daily_leaders=_rows(city, daily), daily_secretaries_general=_rows(secretaries, daily))


def availability(leader_id: str, at: datetime, away_periods: Sequence[AwayPeriod]) -> Availability:
    """Whether the leader is reachable in person at `at`, and who acts for them if not."""
    for period in away_periods:
        if period.leader_id == leader_id and period.start <= at < period.end:
            where = f"（{period.destination}）" if period.destination else ""
            return Availability(
                leader_id=leader_id, available=False, away=period, acting_leader_id=period.acting_leader_id,
                note=f"{AWAY_LABELS[period.kind]}{where}至{period.end:%m-%d %H:%M}"
                     + (f"，由{period.acting_leader_id}代理" if period.acting_leader_id else "，未指定代理领导"),
            )
    return Availability(leader_id=leader_id, available=True)
