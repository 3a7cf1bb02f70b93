"""Intake's service layer: receive a report from any channel, deduplicate, open or attach, publish.

Steps are idempotent so a redelivered report (or a crash half-way) converges on the same state:
the report key (system, report_id) is unique, the incident id is derived from its primary report, and
events go through the outbox under deterministic ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from services.intake.domain.elements import describe_missing, missing_elements
from services.intake.store import IntakeStore, report_key
from shared.bus import Parked
from shared.clock import Clock, as_utc
from shared.contracts import IncidentOpened, ReportAttached, ReportV1
from shared.outbox import Outbox
from shared.settings import IntakeSettings
from shared.topology import INCIDENT_OPENED, REPORT_ATTACHED

log = structlog.get_logger("zhiban.intake")


@dataclass(frozen=True)
class Sender:
    """Who handed us the report: the broker-validated AMQP user, or the authenticated HTTP caller."""

    channel: str  # "bus" | "http"
    user: str | None
    system: str | None = None  # for HTTP unit-system callers: the system they are registered as


@dataclass
class ReceiveResult:
    status: str  # opened | attached | duplicate
    incident_id: str
    report_key: str
    missing_elements: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "incident_id": self.incident_id,
            "report_key": self.report_key,
            "missing_elements": self.missing_elements,
            "missing_message": describe_missing(self.missing_elements),
        }


def incident_id_for(primary: ReportV1) -> str:
    digest = hashlib.sha256("/".join(primary.key).encode()).hexdigest()[:10].upper()
    day = (primary.received_at or primary.occurred_at)
    return f"INC-{day:%Y%m%d}-{digest}" if day else f"INC-{digest}"


class IntakeService:
    def __init__(self, *, store: IntakeStore, outbox: Outbox, clock: Clock, settings: IntakeSettings) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    def check_sender(self, report: ReportV1, sender: Sender) -> None:
        """A report may only speak for the system its sender is: anything else is spoofed."""
        system = report.source.system
        if sender.channel == "bus":
            expected = self.settings.system_users.get(system)
            if self.settings.system_users and expected is None:
                raise Parked("unknown_system", f"未登记的报送系统：{system}")
            if expected is not None and sender.user != expected:
                raise Parked(
                    "spoofed",
                    f"发送者身份不符：系统 {system} 应由用户 {expected} 发送，实际为 {sender.user or '（未标明）'}",
                )
        elif sender.system is not None and sender.system != system:
            raise Parked("spoofed", f"发送者身份不符：令牌属于系统 {sender.system}，报告自称 {system}")

    async def receive(self, report: ReportV1, *, sender: Sender) -> ReceiveResult:
        self.check_sender(report, sender)
        now = self.clock.now()
        report = report.with_received_at(now)
        key = report_key(*report.key)
        missing = missing_elements(report)
        incident_id, is_primary, reason = await self._place(report)
        doc = {
            "_id": key,
            "system": report.source.system,
            "report_id": report.source.report_id,
            "unit": report.source.unit,
            "report": report.model_dump(mode="json", by_alias=True),
            "received_at": as_utc(report.received_at or now),
            "recorded_at": now,
            "incident_id": incident_id,
            "primary": is_primary,
            "missing_elements": missing,
            "duplicates": 0,
            "sender": {"channel": sender.channel, "user": sender.user},
        }
        if not await self.store.insert_report(doc):
            return await self._duplicate(key, now)
        if is_primary:
            await self._open(incident_id, report, key, missing, now)
        else:
            await self._attach(incident_id, report, key, reason, now)
        return ReceiveResult("opened" if is_primary else "attached", incident_id, key, missing)

    async def _place(self, report: ReportV1) -> tuple[str, bool, str]:
        """Which incident this report belongs to: an explicit follow-up, or a new incident."""
        if report.follow_up_of:
            earlier = await self.store.get_report(report_key(report.source.system, report.follow_up_of))
            if earlier is not None:
                return earlier["incident_id"], False, f"续报：本系统先前报告 {report.follow_up_of}"
        return incident_id_for(report), True, "首报"

    async def _duplicate(self, key: str, now: datetime) -> ReceiveResult:
        original = await self.store.count_duplicate(key, now)
        assert original is not None
        # a redelivery after a crash: make sure the original's event is in the outbox
        if original["primary"]:
            report = ReportV1.model_validate(original["report"])
            await self._open(original["incident_id"], report, key, original["missing_elements"], now)
        log.info("duplicate report", report_key=key, times=original["duplicates"])
        return ReceiveResult("duplicate", original["incident_id"], key, original["missing_elements"])

    async def _open(self, incident_id: str, report: ReportV1, key: str, missing: list[str], now: datetime) -> None:
        await self.store.insert_incident(
            {
                "_id": incident_id,
                "opened_at": now,
                "primary_report": key,
                "report_keys": [key],
                "title": report.title,
                "category": report.category.value,
                "area_code": report.area_code,
                "place": report.place,
                "occurred_at": as_utc(report.occurred_at) if report.occurred_at else None,
                "classification": report.classification.value,
                "status": "open",
                "missing_elements": missing,
                "casualties": report.casualties.model_dump(),
                "timeline": [{"at": now, "kind": "opened", "report": key, "text": f"首报：{report.source.unit}"}],
            }
        )
        event = IncidentOpened(incident_id=incident_id, opened_at=now, primary=report, missing_elements=missing)
        await self.outbox.add(f"{INCIDENT_OPENED}:{incident_id}", INCIDENT_OPENED, event)

    async def _attach(self, incident_id: str, report: ReportV1, key: str, reason: str, now: datetime) -> None:
        entry = {"at": now, "kind": "report_attached", "report": key, "text": f"{reason}（{report.source.unit}）"}
        await self.store.attach(incident_id, key, entry)
        event = ReportAttached(incident_id=incident_id, attached_at=now, report=report, reason=reason)
        await self.outbox.add(f"{REPORT_ATTACHED}:{key}", REPORT_ATTACHED, event)

    async def record_parked(self, doc: dict[str, Any]) -> None:
        await self.store.park(doc)
