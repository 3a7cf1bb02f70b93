"""Escalation's bus handlers: thin — validate (done by subscribe), call the service."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitRouter
from faststream.rabbit.annotations import RabbitMessage

from services.escalation.errors import ConflictError
from services.escalation.service import EscalationService
from shared.bus import Bus, RetryLater, subscribe
from shared.contracts import IncidentOpened, NotificationStatus, ReportAttached, TimerDue
from shared.contracts.notify import NotificationUnacknowledged
from shared.contracts.scheduling import LeaderAvailabilityChanged, RosterPublished
from shared.settings import EscalationSettings
from shared.topology import consumer


def register(
    router: RabbitRouter, bus_of: Callable[[], Bus], svc: EscalationService, settings: EscalationSettings
) -> None:
    @subscribe(router, bus_of, consumer("escalation", "incident-opened"), IncidentOpened, settings)
    async def grade_and_route(event: IncidentOpened, msg: RabbitMessage) -> None:
        """A new incident: assess it, tell the officer, hold it for review or route it, plan its clocks."""
        await svc.on_incident_opened(event)

    @subscribe(router, bus_of, consumer("escalation", "report-attached"), ReportAttached, settings)
    async def follow_up(event: ReportAttached, msg: RabbitMessage) -> None:
        """A follow-up (续报): record the stage and re-assess on the merged facts."""
        try:
            await svc.on_report_attached(event)
        except ConflictError as exc:
            raise RetryLater(str(exc)) from exc

    @subscribe(router, bus_of, consumer("escalation", "notify-status"), NotificationStatus, settings)
    async def record_delivery(event: NotificationStatus, msg: RabbitMessage) -> None:
        """A notification changed state: put it on the incident's timeline."""
        await svc.on_notification_status(event)

    @subscribe(router, bus_of, consumer("escalation", "timers"), TimerDue, settings)
    async def timer_due(timer: TimerDue, msg: RabbitMessage) -> None:
        """A durable timer back from its broker wait queue: fire it once, or send it round again."""
        await svc.on_timer_message(timer)

    @subscribe(router, bus_of, consumer("escalation", "notify-unacknowledged"), NotificationUnacknowledged, settings)
    async def next_person(event: NotificationUnacknowledged, msg: RabbitMessage) -> None:
        """Nobody answered on any contact method: the next person in the routing plan is told."""
        await svc.on_unacknowledged(event)

    @subscribe(router, bus_of, consumer("escalation", "roster-published"), RosterPublished, settings)
    async def hold_roster(event: RosterPublished, msg: RabbitMessage) -> None:
        """A part of a published roster: kept, so who is on shift is known when scheduling does not answer."""
        await svc.on_roster_published(event)

    @subscribe(router, bus_of, consumer("escalation", "leader-availability"), LeaderAvailabilityChanged, settings)
    async def hold_leader_availability(event: LeaderAvailabilityChanged, msg: RabbitMessage) -> None:
        """A leader away (or no longer): kept, so the acting leader is known when scheduling does not answer."""
        await svc.on_leader_availability(event)
