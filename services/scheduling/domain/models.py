"""People, groups and shifts: the nouns every scheduling module shares."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"  # 值班室工作人员
    DUTY_HEAD = "duty_head"  # 值班室负责人
    SHIFT_LEADER = "shift_leader"  # 可带班领导：秘书长、副秘书长、办公厅领导
    CITY_LEADER = "city_leader"  # 市长、副市长
    SECTION_STAFF = "section_staff"  # 处室、议事协调机构工作人员（节假日轮值）


ROLE_LABELS = {
    Role.DUTY_OFFICER: "值班员",
    Role.DUTY_HEAD: "值班室负责人",
    Role.SHIFT_LEADER: "带班领导",
    Role.CITY_LEADER: "市领导",
    Role.SECTION_STAFF: "处室工作人员",
}


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    roles: frozenset[Role]
    group_id: str | None = None
    title: str = ""
    phone: str = ""
    active: bool = True


class GroupKind(StrEnum):
    SECTION = "section"  # 处室
    COORDINATION_BODY = "coordination_body"  # 议事协调机构


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: GroupKind = GroupKind.SECTION


class Unavailability(BaseModel):
    """Leave, travel or anything else that keeps a person off the roster, inclusive dates."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    start: date
    end: date
    reason: str = "请假"

    def covers(self, d: date) -> bool:
        return self.start <= d <= self.end


class Shift(BaseModel):
    shift_id: str
    date: date
    kind: str  # "day" / "night"
    start: datetime
    end: datetime
    day_type: str  # "workday" / "weekend" / "holiday"
    holiday_name: str | None = None
    required_officers: int = 1
    officers: list[str] = Field(default_factory=list)
    leader: str | None = None  # 带班领导
    leader_at_home: str | None = None  # 在家值班领导（法定节假日）
    section: str | None = None  # 节假日轮值处室
    holiday_staff: list[str] = Field(default_factory=list)

    @property
    def is_night(self) -> bool:
        return self.kind == "night"

    def people(self) -> list[str]:
        found = [*self.officers, *self.holiday_staff]
        return found + [p for p in (self.leader,) if p]

    def overlaps(self, other: Shift) -> bool:
        return self.start < other.end and other.start < self.end


KIND_LABELS = {"day": "白班", "night": "夜班"}


def shift_label(shift: Shift) -> str:
    return f"{shift.date:%Y-%m-%d}{KIND_LABELS.get(shift.kind, shift.kind)}（{shift.start:%H:%M}—{shift.end:%H:%M}）"
