"""Sections of the rules file (pydantic). Every number is data; defaults live in rules/default.yaml."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LevelKey = Literal["I", "II", "III", "IV"]
ClockStart = Literal["occurred", "received"]
ChannelName = Literal["phone", "sms", "fax", "email"]  # NotifyChannel values notify can execute
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClauseRule(_Strict):
    fact: str
    op: Literal["ge", "gt", "le", "lt", "eq"] = "ge"
    value: float


class ConditionRule(_Strict):
    level: Literal["I", "II", "III"]
    all: list[ClauseRule] = Field(min_length=1)
    note: str = ""


class CategoryRule(_Strict):
    same_as: str | None = None
    criteria: dict[str, dict[str, float]] = Field(default_factory=dict)
    conditions: list[ConditionRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _levels_descend(self) -> CategoryRule:
        for name, thresholds in self.criteria.items():
            unknown = set(thresholds) - {"I", "II", "III"}
            if unknown:
                raise ValueError(f"指标 {name!r} 含未知等级 {sorted(unknown)}，只能用 I、II、III / "
                                 f"criterion {name!r}: unknown level(s) {sorted(unknown)}; use I, II, III")
            ordered = [thresholds[lv] for lv in ("I", "II", "III") if lv in thresholds]
            if ordered != sorted(ordered, reverse=True):
                raise ValueError(f"指标 {name!r} 的阈值从 I 到 III 不得上升 / "
                                 f"criterion {name!r}: thresholds must not rise from I to III: {thresholds}")
        return self


class MajorEvent(_Strict):
    name: str = Field(min_length=1)
    start: date
    end: date
    area_codes: list[str] = Field(default_factory=list)  # empty = everywhere

    @model_validator(mode="after")
    def _ordered(self) -> MajorEvent:
        if self.end < self.start:
            raise ValueError(f"结束日期 {self.end} 早于开始日期 {self.start} / end {self.end} before start {self.start}")
        return self


class Anniversary(_Strict):
    name: str
    month_day: str = Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class SensitivePlace(_Strict):
    area_code_prefix: str = Field(pattern=r"^\d{2,6}$")
    name: str


class SensitiveRules(_Strict):
    statutory_holidays: bool = True
    major_events: list[MajorEvent] = Field(default_factory=list)
    anniversaries: list[Anniversary] = Field(default_factory=list)
    place_areas: list[SensitivePlace] = Field(default_factory=list)
    place_keywords: list[str] = Field(default_factory=list)
    people_keywords: list[str] = Field(default_factory=list)
    subject_keywords: list[str] = Field(default_factory=list)


class Limit(_Strict):
    """A time limit: minutes of wall-clock time, or working days from the holiday calendar."""

    minutes: int | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, gt=0)
    clock: ClockStart

    @model_validator(mode="after")
    def _one_unit(self) -> Limit:
        if (self.minutes is None) == (self.working_days is None):
            raise ValueError("minutes 与 working_days 必须且只能填一个 / give exactly one of minutes, working_days")
        return self


class FollowUpRule(_Strict):
    times: list[str] = Field(default_factory=list)  # fixed local times, Asia/Shanghai
    per_day: int | None = Field(default=None, gt=0, le=24)

    @field_validator("times")
    @classmethod
    def _hhmm(cls, times: list[str]) -> list[str]:
        for t in times:
            if not _HHMM.match(t):
                raise ValueError(f"时间 {t!r} 应为 HH:MM（24小时制）/ time {t!r} must be HH:MM (24 h)")
        return sorted(times)

    @model_validator(mode="after")
    def _one_mode(self) -> FollowUpRule:
        if bool(self.times) == (self.per_day is not None):
            raise ValueError("times 与 per_day 必须且只能填一个 / give exactly one of times, per_day")
        return self


class FollowUps(_Strict):
    horizon_days: int = Field(default=7, gt=0, le=60)
    min_gap_minutes: int = Field(default=60, ge=0)  # no follow-up due sooner than this after the first report
    by_level: dict[LevelKey, FollowUpRule]


class FinalReport(_Strict):
    clock: ClockStart = "occurred"
    default_days: int = Field(gt=0)
    by_category: dict[str, int] = Field(default_factory=dict)


class Reminders(_Strict):
    before_minutes: list[int] = Field(default_factory=lambda: [10])
    overdue_to: list[str] = Field(default_factory=lambda: ["duty_officer", "duty_head"])


class ReviewRules(_Strict):
    required_from_level: Literal["I", "II", "III", "IV"] = "III"
    sensitive_requires_review: bool = True
    may_escalate_requires_review: bool = True
    approver_roles: list[str] = Field(default_factory=lambda: ["duty_head", "shift_leader"])
    remind_after_minutes: int = Field(gt=0)
    escalate_after_minutes: int = Field(gt=0)
    escalate_to_role: str = "duty_head"

    @model_validator(mode="after")
    def _remind_first(self) -> ReviewRules:
        if self.remind_after_minutes >= self.escalate_after_minutes:
            raise ValueError("提醒时间必须早于升级时间 / remind_after_minutes must be below escalate_after_minutes")
        return self


class Leader(_Strict):
    id: str = Field(min_length=1)
    name: str
    title: str = ""
    categories: list[str] = Field(default_factory=list)
    default_acting: str | None = None
    if_silent: str | None = None  # next person when every channel stays silent


class Routing(_Strict):
    leaders: list[Leader] = Field(min_length=1)
    principal: str
    principal_from_level: LevelKey = "II"
    fallback_in_charge: str | None = None  # category nobody holds
    cc_by_category: dict[str, list[str]] = Field(default_factory=dict)
    cc_county_of_area: bool = True
    party_duty_room: str
    party_duty_room_from_level: LevelKey = "III"
    channels: dict[LevelKey, list[ChannelName]]
    ack_timeout_minutes: dict[LevelKey, int]

    @model_validator(mode="after")
    def _known_people(self) -> Routing:
        ids = {leader.id for leader in self.leaders}
        refs = [("principal", self.principal), ("fallback_in_charge", self.fallback_in_charge)]
        refs += [(f"{leader.id}.default_acting", leader.default_acting) for leader in self.leaders]
        refs += [(f"{leader.id}.if_silent", leader.if_silent) for leader in self.leaders]
        for where, ref in refs:
            if ref is not None and ref not in ids:
                raise ValueError(f"{where} 引用了未定义的领导 {ref!r} / {where} names unknown leader {ref!r}")
        for level, chans in self.channels.items():
            if not chans:
                raise ValueError(f"channels.{level} 不能为空 / channels.{level} must not be empty")
        return self


class Upward(_Strict):
    """Reporting up to the provincial duty office (R-13): from ``bulletin_only_from_level`` upward an incident
    leaves only as the approved bulletin, never through routing, reminders or an officer's own message."""

    addressee: str = Field(default="province_duty_office", min_length=1)
    name: str = "省人民政府总值班室"
    bulletin_only_from_level: LevelKey = "III"
    channels: list[ChannelName] = Field(default=["fax"], min_length=1)


class Supervision(_Strict):
    remind_before_due_hours: list[int] = Field(default_factory=lambda: [24, 2])
    overdue_every_hours: int = Field(default=24, gt=0)
    overdue_repeats: int = Field(default=3, ge=0)
