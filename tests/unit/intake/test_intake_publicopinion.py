"""Public-opinion items (R-16)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain.errors import ReportRejected
from services.intake.domain.publicopinion import Platform, parse_public_opinion

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


def item(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_url": "https://weibo.com/1234567890/NxYz",
        "platform": "微博",
        "published_at": "2026-11-28T11:20:00+08:00",
        "summary": "网民发布视频称宾阳县黎塘镇一化工厂冒出浓烟，伴有爆炸声。",
        "reach": {"views": 120000, "reposts": 3400, "comments": 890},
    }
    data.update(changes)
    return data


def test_valid_item_with_chinese_platform_and_link() -> None:
    parsed = parse_public_opinion(item(), now=NOW)
    assert parsed.platform is Platform.weibo
    assert parsed.total_reach == 120000 + 3400 + 890
    assert parsed.incident_id is None
    assert parsed.linked_to("INC-1").incident_id == "INC-1"


@pytest.mark.parametrize(("changes", "code", "field", "words"), [
    ({"source_url": "weibo.com/x"}, "invalid_field", "source_url", "http(s)"),
    ({"source_url": "ftp://example.org/x"}, "invalid_field", "source_url", "http(s)"),
    ({"platform": "飞鸽"}, "invalid_field", "platform", "平台"),
    ({"summary": ""}, "invalid_field", "summary", "内容摘要"),
    ({"published_at": "2026-11-28T13:00:00+08:00"}, "in_future", "published_at", "晚于当前时间"),
    ({"published_at": "2026-11-28T11:20:00"}, "invalid_field", "published_at", "发布时间"),
    ({"reach": {"views": -5}}, "invalid_field", "reach.views", "传播量"),
])
def test_refusals_name_the_field(changes: dict[str, Any], code: str, field: str, words: str) -> None:
    with pytest.raises(ReportRejected) as info:
        parse_public_opinion(item(**changes), now=NOW)
    assert (info.value.code, info.value.field) == (code, field)
    assert words in info.value.message_zh


def test_missing_url_is_missing_field() -> None:
    data = item()
    del data["source_url"]
    with pytest.raises(ReportRejected) as info:
        parse_public_opinion(data, now=NOW)
    assert info.value.code == "missing_field" and "原文链接" in info.value.message_zh
