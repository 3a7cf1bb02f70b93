"""Intake's service layer: normalise a report from any channel, deduplicate, place it (same event or new
incident), keep every report, publish through the outbox.

Placement is serialised per partition (an in-process lock plus a claim document in the store, taken
with one atomic find_one_and_update), so two reports of one event never open two incidents, even with
several intake processes on a shared MongoDB. Steps are idempotent: the report key (system, report_id)
is unique, the incident id is derived from its first report, events carry deterministic ids, and a
redelivered report repairs whatever a crash left half done.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.intake.domain.areas import AreaTable
from services.intake.domain.elements import describe_missing, missing_elements
from services.intake.domain.grading import grading_order, grading_text
from services.intake.domain.matching import IncidentView, MatchConfig, MatchDecision, decide
from services.intake.domain.normalise import parse_report
from services.intake.partitions import partition_of
from services.intake.placement_index import CachedIncident, PartitionIndex
from services.intake.service_incidents import REFRESHED, IncidentWriter, Writes
from services.intake.store import IntakeStore, report_key
from shared.bus import Parked, RetryLater
from shared.clock import Clock, as_utc
from shared.contracts import IncidentGraded, ReportV1
from shared.outbox import Outbox
from shared.settings import IntakeSettings

log = structlog.get_logger("zhiban.intake")
CLAIM_LEASE = timedelta(seconds=30)
CLAIM_WAIT_S = 20.0
QUIET_TURNS = 4  # event-loop turns without a new report before a batch is placed


class IntakeError(Exception):
    """A refused officer action: HTTP status, machine code, Chinese message (api.py turns it into ApiError)."""

    def __init__(self, status: int, code: str, message_zh: str) -> None:
        super().__init__(message_zh)
        self.status, self.code, self.message_zh = status, code, message_zh


@dataclass(frozen=True)
class Sender:
    """Who handed us the report: the broker-validated AMQP user, or the authenticated HTTP caller."""

    channel: str  # "bus" | "http"
    user: str | None
    system: str | None = None  # for HTTP unit-system callers: the system they are registered as
    routing_key: str | None = None  # bus: report.<area>.<system> (topic permissions bind it to the user)


@dataclass
class ReceiveResult:
    status: str  # opened | attached | duplicate
    incident_id: str
    report_key: str
    missing_elements: list[str] = field(default_factory=list)
    primary: bool = False
    match: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "incident_id": self.incident_id,
            "report_key": self.report_key,
            "primary": self.primary,
            "missing_elements": self.missing_elements,
            "missing_message": describe_missing(self.missing_elements),
            "match": self.match,
        }


@dataclass
class _Waiting:
    """A report waiting for its partition's placer, and where its outcome goes."""

    report: ReportV1
    key: str
    sender: Sender
    extra: dict[str, Any] | None
    now: datetime
    result: asyncio.Future[ReceiveResult]


def incident_id_for(primary: ReportV1) -> str:
    digest = hashlib.sha256("/".join(primary.key).encode()).hexdigest()[:10].upper()
    day = primary.received_at or primary.occurred_at
    return f"INC-{day:%Y%m%d}-{digest}" if day else f"INC-{digest}"


