"""Notify's own events beyond notify.status."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.events import NotifyChannel


class NotificationUnacknowledged(BaseModel):
    """notify.unacknowledged — every contact method of this person was tried and nobody acknowledged:
    escalation picks the next person."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    schema_: Literal["zhiban.notify.unacknowledged/1"] = Field(
        default="zhiban.notify.unacknowledged/1", alias="schema"
    )
    notification_id: str
    person_id: str
    incident_id: str | None = None
    tried: list[NotifyChannel] = Field(default_factory=list)
    at: AwareDatetime
    detail: str = ""
