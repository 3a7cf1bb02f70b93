"""Message contracts: every message on the bus is one of these versioned pydantic models.

The JSON Schema of each is exported under docs/contracts/ (``make docs``).
"""

from shared.contracts.escalation import TimerDue
from shared.contracts.events import (
    IncidentGraded,
    IncidentOpened,
    NotificationStatus,
    OnDutyAnswer,
    OnDutyQuery,
    ReportAttached,
    SendNotification,
)
from shared.contracts.notify import NotificationUnacknowledged
from shared.contracts.report import Casualties, Category, Channel, Classification, Contact, ReportV1, Source
from shared.contracts.scheduling import LeaderAvailabilityChanged, PublishedShift, RosterPublished

ALL_CONTRACTS = {
    "zhiban.report/1": ReportV1,
    "zhiban.incident.opened/1": IncidentOpened,
    "zhiban.incident.report_attached/1": ReportAttached,
    "zhiban.incident.graded/1": IncidentGraded,
    "zhiban.notify.send/1": SendNotification,
    "zhiban.notify.status/1": NotificationStatus,
    "zhiban.scheduling.on_duty_query/1": OnDutyQuery,
    "zhiban.scheduling.on_duty_answer/1": OnDutyAnswer,
    "zhiban.notify.unacknowledged/1": NotificationUnacknowledged,
    "zhiban.escalation.timer/1": TimerDue,
    "zhiban.roster.published/2": RosterPublished,
    "zhiban.leader.availability_changed/1": LeaderAvailabilityChanged,
}


__all__ = [
    "ALL_CONTRACTS",
    "Casualties",
    "Category",
    "Channel",
    "Classification",
    "Contact",
    "IncidentGraded",
    "IncidentOpened",
    "NotificationStatus",
    "NotificationUnacknowledged",
    "OnDutyAnswer",
    "OnDutyQuery",
    "ReportAttached",
    "ReportV1",
    "SendNotification",
    "Source",
    "TimerDue",
    "LeaderAvailabilityChanged",
    "PublishedShift",
    "RosterPublished",
]
