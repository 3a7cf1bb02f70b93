"""Escalation's service layer: assess each incident, keep its level history, gate it through review, route
it, run its clocks. Every step is keyed (timeline keys, outbox ids, timer keys) so a redelivered event
changes nothing twice; every change to an incident is one write guarded by its revision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog

from services.escalation.codec import history_from_doc, history_to_doc, review_from_doc, review_to_doc
from services.escalation.domain.assessment import Assessment, LevelHistory, assess
from services.escalation.domain.calendar import HolidayCalendar, TableCalendar
from services.escalation.domain.clocks import stage_name
from services.escalation.domain.deadlines import Happening
from services.escalation.domain.grading import LEVEL_ORDER, Facts
from services.escalation.domain.review import Actor, ReviewCase, review_reasons, submit
from services.escalation.domain.rules import Rules, RulesError, load_rules, unknown_addressees
from services.escalation.errors import ConflictError, RecordError
from services.escalation.service_items import ItemUseCases
from services.escalation.service_reports import ReportingUseCases
from services.escalation.service_review import ReviewUseCases
from services.escalation.service_roster import HeldDuty, RosterUseCases
from services.escalation.service_routing import RoutingUseCases
from services.escalation.service_timers import TimerUseCases
from services.escalation.store import EscalationStore
from shared.bus import RetryLater
from shared.clock import Clock, as_utc
from shared.contracts import (
    IncidentGraded,
    IncidentOpened,
    OnDutyAnswer,
    OnDutyQuery,
    ReportAttached,
    ReportV1,
)
from shared.contracts.escalation import TimerDue
from shared.outbox import Outbox
from shared.topology import INCIDENT_GRADED

log = structlog.get_logger("zhiban.escalation")
AskOnDuty = Callable[[OnDutyQuery], Awaitable[OnDutyAnswer]]
Recirculate = Callable[[TimerDue, int], Awaitable[None]]
SYSTEM = Actor("system", "duty_officer")
FACT_FIELDS = tuple(Facts.__dataclass_fields__)


def facts_of(report: ReportV1) -> Facts:
    c = report.casualties
    return Facts(
        deaths=c.deaths, injuries=c.injuries, serious_injuries=c.serious_injuries, missing=c.missing,
        trapped=c.trapped, evacuated=report.evacuated, economic_loss_cny=report.economic_loss_cny,
        ill=c.ill, collective_unit_ill=c.collective_unit_ill, magnitude=report.magnitude,
        dense_area=report.dense_area, participants=report.participants,
    )


def merge_facts(a: Facts, b: Facts) -> Facts:
    """A follow-up's facts update the incident: the larger known figure stands."""

    def larger(x: Any, y: Any) -> Any:
        return y if x is None else x if y is None else max(x, y)

    return Facts(**{name: larger(getattr(a, name), getattr(b, name)) for name in FACT_FIELDS})


def more_serious(a: str | None, b: str | None) -> bool:
    """True when level ``a`` is more serious than ``b``."""
    return a is not None and (b is None or LEVEL_ORDER[a] < LEVEL_ORDER[b])


