"""Escalation's own messages: the durable timer that rides on the broker (see docs/escalation.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class TimerDue(BaseModel):
    """escalation.timer.wait.<seconds> → (TTL) → zhiban.escalation.timers — one durable timer.

    ``key`` is the timer's unique key in escalation's ``timers`` collection: whichever copy (the store's
    poller or this message) claims it first fires it; every later copy finds it fired and does nothing.
    The message carries everything needed to fire, so it still fires after the service's store was lost.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["zhiban.escalation.timer/1"] = Field(default="zhiban.escalation.timer/1", alias="schema")
    key: str = Field(min_length=1, max_length=300)
    kind: str = Field(min_length=1, max_length=40)
    due_at: AwareDatetime
    incident_id: str | None = None
    item_id: str | None = None
    to_roles: list[str] = Field(default_factory=list)
    to_people: list[str] = Field(default_factory=list)
    subject: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=4000)
    data: dict[str, Any] = Field(default_factory=dict)
