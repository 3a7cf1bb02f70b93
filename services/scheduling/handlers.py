"""Scheduling's bus handlers: the on-duty query (request/reply) and the duty log fed by the bus."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel, ConfigDict, Field

from services.scheduling.service import SchedulingService
from shared.bus import Bus, subscribe
from shared.contracts import (
    LeaderAvailabilityChanged,
    NotificationStatus,
    OnDutyAnswer,
    OnDutyQuery,
    RosterPublished,
)
from shared.settings import SchedulingSettings
from shared.topology import consumer

LOG_TEXT = {
    "zhiban.incident.opened/1": "新事件：{title}",
    "zhiban.incident.report_attached/1": "续报：{title}",
    "zhiban.incident.graded/1": "定级：{level}",
}


class IncidentEvent(BaseModel):
    """Any incident.* event, read only for the duty log."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    schema_: str = Field(alias="schema")
    incident_id: str


def register(
    router: RabbitRouter, bus_of: Callable[[], Bus], svc: SchedulingService, settings: SchedulingSettings
) -> None:
    @subscribe(router, bus_of, consumer("scheduling", "on-duty"), OnDutyQuery, settings, returns=OnDutyAnswer)
    async def answer_on_duty(query: OnDutyQuery, msg: RabbitMessage) -> OnDutyAnswer:
        """Who is on shift at ``at``, who leads the shift, and which leader is in charge of ``category``."""
        return await svc.who_is_on_duty(query)

    @subscribe(router, bus_of, consumer("scheduling", "duty-log-incidents"), IncidentEvent, settings)
    async def log_incident_event(event: IncidentEvent, msg: RabbitMessage) -> None:
        """Every incident event becomes a line of the shift's duty log."""
        extra = event.model_extra or {}
        report = extra.get("primary") or extra.get("report") or {}
        template = LOG_TEXT.get(event.schema_, event.schema_)
        text = template.format(title=report.get("title", ""), level=extra.get("level") or "待定")
        await svc.log_event(key=f"{event.schema_}:{msg.message_id}", kind=event.schema_, text=text,
                            incident_id=event.incident_id)
        await svc.incident_event(event.schema_, event.incident_id, extra)

    @subscribe(router, bus_of, consumer("scheduling", "duty-log-notify"), NotificationStatus, settings)
    async def log_notification(event: NotificationStatus, msg: RabbitMessage) -> None:
        """Deliveries go into the duty log too."""
        await svc.log_event(key=f"notify:{event.notification_id}:{event.state.value}", kind="notification",
                            text=f"通知 {event.person_id}：{event.state.value}", incident_id=event.incident_id)


def register_own_events(
    router: RabbitRouter, bus_of: Callable[[], Bus], svc: SchedulingService, settings: SchedulingSettings
) -> None:
    """Scheduling's own events come back into the duty log: proof they are on the bus, and a record."""

    @subscribe(router, bus_of, consumer("scheduling", "roster-published"), RosterPublished, settings)
    async def log_roster_published(event: RosterPublished, msg: RabbitMessage) -> None:
        """The published roster as the bus carried it, one line per part."""
        await svc.log_event(key=f"bus:roster.published:{event.roster_id}:{event.part}", kind="roster",
                            text=f"排班表{event.period_start}至{event.period_end}已发布（第{event.part}/{event.parts}部分，"
                                 f"{event.part_start}至{event.part_end}，{len(event.shifts)}个班次）")

    @subscribe(router, bus_of, consumer("scheduling", "leader-availability"), LeaderAvailabilityChanged, settings)
    async def log_leader_availability(event: LeaderAvailabilityChanged, msg: RabbitMessage) -> None:
        """A leader away and who acts meanwhile."""
        acting = f"，由{event.acting_leader}代行" if event.acting_leader else ""
        state = "取消" if event.cancelled else "登记"
        await svc.log_event(key=f"bus:leader:{msg.message_id}", kind="leader_availability",
                            text=f"{state}领导{event.leader_id}外出（{event.kind}）{acting}")
