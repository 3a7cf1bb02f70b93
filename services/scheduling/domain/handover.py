"""Handover (R-21): when it happens, what is handed over, and who signed and confirmed it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.models import LOCAL_TZ


class HandoverConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    morning: time = time(8, 0)
    end_of_working_day: time = time(17, 30)
    # Rest days have no working day; the evening handover follows the night shift start (None: none).
    rest_day_evening: time | None = time(17, 30)
    reminder_before: timedelta = timedelta(minutes=10)
    confirm_within: timedelta = timedelta(minutes=15)


def handover_slots(d: date, calendar: OfficialCalendar, config: HandoverConfig) -> list[datetime]:
    """Make-up workdays (调休上班) are workdays: they hand over at the end of the working day."""
    evening = config.end_of_working_day if calendar.is_workday(d) else config.rest_day_evening
    times = [config.morning] + ([evening] if evening else [])
    return [datetime.combine(d, t, LOCAL_TZ) for t in times]


class PendingItem(BaseModel):
    """A pending incident, open instruction or deadline passed in from escalation's events."""

    model_config = ConfigDict(frozen=True)

    ref: str
    title: str
    due: datetime | None = None


class HandoverState(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # the outgoing officer signed
    CONFIRMED = "confirmed"  # the incoming officer confirmed


class HandoverError(ValueError):
    """A sign or confirm out of turn, by the wrong person."""


class HandoverAlert(BaseModel):
    model_config = ConfigDict(frozen=True)

    handover_at: datetime
    alert_to: list[str]
    message: str


class HandoverRecord(BaseModel):
    handover_at: datetime
    outgoing: list[str]
    incoming: list[str]
    done: list[str] = Field(default_factory=list)
    pending_incidents: list[PendingItem] = Field(default_factory=list)
    open_instructions: list[PendingItem] = Field(default_factory=list)
    deadlines: list[PendingItem] = Field(default_factory=list)
    notes: str = ""
    state: HandoverState = HandoverState.DRAFT
    signed_by: str | None = None
    signed_at: datetime | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None

    def reminder_at(self, config: HandoverConfig) -> datetime:
        return self.handover_at - config.reminder_before

    def confirmation_due(self, config: HandoverConfig) -> datetime:
        return self.handover_at + config.confirm_within

    def sign(self, by: str, at: datetime) -> HandoverRecord:
        if self.state is not HandoverState.DRAFT:
            raise HandoverError("交接记录已签字，不能重复签字")
        if by not in self.outgoing:
            raise HandoverError(f"只有交班人员才能签字交班，{by}不是本次交班人员")
        return self.model_copy(update={"state": HandoverState.SIGNED, "signed_by": by, "signed_at": at})

    def confirm(self, by: str, at: datetime) -> HandoverRecord:
        if self.state is HandoverState.DRAFT:
            raise HandoverError("交班人员尚未签字，接班人员不能确认")
        if self.state is HandoverState.CONFIRMED:
            raise HandoverError("交接已确认，不能重复确认")
        if by not in self.incoming:
            raise HandoverError(f"只有接班人员才能确认接班，{by}不是本次接班人员")
        return self.model_copy(update={"state": HandoverState.CONFIRMED, "confirmed_by": by, "confirmed_at": at})

    def overdue_alert(self, now: datetime, config: HandoverConfig, heads: Sequence[str]) -> HandoverAlert | None:
        """Not confirmed in time: the duty-room head is alerted."""
        if self.state is HandoverState.CONFIRMED or now < self.confirmation_due(config):
            return None
        missing = "交班人员未签字" if self.state is HandoverState.DRAFT else "接班人员未确认"
        return HandoverAlert(
            handover_at=self.handover_at, alert_to=list(heads),
            message=f"{self.handover_at:%m-%d %H:%M}的交接班超时未完成：{missing}，请值班室负责人督促",
        )

    def pending_count(self) -> int:
        return len(self.pending_incidents) + len(self.open_instructions) + len(self.deadlines)


def open_handover(
    handover_at: datetime,
    outgoing: Sequence[str],
    incoming: Sequence[str],
    *,
    pending_incidents: Sequence[PendingItem] = (),
    open_instructions: Sequence[PendingItem] = (),
    deadlines: Sequence[PendingItem] = (),
    done: Sequence[str] = (),
    notes: str = "",
) -> HandoverRecord:
    """The record starts from the pending items collected from events; deadlines soonest first."""
    return HandoverRecord(
        handover_at=handover_at, outgoing=list(outgoing), incoming=list(incoming), done=list(done),
        pending_incidents=list(pending_incidents), open_instructions=list(open_instructions),
        deadlines=sorted(deadlines, key=lambda i: (i.due is None, i.due or handover_at)), notes=notes,
    )


def handover_summary(record: HandoverRecord) -> str:
    """The written handover in Chinese, as both officers read and sign it."""
    lines = [f"交接班时间：{record.handover_at:%Y-%m-%d %H:%M}",
             f"交班：{'、'.join(record.outgoing)}；接班：{'、'.join(record.incoming)}"]
    sections = (("已办事项", [(t, None) for t in record.done]),
                ("待办事件", [(i.title, i.due) for i in record.pending_incidents]),
                ("未办结批示", [(i.title, i.due) for i in record.open_instructions]),
                ("时限事项", [(i.title, i.due) for i in record.deadlines]))
    for heading, items in sections:
        lines.append(f"{heading}（{len(items)}项）：")
        lines += [f"  {n}. {t}" + (f"（时限{due:%m-%d %H:%M}）" if due else "")
                  for n, (t, due) in enumerate(items, 1)] or ["  无"]
    if record.notes:
        lines.append(f"其他说明：{record.notes}")
    return "\n".join(lines)
