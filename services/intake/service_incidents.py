"""Writing incidents: open from a first report, attach later ones (续报, a possible new primary), split and
merge by hand. Called under the partition's placement claim (service.py); every change goes on the
incident's timeline and every event through the outbox under a deterministic id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.intake.domain.areas import AreaTable
from services.intake.domain.elements import missing_elements
from services.intake.domain.facts import changes, combined, highest_casualties
from services.intake.domain.matching import MatchDecision, choose_primary
from services.intake.partitions import city_key
from services.intake.placement_index import CachedIncident, PartitionIndex
from services.intake.store import IntakeStore, report_key
from shared.clock import as_utc
from shared.contracts import IncidentOpened, ReportAttached, ReportV1
from shared.outbox import Outbox
from shared.topology import INCIDENT_OPENED, REPORT_ATTACHED

# the incident fields refresh() recomputes from its reports (CachedIncident.written keeps them)
REFRESHED = ("primary_report", "title", "category", "area_code", "place", "occurred_at", "event_from", "event_to",
             "casualties", "missing_elements", "status")
_UNSET = object()


def event_time(report: ReportV1) -> datetime:
    when = report.occurred_at or report.received_at
    assert when is not None, "intake sets received_at on receipt"
    return as_utc(when)


@dataclass
class _IncidentUpdate:
    fields: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    add_keys: list[str] = field(default_factory=list)


@dataclass
class Writes:
    """Everything one placement writes — one report, or a batch of them under one claim — kept in memory
    until ``flush``, which writes it in the order that keeps a crash repairable (service.py): the new
    reports first (a redelivered report then finds its document and ``repair`` finishes the rest), then the
    incidents, the changed report flags, and last the outbox events. An incident opened and attached to in
    one batch is written once; an incident attached to twice gets one update."""

    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # report key → document, in arrival order
    new_incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, _IncidentUpdate] = field(default_factory=dict)
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, str, BaseModel]] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # incident ids: their insert found one already there

    def add_report(self, doc: dict[str, Any]) -> None:
        self.reports[doc["_id"]] = doc

    def open(self, doc: dict[str, Any]) -> None:
        self.new_incidents[doc["_id"]] = doc

    def update(self, incident_id: str, fields: dict[str, Any], entries: list[dict[str, Any]],
               add_keys: list[str]) -> None:
        new = self.new_incidents.get(incident_id)
        if new is not None:  # opened in this batch: amend the document still to be inserted
            new.update(fields)
            new["timeline"].extend(entries)
            new["report_keys"].extend(k for k in add_keys if k not in new["report_keys"])
            return
        pending = self.updates.setdefault(incident_id, _IncidentUpdate())
        pending.fields.update(fields)
        pending.entries.extend(entries)
        pending.add_keys.extend(k for k in add_keys if k not in pending.add_keys)

    def set_report(self, key: str, fields: dict[str, Any]) -> None:
        if key in self.reports:  # still to be inserted: change it before it is
            self.reports[key].update(fields)
        else:
            self.flags.setdefault(key, {}).update(fields)

    def event(self, event_id: str, routing_key: str, message: BaseModel) -> None:
        self.events.append((event_id, routing_key, message))

    async def flush(self, store: IntakeStore, outbox: Outbox) -> bool:
        """Write it all; False when an incident to open was there already (a repair: read the store again)."""
        fresh = True
        if self.reports:
            await store.insert_reports(list(self.reports.values()))
        if self.new_incidents:
            fresh = await store.insert_incidents(list(self.new_incidents.values()))
        for incident_id, pending in self.updates.items():
            await store.update_incident(incident_id, pending.fields, pending.entries, add_keys=pending.add_keys)
        for key, fields in self.flags.items():
            await store.set_report(key, fields)
        if self.events:
            await outbox.add_many(self.events)
        return fresh


class IncidentWriter:
    def __init__(self, store: IntakeStore, outbox: Outbox, areas: AreaTable) -> None:
        self.store = store
        self.outbox = outbox
        self.areas = areas

    async def open(self, incident_id: str, report: ReportV1, key: str, partition: int, now: datetime,
                   entry: dict[str, Any] | None = None, *, index: PartitionIndex | None = None,
                   plan: Writes | None = None) -> None:
        """``report`` as stored (parsed back from the report document), so the index holds what a store
        read would give. With ``plan`` the writes wait in it (a batch); without, they are made now."""
        missing = missing_elements(report)
        doc = {
            "_id": incident_id,
            "opened_at": now,
            "updated_at": now,
            "primary_report": key,
            "report_keys": [key],
            "title": report.title,
            "category": report.category.value,
            "area_code": report.area_code,
            "city": city_key(report.area_code, self.areas),
            "partition": partition,
            "place": report.place,
            "occurred_at": as_utc(report.occurred_at) if report.occurred_at else None,
            "event_from": event_time(report),
            "event_to": event_time(report),
            "classification": report.classification.value,
            "status": "open",
            "missing_elements": missing,
            "casualties": report.casualties.model_dump(),
            "timeline": [entry or {"at": now, "kind": "opened", "report": key,
                                   "text": f"首报：{report.source.unit}（{report.source.report_id}）"}],
        }
        if plan is not None:
            plan.open(doc)
            inserted = True  # as far as this batch knows: flush says otherwise, and the caller resets the index
        else:
            inserted = await self.store.insert_incident(doc)
        if index is not None:
            if inserted:
                index.put(CachedIncident(incident_id, key, report.casualties.model_dump(), event_time(report),
                                         event_time(report), {key: report}, {key: True},
                                         {k: doc[k] for k in REFRESHED if k in doc}))
            else:  # it existed already (a repair): read it again from the store when next needed
                index.reset()
        event = IncidentOpened(incident_id=incident_id, opened_at=now, primary=report, missing_elements=missing)
        await self._event(plan, f"{INCIDENT_OPENED}:{incident_id}", INCIDENT_OPENED, event)

    async def _event(self, plan: Writes | None, event_id: str, routing_key: str, message: BaseModel) -> None:
        if plan is not None:
            plan.event(event_id, routing_key, message)
        else:
            await self.outbox.add(event_id, routing_key, message)

    async def attach(self, incident_id: str, report: ReportV1, key: str, decision: MatchDecision, now: datetime,
                     *, index: PartitionIndex | None = None, plan: Writes | None = None) -> bool:
        """Returns whether the attached report became the primary (it was received earlier). ``report``
        as stored, its document already inserted with ``primary`` false."""
        entry = {"at": now, "kind": "report_attached", "report": key, "unit": report.source.unit,
                 "score": decision.score, "features": decision.features,
                 "text": f"并入报告：{report.source.unit}（{report.source.report_id}）。{decision.reason_zh}"}
        _, new_primary = await self.refresh(incident_id, now, [entry], add_keys=[key], index=index,
                                            added={key: report}, plan=plan)
        now_primary = new_primary == key
        event = ReportAttached(incident_id=incident_id, attached_at=now, report=report, reason=decision.reason_zh,
                               now_primary=now_primary)
        await self._event(plan, f"{REPORT_ATTACHED}:{key}", REPORT_ATTACHED, event)
        return now_primary

    async def refresh(self, incident_id: str, now: datetime, entries: list[dict[str, Any]], *,
                      add_keys: list[str] | None = None, remove_keys: list[str] | None = None,
                      index: PartitionIndex | None = None, added: dict[str, ReportV1] | None = None,
                      plan: Writes | None = None) -> tuple[str, str]:
        """Recompute the primary and the combined facts from the incident's reports (as stored now);
        record the changes on the timeline. Returns (old primary key, new primary key).

        With ``index`` holding the incident, its reports come from there (plus ``added``, the reports just
        inserted for it) instead of two store reads; the index is brought up to date either way."""
        cached = index.get(incident_id) if index is not None else None
        if cached is not None and not remove_keys:
            stored = {**cached.reports, **(added or {})}
            flags = {**cached.primary_flags, **{k: False for k in (added or {})}}
            old_primary, old_casualties, status = cached.primary_report, cached.casualties, "open"
        else:
            incident = await self.store.get_incident(incident_id)
            assert incident is not None
            docs = await self.store.reports_of(incident_id)
            stored = {d["_id"]: ReportV1.model_validate(d["report"]) for d in docs}
            flags = {d["_id"]: bool(d["primary"]) for d in docs}
            # a batch (``plan``) has not written the added reports yet; without one they are in ``docs``
            stored.update({k: r for k, r in (added or {}).items() if k not in stored})
            flags.update({k: False for k in (added or {}) if k not in flags})
            old_primary, old_casualties, status = incident["primary_report"], incident.get("casualties"), \
                incident["status"]
        reports = list(stored.values())
        entries = list(entries)
        if not reports:
            assert plan is None, "a batch only adds reports"
            await self.store.update_incident(incident_id, {"status": "empty", "updated_at": now}, entries,
                                             remove_keys=remove_keys or [])
            if index is not None:
                index.remove(incident_id)
            return old_primary, ""
        primary = choose_primary(reports)
        new_primary = report_key(*primary.key)
        merged = combined(reports)
        raised = changes(old_casualties or {}, highest_casualties(reports))
        if raised:
            entries.append({"at": now, "kind": "follow_up", "text": "续报更新：" + "，".join(raised)})
        if new_primary != old_primary:
            entries.append({"at": now, "kind": "primary_changed", "from": old_primary, "to": new_primary,
                            "text": f"首报变更：{primary.source.unit}（{primary.source.report_id}）接报时间更早，"
                                    f"改为首报（原首报 {old_primary}）"})
            for key, was_primary in list(flags.items()):
                if was_primary != (key == new_primary):
                    if plan is not None:
                        plan.set_report(key, {"primary": key == new_primary})
                    else:
                        await self.store.set_report(key, {"primary": key == new_primary})
                    flags[key] = key == new_primary
        times = [event_time(r) for r in reports]
        casualties = merged.casualties.model_dump()
        fields = {
            "updated_at": now, "primary_report": new_primary, "title": merged.title, "category": merged.category.value,
            "area_code": merged.area_code, "place": merged.place,
            "occurred_at": as_utc(merged.occurred_at) if merged.occurred_at else None,
            "event_from": min(times), "event_to": max(times), "casualties": casualties,
            "missing_elements": missing_elements(merged), "status": status if status != "empty" else "open",
        }
        written = dict(fields)
        if cached is not None and not remove_keys and cached.written:  # the index knows what is stored: set what changed
            fields = {k: v for k, v in fields.items() if k == "updated_at" or cached.written.get(k, _UNSET) != v}
        if plan is not None:
            assert not remove_keys, "a batch only adds reports"
            plan.update(incident_id, fields, entries, add_keys or [])
        else:
            await self.store.update_incident(incident_id, fields, entries, add_keys=add_keys or [],
                                             remove_keys=remove_keys or [])
        if index is not None:
            if written["status"] == "open":
                index.put(CachedIncident(incident_id, new_primary, casualties, min(times), max(times), stored, flags,
                                         written))
            else:
                index.remove(incident_id)
        return old_primary, new_primary

    async def repair(self, original: dict[str, Any], partition: int, now: datetime) -> bool:
        """A redelivered report whose first delivery may have crashed half-way: finish its placement.
        Returns whether incidents changed (a placement index must then be read again)."""
        report = ReportV1.model_validate(original["report"])
        incident = await self.store.get_incident(original["incident_id"])
        if incident is None:
            await self.open(original["incident_id"], report, original["_id"], partition, now)
            return True
        if original["_id"] not in incident["report_keys"]:
            match = original.get("match") or {}
            decision = MatchDecision(original["incident_id"], match.get("score", 0.0), match.get("features", {}),
                                     match.get("reason", ""))
            await self.attach(original["incident_id"], report, original["_id"], decision, now)
            return True
        if original["_id"] == report_key(*report.key) and incident["primary_report"] == original["_id"]:
            event = IncidentOpened(incident_id=incident["_id"], opened_at=incident["opened_at"], primary=report,
                                   missing_elements=incident["missing_elements"])
            await self.outbox.add(f"{INCIDENT_OPENED}:{incident['_id']}", INCIDENT_OPENED, event)
        return False

    # ---- by hand ---------------------------------------------------------------------------------
    async def split(self, incident: dict[str, Any], key: str, officer: str, reason: str, now: datetime) -> str:
        doc = await self.store.get_report(key)
        assert doc is not None
        report = ReportV1.model_validate(doc["report"])
        new_id = f"{incident['_id']}-S{hashlib.sha256(key.encode()).hexdigest()[:6].upper()}"
        await self.store.set_report(key, {"incident_id": new_id, "primary": True,
                                          "split": {"from": incident["_id"], "by": officer, "at": now, "reason": reason}})
        text = f"人工拆分：{officer} 将报告 {key} 拆出为新事件 {new_id}。理由：{reason}"
        await self.refresh(incident["_id"], now, [{"at": now, "kind": "split", "report": key, "by": officer,
                                                    "to": new_id, "text": text}], remove_keys=[key])
        opened = {"at": now, "kind": "opened", "report": key, "by": officer, "from": incident["_id"],
                  "text": f"由事件 {incident['_id']} 人工拆分而来（{officer}）。理由：{reason}"}
        await self.open(new_id, report, key, incident["partition"], now, entry=opened)
        return new_id

    async def merge(self, target: dict[str, Any], other: dict[str, Any], officer: str, reason: str,
                    now: datetime) -> str:
        moved = await self.store.reports_of(other["_id"])
        for doc in moved:
            await self.store.set_report(doc["_id"], {
                "incident_id": target["_id"], "primary": False,
                "merged": {"from": other["_id"], "by": officer, "at": now, "reason": reason}})
        keys = [d["_id"] for d in moved]
        await self.store.update_incident(other["_id"], {"status": "merged", "merged_into": target["_id"],
                                                        "updated_at": now},
                                         [{"at": now, "kind": "merged_into", "to": target["_id"], "by": officer,
                                           "text": f"人工合并：{officer} 将本事件并入 {target['_id']}。理由：{reason}"}])
        entry = {"at": now, "kind": "merged", "from": other["_id"], "reports": keys, "by": officer,
                 "text": f"人工合并：{officer} 将事件 {other['_id']} 的 {len(keys)} 份报告并入。理由：{reason}"}
        _, new_primary = await self.refresh(target["_id"], now, [entry], add_keys=keys)
        for doc in moved:
            report = ReportV1.model_validate(doc["report"])
            event = ReportAttached(incident_id=target["_id"], attached_at=now, report=report,
                                   reason=f"人工合并（{officer}）：{reason}", now_primary=doc["_id"] == new_primary)
            await self.outbox.add(f"{REPORT_ATTACHED}:{doc['_id']}:merged:{target['_id']}", REPORT_ATTACHED, event)
        return target["_id"]
