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
    """roster.published — the secretary-general approved this roster and it is now in force.

    /2: a roster travels in ``parts`` messages (``part`` = 1…parts), each with the shifts that start from
    ``part_start`` to ``part_end`` (a calendar month, split further if a month would exceed the size limit):
    a year for 200 people is ~200 KB, too near the bus's 256 KiB limit for one message. A consumer keeps
    the shifts of each part; the roster is complete when all ``parts`` parts of ``roster_id`` have arrived.
    ``period_start``/``period_end`` are the whole roster's; a part never repeats another's shifts.
    """

    schema_: Literal["zhiban.roster.published/2"] = Field(default="zhiban.roster.published/2", alias="schema")
    roster_id: str
    period_start: date
    period_end: date
    part: int = Field(ge=1)
    parts: int = Field(ge=1)
    part_start: date
    part_end: date
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
