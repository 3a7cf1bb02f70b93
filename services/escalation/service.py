"""Escalation's service layer: grade each incident, ask who is on duty, request notifications, keep the
timeline. Every step is keyed so a redelivered event changes nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from services.escalation.domain.grading import Facts, Grading, grade
from services.escalation.domain.notice_text import casualty_phrase, incident_notice
from services.escalation.domain.rules import Rules
from services.escalation.store import EscalationStore
from shared.bus import RetryLater
from shared.clock import Clock, to_local
from shared.contracts import (
    IncidentGraded,
    IncidentOpened,
    NotificationStatus,
    OnDutyAnswer,
    OnDutyQuery,
    ReportAttached,
    ReportV1,
    SendNotification,
)
from shared.contracts.events import NotifyChannel
from shared.outbox import Outbox
from shared.topology import INCIDENT_GRADED, NOTIFY_SEND

LEVEL_ORDER = ("I", "II", "III", "IV")
AskOnDuty = Callable[[OnDutyQuery], Awaitable[OnDutyAnswer]]


def reaches(level: str | None, threshold: str) -> bool:
    return level is not None and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(threshold)


def facts_of(report: ReportV1) -> Facts:
    c = report.casualties
    return Facts(
        deaths=c.deaths,
        injuries=c.injuries,
        serious_injuries=c.serious_injuries,
        missing=c.missing,
        trapped=c.trapped,
        evacuated=report.evacuated,
        economic_loss_cny=report.economic_loss_cny,
    )


def merge_facts(a: Facts, b: Facts) -> Facts:
    """A follow-up's facts update the incident: the larger known figure stands."""

    def larger(x: float | None, y: float | None) -> Any:
        return y if x is None else x if y is None else max(x, y)

    return Facts(**{name: larger(getattr(a, name), getattr(b, name)) for name in Facts.__dataclass_fields__})


