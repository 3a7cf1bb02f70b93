"""Escalation's bus handlers: thin — validate (done by subscribe), call the service."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.escalation.service import EscalationService
from shared.bus import Bus, subscribe
from shared.contracts import IncidentOpened, NotificationStatus, ReportAttached
from shared.settings import EscalationSettings
from shared.topology import consumer


def register(
    router: RabbitRouter, bus_of: Callable[[], Bus], svc: EscalationService, settings: EscalationSettings
) -> None:
    @subscribe(router, bus_of, consumer("escalation", "incident-opened"), IncidentOpened, settings)
    async def grade_and_route(event: IncidentOpened, msg: RabbitMessage) -> None:
        """A new incident: grade it, ask who is on duty, request the notifications."""
        await svc.on_incident_opened(event)

    @subscribe(router, bus_of, consumer("escalation", "report-attached"), ReportAttached, settings)
    async def follow_up(event: ReportAttached, msg: RabbitMessage) -> None:
        """A follow-up (续报): record it and re-grade on the merged facts."""
        await svc.on_report_attached(event)

    @subscribe(router, bus_of, consumer("escalation", "notify-status"), NotificationStatus, settings)
    async def record_delivery(event: NotificationStatus, msg: RabbitMessage) -> None:
        """A notification changed state: put it on the incident's timeline."""
        await svc.on_notification_status(event)
