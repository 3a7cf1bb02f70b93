"""parse_report: normalisation of what units send, and precise refusals of what cannot be a report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain.areas import AreaTable
from services.intake.domain.errors import ReportRejected
from services.intake.domain.normalise import parse_report
from shared.contracts import ReportV1

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 Beijing time
AREAS = AreaTable.load("450100")


def raw(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "zhiban.report/1",
        "source": {"system": "binyang-yjj", "unit": "宾阳县应急管理局", "report_id": "2026-001"},
        "occurred_at": "2026-11-28T10:20:00+08:00",
        "area_code": "450126",
        "place": "宾阳县黎塘镇华南化工有限公司",
        "category": "production_safety",
        "title": "宾阳县黎塘镇华南化工有限公司发生爆炸事故",
        "casualties": {"deaths": 1, "injuries": 3},
    }
    base.update(changes)
    return base


def parse(data: dict[str, Any] | bytes, **kw: Any) -> ReportV1:
    return parse_report(data, received_at=NOW, now=NOW, areas=AREAS, max_bytes=kw.pop("max_bytes", 64_000), **kw)


def rejected(data: dict[str, Any] | bytes, **kw: Any) -> ReportRejected:
    with pytest.raises(ReportRejected) as info:
        parse(data, **kw)
    return info.value


def test_valid_report_times_in_utc_and_received_set() -> None:
    report = parse(json.dumps(raw(), ensure_ascii=False).encode())
    assert report.occurred_at == datetime(2026, 11, 28, 2, 20, tzinfo=UTC)
    assert report.occurred_at is not None and report.occurred_at.tzinfo is UTC
    assert report.received_at == NOW
    assert report.casualties.deaths == 1


def test_sender_received_at_is_kept() -> None:
    report = parse(raw(received_at="2026-11-28T11:00:00+08:00"))
    assert report.received_at == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("word", "category"), [
    ("火灾", "fire"), ("爆炸", "production_safety"), ("化学品泄漏", "environment"), ("交通事故", "road_traffic"),
    ("溺水", "drowning"), ("食物中毒", "food_poisoning"), ("FIRE", "fire"), ("山体滑坡", "geological"),
])
def test_category_words_are_mapped(word: str, category: str) -> None:
    report = parse(raw(category=word))
    assert report.category.value == category
    assert "category" in report.model_fields_set


def test_unknown_category_word_is_kept_as_other() -> None:
    report = parse(raw(category="不明情况"))
    assert report.category.value == "other"
    assert report.model_extra == {"category_text": "不明情况"}


@pytest.mark.parametrize(("given", "expected"), [("3", 3), ("3人", 3), ("暂无", 0), ("不详", None), (2.0, 2), (None, None)])
def test_casualty_forms(given: Any, expected: int | None) -> None:
    assert parse(raw(casualties={"deaths": given})).casualties.deaths == expected


def test_renamed_area_code_maps_and_original_kept() -> None:
    report = parse(raw(area_code="450127"))
    assert report.area_code == "450181"
    assert (report.model_extra or {})["area_code_reported"] == "450127"


def test_numeric_area_code_accepted() -> None:
    assert parse(raw(area_code=450126)).area_code == "450126"


def test_unknown_fields_are_kept() -> None:
    report = parse(raw(weather="小雨"))
    assert (report.model_extra or {})["weather"] == "小雨"


@pytest.mark.parametrize(("body", "code", "field", "words"), [
    (b"\xff\xfe{}", "not_utf8", "", "UTF-8"),
    (b'{"title": ', "not_json", "", "JSON"),
    (b"[1, 2]", "not_object", "", "JSON对象"),
    (b'{"a": NaN}', "not_json", "", "JSON"),
    (b"[" * 100_000, "not_json", "", "JSON"),
])
def test_unparseable_bodies(body: bytes, code: str, field: str, words: str) -> None:
    error = rejected(body, max_bytes=1_000_000)
    assert (error.code, error.field) == (code, field)
    assert words in error.message_zh


def test_oversize_bytes_and_dict() -> None:
    body = json.dumps(raw(text="事" * 5000), ensure_ascii=False).encode()
    assert rejected(body, max_bytes=1000).code == "too_large"
    assert rejected(raw(text="事" * 5000), max_bytes=1000).code == "too_large"


@pytest.mark.parametrize(("changes", "code", "field", "words"), [
    ({"title": 5}, "invalid_field", "title", "标题应为文字"),
    ({"title": ""}, "invalid_field", "title", "标题不能为空"),
    ({"source": {"system": "x", "unit": "某单位"}}, "missing_field", "source.report_id", "报告编号缺少必填项"),
    ({"casualties": {"deaths": -1}}, "invalid_field", "casualties.deaths", "死亡人数不能为负数"),
    ({"casualties": {"deaths": True}}, "invalid_field", "casualties.deaths", "死亡人数"),
    ({"casualties": {"deaths": "很多"}}, "invalid_field", "casualties.deaths", "死亡人数应为人数"),
    ({"channel": "pigeon"}, "invalid_field", "channel", "报送渠道取值不在允许范围内"),
    ({"occurred_at": "昨天下午"}, "invalid_field", "occurred_at", "事发时间不是合法的时间"),
    ({"occurred_at": "2026-11-28T10:20:00"}, "invalid_field", "occurred_at", "时区偏移"),
    ({"area_code": "4501"}, "invalid_field", "area_code", "6位数字"),
    ({"area_code": "459999"}, "unknown_area", "area_code", "459999 不存在"),
    ({"area_code": "450202"}, "area_outside_region", "area_code", "不在本辖区"),
    ({"occurred_at": "2026-11-28T13:00:00+08:00"}, "in_future", "occurred_at", "晚于当前时间"),
    ({"occurred_at": "1969-12-31T23:00:00+00:00"}, "before_epoch", "occurred_at", "早于1970年"),
    ({"schema": "zhiban.report/2"}, "bad_schema", "schema", "协议版本"),
    ({"title": "\ud800"}, "invalid_text", "title", "无效字符"),
])
def test_precise_field_errors(changes: dict[str, Any], code: str, field: str, words: str) -> None:
    error = rejected(raw(**changes))
    assert (error.code, error.field) == (code, field)
    assert words in error.message_zh
    assert error.as_dict() == {"code": code, "field": field, "message": error.message_zh}


def test_small_clock_drift_is_tolerated() -> None:
    assert parse(raw(occurred_at="2026-11-28T12:05:00+08:00")).occurred_at is not None


def test_incomplete_first_report_is_accepted() -> None:
    minimal = {"source": {"system": "s", "unit": "某县", "report_id": "1"}, "title": "某地发生险情"}
    report = parse(minimal)
    assert report.occurred_at is None and report.area_code is None


@pytest.mark.parametrize(("body", "field"), [
    (json.dumps(raw(**{"we\x00ather": "小雨"})).encode(), "we\\u0000ather"),
    (json.dumps(raw(casualties={"deaths": 1, "\x00": 2})).encode(), "casualties.\\u0000"),
])
def test_a_field_name_with_a_nul_is_refused_naming_it(body: bytes, field: str) -> None:
    """No store can keep such a name; an unknown field is otherwise kept, so it must be refused here."""
    error = rejected(body)
    assert (error.code, error.field) == ("invalid_field_name", field)
    assert "空字符" in error.message_zh