class EscalationService(ReviewUseCases, RoutingUseCases, TimerUseCases, ItemUseCases, ReportingUseCases,
                        RosterUseCases):
    def __init__(
        self, *, store: EscalationStore, outbox: Outbox, clock: Clock, rules: Rules, ask_on_duty: AskOnDuty,
        calendar: HolidayCalendar | None = None, read_rules: Callable[[], str] | None = None,
        duty_head_id: str | None = None, recirculate: Recirculate | None = None,
        broker_live: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.rules = rules
        self.ask_on_duty = ask_on_duty
        self.calendar = calendar or TableCalendar()
        self.read_rules = read_rules
        self.duty_head_id = duty_head_id
        self.recirculate = recirculate
        self.broker_live = broker_live
        self.directory: tuple[set[str], set[str]] | None = None  # (known ids, area codes) where it is known

    # ------------------------------------------------------------------ rules
    def reload_rules(self) -> Rules:
        """Read and validate the rules file again; on any problem (RulesError) the active rules stay."""
        if self.read_rules is None:
            raise RuntimeError("no rules source configured")
        rules = load_rules(self.read_rules())
        self._check_directory(rules)
        self.rules = rules
        return self.rules

    async def use_directory(self, known: set[str], area_codes: set[str]) -> None:
        """Where the directory is known (demo mode: the people notify is seeded with), every addressee of the
        rules must be in it — at start-up (RulesError stops the service) and on every reload."""
        self.directory = (set(known), set(area_codes))
        self._check_directory(self.rules)

    def _check_directory(self, rules: Rules) -> None:
        if self.directory is not None:
            known, areas = self.directory
            problems = unknown_addressees(rules, known, area_codes=areas)
            if problems:
                raise RulesError(problems)

    def _entry(self, key: str, kind: str, text: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
        return {"key": key, "at": at or self.clock.now(), "kind": kind, "text": text,
                "rules_version": self.rules.version, **extra}

    def _assess(self, doc: dict[str, Any]) -> Assessment:
        occurred = doc.get("occurred_at")
        return assess(Facts(**doc["facts"]), doc["category"], doc.get("text_all", ""), doc.get("area_code"),
                      as_utc(occurred) if occurred else None, self.rules, self.calendar)

    async def _on_duty(self, category: str | None) -> OnDutyAnswer:
        return (await self._duty_now(category))[0]

    async def _duty_now(self, category: str | None) -> tuple[OnDutyAnswer, HeldDuty | None]:
        """Scheduling's answer (primary); when it does not come, the published roster held here (fallback,
        service_roster.py) — returned with what it was made from, so the caller can mark the timeline."""
        now = self.clock.now()
        try:
            return await self.ask_on_duty(OnDutyQuery(at=now, category=category)), None
        except Exception as exc:  # no answer, or scheduling's queue not there yet
            held = await self.held_duty(now)
            if held is None:  # nothing held covers now either: transient, try again later
                raise RetryLater(f"值班安排服务未应答，且无覆盖当前时间的已发布排班表，稍后重试（{type(exc).__name__}）") from exc
            log.warning("on-duty answer from the published roster", reason=type(exc).__name__,
                        roster_id=held.on_shift.roster_id)
            return held.answer, held

    # ------------------------------------------------------------------ incidents from intake
    async def on_incident_opened(self, event: IncidentOpened) -> None:
        report = event.primary
        now = self.clock.now()
        incident_id = event.incident_id
        received = report.received_at or event.opened_at
        doc: dict[str, Any] = {
            "_id": incident_id, "opened_at": event.opened_at, "title": report.title,
            "category": report.category.value, "area_code": report.area_code, "place": report.place,
            "occurred_at": report.occurred_at, "received_at": received, "unit": report.source.unit,
            "classification": report.classification.value, "measures": report.measures or "",
            "text_all": f"{report.title}\n{report.place or ''}\n{report.text}",
            "facts": facts_of(report).__dict__, "revision": 0, "routed": False, "notifications": {},
            "reports": [{"unit": report.source.unit, "received_at": received, "report_id": report.source.report_id}],
            "stages": [{"stage": "初报", "at": received, "unit": report.source.unit, "title": report.title}],
        }
        assessment = self._assess(doc)
        history = LevelHistory().suggest(assessment, at=now)
        case = self._submit(ReviewCase(incident_id), assessment.level, assessment.sensitive, False, 0)
        doc.update(self._grading_fields(assessment, history), review=review_to_doc(case), review_cycles=[])
        doc["timeline"] = [
            self._entry("opened", "report", f"收到首报（初报）：{report.source.unit}《{report.title}》", event.opened_at),
            self._grading_entry("graded:0", assessment),
            self._review_entry(case, 0),
        ]
        if await self.store.create(doc):
            await self._publish_grading(incident_id, assessment, history, 0)
        stored = await self.store.get(incident_id)
        if stored is not None:
            await self._proceed(stored)

    async def on_report_attached(self, event: ReportAttached) -> None:
        doc = await self.store.get(event.incident_id)
        if doc is None:
            raise RetryLater(f"事件 {event.incident_id} 尚未建立，稍后重试")
        key = f"attached:{event.report.source.system}/{event.report.source.report_id}"
        report = event.report
        received = report.received_at or event.attached_at
        if any(e["key"] == key for e in doc["timeline"]):
            await self._proceed(doc)
            stage = next((s["stage"] for s in doc.get("stages", [])
                          if s.get("report_id") == report.source.report_id), None)
            if stage is not None:  # a redelivery finishes what a crash may have left: the deadlines it meets
                await self._meet(doc["_id"], self._report_happening(stage, received, report))
            return
        n = len(doc.get("stages", []))
        stage = "终报" if "终报" in report.title else stage_name(n)
        changed = {
            "facts": merge_facts(Facts(**doc["facts"]), facts_of(report)).__dict__,
            "text_all": doc.get("text_all", "") + f"\n{report.title}\n{report.text}",
            "reports": doc.get("reports", []) + [{"unit": report.source.unit, "received_at": received,
                                                  "report_id": report.source.report_id}],
            "stages": doc.get("stages", []) + [{"stage": stage, "at": received, "unit": report.source.unit,
                                                "title": report.title, "report_id": report.source.report_id}],
        }
        entry = self._entry(key, "report", f"{stage}：{report.source.unit}《{report.title}》", event.attached_at)
        await self._regrade(doc, changed, [entry], reason=f"{stage}后重新评估")
        await self._meet(doc["_id"], self._report_happening(stage, received, report))

    @staticmethod
    def _report_happening(stage: str, received: datetime, report: ReportV1) -> Happening:
        return Happening("final_report" if stage == "终报" else "follow_up_report", as_utc(received),
                         f"{stage}：{report.source.unit}《{report.title}》")

    async def _regrade(self, doc: dict[str, Any], changed: dict[str, Any], entries: list[dict[str, Any]], *,
                       reason: str, history: LevelHistory | None = None) -> dict[str, Any]:
        """Re-assess after new facts or a level decision; reopen review when the change requires it."""
        now = self.clock.now()
        revision = doc["revision"] + 1
        merged = {**doc, **changed}
        assessment = self._assess(merged)
        if history is None:
            history = history_from_doc(doc.get("level_history")).suggest(assessment, at=now)
        fields = {**changed, **self._grading_fields(assessment, history), "revision": revision}
        case = review_from_doc(doc["_id"], doc.get("review"))
        released_level = doc.get("released_level")
        needs = review_reasons(history.current, assessment.sensitive, history.may_escalate, self.rules.review) \
            if self.rules.review else []
        if needs and case.state in ("not_required", "approved", "post_reviewed") and (
            case.state == "not_required" or more_serious(history.current, released_level)
        ):
            fields["review_cycles"] = doc.get("review_cycles", []) + [review_to_doc(case)]
            case = self._submit(ReviewCase(doc["_id"]), history.current, assessment.sensitive,
                                history.may_escalate, revision)
            fields["review"] = review_to_doc(case)
            entries = entries + [self._review_entry(case, revision)]
        entries = entries + [self._grading_entry(f"graded:{revision}", assessment, history, reason)]
        if not await self.store.update_at_revision(doc["_id"], doc["revision"], fields, entries):
            raise ConflictError(f"事件 {doc['_id']} 已被他人更新，请刷新后重试")
        if history.current != doc.get("level") or assessment.sensitive != doc.get("sensitive"):
            await self._publish_grading(doc["_id"], assessment, history, revision)
        updated = await self.store.get(doc["_id"])
        assert updated is not None
        await self._proceed(updated)
        return updated

    def _submit(self, case: ReviewCase, level: str | None, sensitive: bool, may_escalate: bool,
                revision: int) -> ReviewCase:
        reasons = review_reasons(level, sensitive, may_escalate, self.rules.review) if self.rules.review else []
        return submit(case, reasons=reasons, by=SYSTEM, at=self.clock.now(), revision=revision)

    def _grading_fields(self, a: Assessment, history: LevelHistory) -> dict[str, Any]:
        return {
            "level": history.current, "suggested_level": a.level, "grading_reasons": a.reasons,
            "sensitive": a.sensitive, "sensitive_reasons": a.sensitive_reasons,
            "may_escalate": history.may_escalate, "rules_version": self.rules.version,
            "level_history": history_to_doc(history),
        }

    def _grading_entry(self, key: str, a: Assessment, history: LevelHistory | None = None,
                       why: str = "") -> dict[str, Any]:
        level_text = f"{a.level}级" if a.level else "待定级"
        text = f"建议定级：{level_text}；依据：{'；'.join(a.reasons)}"
        if a.sensitive:
            text += f"；敏感：{'；'.join(a.sensitive_reasons)}"
        if history is not None and history.current != a.level:
            text += f"；现行等级：{history.current or '待定'}级（人工定级）"
        text += f"（规则版本 {self.rules.version}{'，' + why if why else ''}）"
        return self._entry(key, "grading", text, level=a.level, sensitive=a.sensitive)

    async def _publish_grading(self, incident_id: str, a: Assessment, history: LevelHistory, revision: int) -> None:
        doc = await self.store.get(incident_id)
        category = doc["category"] if doc else "other"
        event = IncidentGraded(
            incident_id=incident_id, graded_at=self.clock.now(), level=history.current, category=category,
            sensitive=a.sensitive, reasons=a.reasons, rules_version=self.rules.version,
            sensitive_reasons=a.sensitive_reasons, may_escalate=history.may_escalate,
        )
        await self.outbox.add(f"{INCIDENT_GRADED}:{incident_id}:{revision}", INCIDENT_GRADED, event)

    # ------------------------------------------------------------------ officer's level decisions
    async def decide_level(self, incident_id: str, *, action: str, by: str, shown_revision: int,
                           level: str | None = None, reason: str = "", may_escalate: bool | None = None
                           ) -> dict[str, Any]:
        """confirm | override | may_escalate — LevelChangeError (Chinese) when it cannot be recorded."""
        doc = await self._current(incident_id, shown_revision)
        now, version = self.clock.now(), self.rules.version
        history = history_from_doc(doc.get("level_history"))
        if action == "confirm":
            history = history.confirm(by=by, at=now, rules_version=version)
            text = f"{by} 确认等级：{history.current}级"
        elif action == "override":
            history = history.override(level or "", reason=reason, by=by, at=now, rules_version=version)
            text = f"{by} 更改等级为 {history.current}级，理由：{reason.strip()}"
        else:
            history = history.set_may_escalate(bool(may_escalate), reason=reason, by=by, at=now, rules_version=version)
            text = f"{by} {'标记' if may_escalate else '取消'}“可能升级”，理由：{reason.strip()}"
        entry = self._entry(f"level:{doc['revision'] + 1}", "level_decision", text, by=by, action=action)
        return await self._regrade(doc, {}, [entry], reason="人工定级", history=history)

    # ------------------------------------------------------------------ officer's records
    async def log_call(self, incident_id: str, *, by: str, person: str, direction: str, summary: str,
                       reported_to_leader: bool, at: datetime | None = None) -> dict[str, Any]:
        """A call the officer made or took, on the timeline; a report phoned to a leader meets the phone deadline."""
        doc, when = await self._record_time(incident_id, at)
        words = "致电" if direction == "out" else "来电"
        text = f"{by} {words} {person}：{summary.strip()}" + ("（已电话报告领导）" if reported_to_leader else "")
        entry = self._entry(f"call:{by}:{when:%Y%m%dT%H%M%S}:{person}", "call", text, when, by=by, person_id=person,
                            direction=direction, reported_to_leader=reported_to_leader)
        await self.store.add_timeline(incident_id, entry)
        if reported_to_leader:
            await self._meet(incident_id, Happening("leader_called", when, f"{by} 电话报告 {person}"))
        return await self._current(incident_id, None)

    async def record_written_report(self, incident_id: str, *, by: str, to: str, document_ref: str,
                                    at: datetime | None = None) -> dict[str, Any]:
        """A written report delivered by another way (hand, secure network): meets the written deadline."""
        doc, when = await self._record_time(incident_id, at)
        text = f"{by} 登记书面报告已报送 {to}（{document_ref.strip()}）"
        await self.store.add_timeline(incident_id, self._entry(
            f"written:{by}:{when:%Y%m%dT%H%M%S}:{to}", "written_report", text, when, by=by, to=to,
            document_ref=document_ref))
        await self._meet(incident_id, Happening("written_recorded", when, text))
        return await self._current(incident_id, None)

    async def _record_time(self, incident_id: str, at: datetime | None) -> tuple[dict[str, Any], datetime]:
        doc = await self._current(incident_id, None)
        now = self.clock.now()
        when = as_utc(at) if at is not None else now
        if when > now:
            raise RecordError(f"登记时间不能晚于当前时间（{when:%Y-%m-%d %H:%M} UTC）")
        if when < as_utc(doc["received_at"]):
            raise RecordError("登记时间不能早于收到首报的时间")
        return doc, when

    async def _current(self, incident_id: str, shown_revision: int | None) -> dict[str, Any]:
        doc = await self.store.get(incident_id)
        if doc is None:
            raise LookupError(f"事件不存在或尚未处理：{incident_id}")
        if shown_revision is not None and shown_revision != doc["revision"]:
            raise ConflictError(f"事件已在您查看后更新（您看到第{shown_revision}版，当前第{doc['revision']}版），请刷新后重试")
        return doc

    # ------------------------------------------------------------------ what follows every change
    async def _proceed(self, doc: dict[str, Any]) -> None:
        """Idempotent follow-through: tell the officers, hold or release for leaders, plan the timers."""
        answer, held = await self._duty_now(doc["category"])
        if held is not None:
            await self.store.add_timeline(doc["_id"], self._held_entry(held))
        await self._tell_officers(doc, answer)
        case = review_from_doc(doc["_id"], doc.get("review"))
        if case.state == "awaiting_review":
            await self._plan_review_timers(doc, case)
        elif case.may_go_to_leaders:
            await self._release(doc, answer, case, away=held.away if held else [])
        await self._plan_deadlines(doc)
        await self.store.set(doc["_id"], {"on_duty": answer.model_dump(mode="json", by_alias=True),
                                          "on_duty_source": "published_roster" if held else "scheduling"})
