"""Required elements (NORMS.md §4): 0 = 暂无 is stated, None = 不详 is missing; never blocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.intake.domain.elements import describe_missing, missing_element_keys, missing_elements
from shared.contracts import ReportV1

T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def complete(**changes: Any) -> ReportV1:
    data: dict[str, Any] = {
        "source": {"system": "binyang-yjj", "unit": "宾阳县应急管理局", "report_id": "1"},
        "received_at": T, "occurred_at": T, "area_code": "450126", "place": "黎塘镇华南化工有限公司",
        "category": "production_safety", "title": "宾阳县黎塘镇华南化工有限公司发生爆炸事故",
        "casualties": {"deaths": 0, "injuries": 2, "missing": 0, "trapped": 0},
        "measures": "消防、应急已到场处置", "contact": {"name": "李明", "phone": "0771-8221234"},
    }
    data.update(changes)
    return ReportV1.model_validate(data)


def test_complete_report_has_nothing_missing_and_zero_counts_as_stated() -> None:
    assert missing_elements(complete()) == []
    assert describe_missing([]) == ""


def test_unknown_casualty_figures_are_named() -> None:
    report = complete(casualties={"deaths": 0, "injuries": 2, "missing": None})
    assert missing_elements(report) == ["伤亡情况（失踪、被困不详）"]


def test_everything_missing_in_norm_order() -> None:
    bare = ReportV1.model_validate({"source": {"system": "s", "unit": "某县", "report_id": "1"}, "title": "险情"})
    assert missing_element_keys(bare) == [
        "received_at", "contact", "occurred_at", "place", "area_code", "category", "casualties", "measures"]
    text = describe_missing(missing_elements(bare))
    assert text.startswith("缺少要素：接报时间、报送人及联系电话、事发时间、事发地点")


def test_blank_strings_and_half_contact_are_missing() -> None:
    report = complete(place="  ", measures="", contact={"name": "李明"})
    assert missing_element_keys(report) == ["contact", "place", "measures"]


def test_category_other_given_explicitly_is_stated() -> None:
    assert "category" not in missing_element_keys(complete(category="other"))


def test_scope_and_trend_only_when_asked() -> None:
    report = complete(impact_scope="周边500米已疏散")
    assert missing_elements(report) == []
    assert missing_elements(report, check_scope_and_trend=True) == ["发展趋势"]
