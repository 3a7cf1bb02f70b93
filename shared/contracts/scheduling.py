"""Scheduling's events: a published roster, and a leader's availability (away, with the acting leader)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PublishedShift(_Message):
    shift_id: str
    start: AwareDatetime
    end: AwareDatetime
    kind: str  # day / night
    day_type: str  # workday / weekend / holiday
    holiday_name: str | None = None
    officers: list[str] = Field(default_factory=list)
    shift_leader: str | None = None
    leader_at_home: str | None = None
    section: str | None = None
    holiday_staff: list[str] = Field(default_factory=list)


class RosterPublished(_Message):
    """roster.published — the secretary-general approved this roster and it is now in force."""

    schema_: Literal["zhiban.roster.published/1"] = Field(default="zhiban.roster.published/1", alias="schema")
    roster_id: str
    period_start: date
    period_end: date
    approved_by: str
    published_at: AwareDatetime
    shifts: list[PublishedShift]


class LeaderAvailabilityChanged(_Message):
    """leader.availability_changed — a leader is away (travel, visit, leave) and who acts meanwhile."""

    schema_: Literal["zhiban.leader.availability_changed/1"] = Field(
        default="zhiban.leader.availability_changed/1", alias="schema"
    )
    leader_id: str
    start: AwareDatetime
    end: AwareDatetime
    kind: str  # travel / visit / leave
    acting_leader: str | None = None
    cancelled: bool = False
    changed_at: AwareDatetime
