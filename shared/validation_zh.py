"""Chinese messages for pydantic's validation errors, so a person at the console or a county system's
operator reads what is wrong in Chinese (DESIGN.md, Language). Pure: no I/O.

Pydantic gives each error a stable ``type`` and a ``ctx`` with the limits; the English ``msg`` is kept
alongside as ``detail`` for developers. A ``value_error`` raised by our own validators already carries a
Chinese message, which is passed through without pydantic's "Value error, " prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FIXED: dict[str, str] = {
    "missing": "缺少此字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "不是合法的JSON",
    "json_type": "应为JSON文本",
    "string_type": "应为文本",
    "string_unicode": "应为合法的Unicode文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（不能有小数）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为布尔值（true/false）",
    "bool_parsing": "应为布尔值（true/false）",
    "dict_type": "应为对象（键值对）",
    "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "list_type": "应为数组",
    "tuple_type": "应为数组",
    "set_type": "应为数组",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "不是合法的日期时间（应为ISO 8601格式，如2026-11-28T08:30:00+08:00）",
    "datetime_from_date_parsing": "不是合法的日期时间（应为ISO 8601格式，如2026-11-28T08:30:00+08:00）",
    "datetime_object_invalid": "不是合法的日期时间",
    "timezone_aware": "日期时间须带时区（如+08:00）",
    "timezone_naive": "日期时间不应带时区",
    "date_type": "应为日期",
    "date_parsing": "不是合法的日期（应为YYYY-MM-DD）",
    "date_from_datetime_parsing": "不是合法的日期（应为YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不能带时间",
    "time_parsing": "不是合法的时间（应为HH:MM）",
    "time_type": "应为时间",
    "uuid_parsing": "不是合法的UUID",
    "uuid_type": "应为UUID",
    "url_parsing": "不是合法的网址",
    "url_scheme": "网址协议不被接受",
    "url_type": "应为网址",
    "bytes_type": "应为字节串",
    "none_required": "此字段应为空",
    "is_instance_of": "类型不符合要求",
    "union_tag_invalid": "类型标记不被接受",
    "union_tag_not_found": "缺少类型标记",
    "frozen_field": "此字段不可修改",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
}

_WITH_LIMITS: dict[str, str] = {
    "string_too_short": "文本至少{min_length}个字符",
    "string_too_long": "文本最多{max_length}个字符",
    "too_short": "至少{min_length}项",
    "too_long": "最多{max_length}项",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应不小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应不大于{le}",
    "multiple_of": "应为{multiple_of}的倍数",
    "string_pattern_mismatch": "格式不符合要求（应匹配 {pattern}）",
    "literal_error": "取值应为：{expected}",
    "enum": "取值应为：{expected}",
    "bytes_too_long": "最多{max_length}字节",
    "bytes_too_short": "至少{min_length}字节",
    "decimal_max_digits": "最多{max_digits}位数字",
    "decimal_max_places": "最多{decimal_places}位小数",
}


def message_zh(error: Mapping[str, Any]) -> str:
    """The Chinese message for one pydantic error dict (``type``, ``msg``, optional ``ctx``)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        text = str(error.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            if text.startswith(prefix):
                text = text[len(prefix):]
        return text or "取值不符合要求"
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in _WITH_LIMITS:
        try:
            return _WITH_LIMITS[kind].format(**{k: _show(v) for k, v in ctx.items()})
        except (KeyError, IndexError):
            pass
    return "取值不符合要求"


def _show(value: Any) -> str:
    text = str(value)
    return text.replace(" or ", "、").replace("'", "")