class EscalationService:
    def __init__(
        self, *, store: EscalationStore, outbox: Outbox, clock: Clock, rules: Rules, ask_on_duty: AskOnDuty
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.rules = rules
        self.ask_on_duty = ask_on_duty

    def _entry(self, key: str, kind: str, text: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
        return {"key": key, "at": at or self.clock.now(), "kind": kind, "text": text, **extra}

    async def on_incident_opened(self, event: IncidentOpened) -> None:
        report = event.primary
        facts = facts_of(report)
        grading = grade(facts, self.rules.table_for(report.category.value))
        incident_id = event.incident_id
        await self.store.create(
            {
                "_id": incident_id,
                "opened_at": event.opened_at,
                "title": report.title,
                "category": report.category.value,
                "area_code": report.area_code,
                "place": report.place,
                "occurred_at": report.occurred_at,
                "unit": report.source.unit,
                "classification": report.classification.value,
                "facts": facts.__dict__,
                "level": grading.level,
                "grading_reasons": grading.reasons,
                "rules_version": self.rules.version,
                "routed": False,
                "notifications": {},
                "timeline": [
                    self._entry("opened", "report", f"收到首报：{report.source.unit}《{report.title}》", event.opened_at)
                ],
            }
        )
        await self._record_grading(incident_id, grading, report, revision=0)
        doc = await self.store.get(incident_id)
        if doc is not None and not doc.get("routed"):
            await self._route(doc)

    async def _record_grading(self, incident_id: str, grading: Grading, report: ReportV1, *, revision: int) -> None:
        level_text = f"{grading.level}级" if grading.level else "待定级"
        text = f"建议定级：{level_text}；依据：{'；'.join(grading.reasons)}（规则版本 {self.rules.version}）"
        if await self.store.add_timeline(incident_id, self._entry(f"graded:{revision}", "grading", text)):
            event = IncidentGraded(
                incident_id=incident_id,
                graded_at=self.clock.now(),
                level=grading.level,
                category=report.category,
                reasons=grading.reasons,
                rules_version=self.rules.version,
            )
            await self.outbox.add(f"{INCIDENT_GRADED}:{incident_id}:{revision}", INCIDENT_GRADED, event)

    async def _route(self, doc: dict[str, Any]) -> None:
        incident_id = doc["_id"]
        try:
            answer = await self.ask_on_duty(OnDutyQuery(at=self.clock.now(), category=doc["category"]))
        except TimeoutError as exc:
            raise RetryLater("值班安排服务未应答，稍后重试") from exc
        recipients = [(person, "duty_officer") for person in answer.duty_officers]
        if reaches(doc["level"], self.rules.notify_leader_from_level) and answer.leader_in_charge:
            recipients.append((answer.leader_in_charge, "leader_in_charge"))
        facts = doc["facts"]
        occurred = doc.get("occurred_at")
        for person, purpose in recipients:
            subject, body = incident_notice(
                title=doc["title"],
                level=doc["level"],
                category=doc["category"],
                place=doc.get("place"),
                occurred_local=to_local(occurred) if occurred else None,
                casualties=casualty_phrase(
                    facts.get("deaths"), facts.get("serious_injuries"), facts.get("injuries"), facts.get("missing")
                ),
                unit=doc["unit"],
                purpose=purpose,
            )
            notification_id = f"{incident_id}_initial_{person}"
            command = SendNotification(
                notification_id=notification_id,
                person_id=person,
                channels=[NotifyChannel.sms],
                classification=doc["classification"],
                subject=subject,
                body=body,
                incident_id=incident_id,
                requested_at=self.clock.now(),
            )
            await self.outbox.add(f"{NOTIFY_SEND}:{notification_id}", NOTIFY_SEND, command)
            who = "值班人员" if purpose == "duty_officer" else "分管领导"
            await self.store.add_timeline(
                incident_id,
                self._entry(f"notify_requested:{notification_id}", "notification", f"通知{who} {person}",
                            notification_id=notification_id, person_id=person),
            )
        await self.store.set(incident_id, {"routed": True, "on_duty": answer.model_dump(mode="json", by_alias=True)})

    async def on_report_attached(self, event: ReportAttached) -> None:
        doc = await self.store.get(event.incident_id)
        if doc is None:
            raise RetryLater(f"事件 {event.incident_id} 尚未建立，稍后重试")
        key = f"attached:{event.report.source.system}/{event.report.source.report_id}"
        added = await self.store.add_timeline(
            event.incident_id,
            self._entry(key, "report", f"续报：{event.report.source.unit}《{event.report.title}》", event.attached_at),
        )
        if not added:
            return
        facts = merge_facts(Facts(**doc["facts"]), facts_of(event.report))
        grading = grade(facts, self.rules.table_for(doc["category"]))
        revision = sum(1 for e in doc["timeline"] if e["kind"] == "grading")
        await self.store.set(
            event.incident_id, {"facts": facts.__dict__, "level": grading.level, "grading_reasons": grading.reasons}
        )
        if grading.level != doc["level"]:
            await self._record_grading(event.incident_id, grading, event.report, revision=revision)

    async def on_notification_status(self, event: NotificationStatus) -> None:
        if event.incident_id is None or await self.store.get(event.incident_id) is None:
            return
        names = {"sending": "发送中", "sent": "已发出", "delivered": "已送达", "acknowledged": "已确认",
                 "failed_temporary": "暂时失败（将重试）", "failed_permanent": "发送失败", "pending": "待发送"}
        text = f"通知 {event.person_id}：{names[event.state.value]}（{event.gateway or event.channel or ''}）{event.detail}"
        await self.store.add_timeline(
            event.incident_id,
            self._entry(f"notify:{event.notification_id}:{event.state.value}", "notification_status", text, event.at,
                        notification_id=event.notification_id, state=event.state.value),
        )
        await self.store.set(event.incident_id, {f"notifications.{_field(event.notification_id)}": event.state.value})


def _field(notification_id: str) -> str:
    return notification_id.replace(".", "_").replace("$", "_")
