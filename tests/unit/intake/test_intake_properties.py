"""Property-based tests over the contract: anything in gives a report or ReportRejected; valid ones round-trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.domain.areas import AreaTable
from services.intake.domain.errors import ReportRejected
from services.intake.domain.normalise import parse_report
from shared.contracts import ReportV1
from shared.contracts.report import Category, Channel, Classification

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
AREAS = AreaTable.load("450100")
NANNING = sorted(c for c in AREAS.names if AREAS.is_known(c))
FIELDS = ["schema", "source", "channel", "received_at", "occurred_at", "area_code", "place", "category", "title",
          "text", "casualties", "evacuated", "economic_loss_cny", "measures", "contact", "classification",
          "follow_up_of", "system", "unit", "report_id", "deaths", "injuries"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=5),
    max_leaves=25,
)


def attempt(data: Any) -> None:
    try:
        report = parse_report(data, received_at=NOW, now=NOW, areas=AREAS, max_bytes=100_000)
    except ReportRejected as error:
        assert error.code and error.message_zh
    else:
        assert isinstance(report, ReportV1) and report.received_at is not None


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10))
def test_arbitrary_json_objects_never_raise_anything_else(data: dict[str, Any]) -> None:
    attempt(data)
    attempt(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))


@settings(max_examples=200)
@given(json_values)
def test_arbitrary_json_values_never_raise_anything_else(value: Any) -> None:
    attempt(json.dumps(value).encode())


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_else(body: bytes) -> None:
    attempt(body)


printable = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
counts = st.none() | st.integers(min_value=0, max_value=10_000)
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)


@st.composite
def valid_reports(draw: st.DrawFn) -> ReportV1:
    span = int((NOW - EARLIEST).total_seconds())
    received = EARLIEST + timedelta(seconds=draw(st.integers(min_value=0, max_value=span)))
    zone = timezone(timedelta(minutes=draw(st.integers(min_value=-12 * 60, max_value=14 * 60))))
    occurred = None
    if draw(st.booleans()):  # an event happens before it is reported
        lag = timedelta(seconds=draw(st.integers(min_value=0, max_value=int((received - EARLIEST).total_seconds()))))
        occurred = (received - lag).astimezone(zone)
    return ReportV1(
        source={"system": draw(st.from_regex(r"[a-z0-9_.\-]{1,20}", fullmatch=True)),
                "unit": draw(printable.filter(str.strip)),
                "report_id": draw(st.from_regex(r"[A-Za-z0-9\-]{1,30}", fullmatch=True))},
        channel=draw(st.sampled_from(list(Channel))),
        occurred_at=occurred,
        received_at=received.astimezone(zone),
        area_code=draw(st.none() | st.sampled_from(NANNING)),
        place=draw(st.none() | printable),
        category=draw(st.sampled_from(list(Category))),
        title=draw(printable.filter(str.strip)),
        casualties={k: draw(counts) for k in ("deaths", "injuries", "missing", "trapped")},
        classification=draw(st.sampled_from(list(Classification))),
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(valid_reports())
def test_valid_reports_round_trip(report: ReportV1) -> None:
    body = report.model_dump_json(by_alias=True, exclude_none=False).encode()
    parsed = parse_report(body, received_at=NOW, now=NOW, areas=AREAS, max_bytes=100_000)
    assert parsed.key == report.key
    assert parsed.occurred_at == report.occurred_at and parsed.received_at == report.received_at
    assert parsed.occurred_at is None or parsed.occurred_at.tzinfo is UTC
    assert parsed.category == report.category
    assert parsed.casualties == report.casualties
    assert parsed.area_code == report.area_code and parsed.place == report.place and parsed.title == report.title
    again = parse_report(parsed.model_dump_json(by_alias=True).encode(), received_at=NOW, now=NOW, areas=AREAS,
                         max_bytes=100_000)
    assert again == parsed
