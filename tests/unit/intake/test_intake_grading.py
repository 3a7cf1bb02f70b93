"""Ordering of escalation's gradings as intake records them, and the level filter's parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from services.intake.domain.grading import grading_order, grading_text, parse_levels, revision_of
from shared.contracts import IncidentGraded
from shared.contracts.events import Level

T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_revision_is_read_from_escalations_event_id() -> None:
    assert revision_of("incident.graded:INC-20261128-ABC:12") == 12
    assert revision_of("incident.graded:INC-1-S0A1B2C") == 0  # no revision in it
    assert revision_of(None) == 0


def test_order_follows_time_then_revision_whatever_the_offset() -> None:
    earlier = grading_order(T, "incident.graded:X:9")
    later = grading_order(T + timedelta(microseconds=1), "incident.graded:X:1")
    same_time_next_revision = grading_order(T, "incident.graded:X:10")
    assert earlier < later and earlier < same_time_next_revision
    assert grading_order(T.astimezone(timezone(timedelta(hours=8))), "incident.graded:X:9") == earlier
    assert grading_order(T, "incident.graded:X:9") == earlier  # a redelivery is not newer


def test_levels_repeated_or_comma_separated_and_the_bad_value_named() -> None:
    assert parse_levels(["I", "ii, III"]) == (["I", "II", "III"], None)
    assert parse_levels(["IV,IV"]) == (["IV"], None)
    assert parse_levels(["III", "V"]) == ([], "V")
    assert parse_levels([""]) == ([], "")


def test_timeline_text() -> None:
    event = IncidentGraded(incident_id="X", graded_at=T, level=Level.III, category="fire", rules_version="r1",
                           reasons=["死亡3人"], sensitive=True, sensitive_reasons=["涉危化品"])
    assert grading_text(event) == "定级：III级（较大）；依据：死亡3人；敏感：涉危化品（值班应急处置，规则版本 r1）"
    assert grading_text(event.model_copy(update={"level": None, "sensitive": False})).startswith("定级：待定级")
