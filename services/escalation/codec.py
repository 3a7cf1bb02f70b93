"""Domain objects ⇄ store documents (plain dicts). No rules here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.escalation.domain.assessment import LevelEntry, LevelHistory
from services.escalation.domain.review import ReviewCase, ReviewEvent
from shared.clock import as_utc


def history_to_doc(h: LevelHistory) -> dict[str, Any]:
    return {"may_escalate": h.may_escalate, "entries": [asdict(e) for e in h.entries]}


def history_from_doc(doc: dict[str, Any] | None) -> LevelHistory:
    if not doc:
        return LevelHistory()
    entries = tuple(LevelEntry(**{**e, "at": as_utc(e["at"])}) for e in doc.get("entries", []))
    return LevelHistory(entries, bool(doc.get("may_escalate")))


def review_to_doc(case: ReviewCase) -> dict[str, Any]:
    return {
        "incident_id": case.incident_id, "state": case.state, "required_because": list(case.required_because),
        "submitted_at": case.submitted_at, "released_revision": case.released_revision,
        "history": [asdict(e) for e in case.history],
    }


def review_from_doc(incident_id: str, doc: dict[str, Any] | None) -> ReviewCase:
    if not doc:
        return ReviewCase(incident_id)
    return ReviewCase(
        incident_id=incident_id, state=doc["state"], required_because=tuple(doc.get("required_because", [])),
        submitted_at=as_utc(doc["submitted_at"]) if doc.get("submitted_at") else None,
        released_revision=doc.get("released_revision"),
        history=tuple(ReviewEvent(**{**e, "at": as_utc(e["at"])}) for e in doc.get("history", [])),
    )


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}
