"""Validation errors reach people in Chinese: pydantic's own errors translated by type, with their limits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from shared.bus import contract_problem
from shared.validation_zh import message_zh


class Sample(BaseModel):
    title: str = Field(min_length=2, max_length=5)
    dead: int = Field(ge=0)
    at: datetime
    channel: Literal["phone", "fax"]
    code: str = Field(pattern=r"^\d{6}$")

    @field_validator("title")
    @classmethod
    def no_test(cls, v: str) -> str:
        if v == "测试测试":
            raise ValueError("标题不能是“测试测试”")
        return v


GOOD = {"title": "爆炸", "dead": 1, "at": "2026-11-28T08:00:00+08:00", "channel": "phone", "code": "450100"}


def errors_of(**bad: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({**GOOD, **bad})
    return {str(e["loc"][0]): message_zh(e) for e in caught.value.errors()}


@pytest.mark.parametrize(
    ("bad", "field", "expected"),
    [
        ({"title": "爆"}, "title", "文本至少2个字符"),
        ({"title": "一二三四五六"}, "title", "文本最多5个字符"),
        ({"dead": -1}, "dead", "应不小于0"),
        ({"dead": "三人"}, "dead", "应为整数"),
        ({"at": "昨天"}, "at", "不是合法的日期时间（应为ISO 8601格式，如2026-11-28T08:30:00+08:00）"),
        ({"channel": "pigeon"}, "channel", "取值应为：phone、fax"),
        ({"code": "4501"}, "code", "格式不符合要求（应匹配 ^\\d{6}$）"),
        ({"title": "测试测试"}, "title", "标题不能是“测试测试”"),
    ],
)
def test_each_error_type_reads_in_chinese(bad: dict[str, object], field: str, expected: str) -> None:
    assert errors_of(**bad)[field] == expected


def test_missing_field_and_unknown_type() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({k: v for k, v in GOOD.items() if k != "code"})
    assert message_zh(caught.value.errors()[0]) == "缺少此字段"
    assert message_zh({"type": "something_new", "msg": "whatever"}) == "取值不符合要求"


def test_contract_problem_on_the_bus_is_chinese() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({**GOOD, "dead": "many"})
    parked = contract_problem(caught.value)
    assert parked.reason_zh.startswith("不符合消息契约") and "应为整数" in parked.reason_zh
    assert "Input should" not in parked.reason_zh
