"""Domain events (past tense) and commands (imperative) exchanged between the services."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.report import Category, Classification, ReportV1


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class IncidentOpened(_Message):
    """incident.opened — intake opened an incident from its earliest (primary) report."""

    schema_: Literal["zhiban.incident.opened/1"] = Field(default="zhiban.incident.opened/1", alias="schema")
    incident_id: str
    opened_at: AwareDatetime
    primary: ReportV1
    missing_elements: list[str] = Field(default_factory=list)


class ReportAttached(_Message):
    """incident.report_attached — a later report of the same event attached as a follow-up (续报)."""

    schema_: Literal["zhiban.incident.report_attached/1"] = Field(
        default="zhiban.incident.report_attached/1", alias="schema"
    )
    incident_id: str
    attached_at: AwareDatetime
    report: ReportV1
    reason: str = ""
    now_primary: bool = Field(default=False, description="this report was received earlier than the primary and replaces it")


class Level(StrEnum):
    I = "I"  # noqa: E741  特别重大
    II = "II"  # 重大
    III = "III"  # 较大
    IV = "IV"  # 一般


class IncidentGraded(_Message):
    """incident.graded — escalation suggested (or an officer confirmed) a level."""

    schema_: Literal["zhiban.incident.graded/1"] = Field(default="zhiban.incident.graded/1", alias="schema")
    incident_id: str
    graded_at: AwareDatetime
    level: Level | None
    category: Category
    sensitive: bool = False
    reasons: list[str] = Field(default_factory=list)
    rules_version: str
    sensitive_reasons: list[str] = Field(default_factory=list)
    may_escalate: bool = False


class NotifyChannel(StrEnum):
    phone = "phone"
    sms = "sms"
    fax = "fax"
    email = "email"
    spool = "spool"


class SendNotification(_Message):
    """notify.send — command: deliver one message to one person. ``notification_id`` is the idempotency key."""

    schema_: Literal["zhiban.notify.send/1"] = Field(default="zhiban.notify.send/1", alias="schema")
    notification_id: str = Field(min_length=1, max_length=128)
    person_id: str = Field(min_length=1, max_length=64)
    channels: list[NotifyChannel] = Field(default_factory=lambda: [NotifyChannel.sms])
    classification: Classification = Classification.plain
    subject: str = Field(max_length=200)
    body: str = Field(max_length=10000)
    incident_id: str | None = None
    requested_at: AwareDatetime
    requested_by: str = "escalation"
    ack_required: bool = Field(default=True, description=(
        "是否需要本人确认。true（默认）：送达后等待确认，超时改用此人的其他联系方式，均未确认则发布 "
        "notify.unacknowledged。false（如书面报告）：送达即完成，消息中不含确认码或确认链接；只在本请求的渠道间"
        "依次改投（如传真失败改电子邮件），均未送达则以 failed_permanent 告知，不发布 notify.unacknowledged。 / "
        "Whether the person must acknowledge. true (default): after delivery wait for an acknowledgement, on "
        "silence try the person's other contact methods, then publish notify.unacknowledged. false (e.g. a "
        "written report): delivery is final and the text carries no ack code or link; only the requested "
        "channels are tried in turn (fax fails, then e-mail), and when none delivers the last status is "
        "failed_permanent, never notify.unacknowledged."))


class DeliveryState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    acknowledged = "acknowledged"
    failed_temporary = "failed_temporary"
    failed_permanent = "failed_permanent"


class NotificationStatus(_Message):
    """notify.status — a notification changed state."""

    schema_: Literal["zhiban.notify.status/1"] = Field(default="zhiban.notify.status/1", alias="schema")
    notification_id: str
    person_id: str
    incident_id: str | None = None
    state: DeliveryState
    channel: NotifyChannel | None = None
    gateway: str | None = None
    at: AwareDatetime
    detail: str = ""


class OnDutyQuery(_Message):
    """scheduling.query.on_duty — request: who is on shift now, and who leads this category."""

    schema_: Literal["zhiban.scheduling.on_duty_query/1"] = Field(
        default="zhiban.scheduling.on_duty_query/1", alias="schema"
    )
    at: AwareDatetime
    category: Category | None = None


class OnDutyAnswer(_Message):
    schema_: Literal["zhiban.scheduling.on_duty_answer/1"] = Field(
        default="zhiban.scheduling.on_duty_answer/1", alias="schema"
    )
    at: AwareDatetime
    duty_officers: list[str] = Field(default_factory=list)
    shift_leader: str | None = None
    leader_in_charge: str | None = None
    acting_for: str | None = None
    principal_leader: str | None = None