class IntakeService:
    def __init__(
        self, *, store: IntakeStore, outbox: Outbox, clock: Clock, settings: IntakeSettings,
        match: MatchConfig | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.areas = AreaTable.load(settings.region)
        self.match = match or MatchConfig()
        self.writer = IncidentWriter(store, outbox, self.areas)
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[int, list[_Waiting]] = {}
        self._placers: dict[int, asyncio.Task[None]] = {}
        self._indexes: dict[int, PartitionIndex] = {}
        self._holder = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # ---- normalisation ---------------------------------------------------------------------------
    def normalise(self, raw: bytes | dict[str, Any]) -> ReportV1:
        """Raw input → ReportV1 in UTC, or ReportRejected naming the field."""
        now = self.clock.now()
        return parse_report(raw, received_at=now, now=now, areas=self.areas, max_bytes=self.settings.max_message_bytes)

    def partition(self, report: ReportV1) -> int:
        return partition_of(report.area_code, self.areas, self.settings.partitions)

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
            parts = (sender.routing_key or "").split(".")
            if len(parts) == 3 and parts[2] != system:
                raise Parked("spoofed", f"路由键 {sender.routing_key} 所属系统 {parts[2]} 与报告自称的 {system} 不符")
        elif sender.system is not None and sender.system != system:
            raise Parked("spoofed", f"发送者身份不符：令牌属于系统 {sender.system}，报告自称 {system}")

    # ---- receive ---------------------------------------------------------------------------------
    async def receive(self, report: ReportV1, *, sender: Sender, extra: dict[str, Any] | None = None) -> ReceiveResult:
        """Place one normalised report (received_at set now). ``extra`` is kept on the report document
        (recording officer, callback number, ids of kept originals).

        Reports that arrive together (the bus delivers many at once; a batch over HTTP) are placed together:
        the first one starts its partition's placer, which takes every report of that partition waiting by
        then — up to ``placement_batch`` — and places them one after the other in the order received, under
        one claim, deciding each against the index as the ones before it left it, and writes them at once
        (``Writes``). Alone, a report is a batch of one."""
        # a caller that goes away cancels only this future: the placer places the report all the same
        return await self.submit(report, sender=sender, extra=extra)

    def submit(self, report: ReportV1, *, sender: Sender,
               extra: dict[str, Any] | None = None) -> asyncio.Future[ReceiveResult]:
        """``receive`` without waiting: the report is queued for its partition's placer and the future gets
        its outcome (the report pump hands over every report of a delivery this way). Raises Parked for a
        report its sender may not send."""
        self.check_sender(report, sender)
        now = self.clock.now()
        report = report.with_received_at(now)
        partition = self.partition(report)
        waiting = _Waiting(report, report_key(*report.key), sender, extra, now, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(partition, []).append(waiting)
        if partition not in self._placers:
            self._placers[partition] = asyncio.create_task(self._placer(partition), name=f"intake:place:{partition}")
        return waiting.result

    async def _placer(self, partition: int) -> None:
        queue = self._waiting[partition]
        try:
            while True:
                # let the reports delivered meanwhile join this batch: a delivery takes a few turns of the
                # event loop to reach receive() (socket → frame reader → channel → consumer task), so wait
                # until the queue has not grown for QUIET_TURNS turns (microseconds for a report alone)
                size, quiet, turns = len(queue), 0, 0
                while quiet < QUIET_TURNS and len(queue) < self.settings.placement_batch and turns < 64:
                    await asyncio.sleep(0)
                    quiet, size, turns = (quiet + 1 if len(queue) == size else 0), len(queue), turns + 1
                if not queue:
                    return
                batch = queue[:self.settings.placement_batch]
                del queue[:len(batch)]
                try:
                    outcomes = await self._place_batch(partition, batch)
                except Exception as exc:
                    if len(batch) > 1 and not isinstance(exc, RetryLater | Parked):
                        # one report's trouble must not fail the others: place them one by one
                        outcomes = [await self._place_alone(partition, w) for w in batch]
                    else:
                        outcomes = [exc] * len(batch)
                for w, outcome in zip(batch, outcomes, strict=True):
                    if w.result.done():
                        continue
                    if isinstance(outcome, BaseException):
                        w.result.set_exception(outcome)
                    else:
                        w.result.set_result(outcome)
        finally:
            del self._placers[partition]
            for w in queue:  # cancelled (shutting down): nobody will place them here
                if not w.result.done():
                    w.result.set_exception(RetryLater("intake is stopping"))
            queue.clear()

    async def _place_alone(self, partition: int, waiting: _Waiting) -> ReceiveResult | BaseException:
        try:
            return (await self._place_batch(partition, [waiting]))[0]
        except Exception as exc:
            return exc

    async def _place_batch(self, partition: int, batch: list[_Waiting]) -> list[ReceiveResult | BaseException]:
        """Place a batch of one partition's reports under one claim; one outcome per report, in order."""
        outcomes: list[ReceiveResult | BaseException | None] = [None] * len(batch)
        duplicates: list[int] = []
        async with self._placement(partition) as index:
            known = await self.store.reports_by_key(list({w.key for w in batch}))
            plan = Writes()
            placed: set[str] = set()
            for i, w in enumerate(batch):
                if w.key in known or w.key in placed:
                    duplicates.append(i)
                    continue
                placed.add(w.key)
                outcomes[i] = await self._plan(w, partition, index, plan)
            if not await plan.flush(self.store, self.outbox):
                index.reset()  # an incident to open was there already: read the store again when next needed
            for i in duplicates:
                w = batch[i]
                try:
                    outcomes[i] = await self._duplicate(w.key, w.now, index)
                except Exception as exc:
                    outcomes[i] = exc
        return [o for o in outcomes if o is not None]

    async def _plan(self, w: _Waiting, partition: int, index: PartitionIndex, plan: Writes) -> ReceiveResult:
        report, key, now = w.report, w.key, w.now
        decision = await self._decide(report, partition, index)
        missing = missing_elements(report)
        incident_id = decision.incident_id or incident_id_for(report)
        stored = report.model_dump(mode="json", by_alias=True)
        doc = {
            "_id": key,
            "system": report.source.system,
            "report_id": report.source.report_id,
            "unit": report.source.unit,
            "channel": report.channel.value,
            "report": stored,
            "received_at": as_utc(report.received_at or now),
            "recorded_at": now,
            "incident_id": incident_id,
            "primary": decision.incident_id is None,
            "missing_elements": missing,
            "duplicates": 0,
            "sender": {"channel": w.sender.channel, "user": w.sender.user},
            "match": {"score": decision.score, "features": decision.features, "reason": decision.reason_zh},
            **(w.extra or {}),
        }
        plan.add_report(doc)
        as_stored = ReportV1.model_validate(stored)  # what a later read of the store gives
        if decision.incident_id is None:
            await self.writer.open(incident_id, as_stored, key, partition, now, index=index, plan=plan)
            primary = True
        else:
            primary = await self.writer.attach(incident_id, as_stored, key, decision, now, index=index, plan=plan)
        return ReceiveResult("opened" if decision.incident_id is None else "attached", incident_id, key, missing,
                             primary, doc["match"])

    async def _decide(self, report: ReportV1, partition: int, index: PartitionIndex) -> MatchDecision:
        when = report.occurred_at or report.received_at
        assert when is not None
        window = max(self.match.time_window, self.match.received_fallback_window)
        near = await index.candidates(as_utc(when) - window, as_utc(when) + window,
                                      lambda since, until: self._load(partition, since, until))
        views = [IncidentView(c.incident_id, list(c.reports.values())) for c in near if c.reports]
        if report.follow_up_of:  # an explicit follow-up links even outside the window
            earlier = await self.store.get_report(report_key(report.source.system, report.follow_up_of))
            if earlier is not None and earlier["incident_id"] not in {v.incident_id for v in views}:
                cached = index.get(earlier["incident_id"])
                views += [IncidentView(cached.incident_id, list(cached.reports.values()))] if cached and \
                    cached.reports else await self._views([earlier["incident_id"]])
        return decide(report, views, self.match, self.areas)

    async def _load(self, partition: int, since: datetime, until: datetime) -> list[CachedIncident]:
        """The open incidents of a partition reaching into [since, until], with their reports, from the store."""
        incidents = await self.store.candidates(partition, since, until)
        if not incidents:
            return []
        out = {d["_id"]: CachedIncident(d["_id"], d["primary_report"], d.get("casualties") or {}, d["event_from"],
                                        d["event_to"], written={k: d[k] for k in REFRESHED if k in d})
               for d in incidents}
        for doc in await self.store.reports_in(list(out)):
            cached = out[doc["incident_id"]]
            cached.reports[doc["_id"]] = ReportV1.model_validate(doc["report"])
            cached.primary_flags[doc["_id"]] = bool(doc["primary"])
        return list(out.values())

    async def _views(self, incident_ids: list[str]) -> list[IncidentView]:
        if not incident_ids:
            return []
        by_incident: dict[str, list[ReportV1]] = {i: [] for i in incident_ids}
        for doc in await self.store.reports_in(incident_ids):
            by_incident[doc["incident_id"]].append(ReportV1.model_validate(doc["report"]))
        return [IncidentView(i, rs) for i, rs in by_incident.items() if rs]

    async def _duplicate(self, key: str, now: datetime, held: PartitionIndex | None = None) -> ReceiveResult:
        """Count a resend on the original and finish its placement if a crash left it half done; ``held``:
        the caller already holds the placement of the report's partition (the lock is not re-entrant)."""
        original = await self.store.count_duplicate(key, now)
        if original is None:
            raise RetryLater(f"report {key} vanished while counting a duplicate")
        report = ReportV1.model_validate(original["report"])
        partition = self.partition(report)
        if held is not None and held.partition == partition:
            if await self.writer.repair(original, partition, now):
                held.reset()
        else:
            async with self._placement(partition) as index:
                if await self.writer.repair(original, partition, now):  # finish what a crash left
                    index.reset()
        log.info("duplicate report", report_key=key, times=original["duplicates"])
        return ReceiveResult("duplicate", original["incident_id"], key, original["missing_elements"],
                             bool(original.get("primary")), original.get("match") or {})

    @asynccontextmanager
    async def _placement(self, partition: int) -> AsyncIterator[PartitionIndex]:
        """One placement at a time per partition: in this process (a lock) and across processes sharing
        the store (a claim document with a lease). Yields the partition's index, current as of the claim
        (placement_index.py); a placement that fails drops it."""
        key = f"partition:{partition}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        index = self._indexes.setdefault(partition, PartitionIndex(partition))
        async with lock:
            waited, delay = 0.0, 0.005
            while (epoch := await self.store.claim(key, self._holder, self.clock.now(), CLAIM_LEASE)) is None:
                if waited > CLAIM_WAIT_S:
                    raise RetryLater(f"placement claim {key} held by another intake process")
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 0.2)
            index.sync(epoch)
            try:
                yield index
            except BaseException:
                index.drop()
                raise
            finally:
                await self.store.release(key, self._holder)

    # ---- by hand (duty officer / duty head) --------------------------------------------------------
    async def split(self, incident_id: str, key: str, *, officer: str, reason: str) -> str:
        incident = await self._open_incident(incident_id)
        if key not in incident["report_keys"]:
            raise IntakeError(404, "not_found", f"报告 {key} 不属于事件 {incident_id}")
        if len(incident["report_keys"]) < 2:
            raise IntakeError(409, "single_report", "事件只有一份报告，无需拆分")
        async with self._placement(incident["partition"]) as index:
            index.reset()  # split and merge write from the store, not through the index
            return await self.writer.split(incident, key, officer, reason, self.clock.now())

    async def merge(self, incident_id: str, other_id: str, *, officer: str, reason: str) -> str:
        if incident_id == other_id:
            raise IntakeError(409, "same_incident", "不能将事件与自身合并")
        target, other = await self._open_incident(incident_id), await self._open_incident(other_id)
        partitions = sorted({int(target["partition"]), int(other["partition"])})
        async with self._placement(partitions[0]) as first:
            first.reset()  # split and merge write from the store, not through the index
            if len(partitions) == 1:
                return await self.writer.merge(target, other, officer, reason, self.clock.now())
            async with self._placement(partitions[1]) as second:
                second.reset()
                return await self.writer.merge(target, other, officer, reason, self.clock.now())

    async def _open_incident(self, incident_id: str) -> dict[str, Any]:
        incident = await self.store.get_incident(incident_id)
        if incident is None:
            raise IntakeError(404, "not_found", f"事件不存在：{incident_id}")
        if incident["status"] != "open":
            raise IntakeError(409, "not_open", f"事件 {incident_id} 已{'并入 ' + incident.get('merged_into', '') if incident['status'] == 'merged' else '关闭'}，不能再拆分或合并")
        return incident

    # ---- escalation's grading -------------------------------------------------------------------------
    async def record_grading(self, event: IncidentGraded, event_id: str | None) -> bool:
        """Keep the level escalation decided on the incident and its timeline. Idempotent and safe out of
        order: a grading older than the recorded one changes nothing (domain/grading.py). Returns whether
        it was recorded."""
        order = grading_order(event.graded_at, event_id)
        level = event.level.value if event.level else None
        grading = {"level": level, "graded_at": as_utc(event.graded_at), "order": order, "event_id": event_id,
                   "sensitive": event.sensitive, "rules_version": event.rules_version}
        entry = {"at": self.clock.now(), "kind": "graded", "level": level, "graded_at": as_utc(event.graded_at),
                 "event_id": event_id, "text": grading_text(event)}
        if await self.store.set_grading(event.incident_id, grading, entry):
            return True
        if await self.store.get_incident(event.incident_id) is None:
            raise Parked("unknown_incident", f"定级所指事件不存在：{event.incident_id}")
        log.info("grading not newer than the recorded one; ignored", incident_id=event.incident_id, order=order)
        return False

    async def record_parked(self, doc: dict[str, Any]) -> None:
        await self.store.park(doc)
